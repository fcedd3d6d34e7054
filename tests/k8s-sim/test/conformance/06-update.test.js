'use strict';
// Checklist 6: update (PUT), /status, pod spec immutability.
const {describe, it} = require('node:test');
const assert = require('node:assert/strict');
const {h2, pod, fixtureJSON, useSim} = require('./client.js');

const NS = '/api/v1/namespaces/default';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';

describe('update', () => {
  let sim;
  let c;
  useSim((s, client) => {
    sim = s;
    c = client;
  });

  it('answers a stale resourceVersion with the exact 409 Conflict', async () => {
    const name = 'humiocluster-nodepool-labels-core-kufsfk';
    const p = (await c.request('POST', `${NS}/pods`, {body: pod(name)})).json;
    const stale = JSON.parse(JSON.stringify(p));
    p.metadata.labels = {a: '1'};
    const ok = await c.request('PUT', `${NS}/pods/${name}`, {body: p});
    assert.equal(ok.status, 200);
    assert.notEqual(ok.json.metadata.resourceVersion, stale.metadata.resourceVersion);
    stale.metadata.labels = {a: '2'};
    const r = await c.request('PUT', `${NS}/pods/${name}`, {body: stale});
    assert.equal(r.status, 409);
    assert.deepEqual(r.json, fixtureJSON('status/409-pod-conflict-rv.json'));
    assert.equal(r.text, JSON.stringify(fixtureJSON('status/409-pod-conflict-rv.json')) + '\n');
  });

  it('lets pods be updated without a resourceVersion', async () => {
    const p = (await c.request('POST', `${NS}/pods`, {body: pod('u1')})).json;
    delete p.metadata.resourceVersion;
    p.metadata.labels = {free: 'yes'};
    const r = await c.request('PUT', `${NS}/pods/u1`, {body: p});
    assert.equal(r.status, 200);
    assert.equal(r.json.metadata.labels.free, 'yes');
  });

  it('requires a resourceVersion to update a Lease (422)', async () => {
    const l = (await c.request('POST', LEASES, {body: {metadata: {name: 'l1'}, spec: {holderIdentity: 'a'}}})).json;
    delete l.metadata.resourceVersion;
    const r = await c.request('PUT', `${LEASES}/l1`, {body: l});
    assert.equal(r.status, 422);
    assert.equal(r.json.message, 'Lease.coordination.k8s.io "l1" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
    assert.deepEqual(r.json.details, {name: 'l1', group: 'coordination.k8s.io', kind: 'Lease', causes: [
      {reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion'}]});
  });

  it('ignores status on the main resource and writes it only through /status', async () => {
    const p = (await c.request('POST', `${NS}/pods`, {body: pod('s1')})).json;
    p.status = {phase: 'Running'};
    p.metadata.labels = {x: '1'};
    const main = await c.request('PUT', `${NS}/pods/s1`, {body: p});
    assert.equal(main.status, 200);
    assert.equal(main.json.status.phase, 'Pending');
    assert.equal(main.json.metadata.labels.x, '1');
    const st = main.json;
    st.status = {phase: 'Running', podIP: '10.1.2.3', conditions: [{type: 'Ready', status: 'True'}]};
    st.metadata.labels = {x: 'ignored'};
    const s = await c.request('PUT', `${NS}/pods/s1/status`, {body: st});
    assert.equal(s.status, 200);
    assert.equal(s.json.status.phase, 'Running');
    assert.equal(s.json.status.podIP, '10.1.2.3');
    assert.equal(s.json.metadata.labels.x, '1');
    const get = await c.request('GET', `${NS}/pods/s1/status`);
    assert.equal(get.json.status.phase, 'Running');
    const pst = await c.request('PATCH', `${NS}/pods/s1/status`, {body: {status: {phase: 'Succeeded'}, spec: {restartPolicy: 'Never'}},
      headers: {'Content-Type': 'application/merge-patch+json'}});
    assert.equal(pst.status, 200);
    assert.equal(pst.json.status.phase, 'Succeeded');
    assert.equal(pst.json.spec.restartPolicy, 'Always');
  });

  it('forbids pod spec changes other than images (422), allows image changes', async () => {
    const p = (await c.request('POST', `${NS}/pods`, {body: pod('i1')})).json;
    const img = JSON.parse(JSON.stringify(p));
    img.spec.containers[0].image = 'busybox:1.37';
    const ok = await c.request('PUT', `${NS}/pods/i1`, {body: img});
    assert.equal(ok.status, 200);
    assert.equal(ok.json.spec.containers[0].image, 'busybox:1.37');
    assert.equal(ok.json.metadata.generation, 2, 'a spec change bumps the generation');
    const bad = ok.json;
    bad.spec.restartPolicy = 'Never';
    const r = await c.request('PUT', `${NS}/pods/i1`, {body: bad});
    assert.equal(r.status, 422);
    assert.ok(r.json.message.startsWith('Pod "i1" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`'));
    assert.equal(r.json.details.causes[0].field, 'spec');
    const patch = await c.request('PATCH', `${NS}/pods/i1`, {body: {spec: {containers: [{name: 'c', ports: [{containerPort: 80}]}]}},
      headers: {'Content-Type': 'application/strategic-merge-patch+json'}});
    assert.equal(patch.status, 422);
  });

  it('checks the URL name, 404s missing objects, and makes a no-op update free', async () => {
    const p = (await c.request('POST', `${NS}/pods`, {body: pod('n1')})).json;
    const wrong = await c.request('PUT', `${NS}/pods/n2`, {body: p});
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.message, 'the name of the object (n1) does not match the name on the URL (n2)');
    const missing = await c.request('PUT', `${NS}/pods/zz`, {body: pod('zz')});
    assert.equal(missing.status, 404);
    const same = await c.request('PUT', `${NS}/pods/n1`, {body: p});
    assert.equal(same.json.metadata.resourceVersion, p.metadata.resourceVersion);
  });

  it('lets exactly one of two racing PUTs with the same RV win (HTTP/2 multiplexed)', async () => {
    const p = (await c.request('POST', `${NS}/pods`, {body: pod('race')})).json;
    const s = h2(sim);
    const puts = ['a', 'b', 'c', 'd'].map((v) => {
      const b = JSON.parse(JSON.stringify(p));
      b.metadata.labels = {session: v};
      return s.request('PUT', `${NS}/pods/race`, {body: b});
    });
    const codes = (await Promise.all(puts)).map((r) => r.status).sort();
    s.close();
    assert.deepEqual(codes, [200, 409, 409, 409]);
  });
});

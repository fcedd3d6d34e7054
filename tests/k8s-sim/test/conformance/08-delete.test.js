'use strict';
// Checklist 8: DELETE, pod grace rules, preconditions.
const {describe, it} = require('node:test');
const assert = require('node:assert/strict');
const {watch, pod, fixtureJSON, useSim, waitFor} = require('./client.js');

const NS = '/api/v1/namespaces/default';

describe('delete', () => {
  let sim;
  let c;
  useSim((s, client) => {
    sim = s;
    c = client;
  });
  const rvNow = async () => (await c.request('GET', `${NS}/pods`)).json.metadata.resourceVersion;

  it('deletes an unscheduled pod at once: 200 with the object, then DELETED', async () => {
    await c.request('POST', `${NS}/pods`, {body: pod('u')});
    const w = await watch(sim, `${NS}/pods?watch=1&resourceVersion=${await rvNow()}&timeoutSeconds=5`);
    const r = await c.request('DELETE', `${NS}/pods/u`);
    assert.equal(r.status, 200);
    assert.equal(r.json.kind, 'Pod');
    assert.equal(r.json.metadata.name, 'u');
    const e = await w.next(() => true);
    assert.equal(e.type, 'DELETED');
    assert.equal((await c.request('GET', `${NS}/pods/u`)).status, 404);
    w.close();
  });

  it('deletes a scheduled pod gracefully: deletionTimestamp + MODIFIED, later DELETED', async () => {
    await c.request('POST', `${NS}/pods`, {body: pod('g', {spec: {nodeName: 'node-1'}})});
    const w = await watch(sim, `${NS}/pods?watch=1&resourceVersion=${await rvNow()}&timeoutSeconds=10`);
    const t0 = Date.now();
    const r = await c.request('DELETE', `${NS}/pods/g`, {body: {gracePeriodSeconds: 1, propagationPolicy: 'Background'}});
    assert.equal(r.status, 200);
    assert.ok(r.json.metadata.deletionTimestamp);
    assert.equal(r.json.metadata.deletionGracePeriodSeconds, 1);
    const m = await w.next(() => true);
    assert.equal(m.type, 'MODIFIED');
    assert.equal(m.object.metadata.deletionGracePeriodSeconds, 1);
    assert.equal((await c.request('GET', `${NS}/pods/g`)).status, 200);
    const d = await w.next((e) => e.type === 'DELETED', 5000);
    assert.ok(Date.now() - t0 >= 900, 'the pod lived through its grace period');
    assert.equal(d.object.metadata.name, 'g');
    w.close();
  });

  it('uses terminationGracePeriodSeconds by default and 0 from the query string', async () => {
    await c.request('POST', `${NS}/pods`, {body: pod('t', {spec: {nodeName: 'node-1', terminationGracePeriodSeconds: 45}})});
    const r = await c.request('DELETE', `${NS}/pods/t`);
    assert.equal(r.json.metadata.deletionGracePeriodSeconds, 45);
    const again = await c.request('DELETE', `${NS}/pods/t?gracePeriodSeconds=0`);
    assert.equal(again.status, 200);
    assert.equal((await c.request('GET', `${NS}/pods/t`)).status, 404);
  });

  it('deletes finished pods at once whatever the grace period', async () => {
    await c.request('POST', `${NS}/pods`, {body: pod('done', {spec: {nodeName: 'node-1'}})});
    const cur = (await c.request('GET', `${NS}/pods/done`)).json;
    cur.status.phase = 'Succeeded';
    await c.request('PUT', `${NS}/pods/done/status`, {body: cur});
    const r = await c.request('DELETE', `${NS}/pods/done`, {body: {gracePeriodSeconds: 30}});
    assert.equal(r.status, 200);
    assert.equal((await c.request('GET', `${NS}/pods/done`)).status, 404);
  });

  it('checks uid and resourceVersion preconditions (409)', async () => {
    const p = (await c.request('POST', `${NS}/pods`, {body: pod('pre')})).json;
    const uid = await c.request('DELETE', `${NS}/pods/pre`, {body: {preconditions: {uid: 'other'}}});
    assert.equal(uid.status, 409);
    assert.equal(uid.json.reason, 'Conflict');
    assert.equal(uid.json.message, `Operation cannot be fulfilled on Pod "pre": the UID in the precondition (other) does not match ` +
      `the UID in record (${p.metadata.uid}). The object might have been deleted and then recreated`);
    const rv = await c.request('DELETE', `${NS}/pods/pre`, {body: {preconditions: {resourceVersion: '1'}}});
    assert.equal(rv.status, 409);
    const ok = await c.request('DELETE', `${NS}/pods/pre`, {body: {preconditions: {uid: p.metadata.uid, resourceVersion: p.metadata.resourceVersion}}});
    assert.equal(ok.status, 200);
  });

  it('answers a missing object with the real 404', async () => {
    const r = await c.request('DELETE', `${NS}/pods/iac-pod-xxx`);
    assert.equal(r.status, 404);
    assert.equal(r.text, JSON.stringify(fixtureJSON('status/404-pod-notfound.json')) + '\n');
  });

  it('returns a Success Status for resources that do not return the deleted object', async () => {
    const l = (await c.request('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', {body: {metadata: {name: 'l'}, spec: {}}})).json;
    const r = await c.request('DELETE', '/apis/coordination.k8s.io/v1/namespaces/default/leases/l');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
      details: {name: 'l', group: 'coordination.k8s.io', kind: 'leases', uid: l.metadata.uid}});
  });

  it('keeps an object with finalizers until the last one is removed', async () => {
    const L = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
    await c.request('POST', L, {body: {metadata: {name: 'fin', finalizers: ['prewarm.io/a', 'prewarm.io/b']}, spec: {}}});
    const w = await watch(sim, `${L}?watch=1&resourceVersion=${await rvNow()}&timeoutSeconds=5`);
    const d = await c.request('DELETE', `${L}/fin`);
    assert.equal(d.status, 200);
    assert.equal(d.json.kind, 'Lease');
    assert.ok(d.json.metadata.deletionTimestamp);
    assert.equal(d.json.metadata.deletionGracePeriodSeconds, 0);
    const add = await c.request('PATCH', `${L}/fin`, {body: {metadata: {finalizers: ['prewarm.io/a', 'prewarm.io/b', 'x/c']}},
      headers: {'Content-Type': 'application/merge-patch+json'}});
    assert.equal(add.status, 422);
    assert.match(add.json.message, /no new finalizers can be added if the object is being deleted, found new finalizers \[\]string\{"x\/c"\}/);
    const one = await c.request('PATCH', `${L}/fin`, {body: {metadata: {finalizers: ['prewarm.io/b']}},
      headers: {'Content-Type': 'application/merge-patch+json'}});
    assert.equal(one.status, 200);
    assert.equal((await c.request('GET', `${L}/fin`)).status, 200);
    const last = await c.request('PATCH', `${L}/fin`, {body: {metadata: {finalizers: null}},
      headers: {'Content-Type': 'application/merge-patch+json'}});
    assert.equal(last.status, 200);
    assert.equal((await c.request('GET', `${L}/fin`)).status, 404);
    await w.next((e) => e.type === 'DELETED');
    assert.deepEqual(w.events.map((e) => e.type), ['MODIFIED', 'MODIFIED', 'DELETED']);
    w.close();
  });

  it('holds a terminating pod for its finalizers after the grace period', async () => {
    await c.request('POST', `${NS}/pods`, {body: pod('pf', {metadata: {finalizers: ['prewarm.io/session']}, spec: {nodeName: 'node-1'}})});
    const d = await c.request('DELETE', `${NS}/pods/pf`, {body: {gracePeriodSeconds: 0}});
    assert.equal(d.status, 200);
    assert.equal(d.json.metadata.deletionGracePeriodSeconds, 0);
    assert.equal((await c.request('GET', `${NS}/pods/pf`)).status, 200);
    const r = await c.request('PATCH', `${NS}/pods/pf`, {body: [{op: 'remove', path: '/metadata/finalizers'}],
      headers: {'Content-Type': 'application/json-patch+json'}});
    assert.equal(r.status, 200);
    assert.equal((await c.request('GET', `${NS}/pods/pf`)).status, 404);
  });

  it('deletes a namespace with its contents', async () => {
    await c.request('POST', '/api/v1/namespaces', {body: {metadata: {name: 'gone'}}});
    await c.request('POST', '/api/v1/namespaces/gone/pods', {body: pod('x', {spec: {nodeName: 'node-1'}})});
    const r = await c.request('DELETE', '/api/v1/namespaces/gone');
    assert.equal(r.status, 200);
    assert.equal(r.json.status.phase, 'Terminating');
    await waitFor('the namespace to be removed',
                  async () => (await c.request('GET', '/api/v1/namespaces/gone')).status === 404, 3000);
    assert.equal((await c.request('GET', '/api/v1/namespaces/gone/pods/x')).status, 404);
  });
});

'use strict';
// Checklist 4: label selectors, the Pod field-selector whitelist, selectors on watches.
const {describe, it, before, after} = require('node:test');
const assert = require('node:assert/strict');
const {startSim, h1, watch, pod, fixtureWire, API_ONLY} = require('./client.js');

const NS = '/api/v1/namespaces/default';

describe('selectors', () => {
  let sim;
  let c;
  before(async () => {
    sim = await startSim({args: API_ONLY});
    c = h1(sim);
    const labels = {a: {app: 'web', tier: 'fe', n: '10'}, b: {app: 'db', n: '3'}, c: {n: 'x'}, d: {}};
    for (const [name, l] of Object.entries(labels)) {
      const spec = name === 'a' ? {nodeName: 'node-1', restartPolicy: 'Never'} : {};
      await c.request('POST', `${NS}/pods`, {body: pod(name, {metadata: {labels: l}, spec})});
    }
  });
  after(async () => {
    c.close();
    await sim.stop();
  });

  const names = async (q) => {
    const r = await c.request('GET', `${NS}/pods?${q}`);
    assert.equal(r.status, 200, r.text);
    return r.json.items.map((p) => p.metadata.name).join(',');
  };
  const ls = (s) => `labelSelector=${encodeURIComponent(s)}`;
  const fs = (s) => `fieldSelector=${encodeURIComponent(s)}`;

  it('supports every label operator; != and notin match a missing key', async () => {
    assert.equal(await names(ls('app=web')), 'a');
    assert.equal(await names(ls('app==db')), 'b');
    assert.equal(await names(ls('app!=web')), 'b,c,d');
    assert.equal(await names(ls('app in (web,db)')), 'a,b');
    assert.equal(await names(ls('app notin (web)')), 'b,c,d');
    assert.equal(await names(ls('app')), 'a,b');
    assert.equal(await names(ls('!app')), 'c,d');
    assert.equal(await names(ls('n>5')), 'a');
    assert.equal(await names(ls('n<5')), 'b');
    assert.equal(await names(ls('app=web,tier=fe')), 'a');
    assert.equal(await names(ls('app=web,tier!=fe')), '');
    assert.equal(await names(ls('')), 'a,b,c,d');
  });

  it('rejects a malformed label selector with 400', async () => {
    for (const bad of ['app in web', 'n>x', '=web', 'app=(']) {
      const r = await c.request('GET', `${NS}/pods?${ls(bad)}`);
      assert.equal(r.status, 400, bad);
      assert.equal(r.json.reason, 'BadRequest');
    }
  });

  it('filters on whitelisted pod fields', async () => {
    assert.equal(await names(fs('metadata.name=b')), 'b');
    assert.equal(await names(fs('metadata.name!=b')), 'a,c,d');
    assert.equal(await names(fs('spec.nodeName=node-1')), 'a');
    assert.equal(await names(fs('spec.host=node-1')), 'a');
    assert.equal(await names(fs('spec.nodeName=')), 'b,c,d');
    assert.equal(await names(fs('status.phase=Pending,spec.restartPolicy=Always')), 'b,c,d');
    assert.equal(await names(fs('metadata.namespace==default,spec.schedulerName=default-scheduler')), 'a,b,c,d');
    assert.equal(await names(`${fs('spec.nodeName=')}&${ls('n')}`), 'b,c');
  });

  it('rejects a field outside the whitelist with the real 400', async () => {
    const r = await c.request('GET', `${NS}/pods?${fs('metadata.nam=x')}`);
    assert.equal(r.status, 400);
    assert.equal(r.text, fixtureWire('status/400-fieldselector-unsupported.json'));
    const lease = await c.request('GET', `/apis/coordination.k8s.io/v1/namespaces/default/leases?${fs('spec.holderIdentity=x')}`);
    assert.equal(lease.status, 400);
    assert.equal(lease.json.message, 'field label not supported: spec.holderIdentity');
    const w = await c.request('GET', `${NS}/pods?watch=1&${fs('status.hostIP=1')}`);
    assert.equal(w.status, 400);
  });

  it('applies selectors to watches: leaving the selection is DELETED, entering it is ADDED', async () => {
    const rv = (await c.request('GET', `${NS}/pods`)).json.metadata.resourceVersion;
    const w = await watch(sim, `${NS}/pods?watch=1&resourceVersion=${rv}&${ls('pool=warm')}&timeoutSeconds=5`);
    const merge = {'Content-Type': 'application/merge-patch+json'};
    await c.request('PATCH', `${NS}/pods/d`, {body: {metadata: {labels: {pool: 'warm'}}}, headers: merge});
    await c.request('PATCH', `${NS}/pods/d`, {body: {metadata: {annotations: {x: '1'}}}, headers: merge});
    const out = await c.request('PATCH', `${NS}/pods/d`, {body: {metadata: {labels: {pool: 'bound'}}}, headers: merge});
    await c.request('PATCH', `${NS}/pods/c`, {body: {metadata: {labels: {other: '1'}}}, headers: merge});
    const last = await w.next((e) => e.type === 'DELETED');
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED d', 'MODIFIED d', 'DELETED d']);
    // The DELETED object is the last matching state, at the RV of the change.
    assert.equal(last.object.metadata.labels.pool, 'warm');
    assert.equal(last.object.metadata.resourceVersion, out.json.metadata.resourceVersion);
    w.close();
  });

  it('applies field selectors to watches of a single object', async () => {
    const rv = (await c.request('GET', `${NS}/pods`)).json.metadata.resourceVersion;
    const w = await watch(sim, `${NS}/pods?watch=1&resourceVersion=${rv}&${fs('metadata.name=b')}&timeoutSeconds=5`);
    const merge = {'Content-Type': 'application/merge-patch+json'};
    await c.request('PATCH', `${NS}/pods/a`, {body: {metadata: {labels: {t: '1'}}}, headers: merge});
    await c.request('PATCH', `${NS}/pods/b`, {body: {metadata: {labels: {t: '1'}}}, headers: merge});
    const e = await w.next(() => true);
    assert.equal(e.object.metadata.name, 'b');
    assert.equal(w.events.length, 1);
    w.close();
  });
});

'use strict';
// Checklist 2: resourceVersion / resourceVersionMatch rules for LIST.
const {describe, it, before, after} = require('node:test');
const assert = require('node:assert/strict');
const {startSim, h1, pod, fixtureWire, API_ONLY, waitFor} = require('./client.js');

const PODS = '/api/v1/namespaces/default/pods';

describe('periodic compaction', () => {
  it('expires an RV after one to two periods, like etcd', async () => {
    const sim = await startSim({args: [...API_ONLY, '--compact-every-ms', '150']});
    const c = h1(sim);
    try {
      const first = await c.request('POST', PODS, {body: pod('x')});
      const rv = first.json.metadata.resourceVersion;
      await c.request('POST', PODS, {body: pod('y')});
      const q = `${PODS}?resourceVersion=${rv}&resourceVersionMatch=Exact`;
      assert.equal((await c.request('GET', q)).status, 200, 'fresh RVs are served');
      const r = await waitFor('the RV to be compacted away',
                              async () => { const x = await c.request('GET', q); return x.status !== 200 && x; }, 5000);
      assert.equal(r.status, 410);
    } finally {
      c.close();
      await sim.stop();
    }
  });
});

describe('resourceVersionMatch', () => {
  let sim;
  let c;
  let rvAfterA;
  before(async () => {
    sim = await startSim({args: [...API_ONLY, '--too-large-wait-ms', '300']});
    c = h1(sim);
    const a = await c.request('POST', PODS, {body: pod('a')});
    rvAfterA = a.json.metadata.resourceVersion;
    await c.request('PATCH', `${PODS}/a`, {body: {metadata: {labels: {v: '2'}}},
      headers: {'Content-Type': 'application/merge-patch+json'}});
    await c.request('POST', PODS, {body: pod('b')});
  });
  after(async () => {
    c.close();
    await sim.stop();
  });

  async function invalid(query, causes) {
    const r = await c.request('GET', `${PODS}?${query}`);
    assert.equal(r.status, 422, r.text);
    assert.equal(r.json.reason, 'Invalid');
    assert.equal(r.json.details.group, 'meta.k8s.io');
    assert.equal(r.json.details.kind, 'ListOptions');
    assert.deepEqual(r.json.details.causes.map((x) => x.message), causes);
    return r;
  }

  it('refuses resourceVersionMatch without resourceVersion', async () => {
    const r = await invalid('resourceVersionMatch=NotOlderThan',
      ['Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided']);
    assert.equal(r.json.message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: ' +
      'resourceVersionMatch is forbidden unless resourceVersion is provided');
  });

  it('refuses resourceVersionMatch with continue', async () => {
    await invalid('resourceVersion=5&resourceVersionMatch=Exact&continue=abc',
      ['Forbidden: resourceVersionMatch is forbidden when continue is provided']);
  });

  it('refuses unknown match values (NotSupported)', async () => {
    const r = await invalid('resourceVersion=5&resourceVersionMatch=Newest',
      ['Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""']);
    assert.equal(r.json.details.causes[0].reason, 'FieldValueNotSupported');
  });

  it('refuses Exact with resourceVersion "0"', async () => {
    await invalid('resourceVersion=0&resourceVersionMatch=Exact',
      ['Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"']);
  });

  it('reports several violations together', async () => {
    const r = await invalid('resourceVersionMatch=Exact&continue=x',
      ['Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
        'Forbidden: resourceVersionMatch is forbidden when continue is provided']);
    assert.match(r.json.message, /is invalid: \[resourceVersionMatch: Forbidden: .*, resourceVersionMatch: Forbidden: .*\]$/);
  });

  it('refuses sendInitialEvents on a list with the real body', async () => {
    const r = await c.request('GET', `${PODS}?sendInitialEvents=false`);
    assert.equal(r.status, 422);
    assert.equal(r.text, fixtureWire('status/422-listoptions-invalid.json'));
  });

  it('serves Exact from a snapshot and NotOlderThan/0/unset from the latest state', async () => {
    const exact = await c.request('GET', `${PODS}?resourceVersion=${rvAfterA}&resourceVersionMatch=Exact`);
    assert.equal(exact.status, 200);
    assert.equal(exact.json.metadata.resourceVersion, rvAfterA);
    assert.deepEqual(exact.json.items.map((p) => [p.metadata.name, p.metadata.resourceVersion]), [['a', rvAfterA]]);
    assert.equal(exact.json.items[0].metadata.labels, undefined);
    // limit + RV=N without a match is Exact too.
    const limited = await c.request('GET', `${PODS}?resourceVersion=${rvAfterA}&limit=10`);
    assert.deepEqual(limited.json.items.map((p) => p.metadata.name), ['a']);
    for (const q of [`resourceVersion=${rvAfterA}&resourceVersionMatch=NotOlderThan`, 'resourceVersion=0',
      '', `resourceVersion=${rvAfterA}`]) {
      const r = await c.request('GET', `${PODS}?${q}`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json.items.map((p) => p.metadata.name), ['a', 'b'], q);
      assert.equal(r.json.items[0].metadata.labels.v, '2');
    }
  });

  it('answers an Exact list below the compaction point with 410', async () => {
    const cur = (await c.request('GET', PODS)).json.metadata.resourceVersion;
    await c.request('POST', '/_sim/compact', {body: {rv: cur}});
    const r = await c.request('GET', `${PODS}?resourceVersion=${rvAfterA}&resourceVersionMatch=Exact`);
    assert.equal(r.status, 410);
    assert.equal(r.json.reason, 'Expired');
    assert.equal(r.json.message, 'The resourceVersion for the provided list is too old.');
  });
});

'use strict';
// Checklist 10: Leases (GET/CREATE/PUT with RV, races, MicroTime).
const {describe, it} = require('node:test');
const assert = require('node:assert/strict');
const {h2, useSim} = require('./client.js');

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe('leases', () => {
  let sim;
  let c;
  useSim((s, client) => {
    sim = s;
    c = client;
  });

  const lease = (name, holder, extra = {}) => ({apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: {name},
    spec: {holderIdentity: holder, leaseDurationSeconds: 15, acquireTime: '2024-06-11T04:19:37.976706Z',
      renewTime: '2024-06-11T04:19:37.976706Z', leaseTransitions: 0, ...extra}});

  it('creates, gets and updates a Lease with its resourceVersion', async () => {
    const cr = await c.request('POST', LEASES, {body: lease('pool-a', 'replica-1')});
    assert.equal(cr.status, 201);
    assert.equal(cr.json.kind, 'Lease');
    assert.equal(cr.json.apiVersion, 'coordination.k8s.io/v1');
    assert.equal(cr.json.spec.acquireTime, '2024-06-11T04:19:37.976706Z');
    const g = await c.request('GET', `${LEASES}/pool-a`);
    assert.deepEqual(g.json, cr.json);
    const next = g.json;
    // MicroTime takes exactly six fractional digits (Go's layout ".000000"), as the real apiserver.
    next.spec.renewTime = '2024-06-11T04:19:39.5Z';
    const short = await c.request('PUT', `${LEASES}/pool-a`, {body: next});
    assert.equal(short.status, 400);
    assert.equal(short.json.message, 'Lease in version "v1" cannot be handled as a Lease: parsing time "2024-06-11T04:19:39.5Z" ' +
                 'as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".5Z" as ".000000"');
    next.spec.renewTime = '2024-06-11T04:19:39.500000Z';
    const up = await c.request('PUT', `${LEASES}/pool-a`, {body: next});
    assert.equal(up.status, 200);
    assert.equal(up.json.spec.renewTime, '2024-06-11T04:19:39.500000Z');
    const stale = await c.request('PUT', `${LEASES}/pool-a`, {body: next});
    assert.equal(stale.status, 409);
    assert.deepEqual(stale.json.details, {name: 'pool-a', group: 'coordination.k8s.io', kind: 'leases'});
    assert.equal(stale.json.message, 'Operation cannot be fulfilled on leases.coordination.k8s.io "pool-a": the object has been modified; please apply your changes to the latest version and try again');
    const list = await c.request('GET', LEASES);
    assert.equal(list.json.kind, 'LeaseList');
    assert.equal(list.json.apiVersion, 'coordination.k8s.io/v1');
  });

  it('writes MicroTime with exactly 6 fractional digits in UTC', async () => {
    const r = await c.request('POST', LEASES, {body: lease('mt', 'x', {acquireTime: '2024-06-11T06:19:37.000000+02:00', renewTime: '2024-06-11T04:19:37.123456Z'})});
    assert.equal(r.status, 201, r.text);
    assert.match(r.json.spec.acquireTime, MICRO);
    assert.equal(r.json.spec.acquireTime, '2024-06-11T04:19:37.000000Z');
    assert.equal(r.json.spec.renewTime, '2024-06-11T04:19:37.123456Z');
    for (const [t, why] of [['2024-06-11T06:19:37+02:00', 'cannot parse "+02:00" as ".000000"'],
      ['2024-06-11T04:19:37.123456789Z', 'cannot parse "789Z" as "Z07:00"']]) {
      const loose = await c.request('POST', LEASES, {body: lease('loose', 'x', {renewTime: t})});
      assert.equal(loose.status, 400);
      assert.ok(loose.json.message.endsWith(why), loose.json.message);
    }
    const bad = await c.request('POST', LEASES, {body: lease('bad', 'x', {renewTime: 'yesterday'})});
    assert.equal(bad.status, 400);
  });

  it('lets exactly one of two racing electors create the Lease', async () => {
    const s = h2(sim);
    const [a, b] = await Promise.all([s.request('POST', LEASES, {body: lease('race', 'one')}),
      s.request('POST', LEASES, {body: lease('race', 'two')})]);
    assert.deepEqual([a.status, b.status].sort(), [201, 409]);
    const loser = a.status === 409 ? a : b;
    assert.equal(loser.json.reason, 'AlreadyExists');
    assert.equal(loser.json.message, 'leases.coordination.k8s.io "race" already exists');
    s.close();
  });

  it('lets exactly one of two racing electors take over an expired Lease', async () => {
    const cur = (await c.request('GET', `${LEASES}/race`)).json;
    const s = h2(sim);
    const take = (who) => {
      const l = JSON.parse(JSON.stringify(cur));
      l.spec.holderIdentity = who;
      l.spec.leaseTransitions += 1;
      return s.request('PUT', `${LEASES}/race`, {body: l});
    };
    const res = await Promise.all([take('three'), take('four')]);
    assert.deepEqual(res.map((r) => r.status).sort(), [200, 409]);
    const winner = res.find((r) => r.status === 200).json.spec.holderIdentity;
    assert.equal((await c.request('GET', `${LEASES}/race`)).json.spec.holderIdentity, winner);
    s.close();
  });
});

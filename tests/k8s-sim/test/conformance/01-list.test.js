'use strict';
// Checklist 1: LIST shape, paging, continue tokens.
const {describe, it, before, after} = require('node:test');
const assert = require('node:assert/strict');
const {startSim, h1, h2, pod, fixtureWire, API_ONLY} = require('./client.js');

describe('list', () => {
  let sim;
  let c;
  before(async () => {
    sim = await startSim({args: API_ONLY});
    c = h1(sim);
    await c.request('POST', '/api/v1/namespaces', {body: {metadata: {name: 'paging'}}});
    for (const n of ['p1', 'p2', 'p3', 'p4', 'p5']) {
      const r = await c.request('POST', '/api/v1/namespaces/paging/pods', {body: pod(n, {metadata: {labels: {app: 'x'}}})});
      assert.equal(r.status, 201);
    }
  });
  after(async () => {
    c.close();
    await sim.stop();
  });

  it('returns a PodList with compact JSON, a trailing newline and kind-less items', async () => {
    const r = await c.request('GET', '/api/v1/namespaces/paging/pods');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['cache-control'], 'no-cache, private');
    assert.match(r.headers['audit-id'], /^[0-9a-f-]{36}$/);
    assert.ok(r.headers['x-kubernetes-pf-flowschema-uid']);
    assert.ok(r.headers['x-kubernetes-pf-prioritylevel-uid']);
    assert.equal(r.text, JSON.stringify(r.json) + '\n');
    assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.text));
    assert.equal(r.json.kind, 'PodList');
    assert.equal(r.json.apiVersion, 'v1');
    assert.match(r.json.metadata.resourceVersion, /^[0-9]+$/);
    assert.deepEqual(Object.keys(r.text.startsWith('{') ? r.json : {}), ['kind', 'apiVersion', 'metadata', 'items']);
    assert.deepEqual(r.json.items.map((p) => p.metadata.name), ['p1', 'p2', 'p3', 'p4', 'p5']);
    for (const it of r.json.items) {
      assert.equal(it.kind, undefined);
      assert.equal(it.apiVersion, undefined);
    }
  });

  it('keeps a caller-supplied Audit-ID', async () => {
    const r = await c.request('GET', '/api/v1/namespaces/paging/pods', {headers: {'Audit-ID': 'trace-123'}});
    assert.equal(r.headers['audit-id'], 'trace-123');
  });

  it('lists all namespaces at /api/v1/pods, the same over HTTP/2', async () => {
    const a = await c.request('GET', '/api/v1/pods');
    const s = h2(sim);
    const b = await s.request('GET', '/api/v1/pods');
    s.close();
    assert.equal(b.status, 200);
    assert.equal(b.headers['content-type'], 'application/json');
    assert.equal(a.json.items.length, 5);
    assert.equal(b.text, a.text);
  });

  it('pages with limit/continue/remainingItemCount at one resourceVersion', async () => {
    const p1 = await c.request('GET', '/api/v1/namespaces/paging/pods?limit=2');
    assert.deepEqual(p1.json.items.map((p) => p.metadata.name), ['p1', 'p2']);
    assert.equal(p1.json.metadata.remainingItemCount, 3);
    assert.ok(p1.json.metadata.continue);
    const rv = p1.json.metadata.resourceVersion;
    // A write between pages must not show up in later pages.
    await c.request('POST', '/api/v1/namespaces/paging/pods', {body: pod('p6')});
    await c.request('DELETE', '/api/v1/namespaces/paging/pods/p3');
    const p2 = await c.request('GET', `/api/v1/namespaces/paging/pods?limit=2&continue=${p1.json.metadata.continue}`);
    assert.equal(p2.status, 200);
    assert.deepEqual(p2.json.items.map((p) => p.metadata.name), ['p3', 'p4']);
    assert.equal(p2.json.metadata.resourceVersion, rv);
    assert.equal(p2.json.metadata.remainingItemCount, 1);
    const p3 = await c.request('GET', `/api/v1/namespaces/paging/pods?limit=2&continue=${p2.json.metadata.continue}`);
    assert.deepEqual(p3.json.items.map((p) => p.metadata.name), ['p5']);
    assert.equal(p3.json.metadata.continue, undefined);
    assert.equal(p3.json.metadata.remainingItemCount, undefined);
    assert.equal(p3.json.metadata.resourceVersion, rv);
    const now = await c.request('GET', '/api/v1/namespaces/paging/pods');
    assert.deepEqual(now.json.items.map((p) => p.metadata.name), ['p1', 'p2', 'p4', 'p5', 'p6']);
  });

  it('omits remainingItemCount for filtered pages', async () => {
    const r = await c.request('GET', '/api/v1/namespaces/paging/pods?limit=1&labelSelector=app%3Dx');
    assert.equal(r.json.items.length, 1);
    assert.ok(r.json.metadata.continue);
    assert.equal(r.json.metadata.remainingItemCount, undefined);
  });

  it('answers an expired continue token with 410 and an inconsistent-continue token', async () => {
    const p1 = await c.request('GET', '/api/v1/namespaces/paging/pods?limit=2');
    await c.request('POST', '/api/v1/namespaces/paging/pods', {body: pod('p7')});
    const cr = await c.request('POST', '/_sim/compact', {body: {}});
    assert.equal(cr.status, 200);
    const r = await c.request('GET', `/api/v1/namespaces/paging/pods?limit=2&continue=${p1.json.metadata.continue}`);
    assert.equal(r.status, 410);
    assert.equal(r.json.reason, 'Expired');
    assert.equal(r.json.code, 410);
    assert.match(r.json.message, /^The provided continue parameter is too old to display a consistent list result\. /);
    assert.ok(r.json.metadata.continue);
    const again = await c.request('GET', `/api/v1/namespaces/paging/pods?limit=10&continue=${r.json.metadata.continue}`);
    assert.equal(again.status, 200);
    assert.deepEqual(again.json.items.map((p) => p.metadata.name), ['p4', 'p5', 'p6', 'p7']);
  });

  it('rejects a garbage continue token with the real 400', async () => {
    const token = Buffer.from('invalid').toString('base64url');
    const r = await c.request('GET', `/api/v1/namespaces/paging/pods?limit=2&continue=${token}`);
    assert.equal(r.status, 400);
    assert.equal(r.text, fixtureWire('status/400-invalid-continue-token.json'));
    const bad = await c.request('GET', '/api/v1/namespaces/paging/pods?limit=2&continue=%25%25');
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /^invalid continue token: continue key is not valid: illegal base64 data at input byte 0$/);
  });

  it('gzips bodies over 128 KiB only for clients that accept gzip', async () => {
    const zlib = require('node:zlib');
    await c.request('POST', '/api/v1/namespaces', {body: {metadata: {name: 'big'}}});
    for (let i = 0; i < 3; i++) {
      await c.request('POST', '/api/v1/namespaces/big/pods', {body: pod(`b${i}`, {metadata: {annotations: {blob: 'x'.repeat(60000)}}})});
    }
    const plain = await c.request('GET', '/api/v1/namespaces/big/pods');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.json.items.length, 3);
    const https = require('node:https');
    const raw = await new Promise((resolve, reject) => {
      const u = new URL('/api/v1/namespaces/big/pods', sim.server);
      https.get({host: u.hostname, port: u.port, path: u.pathname, ca: sim.caPem,
        headers: {Authorization: `Bearer ${sim.token}`, 'Accept-Encoding': 'gzip'}}, (res) => {
        const chunks = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => resolve({headers: res.headers, body: Buffer.concat(chunks)}));
      }).on('error', reject);
    });
    assert.equal(raw.headers['content-encoding'], 'gzip');
    assert.equal(zlib.gunzipSync(raw.body).toString(), plain.text);
    const small = await c.request('GET', '/api/v1/namespaces/paging/pods', {headers: {'Accept-Encoding': 'gzip'}});
    assert.equal(small.headers['content-encoding'], undefined);
  });

  it('rejects resourceVersion together with continue (400)', async () => {
    const p1 = await c.request('GET', '/api/v1/namespaces/paging/pods?limit=1');
    const r = await c.request('GET', `/api/v1/namespaces/paging/pods?limit=1&resourceVersion=${p1.json.metadata.resourceVersion}&continue=${p1.json.metadata.continue}`);
    assert.equal(r.status, 400);
    assert.equal(r.json.message, 'specifying resource version is not allowed when using continue');
    const zero = await c.request('GET', `/api/v1/namespaces/paging/pods?limit=1&resourceVersion=0&continue=${p1.json.metadata.continue}`);
    assert.equal(zero.status, 200);
  });
});

'use strict';
// Checklist 9: 429 with Retry-After and a plain-text body (fault injection),
// 504 Too large resource version with Retry-After: 1.
const {describe, it, before, after} = require('node:test');
const assert = require('node:assert/strict');
const {startSim, h1, pod, API_ONLY} = require('./client.js');

const NS = '/api/v1/namespaces/default';

describe('retry signals', () => {
  let sim;
  let c;
  before(async () => {
    sim = await startSim({args: [...API_ONLY, '--too-large-wait-ms', '400']});
    c = h1(sim);
  });
  after(async () => {
    c.close();
    await sim.stop();
  });

  it('answers an injected APF rejection as plain-text 429 with Retry-After', async () => {
    const f = await c.request('POST', '/_sim/faults', {body: {match: {verb: 'list', resource: 'pods'}, code: 429, retryAfter: 2, count: 1}});
    assert.equal(f.status, 201, f.text);
    const r = await c.request('GET', `${NS}/pods`);
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '2');
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.text, 'Too many requests, please try again later.\n');
    const again = await c.request('GET', `${NS}/pods`);
    assert.equal(again.status, 200);
  });

  it('answers a list or get at a future resourceVersion with 504 after the wait', async () => {
    await c.request('POST', `${NS}/pods`, {body: pod('a')});
    const cur = Number((await c.request('GET', `${NS}/pods`)).json.metadata.resourceVersion);
    const want = cur + 1000;
    const t0 = Date.now();
    const r = await c.request('GET', `${NS}/pods?resourceVersion=${want}&resourceVersionMatch=NotOlderThan`);
    assert.ok(Date.now() - t0 >= 350, 'the server waited before giving up');
    assert.equal(r.status, 504);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(r.text, JSON.stringify({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: `Timeout: Too large resource version: ${want}, current: ${cur}`, reason: 'Timeout',
      details: {causes: [{reason: 'ResourceVersionTooLarge', message: 'Too large resource version'}], retryAfterSeconds: 1},
      code: 504}) + '\n');
    const g = await c.request('GET', `${NS}/pods/a?resourceVersion=${want}`);
    assert.equal(g.status, 504);
    assert.equal(g.json.reason, 'Timeout');
  });

  it('answers as soon as the store reaches the requested resourceVersion', async () => {
    const cur = Number((await c.request('GET', `${NS}/pods`)).json.metadata.resourceVersion);
    const pending = c.request('GET', `${NS}/pods?resourceVersion=${cur + 1}`);
    await c.request('POST', `${NS}/pods`, {body: pod('b')});
    const r = await pending;
    assert.equal(r.status, 200);
    assert.ok(r.json.items.some((p) => p.metadata.name === 'b'));
  });
});

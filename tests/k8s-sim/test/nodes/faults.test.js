'use strict';
// Fault injection over real HTTPS: 429 body and Retry-After, 5xx Status
// bodies, latency, rate and count, dropped watches, forced compaction (410),
// outages (refuse, 503), connection resets, and connection statistics.

const test = require('node:test');
const assert = require('node:assert/strict');
const https = require('node:https');
const {startSim, waitFor, podManifest} = require('./harness.js');

const PODS = '/api/v1/namespaces/default/pods';

test('faults', {timeout: 60000}, async (t) => {
  const sim = await startSim(['--nodes', '2', '--fault-seed', '11']);
  t.after(() => sim.stop());
  const addRule = async (rule) => {
    const r = await sim.ctl('POST', 'faults', rule);
    assert.equal(r.status, 201, r.text);
    return r.json.rules[0];
  };
  t.beforeEach(async () => {
    assert.equal((await sim.ctl('DELETE', 'faults')).status, 200);
  });
  assert.equal((await sim.request('POST', PODS, {body: podManifest('p0')})).status, 201);

  await t.test('429: APF plain-text body, Retry-After, count', async () => {
    await addRule({match: {verb: 'list', resource: 'pods'}, code: 429, count: 1});
    const r = await sim.request('GET', PODS);
    assert.equal(r.status, 429);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.text, 'Too many requests, please try again later.\n');
    assert.equal((await sim.request('GET', PODS)).status, 200, 'count 1: the next request passes');
    await addRule({match: {verb: 'get'}, code: 429, retryAfter: 5, count: 1});
    const g = await sim.request('GET', `${PODS}/p0`);
    assert.equal(g.headers['retry-after'], '5');
    assert.equal((await sim.request('GET', PODS)).status, 200, 'a list does not match verb get');
  });

  await t.test('500 and 503 answer with Status JSON', async () => {
    await addRule({match: {resource: 'pods', verb: 'create'}, code: 500, count: 1});
    let r = await sim.request('POST', PODS, {body: podManifest('p1')});
    assert.equal(r.status, 500);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.ok(r.text.endsWith('}\n'));
    assert.deepEqual(r.json, {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
                              message: 'Internal error occurred: injected fault', reason: 'InternalError',
                              details: {causes: [{message: 'injected fault'}]}, code: 500});
    assert.equal((await sim.request('GET', `${PODS}/p1`)).status, 404, 'the faulted create did not happen');
    await addRule({code: 503, retryAfter: 2, count: 1});
    r = await sim.request('GET', '/api/v1/nodes');
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '2');
    assert.equal(r.json.reason, 'ServiceUnavailable');
    assert.equal(r.json.details.retryAfterSeconds, 2);
  });

  await t.test('latency delays matching requests only', async () => {
    await addRule({match: {verb: 'get', resource: 'pods'}, latencyMs: 200, jitterMs: 50});
    const t0 = Date.now();
    const r = await sim.request('GET', `${PODS}/p0`);
    assert.equal(r.status, 200);
    assert.ok(Date.now() - t0 >= 195, `delayed ${Date.now() - t0} ms`);
    await sim.request('GET', '/api/v1/nodes');
    await sim.request('GET', PODS);
    const rules = (await sim.ctl('GET', 'faults')).json.rules;
    assert.equal(rules[0].fired, 1, 'lists did not match verb get on pods');
  });

  await t.test('rate applies per request', async () => {
    await addRule({match: {verb: 'get', name: 'p0'}, code: 500, rate: 0.3});
    let failed = 0;
    for (let i = 0; i < 100; i++) if ((await sim.request('GET', `${PODS}/p0`)).status === 500) failed++;
    assert.ok(failed >= 12 && failed <= 50, `${failed} of 100 failed at rate 0.3`);
    const rules = (await sim.ctl('GET', 'faults')).json.rules;
    assert.equal(rules[0].fired, failed);
  });

  await t.test('bad rules are refused with a reason', async () => {
    let r = await sim.ctl('POST', 'faults', {code: 429, bogus: 1});
    assert.equal(r.status, 400);
    assert.match(r.json.error, /unknown fault rule field "bogus"/);
    r = await sim.ctl('POST', 'faults', {match: {verb: 'fetch'}, code: 500});
    assert.match(r.json.error, /unknown verb "fetch"/);
    r = await sim.ctl('POST', 'faults', {rate: 2, code: 500});
    assert.match(r.json.error, /"rate" must be a number/);
    r = await sim.request('POST', '/_sim/faults', {body: '{not json'});
    assert.equal(r.status, 400);
  });

  await t.test('dropped watches end cleanly; a fraction of 0 drops none', async () => {
    const evs = [[], []];
    const w = [0, 1].map((i) => sim.watch(`${PODS}?watch=1`, (e) => evs[i].push(e)));
    await waitFor('two watches with their ADDED', async () => evs.every((e) => e.length >= 1) &&
      (await sim.ctl('GET', 'stats')).json.watches.open === 2);
    let r = await sim.ctl('POST', 'watches/drop', {fraction: 0});
    assert.deepEqual(r.json, {dropped: 0, open: 2});
    r = await sim.ctl('POST', 'watches/drop', {});
    assert.equal(r.json.dropped, 2);
    for (const x of w) {
      const end = await x.done;
      assert.equal(end.status, 200);
      assert.equal(end.error, undefined);
    }
  });

  await t.test('watch drops by resource, and abrupt resets on HTTP/1.1 and HTTP/2', async () => {
    const seen = {pods: 0, nodes: 0};
    const wp = sim.watch(`${PODS}?watch=1`, () => { seen.pods++; });
    const wn = sim.watch('/api/v1/nodes?watch=1', () => { seen.nodes++; });
    const h2 = sim.h2session().request({':method': 'GET', ':path': `${PODS}?watch=1`, authorization: `Bearer ${sim.token}`});
    let h2data = 0;
    h2.on('data', () => { h2data++; });
    const h2end = new Promise((resolve) => {
      h2.on('error', (e) => resolve(e));
      h2.on('end', () => resolve(null));
    });
    await waitFor('three watches', async () => seen.pods > 0 && seen.nodes > 0 && h2data > 0 &&
      (await sim.ctl('GET', 'stats')).json.watches.open === 3);
    let r = await sim.ctl('POST', 'watches/drop', {resource: 'nodes'});
    assert.equal(r.json.dropped, 1);
    const endNodes = await wn.done;
    assert.equal(endNodes.error, undefined, 'a clean end');
    r = await sim.ctl('POST', 'watches/drop', {abrupt: true});
    assert.equal(r.json.dropped, 2);
    const endPods = await wp.done;
    assert.ok(endPods.error, 'HTTP/1.1 watch cut without the final chunk');
    const e2 = await h2end;
    assert.ok(e2, 'HTTP/2 watch reset');
    assert.equal(e2.code, 'ERR_HTTP2_STREAM_ERROR');
    assert.match(e2.message, /NGHTTP2_INTERNAL_ERROR/);
    await waitFor('no open watch', async () => (await sim.ctl('GET', 'stats')).json.watches.open === 0);
    assert.equal((await sim.ctl('POST', 'watches/drop', {fraction: 3})).status, 400);
  });

  await t.test('forced compaction: old RVs get 410 on watch and exact list', async () => {
    const created = await sim.request('POST', PODS, {body: podManifest('c1')});
    const oldRV = created.json.metadata.resourceVersion;
    await sim.request('PATCH', `${PODS}/c1`, {body: {metadata: {labels: {x: '1'}}}, contentType: 'application/merge-patch+json'});
    const r = await sim.ctl('POST', 'compact', {});
    assert.equal(r.status, 200);
    const evs = [];
    const w = sim.watch(`${PODS}?watch=1&resourceVersion=${oldRV}`, (e) => evs.push(e));
    const end = await w.done;
    assert.equal(end.status, 200);
    assert.equal(evs.length, 1);
    assert.equal(evs[0].type, 'ERROR');
    assert.equal(evs[0].object.code, 410);
    assert.equal(evs[0].object.reason, 'Expired');
    const l = await sim.request('GET', `${PODS}?resourceVersion=${oldRV}&resourceVersionMatch=Exact`);
    assert.equal(l.status, 410);
    assert.equal((await sim.ctl('POST', 'compact', {rv: 'x'})).status, 400);
  });

  await t.test('outage 503: every API request fails until it ends; /_sim/ still works', async () => {
    assert.equal((await sim.ctl('POST', 'outage', {ms: 30000, mode: '503'})).status, 200);
    const r = await sim.request('GET', PODS);
    assert.equal(r.status, 503);
    assert.equal(r.json.reason, 'ServiceUnavailable');
    assert.ok(Number(r.headers['retry-after']) >= 1);
    assert.equal((await sim.request('GET', '/version')).status, 503);
    assert.equal((await sim.ctl('DELETE', 'outage')).status, 200);
    assert.equal((await sim.request('GET', PODS)).status, 200);
  });

  await t.test('outage refuse: connections refused, then the same port serves again', async () => {
    // Long enough that the first request after the POST lands inside it on
    // a busy machine; the test waits for the port to serve again.
    assert.equal((await sim.ctl('POST', 'outage', {ms: 3000, mode: 'refuse'})).status, 200);
    const agent = new https.Agent({keepAlive: false, ca: sim.ca});
    // A request already in flight when the listener goes is reset; then connects are refused.
    const err = await waitFor('connection refused', async () => {
      try {
        await sim.request('GET', PODS, {agent});
        return null;
      } catch (e) {
        return e.code === 'ECONNREFUSED' ? e : null;
      }
    }, 2500);
    assert.equal(err.code, 'ECONNREFUSED');
    const back = await waitFor('API back', async () => (await sim.request('GET', PODS, {agent})).status === 200, 30000);
    assert.ok(back);
    agent.destroy();
  });

  await t.test('outage reset: connections accepted then reset until it ends', async () => {
    assert.equal((await sim.ctl('POST', 'outage', {ms: 3000, mode: 'reset'})).status, 200);
    const agent = new https.Agent({keepAlive: false, ca: sim.ca});
    const err = await waitFor('connection reset', async () => {
      try {
        await sim.request('GET', PODS, {agent});
        return null;
      } catch (e) {
        return e;
      }
    }, 2500);
    assert.ok(err.code === 'ECONNRESET' || /socket hang up|disconnected/.test(err.message), err.message);
    await waitFor('API back', async () => (await sim.request('GET', PODS, {agent})).status === 200, 30000);
    agent.destroy();
  });

  await t.test('reset rule destroys the connection', async () => {
    await addRule({match: {name: 'p0'}, reset: true, count: 1});
    const agent = new https.Agent({keepAlive: false, ca: sim.ca});
    await assert.rejects(sim.request('GET', `${PODS}/p0`, {agent}), (e) => ['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE'].includes(e.code) ||
      /socket hang up/.test(e.message));
    assert.equal((await sim.request('GET', `${PODS}/p0`, {agent})).status, 200);
    agent.destroy();
  });

  await t.test('stats count requests by verb, code and connections by HTTP version', async () => {
    await sim.ctl('POST', 'stats/reset');
    for (let i = 0; i < 10; i++) assert.equal((await sim.request2('GET', `${PODS}/p0`)).status, 200);
    const agent = new https.Agent({keepAlive: true, maxSockets: 1, ca: sim.ca});
    for (let i = 0; i < 5; i++) assert.equal((await sim.request('GET', PODS, {agent})).status, 200);
    agent.destroy();
    assert.equal((await sim.request('GET', `${PODS}/none`)).status, 404);
    const s = (await sim.ctl('GET', 'stats')).json;
    assert.equal(s.requests, 16);
    assert.equal(s.byHttpVersion['2'], 10);
    assert.equal(s.byHttpVersion['1.1'], 6);
    assert.equal(s.byRequest['get pods 200'], 10);
    assert.equal(s.byRequest['list pods 200'], 5);
    assert.equal(s.byRequest['get pods 404'], 1);
    assert.equal(s.connections.http2, 1, 'ten h2 requests share one connection');
    assert.equal(s.connections.http1, 2, 'one keep-alive connection plus the harness agent');
    assert.equal(s.inflight, 0);
  });
});

test('--faults sets rules at start; bad option values stop the simulator with a message', async (t) => {
  const sim = await startSim(['--nodes', '1', '--faults', JSON.stringify([{match: {verb: 'list', resource: 'pods'}, code: 503, count: 1}])]);
  t.after(() => sim.stop());
  const r = await sim.request('GET', PODS);
  assert.equal(r.status, 503);
  assert.equal((await sim.request('GET', PODS)).status, 200);
  await assert.rejects(startSim(['--faults', '{bad']), /exited \(2\) before its greeting; stderr:\n.*faults: --faults is not JSON/s);
  await assert.rejects(startSim(['--pull-delay', 'gamma:3']), /kubelet: bad delay distribution "gamma:3"/);
});

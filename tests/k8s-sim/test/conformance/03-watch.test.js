'use strict';
// Checklist 3: WATCH wire format and semantics.
const {describe, it, before, after} = require('node:test');
const assert = require('node:assert/strict');
const {startSim, h1, watch, pod, fixtureJSON, API_ONLY, waitFor} = require('./client.js');

const NS = '/api/v1/namespaces/default';

describe('watch', () => {
  let sim;
  let c;
  before(async () => {
    sim = await startSim({args: [...API_ONLY, '--bookmark-interval-ms', '150']});
    c = h1(sim);
    for (const n of ['w1', 'w2']) await c.request('POST', `${NS}/pods`, {body: pod(n)});
  });
  after(async () => {
    c.close();
    await sim.stop();
  });

  const rvNow = async () => (await c.request('GET', `${NS}/pods`)).json.metadata.resourceVersion;

  it('streams chunked application/json, one compact event per line, ADDED for existing objects', async () => {
    const w = await watch(sim, `${NS}/pods?watch=true&timeoutSeconds=1`);
    assert.equal(w.status, 200);
    assert.equal(w.headers['content-type'], 'application/json');
    assert.equal(w.headers['transfer-encoding'], 'chunked');
    assert.ok(w.headers['audit-id']);
    await w.ended;
    const text = w.chunks.join('');
    assert.ok(text.endsWith('\n'));
    const lines = text.split('\n').slice(0, -1);
    assert.equal(lines.length, 2);
    for (const l of lines) {
      const e = JSON.parse(l);
      assert.equal(l, JSON.stringify(e));
      assert.equal(e.type, 'ADDED');
      assert.deepEqual(Object.keys(e.object).slice(0, 3), ['kind', 'apiVersion', 'metadata']);
      assert.equal(e.object.kind, 'Pod');
      assert.equal(e.object.apiVersion, 'v1');
    }
    // Both initial events were produced together, so they were flushed as one chunk.
    assert.equal(w.chunks.length, 1);
  });

  it('frames HTTP/1.1 watch bytes like the recorded apiserver stream', async () => {
    const tls = require('node:tls');
    const fs = require('node:fs');
    const path = require('node:path');
    const {FIXTURES} = require('./client.js');
    const real = fs.readFileSync(path.join(FIXTURES, 'watch/watch-http11-chunked-serviceaccount.http'), 'latin1');
    const u = new URL(sim.server);
    const raw = await new Promise((resolve, reject) => {
      const sock = tls.connect({host: u.hostname, port: Number(u.port), ca: sim.caPem, ALPNProtocols: ['http/1.1']}, () => {
        sock.write(`GET /api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1 HTTP/1.1\r\nHost: ${u.host}\r\n` +
          `Authorization: Bearer ${sim.token}\r\nAccept: application/json\r\nConnection: close\r\n\r\n`);
      });
      let data = '';
      sock.on('data', (d) => { data += d.toString('latin1'); });
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
    });
    const [head, body] = raw.split('\r\n\r\n', 2).length === 2 ? [raw.slice(0, raw.indexOf('\r\n\r\n')), raw.slice(raw.indexOf('\r\n\r\n') + 4)] : [raw, ''];
    const realHead = real.slice(0, real.indexOf('\r\n\r\n')).split('\r\n');
    assert.equal(head.split('\r\n')[0], realHead[0]);
    for (const name of realHead.slice(1).map((l) => l.split(':')[0])) {
      assert.match(head, new RegExp(`^${name}: `, 'm'), `header ${name}`);
    }
    assert.match(head, /^Content-Type: application\/json$/m);
    assert.match(head, /^Cache-Control: no-cache, private$/m);
    // Chunks: hex size, CRLF, events each ending in \n, CRLF; then the zero chunk.
    let rest = body;
    const events = [];
    for (;;) {
      const m = /^([0-9a-f]+)\r\n/.exec(rest);
      assert.ok(m, `chunk header in ${JSON.stringify(rest.slice(0, 40))}`);
      const n = parseInt(m[1], 16);
      rest = rest.slice(m[0].length);
      if (n === 0) { assert.equal(rest, '\r\n'); break; }
      const chunk = rest.slice(0, n);
      assert.ok(chunk.endsWith('\n'));
      events.push(...chunk.split('\n').slice(0, -1).map((l) => JSON.parse(l)));
      assert.equal(rest.slice(n, n + 2), '\r\n');
      rest = rest.slice(n + 2);
    }
    assert.ok(events.length >= 2 && events.every((e) => e.type === 'ADDED'));
  });

  it('sends ADDED for RV=0 and nothing initial for RV=N, then MODIFIED and DELETED', async () => {
    const zero = await watch(sim, `${NS}/pods?watch=1&resourceVersion=0&timeoutSeconds=1`);
    const rv = await rvNow();
    const n = await watch(sim, `${NS}/pods?watch=1&resourceVersion=${rv}&timeoutSeconds=2`);
    await zero.ended;
    assert.deepEqual(zero.events.map((e) => e.type), ['ADDED', 'ADDED']);
    await c.request('PATCH', `${NS}/pods/w1`, {body: {metadata: {labels: {k: 'v'}}},
      headers: {'Content-Type': 'application/merge-patch+json'}});
    await c.request('POST', `${NS}/pods`, {body: pod('w3')});
    const del = await c.request('DELETE', `${NS}/pods/w3`);
    await n.next((e) => e.type === 'DELETED');
    assert.deepEqual(n.events.map((e) => `${e.type} ${e.object.metadata.name}`), ['MODIFIED w1', 'ADDED w3', 'DELETED w3']);
    assert.equal(n.events[0].object.metadata.labels.k, 'v');
    assert.equal(n.events[2].object.metadata.resourceVersion, del.json.metadata.resourceVersion);
    n.close();
  });

  it('coalesces events produced together into one chunk and frames events split across chunks', async () => {
    const big = 'x'.repeat(200000);
    const w = await watch(sim, `${NS}/pods?watch=1&resourceVersion=${await rvNow()}&timeoutSeconds=5`);
    for (const n of ['c1', 'c2', 'c3']) await c.request('POST', `${NS}/pods`, {body: pod(n, {metadata: {labels: {batch: 'y'}}})});
    await w.next((e) => e.object.metadata.name === 'c3');
    const before = w.chunks.length;
    const dc = await c.request('DELETE', `${NS}/pods?labelSelector=batch%3Dy`);
    assert.equal(dc.status, 200);
    await w.next((e) => e.type === 'DELETED' && e.object.metadata.name === 'c3');
    const delChunks = w.chunks.slice(before).filter((s) => s.includes('"DELETED"'));
    assert.ok(delChunks.some((s) => (s.match(/\n/g) || []).length >= 2), 'several DELETED events in one chunk');
    const at = w.chunks.length;
    await c.request('POST', `${NS}/pods`, {body: pod('big', {metadata: {annotations: {blob: big}}})});
    const e = await w.next((x) => x.object.metadata.name === 'big');
    assert.equal(e.object.metadata.annotations.blob.length, big.length);
    assert.ok(w.chunks.length - at > 1, 'a large event arrives in several reads');
    w.close();
  });

  it('sends BOOKMARKs with only metadata.resourceVersion when asked', async () => {
    const w = await watch(sim, `${NS}/pods?watch=1&allowWatchBookmarks=true&resourceVersion=${await rvNow()}&timeoutSeconds=3`);
    const b = await w.next((e) => e.type === 'BOOKMARK');
    assert.deepEqual(Object.keys(b.object), ['kind', 'apiVersion', 'metadata']);
    assert.deepEqual(Object.keys(b.object.metadata), ['resourceVersion']);
    assert.equal(b.object.kind, 'Pod');
    w.close();
    const quiet = await startSim({args: [...API_ONLY, '--bookmark-interval-ms', '0']});
    try {
      const qc = h1(quiet);
      const qw = await watch(quiet, `${NS}/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=5`);
      const r = await qc.request('POST', '/_sim/watches/bookmark', {body: {}});
      assert.equal(r.status, 200);
      const qb = await qw.next((e) => e.type === 'BOOKMARK');
      assert.match(qb.object.metadata.resourceVersion, /^\d+$/);
      qw.close();
      qc.close();
    } finally {
      await quiet.stop();
    }
    const nob = await watch(sim, `${NS}/pods?watch=1&resourceVersion=${await rvNow()}&timeoutSeconds=1`);
    await nob.ended;
    assert.equal(nob.events.length, 0);
  });

  it('ends cleanly at timeoutSeconds (HTTP/1.1 and HTTP/2)', async () => {
    for (const proto of ['h1', 'h2']) {
      const t0 = Date.now();
      const w = await watch(sim, `${NS}/pods?watch=1&resourceVersion=${await rvNow()}&timeoutSeconds=1`, {proto});
      assert.equal(w.status, 200);
      await w.ended;
      const took = Date.now() - t0;
      assert.ok(took >= 900, `${proto} ended after ${took} ms, before timeoutSeconds`);
      assert.equal(w.cleanEnd, true, `${proto} stream ended cleanly`);
      assert.equal(w.events.length, 0);
    }
  });

  it('treats timeoutSeconds=0 as "use the server default" (kubernetes-client/c sends it)', async () => {
    const w = await watch(sim, `${NS}/pods?watch=1&timeoutSeconds=0&allowWatchBookmarks=0&limit=0`);
    assert.equal(w.status, 200);
    await c.request('POST', `${NS}/pods`, {body: pod('t0')});
    await w.next((e) => e.object.metadata.name === 't0');
    assert.equal(w.done, false);
    w.close();
  });

  it('answers a too-old RV with 200 and one ERROR 410 Expired event, then closes', async () => {
    const old = await rvNow();
    await c.request('POST', `${NS}/pods`, {body: pod('o1')});
    await c.request('POST', '/_sim/compact', {body: {}});
    const w = await watch(sim, `${NS}/pods?watch=1&resourceVersion=${old}`);
    assert.equal(w.status, 200);
    await w.ended;
    assert.equal(w.events.length, 1);
    const e = w.events[0];
    const real = fixtureJSON('status/410-watch-error-event-expired.json');
    assert.deepEqual(Object.keys(e), Object.keys(real));
    assert.deepEqual(Object.keys(e.object), Object.keys(real.object));
    assert.equal(e.type, 'ERROR');
    assert.equal(e.object.reason, 'Expired');
    assert.equal(e.object.code, 410);
    assert.match(e.object.message, new RegExp(`^too old resource version: ${old} \\(\\d+\\)$`));
  });

  it('holds a future-RV watch until its timeout, delivering only events past that RV', async () => {
    const future = Number(await rvNow()) + 2;
    const w = await watch(sim, `${NS}/pods?watch=1&resourceVersion=${future}&timeoutSeconds=2`);
    await c.request('POST', `${NS}/pods`, {body: pod('f1')});
    await c.request('POST', `${NS}/pods`, {body: pod('f2')});
    await c.request('POST', `${NS}/pods`, {body: pod('f3')});
    await w.ended;
    assert.deepEqual(w.events.map((e) => e.object.metadata.name), ['f3']);
  });

  it('advertises 100 concurrent streams per HTTP/2 connection, as the apiserver', async () => {
    const http2 = require('node:http2');
    const session = http2.connect(sim.server, {ca: sim.caPem});
    const settings = await new Promise((resolve, reject) => {
      session.once('remoteSettings', resolve);
      session.once('error', reject);
    });
    assert.equal(settings.maxConcurrentStreams, 100);
    session.close();
  });

  it('streams the same events over HTTP/2', async () => {
    const w = await watch(sim, `${NS}/pods?watch=1&resourceVersion=${await rvNow()}&timeoutSeconds=2`, {proto: 'h2'});
    assert.equal(w.headers['content-type'], 'application/json');
    await c.request('POST', `${NS}/pods`, {body: pod('h2pod')});
    const e = await w.next((x) => x.object.metadata.name === 'h2pod');
    assert.equal(e.type, 'ADDED');
    w.close();
  });

  it('implements sendInitialEvents (WatchList): ADDED, then the initial-events-end BOOKMARK', async () => {
    const w = await watch(sim, `${NS}/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1`);
    const b = await w.next((e) => e.type === 'BOOKMARK');
    assert.deepEqual(b.object.metadata.annotations, {'k8s.io/initial-events-end': 'true'});
    const idx = w.events.indexOf(b);
    assert.ok(idx > 0);
    assert.ok(w.events.slice(0, idx).every((e) => e.type === 'ADDED'));
    w.close();
    const bad = await c.request('GET', `${NS}/pods?watch=1&sendInitialEvents=true`);
    assert.equal(bad.status, 422);
    assert.match(bad.json.message, /sendInitialEvents requires setting resourceVersionMatch to NotOlderThan/);
    const rvm = await c.request('GET', `${NS}/pods?watch=1&resourceVersionMatch=NotOlderThan&resourceVersion=1`);
    assert.equal(rvm.status, 422);
    assert.match(rvm.json.message, /resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided/);
  });
});

describe('watch bookkeeping', () => {
  it('forgets watches whose clients went away (HTTP/1.1 and HTTP/2)', async () => {
    const sim = await startSim({args: API_ONLY});
    const c = h1(sim);
    try {
      const open = async () => (await c.request('GET', '/_sim/stats')).json.watches.open;
      const ws = [];
      for (const proto of ['h1', 'h2', 'h1', 'h2']) ws.push(await watch(sim, `${NS}/pods?watch=1`, {proto}));
      assert.equal(await open(), 4);
      for (const w of ws) w.close();
      await waitFor('the watches to be released', async () => await open() === 0, 5000);
    } finally {
      c.close();
      await sim.stop();
    }
  });
});

describe('watch with the WatchList gate off', () => {
  it('refuses sendInitialEvents like a real server', async () => {
    const sim = await startSim({args: [...API_ONLY, '--no-watchlist']});
    const c = h1(sim);
    try {
      const r = await c.request('GET', `${NS}/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
      assert.equal(r.status, 422);
      assert.equal(r.json.message, 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: ' +
        'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled');
    } finally {
      c.close();
      await sim.stop();
    }
  });
});

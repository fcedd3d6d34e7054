'use strict';
// One h2 connection under load, as prewarm's C client (libcurl 7.88) uses it:
// 64 requests in flight, a large connection window, and an RST_STREAM sent
// for every stream whose Content-Length bytes arrived before END_STREAM.
// kube-apiserver (Go's net/http2) never sends GOAWAY for this and puts
// END_STREAM on the body's last DATA frame, so every POST creates one pod.

const {describe, it, before, after} = require('node:test');
const assert = require('node:assert/strict');
const http2 = require('node:http2');
const {startSim, h1, pod} = require('./client.js');

const TOTAL = 5000;
const IN_FLIGHT = 64;

// Resolves {status, endStreamWithBody, reset} for one request; like curl,
// resets the stream once the body is complete but the stream still open.
function request(session, sim, method, path, body) {
  return new Promise((resolve, reject) => {
    const st = session.request({':method': method, ':path': path, authorization: `Bearer ${sim.token}`,
      'content-type': 'application/json', accept: 'application/json'});
    let status = 0;
    let want = -1;
    let got = 0;
    let reset = false;
    st.on('response', (h) => {
      status = h[':status'];
      want = Number(h['content-length'] || -1);
    });
    st.on('data', (d) => {
      got += d.length;
      if (got === want && !st.closed) {
        // END_STREAM has not come with the last byte: curl resets here.
        setImmediate(() => {
          if (!st.closed) {
            reset = true;
            st.close(http2.constants.NGHTTP2_STREAM_CLOSED);
          }
        });
      }
    });
    st.on('close', () => resolve({status, reset, got}));
    st.on('error', (e) => (reset ? null : reject(e)));
    st.end(body);
  });
}

describe('h2 connection under load', () => {
  let sim;
  before(async () => {
    sim = await startSim({args: ['--modules', 'control,faults']});
  });
  after(async () => {
    await sim.stop();
  });

  it(`${TOTAL} POSTs and GETs at ${IN_FLIGHT} in flight: one connection, no GOAWAY, exact pod count`, async () => {
    const session = http2.connect(sim.server, {ca: sim.caPem});
    const goaways = [];
    session.on('goaway', (code, last) => goaways.push({code, last}));
    session.on('error', () => {});
    await new Promise((resolve, reject) => {
      session.once('connect', resolve);
      session.once('error', reject);
    });
    session.setLocalWindowSize(32 << 20); // as curl: a huge connection window
    assert.equal(session.remoteSettings.maxConcurrentStreams, 100);
    const body = JSON.stringify(pod(undefined, {}));
    const spec = JSON.parse(body);
    delete spec.metadata.name;
    spec.metadata.generateName = 'h2-';
    spec.metadata.labels = {app: 'h2-load'};
    const post = JSON.stringify(spec);
    let next = 0;
    let created = 0;
    let resets = 0;
    const codes = {};
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        const r = i % 2 === 0 ?
          await request(session, sim, 'POST', '/api/v1/namespaces/default/pods', post) :
          await request(session, sim, 'GET', '/api/v1/namespaces/default/pods?limit=1');
        codes[r.status] = (codes[r.status] || 0) + 1;
        if (r.status === 201) created++;
        if (r.reset) resets++;
      }
    };
    await Promise.all(Array.from({length: IN_FLIGHT}, worker));
    session.close();
    assert.deepEqual(goaways, []);
    assert.deepEqual(codes, {201: TOTAL / 2, 200: TOTAL / 2});
    // Almost every body ends its stream in its last DATA frame.
    assert.ok(resets < TOTAL / 10, `${resets} streams needed a reset`);
    const c = h1(sim);
    const list = await c.request('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dh2-load');
    c.close();
    assert.equal(list.json.items.length, created);
    const stats = await c.request('GET', '/_sim/stats', {token: ''});
    assert.equal(stats.json.connections.http2, 1);
  });
});

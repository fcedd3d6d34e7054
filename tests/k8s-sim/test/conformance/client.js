'use strict';
// Small HTTPS clients for the conformance tests: HTTP/1.1 (node:https,
// keep-alive) and HTTP/2 (node:http2), both trusting the simulator's CA and
// sending its bearer token. A watch helper keeps the raw chunks (to check
// framing) and frames events by newline, as clients must.

const {waitFor} = require('../wait.js');
const https = require('node:https');
const http2 = require('node:http2');
const {startSim} = require('../../lib/spawn.js');

function h1(sim, defaults = {}) {
  const agent = new https.Agent({ca: sim.caPem, keepAlive: true, maxSockets: 16});
  function request(method, path, opts = {}) {
    return new Promise((resolve, reject) => {
      const headers = {Accept: 'application/json', ...(opts.headers || {})};
      const token = opts.token !== undefined ? opts.token : defaults.token !== undefined ? defaults.token : sim.token;
      if (token) headers.Authorization = `Bearer ${token}`;
      let body = opts.body;
      if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) body = JSON.stringify(body);
      if (body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
      // Node frames DELETE bodies only with an explicit length.
      if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
      const u = new URL(path, sim.server);
      const req = https.request({host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent},
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve(result(res.statusCode, res.headers, Buffer.concat(chunks))));
          res.on('error', reject);
        });
      req.on('error', reject);
      if (body !== undefined) req.end(body); else req.end();
    });
  }
  return {request, close: () => agent.destroy(), agent};
}

function result(status, headers, buf) {
  const text = buf.toString('utf8');
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    json = undefined;
  }
  return {status, headers, text, json};
}

function h2(sim) {
  const session = http2.connect(sim.server, {ca: sim.caPem});
  session.on('error', () => {});
  function request(method, path, opts = {}) {
    return new Promise((resolve, reject) => {
      const headers = {':method': method, ':path': path, accept: 'application/json'};
      for (const [k, v] of Object.entries(opts.headers || {})) headers[k.toLowerCase()] = v;
      const token = opts.token !== undefined ? opts.token : sim.token;
      if (token) headers.authorization = `Bearer ${token}`;
      let body = opts.body;
      if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) body = JSON.stringify(body);
      if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const s = session.request(headers);
      let status = 0;
      let rh = {};
      const chunks = [];
      s.on('response', (h) => { status = h[':status']; rh = h; });
      s.on('data', (c) => chunks.push(c));
      s.on('end', () => resolve(result(status, rh, Buffer.concat(chunks))));
      s.on('error', reject);
      if (body !== undefined) s.end(body); else s.end();
    });
  }
  return {request, session, close: () => session.close()};
}

// Opens a watch. Returns {status, headers, chunks, events, ended, next(pred,
// ms), close()}; events are parsed from newline-framed lines.
function watch(sim, path, opts = {}) {
  return new Promise((resolve, reject) => {
    const w = {chunks: [], events: [], waiters: [], done: false, rest: ''};
    const onData = (c) => {
      const s = c.toString('utf8');
      w.chunks.push(s);
      w.rest += s;
      let nl;
      while ((nl = w.rest.indexOf('\n')) >= 0) {
        const line = w.rest.slice(0, nl);
        w.rest = w.rest.slice(nl + 1);
        if (line.trim()) w.events.push(JSON.parse(line));
      }
      w.waiters = w.waiters.filter((fn) => !fn());
    };
    let endResolve;
    w.ended = new Promise((r) => { endResolve = r; });
    const onEnd = () => {
      w.done = true;
      endResolve();
      w.waiters = w.waiters.filter((fn) => !fn());
    };
    w.next = (pred, ms = 5000) => new Promise((res, rej) => {
      let from = 0;
      const check = () => {
        for (; from < w.events.length; from++) if (pred(w.events[from])) { clearTimeout(t); res(w.events[from]); return true; }
        if (w.done) { clearTimeout(t); rej(new Error('watch ended before the expected event')); return true; }
        return false;
      };
      const t = setTimeout(() => rej(new Error(`timed out waiting for a watch event; got ${JSON.stringify(w.events)}`)), ms);
      if (!check()) w.waiters.push(check);
    });
    const headers = {Authorization: `Bearer ${opts.token || sim.token}`, Accept: 'application/json'};
    if (opts.proto === 'h2') {
      const session = http2.connect(sim.server, {ca: sim.caPem});
      session.on('error', () => {});
      const s = session.request({':method': 'GET', ':path': path, authorization: headers.Authorization, accept: headers.Accept});
      s.on('response', (h) => {
        w.status = h[':status'];
        w.headers = h;
        resolve(w);
      });
      s.on('data', onData);
      s.on('end', () => { w.cleanEnd = true; onEnd(); });
      s.on('close', onEnd);
      s.on('error', reject);
      s.end();
      w.close = () => { s.close(); session.close(); };
      return;
    }
    const u = new URL(path, sim.server);
    const req = https.request({host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'GET', headers,
      ca: sim.caPem, agent: false}, (res) => {
      w.status = res.statusCode;
      w.headers = res.headers;
      w.rawHeaders = res.rawHeaders;
      res.on('data', onData);
      res.on('end', () => { w.cleanEnd = res.complete; onEnd(); });
      res.on('close', onEnd);
      resolve(w);
    });
    req.on('error', reject);
    req.end();
    w.close = () => req.destroy();
  });
}

function pod(name, extra = {}) {
  return {apiVersion: 'v1', kind: 'Pod', metadata: {name, ...(extra.metadata || {})},
    spec: {containers: [{name: 'c', image: 'busybox:1.36'}], ...(extra.spec || {})}};
}

module.exports = {startSim, h1, h2, watch, waitFor, pod};

const fs = require('node:fs');
const path = require('node:path');
const FIXTURES = path.resolve(__dirname, '../../../fixtures/k8s');

// A fixture's bytes in wire form (compact JSON + "\n"), whatever its layout.
function fixtureWire(rel) {
  return JSON.stringify(JSON.parse(fs.readFileSync(path.join(FIXTURES, rel), 'utf8'))) + '\n';
}

function fixtureJSON(rel) {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, rel), 'utf8'));
}

// API-only simulator: no scheduler/kubelet, so pods stay as written; the
// control endpoints (/_sim/compact, /_sim/faults) stay available.
const API_ONLY = ['--modules', 'control,faults'];

module.exports.fixtureWire = fixtureWire;
module.exports.fixtureJSON = fixtureJSON;
module.exports.FIXTURES = FIXTURES;
module.exports.API_ONLY = API_ONLY;

// The shared preamble of a suite: in the enclosing describe(), before() starts
// a simulator (API-only unless opts say otherwise) with an HTTP/1.1 client and
// hands both to ready(sim, c); after() closes them.
//   let sim;
//   let c;
//   useSim((s, client) => { sim = s; c = client; });
function useSim(ready, opts = {args: API_ONLY}) {
  const {before, after} = require('node:test');
  let sim = null;
  let c = null;
  before(async () => {
    sim = await startSim(opts);
    c = h1(sim);
    ready(sim, c);
  });
  after(async () => {
    if (c) c.close();
    if (sim) await sim.stop();
  });
}

module.exports.useSim = useSim;

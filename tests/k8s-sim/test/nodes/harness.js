'use strict';
// Test harness: starts the simulator (sim.js) as a child process on an
// ephemeral port, reads its one-line JSON greeting, and offers small HTTPS
// clients (HTTP/1.1 keep-alive and HTTP/2) for the API and /_sim/ endpoints.
// Used by test/nodes/*.test.js, test/clients/*.test.js and the benchmark.
// Starting and stopping the child is lib/spawn.js's startSim().

const {waitFor} = require('../wait.js');
const {startSim: spawnSim, SIM} = require('../../lib/spawn.js');
const https = require('node:https');
const http2 = require('node:http2');

// args: sim.js command-line arguments; opts.env: extra environment.
async function startSim(args = [], opts = {}) {
  const proc = await spawnSim({args, env: opts.env, timeoutMs: 10000});
  return new Sim(proc);
}

class Sim {
  constructor(proc) {
    this.proc = proc;
    this.child = proc.child;
    this.info = {server: proc.server, kubeconfig: proc.kubeconfig, ca: proc.ca, token: proc.token, dir: proc.dir,
                 pid: proc.pid};
    this.stderr = proc.stderr;
    // 'kube' when lib/spawn.js started a real control plane (K8S_TARGET=kube).
    this.target = proc.target || 'sim';
    this.url = new URL(proc.server);
    this.ca = proc.caPem;
    this.token = proc.token;
    this.agent = new https.Agent({keepAlive: true, ca: this.ca, maxSockets: 64});
    this.h2 = null;
  }

  headers(extra, body, contentType) {
    const h = {Authorization: `Bearer ${this.token}`, Accept: 'application/json', ...(extra || {})};
    if (body !== undefined) {
      h['Content-Type'] = contentType || 'application/json';
      // Node's client frames a DELETE body only with an explicit length.
      h['Content-Length'] = String(Buffer.byteLength(body));
    }
    return h;
  }

  // HTTP/1.1 request. Returns {status, headers, text, json}.
  // A keep-alive socket the server closed meanwhile (outage, reset) is
  // retried once on a fresh connection, as Node's docs advise (reusedSocket).
  request(method, p, opts = {}) {
    return this.request1(method, p, opts).catch((e) => {
      if (e.reused && e.code === 'ECONNRESET') return this.request1(method, p, opts);
      throw e;
    });
  }

  request1(method, p, opts = {}) {
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    return new Promise((resolve, reject) => {
      const req = https.request({host: this.url.hostname, port: this.url.port, method, path: p, agent: opts.agent || this.agent,
                                 ca: this.ca, headers: this.headers(opts.headers, body, opts.contentType)}, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(result(res.statusCode, res.headers, Buffer.concat(chunks).toString())));
        res.on('error', reject);
      });
      req.on('error', (e) => {
        e.reused = req.reusedSocket;
        reject(e);
      });
      if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error('timeout')));
      req.end(body);
    });
  }

  h2session() {
    if (!this.h2 || this.h2.destroyed || this.h2.closed) {
      this.h2 = http2.connect(this.info.server, {ca: this.ca});
      this.h2.on('error', () => {});
    }
    return this.h2;
  }

  // HTTP/2 request on one shared session.
  request2(method, p, opts = {}) {
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    return new Promise((resolve, reject) => {
      const s = this.h2session().request({':method': method, ':path': p, ...this.headers(opts.headers, body, opts.contentType)});
      const chunks = [];
      let status = 0;
      let headers = {};
      s.on('response', (h) => {
        status = h[':status'];
        headers = h;
      });
      s.on('data', (c) => chunks.push(c));
      s.on('end', () => resolve(result(status, headers, Buffer.concat(chunks).toString())));
      s.on('error', reject);
      s.end(body);
    });
  }

  async ctl(method, p, body) {
    const r = await this.request(method, `/_sim/${p.replace(/^\//, '')}`, {body});
    return r;
  }

  // Opens a watch (HTTP/1.1); onEvent(event) per line. Returns {req, done}
  // where done resolves with {status, error} when the stream ends.
  watch(p, onEvent) {
    let req;
    const done = new Promise((resolve) => {
      req = https.request({host: this.url.hostname, port: this.url.port, method: 'GET', path: p, ca: this.ca,
                           agent: false, headers: this.headers()}, (res) => {
        let buf = '';
        res.on('data', (c) => {
          buf += c;
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim()) onEvent(JSON.parse(line));
          }
        });
        res.on('end', () => resolve({status: res.statusCode}));
        res.on('error', (e) => resolve({status: res.statusCode, error: e}));
        res.on('aborted', () => resolve({status: res.statusCode, error: new Error('aborted')}));
      });
      req.on('error', (e) => resolve({status: 0, error: e}));
      req.end();
    });
    return {req, done};
  }

  async stop() {
    this.agent.destroy();
    if (this.h2) this.h2.destroy();
    await this.proc.stop();
  }
}

function result(status, headers, text) {
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    json = undefined;
  }
  return {status, headers, text, json};
}

function podManifest(name, extra = {}) {
  return {apiVersion: 'v1', kind: 'Pod', metadata: {name, labels: extra.labels || {app: 'web'}},
          spec: {containers: [{name: 'app', image: 'nginx', ...(extra.container || {})}], ...(extra.spec || {})}};
}

module.exports = {startSim, waitFor, podManifest, SIM};

#!/usr/bin/env node
'use strict';
// Kubernetes API simulator: entry point.
//
//   node tests/k8s-sim/sim.js [--port 0] [--dir DIR] [--nodes N] [--token T]...
//        [--readonly-token T] [--namespace-token T=ns1,ns2] [--history N]
//        [--too-large-wait-ms MS] [--bookmark-interval-ms MS]
//        [--min-request-timeout S] [--no-watchlist] [--grace-scale F]
//        [--compact-every-ms MS] [--no-modules | --modules scheduler,kubelet,faults,control]
//        [--other-key V]
//
// Serves HTTPS (HTTP/1.1 and h2 via ALPN) on 127.0.0.1 with a throwaway CA
// made by the openssl CLI in DIR. When listening it writes DIR/ca.crt,
// DIR/token and DIR/kubeconfig (plus DIR/client.{crt,key} and
// DIR/kubeconfig-cert for client-certificate auth), then prints exactly one
// JSON line on stdout:
//   {"server":"https://127.0.0.1:PORT","kubeconfig":"DIR/kubeconfig",
//    "ca":"DIR/ca.crt","token":"...","dir":"DIR","pid":N}
// and logs to stderr only. SIGTERM/SIGINT close everything and exit 0.
//
// Optional sibling modules (lib/scheduler.js, lib/kubelet.js, lib/faults.js,
// lib/control.js, owned by the node simulator) are loaded if present and
// get attach(ctx) with ctx = {store, server, watches, options, log, api}.
// faults.intercept(req, res, ctx) runs before anything else; /_sim/ paths
// go to control.handle(req, res, body, ctx).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const {execFileSync} = require('node:child_process');
const {createServer} = require('./lib/h2conn.js');
const {Store} = require('./lib/store.js');
const {ApiServer} = require('./lib/apiserver.js');
const {sendError} = require('./lib/wire.js');
const {errors, ApiError} = require('./lib/status.js');

// The apiserver's MaxRequestBodyBytes (3 MiB) for JSON/YAML bodies.
const MAX_BODY = 3 * 1024 * 1024;
// Longest wait for in-flight requests at shutdown.
const DRAIN_MS = 2000;
const NODE_FLAGS = ['--node-labels', '--node-taints', '--node-capacity', '--pull-delay', '--start-delay', '--ready-delay',
  '--time-scale', '--seed', '--fault-seed', '--kubelet-events', '--scheduler-events'];

function camel(s) {
  return s.replace(/-([a-z])/g, (m, c) => c.toUpperCase());
}

// Known options are checked; any other --key value / --key=value / --flag is
// kept in options under both its dashed and camelCase names, for the
// optional modules (scheduler, kubelet, faults) to read.
function parseArgs(argv) {
  const o = {port: 0, dir: '', nodes: undefined, tokens: [], readonlyTokens: [], namespaceTokens: [], history: 10000,
    tooLargeWaitMs: 3000, bookmarkIntervalMs: 5000, minRequestTimeout: 1800, watchList: true, graceScale: 1,
    compactEveryMs: 0,
    modules: ['scheduler', 'kubelet', 'faults', 'control']};
  const num = (v, name) => {
    if (v === undefined || !/^[0-9]+(\.[0-9]+)?$/.test(String(v))) throw new Error(`${name} needs a number`);
    return Number(v);
  };
  const lists = {'--token': 'tokens', '--readonly-token': 'readonlyTokens', '--namespace-token': 'namespaceTokens'};
  const nums = {'--port': 'port', '--nodes': 'nodes', '--history': 'history', '--too-large-wait-ms': 'tooLargeWaitMs',
    '--bookmark-interval-ms': 'bookmarkIntervalMs', '--min-request-timeout': 'minRequestTimeout',
    '--grace-scale': 'graceScale', '--compact-every-ms': 'compactEveryMs'};
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); } else if (argv[i + 1] !== undefined &&
      !argv[i + 1].startsWith('--')) { v = argv[i + 1]; if (eq < 0) i++; }
    if (a === '-h' || a === '--help') {
      process.stderr.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(3, 10).join('\n') + '\n');
      process.exit(0);
    }
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    if (lists[a]) {
      if (v === undefined) throw new Error(`${a} needs a value`);
      o[lists[a]].push(v);
    } else if (nums[a]) o[nums[a]] = num(v, a);
    else if (a === '--dir') o.dir = v;
    else if (a === '--no-watchlist') { o.watchList = false; if (v !== undefined) i--; }
    else if (a === '--no-modules') { o.modules = []; if (v !== undefined) i--; }
    else if (a === '--modules') o.modules = (v || '').split(',').filter(Boolean);
    else {
      const key = a.slice(2);
      const val = v === undefined ? true : v;
      o[key] = val;
      o[camel(key)] = val;
    }
  }
  return o;
}

function openssl(args, cwd) {
  execFileSync('openssl', args, {cwd, stdio: ['ignore', 'ignore', 'pipe']});
}

// Makes (once per directory) a CA and a server certificate for 127.0.0.1.
function ensureCerts(dir) {
  const need = ['ca.crt', 'server.crt', 'server.key'].some((f) => !fs.existsSync(path.join(dir, f)));
  if (need) {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj',
      '/CN=k8s-sim-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver'], dir);
    fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,' +
      'DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', 'server.crt', '-days', '365', '-extfile', 'server.ext'], dir);
  }
  if (!fs.existsSync(path.join(dir, 'client.crt')) || !fs.existsSync(path.join(dir, 'client.key'))) {
    // An admin client certificate, as kubeadm's admin.conf: CN is the user, O the group.
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(['req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/O=system:masters/CN=sim-admin'], dir);
    fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
    openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', 'client.crt', '-days', '365', '-extfile', 'client.ext'], dir);
  }
  const read = (f) => fs.readFileSync(path.join(dir, f));
  return {ca: read('ca.crt'), cert: read('server.crt'), key: read('server.key'), clientCert: read('client.crt'),
    clientKey: read('client.key')};
}

// The same cluster with the admin client certificate instead of a token.
function certKubeconfig(server, tls) {
  const b64 = (b) => Buffer.from(b).toString('base64');
  return kubeconfig(server, tls.ca, '').replace(/    token: .*\n/, `    client-certificate-data: ${b64(tls.clientCert)}\n` +
    `    client-key-data: ${b64(tls.clientKey)}\n`);
}

function kubeconfig(server, caPem, token) {
  return ['apiVersion: v1', 'kind: Config', 'clusters:', '- cluster:',
    `    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}`, `    server: ${server}`,
    '  name: sim', 'contexts:', '- context:', '    cluster: sim', '    namespace: default', '    user: sim',
    '  name: sim', 'current-context: sim', 'preferences: {}', 'users:', '- name: sim', '  user:',
    `    token: ${token}`, ''].join('\n');
}

function buildAuth(o, dir) {
  const tokens = new Map();
  for (const t of o.tokens) tokens.set(t, {name: 'sim-admin'});
  for (const t of o.readonlyTokens) tokens.set(t, {name: 'sim-readonly', readOnly: true});
  for (const spec of o.namespaceTokens) {
    const [t, list] = spec.split('=');
    tokens.set(t, {name: 'sim-namespaced', namespaces: new Set((list || '').split(',').filter(Boolean))});
  }
  const token = o.tokens[0] || crypto.randomBytes(24).toString('base64url');
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, token + '\n');
  // Without --token the token file is live: rewriting it rotates the token.
  return {auth: {tokens, tokenFile: o.tokens.length ? null : tokenFile}, token};
}

function loadModule(name, log) {
  try {
    return require(`./lib/${name}.js`);
  } catch (e) {
    if (e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(`${name}.js`)) return null;
    log(`failed to load ${name}.js: ${e.stack || e}`);
    return null;
  }
}

// Reads the whole body; past MAX_BODY it keeps reading (so the client can
// finish sending) but keeps nothing and answers 413.
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) reject(new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY}`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function seed(store) {
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    store.create('namespaces', '', {metadata: {name: ns, labels: {'kubernetes.io/metadata.name': ns}},
      spec: {finalizers: ['kubernetes']}, status: {phase: 'Active'}});
  }
}

// Plain Ready nodes, used only when no kubelet module manages nodes.
function seedNodes(store, n) {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (let i = 1; i <= n; i++) {
    const name = `sim-node-${i}`;
    store.create('nodes', '', {metadata: {name, labels: {'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux'}},
      spec: {}, status: {conditions: [{type: 'Ready', status: 'True', lastHeartbeatTime: now, lastTransitionTime: now,
        reason: 'KubeletReady', message: 'kubelet is posting ready status'}],
      nodeInfo: {kubeletVersion: 'v1.33.1', operatingSystem: 'linux', architecture: 'amd64'}}});
  }
}

function main() {
  const log = (msg) => process.stderr.write(`k8s-sim: ${msg}\n`);
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    log(e.message);
    process.exit(2);
  }
  // A state dir the simulator made itself is removed when it exits.
  const ownDir = !o.dir;
  const dir = path.resolve(o.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-sim-')));
  process.on('exit', () => {
    if (ownDir) fs.rmSync(dir, {recursive: true, force: true});
  });
  fs.mkdirSync(dir, {recursive: true});
  const tls = ensureCerts(dir);
  const {auth, token} = buildAuth(o, dir);
  const store = new Store({historySize: o.history});
  seed(store);
  const options = {...o, dir, auth, finishDeletes: true};
  const ctx = {store, options, log};
  const api = new ApiServer(ctx);
  ctx.api = api;
  ctx.watches = {closeAll: () => api.hub.closeAll(), count: () => api.hub.count(), bookmarkAll: () => api.hub.bookmarkAll()};
  const mods = {};
  // Client certificates are asked for, not required: one signed by the CA
  // authenticates its CN (apiserver.js), anything else falls back to tokens.
  // Requests being answered, so a shutdown can let them finish (watches are
  // ended by api.stop()).
  const inflight = new Set();
  const handler = async (req, res) => {
    inflight.add(res);
    res.once('close', () => inflight.delete(res));
    res.acceptGzip = /\bgzip\b/i.test(req.headers['accept-encoding'] || '');
    try {
      if (mods.faults && typeof mods.faults.intercept === 'function' && await mods.faults.intercept(req, res, ctx)) return;
      const body = req.method === 'GET' || req.method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
      if (req.url.startsWith('/_sim/')) {
        if (mods.control) return mods.control.handle(req, res, body, ctx);
        throw errors.pathNotFound();
      }
      await api.handle(req, res, body);
    } catch (e) {
      sendError(res, e, log);
    }
  };
  // h2 as Go's net/http2: 100 concurrent streams, no GOAWAY but on shutdown
  // (lib/h2conn.js explains the reset filter).
  const {server, h1, h2} = createServer({tls, settings: {maxConcurrentStreams: 100}, maxSessionMemory: 256, handler});
  ctx.server = server;
  h1.keepAliveTimeout = 90000;  // HTTP/1.1 idle connections, as Go's apiserver
  // etcd-style periodic compaction (the apiserver compacts every 5 minutes
  // up to the revision of the previous run, so a continue token or RV lives
  // one to two periods before it gets 410).
  let mark = null;
  const compactor = o.compactEveryMs > 0 ? setInterval(() => {
    if (mark !== null) store.compact(mark);
    mark = Number(store.currentRV());
  }, o.compactEveryMs) : null;
  if (compactor) compactor.unref();
  h2.on('sessionError', () => {});
  server.on('tlsClientError', () => {});
  const sessions = new Set();
  h2.on('session', (s) => { sessions.add(s); s.on('close', () => sessions.delete(s)); });
  const sockets = new Set();
  server.on('secureConnection', (sock) => { sockets.add(sock); sock.on('close', () => sockets.delete(sock)); });
  for (const name of ['scheduler', 'kubelet', 'faults', 'control'].filter((n) => o.modules.includes(n))) {
    const m = loadModule(name, log);
    if (!m) continue;
    mods[name] = m;
    try {
      if (typeof m.attach === 'function') m.attach(ctx);
    } catch (e) {
      log(`${name}: ${e.message}`); // bad option values (delays, taints, --faults JSON)
      process.exit(2);
    }
  }
  if (mods.kubelet) options.finishDeletes = false; else seedNodes(store, o.nodes || 0);
  server.listen(o.port, '127.0.0.1', () => {
    const port = server.address().port;
    const url = `https://127.0.0.1:${port}`;
    api.host = `127.0.0.1:${port}`;
    fs.writeFileSync(path.join(dir, 'kubeconfig'), kubeconfig(url, tls.ca, token));
    fs.writeFileSync(path.join(dir, 'kubeconfig-cert'), certKubeconfig(url, tls));
    process.stdout.write(JSON.stringify({server: url, kubeconfig: path.join(dir, 'kubeconfig'),
      ca: path.join(dir, 'ca.crt'), token, dir, pid: process.pid}) + '\n');
    log(`listening on ${url} (dir ${dir})`);
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    api.stop();
    for (const m of Object.values(mods)) if (typeof m.detach === 'function') m.detach(ctx);
    server.close();
    // As the apiserver's graceful shutdown: watches were ended above, h2
    // sessions get a GOAWAY whose last-stream-id covers every request
    // received, and those requests are answered before the connections are
    // cut (at most DRAIN_MS; spawn.js kills after 3 s).
    for (const s of sessions) s.close();
    const deadline = Date.now() + DRAIN_MS;
    const finish = () => {
      if (inflight.size > 0 && Date.now() < deadline) {
        setTimeout(finish, 10);
        return;
      }
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
      process.exit(0);
    };
    finish();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();

module.exports = {parseArgs, ensureCerts, kubeconfig};

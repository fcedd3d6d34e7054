'use strict';
// Fault injection and request statistics for the simulator's HTTP front.
//
// intercept(req, res, ctx) is called by the API server before it routes any
// request. It records statistics for every API request (verb, resource, status
// code, HTTP version of the connection), then applies the fault rules in order:
//   {match: {verb, resource, namespace, name, subresource, method, path (regex), userAgent (regex)},
//    latencyMs, jitterMs,          delay the request (then let it through, or answer)
//    code, retryAfter, message,    answer with this status instead of the API server
//    reset: true,                  destroy the connection instead of answering
//    rate: 0..1 (default 1), count: N (the rule expires after firing N times)}
// Rules are tried in order until one with a code or reset fires; the latencies
// of the rules that fired up to then add up. Bodies are the real ones: 429 is the APF plain-text
// body "Too many requests, please try again later.\n" (text/plain;
// charset=utf-8) with Retry-After (default 1); other codes are Status JSON built
// like the apiserver's (403 carries the RBAC message, 500 InternalError, 503
// ServiceUnavailable, 504 Timeout; Retry-After is sent when retryAfter is set).
//
// An outage makes the whole API unavailable for a period. Modes:
//   refuse (default)  the listener is closed and every open connection is
//                     destroyed: clients get ECONNREFUSED, as when the only
//                     apiserver restarts; the port is re-bound after `ms`.
//                     /_sim/ is unreachable too; the outage ends by its timer.
//   reset             connections are accepted then destroyed (ECONNRESET), as
//                     behind a load balancer with no healthy backend.
//   503               every API request gets 503 ServiceUnavailable Status JSON
//                     with Retry-After (what a proxy in front of a dead
//                     apiserver answers). /_sim/ keeps working.
//
// Rules can also be given at start with --faults '<JSON>' (or @file).
// Requests under /_sim/ are never faulted nor counted. Randomness comes from a
// seedable RNG (option faultSeed). State lives in the Faults object reached as
// ctx.sim.faults; rules are plain JSON owned by it.

const wire = require('./wire.js');
const {errors} = require('./status.js');
const {makeRng} = require('./kubelet.js');

const TOO_MANY = 'Too many requests, please try again later.\n';
const REASONS = {400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
                 409: 'Conflict', 410: 'Expired', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType',
                 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable',
                 504: 'Timeout'};
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

// Splits a request into {verb, group, version, resource, namespace, name,
// subresource}; resource is '' for non-resource paths (/api, /version, ...).
function requestInfo(method, url) {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const parts = path.split('/').filter(Boolean).map(decodeURIComponentSafe);
  const info = {verb: String(method).toLowerCase(), path, group: '', version: '', resource: '', namespace: '', name: '', subresource: ''};
  let rest;
  if (parts[0] === 'api' && parts.length >= 3) {
    info.version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    info.group = parts[1];
    info.version = parts[2];
    rest = parts.slice(3);
  } else {
    return info; // non-resource request: verb is the lower-case method
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    info.namespace = rest[1];
    rest = rest.slice(2);
  }
  [info.resource = '', info.name = '', info.subresource = ''] = rest;
  const watch = query.get('watch');
  const m = String(method).toUpperCase();
  if (m === 'GET') info.verb = watch === 'true' || watch === '1' ? 'watch' : info.name ? 'get' : 'list';
  else if (m === 'POST') info.verb = 'create';
  else if (m === 'PUT') info.verb = 'update';
  else if (m === 'PATCH') info.verb = 'patch';
  else if (m === 'DELETE') info.verb = info.name ? 'delete' : 'deletecollection';
  if (info.resource === 'namespaces' && info.name && !info.namespace) info.namespace = '';
  return info;
}

function decodeURIComponentSafe(s) {
  try {
    return decodeURIComponent(s);
  } catch (e) {
    return s;
  }
}

function oneOf(want, have) {
  if (want === undefined || want === null) return true;
  return Array.isArray(want) ? want.includes(have) : want === have;
}

// Validates and normalises one rule; throws Error with a readable message.
function checkRule(r, id) {
  if (!r || typeof r !== 'object' || Array.isArray(r)) throw new Error('a fault rule must be a JSON object');
  const known = ['match', 'latencyMs', 'jitterMs', 'code', 'retryAfter', 'message', 'reset', 'rate', 'count', 'user', 'body'];
  for (const k of Object.keys(r)) if (!known.includes(k)) throw new Error(`unknown fault rule field "${k}" (known: ${known.join(', ')})`);
  const m = r.match || {};
  if (typeof m !== 'object' || Array.isArray(m)) throw new Error('"match" must be an object');
  const mk = ['verb', 'resource', 'namespace', 'name', 'subresource', 'method', 'path', 'userAgent', 'watch'];
  for (const k of Object.keys(m)) if (!mk.includes(k)) throw new Error(`unknown match field "${k}" (known: ${mk.join(', ')})`);
  for (const v of [].concat(m.verb || [])) if (!VERBS.includes(v)) throw new Error(`unknown verb "${v}"`);
  const num = (k, lo, hi) => {
    if (r[k] === undefined) return;
    const v = Number(r[k]);
    if (!Number.isFinite(v) || v < lo || (hi !== undefined && v > hi)) throw new Error(`"${k}" must be a number in [${lo}, ${hi === undefined ? 'inf' : hi}]`);
    r[k] = v;
  };
  num('latencyMs', 0);
  num('jitterMs', 0);
  num('rate', 0, 1);
  num('count', 1);
  num('retryAfter', 0);
  num('code', 100, 599);
  if (r.code === undefined && !r.reset && r.latencyMs === undefined) throw new Error('a fault rule needs "code", "reset" or "latencyMs"');
  const rule = {...r, match: {...m}, id, fired: 0};
  try {
    if (m.path) rule.pathRe = new RegExp(m.path);
    if (m.userAgent) rule.uaRe = new RegExp(m.userAgent);
  } catch (e) {
    throw new Error(`bad regular expression: ${e.message}`);
  }
  return rule;
}

function publicRule(r) {
  const out = {...r};
  delete out.pathRe;
  delete out.uaRe;
  return out;
}

class Faults {
  constructor(ctx) {
    this.ctx = ctx;
    this.rules = [];
    this.nextId = 1;
    const seed = ctx.options && (ctx.options.faultSeed !== undefined ? ctx.options.faultSeed : ctx.options['fault-seed']);
    this.rng = makeRng(seed === undefined ? 7 : seed);
    this.outage = null; // {mode, until, timer}
    this.sockets = new Set();
    this.resetStats();
  }

  resetStats() {
    this.stats = {since: new Date().toISOString(), requests: 0, inflight: 0, byVerb: {}, byResource: {}, byCode: {},
                  byRequest: {}, byHttpVersion: {}, faultsFired: 0,
                  connections: {accepted: 0, http1: 0, http2: 0}};
    this.seen = new WeakSet();
  }

  attachServer(server) {
    if (!server || this.server === server) return;
    this.server = server;
    server.on('connection', (sock) => {
      this.stats.connections.accepted++;
      if (this.outage && this.outage.mode === 'reset') {
        sock.destroy();
        return;
      }
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
  }

  addRules(list) {
    const rules = list.map((r) => checkRule(r, this.nextId++));
    this.rules.push(...rules);
    return rules.map(publicRule);
  }

  removeRule(id) {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== Number(id));
    return this.rules.length !== before;
  }

  clear() {
    this.rules = [];
    this.endOutage();
  }

  list() {
    return {rules: this.rules.map(publicRule),
            outage: this.outage ? {mode: this.outage.mode, until: new Date(this.outage.until).toISOString()} : null};
  }

  matches(rule, info, req) {
    const m = rule.match;
    return oneOf(m.verb, info.verb) && oneOf(m.resource, info.resource) && oneOf(m.namespace, info.namespace) &&
      oneOf(m.name, info.name) && oneOf(m.subresource, info.subresource) &&
      oneOf(m.method, req.method) && (!rule.pathRe || rule.pathRe.test(req.url)) &&
      (!rule.uaRe || rule.uaRe.test(String(req.headers['user-agent'] || ''))) &&
      (m.watch === undefined || m.watch === (info.verb === 'watch'));
  }

  // Which rules fire for this request (rate and count applied).
  decide(info, req) {
    let latency = 0;
    let answer = null;
    for (const r of [...this.rules]) {
      if (answer) break;
      if (!this.matches(r, info, req)) continue;
      if (r.rate !== undefined && this.rng() >= r.rate) continue;
      r.fired++;
      this.stats.faultsFired++;
      if (r.count !== undefined && r.fired >= r.count) this.removeRule(r.id);
      latency += (r.latencyMs || 0) + (r.jitterMs ? this.rng() * r.jitterMs : 0);
      if (r.code !== undefined || r.reset) answer = r;
    }
    return {latency, answer};
  }

  count(req, res, info) {
    const s = this.stats;
    s.requests++;
    s.inflight++;
    s.byVerb[info.verb] = (s.byVerb[info.verb] || 0) + 1;
    const resKey = info.resource ? (info.subresource ? `${info.resource}/${info.subresource}` : info.resource) : info.path;
    s.byResource[resKey] = (s.byResource[resKey] || 0) + 1;
    const hv = req.httpVersion === '2.0' ? '2' : '1.1';
    s.byHttpVersion[hv] = (s.byHttpVersion[hv] || 0) + 1;
    const conn = hv === '2' && req.stream ? req.stream.session : req.socket;
    if (conn && !this.seen.has(conn)) {
      this.seen.add(conn);
      if (hv === '2') s.connections.http2++;
      else s.connections.http1++;
    }
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      s.inflight--;
      const code = String(res.statusCode);
      s.byCode[code] = (s.byCode[code] || 0) + 1;
      const k = `${info.verb} ${resKey} ${code}`;
      s.byRequest[k] = (s.byRequest[k] || 0) + 1;
    };
    res.on('finish', finish);
    res.on('close', finish);
  }

  intercept(req, res) {
    const url = req.url || '/';
    if (url.startsWith('/_sim/') || url === '/_sim') return false;
    const info = requestInfo(req.method, url);
    this.count(req, res, info);
    if (this.outage) return this.answerOutage(req, res);
    if (this.rules.length === 0) return false;
    const {latency, answer} = this.decide(info, req);
    if (latency <= 0) return answer ? this.answer(req, res, info, answer) : false;
    return new Promise((resolve) => {
      setTimeout(() => resolve(answer ? this.answer(req, res, info, answer) : false), latency);
    });
  }

  answerOutage(req, res) {
    if (this.outage.mode === '503') {
      const left = Math.max(1, Math.ceil((this.outage.until - Date.now()) / 1000));
      sendStatus(res, {}, 503, 'ServiceUnavailable', 'the apiserver is unavailable (simulated outage)', left);
      return true;
    }
    destroyConnection(req, res);
    return true;
  }

  answer(req, res, info, rule) {
    if (res.writableEnded || res.destroyed) return true;
    if (rule.reset) {
      destroyConnection(req, res);
      return true;
    }
    const code = rule.code;
    if (code === 429 && rule.message === undefined) {
      const ra = rule.retryAfter === undefined ? 1 : rule.retryAfter;
      wire.sendRaw(res, 429, 'text/plain; charset=utf-8', TOO_MANY, {'X-Content-Type-Options': 'nosniff', 'Retry-After': String(ra)});
      return true;
    }
    const err = statusFor(code, info, rule);
    sendStatus(res, err, code, err.reason, err.message, rule.retryAfter);
    return true;
  }

  // Validates outage parameters; returns {ms, mode} or throws.
  checkOutage(ms, mode) {
    mode = mode || 'refuse';
    if (!['refuse', 'reset', '503'].includes(mode)) throw new Error(`unknown outage mode "${mode}" (refuse, reset, 503)`);
    ms = Number(ms);
    if (!Number.isFinite(ms) || ms <= 0 || ms > 600000) throw new Error('"ms" must be a number in (0, 600000]');
    return {ms, mode};
  }

  // ms: duration; mode: refuse | reset | 503.
  startOutage(ms, mode) {
    ({ms, mode} = this.checkOutage(ms, mode));
    this.endOutage();
    this.outage = {mode, until: Date.now() + ms, timer: setTimeout(() => this.endOutage(), ms)};
    if (mode === 'refuse' || mode === 'reset') this.dropConnections();
    if (mode === 'refuse' && this.server && this.server.listening) {
      this.address = this.server.address();
      this.server.close();
    }
  }

  endOutage() {
    if (!this.outage) return;
    clearTimeout(this.outage.timer);
    const mode = this.outage.mode;
    this.outage = null;
    if (mode === 'refuse' && this.server && !this.server.listening && this.address) this.relisten(50);
  }

  // Binds the old port again; another process may have taken it meanwhile
  // (ephemeral ports), so EADDRINUSE is retried every 100 ms for a while.
  relisten(tries) {
    const onError = (e) => {
      if (e.code !== 'EADDRINUSE' || tries <= 1) {
        if (this.ctx.log) this.ctx.log(`outage: cannot listen on port ${this.address.port} again: ${e.message}`);
        return;
      }
      setTimeout(() => this.relisten(tries - 1), 100);
    };
    this.server.once('error', onError);
    this.server.listen(this.address.port, this.address.address, () => this.server.removeListener('error', onError));
  }

  // Destroys every open TCP connection (each h2 session and h1 keep-alive).
  dropConnections() {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (this.ctx.watches && typeof this.ctx.watches.closeAll === 'function') this.ctx.watches.closeAll();
  }

  snapshot() {
    return JSON.parse(JSON.stringify(this.stats));
  }
}

function destroyConnection(req, res) {
  if (req.httpVersion === '2.0' && req.stream && req.stream.session) req.stream.session.destroy();
  else if (req.socket) req.socket.destroy();
  else res.destroy();
}

function statusFor(code, info, rule) {
  const res = info.resource || 'resources';
  const rinfo = {resource: res, group: info.group, kind: res};
  const message = rule.message;
  switch (code) {
  case 401: return {reason: 'Unauthorized', message: message || 'Unauthorized'};
  case 403: {
    const e = errors.forbidden(rule.user || 'system:serviceaccount:default:default', info.verb, rinfo,
                               info.namespace || undefined, info.name || undefined);
    return {reason: 'Forbidden', message: message || e.message, details: e.details};
  }
  case 404: {
    if (info.name) return {reason: 'NotFound', message: message || `${res} "${info.name}" not found`, details: {name: info.name, kind: res}};
    return {reason: 'NotFound', message: message || 'the server could not find the requested resource', details: {}};
  }
  case 409: return {reason: 'Conflict', message: message || `Operation cannot be fulfilled on ${res} "${info.name}": the object has been modified; please apply your changes to the latest version and try again`,
                    details: {name: info.name, kind: res}};
  case 410: return {reason: 'Expired', message: message || 'The resourceVersion for the provided list is too old.'};
  case 500: {
    const m = message || 'injected fault';
    return {reason: 'InternalError', message: `Internal error occurred: ${m}`, details: {causes: [{message: m}]}};
  }
  case 503: return {reason: 'ServiceUnavailable', message: message || 'the server is currently unable to handle the request'};
  case 504: return {reason: 'Timeout', message: message || 'Timeout: request did not complete within the allotted timeout', details: {}};
  default: return {reason: REASONS[code] || '', message: message || `injected fault ${code}`};
  }
}

function sendStatus(res, err, code, reason, message, retryAfter) {
  const s = {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason};
  if (err.details) s.details = {...err.details};
  if (retryAfter !== undefined) s.details = {...(s.details || {}), retryAfterSeconds: Number(retryAfter)};
  s.code = code;
  wire.sendJSON(res, code, s, retryAfter !== undefined ? {'Retry-After': String(retryAfter)} : undefined);
}

// Rules given at start: --faults '<JSON rule or array>' or --faults @file.json.
function startupRules(ctx) {
  const v = ctx.options && ctx.options.faults;
  if (v === undefined || v === null || v === '' || v === true) return [];
  const text = String(v).startsWith('@') ? require('fs').readFileSync(String(v).slice(1), 'utf8') : String(v);
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`--faults is not JSON: ${e.message}`);
  }
  return Array.isArray(parsed) ? parsed : Array.isArray(parsed.rules) ? parsed.rules : [parsed];
}

function attach(ctx) {
  const f = new Faults(ctx);
  ctx.sim = ctx.sim || {};
  ctx.sim.faults = f;
  f.attachServer(ctx.server);
  f.addRules(startupRules(ctx));
  return f;
}

// The API server calls this first for every request. Returns true when the
// request was answered here, false to let it through, or a Promise of either
// (latency rules).
function intercept(req, res, ctx) {
  const f = ctx && ctx.sim && ctx.sim.faults;
  return f ? f.intercept(req, res) : false;
}

// Called by sim.js on shutdown: stops timers and listeners.
function detach(ctx) {
  const f = ctx.sim && ctx.sim.faults;
  if (!f) return;
  f.rules = [];
  if (f.outage) clearTimeout(f.outage.timer); // no re-listen: the server is closing
  f.outage = null;
}

module.exports = {attach, detach, intercept, Faults, requestInfo, checkRule, TOO_MANY};

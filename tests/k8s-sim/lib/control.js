'use strict';
// The simulator's control plane: HTTP+JSON endpoints under /_sim/ that let a
// test in any language drive the scheduler, the kubelets and the faults, and
// read statistics. The API server routes every /_sim/ request here (after
// reading the body) and never authenticates them. Every answer is JSON ending
// in "\n"; errors are {"error": "..."} with 400 (bad input), 404 (unknown
// endpoint or object) or 409 (wrong state). The endpoint list is in
// tests/k8s-sim/README.md ("Control endpoints"). Holds no state of its own:
// everything lives in ctx.sim.{scheduler,kubelet,faults} and ctx.store.

const http2 = require('node:http2');

function send(res, code, obj) {
  const body = JSON.stringify(obj) + '\n';
  res.writeHead(code, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body),
                       'Cache-Control': 'no-cache, private'});
  res.end(body);
}

class HttpError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function parseBody(body) {
  if (body === undefined || body === null) return {};
  if (typeof body === 'object' && !Buffer.isBuffer(body)) return body;
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : String(body);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `request body is not JSON: ${e.message}`);
  }
}

function need(ctx, part) {
  const m = ctx.sim && ctx.sim[part];
  if (!m) throw new HttpError(404, `the ${part} is not loaded in this simulator`);
  return m;
}

// Turns {code, message} refusals from the kubelet into HTTP errors.
function check(refusal) {
  if (refusal) throw new HttpError(refusal.code, refusal.message);
}

function wrap(fn) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof HttpError) throw e;
    if (e && typeof e.code === 'number' && e.code >= 400 && e.code < 600) throw new HttpError(e.code, e.message);
    if (e instanceof Error && !(e instanceof TypeError) && !(e instanceof ReferenceError)) throw new HttpError(400, e.message);
    throw e;
  }
}

function stats(ctx) {
  const f = ctx.sim && ctx.sim.faults;
  const out = f ? f.snapshot() : {};
  out.watches = {open: ctx.watches && typeof ctx.watches.count === 'function' ? ctx.watches.count() : null};
  out.store = {resourceVersion: ctx.store.currentRV()};
  if (ctx.sim && ctx.sim.scheduler) out.scheduler = {...ctx.sim.scheduler.stats};
  if (ctx.sim && ctx.sim.kubelet) out.kubelet = {...ctx.sim.kubelet.stats};
  if (f) out.faults = {rules: f.rules.length, outage: f.outage ? f.outage.mode : null};
  return out;
}

// Ends open watch streams. b: {fraction (default 1): each stream is dropped
// with that probability; resource: only watches of that resource; abrupt:
// reset the stream (h2 RST_STREAM, h1 socket destroyed) instead of a clean end}.
function dropWatches(ctx, b) {
  const w = ctx.watches;
  if (!w) throw new HttpError(404, 'this simulator exposes no watch registry');
  const before = w.count();
  const streams = w.streams || (ctx.api && ctx.api.hub && ctx.api.hub.streams);
  const fraction = b.fraction === undefined ? 1 : Number(b.fraction);
  if (!(fraction >= 0 && fraction <= 1)) throw new HttpError(400, '"fraction" must be a number in [0, 1]');
  if (b.resource !== undefined && typeof b.resource !== 'string') throw new HttpError(400, '"resource" must be a string');
  if (fraction >= 1 && !b.abrupt && b.resource === undefined) {
    w.closeAll();
    return {dropped: before - w.count(), open: w.count()};
  }
  if (!(streams instanceof Set)) throw new HttpError(400, 'this simulator can only drop all watches cleanly');
  const f = ctx.sim && ctx.sim.faults;
  const rng = f ? f.rng : Math.random;
  let dropped = 0;
  for (const s of Array.from(streams)) {
    if (b.resource !== undefined && !(s.info && s.info.resource === b.resource)) continue;
    if (fraction < 1 && rng() >= fraction) continue;
    dropped++;
    if (!b.abrupt) s.end();
    else if (s.req.httpVersion === '2.0' && s.res.stream) s.res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    else s.req.socket.destroy();
  }
  return {dropped, open: w.count()};
}

function nodeView(ctx, n) {
  const k = ctx.sim && ctx.sim.kubelet;
  return {name: n.metadata.name, lost: Boolean(k && k.lost.has(n.metadata.name)), labels: n.metadata.labels,
          taints: n.spec.taints || [], unschedulable: Boolean(n.spec.unschedulable),
          allocatable: n.status && n.status.allocatable,
          pods: ctx.store.list('pods', null, {raw: true}).items.filter((p) => p.spec && p.spec.nodeName === n.metadata.name).length};
}

// Routes one request; returns [code, object].
function route(method, parts, b, ctx) {
  const [a, p1, p2, p3, p4] = parts;
  const key = `${method} ${a || ''}`;
  switch (key) {
  case 'GET health': return [200, {ok: true}];
  case 'GET stats': return [200, stats(ctx)];
  case 'POST stats':
    if (p1 !== 'reset') break;
    need(ctx, 'faults').resetStats();
    return [200, stats(ctx)];
  case 'GET faults': return [200, need(ctx, 'faults').list()];
  case 'POST faults': {
    const list = Array.isArray(b) ? b : Array.isArray(b.rules) ? b.rules : [b];
    return [201, {rules: wrap(() => need(ctx, 'faults').addRules(list))}];
  }
  case 'DELETE faults': {
    const f = need(ctx, 'faults');
    if (p1 === undefined) {
      f.clear();
      return [200, f.list()];
    }
    if (!f.removeRule(p1)) throw new HttpError(404, `no fault rule ${p1}`);
    return [200, f.list()];
  }
  case 'POST outage': {
    // Answer first: refuse and reset modes destroy this very connection.
    const f = need(ctx, 'faults');
    const o = wrap(() => f.checkOutage(b.ms, b.mode));
    return [200, {outage: {mode: o.mode, ms: o.ms}}, () => f.startOutage(o.ms, o.mode)];
  }
  case 'DELETE outage':
    need(ctx, 'faults').endOutage();
    return [200, need(ctx, 'faults').list()];
  case 'POST watches':
    if (p1 === 'bookmark' && ctx.watches && typeof ctx.watches.bookmarkAll === 'function') {
      ctx.watches.bookmarkAll();  // a BOOKMARK now on every watch that allows them
      return [200, {open: ctx.watches.count()}];
    }
    if (p1 !== 'drop') break;
    return [200, dropWatches(ctx, b)];
  case 'POST compact': {
    if (b.rv !== undefined && !/^\d+$/.test(String(b.rv))) throw new HttpError(400, '"rv" must be a resourceVersion');
    ctx.store.compact(b.rv === undefined ? undefined : Number(b.rv));
    return [200, {compactedTo: b.rv === undefined ? ctx.store.currentRV() : String(b.rv), resourceVersion: ctx.store.currentRV()}];
  }
  case 'GET kubelet': return [200, need(ctx, 'kubelet').config()];
  case 'POST kubelet': {
    const k = need(ctx, 'kubelet');
    wrap(() => k.configure(b, false));
    return [200, k.config()];
  }
  case 'GET nodes':
    return [200, {nodes: ctx.store.list('nodes', null, {raw: true}).items.map((n) => nodeView(ctx, n))}];
  case 'POST nodes': {
    if (p1 === undefined) return [201, wrap(() => need(ctx, 'scheduler').addNode(b))];
    const k = need(ctx, 'kubelet');
    if (p2 === 'lose') check(k.loseNode(p1, b));
    else if (p2 === 'restore') check(k.restoreNode(p1));
    else break;
    return [200, nodeView(ctx, ctx.store.get('nodes', null, p1))];
  }
  case 'DELETE nodes':
    if (p1 === undefined) break;
    check(need(ctx, 'kubelet').deleteNode(p1));
    return [200, {deleted: p1}];
  case 'POST pods': {
    if (p1 === undefined || p2 === undefined || p4 !== undefined) break;
    const k = need(ctx, 'kubelet');
    if (p3 === 'crash') check(k.crash(p1, p2, b));
    else if (p3 === 'unready') check(k.setReady(p1, p2, false));
    else if (p3 === 'ready') check(k.setReady(p1, p2, true));
    else break;
    return [200, ctx.store.get('pods', p1, p2)];
  }
  default:
    break;
  }
  throw new HttpError(404, `no control endpoint ${method} /_sim/${parts.join('/')}`);
}

function handle(req, res, body, ctx) {
  const path = (req.url || '').split('?')[0];
  try {
    const parts = path.replace(/^\/_sim\/?/, '').split('/').filter(Boolean).map((x) => {
      try {
        return decodeURIComponent(x);
      } catch (e) {
        throw new HttpError(400, `bad path segment "${x}"`);
      }
    });
    const b = parseBody(body);
    const [code, obj, after] = route(String(req.method).toUpperCase(), parts, b, ctx);
    if (after) res.once('finish', () => setImmediate(after));
    send(res, code, obj);
  } catch (e) {
    if (e instanceof HttpError) {
      send(res, e.code, {error: e.message});
      return;
    }
    if (ctx.log) ctx.log(`control: ${e && e.stack}`);
    send(res, 500, {error: String(e && e.message)});
  }
}

function attach(ctx) {
  ctx.sim = ctx.sim || {};
  ctx.sim.control = module.exports;
}

module.exports = {attach, handle};

'use strict';
// The simulator's versioned object store: etcd plus the apiserver's watch
// cache, in memory.
//
// Design
// - One global resourceVersion counter (integers carried as strings, like
//   etcd revisions). Every write bumps it and is recorded as an event.
// - Per resource: a Map key -> stored object (key "ns/name", or "name" for
//   cluster-scoped resources, compared bytewise like etcd keys), a lazily
//   rebuilt sorted key array for paging, and a bounded ring of past events
//   (capacity `historySize`). Events that fall out of the ring, or are
//   dropped by compact(), raise the resource's compaction mark: a watch or an
//   exact-RV list older than the mark gets 410 Expired.
// - Stored objects are never mutated after they are stored; readers get deep
//   copies (get/list/'event'), watchers get the stored object itself plus a
//   per-event cache for serialised lines (watch.js) and must not mutate it.
// - Writes dispatch to watchers and then emit 'event' synchronously, through
//   one FIFO queue, so a listener that writes from inside its handler cannot
//   reorder events for other listeners.
// - Snapshot reads at an older RV (exact lists, continue tokens) rebuild the
//   state by undoing ring events newer than that RV.
// - Finalizers: remove() of an object with metadata.finalizers only marks it
//   deleted; the update that drops its last finalizer deletes it.
//
// This file is the contract shared with the node simulator (scheduler.js,
// kubelet.js): create/get/list/update/remove/compact/currentRV and the
// 'event' (type, resource, obj) emission. Resource-specific defaulting and
// validation live in the HTTP layer (strategy.js), not here.

const {EventEmitter} = require('node:events');
const crypto = require('node:crypto');
const {ApiError, errors} = require('./status.js');
const {lookup} = require('./resources.js');
const selectors = require('./selectors.js');

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const META_ORDER = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation',
  'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations',
  'ownerReferences', 'finalizers', 'managedFields'];
const TOP_ORDER = ['kind', 'apiVersion', 'metadata', 'spec', 'status'];

function clone(o) {
  return o === undefined ? undefined : JSON.parse(JSON.stringify(o));
}

function reorder(obj, order) {
  const out = {};
  for (const k of order) if (obj[k] !== undefined) out[k] = obj[k];
  for (const k of Object.keys(obj)) if (!(k in out) && obj[k] !== undefined) out[k] = obj[k];
  return out;
}

// Puts top-level and metadata keys in the apiserver's struct order so that
// serialised objects read like real ones. Drops kind/apiVersion (the HTTP
// layer adds them where the wire form has them).
function normalize(obj) {
  const o = reorder(obj, TOP_ORDER);
  delete o.kind;
  delete o.apiVersion;
  o.metadata = reorder(o.metadata || {}, META_ORDER);
  return o;
}

function nowRFC3339() {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function randomSuffix() {
  const bytes = crypto.randomBytes(5);
  let s = '';
  for (const b of bytes) s += NAME_ALPHABET[b % NAME_ALPHABET.length];
  return s;
}

class Ring {
  constructor(cap) {
    this.cap = cap;
    this.buf = new Array(cap);
    this.start = 0;
    this.len = 0;
  }
  push(v) {
    let evicted;
    if (this.len === this.cap) {
      evicted = this.buf[this.start];
      this.buf[this.start] = v;
      this.start = (this.start + 1) % this.cap;
    } else {
      this.buf[(this.start + this.len) % this.cap] = v;
      this.len++;
    }
    return evicted;
  }
  at(i) { return this.buf[(this.start + i) % this.cap]; }
  shift() {
    const v = this.buf[this.start];
    this.buf[this.start] = undefined;
    this.start = (this.start + 1) % this.cap;
    this.len--;
    return v;
  }
  // Index of the first entry with rv > after (entries are in rv order).
  firstAfter(after) {
    let lo = 0;
    let hi = this.len;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.at(mid).rv > after) hi = mid; else lo = mid + 1;
    }
    return lo;
  }
}

class Table {
  constructor(info, historySize) {
    this.info = info;
    this.objs = new Map();
    this.sorted = null;
    this.hist = new Ring(historySize);
    this.compacted = 0;
    this.watchers = new Map();  // ns -> Set; '' key used for all-namespace watchers
  }
  key(ns, name) { return this.info.namespaced ? `${ns}/${name}` : name; }
  sortedKeys() {
    if (!this.sorted) this.sorted = Array.from(this.objs.keys()).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return this.sorted;
  }
}

class Store extends EventEmitter {
  // opts: {historySize = 10000, startRV = 1}
  constructor(opts = {}) {
    super();
    this.setMaxListeners(0);  // every request waiting for a future RV listens
    this.historySize = opts.historySize || 10000;
    this.rv = opts.startRV || 1;
    this.tables = new Map();
    this.queue = [];
    this.dispatching = false;
    this.watchCount = 0;
  }

  table(resource) {
    let t = this.tables.get(resource);
    if (!t) {
      t = new Table(lookup(resource), this.historySize);
      this.tables.set(resource, t);
    }
    return t;
  }

  currentRV() { return String(this.rv); }

  compactedRV(resource) { return this.table(resource).compacted; }

  get(resource, ns, name) {
    const t = this.table(resource);
    return clone(t.objs.get(t.key(ns, name))) || null;
  }

  // Read without copying; the caller must not mutate the result.
  peek(resource, ns, name) {
    const t = this.table(resource);
    return t.objs.get(t.key(ns, name)) || null;
  }

  create(resource, ns, obj) {
    const t = this.table(resource);
    const o = normalize(clone(obj));
    const m = o.metadata;
    if (!m.name && m.generateName) m.name = this.generateName(t, ns, m.generateName);
    if (!m.name) {
      throw errors.invalid(t.info, '', [{type: 'FieldValueRequired', field: 'metadata.name',
        message: 'Required value: name or generateName is required'}]);
    }
    if (t.info.namespaced) m.namespace = ns; else delete m.namespace;
    const key = t.key(ns, m.name);
    const existing = t.objs.get(key);
    if (existing) throw errors.alreadyExists(t.info, m.name, Boolean(existing.metadata.deletionTimestamp));
    delete m.selfLink;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    m.uid = crypto.randomUUID();
    m.creationTimestamp = nowRFC3339();
    m.resourceVersion = String(++this.rv);
    const stored = normalize(o);
    t.objs.set(key, stored);
    t.sorted = null;
    this.record(t, 'ADDED', stored, null, key);
    return clone(stored);
  }

  generateName(t, ns, prefix) {
    const base = prefix.length > 58 ? prefix.slice(0, 58) : prefix;
    for (let i = 0; i < 16; i++) {
      const name = base + randomSuffix();
      if (!t.objs.has(t.key(ns, name))) return name;
    }
    return base + randomSuffix();
  }

  // mutate(copy) returns the new object (or null/undefined for "no change").
  // Identity fields (name, namespace, uid, creationTimestamp) are kept; a
  // result identical to the stored object is a no-op (no RV bump, no event).
  update(resource, ns, name, mutate) {
    const t = this.table(resource);
    const key = t.key(ns, name);
    const cur = t.objs.get(key);
    if (!cur) throw errors.notFound(t.info, name);
    const next = mutate(clone(cur));
    if (!next) return clone(cur);
    const o = normalize(next);
    const m = o.metadata;
    for (const f of ['name', 'namespace', 'uid', 'creationTimestamp']) {
      if (cur.metadata[f] !== undefined) m[f] = cur.metadata[f]; else delete m[f];
    }
    m.resourceVersion = cur.metadata.resourceVersion;
    const stored = normalize(o);
    if (JSON.stringify(stored) === JSON.stringify(cur)) return clone(cur);
    stored.metadata.resourceVersion = String(++this.rv);
    if (finalized(t.info, stored)) {
      // The last finalizer of an object whose deletion is confirmed went away:
      // the update completes the delete (watchers see DELETED only).
      t.objs.delete(key);
      t.sorted = null;
      this.record(t, 'DELETED', stored, cur, key);
      return clone(stored);
    }
    t.objs.set(key, stored);
    this.record(t, 'MODIFIED', stored, cur, key);
    return clone(stored);
  }

  // Deletes now, unless metadata.finalizers remain: then the object is only
  // marked (deletionTimestamp, deletionGracePeriodSeconds 0, MODIFIED) and
  // goes when an update removes its last finalizer. Returns the last state.
  remove(resource, ns, name) {
    const t = this.table(resource);
    const key = t.key(ns, name);
    const cur = t.objs.get(key);
    if (!cur) throw errors.notFound(t.info, name);
    if ((cur.metadata.finalizers || []).length > 0) {
      return this.update(resource, ns, name, (o) => {
        o.metadata.deletionTimestamp = o.metadata.deletionTimestamp || nowRFC3339();
        o.metadata.deletionGracePeriodSeconds = 0;
        return o;
      });
    }
    const last = clone(cur);
    last.metadata.resourceVersion = String(++this.rv);
    t.objs.delete(key);
    t.sorted = null;
    this.record(t, 'DELETED', last, cur, key);
    return clone(last);
  }

  // Drops history up to `rv` (default: everything so far). Watches and
  // continue tokens from before that point get 410 afterwards.
  compact(rv) {
    const target = rv === undefined ? this.rv : Number(rv);
    for (const t of this.tables.values()) {
      while (t.hist.len > 0 && t.hist.at(0).rv <= target) t.hist.shift();
      if (target > t.compacted) t.compacted = target;
    }
  }

  record(t, type, obj, prev, key) {
    const entry = {rv: this.rv, type, obj, prev, key, resource: t.info.resource, lines: null};
    const evicted = t.hist.push(entry);
    if (evicted && evicted.rv > t.compacted) t.compacted = evicted.rv;
    this.queue.push(entry);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      while (this.queue.length > 0) this.dispatch(this.queue.shift());
    } finally {
      this.dispatching = false;
    }
  }

  dispatch(entry) {
    const t = this.tables.get(entry.resource);
    const ns = t.info.namespaced ? entry.obj.metadata.namespace : '';
    for (const set of [t.watchers.get(ns), ns === '' ? null : t.watchers.get('')]) {
      if (!set) continue;
      for (const w of set) this.deliver(w, entry);
    }
    if (this.listenerCount('event') > 0) this.emit('event', entry.type, entry.resource, clone(entry.obj));
  }

  deliver(w, entry) {
    if (w.stopped || entry.rv <= w.fromRV) return;
    if (!w.match) { w.onEvent(entry.type, entry.obj, entry); return; }
    const now = entry.type !== 'DELETED' && w.match(entry.obj);
    const before = entry.prev !== null && w.match(entry.prev);
    if (entry.type === 'DELETED') { if (before) w.onEvent('DELETED', entry.obj, entry); return; }
    if (now && before) w.onEvent('MODIFIED', entry.obj, entry);
    else if (now) w.onEvent('ADDED', entry.obj, null);
    else if (before) {
      const gone = clone(entry.prev);
      gone.metadata.resourceVersion = String(entry.rv);
      w.onEvent('DELETED', gone, null);
    }
  }

  // Lists objects. opts: {labelSelector, fieldSelector (strings or parsed),
  // atRV (exact snapshot; default: current), limit, startKey (exclusive
  // lower bound is startKey itself: keys >= startKey are returned), raw
  // (skip copying)}. Returns {items, resourceVersion, nextKey?,
  // remainingItemCount?} where nextKey is set when a page was cut short.
  list(resource, ns, opts = {}) {
    const t = this.table(resource);
    const match = selectors.compile(t.info, opts.labelSelector, opts.fieldSelector);
    let objs = t.objs;
    let keys;
    let rv = this.rv;
    if (opts.atRV !== undefined && Number(opts.atRV) !== this.rv) {
      rv = Number(opts.atRV);
      objs = this.snapshot(t, rv);
      keys = Array.from(objs.keys()).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    } else {
      keys = t.sortedKeys();
    }
    const prefix = t.info.namespaced && ns ? `${ns}/` : '';
    let i = lowerBound(keys, opts.startKey && opts.startKey > prefix ? opts.startKey : prefix);
    const items = [];
    const limit = opts.limit > 0 ? opts.limit : Infinity;
    let lastKey = null;
    for (; i < keys.length; i++) {
      const k = keys[i];
      if (prefix && !k.startsWith(prefix)) break;
      const o = objs.get(k);
      if (match && !match(o)) continue;
      if (items.length >= limit) break;
      items.push(opts.raw ? o : clone(o));
      lastKey = k;
    }
    const out = {items, resourceVersion: String(rv)};
    const more = this.hasMore(keys, objs, i, prefix, match);
    if (more && items.length > 0) {
      out.nextKey = lastKey;
      if (!match) out.remainingItemCount = countPrefix(keys, i, prefix);
    }
    return out;
  }

  hasMore(keys, objs, i, prefix, match) {
    for (; i < keys.length; i++) {
      if (prefix && !keys[i].startsWith(prefix)) return false;
      if (!match || match(objs.get(keys[i]))) return true;
    }
    return false;
  }

  // State of one resource at `rv`: throws 410 when history no longer
  // reaches back that far.
  snapshot(t, rv) {
    if (rv < t.compacted) throw errors.expired('The resourceVersion for the provided list is too old.');
    const objs = new Map(t.objs);
    for (let i = t.hist.len - 1; i >= 0; i--) {
      const e = t.hist.at(i);
      if (e.rv <= rv) break;
      if (e.type === 'ADDED') objs.delete(e.key); else objs.set(e.key, e.prev);
    }
    return objs;
  }

  // Starts a watch. opts: {labelSelector, fieldSelector, resourceVersion}.
  // RV unset/"" /"0": synthetic ADDED for current matching objects, then
  // changes. RV "N": changes after N only (replayed from history; 410
  // Expired when history is gone; events up to N are skipped if N is in the
  // future). onEvent(type, obj, entry): obj must not be mutated; entry is the
  // shared history entry (null for per-watcher synthesized events).
  watch(resource, ns, opts, onEvent) {
    const t = this.table(resource);
    const match = selectors.compile(t.info, opts.labelSelector, opts.fieldSelector);
    const rvStr = opts.resourceVersion;
    const w = {match, onEvent, fromRV: this.rv, stopped: false, ns: t.info.namespaced ? ns || '' : ''};
    if (rvStr === undefined || rvStr === '' || rvStr === '0') {
      for (const o of this.list(resource, ns, {raw: true}).items) {
        if (!match || match(o)) onEvent('ADDED', o, null);
      }
    } else {
      const from = Number(rvStr);
      if (from < t.compacted) {
        throw errors.expired(`too old resource version: ${from} (${t.compacted})`);
      }
      if (from > this.rv) {
        w.fromRV = from;
      } else {
        for (let i = t.hist.firstAfter(from); i < t.hist.len; i++) {
          const e = t.hist.at(i);
          if (w.ns && (t.info.namespaced ? e.obj.metadata.namespace : '') !== w.ns) continue;
          this.deliver({...w, fromRV: from}, e);
        }
      }
    }
    let set = t.watchers.get(w.ns);
    if (!set) { set = new Set(); t.watchers.set(w.ns, set); }
    set.add(w);
    this.watchCount++;
    w.stop = () => {
      if (w.stopped) return;
      w.stopped = true;
      set.delete(w);
      this.watchCount--;
    };
    return w;
  }
}

function finalized(info, o) {
  const m = o.metadata;
  return info.resource !== 'namespaces' && Boolean(m.deletionTimestamp) && m.deletionGracePeriodSeconds === 0 &&
    (m.finalizers || []).length === 0;
}

function lowerBound(keys, k) {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid] < k) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function countPrefix(keys, i, prefix) {
  if (!prefix) return keys.length - i;
  const end = lowerBound(keys, prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1));
  return end - i;
}

module.exports = {Store, ApiError, errors, normalize, clone, nowRFC3339, NAME_ALPHABET};

'use strict';
// Watch streams over HTTP/1.1 (chunked) and HTTP/2 (DATA frames).
//
// Wire form (apiserver handlers/watch.go): 200, Content-Type
// application/json, one {"type":..,"object":{..}}\n per event. Like the real
// server, a stream is flushed only when its queue is empty: events produced
// in one tick are written as one chunk (setImmediate), so clients see
// several events per chunk and must frame by newline.
//
// Lifetime: a stream ends cleanly at timeoutSeconds (default
// minRequestTimeout x [1,2)), when the client goes away, when the server
// closes all watches (closeAll), or when the client stops reading and more
// than `maxBuffered` bytes pile up (the cacher drops slow watchers too).
// Serialised event lines are cached on the store's history entry, so N
// watchers of one resource serialise each event once.

const {baseHeaders} = require('./wire.js');
const {lookup} = require('./resources.js');
const table = require('./table.js');

class WatchHub {
  constructor(store, options, log) {
    this.store = store;
    this.options = options;
    this.log = log;
    this.streams = new Set();
    this.bookmarkTimer = null;
    const every = options.bookmarkIntervalMs;
    if (every > 0) {
      this.bookmarkTimer = setInterval(() => this.bookmarkAll(), every);
      this.bookmarkTimer.unref();
    }
  }

  count() { return this.streams.size; }

  closeAll() {
    for (const s of Array.from(this.streams)) s.end();
  }

  // Sends a BOOKMARK to every stream that asked for them.
  bookmarkAll() {
    for (const s of this.streams) s.bookmark();
  }

  stop() {
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    this.closeAll();
  }

  // q: parsed watch options {resourceVersion, labelSelector, fieldSelector,
  // timeoutSeconds, allowWatchBookmarks, sendInitialEvents}. Selectors and
  // options were validated by the caller; store.watch may still throw 410,
  // which becomes a 200 + ERROR event as from the watch cache.
  serve(req, res, resource, ns, q) {
    const s = new Stream(this, req, res, lookup(resource), q);
    this.streams.add(s);
    s.start(resource, ns);
  }
}

class Stream {
  constructor(hub, req, res, info, q) {
    this.hub = hub;
    this.req = req;
    this.res = res;
    this.info = info;
    this.q = q;
    this.buf = [];
    this.scheduled = false;
    this.ended = false;
    this.watcher = null;
    this.timer = null;
    this.prefix = `{"kind":"${info.kind}","apiVersion":"${info.apiVersion}",`;
  }

  start(resource, ns) {
    const res = this.res;
    baseHeaders(res);
    res.setHeader('Content-Type', 'application/json');
    res.writeHead(200);
    if (typeof res.flushHeaders === 'function') res.flushHeaders();
    const onGone = () => this.end();
    this.req.on('close', onGone);
    res.on('close', onGone);
    const q = this.q;
    const initial = q.sendInitialEvents === true;
    let rv = q.resourceVersion;
    if (q.sendInitialEvents === false && (rv === undefined || rv === '' || rv === '0')) rv = this.hub.store.currentRV();
    try {
      this.watcher = this.hub.store.watch(resource, ns, {labelSelector: q.labelSelector,
        fieldSelector: q.fieldSelector, resourceVersion: initial ? '' : rv}, (type, obj, entry) => this.push(type, obj, entry));
    } catch (e) {
      // Headers are out: failures travel as one ERROR event (410 from the
      // watch cache, anything else as an InternalError Status).
      const {errors} = require('./status.js');
      const err = typeof e.toStatus === 'function' ? e : errors.internal(String(e && e.message));
      if (!err.toStatus || err.code !== 410) this.hub.log(`watch failed: ${e && e.stack ? e.stack : e}`);
      this.buf.push(JSON.stringify({type: 'ERROR', object: err.toStatus()}) + '\n');
      this.flush();
      this.end();
      return;
    }
    if (initial) this.bookmark({'k8s.io/initial-events-end': 'true'});
    // handlers/get.go: an absent or zero timeoutSeconds means minRequestTimeout x [1,2).
    const secs = q.timeoutSeconds > 0 ? q.timeoutSeconds : this.hub.options.minRequestTimeout * (1 + Math.random());
    this.timer = setTimeout(() => this.end(), secs * 1000);
  }

  line(type, obj, entry) {
    if (this.q.table && type !== 'BOOKMARK' && type !== 'ERROR') {
      const t = table.render(this.info, [obj], {resourceVersion: obj.metadata.resourceVersion}, this.q.includeObject);
      return JSON.stringify({type, object: t}) + '\n';
    }
    if (entry) {
      const cache = entry.lines || (entry.lines = {});
      if (cache[type]) return cache[type];
      return (cache[type] = this.render(type, obj));
    }
    return this.render(type, obj);
  }

  render(type, obj) {
    const body = JSON.stringify(obj);
    return `{"type":"${type}","object":${this.prefix}${body.slice(1)}}\n`;
  }

  push(type, obj, entry) {
    if (this.ended) return;
    this.buf.push(this.line(type, obj, entry));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush() {
    this.scheduled = false;
    if (this.ended || this.buf.length === 0) return;
    const chunk = this.buf.join('');
    this.buf = [];
    if (this.res.destroyed || this.res.writableEnded) { this.end(); return; }
    this.res.write(chunk);
    const limit = this.hub.options.maxWatchBuffer || 64 * 1024 * 1024;
    if (this.res.writableLength > limit) {
      this.hub.log(`closing a ${this.info.resource} watch: client is not reading (${this.res.writableLength} bytes queued)`);
      this.end();
    }
  }

  bookmark(annotations) {
    if (this.ended || !this.q.allowWatchBookmarks) return;
    const rv = this.hub.store.currentRV();
    if (this.watcher && Number(rv) < this.watcher.fromRV) return;  // future-RV watch not started yet
    const meta = {resourceVersion: rv};
    if (annotations) meta.annotations = annotations;
    this.push('BOOKMARK', {metadata: meta}, null);
  }

  end() {
    if (this.ended) return;
    if (this.buf.length && !this.res.destroyed && !this.res.writableEnded) {
      this.res.write(this.buf.join(''));
      this.buf = [];
    }
    this.ended = true;
    if (this.watcher) this.watcher.stop();
    if (this.timer) clearTimeout(this.timer);
    this.hub.streams.delete(this);
    if (!this.res.writableEnded && !this.res.destroyed) this.res.end();
  }
}

module.exports = {WatchHub};

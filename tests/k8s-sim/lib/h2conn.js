'use strict';
// One TLS port for HTTP/1.1 and h2 (ALPN), with h2 sessions that behave like
// Go's net/http2 in kube-apiserver towards clients that reset streams after
// their response is complete.
//
// Why: Node's http2 ends a response with an empty DATA frame carrying
// END_STREAM, sent after the body's DATA frames. libcurl 7.88 (the C client)
// finishes a transfer when Content-Length bytes arrived and then sends
// RST_STREAM for the stream it still sees open; Node 20's nghttp2 counts every
// incoming RST_STREAM against its rapid-reset limit (1000, refilled at 33/s,
// not configurable in Node 20) and, when it runs dry, sends
// GOAWAY(INTERNAL_ERROR) and drops the session with responses in flight, which
// curl replays on a new connection (one POST, two pods). Go's net/http2 (the
// apiserver) puts END_STREAM on the body's last DATA frame, so curl never
// resets. EndStreamJoiner does the same on the way out: for a stream whose
// handler has ended the response, the last DATA frame is held until Node's
// empty END_STREAM frame follows and then sent with END_STREAM set (the empty
// frame is dropped). Held frames are flushed unchanged once HOLD_MS have
// passed *and* the event loop has gone round HOLD_TURNS times since they were
// held (turns spent waiting for the TLS socket to drain do not count), when
// HOLD_BYTES are held, or when the peer's connection window
// (tracked from the DATA sent and its WINDOW_UPDATEs) runs low, so flow
// control never stalls on them; a peer with a small window (Node's 64 KiB
// default) gets no joining. Node sends the empty frame a few loop turns after
// the body (the body's write completes, then the stream shuts down, then the
// session writes), so counting turns rather than milliseconds keeps the
// joining exact on a machine so busy that one turn takes longer than HOLD_MS.
//
// createServer({tls, settings, maxSessionMemory, handler}) returns
// {server, h1, h2}: `server` is the tls.Server (listen/close, 'connection'
// per TCP socket, 'secureConnection'), `h1` the http.Server for HTTP/1.1 and
// `h2` the http2 server whose 'session' events carry the h2 sessions.
// Requests of both kinds go to handler(req, res) with the compatibility API;
// an h2 request's req.socket answers `authorized` and getPeerCertificate()
// from the TLS socket underneath.

const tls = require('node:tls');
const http = require('node:http');
const http2 = require('node:http2');
const {Duplex} = require('node:stream');

const FRAME_HEADER = 9;
const DATA = 0;
const RST_STREAM = 3;
const END_STREAM = 0x1;
const HOLD_MS = 20;
const HOLD_TURNS = 10; // timer rounds, each in a later event-loop iteration
const HOLD_BYTES = 256 * 1024;
const LOW_WINDOW = 64 * 1024; // below this, nothing is held (the peer may wait for it)
const PREFACE_LEN = 24;
const WINDOW_UPDATE = 8;

class EndStreamJoiner extends Duplex {
  constructor(socket) {
    super({allowHalfOpen: true});
    this.socket = socket;
    this.ended = new Map(); // stream id -> DATA bytes sent, once its handler ended the response
    this.held = new Map(); // stream id -> {frame, at, turn}: DATA frame not yet sent
    this.heldBytes = 0;
    this.timer = null;
    this.turns = 0; // timer rounds so far: each runs in a later loop iteration
    this.pending = Buffer.alloc(0); // partial outgoing frame
    this.joined = 0;
    // The peer's connection receive window as the server sees it: held
    // frames must not be what the peer waits for before its WINDOW_UPDATE.
    this.window = 65535;
    this.inPending = Buffer.alloc(0);
    this.prefaceLeft = PREFACE_LEN;
    // Node's http2 would do this on a socket it owns; without it Nagle
    // holds small frames until the peer's delayed ACK (~40 ms).
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      this.watchIncoming(d);
      if (!this.push(d)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', (e) => this.destroy(e));
  }

  // Reads connection-level WINDOW_UPDATEs from the client's frames.
  watchIncoming(d) {
    let buf = this.inPending.length ? Buffer.concat([this.inPending, d]) : d;
    let pos = 0;
    if (this.prefaceLeft > 0) {
      pos = Math.min(this.prefaceLeft, buf.length);
      this.prefaceLeft -= pos;
    }
    while (buf.length - pos >= FRAME_HEADER) {
      const len = buf.readUIntBE(pos, 3);
      if (buf.length - pos < FRAME_HEADER + len) break;
      if (buf[pos + 3] === WINDOW_UPDATE && len === 4 && (buf.readUInt32BE(pos + 5) & 0x7fffffff) === 0) {
        this.window += buf.readUInt32BE(pos + 9) & 0x7fffffff;
      }
      pos += FRAME_HEADER + len;
    }
    this.inPending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
    buf = null;
  }

  streamEnded(id) {
    if (!this.ended.has(id)) this.ended.set(id, 0);
  }

  streamClosed(id) {
    this.ended.delete(id);
  }

  // Splits outgoing bytes into frames; returns the bytes to send now.
  frames(chunk) {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out = [];
    let pos = 0;
    while (buf.length - pos >= FRAME_HEADER) {
      const len = buf.readUIntBE(pos, 3);
      const size = FRAME_HEADER + len;
      if (buf.length - pos < size) break;
      this.frame(buf.subarray(pos, pos + size), len, out);
      pos += size;
    }
    this.pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
    return out;
  }

  frame(f, len, out) {
    const type = f[3];
    const flags = f[4];
    const id = f.readUInt32BE(5) & 0x7fffffff;
    if (type === DATA) this.window -= len;
    // Only small bodies are joined: a held frame must never be what a
    // peer's per-stream window (64 KiB by default) waits for.
    const sent = type === DATA && this.ended.has(id) ? this.ended.get(id) + len : Infinity;
    if (sent !== Infinity) this.ended.set(id, sent);
    const held = id ? this.held.get(id) : undefined;
    if (held) {
      this.release(id);
      if (type === DATA && len === 0 && (flags & END_STREAM)) {
        held.frame[4] |= END_STREAM; // the body's last frame ends the stream
        out.push(held.frame);
        this.joined++;
        return;
      }
      out.push(held.frame);
    }
    if (type === DATA && !(flags & END_STREAM) && len > 0 && sent <= 32 * 1024 && this.window >= LOW_WINDOW) {
      const frame = Buffer.from(f);
      this.held.set(id, {frame, at: Date.now(), turn: this.turns});
      this.heldBytes += frame.length;
      while (this.heldBytes > HOLD_BYTES) out.push(...this.take(Infinity, 1));
      if (this.held.size && !this.timer) this.timer = setTimeout(() => this.flushHeld(), HOLD_MS);
      return;
    }
    if (type === RST_STREAM) this.ended.delete(id);
    if (this.window < LOW_WINDOW && this.held.size) out.push(...this.take(Infinity));
    out.push(f);
  }

  release(id) {
    this.heldBytes -= this.held.get(id).frame.length;
    this.held.delete(id);
  }

  // Up to `max` frames held since before `before` (ms) and before loop turn
  // `turn`, oldest first.
  take(before, max = Infinity, turn = Infinity) {
    const out = [];
    for (const [id, h] of this.held) {
      if (h.at >= before || h.turn >= turn || out.length >= max) break;
      out.push(h.frame);
      this.release(id);
    }
    return out;
  }

  flushHeld(all) {
    this.timer = null;
    if (!all && this.socket.writableNeedDrain && !this.socket.destroyed) {
      // Node sends nothing more, END_STREAM included, until the peer reads
      // what is queued: a turn spent waiting for that does not count.
      this.timer = setTimeout(() => this.flushHeld(), HOLD_MS);
      return;
    }
    this.turns++;
    const now = Date.now();
    const out = all ? this.take(Infinity) : this.take(now - HOLD_MS + 1, Infinity, this.turns - HOLD_TURNS + 1);
    if (out.length && !this.socket.destroyed) this.socket.write(Buffer.concat(out));
    if (this.held.size) this.timer = setTimeout(() => this.flushHeld(), Math.max(1, this.held.values().next().value.at + HOLD_MS - now));
  }

  _read() {
    this.socket.resume();
  }

  // Done as soon as the TLS socket took the bytes (waiting for them to be
  // flushed would serialise every nghttp2 write behind a socket round).
  _write(chunk, enc, cb) {
    const out = this.frames(chunk);
    if (!out.length || this.socket.write(out.length === 1 ? out[0] : Buffer.concat(out))) cb();
    else this.socket.once('drain', () => cb());
  }

  _final(cb) {
    clearTimeout(this.timer);
    this.flushHeld(true);
    clearTimeout(this.timer);
    if (this.pending.length) this.socket.write(this.pending);
    this.socket.end();
    cb();
  }

  _destroy(err, cb) {
    clearTimeout(this.timer);
    this.socket.destroy();
    cb(err);
  }
}

function createServer({tls: creds, settings, maxSessionMemory, handler}) {
  const server = tls.createServer({key: creds.key, cert: creds.cert, ca: creds.ca, requestCert: true,
    rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'], noDelay: true});
  const h1 = http.createServer(handler);
  const h2 = http2.createServer({settings, maxSessionMemory}, handler);
  // Node wraps the joiner in an internal socket and emits 'session' during
  // emit('connection'), so the joiner is handed over through `next`.
  let next = null;
  h2.on('session', (session) => {
    const joiner = next;
    next = null;
    if (!joiner) return;
    // What apiserver.js asks req.socket for client certificates (the proxy
    // behind req.socket forwards these to Node's wrapper socket).
    const tlsSocket = joiner.socket;
    session.socket.authorized = tlsSocket.authorized;
    session.socket.getPeerCertificate = (detailed) => tlsSocket.getPeerCertificate(detailed);
    session.on('stream', (stream) => {
      const id = stream.id;
      const end = stream.end;
      stream.end = function (...args) {
        joiner.streamEnded(id);
        return end.apply(this, args);
      };
      stream.once('close', () => joiner.streamClosed(id));
    });
  });
  server.on('secureConnection', (socket) => {
    if (socket.alpnProtocol === 'h2') {
      next = new EndStreamJoiner(socket);
      h2.emit('connection', next);
      next = null;
    } else {
      h1.emit('connection', socket);
    }
  });
  return {server, h1, h2};
}

module.exports = {createServer, EndStreamJoiner};

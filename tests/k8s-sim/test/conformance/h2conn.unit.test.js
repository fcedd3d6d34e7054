'use strict';
// Unit tests for lib/h2conn.js's EndStreamJoiner: the frames it writes to the
// TLS socket for what Node's http2 session sends, on an idle and on a starved
// event loop. A fake socket records every write.
const {describe, it} = require('node:test');
const assert = require('node:assert/strict');
const {EventEmitter} = require('node:events');
const {EndStreamJoiner} = require('../../lib/h2conn.js');

const DATA = 0;
const WINDOW_UPDATE = 8;
const END_STREAM = 1;

function frame(type, flags, id, payload = Buffer.alloc(0)) {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(id, 5);
  return Buffer.concat([h, payload]);
}

// Splits what the joiner wrote into {type, flags, id, len}.
function parse(buf) {
  const out = [];
  for (let pos = 0; pos + 9 <= buf.length;) {
    const len = buf.readUIntBE(pos, 3);
    out.push({type: buf[pos + 3], flags: buf[pos + 4], id: buf.readUInt32BE(pos + 5) & 0x7fffffff, len});
    pos += 9 + len;
  }
  return out;
}

class FakeSocket extends EventEmitter {
  constructor() {
    super();
    this.written = [];
    this.destroyed = false;
    this.writableNeedDrain = false;
  }
  setNoDelay() {}
  pause() {}
  resume() {}
  write(b) {
    this.written.push(Buffer.from(b));
    return true;
  }
  end() {}
  destroy() {
    this.destroyed = true;
  }
  frames() {
    return parse(Buffer.concat(this.written));
  }
}

// A joiner whose peer opened a large connection window (as curl does).
function joiner() {
  const sock = new FakeSocket();
  const j = new EndStreamJoiner(sock);
  const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  const inc = Buffer.alloc(4);
  inc.writeUInt32BE(32 << 20);
  sock.emit('data', Buffer.concat([preface, frame(WINDOW_UPDATE, 0, 0, inc)]));
  return {sock, j};
}

const write = (j, buf) => new Promise((resolve, reject) => j.write(buf, (e) => (e ? reject(e) : resolve())));
const turn = () => new Promise((resolve) => setImmediate(resolve));
const busy = (ms) => {
  for (const end = Date.now() + ms; Date.now() < end;);
};

describe('EndStreamJoiner', () => {
  it('puts END_STREAM on the last DATA frame of an ended response', async () => {
    const {sock, j} = joiner();
    j.streamEnded(1);
    await write(j, frame(DATA, 0, 1, Buffer.from('{"kind":"Pod"}')));
    assert.deepEqual(sock.frames(), [], 'the last DATA frame is held');
    await write(j, frame(DATA, END_STREAM, 1));
    assert.deepEqual(sock.frames(), [{type: DATA, flags: END_STREAM, id: 1, len: 14}]);
    assert.equal(j.joined, 1);
    j.destroy();
  });

  it('still joins when the loop is starved for longer than the hold time', async () => {
    const {sock, j} = joiner();
    j.streamEnded(3);
    await write(j, frame(DATA, 0, 3, Buffer.from('body')));
    // The process gets no CPU for 100 ms, then Node needs two loop turns
    // to send the empty END_STREAM frame: a wall-clock hold would have
    // flushed the body unjoined and the client would reset the stream.
    busy(100);
    await turn();
    await turn();
    await write(j, frame(DATA, END_STREAM, 3));
    assert.deepEqual(sock.frames(), [{type: DATA, flags: END_STREAM, id: 3, len: 4}]);
    j.destroy();
  });

  it('flushes a held frame unchanged when END_STREAM never follows', async () => {
    const {sock, j} = joiner();
    j.streamEnded(5);
    await write(j, frame(DATA, 0, 5, Buffer.from('partial')));
    for (let i = 0; i < 5000 && sock.frames().length === 0; i++) await new Promise((r) => setTimeout(r, 1));
    assert.deepEqual(sock.frames(), [{type: DATA, flags: 0, id: 5, len: 7}]);
    j.destroy();
  });

  it('does not count turns spent waiting for the socket to drain', async () => {
    const {sock, j} = joiner();
    j.streamEnded(7);
    await write(j, frame(DATA, 0, 7, Buffer.from('x')));
    sock.writableNeedDrain = true;
    for (let i = 0; i < 30; i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(sock.frames(), [], 'held while the peer reads nothing');
    sock.writableNeedDrain = false;
    await write(j, frame(DATA, END_STREAM, 7));
    assert.deepEqual(sock.frames(), [{type: DATA, flags: END_STREAM, id: 7, len: 1}]);
    j.destroy();
  });

  it('holds nothing for a response whose handler has not ended', async () => {
    const {sock, j} = joiner();
    await write(j, frame(DATA, 0, 9, Buffer.from('chunk')));
    assert.deepEqual(sock.frames(), [{type: DATA, flags: 0, id: 9, len: 5}]);
    j.destroy();
  });
});

'use strict';
// Decoder for the few Kubernetes protobuf request bodies kubectl sends.
//
// kubectl's typed clients (`kubectl create namespace ...`) POST
// application/vnd.kubernetes.protobuf: the 4-byte magic "k8s\0", then a
// runtime.Unknown {typeMeta=1 {apiVersion=1, kind=2}, raw=2, ...} whose raw
// bytes are the object's own message. Decoded kinds: Namespace (ObjectMeta,
// spec.finalizers, status.phase), DeleteOptions (kubectl drain) and
// SelfSubjectAccessReview (kubectl auth can-i); any other kind is refused
// with 415 by the caller. Field numbers are those of k8s.io/api core/v1 generated.proto and
// apimachinery meta/v1 generated.proto. Responses stay JSON (kubectl also
// accepts application/json).

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class ProtoError extends Error {}

function varint(buf, pos) {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos.i >= buf.length) throw new ProtoError('truncated varint');
    const b = buf[pos.i++];
    v += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return v;
    mul *= 128;
  }
  throw new ProtoError('varint too long');
}

// Returns [{field, value}] where value is a number (varint) or a Buffer.
function fields(buf) {
  const out = [];
  const pos = {i: 0};
  while (pos.i < buf.length) {
    const key = varint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) out.push({field, value: varint(buf, pos)});
    else if (wire === 2) {
      const len = varint(buf, pos);
      if (pos.i + len > buf.length) throw new ProtoError('truncated field');
      out.push({field, value: buf.subarray(pos.i, pos.i + len)});
      pos.i += len;
    } else if (wire === 1 || wire === 5) {
      pos.i += wire === 1 ? 8 : 4;
      if (pos.i > buf.length) throw new ProtoError('truncated fixed field');
    } else throw new ProtoError(`unsupported wire type ${wire}`);
  }
  return out;
}

const str = (b) => (Buffer.isBuffer(b) ? b.toString('utf8') : String(b));

function stringMap(entries) {
  const m = {};
  for (const e of entries) {
    let k = '';
    let v = '';
    for (const f of fields(e)) {
      if (f.field === 1) k = str(f.value);
      if (f.field === 2) v = str(f.value);
    }
    m[k] = v;
  }
  return m;
}

function objectMeta(buf) {
  const m = {};
  const labels = [];
  const annotations = [];
  for (const f of fields(buf)) {
    switch (f.field) {
      case 1: m.name = str(f.value); break;
      case 2: m.generateName = str(f.value); break;
      case 3: m.namespace = str(f.value); break;
      case 6: m.resourceVersion = str(f.value); break;
      case 11: labels.push(f.value); break;
      case 12: annotations.push(f.value); break;
      case 14: (m.finalizers = m.finalizers || []).push(str(f.value)); break;
      default: break;
    }
  }
  // Generated marshalers write every string field, set or not.
  for (const k of Object.keys(m)) if (m[k] === '') delete m[k];
  if (labels.length) m.labels = stringMap(labels);
  if (annotations.length) m.annotations = stringMap(annotations);
  return m;
}

function namespace(buf) {
  const o = {metadata: {}};
  for (const f of fields(buf)) {
    if (f.field === 1) o.metadata = objectMeta(f.value);
    if (f.field === 2) {
      o.spec = {};
      for (const s of fields(f.value)) if (s.field === 1) (o.spec.finalizers = o.spec.finalizers || []).push(str(s.value));
    }
    if (f.field === 3) {
      o.status = {};
      for (const s of fields(f.value)) if (s.field === 1 && s.value.length) o.status.phase = str(s.value);
    }
  }
  return o;
}

// int64 fields arrive as 64-bit two's complement varints.
function int64(v) {
  return v >= 2 ** 63 ? v - 2 ** 64 : v;
}

function deleteOptions(buf) {
  const o = {};
  for (const f of fields(buf)) {
    if (f.field === 1 && typeof f.value === 'number') o.gracePeriodSeconds = int64(f.value);
    if (f.field === 2 && Buffer.isBuffer(f.value)) {
      o.preconditions = {};
      for (const p of fields(f.value)) {
        if (p.field === 1) o.preconditions.uid = str(p.value);
        if (p.field === 2) o.preconditions.resourceVersion = str(p.value);
      }
    }
    if (f.field === 3 && typeof f.value === 'number') o.orphanDependents = f.value !== 0;
    if (f.field === 4) o.propagationPolicy = str(f.value);
    if (f.field === 5) (o.dryRun = o.dryRun || []).push(str(f.value));
  }
  return o;
}

function attributes(buf, names) {
  const o = {};
  for (const f of fields(buf)) if (names[f.field - 1] && Buffer.isBuffer(f.value) && f.value.length) o[names[f.field - 1]] = str(f.value);
  return o;
}

function selfSubjectAccessReview(buf) {
  const o = {metadata: {}, spec: {}};
  for (const f of fields(buf)) {
    if (f.field !== 2 || !Buffer.isBuffer(f.value)) continue;
    for (const s of fields(f.value)) {
      if (s.field === 1) o.spec.resourceAttributes = attributes(s.value, ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name']);
      if (s.field === 2) o.spec.nonResourceAttributes = attributes(s.value, ['path', 'verb']);
    }
  }
  return o;
}

const DECODERS = {'v1/Namespace': namespace, 'v1/DeleteOptions': deleteOptions, 'meta.k8s.io/v1/DeleteOptions': deleteOptions,
  'authorization.k8s.io/v1/SelfSubjectAccessReview': selfSubjectAccessReview};

// Decodes an enveloped body. Returns the object with apiVersion/kind, or
// null when the kind is not supported. Throws ProtoError on malformed input.
function decode(body) {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ProtoError('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  let apiVersion = '';
  let kind = '';
  let raw = Buffer.alloc(0);
  for (const f of fields(body.subarray(4))) {
    if (f.field === 1) {
      for (const t of fields(f.value)) {
        if (t.field === 1) apiVersion = str(t.value);
        if (t.field === 2) kind = str(t.value);
      }
    }
    if (f.field === 2) raw = f.value;
  }
  const dec = DECODERS[`${apiVersion}/${kind}`];
  if (!dec) return null;
  return {apiVersion, kind, ...dec(raw)};
}

module.exports = {decode, ProtoError};

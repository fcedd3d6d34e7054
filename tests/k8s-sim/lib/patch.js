'use strict';
// The four PATCH flavours the apiserver accepts, on plain JSON values:
//   mergePatch(doc, patch)                RFC 7386
//   strategicMergePatch(doc, patch)       SMP for built-in types: lists merged
//                                         by the patchMergeKey of the real
//                                         types (containers by name, conditions
//                                         by type ...), $patch / $retainKeys /
//                                         $deleteFromPrimitiveList directives
//   jsonPatch(doc, ops)                   RFC 6902 with the error texts of the
//                                         json-patch library the apiserver uses
//   parseYAML(text)                       the YAML subset kubectl and client
//                                         libraries send for apply (JSON is
//                                         YAML too and takes the fast path)
// All functions return new values and never mutate their inputs. Errors are
// thrown as PatchError(kind, message); the HTTP layer maps kind to a status.

class PatchError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;  // 'decode' (400) or 'apply' (422)
  }
}

const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function mergePatch(doc, patch) {
  if (!isObj(patch)) return clone(patch);
  const out = isObj(doc) ? clone(doc) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObj(v)) out[k] = mergePatch(out[k], v);
    else out[k] = clone(v);
  }
  return out;
}

// patchMergeKey of list fields, by dotted path of map keys (list indexes
// are not part of the path). Lists not named here are replaced whole.
const CONTAINER_LISTS = {ports: 'containerPort', env: 'name', volumeMounts: 'mountPath', volumeDevices: 'devicePath'};
const MERGE_KEYS = {
  'metadata.ownerReferences': 'uid',
  'spec.volumes': 'name',
  'spec.imagePullSecrets': 'name',
  'spec.hostAliases': 'ip',
  'spec.topologySpreadConstraints': 'topologyKey',
  'spec.resourceClaims': 'name',
  'spec.schedulingGates': 'name',
  'status.conditions': 'type',
  'status.podIPs': 'ip',
  'status.hostIPs': 'ip',
  'status.addresses': 'type',
  'status.resourceClaimStatuses': 'name',
};
for (const c of ['containers', 'initContainers', 'ephemeralContainers']) {
  MERGE_KEYS[`spec.${c}`] = 'name';
  for (const [f, k] of Object.entries(CONTAINER_LISTS)) MERGE_KEYS[`spec.${c}.${f}`] = k;
}
const PRIMITIVE_MERGE = new Set(['metadata.finalizers']);

function join(path, key) {
  return path ? `${path}.${key}` : key;
}

function smpMap(doc, patch, path) {
  if (patch.$patch === 'replace') {
    const r = clone(patch);
    delete r.$patch;
    return stripDirectives(r);
  }
  if (patch.$patch === 'delete') return undefined;
  let out = isObj(doc) ? clone(doc) : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = out[field].filter((x) => !v.includes(x));
      continue;
    }
    const p = join(path, k);
    if (v === null) delete out[k];
    else if (isObj(v)) {
      const r = smpMap(out[k], v, p);
      if (r === undefined) delete out[k]; else out[k] = r;
    } else if (Array.isArray(v)) out[k] = smpList(out[k], v, p);
    else out[k] = v;
  }
  return out;
}

function stripDirectives(v) {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  const o = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) o[k] = stripDirectives(x);
  return o;
}

function smpList(doc, patch, path) {
  const key = MERGE_KEYS[path];
  if (patch.some((e) => isObj(e) && e.$patch === 'replace')) {
    return stripDirectives(patch.filter((e) => !(isObj(e) && e.$patch === 'replace')));
  }
  if (PRIMITIVE_MERGE.has(path)) {
    const out = Array.isArray(doc) ? clone(doc) : [];
    for (const x of patch) if (!out.includes(x)) out.push(x);
    return out;
  }
  if (!key) return stripDirectives(patch);
  const out = Array.isArray(doc) ? clone(doc) : [];
  for (const e of patch) {
    if (!isObj(e)) { out.push(e); continue; }
    const idx = out.findIndex((x) => isObj(x) && x[key] === e[key]);
    if (e.$patch === 'delete') { if (idx >= 0) out.splice(idx, 1); continue; }
    if (idx >= 0) out[idx] = smpMap(out[idx], e, path);
    else out.push(stripDirectives(e));
  }
  return out;
}

function strategicMergePatch(doc, patch) {
  if (!isObj(patch)) throw new PatchError('decode', 'unable to find api field in struct Pod for the json field');
  return smpMap(doc, patch, '');
}

// --- RFC 6902 -----------------------------------------------------------

function parsePointer(path) {
  if (path === '') return [];
  if (typeof path !== 'string' || path[0] !== '/') {
    throw new PatchError('apply', `invalid JSON pointer: ${JSON.stringify(path)}`);
  }
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
}

function container(doc, parts, op, path) {
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    const next = Array.isArray(cur) ? cur[Number(p)] : isObj(cur) ? cur[p] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') {
      throw new PatchError('apply', `${op} operation does not apply: doc is missing path: "${path}": missing value`);
    }
    cur = next;
  }
  if (cur === null || typeof cur !== 'object') {
    throw new PatchError('apply', `${op} operation does not apply: doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function arrayIndex(arr, key, op, path, allowEnd) {
  if (key === '-' && allowEnd) return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(key)) throw new PatchError('apply', `${op} operation does not apply: doc is missing path: "${path}": missing value`);
  const i = Number(key);
  if (i > arr.length || (!allowEnd && i >= arr.length)) {
    throw new PatchError('apply', `Unable to access invalid index: ${i}: invalid index referenced`);
  }
  return i;
}

function getAt(doc, path, op) {
  const parts = parsePointer(path);
  let cur = doc;
  for (const p of parts) {
    if (Array.isArray(cur)) cur = cur[/^\d+$/.test(p) ? Number(p) : -1];
    else if (isObj(cur) && Object.prototype.hasOwnProperty.call(cur, p)) cur = cur[p];
    else cur = undefined;
    if (cur === undefined) {
      throw new PatchError('apply', `${op} operation does not apply: doc is missing path: "${path}": missing value`);
    }
  }
  return cur;
}

function addAt(doc, path, value, op) {
  const parts = parsePointer(path);
  if (parts.length === 0) return value;
  const parent = container(doc, parts, op, path);
  const key = parts[parts.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, op, path, true), 0, value);
  else parent[key] = value;
  return doc;
}

function removeAt(doc, path, op) {
  const parts = parsePointer(path);
  const parent = container(doc, parts, op, path);
  const key = parts[parts.length - 1];
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(parent, key, op, path, false), 1);
  } else if (isObj(parent) && Object.prototype.hasOwnProperty.call(parent, key)) {
    delete parent[key];
  } else {
    throw new PatchError('apply', `${op} operation does not apply: doc is missing key: ${path}: missing value`);
  }
  return doc;
}

function checkOps(ops) {
  if (!Array.isArray(ops)) {
    const t = ops === null ? 'null' : typeof ops === 'object' ? 'object' : typeof ops === 'boolean' ? 'bool' : typeof ops;
    throw new PatchError('decode', `error decoding patch: json: cannot unmarshal ${t} into Go value of type []handlers.jsonPatchOp`);
  }
  for (const o of ops) {
    if (!isObj(o)) {
      const t = Array.isArray(o) ? 'array' : o === null ? 'null' : typeof o;
      throw new PatchError('decode', `error decoding patch: json: cannot unmarshal ${t} into Go value of type handlers.jsonPatchOp`);
    }
  }
}

function jsonPatch(doc, ops) {
  if (ops === null) return clone(doc);
  checkOps(ops);
  let out = clone(doc);
  for (const o of ops) {
    const path = o.path;
    switch (o.op) {
      case 'add': out = addAt(out, path, clone(o.value === undefined ? null : o.value), 'add'); break;
      case 'remove': out = removeAt(out, path, 'remove'); break;
      case 'replace':
        getAt(out, path, 'replace');
        out = parsePointer(path).length === 0 ? clone(o.value) : removeAt(out, path, 'replace');
        if (parsePointer(path).length) out = addAt(out, path, clone(o.value), 'replace');
        break;
      case 'move': {
        const v = getAt(out, o.from, 'move');
        out = removeAt(out, o.from, 'move');
        out = addAt(out, path, v, 'move');
        break;
      }
      case 'copy': out = addAt(out, path, clone(getAt(out, o.from, 'copy')), 'copy'); break;
      case 'test': {
        let v;
        try { v = getAt(out, path, 'test'); } catch (e) { v = undefined; }
        const want = o.value === undefined ? null : o.value;
        if (!(v === undefined ? want === null : deepEqual(v, want))) {
          throw new PatchError('apply', `testing value ${path} failed: test failed`);
        }
        break;
      }
      default: throw new PatchError('apply', `Unexpected kind: ${o.op}`);
    }
  }
  return out;
}

// --- YAML subset ----------------------------------------------------------

function yamlScalar(s) {
  s = s.trim();
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (s[0] === '"' || s[0] === "'") {
    const q = s[0];
    if (s.length < 2 || s[s.length - 1] !== q) throw new PatchError('decode', `error converting YAML to JSON: yaml: found unterminated quoted scalar: ${s}`);
    if (q === "'") return s.slice(1, -1).replace(/''/g, "'");
    try {
      return JSON.parse(s);
    } catch (e) {
      throw new PatchError('decode', `error converting YAML to JSON: yaml: bad double-quoted scalar: ${s}`);
    }
  }
  if (s[0] === '[' || s[0] === '{') return parseFlow(s);
  if (/^(true|True|TRUE)$/.test(s)) return true;
  if (/^(false|False|FALSE)$/.test(s)) return false;
  if (/^[-+]?(0|[1-9][0-9]*)$/.test(s)) return Number(s);
  if (/^[-+]?([0-9]*\.[0-9]+|[0-9]+\.[0-9]*)([eE][-+]?[0-9]+)?$/.test(s)) return Number(s);
  return s;
}

// Flow collections ({a: b, c: [d, 'e']}) by recursive descent.
function parseFlow(s) {
  const st = {s, i: 0};
  const fail = () => new PatchError('decode', `error converting YAML to JSON: yaml: did not find expected node content in ${s}`);
  const ws = () => { while (st.i < s.length && /\s/.test(s[st.i])) st.i++; };
  const scalar = (stops) => {
    ws();
    const c = s[st.i];
    if (c === '"') {
      let j = st.i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      if (j >= s.length) throw fail();
      const v = JSON.parse(s.slice(st.i, j + 1));
      st.i = j + 1;
      return v;
    }
    if (c === "'") {
      let j = st.i + 1;
      let out = '';
      for (;;) {
        if (j >= s.length) throw fail();
        if (s[j] === "'" && s[j + 1] === "'") { out += "'"; j += 2; continue; }
        if (s[j] === "'") break;
        out += s[j++];
      }
      st.i = j + 1;
      return out;
    }
    let j = st.i;
    while (j < s.length && !stops.includes(s[j]) && !(s[j] === ':' && /\s/.test(s[j + 1] || ' ') && stops.includes(':'))) j++;
    const raw = s.slice(st.i, j);
    st.i = j;
    return yamlScalar(raw);
  };
  const node = (stops) => {
    ws();
    if (s[st.i] === '{') return map();
    if (s[st.i] === '[') return seq();
    return scalar(stops);
  };
  const map = () => {
    st.i++;
    const out = {};
    for (;;) {
      ws();
      if (s[st.i] === '}') { st.i++; return out; }
      const k = scalar([':', ',', '}']);
      ws();
      if (s[st.i] !== ':') throw fail();
      st.i++;
      out[String(k)] = node([',', '}']);
      ws();
      if (s[st.i] === ',') { st.i++; continue; }
      if (s[st.i] === '}') { st.i++; return out; }
      throw fail();
    }
  };
  const seq = () => {
    st.i++;
    const out = [];
    for (;;) {
      ws();
      if (s[st.i] === ']') { st.i++; return out; }
      out.push(node([',', ']']));
      ws();
      if (s[st.i] === ',') { st.i++; continue; }
      if (s[st.i] === ']') { st.i++; return out; }
      throw fail();
    }
  };
  const v = node([]);
  ws();
  if (st.i !== s.length) throw fail();
  return v;
}

function stripComment(line) {
  let q = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) { if (c === q) q = null; continue; }
    if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) return line.slice(0, i);
  }
  return line;
}

function splitKey(text) {
  let q = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) { if (c === q) q = null; continue; }
    if ((c === '"' || c === "'") && i === 0) { q = c; continue; }
    if (c === ':' && (i + 1 === text.length || text[i + 1] === ' ')) {
      const k = text.slice(0, i).trim();
      return [k[0] === '"' || k[0] === "'" ? yamlScalar(k) : k, text.slice(i + 1).trim()];
    }
  }
  return null;
}

function parseYAML(text) {
  const t = text.trim();
  if (t[0] === '{' || t[0] === '[') {
    try {
      return JSON.parse(t);
    } catch (e) {
      throw new PatchError('decode', `error converting YAML to JSON: yaml: ${e.message}`);
    }
  }
  const raw = text.split(/\r?\n/);
  const lines = [];
  for (let i = 0; i < raw.length; i++) {
    const l = raw[i];
    if (/^(---|\.\.\.)\s*$/.test(l)) { if (lines.length) break; continue; }
    const s = stripComment(l);
    if (s.trim() === '') continue;
    lines.push({indent: s.length - s.trimStart().length, text: s.trim(), raw: l, rawIndex: i});
  }
  if (lines.length === 0) return null;
  const st = {lines, i: 0, raw};
  const v = parseNode(st, lines[0].indent);
  if (st.i < lines.length) {
    throw new PatchError('decode', `error converting YAML to JSON: yaml: line ${lines[st.i].rawIndex + 1}: did not find expected key`);
  }
  return v;
}

function parseNode(st, indent) {
  const l = st.lines[st.i];
  if (l.text === '-' || l.text.startsWith('- ')) return parseSeq(st, indent);
  if (splitKey(l.text)) return parseMap(st, indent);
  st.i++;
  return yamlScalar(l.text);
}

function parseSeq(st, indent) {
  const out = [];
  while (st.i < st.lines.length) {
    const l = st.lines[st.i];
    if (l.indent !== indent || !(l.text === '-' || l.text.startsWith('- '))) break;
    const rest = l.text === '-' ? '' : l.text.slice(2);
    if (rest.trim() === '') {
      st.i++;
      out.push(st.i < st.lines.length && st.lines[st.i].indent > indent ? parseNode(st, st.lines[st.i].indent) : null);
    } else {
      const off = l.text.length - rest.trimStart().length;
      st.lines[st.i] = {...l, indent: indent + off, text: rest.trim()};
      out.push(parseNode(st, indent + off));
    }
  }
  return out;
}

function blockScalar(st, indicator, indent) {
  const raw = [];
  let minIndent = null;
  const startRaw = st.lines[st.i - 1].rawIndex + 1;
  let r = startRaw;
  while (r < st.raw.length) {
    const l = st.raw[r];
    const ind = l.length - l.trimStart().length;
    if (l.trim() !== '' && ind <= indent) break;
    if (l.trim() !== '' && (minIndent === null || ind < minIndent)) minIndent = ind;
    raw.push(l);
    r++;
  }
  while (st.i < st.lines.length && st.lines[st.i].rawIndex < r) st.i++;
  while (raw.length && raw[raw.length - 1].trim() === '') raw.pop();
  const body = raw.map((l) => l.slice(minIndent || 0));
  let s = indicator[0] === '|' ? body.join('\n') : body.join(' ').replace(/ {2,}/g, ' ');
  if (!indicator.includes('-')) s += '\n';
  return s;
}

function parseMap(st, indent) {
  const out = {};
  while (st.i < st.lines.length) {
    const l = st.lines[st.i];
    if (l.indent !== indent) break;
    const kv = splitKey(l.text);
    if (!kv) throw new PatchError('decode', `error converting YAML to JSON: yaml: line ${l.rawIndex + 1}: could not find expected ':'`);
    const [k, v] = kv;
    st.i++;
    if (v === '|' || v === '|-' || v === '>' || v === '>-') {
      out[k] = blockScalar(st, v, indent);
    } else if (v !== '') {
      out[k] = yamlScalar(v);
    } else if (st.i < st.lines.length && st.lines[st.i].indent > indent) {
      out[k] = parseNode(st, st.lines[st.i].indent);
    } else if (st.i < st.lines.length && st.lines[st.i].indent === indent &&
               (st.lines[st.i].text === '-' || st.lines[st.i].text.startsWith('- '))) {
      out[k] = parseSeq(st, indent);
    } else {
      out[k] = null;
    }
  }
  return out;
}

module.exports = {PatchError, mergePatch, strategicMergePatch, jsonPatch, parseYAML, deepEqual, MERGE_KEYS};

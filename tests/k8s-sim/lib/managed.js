'use strict';
// managedFields bookkeeping and the field-removal rule of server-side apply.
//
// Each write records one entry per (manager, operation, subresource) whose
// FieldsV1 set is built from the fields the request carried ("f:<field>"
// for map keys, "k:{"<mergeKey>":..}" for items of lists with a merge key,
// other lists atomic). A later apply by the same manager removes the fields
// it applied before and no longer applies, unless another Apply manager
// also owns them (structured-merge-diff's rule, without conflict
// detection: Update managers never block or keep a field here).
// Callers: apiserver.js (setManaged on create/update/patch/apply,
// pruneApplied before an apply is committed).

const {nowRFC3339} = require('./store.js');
const {MERGE_KEYS} = require('./patch.js');

// managedFields: one entry per (manager, operation, subresource), with a
// FieldsV1 set built from the fields the request carried.
function fieldSet(v, path) {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const out = {};
  for (const [k, x] of Object.entries(v)) {
    if (path === '' && (k === 'kind' || k === 'apiVersion')) continue;
    if (path === 'metadata' && ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'generation',
      'managedFields', 'generateName', 'deletionTimestamp', 'deletionGracePeriodSeconds'].includes(k)) continue;
    const key = MERGE_KEYS[path ? `${path}.${k}` : k];
    if (Array.isArray(x) && key) {
      const sub = {};
      for (const e of x) {
        if (e && typeof e === 'object' && e[key] !== undefined) {
          sub[`k:${JSON.stringify({[key]: e[key]})}`] = {'.': {}, ...fieldSet(e, path ? `${path}.${k}` : k)};
        }
      }
      out[`f:${k}`] = sub;
    } else if (x && typeof x === 'object' && !Array.isArray(x)) {
      const sub = fieldSet(x, path ? `${path}.${k}` : k);
      if (Object.keys(sub).length || Object.keys(x).length === 0) out[`f:${k}`] = sub;
    } else if (x !== undefined && x !== null) {
      out[`f:${k}`] = {};
    }
  }
  return out;
}

function setManaged(obj, manager, operation, info, source, sub) {
  const entries = (obj.metadata.managedFields || []).filter((e) =>
    !(e.manager === manager && e.operation === operation && (e.subresource || undefined) === sub));
  const src = sub === 'status' ? {status: source.status} : {...source, status: undefined};
  const fields = fieldSet(src, '');
  if (Object.keys(fields).length === 0) { obj.metadata.managedFields = entries; return; }
  const old = (obj.metadata.managedFields || []).find((x) => x.manager === manager && x.operation === operation &&
    (x.subresource || undefined) === sub);
  const same = old && JSON.stringify(old.fieldsV1) === JSON.stringify(fields);
  const e = {manager, operation, apiVersion: info.apiVersion, time: same ? old.time : nowRFC3339(),
    fieldsType: 'FieldsV1', fieldsV1: fields};
  if (sub) e.subresource = sub;
  entries.push(e);
  obj.metadata.managedFields = entries;
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isLeaf = (node) => Object.keys(node).every((k) => k === '.');

// Paths (token arrays) owned in `prev` but not in `next`.
function removed(prev, next, path, out) {
  for (const [k, node] of Object.entries(prev)) {
    if (k === '.') continue;
    const n = next ? next[k] : undefined;
    if (n === undefined && (k.startsWith('k:') || isLeaf(node))) out.push([...path, k]);
    else removed(node, n, [...path, k], out);
  }
  return out;
}

function owns(set, path) {
  let node = set;
  for (const t of path) {
    if (!isObj(node) || node[t] === undefined) return false;
    node = node[t];
  }
  return true;
}

function removePath(obj, path) {
  let cur = obj;
  for (let i = 0; i < path.length; i++) {
    const t = path[i];
    const last = i === path.length - 1;
    if (t.startsWith('f:')) {
      if (!isObj(cur)) return;
      const k = t.slice(2);
      if (last) { delete cur[k]; return; }
      cur = cur[k];
    } else if (t.startsWith('k:')) {
      if (!Array.isArray(cur)) return;
      let want;
      try {
        want = JSON.parse(t.slice(2));
      } catch (e) {
        return;
      }
      const idx = cur.findIndex((e) => isObj(e) && Object.entries(want).every(([a, b]) => e[a] === b));
      if (idx < 0) return;
      if (last) { cur.splice(idx, 1); return; }
      cur = cur[idx];
    } else {
      return;
    }
  }
}

// Drops from `merged` what `manager` applied to `cur` before and leaves out
// of `config` now.
function pruneApplied(merged, cur, manager, config, sub) {
  const entries = cur.metadata.managedFields || [];
  const prev = entries.find((e) => e.manager === manager && e.operation === 'Apply' && (e.subresource || undefined) === sub);
  if (!prev || !isObj(prev.fieldsV1)) return;
  const src = sub === 'status' ? {status: config.status} : {...config, status: undefined};
  const others = entries.filter((e) => e !== prev && e.operation === 'Apply' && isObj(e.fieldsV1));
  for (const path of removed(prev.fieldsV1, fieldSet(src, ''), [], [])) {
    if (!others.some((e) => owns(e.fieldsV1, path))) removePath(merged, path);
  }
}

module.exports = {fieldSet, setManaged, pruneApplied};

'use strict';
// managedFields and server-side apply ownership (a reduced
// structured-merge-diff).
//
// Field sets are FieldsV1 trees: "f:<field>" for map keys, "k:{"<key>":..}"
// for items of lists with a patch merge key (with a "." marker for the item
// itself); other lists and scalars are leaves. One entry per (manager,
// operation, subresource); main-resource entries never cover status, and
// /status entries cover only status.
// - Update operations (create, PUT, merge/JSON patches) take ownership of the
//   leaves whose value they changed (on create: every field of the stored
//   object, defaults included, as on a real server); other managers lose
//   those leaves.
// - Apply owns exactly the fields of its configuration. A value it changes
//   that another manager owns is a conflict (409, the fieldmanager's
//   message) unless force=true, which takes the field over. Fields the
//   manager applied before and leaves out now are removed from the object
//   unless another Apply manager also owns them.
// Callers: apiserver.js (recordUpdate, applyConflicts, pruneApplied,
// recordApply).

const {nowRFC3339} = require('./store.js');
const {MERGE_KEYS} = require('./patch.js');
const {ApiError} = require('./status.js');

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const SERVER_META = ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields',
  'generateName', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'];

// The part of an object an entry may cover.
function scope(obj, sub) {
  if (!isObj(obj)) return {};
  if (sub === 'status') return obj.status === undefined ? {} : {status: obj.status};
  const o = {...obj};
  delete o.status;
  delete o.kind;
  delete o.apiVersion;
  return o;
}

// Leaves of an object: Map "tokens joined" -> {tokens, value (JSON text)}.
function leaves(v, path, tokens, out) {
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || x === null) continue;
    if (path === 'metadata' && SERVER_META.includes(k)) continue;
    const p = path ? `${path}.${k}` : k;
    const t = [...tokens, `f:${k}`];
    const key = MERGE_KEYS[p];
    if (Array.isArray(x) && key) {
      for (const e of x) {
        if (!isObj(e) || e[key] === undefined) continue;
        const et = [...t, `k:${JSON.stringify({[key]: e[key]})}`];
        const before = out.size;
        leaves(e, p, et, out);
        if (out.size === before) out.set(et.join('\u0001'), {tokens: et, value: '{}'});
      }
    } else if (isObj(x) && Object.keys(x).length > 0) {
      const before = out.size;
      leaves(x, p, t, out);
      if (out.size === before) out.set(t.join('\u0001'), {tokens: t, value: '{}'});
    } else {
      out.set(t.join('\u0001'), {tokens: t, value: JSON.stringify(x)});
    }
  }
  return out;
}

const leavesOf = (obj, sub) => leaves(scope(obj, sub), '', [], new Map());

function treeAdd(tree, tokens) {
  let node = tree;
  for (const t of tokens) {
    if (!node[t]) node[t] = t.startsWith('k:') ? {'.': {}} : {};
    node = node[t];
  }
}

function treeHas(tree, tokens) {
  let node = tree;
  for (const t of tokens) {
    if (!isObj(node) || node[t] === undefined) return false;
    node = node[t];
  }
  return true;
}

function treeRemove(tree, tokens) {
  const chain = [tree];
  for (const t of tokens.slice(0, -1)) {
    const next = chain[chain.length - 1][t];
    if (!isObj(next)) return;
    chain.push(next);
  }
  delete chain[chain.length - 1][tokens[tokens.length - 1]];
  for (let i = chain.length - 1; i > 0; i--) {
    const keys = Object.keys(chain[i]).filter((k) => k !== '.');
    if (keys.length > 0) break;
    delete chain[i - 1][tokens[i - 1]];
  }
}

function treeOf(leafMap) {
  const tree = {};
  for (const l of leafMap.values()) treeAdd(tree, l.tokens);
  return tree;
}

const sameEntry = (e, manager, op, sub) => e.manager === manager && e.operation === op &&
  (e.subresource || undefined) === sub;

function entry(manager, op, apiVersion, sub, tree, time) {
  const e = {manager, operation: op, apiVersion, time: time || nowRFC3339(), fieldsType: 'FieldsV1', fieldsV1: tree};
  if (sub) e.subresource = sub;
  return e;
}

function copyEntries(obj) {
  return JSON.parse(JSON.stringify((obj && obj.metadata.managedFields) || []));
}

const nonEmpty = (e) => isObj(e.fieldsV1) && Object.keys(e.fieldsV1).length > 0;

// Update operation: `prev` is the stored object (null on create), `next` the
// object about to be stored; sets next.metadata.managedFields.
function recordUpdate(prev, next, manager, apiVersion, sub) {
  const entries = copyEntries(prev);
  const before = prev ? leavesOf(prev, sub) : new Map();
  const after = leavesOf(next, sub);
  const changed = [];
  for (const [k, l] of after) if (!before.has(k) || before.get(k).value !== l.value) changed.push(l.tokens);
  for (const [k, l] of before) if (!after.has(k)) changed.push(l.tokens);
  if (changed.length === 0 || !manager) {
    next.metadata.managedFields = entries.filter(nonEmpty);
    if (next.metadata.managedFields.length === 0) delete next.metadata.managedFields;
    return;
  }
  for (const e of entries) for (const t of changed) if (isObj(e.fieldsV1)) treeRemove(e.fieldsV1, t);
  let mine = entries.find((e) => sameEntry(e, manager, 'Update', sub));
  if (!mine) {
    mine = entry(manager, 'Update', apiVersion, sub, {});
    entries.push(mine);
  }
  mine.time = nowRFC3339();
  mine.apiVersion = apiVersion;
  for (const t of changed) if (after.has(t.join('\u0001'))) treeAdd(mine.fieldsV1, t);
  next.metadata.managedFields = entries.filter(nonEmpty);
}

function pathString(tokens) {
  return tokens.map((t) => {
    if (t.startsWith('f:')) return `.${t.slice(2)}`;
    const key = JSON.parse(t.slice(2));
    return `[${Object.entries(key).map(([a, b]) => `${a}=${JSON.stringify(b)}`).join(',')}]`;
  }).join('');
}

function printManager(e) {
  return e.operation === 'Update' ? `"${e.manager}" using ${e.apiVersion}` : `"${e.manager}"`;
}

// Throws the 409 an apply gets when it changes fields other managers own;
// with force, returns those fields (to take over) instead.
function applyConflicts(cur, config, manager, sub, force) {
  const live = leavesOf(cur, sub);
  const entries = copyEntries(cur).filter((e) => !sameEntry(e, manager, 'Apply', sub) &&
    (e.subresource || undefined) === sub && isObj(e.fieldsV1));
  const conflicts = [];
  for (const [k, l] of leavesOf(config, sub)) {
    const was = live.get(k);
    if (was && was.value === l.value) continue;
    for (const e of entries) if (treeHas(e.fieldsV1, l.tokens)) conflicts.push({e, tokens: l.tokens});
  }
  if (conflicts.length === 0 || force) return conflicts.map((c) => c.tokens);
  throw conflictError(conflicts);
}

function conflictError(conflicts) {
  const causes = conflicts.map((c) => ({reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.e)}`,
    field: pathString(c.tokens)}));
  let message;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].e)}: ${pathString(conflicts[0].tokens)}`;
  } else {
    const by = new Map();
    for (const c of conflicts) {
      const m = printManager(c.e);
      if (!by.has(m)) by.set(m, []);
      by.get(m).push(pathString(c.tokens));
    }
    const lines = [];
    for (const m of Array.from(by.keys()).sort()) {
      lines.push(`conflicts with ${m}:`);
      for (const p of by.get(m)) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, {causes});
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
      const want = JSON.parse(t.slice(2));
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
// of `config` now, unless another Apply manager owns it too.
function pruneApplied(merged, cur, manager, config, sub) {
  const entries = copyEntries(cur);
  const prev = entries.find((e) => sameEntry(e, manager, 'Apply', sub));
  if (!prev || !isObj(prev.fieldsV1)) return;
  const now = leavesOf(config, sub);
  const others = entries.filter((e) => e !== prev && e.operation === 'Apply' && isObj(e.fieldsV1));
  const gone = [];
  const walk = (node, tokens) => {
    for (const [k, child] of Object.entries(node)) {
      if (k === '.') continue;
      const t = [...tokens, k];
      const owned = Array.from(now.values()).some((l) => l.tokens.length >= t.length && t.every((x, i) => l.tokens[i] === x));
      if (owned) { walk(child, t); continue; }
      gone.push(t);
    }
  };
  walk(prev.fieldsV1, []);
  for (const t of gone) if (!others.some((e) => treeHas(e.fieldsV1, t))) removePath(merged, t);
}

// Apply operation: sets merged.metadata.managedFields from cur's entries,
// the applier's configuration and the fields it took over with force.
function recordApply(cur, merged, config, manager, apiVersion, sub, forced) {
  const entries = copyEntries(cur);
  for (const e of entries) {
    if (sameEntry(e, manager, 'Apply', sub) || !isObj(e.fieldsV1)) continue;
    for (const t of forced || []) treeRemove(e.fieldsV1, t);
  }
  const tree = treeOf(leavesOf(config, sub));
  const i = entries.findIndex((e) => sameEntry(e, manager, 'Apply', sub));
  const same = i >= 0 && JSON.stringify(entries[i].fieldsV1) === JSON.stringify(tree);
  const e = entry(manager, 'Apply', apiVersion, sub, tree, same ? entries[i].time : undefined);
  if (i >= 0) entries[i] = e; else entries.push(e);
  merged.metadata.managedFields = entries.filter(nonEmpty);
}

module.exports = {recordUpdate, recordApply, applyConflicts, pruneApplied, pathString, leavesOf};

'use strict';
// Label and field selectors, parsed the way apimachinery does
// (pkg/labels/selector.go lexer + parser, pkg/fields/selector.go) and
// compiled to predicates over stored objects.
//
//   parseLabelSelector(str) -> requirements[]     (throws ApiError 400)
//   parseFieldSelector(str, info) -> terms[]       (throws ApiError 400)
//   compile(info, labelSelector, fieldSelector) -> (obj) => boolean | null
//     null means "matches everything" so callers can skip the test.
// Semantics worth knowing: `!=` and `notin` match objects without the key;
// `>`/`<` need the key and an integer value; a missing field reads as "".

const {errors} = require('./status.js');

const SPECIAL = new Set(['!', '=', '(', ')', ',', '<', '>']);

function lex(input) {
  const toks = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (SPECIAL.has(c)) {
      const two = input.slice(i, i + 2);
      if (two === '!=' || two === '==') { toks.push({t: two, v: two}); i += 2; continue; }
      toks.push({t: c, v: c});
      i++;
      continue;
    }
    let j = i;
    while (j < input.length && !SPECIAL.has(input[j]) && !/\s/.test(input[j])) j++;
    const word = input.slice(i, j);
    toks.push({t: word === 'in' || word === 'notin' ? word : 'id', v: word});
    i = j;
  }
  toks.push({t: 'end', v: 'end of string'});
  return toks;
}

const NAME_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const PREFIX_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key) {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefix = slash < 0 ? null : key.slice(0, slash);
  const bad = !name || name.length > 63 || !NAME_RE.test(name) ||
              (prefix !== null && (!prefix || prefix.length > 253 || !PREFIX_RE.test(prefix)));
  if (bad) {
    throw errors.badRequest(`unable to parse requirement: key: Invalid value: "${key}": name part must consist of ` +
                            `alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric ` +
                            `character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is ` +
                            `'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`);
  }
}

function checkValue(v) {
  if (v.length > 63 || !NAME_RE.test(v)) {
    throw errors.badRequest(`unable to parse requirement: values[0][${v}]: Invalid value: "${v}": a valid label ` +
                            `must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and ` +
                            `must start and end with an alphanumeric character`);
  }
}

function expected(tok, what) {
  return errors.badRequest(`found '${tok.v}', expected: ${what}`);
}

function parseRequirement(toks, pos) {
  let tok = toks[pos.i];
  if (tok.t === '!') {
    pos.i++;
    tok = toks[pos.i];
    if (tok.t !== 'id') throw expected(tok, 'identifier');
    checkKey(tok.v);
    pos.i++;
    return {key: tok.v, op: '!'};
  }
  const key = tok.v;
  checkKey(key);
  pos.i++;
  const opTok = toks[pos.i];
  if (opTok.t === 'end' || opTok.t === ',') return {key, op: 'exists'};
  const ops = ['in', 'notin', '=', '==', '!=', '>', '<'];
  if (!ops.includes(opTok.t)) throw expected(opTok, 'in, notin, =, ==, !=, gt, lt');
  pos.i++;
  const op = opTok.t === '==' ? '=' : opTok.t;
  if (op === 'in' || op === 'notin') return {key, op, values: parseSet(toks, pos)};
  const vt = toks[pos.i];
  let value = '';
  if (vt.t === 'id') { value = vt.v; pos.i++; } else if (vt.t !== 'end' && vt.t !== ',') {
    throw expected(vt, 'identifier');
  }
  if (op === '>' || op === '<') {
    if (!/^-?[0-9]+$/.test(value)) {
      throw errors.badRequest(`unable to parse requirement: values[0]: Invalid value: "${value}": for 'Gt', 'Lt' ` +
                              `operators, the value must be an integer`);
    }
    return {key, op, num: Number(value)};
  }
  checkValue(value);
  return {key, op, values: [value]};
}

function parseSet(toks, pos) {
  if (toks[pos.i].t !== '(') throw expected(toks[pos.i], "'('");
  pos.i++;
  const vals = [];
  for (;;) {
    const t = toks[pos.i];
    if (t.t === ')') { if (vals.length === 0) vals.push(''); pos.i++; return vals; }
    if (t.t === 'id' || t.t === 'in' || t.t === 'notin') {
      checkValue(t.v);
      vals.push(t.v);
      pos.i++;
      const n = toks[pos.i];
      if (n.t === ',') { pos.i++; continue; }
      if (n.t === ')') continue;
      throw expected(n, "',' or ')'");
    }
    if (t.t === ',') { vals.push(''); pos.i++; continue; }
    throw expected(t, "',', ')' or identifier");
  }
}

function parseLabelSelector(input) {
  if (input === undefined || input === null || input.trim() === '') return [];
  const toks = lex(input);
  const pos = {i: 0};
  const reqs = [];
  for (;;) {
    const t = toks[pos.i];
    if (t.t === 'end') return reqs;
    if (t.t !== 'id' && t.t !== '!') throw expected(t, "!, identifier, or 'end of string'");
    reqs.push(parseRequirement(toks, pos));
    const n = toks[pos.i];
    if (n.t === 'end') return reqs;
    if (n.t !== ',') throw expected(n, "',' or 'end of string'");
    pos.i++;
    const a = toks[pos.i];
    if (a.t !== 'id' && a.t !== '!') throw expected(a, "identifier after ','");
  }
}

function labelMatches(reqs, labels) {
  labels = labels || {};
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'exists': if (!has) return false; break;
      case '!': if (has) return false; break;
      case '=': case 'in': if (!has || !r.values.includes(v)) return false; break;
      case '!=': case 'notin': if (has && r.values.includes(v)) return false; break;
      case '>': case '<': {
        if (!has || !/^-?[0-9]+$/.test(v)) return false;
        const n = Number(v);
        if (r.op === '>' ? !(n > r.num) : !(n < r.num)) return false;
        break;
      }
      default: return false;
    }
  }
  return true;
}

function splitTerms(s) {
  const parts = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) { cur += c + s[i + 1]; i++; continue; }
    if (c === ',') { parts.push(cur); cur = ''; continue; }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

function unescape(v) {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '\\') {
      const n = v[i + 1];
      if (n === '\\' || n === ',' || n === '=') { out += n; i++; continue; }
      throw errors.badRequest(`invalid field selector: invalid escape sequence: ${v.slice(i, i + 2)}`);
    }
    if (c === ',' || c === '=') throw errors.badRequest(`invalid field selector: unescaped character in value: ${c}`);
    out += c;
  }
  return out;
}

function parseFieldSelector(input, info) {
  if (input === undefined || input === null || input.trim() === '') return [];
  const terms = [];
  for (const part of splitTerms(input).sort()) {
    if (part === '') continue;
    let found = null;
    for (let i = 0; i < part.length && !found; i++) {
      for (const op of ['!=', '==', '=']) {
        if (part.startsWith(op, i)) { found = {lhs: part.slice(0, i), op, rhs: part.slice(i + op.length)}; break; }
      }
    }
    if (!found) throw errors.badRequest(`invalid selector: '${input}'; can't understand '${part}'`);
    const value = unescape(found.rhs);
    let field = found.lhs;
    if (info) {
      if (info.fieldAliases && info.fieldAliases[field]) field = info.fieldAliases[field];
      if (!info.fields[field]) throw errors.badRequest(`field label not supported: ${found.lhs}`);
    }
    terms.push({field, neg: found.op === '!=', value, get: info ? info.fields[field] : null});
  }
  return terms;
}

function fieldMatches(terms, obj) {
  for (const t of terms) {
    const v = t.get(obj);
    if ((v === t.value) === t.neg) return false;
  }
  return true;
}

// Accepts strings or already-parsed arrays.
function compile(info, labelSelector, fieldSelector) {
  const lr = Array.isArray(labelSelector) ? labelSelector : parseLabelSelector(labelSelector);
  const fr = Array.isArray(fieldSelector) ? fieldSelector : parseFieldSelector(fieldSelector, info);
  if (lr.length === 0 && fr.length === 0) return null;
  return (obj) => labelMatches(lr, obj.metadata.labels) && fieldMatches(fr, obj);
}

module.exports = {parseLabelSelector, parseFieldSelector, labelMatches, fieldMatches, compile};

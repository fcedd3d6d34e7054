'use strict';
// Bad input gets a clear error, never a crash: seeded random inputs into the
// simulator's parsers (selectors, YAML, JSON patch, continue tokens,
// protobuf) must either parse or throw the module's own error type.
const {describe, it} = require('node:test');
const assert = require('node:assert/strict');
const sel = require('../../lib/selectors.js');
const patch = require('../../lib/patch.js');
const proto = require('../../lib/protobuf.js');
const {decodeContinue} = require('../../lib/apiserver.js');
const {ApiError} = require('../../lib/status.js');
const {RESOURCES} = require('../../lib/resources.js');

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomText(r, alphabet, max) {
  let out = '';
  const n = Math.floor(r() * max);
  for (let i = 0; i < n; i++) out += alphabet[Math.floor(r() * alphabet.length)];
  return out;
}

const ROUNDS = 3000;

describe('parsers under random input', () => {
  it('selectors throw only ApiError 400', () => {
    const r = rng(1);
    for (let i = 0; i < ROUNDS; i++) {
      const s = randomText(r, 'ab=!,() <>in notin0123-_./\\\u00e9', 24);
      for (const f of [() => sel.parseLabelSelector(s), () => sel.parseFieldSelector(s, RESOURCES.pods)]) {
        try {
          f();
        } catch (e) {
          assert.ok(e instanceof ApiError && e.code === 400, `${JSON.stringify(s)}: ${e.stack}`);
        }
      }
    }
  });

  it('the YAML subset throws only PatchError', () => {
    const r = rng(2);
    for (let i = 0; i < ROUNDS; i++) {
      const s = randomText(r, 'ab: -\n  \'"{}[],#|>~1.\t', 60);
      try {
        patch.parseYAML(s);
      } catch (e) {
        assert.ok(e instanceof patch.PatchError, `${JSON.stringify(s)}: ${e.stack}`);
      }
    }
  });

  it('JSON patch throws only PatchError', () => {
    const r = rng(3);
    const doc = {a: {b: [1, {c: 2}]}, d: 'x'};
    const ops = ['add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'];
    const paths = ['', '/', '/a', '/a/b', '/a/b/0', '/a/b/-', '/a/b/9', '/a/b/x', '/d', '/zz/y', 'nope', '/a/b/1/c', '/a/b/01'];
    for (let i = 0; i < ROUNDS; i++) {
      const list = Array.from({length: 1 + Math.floor(r() * 3)}, () => ({op: ops[Math.floor(r() * ops.length)],
        path: paths[Math.floor(r() * paths.length)], from: paths[Math.floor(r() * paths.length)], value: r() < 0.5 ? 1 : {q: 1}}));
      try {
        patch.jsonPatch(doc, list);
      } catch (e) {
        assert.ok(e instanceof patch.PatchError, `${JSON.stringify(list)}: ${e.stack}`);
      }
    }
  });

  it('continue tokens throw only ApiError 400', () => {
    const r = rng(4);
    for (let i = 0; i < ROUNDS; i++) {
      const raw = r() < 0.5 ? randomText(r, 'A-Za-z_=%09', 30) :
        Buffer.from(randomText(r, '{}":,rvstart meta.k8s.io/v1 0123-', 40)).toString('base64url');
      try {
        decodeContinue(raw);
      } catch (e) {
        assert.ok(e instanceof ApiError && e.code === 400, `${JSON.stringify(raw)}: ${e.stack}`);
      }
    }
  });

  it('protobuf bodies throw only ProtoError', () => {
    const r = rng(5);
    for (let i = 0; i < ROUNDS; i++) {
      const n = Math.floor(r() * 40);
      const body = Buffer.concat([Buffer.from('k8s\u0000', 'latin1'), Buffer.from(Array.from({length: n}, () => Math.floor(r() * 256)))]);
      try {
        proto.decode(body);
      } catch (e) {
        assert.ok(e instanceof proto.ProtoError, `${body.toString('hex')}: ${e.stack}`);
      }
    }
  });
});

describe('HTTP requests with random bodies', () => {
  it('never get a 5xx', async () => {
    const {startSim, h1, pod, API_ONLY} = require('./client.js');
    const sim = await startSim({args: [...API_ONLY, '--too-large-wait-ms', '20']});
    const c = h1(sim);
    try {
      await c.request('POST', '/api/v1/namespaces/default/pods', {body: pod('t')});
      const r = rng(6);
      const pieces = ['{', '}', '[', ']', '"metadata"', ':', ',', '"name"', '"t"', 'null', '1', '"spec"', '"containers"',
        '{"op":"add","path":"/metadata/labels/x","value":"y"}', '"labels"', '"$patch"', '"delete"', 'true', '"kind"', '"Pod"'];
      const targets = [['POST', '/api/v1/namespaces/default/pods', 'application/json'],
        ['PUT', '/api/v1/namespaces/default/pods/t', 'application/json'],
        ['PUT', '/api/v1/namespaces/default/pods/t/status', 'application/yaml'],
        ['PATCH', '/api/v1/namespaces/default/pods/t', 'application/merge-patch+json'],
        ['PATCH', '/api/v1/namespaces/default/pods/t', 'application/strategic-merge-patch+json'],
        ['PATCH', '/api/v1/namespaces/default/pods/t', 'application/json-patch+json'],
        ['PATCH', '/api/v1/namespaces/default/pods/t?fieldManager=f', 'application/apply-patch+yaml'],
        ['DELETE', '/api/v1/namespaces/default/pods/zz', 'application/json'],
        ['POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', 'application/json']];
      const params = [['limit', ['0', '1', '-1', 'x', '99999999999']], ['continue', ['', 'abc', 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiIvIn0']],
        ['resourceVersion', ['', '0', '1', 'abc', '-5', '999999999']], ['resourceVersionMatch', ['Exact', 'NotOlderThan', 'x']],
        ['labelSelector', ['a', 'a in (', '!a', 'a>1', '=']], ['fieldSelector', ['metadata.name=a', 'x=y', 'status.phase']],
        ['sendInitialEvents', ['true', '0']], ['timeoutSeconds', ['1', 'x']], ['fieldValidation', ['Strict', 'x']]];
      for (let i = 0; i < 300; i++) {
        const q = params.filter(() => r() < 0.35).map(([k, vs]) => `${k}=${encodeURIComponent(vs[Math.floor(r() * vs.length)])}`);
        const path = r() < 0.5 ? '/api/v1/namespaces/default/pods' : '/api/v1/pods';
        const res = await c.request('GET', `${path}?${q.join('&')}`);
        assert.ok(res.status < 500 || res.status === 504, `${q.join('&')} -> ${res.status} ${res.text}`);
      }
      for (let i = 0; i < 400; i++) {
        const [method, path, ct] = targets[i % targets.length];
        const body = Array.from({length: Math.floor(r() * 8)}, () => pieces[Math.floor(r() * pieces.length)]).join('');
        const res = await c.request(method, path, {body, headers: {'Content-Type': ct}});
        assert.ok(res.status < 500, `${method} ${path} ${body} -> ${res.status} ${res.text}`);
        assert.equal(res.headers['content-type'], 'application/json');
      }
    } finally {
      c.close();
      await sim.stop();
    }
  });
});

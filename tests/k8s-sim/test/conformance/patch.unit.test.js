'use strict';
// Unit tests for lib/patch.js (no server).
const {describe, it} = require('node:test');
const assert = require('node:assert/strict');
const p = require('../../lib/patch.js');

describe('merge patch (RFC 7386)', () => {
  it('follows the RFC examples', () => {
    assert.deepEqual(p.mergePatch({a: 'b'}, {a: 'c'}), {a: 'c'});
    assert.deepEqual(p.mergePatch({a: 'b'}, {b: 'c'}), {a: 'b', b: 'c'});
    assert.deepEqual(p.mergePatch({a: 'b'}, {a: null}), {});
    assert.deepEqual(p.mergePatch({a: [{b: 'c'}]}, {a: [1]}), {a: [1]});
    assert.deepEqual(p.mergePatch({e: null}, {a: 1}), {e: null, a: 1});
    assert.deepEqual(p.mergePatch([1, 2], {a: 'b', c: null}), {a: 'b'});
    assert.deepEqual(p.mergePatch({}, {a: {bb: {ccc: null}}}), {a: {bb: {}}});
    assert.deepEqual(p.mergePatch({a: 'foo'}, 'bar'), 'bar');
  });
  it('does not mutate its inputs', () => {
    const doc = {a: {b: 1}};
    p.mergePatch(doc, {a: {c: 2}});
    assert.deepEqual(doc, {a: {b: 1}});
  });
});

describe('strategic merge patch', () => {
  const doc = {spec: {containers: [{name: 'a', image: '1', env: [{name: 'X', value: '1'}]}, {name: 'b', image: '2'}]},
    metadata: {finalizers: ['f1']}, status: {conditions: [{type: 'Ready', status: 'False'}]}};
  it('merges keyed lists by their merge key', () => {
    const out = p.strategicMergePatch(doc, {spec: {containers: [{name: 'a', env: [{name: 'Y', value: '2'}]}, {name: 'c', image: '3'}]}});
    assert.deepEqual(out.spec.containers.map((c) => c.name), ['a', 'b', 'c']);
    assert.deepEqual(out.spec.containers[0].env, [{name: 'X', value: '1'}, {name: 'Y', value: '2'}]);
    assert.equal(out.spec.containers[0].image, '1');
  });
  it('honours $patch delete/replace, primitive merge and $deleteFromPrimitiveList', () => {
    const del = p.strategicMergePatch(doc, {spec: {containers: [{name: 'b', $patch: 'delete'}]}});
    assert.deepEqual(del.spec.containers.map((c) => c.name), ['a']);
    const rep = p.strategicMergePatch(doc, {spec: {containers: [{name: 'z', image: '9'}, {$patch: 'replace'}]}});
    assert.deepEqual(rep.spec.containers, [{name: 'z', image: '9'}]);
    const fin = p.strategicMergePatch(doc, {metadata: {finalizers: ['f2']}});
    assert.deepEqual(fin.metadata.finalizers, ['f1', 'f2']);
    const rm = p.strategicMergePatch(doc, {metadata: {'$deleteFromPrimitiveList/finalizers': ['f1']}});
    assert.deepEqual(rm.metadata.finalizers, []);
    const cond = p.strategicMergePatch(doc, {status: {conditions: [{type: 'Ready', status: 'True'}]}});
    assert.deepEqual(cond.status.conditions, [{type: 'Ready', status: 'True'}]);
    const mapRep = p.strategicMergePatch({spec: {x: {a: 1, b: 2}}}, {spec: {x: {$patch: 'replace', c: 3}}});
    assert.deepEqual(mapRep.spec.x, {c: 3});
    const order = p.strategicMergePatch(doc, {metadata: {'$setElementOrder/finalizers': ['f1']}});
    assert.deepEqual(order.metadata.finalizers, ['f1']);
  });
});

describe('JSON patch (RFC 6902)', () => {
  const doc = {a: {b: [1, 2]}, s: 'x'};
  it('supports all six operations', () => {
    const out = p.jsonPatch(doc, [
      {op: 'add', path: '/a/b/1', value: 9}, {op: 'add', path: '/a/b/-', value: 3}, {op: 'remove', path: '/s'},
      {op: 'replace', path: '/a/b/0', value: 0}, {op: 'copy', from: '/a/b', path: '/c'}, {op: 'move', from: '/c', path: '/d'},
      {op: 'test', path: '/d', value: [0, 9, 2, 3]}, {op: 'add', path: '/e~1f', value: {'~': 1}}, {op: 'test', path: '/e~1f/~0', value: 1}]);
    assert.deepEqual(out, {a: {b: [0, 9, 2, 3]}, d: [0, 9, 2, 3], 'e/f': {'~': 1}});
    assert.deepEqual(doc, {a: {b: [1, 2]}, s: 'x'});
  });
  it('fails with the json-patch library texts', () => {
    assert.throws(() => p.jsonPatch(doc, [{op: 'test', path: '/s', value: 'y'}]),
                  (e) => e.kind === 'apply' && e.message === 'testing value /s failed: test failed');
    assert.throws(() => p.jsonPatch(doc, [{op: 'remove', path: '/zz'}]), (e) => e.kind === 'apply');
    assert.throws(() => p.jsonPatch(doc, [{op: 'add', path: '/x/y', value: 1}]), (e) => e.kind === 'apply');
    assert.throws(() => p.jsonPatch(doc, [{op: 'replace', path: '/zz', value: 1}]), (e) => e.kind === 'apply');
    assert.throws(() => p.jsonPatch(doc, [{op: 'bogus', path: '/s'}]), (e) => e.kind === 'apply');
    assert.throws(() => p.jsonPatch(doc, {op: 'add'}), (e) => e.kind === 'decode' &&
      e.message === 'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
    assert.throws(() => p.jsonPatch(doc, ['x']), (e) => e.kind === 'decode');
  });
});

describe('YAML subset', () => {
  it('parses what kubectl and client libraries send', () => {
    const y = `# comment
apiVersion: v1
kind: Pod
metadata:
  name: foo   # trailing
  labels: {app: web, "x/y": 'q''s'}
  annotations:
    note: |
      line1
      line2
spec:
  containers:
  - name: c
    image: "busybox:1.36"
    args: [sleep, "3600"]
    ports:
      - containerPort: 80
        protocol: TCP
  terminationGracePeriodSeconds: 0
  hostNetwork: false
  nodeSelector: ~
`;
    assert.deepEqual(p.parseYAML(y), {apiVersion: 'v1', kind: 'Pod',
      metadata: {name: 'foo', labels: {app: 'web', 'x/y': "q's"}, annotations: {note: 'line1\nline2\n'}},
      spec: {containers: [{name: 'c', image: 'busybox:1.36', args: ['sleep', '3600'], ports: [{containerPort: 80, protocol: 'TCP'}]}],
        terminationGracePeriodSeconds: 0, hostNetwork: false, nodeSelector: null}});
  });
  it('takes JSON as is and reports bad input as a decode error', () => {
    assert.deepEqual(p.parseYAML(' {"a": [1]} '), {a: [1]});
    assert.throws(() => p.parseYAML('{"a": '), (e) => e.kind === 'decode');
    assert.throws(() => p.parseYAML('a: 1\n  b: 2\nc'), (e) => e.kind === 'decode');
  });
});

'use strict';
// Unit tests for lib/selectors.js (no server).
const {describe, it} = require('node:test');
const assert = require('node:assert/strict');
const sel = require('../../lib/selectors.js');
const {RESOURCES} = require('../../lib/resources.js');

const obj = (labels, extra = {}) => ({metadata: {name: 'p', namespace: 'ns', labels}, spec: {}, status: {}, ...extra});

describe('label selectors', () => {
  const m = (s, labels) => sel.compile(RESOURCES.pods, s, '')(obj(labels));

  it('parses all operators with whitespace', () => {
    const r = sel.parseLabelSelector(' a = 1 , b!=2,c in ( x , y ),d notin (z), e, !f, g>3, h<4, i==5 ');
    assert.deepEqual(r.map((x) => x.op), ['=', '!=', 'in', 'notin', 'exists', '!', '>', '<', '=']);
    assert.deepEqual(r[2].values, ['x', 'y']);
  });

  it('matches the documented semantics', () => {
    assert.equal(m('a!=1', {}), true);
    assert.equal(m('a notin (1)', {}), true);
    assert.equal(m('a in (1)', {}), false);
    assert.equal(m('a>1', {}), false);
    assert.equal(m('a>1', {a: 'x'}), false);
    assert.equal(m('a>1', {a: '2'}), true);
    assert.equal(m('a<1', {a: '-3'}), true);
    assert.equal(m('a=', {a: ''}), true);
    assert.equal(m('a=', {}), false);
    assert.equal(m('x/y.z', {'x/y.z': 'q'}), true);
  });

  it('returns null (match all) for empty selectors', () => {
    assert.equal(sel.compile(RESOURCES.pods, '', ''), null);
    assert.equal(sel.compile(RESOURCES.pods, undefined, undefined), null);
  });

  it('rejects bad syntax and bad keys/values', () => {
    for (const s of ['a in', 'a in (', '(a)', 'a,', ',a', 'a b', 'a>b', '-a=1', 'a=-b-', 'a=b=c']) {
      assert.throws(() => sel.parseLabelSelector(s), (e) => e.code === 400, s);
    }
  });
});

describe('field selectors', () => {
  it('splits on unescaped commas and unescapes values', () => {
    const t = sel.parseFieldSelector('metadata.name=a\\,b\\=c\\\\,status.phase!=Running', RESOURCES.pods);
    assert.deepEqual(t.map((x) => [x.field, x.neg, x.value]),
                     [['metadata.name', false, 'a,b=c\\'], ['status.phase', true, 'Running']]);
  });

  it('maps spec.host to spec.nodeName and checks the whitelist', () => {
    assert.equal(sel.parseFieldSelector('spec.host=n', RESOURCES.pods)[0].field, 'spec.nodeName');
    assert.throws(() => sel.parseFieldSelector('spec.containers=x', RESOURCES.pods),
                  (e) => e.code === 400 && e.message === 'field label not supported: spec.containers');
    assert.throws(() => sel.parseFieldSelector('noop', RESOURCES.pods), (e) => e.code === 400);
    assert.throws(() => sel.parseFieldSelector('metadata.name=a\\b', RESOURCES.pods), (e) => e.code === 400);
  });

  it('reads missing fields as empty strings', () => {
    const f = sel.compile(RESOURCES.pods, '', 'status.podIP=,spec.hostNetwork=false');
    assert.equal(f(obj({})), true);
    assert.equal(f(obj({}, {status: {podIP: '10.0.0.1'}})), false);
  });
});

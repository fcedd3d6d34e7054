'use strict';
// Checklist 7: PATCH in its four content types and its validation.
const {describe, it, before, after} = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {startSim, h1, pod, fixtureWire, FIXTURES, API_ONLY} = require('./client.js');

const NS = '/api/v1/namespaces/default';
const MERGE = {'Content-Type': 'application/merge-patch+json'};
const SMP = {'Content-Type': 'application/strategic-merge-patch+json'};
const JSONP = {'Content-Type': 'application/json-patch+json'};
const APPLY = {'Content-Type': 'application/apply-patch+yaml'};

describe('patch', () => {
  let sim;
  let c;
  before(async () => {
    sim = await startSim({args: API_ONLY});
    c = h1(sim);
    const two = pod('p', {metadata: {labels: {a: '1', b: '2'}}, spec: {containers: [
      {name: 'c', image: 'busybox:1.36'}, {name: 'side', image: 'nginx:1.25'}]}});
    assert.equal((await c.request('POST', `${NS}/pods`, {body: two})).status, 201);
  });
  after(async () => {
    c.close();
    await sim.stop();
  });

  it('applies a merge patch (RFC 7386) like kubectl --type=merge', async () => {
    const r = await c.request('PATCH', `${NS}/pods/p?fieldManager=kubectl-patch`,
      {body: '{"metadata":{"labels":{"pool":"warm","b":null}}}', headers: MERGE});
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.metadata.labels, {a: '1', pool: 'warm'});
    assert.equal(r.text, JSON.stringify(r.json) + '\n');
  });

  it('applies a strategic merge patch: containers merged by name', async () => {
    const r = await c.request('PATCH', `${NS}/pods/p`, {headers: SMP,
      body: {metadata: {labels: {session: 's1'}}, spec: {containers: [{name: 'side', image: 'nginx:1.27'}]}}});
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.spec.containers.map((x) => `${x.name}=${x.image}`), ['c=busybox:1.36', 'side=nginx:1.27']);
    assert.equal(r.json.metadata.labels.session, 's1');
    const conds = await c.request('PATCH', `${NS}/pods/p/status`, {headers: SMP,
      body: {status: {conditions: [{type: 'Ready', status: 'False'}, {type: 'PodScheduled', status: 'True'}]}}});
    const upd = await c.request('PATCH', `${NS}/pods/p/status`, {headers: SMP,
      body: {status: {conditions: [{type: 'Ready', status: 'True'}]}}});
    assert.equal(conds.status, 200);
    assert.deepEqual(upd.json.status.conditions.map((x) => `${x.type}=${x.status}`), ['Ready=True', 'PodScheduled=True']);
  });

  it('applies a JSON patch (RFC 6902) with a passing test op', async () => {
    const cur = (await c.request('GET', `${NS}/pods/p`)).json;
    const ops = [{op: 'test', path: '/metadata/resourceVersion', value: cur.metadata.resourceVersion},
      {op: 'add', path: '/metadata/labels/bound', value: 'true'}];
    const r = await c.request('PATCH', `${NS}/pods/p`, {body: ops, headers: JSONP});
    assert.equal(r.status, 200);
    assert.equal(r.json.metadata.labels.bound, 'true');
  });

  it('answers a failing JSON-patch test with 422', async () => {
    const ops = [{op: 'test', path: '/metadata/resourceVersion', value: '1'}, {op: 'add', path: '/metadata/labels/x', value: 'y'}];
    const r = await c.request('PATCH', `${NS}/pods/p`, {body: ops, headers: JSONP});
    assert.equal(r.status, 422);
    // apiserver patch.go: NewGenericServerResponse(422, ..., false) keeps no cause.
    assert.equal(r.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":' +
                 '"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}\n');
    assert.equal((await c.request('GET', `${NS}/pods/p`)).json.metadata.labels.x, undefined);
  });

  it('makes a patch carrying a resourceVersion conditional (409 on mismatch)', async () => {
    const cur = (await c.request('GET', `${NS}/pods/p`)).json;
    const stale = await c.request('PATCH', `${NS}/pods/p`, {headers: MERGE,
      body: {metadata: {resourceVersion: '1', labels: {bound: 'again'}}}});
    assert.equal(stale.status, 409);
    assert.equal(stale.json.reason, 'Conflict');
    assert.equal(stale.json.message, 'Operation cannot be fulfilled on pods "p": the object has been modified; please apply your changes to the latest version and try again');
    const fresh = await c.request('PATCH', `${NS}/pods/p`, {headers: SMP,
      body: {metadata: {resourceVersion: cur.metadata.resourceVersion, labels: {bound: 'again'}}}});
    assert.equal(fresh.status, 200);
  });

  it('does server-side apply as create-or-update and records the manager', async () => {
    const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: ssa\n  labels:\n    pool: warm\nspec:\n  containers:\n  - name: c\n    image: "busybox:1.36"\n';
    const created = await c.request('PATCH', `${NS}/pods/ssa?fieldManager=warm-pool&fieldValidation=Ignore&force=false`, {body: yaml, headers: APPLY});
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.metadata.labels.pool, 'warm');
    assert.equal(created.json.status.phase, 'Pending');
    assert.ok(created.json.metadata.managedFields.some((m) => m.manager === 'warm-pool' && m.operation === 'Apply'));
    const json = {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'ssa', labels: {pool: 'warm', session: 's9'}},
      spec: {containers: [{name: 'c', image: 'busybox:1.37'}]}};
    const updated = await c.request('PATCH', `${NS}/pods/ssa?fieldManager=warm-pool&force=true`, {body: json, headers: APPLY});
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.json.metadata.labels.session, 's9');
    assert.equal(updated.json.spec.containers[0].image, 'busybox:1.37');
    assert.equal(updated.json.metadata.uid, created.json.metadata.uid);
  });

  it('removes fields an apply manager stops applying, unless another apply manager owns them', async () => {
    const url = (m) => `${NS}/pods/ssa2?fieldManager=${m}`;
    const cfg = (labels) => ({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'ssa2', labels},
      spec: {containers: [{name: 'c', image: 'busybox:1.36'}]}});
    assert.equal((await c.request('PATCH', url('pool'), {body: cfg({pool: 'warm', session: 's1', keep: 'k'}), headers: APPLY})).status, 201);
    const other = await c.request('PATCH', url('binder'), {body: {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'ssa2', labels: {keep: 'k'}}}, headers: APPLY});
    assert.equal(other.status, 200, other.text);
    const r = await c.request('PATCH', url('pool'), {body: cfg({pool: 'warm'}), headers: APPLY});
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.metadata.labels, {pool: 'warm', keep: 'k'});
    assert.equal(r.json.spec.containers.length, 1);
    const managers = r.json.metadata.managedFields.map((m) => `${m.manager}/${m.operation}`).sort();
    assert.deepEqual(managers, ['binder/Apply', 'pool/Apply']);
  });

  it('reports apply conflicts with other managers (409) and takes fields over with force', async () => {
    const cfg = {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'own', labels: {tier: 'a', pool: 'x'}},
      spec: {containers: [{name: 'c', image: 'busybox:1.36'}]}};
    assert.equal((await c.request('POST', `${NS}/pods?fieldManager=creator`, {body: cfg})).status, 201);
    const same = await c.request('PATCH', `${NS}/pods/own?fieldManager=pool`, {body: cfg, headers: APPLY});
    assert.equal(same.status, 200, 'applying values equal to the live ones is no conflict');
    const next = JSON.parse(JSON.stringify(cfg));
    next.metadata.labels = {tier: 'b', pool: 'y'};
    next.spec.containers[0].image = 'busybox:1.37';
    const r = await c.request('PATCH', `${NS}/pods/own?fieldManager=other`, {body: next, headers: APPLY});
    assert.equal(r.status, 409);
    assert.equal(r.json.reason, 'Conflict');
    assert.equal(r.json.message, 'Apply failed with 6 conflicts: conflicts with "creator" using v1:\n- .metadata.labels.tier\n' +
      '- .metadata.labels.pool\n- .spec.containers[name="c"].image\nconflicts with "pool":\n- .metadata.labels.tier\n' +
      '- .metadata.labels.pool\n- .spec.containers[name="c"].image');
    assert.deepEqual(r.json.details.causes[0], {reason: 'FieldManagerConflict', message: 'conflict with "creator" using v1',
      field: '.metadata.labels.tier'});
    const forced = await c.request('PATCH', `${NS}/pods/own?fieldManager=other&force=true`, {body: next, headers: APPLY});
    assert.equal(forced.status, 200, forced.text);
    assert.deepEqual(forced.json.metadata.labels, {tier: 'b', pool: 'y'});
    const owners = Object.fromEntries(forced.json.metadata.managedFields.map((m) => [m.manager, m.fieldsV1]));
    assert.ok(owners.other['f:metadata']['f:labels']['f:tier'], 'the forcing manager owns the fields');
    assert.equal(owners.pool['f:metadata'], undefined, 'the others lost them');
    assert.equal(owners.creator['f:metadata'], undefined);
    assert.ok(owners.creator['f:spec']['f:restartPolicy'], 'fields nobody took stay with their creator');
  });

  it('requires fieldManager for apply and refuses force on other types (422)', async () => {
    const r = await c.request('PATCH', `${NS}/pods/p?force=true`, {body: '{"metadata":{"name":"p"}}', headers: APPLY});
    assert.equal(r.status, 422);
    assert.equal(r.json.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const f = await c.request('PATCH', `${NS}/pods/p?force=true`, {body: '{}', headers: MERGE});
    assert.equal(f.status, 422);
    assert.equal(f.json.message, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  });

  it('rejects the recorded client-go golden apply request (force without fieldManager)', async () => {
    const raw = fs.readFileSync(path.join(FIXTURES, 'http/client-go-request-apply.http'), 'utf8');
    const body = raw.slice(raw.indexOf('\n\n') + 2);
    const q = raw.split(' ')[1].split('?')[1];
    const r = await c.request('PATCH', `${NS}/pods/p?${q}`, {body, headers: APPLY});
    assert.equal(r.status, 422);
    assert.equal(r.json.details.causes[0].field, 'fieldManager');
  });

  it('answers an unknown or missing patch type with 415', async () => {
    for (const ct of ['text/plain', 'application/json', 'application/apply-patch+cbor']) {
      const r = await c.request('PATCH', `${NS}/pods/p`, {body: '{}', headers: {'Content-Type': ct}});
      assert.equal(r.status, 415, ct);
      assert.equal(r.json.reason, 'UnsupportedMediaType');
    }
  });

  it('answers a body that does not match its type with the real 400', async () => {
    const r = await c.request('PATCH', `${NS}/pods/p`, {body: '{"metadata":{"labels":{"a":"b"}}}', headers: JSONP});
    assert.equal(r.status, 400);
    assert.equal(r.text, fixtureWire('status/400-patch-body-not-jsonpatch.json'));
    assert.equal(Buffer.byteLength(r.text), 211);
    const m = await c.request('PATCH', `${NS}/pods/p`, {body: 'not json', headers: MERGE});
    assert.equal(m.status, 400);
    const missing = await c.request('PATCH', `${NS}/pods/nope`, {body: '{}', headers: MERGE});
    assert.equal(missing.status, 404);
  });
});

'use strict';
// Checklist 5: create.
const {describe, it} = require('node:test');
const assert = require('node:assert/strict');
const {pod, fixtureJSON, useSim} = require('./client.js');

const NS = '/api/v1/namespaces/default';

describe('create', () => {
  let sim;
  let c;
  useSim((s, client) => {
    sim = s;
    c = client;
  });

  it('returns 201 with uid, resourceVersion, creationTimestamp, defaults and a Pending status', async () => {
    const body = pod('c1');
    body.status = {phase: 'Running', podIP: '1.2.3.4'};
    const r = await c.request('POST', `${NS}/pods`, {body});
    assert.equal(r.status, 201);
    assert.equal(r.text, JSON.stringify(r.json) + '\n');
    const o = r.json;
    assert.equal(o.kind, 'Pod');
    assert.equal(o.apiVersion, 'v1');
    assert.match(o.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(o.metadata.resourceVersion, /^[0-9]+$/);
    assert.match(o.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(o.metadata.namespace, 'default');
    assert.equal(o.metadata.generation, 1);
    assert.deepEqual(o.status, {phase: 'Pending', qosClass: 'BestEffort'});
    assert.equal(o.spec.restartPolicy, 'Always');
    assert.equal(o.spec.terminationGracePeriodSeconds, 30);
    assert.equal(o.spec.dnsPolicy, 'ClusterFirst');
    assert.equal(o.spec.schedulerName, 'default-scheduler');
    assert.equal(o.spec.serviceAccountName, 'default');
    assert.equal(o.spec.enableServiceLinks, true);
    assert.equal(o.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.equal(o.spec.containers[0].terminationMessagePath, '/dev/termination-log');
    assert.deepEqual(o.spec.containers[0].resources, {});
    const g = await c.request('GET', `${NS}/pods/c1`);
    assert.deepEqual(g.json, o);
  });

  it('computes qosClass from resources', async () => {
    const g = pod('qg', {spec: {containers: [{name: 'c', image: 'x', resources: {limits: {cpu: '1', memory: '1Gi'}}}]}});
    const b = pod('qb', {spec: {containers: [{name: 'c', image: 'x', resources: {requests: {cpu: '100m'}}}]}});
    assert.equal((await c.request('POST', `${NS}/pods`, {body: g})).json.status.qosClass, 'Guaranteed');
    assert.equal((await c.request('POST', `${NS}/pods`, {body: b})).json.status.qosClass, 'Burstable');
  });

  it('makes names from generateName with the apiserver alphabet', async () => {
    const seen = new Set();
    for (let i = 0; i < 20; i++) {
      const r = await c.request('POST', `${NS}/pods`, {body: {...pod(undefined), metadata: {generateName: 'warm-'}}});
      assert.equal(r.status, 201);
      assert.match(r.json.metadata.name, /^warm-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal(r.json.metadata.generateName, 'warm-');
      seen.add(r.json.metadata.name);
    }
    assert.equal(seen.size, 20);
  });

  it('answers a duplicate name with 409 AlreadyExists', async () => {
    const r = await c.request('POST', `${NS}/pods`, {body: pod('c1')});
    assert.equal(r.status, 409);
    assert.equal(r.text, JSON.stringify({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'pods "c1" already exists', reason: 'AlreadyExists', details: {name: 'c1', kind: 'pods'}, code: 409}) + '\n');
  });

  it('says "object is being deleted" while the old pod terminates', async () => {
    const name = 'k8s-test-4c1d-ray-head';
    await c.request('POST', `${NS}/pods`, {body: pod(name, {spec: {nodeName: 'node-1'}})});
    const d = await c.request('DELETE', `${NS}/pods/${name}`);
    assert.equal(d.status, 200);
    assert.ok(d.json.metadata.deletionTimestamp);
    const r = await c.request('POST', `${NS}/pods`, {body: pod(name)});
    assert.equal(r.status, 409);
    assert.deepEqual(r.json, fixtureJSON('status/409-pod-alreadyexists-being-deleted.json'));
    assert.equal(Buffer.byteLength(r.text), 247);
  });

  it('validates names, containers and the namespace', async () => {
    const bad = await c.request('POST', `${NS}/pods`, {body: pod('Bad_Name')});
    assert.equal(bad.status, 422);
    assert.match(bad.json.message, /^Pod "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const none = await c.request('POST', `${NS}/pods`, {body: {metadata: {name: 'x'}, spec: {containers: []}}});
    assert.equal(none.status, 422);
    assert.equal(none.json.details.causes[0].field, 'spec.containers');
    const noName = await c.request('POST', `${NS}/pods`, {body: {spec: {containers: [{name: 'c', image: 'i'}]}}});
    assert.equal(noName.status, 422);
    assert.match(noName.json.message, /name or generateName is required/);
    const ns = await c.request('POST', '/api/v1/namespaces/nope/pods', {body: pod('x')});
    assert.equal(ns.status, 404);
    assert.equal(ns.json.message, 'namespaces "nope" not found');
    const other = await c.request('POST', `${NS}/pods`, {body: pod('x', {metadata: {namespace: 'kube-system'}})});
    assert.equal(other.status, 400);
    assert.equal(other.json.message, 'the namespace of the provided object does not match the namespace sent on the request');
    const kind = await c.request('POST', `${NS}/pods`, {body: {...pod('x'), apiVersion: 'coordination.k8s.io/v1'}});
    assert.equal(kind.status, 400);
    const junk = await c.request('POST', `${NS}/pods`, {body: '{"metadata":'});
    assert.equal(junk.status, 400);
  });

  it('refuses a create that carries a resourceVersion with the real reason-less 500', async () => {
    const r = await c.request('POST', `${NS}/pods`, {body: pod('rv', {metadata: {resourceVersion: '42'}})});
    assert.equal(r.status, 500);
    assert.equal(r.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
      '"message":"resourceVersion should not be set on objects to be created","code":500}\n');
    const odd = await c.request('POST', `${NS}/pods`, {body: pod('rv', {metadata: {resourceVersion: '-1'}})});
    assert.equal(odd.status, 201, 'an unparsable RV is ignored (kubernetes#113847)');
  });

  it('drops unknown fields with a Warning, or refuses them with fieldValidation=Strict', async () => {
    const body = pod('fv');
    body.spec.containers[0].imag = 'typo';
    body.spec.bogus = 1;
    body.extra = true;
    const strict = await c.request('POST', `${NS}/pods?fieldValidation=Strict`, {body});
    assert.equal(strict.status, 400);
    assert.equal(strict.json.message, 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imag", ' +
      'unknown field "spec.bogus", unknown field "extra"');
    const warn = await c.request('POST', `${NS}/pods`, {body});
    assert.equal(warn.status, 201);
    assert.deepEqual(warn.headers.warning.split(', '), ['299 - "unknown field \\"spec.containers[0].imag\\""',
      '299 - "unknown field \\"spec.bogus\\""', '299 - "unknown field \\"extra\\""']);
    assert.equal(warn.json.extra, undefined);
    assert.equal(warn.json.spec.bogus, undefined);
    assert.equal(warn.json.spec.containers[0].imag, undefined);
    const ignore = await c.request('POST', `${NS}/pods?fieldValidation=Ignore`, {body: {...body, metadata: {name: 'fv2'}}});
    assert.equal(ignore.status, 201);
    assert.equal(ignore.headers.warning, undefined);
    const bad = await c.request('POST', `${NS}/pods?fieldValidation=Loud`, {body: pod('fv3')});
    assert.equal(bad.status, 422);
    assert.equal(bad.json.message, 'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": ' +
                 'supported values: "", "Ignore", "Strict", "Warn"');
  });

  it('limits annotations to 256 KiB in all (422)', async () => {
    const r = await c.request('POST', `${NS}/pods`, {body: pod('ann', {metadata: {annotations: {a: 'x'.repeat(262144)}}})});
    assert.equal(r.status, 422);
    assert.equal(r.json.message, 'Pod "ann" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes');
  });

  it('refuses bodies over 3 MiB with 413', async () => {
    const big = pod('huge', {metadata: {annotations: {blob: 'x'.repeat(3 * 1024 * 1024)}}});
    const r = await c.request('POST', `${NS}/pods`, {body: big});
    assert.equal(r.status, 413);
    assert.equal(r.json.reason, 'RequestEntityTooLarge');
    assert.equal(r.json.message, 'Request entity too large: limit is 3145728');
    assert.equal((await c.request('GET', `${NS}/pods/c1`)).status, 200, 'the connection still works');
  });

  it('does not store anything for dryRun=All', async () => {
    const r = await c.request('POST', `${NS}/pods?dryRun=All`, {body: pod('dry')});
    assert.equal(r.status, 201);
    assert.equal((await c.request('GET', `${NS}/pods/dry`)).status, 404);
  });
});

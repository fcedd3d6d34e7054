'use strict';
// The /_sim/ control endpoints over HTTPS, driving the scheduler and the
// kubelets of a running simulator, observed through the Kubernetes API.

const test = require('node:test');
const assert = require('node:assert/strict');
const {startSim, waitFor, podManifest} = require('./harness.js');

const PODS = '/api/v1/namespaces/default/pods';
const cond = (p, type) => ((p && p.status && p.status.conditions) || []).find((c) => c.type === type);
const ready = (p) => Boolean(p && p.status.phase === 'Running' && cond(p, 'Ready') && cond(p, 'Ready').status === 'True');

test('control endpoints', {timeout: 60000}, async (t) => {
  const sim = await startSim(['--nodes', '1', '--node-labels', 'cloud.google.com/gke-nodepool=warm',
                              '--node-capacity', 'cpu=2,pods=20', '--time-scale', '0.005', '--pull-delay', 'fixed:5']);
  t.after(() => sim.stop());
  const pod = async (name) => (await sim.request('GET', `${PODS}/${name}`)).json;
  const waitPod = (what, name, pred) => waitFor(what, async () => {
    const p = await pod(name);
    return pred(p) ? p : null;
  });

  await t.test('nodes from the command line and POST /_sim/nodes', async () => {
    const n = (await sim.request('GET', '/api/v1/nodes/sim-node-1')).json;
    assert.equal(n.metadata.labels['cloud.google.com/gke-nodepool'], 'warm');
    assert.equal(n.status.allocatable.cpu, '2');
    assert.equal(n.status.allocatable.pods, '20');
    assert.equal(n.status.conditions.find((c) => c.type === 'Ready').status, 'True');
    const r = await sim.ctl('POST', 'nodes', {name: 'gpu-1', labels: {pool: 'gpu'}, taints: [{key: 'gpu', value: 'yes', effect: 'NoSchedule'}]});
    assert.equal(r.status, 201, r.text);
    const list = (await sim.ctl('GET', 'nodes')).json.nodes;
    assert.deepEqual(list.map((x) => x.name), ['gpu-1', 'sim-node-1']);
    assert.deepEqual(list[0].taints, [{key: 'gpu', value: 'yes', effect: 'NoSchedule'}]);
    const bad = await sim.ctl('POST', 'nodes', {name: 'x', taints: 'nocolon'});
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /bad taint/);
    assert.equal((await sim.ctl('POST', 'nodes', {name: 'Bad_Name'})).status, 400);
    assert.equal((await sim.ctl('POST', 'nodes', {name: 'gpu-1'})).status, 409, 'duplicate name');
    assert.equal((await sim.ctl('POST', 'nodes/gpu-1/lose', {evictAfterMs: -1})).status, 400);
  });

  await t.test('crash, unready, ready through the API', async () => {
    assert.equal((await sim.request('POST', PODS, {body: podManifest('web')})).status, 201);
    await waitPod('web ready', 'web', ready);
    let r = await sim.ctl('POST', 'pods/default/web/unready');
    assert.equal(r.status, 200, r.text);
    assert.equal(cond(r.json, 'Ready').status, 'False');
    assert.equal(cond(await pod('web'), 'Ready').status, 'False');
    r = await sim.ctl('POST', 'pods/default/web/ready');
    assert.equal(cond(r.json, 'Ready').status, 'True');
    r = await sim.ctl('POST', 'pods/default/web/crash', {exitCode: 2});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status.containerStatuses[0].state.terminated.exitCode, 2);
    const back = await waitPod('web restarted', 'web', (p) => ready(p) && p.status.containerStatuses[0].restartCount === 1);
    assert.equal(back.status.containerStatuses[0].lastState.terminated.reason, 'Error');
    r = await sim.ctl('POST', 'pods/default/web/crash', {exitCode: 'x'});
    assert.equal(r.status, 400);
    assert.match(r.json.error, /exitCode/);
    r = await sim.ctl('POST', 'pods/default/nope/crash');
    assert.equal(r.status, 404);
    assert.match(r.json.error, /pods "nope" not found/);
  });

  await t.test('unschedulable pods are retried when a node appears', async () => {
    const m = podManifest('gpu-job', {spec: {nodeSelector: {pool: 'other'}}});
    assert.equal((await sim.request('POST', PODS, {body: m})).status, 201);
    const p = await waitPod('unschedulable', 'gpu-job', (x) => cond(x, 'PodScheduled') && cond(x, 'PodScheduled').status === 'False');
    // TaintToleration runs before NodeAffinity, so the tainted node reports its taint.
    assert.equal(cond(p, 'PodScheduled').message, "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, " +
                 '1 node(s) had untolerated taint {gpu: yes}. ' +
                 'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.');
    assert.equal((await sim.ctl('POST', 'nodes', {name: 'other-1', labels: {pool: 'other'}})).status, 201);
    await waitPod('bound to other-1 and ready', 'gpu-job', (x) => x.spec.nodeName === 'other-1' && ready(x));
  });

  await t.test('lose and restore a node', async () => {
    let r = await sim.ctl('POST', 'nodes/sim-node-1/lose', {evictAfterMs: 100000});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.lost, true);
    const n = (await sim.request('GET', '/api/v1/nodes/sim-node-1')).json;
    assert.equal(n.status.conditions.find((c) => c.type === 'Ready').status, 'Unknown');
    assert.equal(cond(await pod('web'), 'Ready').status, 'False');
    assert.equal((await sim.ctl('POST', 'nodes/sim-node-1/lose')).status, 409);
    r = await sim.ctl('POST', 'nodes/sim-node-1/restore');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.lost, false);
    await waitPod('web ready again', 'web', ready);
    assert.equal((await sim.ctl('POST', 'nodes/nope/lose')).status, 404);
  });

  await t.test('delete a node: its pods are force-deleted', async () => {
    assert.equal((await sim.ctl('DELETE', 'nodes/other-1')).status, 200);
    assert.equal((await sim.request('GET', `${PODS}/gpu-job`)).status, 404);
    assert.equal((await sim.request('GET', '/api/v1/nodes/other-1')).status, 404);
  });

  await t.test('kubelet settings can be read and changed', async () => {
    let r = await sim.ctl('GET', 'kubelet');
    assert.deepEqual(r.json.pull, {type: 'fixed', ms: 5});
    assert.equal(r.json.timeScale, 0.005);
    r = await sim.ctl('POST', 'kubelet', {start: 'uniform:1:3', seed: 5});
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.start, {type: 'uniform', min: 1, max: 3});
    r = await sim.ctl('POST', 'kubelet', {ready: 'lognormal:x:1'});
    assert.equal(r.status, 400);
    assert.match(r.json.error, /"median" must be a number/);
  });

  await t.test('unknown endpoints are 404 JSON', async () => {
    const r = await sim.ctl('GET', 'nothing/here');
    assert.equal(r.status, 404);
    assert.match(r.json.error, /no control endpoint GET \/_sim\/nothing\/here/);
    assert.equal((await sim.ctl('GET', 'health')).json.ok, true);
  });
});

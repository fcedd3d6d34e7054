'use strict';
// Scheduling by nodeSelector, tolerations and capacity, the unschedulable
// message, and retry when nodes change. In-process (store + scheduler + kubelet).

const test = require('node:test');
const assert = require('node:assert/strict');
const {makeSim, waitFor, pod, condition} = require('./inproc.js');
const {parseQuantity, podRequests} = require('../../lib/scheduler.js');

test('quantities parse like resource.Quantity', () => {
  assert.equal(parseQuantity('500m'), 0.5);
  assert.equal(parseQuantity('128Mi'), 128 * 1024 * 1024);
  assert.equal(parseQuantity('1G'), 1e9);
  assert.equal(parseQuantity('2'), 2);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.ok(Number.isNaN(parseQuantity('12xyz')));
  const r = podRequests(pod('q', {containers: [{name: 'a', image: 'x', resources: {limits: {cpu: '1', memory: '1Gi'}}},
                                                {name: 'b', image: 'x', resources: {requests: {cpu: '250m'}}}]}));
  assert.deepEqual(r, {cpu: 1250, memory: 2 ** 30});
});

test('binds to a node matching nodeSelector and sets PodScheduled', async () => {
  const sim = makeSim({nodes: 2});
  try {
    sim.ctx = sim;
    sim.sim.scheduler.addNode({name: 'warm-1', labels: {'cloud.google.com/gke-nodepool': 'warm'}});
    sim.store.create('pods', 'default', pod('p1', {nodeSelector: {'cloud.google.com/gke-nodepool': 'warm'}}));
    const p = await waitFor(sim.store, 'p1 bound', () => {
      const x = sim.store.get('pods', 'default', 'p1');
      return x.spec.nodeName ? x : null;
    });
    assert.equal(p.spec.nodeName, 'warm-1');
    const c = condition(p, 'PodScheduled');
    assert.equal(c.status, 'True');
    assert.match(c.lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const ev = sim.store.list('events', 'default', {}).items.find((e) => e.reason === 'Scheduled');
    assert.equal(ev.message, 'Successfully assigned default/p1 to warm-1');
  } finally {
    sim.close();
  }
});

test('no matching node: Pending, PodScheduled=False/Unschedulable with the real message', async () => {
  const sim = makeSim({nodes: 3});
  try {
    sim.store.create('pods', 'default', pod('p2', {nodeSelector: {pool: 'none'}}));
    const p = await waitFor(sim.store, 'p2 unschedulable', () => {
      const x = sim.store.get('pods', 'default', 'p2');
      const c = condition(x, 'PodScheduled');
      return c && c.status === 'False' ? x : null;
    });
    const c = condition(p, 'PodScheduled');
    assert.equal(c.reason, 'Unschedulable');
    assert.equal(c.message, "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. " +
                 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
    assert.equal(p.status.phase, 'Pending');
    assert.equal(p.spec.nodeName, undefined);
    // Retried when a matching node appears.
    sim.sim.scheduler.addNode({name: 'late', labels: {pool: 'none'}});
    const b = await waitFor(sim.store, 'p2 bound', () => sim.store.get('pods', 'default', 'p2').spec.nodeName);
    assert.equal(b, 'late');
  } finally {
    sim.close();
  }
});

test('taints: NoSchedule and NoExecute need a toleration, PreferNoSchedule does not', async () => {
  const sim = makeSim({nodes: 0});
  try {
    sim.sim.scheduler.addNode({name: 'tainted', taints: 'dedicated=warm:NoSchedule'});
    sim.sim.scheduler.addNode({name: 'exec', taints: [{key: 'gpu', effect: 'NoExecute'}]});
    sim.store.create('pods', 'default', pod('plain'));
    const p = await waitFor(sim.store, 'plain unschedulable', () => {
      const c = condition(sim.store.get('pods', 'default', 'plain'), 'PodScheduled');
      return c && c.status === 'False' ? c : null;
    });
    assert.equal(p.message, '0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: warm}, ' +
                 '1 node(s) had untolerated taint {gpu: }. preemption: 0/2 nodes are available: ' +
                 '2 Preemption is not helpful for scheduling.');
    sim.store.create('pods', 'default', pod('tol', {tolerations: [{key: 'dedicated', operator: 'Equal', value: 'warm', effect: 'NoSchedule'}]}));
    assert.equal(await waitFor(sim.store, 'tol bound', () => sim.store.get('pods', 'default', 'tol').spec.nodeName), 'tainted');
    sim.store.create('pods', 'default', pod('any', {tolerations: [{operator: 'Exists'}], nodeSelector: {'kubernetes.io/hostname': 'exec'}}));
    assert.equal(await waitFor(sim.store, 'any bound', () => sim.store.get('pods', 'default', 'any').spec.nodeName), 'exec');
    sim.sim.scheduler.addNode({name: 'soft', taints: 'x=y:PreferNoSchedule'});
    assert.equal(await waitFor(sim.store, 'plain bound', () => sim.store.get('pods', 'default', 'plain').spec.nodeName), 'soft');
  } finally {
    sim.close();
  }
});

test('capacity: cpu, memory and max pods; freed capacity is reused', async () => {
  const sim = makeSim({nodes: 0});
  try {
    sim.sim.scheduler.addNode({name: 'small', capacity: {cpu: '1', memory: '1Gi', pods: '2'}});
    const big = {containers: [{name: 'a', image: 'x', resources: {requests: {cpu: '600m', memory: '100Mi'}}}]};
    sim.store.create('pods', 'default', pod('c1', big));
    await waitFor(sim.store, 'c1 bound', () => sim.store.get('pods', 'default', 'c1').spec.nodeName);
    sim.store.create('pods', 'default', pod('c2', big));
    const c = await waitFor(sim.store, 'c2 unschedulable', () => {
      const x = condition(sim.store.get('pods', 'default', 'c2'), 'PodScheduled');
      return x && x.status === 'False' ? x : null;
    });
    assert.equal(c.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: ' +
                 '1 No preemption victims found for incoming pod.');
    const mem = {containers: [{name: 'a', image: 'x', resources: {requests: {memory: '2Gi'}}}]};
    sim.store.create('pods', 'default', pod('m1', mem));
    const cm = await waitFor(sim.store, 'm1 unschedulable', () => {
      const x = condition(sim.store.get('pods', 'default', 'm1'), 'PodScheduled');
      return x && x.status === 'False' ? x : null;
    });
    assert.match(cm.message, /1 Insufficient memory\./);
    sim.store.create('pods', 'default', pod('tiny1'));
    await waitFor(sim.store, 'tiny1 bound', () => sim.store.get('pods', 'default', 'tiny1').spec.nodeName);
    sim.store.create('pods', 'default', pod('tiny2'));
    const ct = await waitFor(sim.store, 'tiny2 unschedulable', () => {
      const x = condition(sim.store.get('pods', 'default', 'tiny2'), 'PodScheduled');
      return x && x.status === 'False' ? x : null;
    });
    assert.match(ct.message, /1 Too many pods\./);
    // Deleting c1 frees cpu and a pod slot: c2 or tiny2 gets bound.
    sim.store.remove('pods', 'default', 'c1');
    await waitFor(sim.store, 'a waiting pod bound', () =>
      sim.store.get('pods', 'default', 'c2').spec.nodeName || sim.store.get('pods', 'default', 'tiny2').spec.nodeName);
  } finally {
    sim.close();
  }
});

test('nodeAffinity required terms and pods for other schedulers', async () => {
  const sim = makeSim({nodes: 0});
  try {
    sim.sim.scheduler.addNode({name: 'zone-a', labels: {zone: 'a'}});
    sim.sim.scheduler.addNode({name: 'zone-b', labels: {zone: 'b'}});
    sim.store.create('pods', 'default', pod('aff', {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{matchExpressions: [{key: 'zone', operator: 'In', values: ['b']}]}]}}}}));
    assert.equal(await waitFor(sim.store, 'aff bound', () => sim.store.get('pods', 'default', 'aff').spec.nodeName), 'zone-b');
    sim.store.create('pods', 'default', pod('other', {schedulerName: 'my-scheduler'}));
    sim.store.create('pods', 'default', pod('after'));
    await waitFor(sim.store, 'after bound', () => sim.store.get('pods', 'default', 'after').spec.nodeName);
    assert.equal(sim.store.get('pods', 'default', 'other').spec.nodeName, undefined);
  } finally {
    sim.close();
  }
});

test('events expire after the event TTL', async () => {
  const sim = makeSim({nodes: 1, eventTtlMs: 1500});
  try {
    sim.store.create('pods', 'default', pod('ev'));
    await waitFor(sim.store, 'a Scheduled event', () => sim.store.list('events', 'default', {}).items.some((e) => e.reason === 'Scheduled'));
    const t0 = Date.now();
    // Event timestamps have whole seconds, so expiry comes 1.5 to 2.5 s later.
    await waitFor(sim.store, 'all events expired', () => sim.store.list('events', 'default', {}).items.length === 0, 6000);
    assert.ok(Date.now() - t0 >= 400, 'not before the TTL');
  } finally {
    sim.close();
  }
});

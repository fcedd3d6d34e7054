'use strict';
// Pod lifecycle from the simulated kubelet: status shape, timing, probes,
// crash/unready/ready, graceful deletion, node loss. In-process.

const test = require('node:test');
const assert = require('node:assert/strict');
const {makeSim, waitFor, pod, condition, isReady} = require('./inproc.js');
const {parseDist, sample, makeRng, normaliseImage} = require('../../lib/kubelet.js');

const get = (sim, name) => sim.store.get('pods', 'default', name);

test('delay distributions: fixed, uniform, lognormal, seeded and validated', () => {
  const rng = makeRng(42);
  assert.equal(sample(parseDist('fixed:30'), rng), 30);
  assert.equal(sample(parseDist(12), rng), 12);
  for (let i = 0; i < 200; i++) {
    const v = sample(parseDist('uniform:10:20'), rng);
    assert.ok(v >= 10 && v <= 20, `uniform sample ${v}`);
  }
  const ln = parseDist({type: 'lognormal', median: 100, sigma: 0.5, max: 400});
  const xs = Array.from({length: 2001}, () => sample(ln, rng)).sort((a, b) => a - b);
  assert.ok(xs[1000] > 80 && xs[1000] < 125, `lognormal median ${xs[1000]}`);
  assert.ok(xs[2000] <= 400);
  const a = makeRng(7);
  const b = makeRng(7);
  assert.deepEqual([a(), a(), a()], [b(), b(), b()]);
  assert.throws(() => parseDist('uniform:5:1'), /max < min/);
  assert.throws(() => parseDist('gamma:1'), /bad delay distribution/);
  assert.equal(normaliseImage('nginx'), 'docker.io/library/nginx:latest');
  assert.equal(normaliseImage('gcr.io/x/y:1'), 'gcr.io/x/y:1');
  assert.equal(normaliseImage('me/app'), 'docker.io/me/app:latest');
});

test('pod goes Pending -> Running+Ready with a status shaped like the real one', async () => {
  const sim = makeSim({nodes: 1, pullDelay: 'fixed:40', startDelay: 'fixed:40'});
  try {
    const seen = [];
    sim.store.on('event', (type, res, o) => {
      if (res === 'pods' && o.metadata.name === 'web') seen.push(`${type}:${o.status.phase}:${o.spec.nodeName ? 'bound' : '-'}`);
    });
    const t0 = Date.now();
    sim.store.create('pods', 'default', pod('web', {containers: [{name: 'nginx', image: 'nginx',
      resources: {limits: {cpu: '500m', memory: '128Mi'}, requests: {cpu: '500m', memory: '128Mi'}}}]}));
    const p = await waitFor(sim.store, 'web ready', () => (isReady(get(sim, 'web')) ? get(sim, 'web') : null));
    assert.ok(Date.now() - t0 >= 75, 'pull + start delays were honoured');
    const s = p.status;
    assert.deepEqual(s.conditions.map((c) => `${c.type}=${c.status}`),
                     ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
    for (const c of s.conditions) {
      assert.equal(c.lastProbeTime, null);
      assert.match(c.lastTransitionTime, /Z$/);
    }
    assert.equal(s.qosClass, 'Guaranteed');
    assert.match(s.podIP, /^10\.\d+\.\d+\.\d+$/);
    assert.deepEqual(s.podIPs, [{ip: s.podIP}]);
    assert.match(s.hostIP, /^10\.128\./);
    assert.deepEqual(s.hostIPs, [{ip: s.hostIP}]);
    assert.ok(s.startTime);
    const cs = s.containerStatuses[0];
    assert.deepEqual(Object.keys(cs), ['containerID', 'image', 'imageID', 'lastState', 'name', 'ready', 'restartCount', 'started', 'state']);
    assert.match(cs.containerID, /^containerd:\/\/[0-9a-f]{64}$/);
    assert.equal(cs.image, 'docker.io/library/nginx:latest');
    assert.match(cs.imageID, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    assert.deepEqual(cs.lastState, {});
    assert.equal(cs.ready, true);
    assert.equal(cs.restartCount, 0);
    assert.equal(cs.started, true);
    assert.ok(cs.state.running.startedAt);
    // Seen in order: created, bound, accepted (Pending), sandbox, Running.
    assert.deepEqual(seen.slice(0, 2), ['ADDED:Pending:-', 'MODIFIED:Pending:bound']);
    assert.ok(seen.includes('MODIFIED:Running:bound'));
    const ev = sim.store.list('events', 'default', {}).items.map((e) => e.reason);
    for (const r of ['Scheduled', 'Pulling', 'Created', 'Started']) assert.ok(ev.includes(r), `event ${r}`);
  } finally {
    sim.close();
  }
});

test('pod IPs are unique', async () => {
  const sim = makeSim({nodes: 2});
  try {
    for (let i = 0; i < 20; i++) sim.store.create('pods', 'default', pod(`ip-${i}`));
    await waitFor(sim.store, '20 ready pods', () => sim.store.list('pods', 'default', {}).items.filter(isReady).length === 20);
    const ips = sim.store.list('pods', 'default', {}).items.map((p) => p.status.podIP);
    assert.equal(new Set(ips).size, 20);
    sim.store.create('pods', 'default', pod('host', {hostNetwork: true}));
    const h = await waitFor(sim.store, 'host ready', () => (isReady(get(sim, 'host')) ? get(sim, 'host') : null));
    assert.equal(h.status.podIP, h.status.hostIP, 'hostNetwork pods use the node IP');
  } finally {
    sim.close();
  }
});

test('readinessProbe: Running first, Ready later; unready and ready faults', async () => {
  const sim = makeSim({nodes: 1, readyDelay: 'fixed:60'});
  try {
    sim.store.create('pods', 'default', pod('probed', {containers: [{name: 'app', image: 'nginx',
      readinessProbe: {httpGet: {path: '/', port: 80}, initialDelaySeconds: 2}}]}));
    const running = await waitFor(sim.store, 'probed running', () => {
      const p = get(sim, 'probed');
      return p.status.phase === 'Running' ? p : null;
    });
    assert.equal(condition(running, 'Ready').status, 'False');
    assert.equal(condition(running, 'Ready').reason, 'ContainersNotReady');
    assert.equal(condition(running, 'Ready').message, 'containers with unready status: [app]');
    assert.equal(running.status.containerStatuses[0].ready, false);
    await waitFor(sim.store, 'probed ready', () => isReady(get(sim, 'probed')));
    assert.equal(sim.sim.kubelet.setReady('default', 'probed', false), null);
    const un = get(sim, 'probed');
    assert.equal(condition(un, 'Ready').status, 'False');
    assert.equal(condition(un, 'ContainersReady').status, 'False');
    assert.equal(un.status.containerStatuses[0].ready, false);
    assert.equal(un.status.phase, 'Running');
    assert.equal(sim.sim.kubelet.setReady('default', 'probed', true), null);
    assert.ok(isReady(get(sim, 'probed')));
    assert.equal(sim.sim.kubelet.setReady('default', 'nope', true).code, 404);
  } finally {
    sim.close();
  }
});

test('crash with restartPolicy Always restarts with restartCount+1; Never fails the pod', async () => {
  const sim = makeSim({nodes: 1, timeScale: 0.005});
  try {
    sim.store.create('pods', 'default', pod('always'));
    sim.store.create('pods', 'default', pod('never', {restartPolicy: 'Never'}));
    await waitFor(sim.store, 'both ready', () => isReady(get(sim, 'always')) && isReady(get(sim, 'never')));
    assert.equal(sim.sim.kubelet.crash('default', 'always', {exitCode: 137}), null);
    const crashed = get(sim, 'always');
    assert.equal(condition(crashed, 'Ready').status, 'False');
    assert.equal(crashed.status.containerStatuses[0].state.terminated.exitCode, 137, 'first failure: shown terminated');
    assert.equal(crashed.status.phase, 'Running');
    const back = await waitFor(sim.store, 'always restarted', () => {
      const p = get(sim, 'always');
      return isReady(p) && p.status.containerStatuses[0].restartCount === 1 ? p : null;
    });
    assert.equal(back.status.containerStatuses[0].lastState.terminated.reason, 'Error');
    assert.equal(back.status.containerStatuses[0].lastState.terminated.exitCode, 137);
    // The second failure waits in CrashLoopBackOff for 10 s x timeScale.
    const t0 = Date.now();
    assert.equal(sim.sim.kubelet.crash('default', 'always', {}), null);
    const loop = get(sim, 'always').status.containerStatuses[0];
    assert.equal(loop.state.waiting.reason, 'CrashLoopBackOff');
    assert.match(loop.state.waiting.message, /^back-off 10s restarting failed container=app pod=always_default\(/);
    assert.equal(loop.lastState.terminated.exitCode, 1);
    await waitFor(sim.store, 'second restart', () => get(sim, 'always').status.containerStatuses[0].restartCount === 2);
    assert.ok(Date.now() - t0 >= 45, 'back-off honoured');
    assert.equal(sim.sim.kubelet.crash('default', 'never', {}), null);
    const failed = get(sim, 'never');
    assert.equal(failed.status.phase, 'Failed');
    assert.equal(condition(failed, 'Ready').reason, 'PodFailed');
    assert.equal(failed.status.containerStatuses[0].state.terminated.exitCode, 1);
    assert.equal(sim.sim.kubelet.crash('default', 'never', {}).code, 409, 'nothing left to crash');
  } finally {
    sim.close();
  }
});

test('graceful deletion: removed after grace x timeScale, terminal status first', async () => {
  const sim = makeSim({nodes: 1, timeScale: 0.01});
  try {
    sim.store.create('pods', 'default', pod('bye', {terminationGracePeriodSeconds: 10}));
    await waitFor(sim.store, 'bye ready', () => isReady(get(sim, 'bye')));
    const types = [];
    sim.store.on('event', (type, res, o) => {
      if (res === 'pods' && o.metadata.name === 'bye') types.push(`${type}:${o.status.phase}`);
    });
    const t0 = Date.now();
    sim.store.update('pods', 'default', 'bye', (p) => {
      p.metadata.deletionTimestamp = new Date(Date.now() + 10000).toISOString();
      p.metadata.deletionGracePeriodSeconds = 10;
      return p;
    });
    await waitFor(sim.store, 'bye removed', () => get(sim, 'bye') === null);
    const took = Date.now() - t0;
    assert.ok(took >= 95, `took ${took} ms for a 10 s grace at 0.01`); // not before the grace period
    assert.deepEqual(types, ['MODIFIED:Running', 'MODIFIED:Succeeded', 'DELETED:Succeeded']);
    // A pod whose containers never started goes at once, with no terminal status.
    const early = [];
    sim.store.on('event', (type, res, o) => {
      if (res === 'pods' && o.metadata.name === 'early') early.push(`${type}:${o.status.phase}`);
    });
    sim.store.create('pods', 'default', pod('early', {nodeName: 'ghost'}));
    sim.store.update('pods', 'default', 'early', (p) => {
      p.spec.nodeName = 'sim-node-1';
      p.metadata.deletionTimestamp = new Date().toISOString();
      p.metadata.deletionGracePeriodSeconds = 30;
      return p;
    });
    await waitFor(sim.store, 'early removed', () => get(sim, 'early') === null);
    assert.deepEqual(early, ['ADDED:Pending', 'MODIFIED:Pending', 'DELETED:Pending']);
  } finally {
    sim.close();
  }
});

test('lost node: NotReady + taints, pods Ready=False, evicted, Terminating until restore', async () => {
  const sim = makeSim({nodes: 1, timeScale: 0.01});
  try {
    sim.store.create('pods', 'default', pod('tol', {tolerations: [
      {key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 20}]}));
    sim.store.create('pods', 'default', pod('forever', {tolerations: [{operator: 'Exists'}]}));
    await waitFor(sim.store, 'ready', () => isReady(get(sim, 'tol')) && isReady(get(sim, 'forever')));
    const t0 = Date.now();
    assert.equal(sim.sim.kubelet.loseNode('sim-node-1', {}), null);
    const node = sim.store.get('nodes', null, 'sim-node-1');
    const ready = node.status.conditions.find((c) => c.type === 'Ready');
    assert.equal(ready.status, 'Unknown');
    assert.equal(ready.reason, 'NodeStatusUnknown');
    assert.deepEqual(node.spec.taints.map((t) => `${t.key}:${t.effect}`),
                     ['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
    assert.equal(condition(get(sim, 'tol'), 'Ready').status, 'False');
    const ev = await waitFor(sim.store, 'tol evicted', () => get(sim, 'tol').metadata.deletionTimestamp && get(sim, 'tol'));
    assert.ok(Date.now() - t0 >= 190, 'evicted after tolerationSeconds 20 x 0.01');
    assert.equal(condition(ev, 'DisruptionTarget').reason, 'DeletionByTaintManager');
    assert.equal(get(sim, 'forever').metadata.deletionTimestamp, undefined, 'tolerates forever');
    // New pods do not land on the lost node.
    sim.store.create('pods', 'default', pod('new'));
    const c = await waitFor(sim.store, 'new unschedulable', () => {
      const x = condition(get(sim, 'new'), 'PodScheduled');
      return x && x.status === 'False' ? x : null;
    });
    assert.match(c.message, /untolerated taint \{node.kubernetes.io\/unreachable: \}/);
    assert.equal(sim.sim.kubelet.restoreNode('sim-node-1'), null);
    await waitFor(sim.store, 'evicted pod removed after restore', () => get(sim, 'tol') === null);
    await waitFor(sim.store, 'forever ready again and new running', () => isReady(get(sim, 'forever')) && isReady(get(sim, 'new')));
  } finally {
    sim.close();
  }
});

test('lost node with gcAfterMs and node deletion force-delete the pods', async () => {
  const sim = makeSim({nodes: 2, timeScale: 0.01});
  try {
    sim.store.create('pods', 'default', pod('a', {nodeSelector: {'kubernetes.io/hostname': 'sim-node-1'}}));
    sim.store.create('pods', 'default', pod('b', {nodeSelector: {'kubernetes.io/hostname': 'sim-node-2'}}));
    await waitFor(sim.store, 'ready', () => isReady(get(sim, 'a')) && isReady(get(sim, 'b')));
    sim.sim.kubelet.loseNode('sim-node-1', {evictAfterMs: 0, gcAfterMs: 50});
    await waitFor(sim.store, 'a gone', () => get(sim, 'a') === null);
    assert.equal(sim.sim.kubelet.deleteNode('sim-node-2'), null);
    assert.equal(get(sim, 'b'), null);
    assert.equal(sim.store.get('nodes', null, 'sim-node-2'), null);
    assert.equal(sim.sim.kubelet.deleteNode('sim-node-2').code, 404);
  } finally {
    sim.close();
  }
});

test('node leases in kube-node-lease are renewed, except by a lost node', async () => {
  const sim = makeSim({nodes: 2, nodeLeaseRenewMs: 20});
  try {
    const lease = (n) => sim.store.get('leases', 'kube-node-lease', n);
    const l1 = lease('sim-node-1');
    assert.equal(l1.spec.holderIdentity, 'sim-node-1');
    assert.equal(l1.spec.leaseDurationSeconds, 40);
    assert.match(l1.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(l1.metadata.ownerReferences[0].kind, 'Node');
    await waitFor(sim.store, 'a renewal', () => lease('sim-node-1').metadata.resourceVersion !== l1.metadata.resourceVersion);
    sim.sim.kubelet.loseNode('sim-node-1', {evictAfterMs: 100000});
    const renewals = {'sim-node-1': 0, 'sim-node-2': 0};
    sim.store.on('event', (type, res, o) => {
      if (res === 'leases' && type === 'MODIFIED') renewals[o.metadata.name]++;
    });
    await waitFor(sim.store, 'three renewals of sim-node-2', () => renewals['sim-node-2'] >= 3);
    assert.equal(renewals['sim-node-1'], 0);
    sim.sim.kubelet.deleteNode('sim-node-2');
    assert.equal(lease('sim-node-2'), null);
  } finally {
    sim.close();
  }
});

test('pods bound to a node that appears later are started by its kubelet', async () => {
  const sim = makeSim({nodes: 1});
  try {
    sim.store.create('pods', 'default', pod('early-bird', {nodeName: 'late-node'}));
    sim.store.create('pods', 'default', pod('marker'));
    await waitFor(sim.store, 'marker ready', () => isReady(get(sim, 'marker')));
    assert.equal(get(sim, 'early-bird').status.phase, 'Pending');
    assert.equal(get(sim, 'early-bird').status.startTime, undefined, 'no kubelet owns late-node yet');
    sim.sim.scheduler.addNode({name: 'late-node'});
    const p = await waitFor(sim.store, 'early-bird ready', () => (isReady(get(sim, 'early-bird')) ? get(sim, 'early-bird') : null));
    assert.equal(condition(p, 'PodScheduled').status, 'True');
  } finally {
    sim.close();
  }
});

test('images that fail to pull: ErrImagePull, ImagePullBackOff, then Running once fixed', async () => {
  const sim = makeSim({nodes: 1, failImages: 'registry.example/bad:1', timeScale: 0.002});
  try {
    sim.store.create('pods', 'default', pod('img', {containers: [{name: 'app', image: 'registry.example/bad:1'}]}));
    const first = await waitFor(sim.store, 'ErrImagePull', () => {
      const cs = (get(sim, 'img').status.containerStatuses || [])[0];
      return cs && cs.state.waiting && cs.state.waiting.reason === 'ErrImagePull' ? cs : null;
    });
    assert.match(first.state.waiting.message, /registry\.example\/bad:1: not found/);
    await waitFor(sim.store, 'ImagePullBackOff', () => {
      const cs = get(sim, 'img').status.containerStatuses[0];
      return cs.state.waiting && cs.state.waiting.reason === 'ImagePullBackOff';
    });
    const p = get(sim, 'img');
    assert.equal(p.status.phase, 'Pending');
    assert.equal(condition(p, 'Ready').status, 'False');
    sim.sim.kubelet.configure({failImages: []}, false);
    await waitFor(sim.store, 'img ready after the fix', () => isReady(get(sim, 'img')));
    assert.deepEqual(sim.sim.kubelet.config().failImages, []);
  } finally {
    sim.close();
  }
});

test('readiness gates hold Ready until their condition is True', async () => {
  const sim = makeSim({nodes: 1});
  try {
    sim.store.create('pods', 'default', pod('gated', {readinessGates: [{conditionType: 'example.com/claimable'}]}));
    const running = await waitFor(sim.store, 'gated running', () => {
      const p = get(sim, 'gated');
      return p.status.phase === 'Running' && condition(p, 'ContainersReady').status === 'True' ? p : null;
    });
    assert.equal(condition(running, 'Ready').status, 'False');
    assert.equal(condition(running, 'Ready').reason, 'ReadinessGatesNotReady');
    assert.equal(condition(running, 'Ready').message, 'corresponding condition of pod readiness gate "example.com/claimable" does not exist.');
    const setGate = (status) => sim.store.update('pods', 'default', 'gated', (p) => {
      p.status.conditions = p.status.conditions.filter((c) => c.type !== 'example.com/claimable');
      p.status.conditions.push({type: 'example.com/claimable', status, lastProbeTime: null, lastTransitionTime: new Date().toISOString()});
      return p;
    });
    setGate('False');
    await waitFor(sim.store, 'gate False message', () =>
      condition(get(sim, 'gated'), 'Ready').message === 'the status of pod readiness gate "example.com/claimable" is not "True", but False');
    setGate('True');
    await waitFor(sim.store, 'gated ready', () => isReady(get(sim, 'gated')));
    setGate('False');
    await waitFor(sim.store, 'gated unready again', () => condition(get(sim, 'gated'), 'Ready').status === 'False');
  } finally {
    sim.close();
  }
});

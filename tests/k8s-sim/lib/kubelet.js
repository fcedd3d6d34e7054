'use strict';
// The simulated kubelets (one per Node in the store) and the node lifecycle
// controller.
//
// A pod bound to a live node walks the same status sequence a real kubelet
// posts (compare tests/fixtures/k8s/pods/pod-running-nginx.k8s-docs.yaml):
//   accepted  phase Pending, hostIP, startTime, containers waiting ContainerCreating,
//             PodReadyToStartContainers=False                      (at once)
//   sandbox   PodReadyToStartContainers=True, podIP/podIPs, init containers
//             Completed, Initialized=True                           (after "pull")
//   running   phase Running, containers running with containerID/imageID/startedAt;
//             Ready=True at once for containers without a readinessProbe  (after "start")
//   ready     Ready/ContainersReady=True for probed containers      (after "ready" +
//             initialDelaySeconds x timeScale)
// Delays are drawn from configurable distributions (fixed, uniform, lognormal)
// with a seedable RNG. Kubernetes durations in seconds (grace periods,
// tolerationSeconds, crash back-off, initialDelaySeconds) are multiplied by
// timeScale (default 0.01: a 30 s grace period lasts 300 ms).
//
// Deletion: a pod that gets metadata.deletionTimestamp is removed from the
// store (the kubelet's final grace-0 delete) after deletionGracePeriodSeconds x
// timeScale, after a last status update with its containers terminated; at
// once if no container ever started or the pod is already terminal. Pods with
// finalizers are only marked deletionGracePeriodSeconds=0.
//
// Faults (driven by control.js): crash a container (restart with back-off or
// Failed/Succeeded per restartPolicy), force readiness off/on, lose a node
// (node conditions Unknown, unreachable taints, pods Ready=False, then taint-
// based eviction after the pod's tolerationSeconds x timeScale; pods then stay
// Terminating until the node returns, unless gcAfterMs asks for the pod GC),
// restore a node, delete a node (its pods are force-deleted, as the pod GC does).
//
// Like the scheduler, the kubelet reacts on the next turn of the event loop,
// never inside the store's emit. State per pod lives in this.pods (keyed
// "ns/name", reset when the uid changes); timers are owned by that state and
// cleared on every transition. Reached by other modules as ctx.sim.kubelet.

const crypto = require('crypto');
const sched = require('./scheduler.js');

const {setCondition, tryUpdate, now} = sched;

// ---- random delays ----------------------------------------------------------

// mulberry32: small, fast, seedable; good enough for test timing jitter.
function makeRng(seed) {
  let a = (Number(seed) >>> 0) || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Parses a delay distribution: a number (fixed ms), "fixed:MS", "uniform:MIN:MAX",
// "lognormal:MEDIAN:SIGMA[:MAX]" or the object forms {type:'fixed', ms},
// {type:'uniform', min, max}, {type:'lognormal', median, sigma, max}.
function parseDist(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return {type: 'fixed', ms: v};
  if (typeof v === 'object') return checkDist({...v});
  const p = String(v).split(':');
  if (p.length === 1 && p[0] !== '' && Number.isFinite(Number(p[0]))) return {type: 'fixed', ms: Number(p[0])};
  if (p[0] === 'fixed') return checkDist({type: 'fixed', ms: Number(p[1])});
  if (p[0] === 'uniform') return checkDist({type: 'uniform', min: Number(p[1]), max: Number(p[2])});
  if (p[0] === 'lognormal') {
    return checkDist({type: 'lognormal', median: Number(p[1]), sigma: Number(p[2]),
                      max: p[3] === undefined ? undefined : Number(p[3])});
  }
  throw new Error(`bad delay distribution "${v}" (want fixed:MS, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA[:MAX])`);
}

function checkDist(d) {
  const nums = {fixed: ['ms'], uniform: ['min', 'max'], lognormal: ['median', 'sigma']}[d.type];
  if (!nums) throw new Error(`bad delay distribution type "${d.type}"`);
  for (const k of nums) {
    if (!Number.isFinite(Number(d[k])) || Number(d[k]) < 0) throw new Error(`delay ${d.type}: "${k}" must be a number >= 0`);
    d[k] = Number(d[k]);
  }
  if (d.type === 'uniform' && d.max < d.min) throw new Error('delay uniform: max < min');
  return d;
}

function sample(d, rng) {
  switch (d.type) {
  case 'fixed': return d.ms;
  case 'uniform': return d.min + (d.max - d.min) * rng();
  case 'lognormal': {
    const u1 = Math.max(rng(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng());
    const v = d.median * Math.exp(d.sigma * z);
    return d.max !== undefined ? Math.min(v, d.max) : v;
  }
  default: return 0;
  }
}

const DEFAULT_DELAYS = {pull: 'uniform:20:80', start: 'uniform:10:50', ready: 'uniform:20:70'};

// ---- status helpers ---------------------------------------------------------

function sha(s) {
  return crypto.createHash('sha256').update(s).digest('hex');
}

// "nginx" -> "docker.io/library/nginx:latest", as containerd reports images.
function normaliseImage(image) {
  let img = String(image || '');
  const first = img.split('/')[0];
  if (!img.includes('/')) img = `docker.io/library/${img}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') img = `docker.io/${img}`;
  const last = img.slice(img.lastIndexOf('/') + 1);
  if (!last.includes(':') && !last.includes('@')) img += ':latest';
  return img;
}

function imageID(image) {
  const n = normaliseImage(image);
  const repo = n.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
  return `${repo}@sha256:${sha(n)}`;
}

function qosClass(pod) {
  const cs = [...(pod.spec.containers || []), ...(pod.spec.initContainers || [])];
  let any = false;
  let guaranteed = true;
  for (const c of cs) {
    const r = (c.resources && c.resources.requests) || {};
    const l = (c.resources && c.resources.limits) || {};
    if (Object.keys(r).length || Object.keys(l).length) any = true;
    for (const res of ['cpu', 'memory']) {
      if (l[res] === undefined) guaranteed = false;
      else if (r[res] !== undefined && sched.amount(res, r[res]) !== sched.amount(res, l[res])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function hasProbe(c) {
  return Boolean(c.readinessProbe);
}

function cond(type, status, reason, message) {
  const c = {type, status, lastProbeTime: null, lastTransitionTime: now()};
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

// Ready/ContainersReady from the container statuses, as the kubelet computes them.
function setReadiness(status, forcedUnready) {
  const cs = status.containerStatuses || [];
  const phase = status.phase;
  let c;
  if (phase === 'Succeeded') c = ['False', 'PodCompleted'];
  else if (phase === 'Failed') c = ['False', 'PodFailed'];
  else {
    const unready = cs.filter((s) => !s.ready).map((s) => s.name);
    c = unready.length ? ['False', 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`]
      : ['True'];
  }
  if (forcedUnready && c[0] === 'True') c = ['False', 'ContainersNotReady', 'readiness probe failed'];
  setCondition(status, cond('Ready', c[0], c[1], c[2]));
  setCondition(status, cond('ContainersReady', c[0], c[1], c[2]));
}

// Readiness gates: Ready also needs every spec.readinessGates condition (set by
// another controller through pods/status) to be "True"; ContainersReady does not.
function applyGates(pod) {
  const gates = (pod.spec && pod.spec.readinessGates) || [];
  const s = pod.status;
  const ready = (s.conditions || []).find((c) => c.type === 'Ready');
  if (!gates.length || !ready || ready.status !== 'True') return;
  for (const g of gates) {
    const c = (s.conditions || []).find((x) => x.type === g.conditionType);
    if (c && c.status === 'True') continue;
    const message = c ? `the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`
      : `corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`;
    setCondition(s, cond('Ready', 'False', 'ReadinessGatesNotReady', message));
    return;
  }
}

// Keeps the real condition order: PodReadyToStartContainers, Initialized,
// Ready, ContainersReady, PodScheduled, then anything else.
const ORDER = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
function sortConditions(status) {
  const rank = (c) => (ORDER.includes(c.type) ? ORDER.indexOf(c.type) : ORDER.length);
  status.conditions.sort((a, b) => rank(a) - rank(b));
}

function waiting(c, reason, message) {
  const w = {reason};
  if (message) w.message = message;
  return {image: c.image, imageID: '', lastState: {}, name: c.name, ready: false, restartCount: 0,
          started: false, state: {waiting: w}};
}

// ---- the kubelet ------------------------------------------------------------

function opt(options, camel, dashed) {
  if (!options) return undefined;
  return options[camel] !== undefined ? options[camel] : options[dashed];
}

class Kubelet {
  constructor(ctx) {
    this.ctx = ctx;
    this.store = ctx.store;
    this.pods = new Map(); // "ns/name" -> {uid, stage, timer, forcedUnready, terminating}
    this.queue = new Set();
    this.pending = false;
    this.lost = new Map(); // node name -> {timers: [], gcAfterMs}
    this.ipAlloc = new Map(); // node name -> next host number
    this.stats = {started: 0, ready: 0, removed: 0, crashed: 0, evicted: 0};
    this.configure(ctx.options || {}, true);
  }

  // cfg: {pull, start, ready: distributions; seed; timeScale; events}. Unknown
  // keys are ignored; bad values throw (control.js turns that into a 400).
  configure(cfg, initial) {
    const d = {};
    for (const k of ['pull', 'start', 'ready']) {
      const v = opt(cfg, `${k}Delay`, `${k}-delay`) !== undefined ? opt(cfg, `${k}Delay`, `${k}-delay`) : cfg[k];
      const parsed = parseDist(v);
      if (parsed) d[k] = parsed;
      else if (initial) d[k] = parseDist(DEFAULT_DELAYS[k]);
    }
    const ts = opt(cfg, 'timeScale', 'time-scale');
    if (ts !== undefined && !(Number(ts) >= 0)) throw new Error('timeScale must be a number >= 0');
    const seed = opt(cfg, 'seed', 'seed');
    this.delays = {...(this.delays || {}), ...d};
    if (initial || ts !== undefined) this.timeScale = ts === undefined ? 0.01 : Number(ts);
    if (initial || seed !== undefined) this.rng = makeRng(seed === undefined ? 1 : seed);
    const fi = opt(cfg, 'failImages', 'fail-images');
    if (initial || fi !== undefined) {
      const list = fi === undefined || fi === null || fi === '' ? [] : Array.isArray(fi) ? fi : String(fi).split(',');
      if (!list.every((x) => typeof x === 'string' && x)) throw new Error('"failImages" must be a list of image names');
      this.failImages = new Set(list);
    }
    const ev = opt(cfg, 'kubeletEvents', 'kubelet-events');
    if (initial || ev !== undefined) this.emitEvents = ev !== false && ev !== 'false';
  }

  config() {
    return {pull: this.delays.pull, start: this.delays.start, ready: this.delays.ready,
            timeScale: this.timeScale, kubeletEvents: this.emitEvents, failImages: [...this.failImages]};
  }

  scaled(seconds) {
    return Math.max(0, Number(seconds) * 1000 * this.timeScale);
  }

  delay(kind) {
    return Math.max(0, sample(this.delays[kind], this.rng));
  }

  start() {
    this.listener = (type, resource, obj) => this.onEvent(type, resource, obj);
    this.store.on('event', this.listener);
    for (const pod of this.store.list('pods', null, {raw: true}).items) this.enqueue(pod);
    for (const node of this.store.list('nodes', null, {raw: true}).items) this.ensureLease(node);
    const every = Number(opt(this.ctx.options, 'nodeLeaseRenewMs', 'node-lease-renew-ms') || 10000);
    this.leaseTimer = setInterval(() => this.renewLeases(), every);
    this.leaseTimer.unref();
  }

  // Each kubelet holds a Lease named after its node in kube-node-lease and
  // renews it every 10 s (nodeLeaseRenewMs); a lost node stops renewing.
  ensureLease(node) {
    const name = node.metadata.name;
    if (this.store.get('leases', 'kube-node-lease', name)) return;
    try {
      this.store.create('leases', 'kube-node-lease', {
        metadata: {name, namespace: 'kube-node-lease',
                   ownerReferences: [{apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid}]},
        spec: {holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime()},
      });
    } catch (e) {
      if (!(e && typeof e.code === 'number')) throw e; // namespace missing: no lease, as without the feature
    }
  }

  renewLeases() {
    for (const node of this.store.list('nodes', null, {raw: true}).items) {
      const name = node.metadata.name;
      if (this.lost.has(name)) continue;
      tryUpdate(this.store, 'leases', 'kube-node-lease', name, (l) => {
        l.spec.renewTime = microTime();
        return l;
      });
    }
  }

  stop() {
    if (this.listener) this.store.removeListener('event', this.listener);
    this.listener = null;
    for (const st of this.pods.values()) clearTimeout(st.timer);
    for (const l of this.lost.values()) l.timers.forEach(clearTimeout);
    clearInterval(this.leaseTimer);
    this.pods.clear();
  }

  onEvent(type, resource, obj) {
    if (resource === 'pods') this.enqueue(obj);
    else if (resource === 'nodes' && type === 'ADDED') {
      // A new node's kubelet starts the pods already bound to its name.
      setImmediate(() => {
        if (!this.listener) return;
        this.ensureLease(obj);
        for (const pod of this.podsOn(obj.metadata.name)) this.enqueue(pod);
      });
    }
  }

  enqueue(pod) {
    this.queue.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      const keys = [...this.queue];
      this.queue.clear();
      if (this.listener) for (const k of keys) this.sync(k);
    });
  }

  getPod(k) {
    const i = k.indexOf('/');
    return this.store.get('pods', k.slice(0, i), k.slice(i + 1));
  }

  nodeLive(name) {
    return Boolean(name) && !this.lost.has(name) && Boolean(this.store.get('nodes', null, name));
  }

  // Reconciles one pod with the kubelet's view of it.
  sync(k) {
    const pod = this.getPod(k);
    let st = this.pods.get(k);
    if (!pod) {
      if (st) clearTimeout(st.timer);
      this.pods.delete(k);
      return;
    }
    if (st && st.uid !== pod.metadata.uid) {
      clearTimeout(st.timer);
      this.pods.delete(k);
      st = null;
    }
    if (!this.nodeLive(pod.spec && pod.spec.nodeName)) return;
    if (!st) {
      st = {uid: pod.metadata.uid, stage: 'new', timer: null, forcedUnready: false, terminating: false, restarts: 0};
      this.pods.set(k, st);
    }
    if (pod.metadata.deletionTimestamp) return this.beginTermination(k, pod, st);
    if (st.stage === 'new' && !isTerminal(pod)) this.accept(k, pod, st);
    // A readiness-gate condition written by someone else changes Ready (no write when it does not).
    else if ((st.stage === 'running' || st.stage === 'ready') && (pod.spec.readinessGates || []).length) {
      this.update(k, st, (p) => {
        setReadiness(p.status, st.forcedUnready);
        return p;
      });
    }
  }

  // Schedules fn after ms, replacing the pod's pending step.
  after(st, ms, fn) {
    clearTimeout(st.timer);
    st.timer = setTimeout(() => {
      st.timer = null;
      if (this.listener) fn();
    }, ms);
  }

  update(k, st, mutate) {
    const i = k.indexOf('/');
    return tryUpdate(this.store, 'pods', k.slice(0, i), k.slice(i + 1), (p) => {
      if (p.metadata.uid !== st.uid || !this.nodeLive(p.spec.nodeName)) return null;
      p.status = p.status || {};
      const out = mutate(p);
      if (!out) return null;
      applyGates(p);
      sortConditions(p.status);
      return p;
    });
  }

  hostIP(nodeName) {
    const node = this.store.get('nodes', null, nodeName);
    const a = node && node.status && (node.status.addresses || []).find((x) => x.type === 'InternalIP');
    return a ? a.address : '10.128.0.1';
  }

  // Pod IPs come from the node's podCIDR (10.A.0.0/16 or 10.A.B.0/24), never reused
  // while the simulator runs; nodes without a CIDR share 10.250.0.0/16.
  allocIP(nodeName) {
    const node = this.store.get('nodes', null, nodeName);
    const cidr = (node && node.spec && node.spec.podCIDR) || '10.250.0.0/16';
    const m = /^(\d+)\.(\d+)\.(\d+)\.\d+\/(\d+)$/.exec(cidr) || [null, '10', '250', '0', '16'];
    const n = (this.ipAlloc.get(cidr) || 0) + 1;
    this.ipAlloc.set(cidr, n);
    if (Number(m[4]) >= 24) return `${m[1]}.${m[2]}.${m[3]}.${((n - 1) % 253) + 2}`;
    const block = Math.floor((n - 1) / 254);
    return `${m[1]}.${m[2]}.${block & 255}.${((n - 1) % 254) + 1}`;
  }

  accept(k, pod, st) {
    st.stage = 'accepted';
    const hostIP = this.hostIP(pod.spec.nodeName);
    const done = this.update(k, st, (p) => {
      const s = p.status;
      const inits = p.spec.initContainers || [];
      s.phase = 'Pending';
      setCondition(s, cond('PodReadyToStartContainers', 'False'));
      setCondition(s, inits.length
        ? cond('Initialized', 'False', 'ContainersNotInitialized', `containers with incomplete status: [${inits.map((c) => c.name).join(' ')}]`)
        : cond('Initialized', 'True'));
      s.containerStatuses = (p.spec.containers || []).map((c) => waiting(c, inits.length ? 'PodInitializing' : 'ContainerCreating'));
      if (inits.length) s.initContainerStatuses = inits.map((c) => waiting(c, 'PodInitializing'));
      setReadiness(s, false);
      setCondition(s, cond('PodScheduled', 'True'));
      s.hostIP = hostIP;
      s.hostIPs = [{ip: hostIP}];
      s.startTime = s.startTime || now();
      s.qosClass = s.qosClass || qosClass(p);
      return p;
    });
    if (!done) return;
    this.after(st, this.delay('pull'), () => this.sandbox(k, st));
  }

  sandbox(k, st) {
    st.stage = 'sandbox';
    const pod = this.getPod(k);
    if (!pod) return;
    const ip = pod.spec.hostNetwork ? this.hostIP(pod.spec.nodeName) : this.allocIP(pod.spec.nodeName);
    const done = this.update(k, st, (p) => {
      const s = p.status;
      setCondition(s, cond('PodReadyToStartContainers', 'True'));
      s.podIP = ip;
      s.podIPs = [{ip}];
      if ((p.spec.initContainers || []).length) {
        const t = now();
        s.initContainerStatuses = p.spec.initContainers.map((c) => ({
          containerID: `containerd://${sha(`${st.uid}/${c.name}/init`)}`, image: normaliseImage(c.image),
          imageID: imageID(c.image), lastState: {}, name: c.name, ready: true, restartCount: 0, started: false,
          state: {terminated: {containerID: `containerd://${sha(`${st.uid}/${c.name}/init`)}`, exitCode: 0,
                               finishedAt: t, reason: 'Completed', startedAt: t}},
        }));
        setCondition(s, cond('Initialized', 'True'));
        s.containerStatuses = (p.spec.containers || []).map((c) => waiting(c, 'ContainerCreating'));
      }
      return p;
    });
    if (!done) return;
    st.pullStart = Date.now();
    for (const c of pod.spec.containers || []) this.event(pod, 'Normal', 'Pulling', `Pulling image "${c.image}"`, c.name);
    this.after(st, this.delay('start'), () => this.pull(k, st, 0));
  }

  // Images listed in failImages do not pull: ErrImagePull, then
  // ImagePullBackOff with the kubelet's back-off (10 s doubling to 300 s x
  // timeScale), retried until the image is removed from the list.
  pull(k, st, attempt) {
    st.stage = 'pulling';
    const pod = this.getPod(k);
    if (!pod) return;
    const bad = (pod.spec.containers || []).filter((c) => this.imageFails(c.image));
    if (bad.length === 0) return this.run(k, st);
    const backoff = Math.min(10 * 2 ** attempt, 300);
    this.update(k, st, (p) => {
      p.status.containerStatuses = (p.spec.containers || []).map((c) => {
        if (!this.imageFails(c.image)) return waiting(c, 'ContainerCreating');
        const n = normaliseImage(c.image);
        return attempt === 0
          ? waiting(c, 'ErrImagePull', `failed to pull and unpack image "${n}": failed to resolve reference "${n}": ${n}: not found`)
          : waiting(c, 'ImagePullBackOff', `Back-off pulling image "${c.image}"`);
      });
      return p;
    });
    for (const c of bad) {
      if (attempt === 0) {
        this.event(pod, 'Warning', 'Failed', `Failed to pull image "${c.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${normaliseImage(c.image)}"`);
        this.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
      } else {
        this.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
      }
    }
    this.after(st, this.scaled(backoff), () => this.pull(k, st, attempt + 1));
  }

  imageFails(image) {
    return this.failImages.has(String(image)) || this.failImages.has(normaliseImage(image));
  }

  runningStatus(c, st, restartCount, lastState) {
    const id = `containerd://${sha(`${st.uid}/${c.name}/${restartCount}`)}`;
    return {containerID: id, image: normaliseImage(c.image), imageID: imageID(c.image), lastState: lastState || {},
            name: c.name, ready: !hasProbe(c) && !st.forcedUnready, restartCount, started: true,
            state: {running: {startedAt: now()}}};
  }

  run(k, st) {
    st.stage = 'running';
    const pod = this.getPod(k);
    if (!pod) return;
    const done = this.update(k, st, (p) => {
      const s = p.status;
      s.phase = 'Running';
      s.containerStatuses = (p.spec.containers || []).map((c) => this.runningStatus(c, st, 0));
      setReadiness(s, st.forcedUnready);
      return p;
    });
    if (!done) return;
    this.stats.started++;
    for (const c of pod.spec.containers || []) {
      const tag = normaliseImage(c.image).split('/').pop();
      const always = c.imagePullPolicy ? c.imagePullPolicy === 'Always' : /:latest$/.test(tag) && !tag.includes('@');
      const secs = ((Date.now() - st.pullStart) / 1000).toFixed(3);
      this.event(pod, 'Normal', 'Pulled', always
        ? `Successfully pulled image "${c.image}" in ${secs}s (${secs}s including waiting). Image size: 0 bytes.`
        : `Container image "${c.image}" already present on machine`, c.name);
      this.event(pod, 'Normal', 'Created', `Created container: ${c.name}`, c.name);
      this.event(pod, 'Normal', 'Started', `Started container ${c.name}`, c.name);
    }
    this.scheduleReady(k, st, pod);
  }

  scheduleReady(k, st, pod) {
    const probed = (pod.spec.containers || []).filter(hasProbe);
    if (probed.length === 0) {
      if (!st.forcedUnready) this.stats.ready++;
      st.stage = 'ready';
      return;
    }
    const initial = Math.max(...probed.map((c) => Number(c.readinessProbe.initialDelaySeconds) || 0));
    this.after(st, this.delay('ready') + this.scaled(initial), () => this.markReady(k, st));
  }

  markReady(k, st) {
    st.stage = 'ready';
    const done = this.update(k, st, (p) => {
      const s = p.status;
      if (s.phase !== 'Running') return null;
      for (const cs of s.containerStatuses || []) if (cs.state && cs.state.running) cs.ready = !st.forcedUnready;
      setReadiness(s, st.forcedUnready);
      return p;
    });
    if (done && !st.forcedUnready) this.stats.ready++;
  }

  // ---- deletion ---------------------------------------------------------------

  // Also called again when a second DELETE shortens the grace period.
  beginTermination(k, pod, st) {
    const started = (pod.status && pod.status.containerStatuses || []).some((c) => c.state && c.state.running);
    const grace = Number(pod.metadata.deletionGracePeriodSeconds);
    const ms = !started || isTerminal(pod) ? 0 : this.scaled(Number.isFinite(grace) ? grace : 30);
    const deadline = Date.now() + ms;
    if (st.terminating && deadline >= st.deadline) return;
    if (!st.terminating && started) {
      for (const c of pod.spec.containers || []) this.event(pod, 'Normal', 'Killing', `Stopping container ${c.name}`, c.name);
    }
    st.terminating = true;
    st.deadline = deadline;
    this.after(st, ms, () => this.finishTermination(k, st, started && !isTerminal(pod)));
  }

  finishTermination(k, st, postStatus) {
    if (postStatus) {
      this.update(k, st, (p) => {
        const s = p.status;
        const t = now();
        s.containerStatuses = (s.containerStatuses || []).map((cs) => {
          const r = cs.state && cs.state.running;
          if (!r) return cs;
          return {...cs, ready: false, started: false,
                  state: {terminated: {containerID: cs.containerID, exitCode: 0, finishedAt: t, reason: 'Completed',
                                       startedAt: r.startedAt}}};
        });
        s.phase = 'Succeeded';
        setCondition(s, cond('PodReadyToStartContainers', 'False'));
        setReadiness(s, false);
        return p;
      });
    }
    this.forceDelete(k, st.uid);
  }

  // The kubelet's final delete with grace 0 (or the pod GC's force delete).
  forceDelete(k, uid) {
    const pod = this.getPod(k);
    if (!pod || pod.metadata.uid !== uid) return;
    if ((pod.metadata.finalizers || []).length) {
      tryUpdate(this.store, 'pods', pod.metadata.namespace, pod.metadata.name, (p) => {
        if (p.metadata.uid !== uid) return null;
        p.metadata.deletionGracePeriodSeconds = 0;
        return p;
      });
      return;
    }
    try {
      this.store.remove('pods', pod.metadata.namespace, pod.metadata.name);
      this.stats.removed++;
    } catch (e) {
      if (!(e && typeof e.code === 'number')) throw e;
    }
  }

  // ---- faults -----------------------------------------------------------------

  // Returns {code, message} on refusal, else null. opts: {container, exitCode, reason}.
  crash(ns, name, opts) {
    opts = opts || {};
    const k = `${ns}/${name}`;
    const pod = this.getPod(k);
    const st = this.pods.get(k);
    if (!pod) return {code: 404, message: `pods "${name}" not found`};
    if (!st || st.uid !== pod.metadata.uid || !this.nodeLive(pod.spec.nodeName) || st.terminating) {
      return {code: 409, message: `pod ${k} is not running on a live simulated node`};
    }
    const statuses = (pod.status && pod.status.containerStatuses) || [];
    const target = opts.container || (statuses.find((c) => c.state && c.state.running) || {}).name;
    const cs = statuses.find((c) => c.name === target);
    if (!cs || !(cs.state && cs.state.running)) return {code: 409, message: `container "${target}" of pod ${k} is not running`};
    const exitCode = opts.exitCode === undefined ? 1 : Number(opts.exitCode);
    if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) return {code: 400, message: '"exitCode" must be an integer in [0, 255]'};
    const policy = pod.spec.restartPolicy || 'Always';
    const restart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
    const t = now();
    const terminated = {containerID: cs.containerID, exitCode, finishedAt: t,
                        reason: opts.reason || (exitCode === 0 ? 'Completed' : 'Error'), startedAt: cs.state.running.startedAt};
    const backoff = cs.restartCount === 0 ? 0 : Math.min(10 * 2 ** (cs.restartCount - 1), 300);
    clearTimeout(st.timer);
    this.stats.crashed++;
    this.update(k, st, (p) => {
      const s = p.status;
      s.containerStatuses = s.containerStatuses.map((c) => {
        if (c.name !== target) return c;
        if (!restart) return {...c, ready: false, started: false, state: {terminated}};
        // The first failure is restarted at once (the status shows it
        // terminated); later ones wait in CrashLoopBackOff, 10 s doubling to 5 min.
        if (backoff === 0) return {...c, ready: false, started: false, state: {terminated}};
        const msg = `back-off ${backoff}s restarting failed container=${c.name} pod=${p.metadata.name}_${p.metadata.namespace}(${p.metadata.uid})`;
        return {...c, ready: false, started: false, lastState: {terminated},
                state: {waiting: {reason: 'CrashLoopBackOff', message: msg}}};
      });
      if (!restart && s.containerStatuses.every((c) => c.state && c.state.terminated)) {
        s.phase = s.containerStatuses.some((c) => c.state.terminated.exitCode !== 0) ? 'Failed' : 'Succeeded';
        setCondition(s, cond('PodReadyToStartContainers', 'False'));
      }
      setReadiness(s, st.forcedUnready);
      return p;
    });
    if (restart && backoff > 0) {
      this.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${target} in pod ${name}_${ns}(${pod.metadata.uid})`);
    }
    if (restart) {
      st.stage = 'restarting';
      st.restart = {name: target, terminated};
      this.after(st, backoff ? this.scaled(backoff) : this.delay('start'), () => this.restartContainer(k, st, target, terminated));
    } else {
      st.stage = 'terminated';
    }
    return null;
  }

  restartContainer(k, st, name, terminated) {
    const pod = this.getPod(k);
    if (!pod) return;
    const spec = (pod.spec.containers || []).find((c) => c.name === name);
    const done = this.update(k, st, (p) => {
      const s = p.status;
      s.containerStatuses = s.containerStatuses.map((c) =>
        (c.name === name ? this.runningStatus(spec, st, c.restartCount + 1, {terminated}) : c));
      setReadiness(s, st.forcedUnready);
      return p;
    });
    if (!done) return;
    st.stage = 'running';
    if (hasProbe(spec)) this.scheduleReady(k, st, {spec: {containers: [spec]}});
    else st.stage = 'ready';
  }

  setReady(ns, name, ready) {
    const k = `${ns}/${name}`;
    const pod = this.getPod(k);
    const st = this.pods.get(k);
    if (!pod) return {code: 404, message: `pods "${name}" not found`};
    if (!st || st.uid !== pod.metadata.uid || !this.nodeLive(pod.spec.nodeName)) {
      return {code: 409, message: `pod ${k} is not on a live simulated node`};
    }
    st.forcedUnready = !ready;
    const probed = (pod.spec.containers || []).some(hasProbe);
    // A readiness flip of a probed pod still waiting for its first probe only
    // changes the flag; markReady will honour it.
    if (ready && probed && st.stage !== 'ready') return null;
    this.update(k, st, (p) => {
      const s = p.status;
      for (const cs of s.containerStatuses || []) if (cs.state && cs.state.running) cs.ready = ready;
      setReadiness(s, st.forcedUnready);
      return p;
    });
    return null;
  }

  // ---- node lifecycle -----------------------------------------------------------

  podsOn(nodeName) {
    return this.store.list('pods', null, {raw: true}).items.filter((p) => p.spec && p.spec.nodeName === nodeName);
  }

  // opts: {evictAfterMs (overrides tolerationSeconds), gcAfterMs (force-delete the
  // node's pods afterwards; default never, as with a real partitioned node)}.
  loseNode(name, opts) {
    opts = opts || {};
    for (const k of ['evictAfterMs', 'gcAfterMs']) {
      if (opts[k] !== undefined && opts[k] !== null && !(Number(opts[k]) >= 0)) return {code: 400, message: `"${k}" must be a number >= 0`};
    }
    if (!this.store.get('nodes', null, name)) return {code: 404, message: `nodes "${name}" not found`};
    if (this.lost.has(name)) return {code: 409, message: `node ${name} is already lost`};
    const lost = {timers: []};
    this.lost.set(name, lost);
    const t = now();
    tryUpdate(this.store, 'nodes', null, name, (n) => {
      n.status.conditions = (n.status.conditions || []).map((c) => ({...c, status: 'Unknown', reason: 'NodeStatusUnknown',
                                                                      message: 'Kubelet stopped posting node status.', lastTransitionTime: t}));
      n.spec.taints = (n.spec.taints || []).filter((x) => x.key !== 'node.kubernetes.io/unreachable');
      n.spec.taints.push({key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: t},
                         {key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: t});
      return n;
    });
    for (const pod of this.podsOn(name)) {
      const st = this.pods.get(`${pod.metadata.namespace}/${pod.metadata.name}`);
      if (st) clearTimeout(st.timer);
      this.markNotReady(pod);
      const ms = this.evictionDelay(pod, opts);
      if (ms !== null) lost.timers.push(setTimeout(() => this.evict(pod), ms));
    }
    if (opts.gcAfterMs !== undefined && opts.gcAfterMs !== null) {
      lost.timers.push(setTimeout(() => {
        for (const pod of this.podsOn(name)) this.forceDelete(`${pod.metadata.namespace}/${pod.metadata.name}`, pod.metadata.uid);
      }, Number(opts.gcAfterMs)));
    }
    return null;
  }

  markNotReady(pod) {
    tryUpdate(this.store, 'pods', pod.metadata.namespace, pod.metadata.name, (p) => {
      if (p.metadata.uid !== pod.metadata.uid || !p.status) return null;
      const c = (p.status.conditions || []).find((x) => x.type === 'Ready');
      if (!c || c.status === 'False') return null;
      c.status = 'False';
      c.lastTransitionTime = now();
      return p;
    });
  }

  // ms until the taint manager evicts the pod, or null if it tolerates forever.
  evictionDelay(pod, opts) {
    if (opts.evictAfterMs !== undefined && opts.evictAfterMs !== null) return Number(opts.evictAfterMs);
    const taint = {key: 'node.kubernetes.io/unreachable', effect: 'NoExecute'};
    const tols = ((pod.spec && pod.spec.tolerations) || []).filter((t) => sched.tolerates(t, taint));
    if (tols.length === 0) return 0;
    const secs = tols.map((t) => (t.tolerationSeconds === undefined || t.tolerationSeconds === null ? Infinity : Number(t.tolerationSeconds)));
    const min = Math.min(...secs);
    return min === Infinity ? null : this.scaled(Math.max(0, min));
  }

  evict(pod) {
    const done = tryUpdate(this.store, 'pods', pod.metadata.namespace, pod.metadata.name, (p) => {
      if (p.metadata.uid !== pod.metadata.uid || p.metadata.deletionTimestamp) return null;
      const grace = Number.isFinite(Number(p.spec.terminationGracePeriodSeconds)) ? Number(p.spec.terminationGracePeriodSeconds) : 30;
      p.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      p.metadata.deletionGracePeriodSeconds = grace;
      p.status = p.status || {};
      setCondition(p.status, cond('DisruptionTarget', 'True', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint'));
      return p;
    });
    if (done) {
      this.stats.evicted++;
      recordEventSafe(this.store, pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`, 'taint-eviction-controller');
    }
  }

  restoreNode(name) {
    const lost = this.lost.get(name);
    if (!lost) return {code: 409, message: `node ${name} is not lost`};
    lost.timers.forEach(clearTimeout);
    this.lost.delete(name);
    const t = now();
    tryUpdate(this.store, 'nodes', null, name, (n) => {
      n.status.conditions = sched.nodeConditions(t, true);
      n.spec.taints = (n.spec.taints || []).filter((x) => x.key !== 'node.kubernetes.io/unreachable');
      if (n.spec.taints.length === 0) delete n.spec.taints;
      return n;
    });
    // The kubelet is back: it finishes deletions and re-posts the status of its pods.
    for (const pod of this.podsOn(name)) this.resume(pod);
    return null;
  }

  resume(pod) {
    const k = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const st = this.pods.get(k);
    if (!st || st.uid !== pod.metadata.uid) return this.enqueue(pod);
    if (pod.metadata.deletionTimestamp) {
      st.terminating = false;
      return this.beginTermination(k, pod, st);
    }
    const repost = () => this.update(k, st, (p) => {
      setReadiness(p.status, st.forcedUnready);
      return p;
    });
    const next = {
      new: () => this.enqueue(pod),
      accepted: () => this.accept(k, pod, st),
      sandbox: () => this.sandbox(k, st),
      pulling: () => this.pull(k, st, 0),
      running: () => {
        repost();
        this.scheduleReady(k, st, pod);
      },
      ready: repost,
      restarting: () => this.restartContainer(k, st, st.restart.name, st.restart.terminated),
      terminated: repost,
    }[st.stage];
    if (next) next();
  }

  // Deletes the Node object; the pod GC then force-deletes its pods.
  deleteNode(name) {
    if (!this.store.get('nodes', null, name)) return {code: 404, message: `nodes "${name}" not found`};
    const lost = this.lost.get(name);
    if (lost) lost.timers.forEach(clearTimeout);
    this.lost.delete(name);
    this.store.remove('nodes', null, name);
    try {
      this.store.remove('leases', 'kube-node-lease', name); // the garbage collector follows the ownerReference
    } catch (e) {
      if (!(e && typeof e.code === 'number')) throw e;
    }
    for (const pod of this.podsOn(name)) {
      const k = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const st = this.pods.get(k);
      if (st) clearTimeout(st.timer);
      this.forceDelete(k, pod.metadata.uid);
    }
    return null;
  }

  // container: the name for container events (involvedObject.fieldPath spec.containers{name}).
  event(pod, type, reason, message, container) {
    if (!this.emitEvents) return;
    sched.recordEvent(this.store, pod, type, reason, message, 'kubelet', pod.spec.nodeName,
                      container ? `spec.containers{${container}}` : undefined);
  }
}

function recordEventSafe(store, pod, type, reason, message, component) {
  sched.recordEvent(store, pod, type, reason, message, component);
}

// metav1.MicroTime: RFC 3339 with 6 fractional digits.
function microTime() {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function isTerminal(pod) {
  const p = pod.status && pod.status.phase;
  return p === 'Succeeded' || p === 'Failed';
}

function attach(ctx) {
  const k = new Kubelet(ctx);
  ctx.sim = ctx.sim || {};
  ctx.sim.kubelet = k;
  k.start();
  return k;
}

// Called by sim.js on shutdown: stops timers and listeners.
function detach(ctx) {
  if (ctx.sim && ctx.sim.kubelet) ctx.sim.kubelet.stop();
}

module.exports = {attach, detach, Kubelet, makeRng, parseDist, sample, normaliseImage, imageID, qosClass};

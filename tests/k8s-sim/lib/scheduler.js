'use strict';
// Simulated nodes and the default scheduler.
//
// attach(ctx) creates the simulated Node objects described by ctx.options
// (count, labels, taints, capacity) and then binds every Pod that has no
// spec.nodeName and asks for the default scheduler. Filtering follows the real
// scheduler's plugin order per node (NodeUnschedulable, TaintToleration,
// NodeAffinity, NodeResourcesFit), stopping at the first plugin that rejects a
// node, and the failure message is built like kube-scheduler's FitError:
//   0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.
//   preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.
// A bound pod gets spec.nodeName and PodScheduled=True in one store update (the
// real binding subresource does the same); an unschedulable pod stays Pending
// with PodScheduled=False/Unschedulable and is retried whenever a node or a
// pod changes (capacity freed, node added, taint removed).
//
// The scheduler reacts to store events on the next turn of the event loop
// (setImmediate), never inside the store's emit, so watchers always see the
// triggering event before the scheduler's own writes. Ownership: the Node
// objects live in the store; this module keeps only the queue of pod keys and
// per-node flags (lost). Other modules reach it as ctx.sim.scheduler.

const DEFAULT_NODE_CAPACITY = {cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi'};

// ---- quantities -------------------------------------------------------------

const BINARY = {Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60};
const DECIMAL = {n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18};

// Parses a resource.Quantity string ("500m", "128Mi", "1e3", 2) into a number
// of base units. Returns NaN for malformed input.
function parseQuantity(q) {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return NaN;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(q.trim());
  if (!m) return NaN;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] || '';
  return base * (BINARY[suffix] || DECIMAL[suffix]);
}

// Milli-units for cpu, whole units for everything else.
function amount(resource, q) {
  const v = parseQuantity(q);
  if (!Number.isFinite(v)) return 0;
  return resource === 'cpu' ? Math.ceil(v * 1000 - 1e-9) : Math.ceil(v - 1e-9);
}

function containerRequest(c, resource) {
  const r = (c.resources && c.resources.requests) || {};
  const l = (c.resources && c.resources.limits) || {};
  if (r[resource] !== undefined) return amount(resource, r[resource]);
  if (l[resource] !== undefined) return amount(resource, l[resource]);
  return 0;
}

// Effective pod request: sum over containers, at least the largest init
// container, plus overhead (as the scheduler's NodeResourcesFit computes it).
function podRequests(pod) {
  const spec = pod.spec || {};
  const out = {};
  for (const res of ['cpu', 'memory']) {
    let sum = 0;
    for (const c of spec.containers || []) sum += containerRequest(c, res);
    for (const c of spec.initContainers || []) sum = Math.max(sum, containerRequest(c, res));
    if (spec.overhead && spec.overhead[res] !== undefined) sum += amount(res, spec.overhead[res]);
    out[res] = sum;
  }
  return out;
}

// ---- matching ---------------------------------------------------------------

function tolerates(tol, taint) {
  if (tol.effect && tol.effect !== taint.effect) return false;
  const op = tol.operator || 'Equal';
  if (!tol.key) return op === 'Exists';
  if (tol.key !== taint.key) return false;
  if (op === 'Exists') return true;
  return (tol.value || '') === (taint.value || '');
}

function untoleratedTaint(pod, node, effects) {
  const tols = (pod.spec && pod.spec.tolerations) || [];
  for (const t of (node.spec && node.spec.taints) || []) {
    if (!effects.includes(t.effect)) continue;
    if (!tols.some((tol) => tolerates(tol, t))) return t;
  }
  return null;
}

function matchExpression(labels, e) {
  const has = Object.prototype.hasOwnProperty.call(labels, e.key);
  const v = labels[e.key];
  const values = e.values || [];
  switch (e.operator) {
  case 'In': return has && values.includes(v);
  case 'NotIn': return !has || !values.includes(v);
  case 'Exists': return has;
  case 'DoesNotExist': return !has;
  case 'Gt': return has && Number(v) > Number(values[0]);
  case 'Lt': return has && Number(v) < Number(values[0]);
  default: return false;
  }
}

function matchFields(node, e) {
  return matchExpression({'metadata.name': node.metadata.name}, e);
}

function matchesAffinity(pod, node) {
  const labels = node.metadata.labels || {};
  const sel = (pod.spec && pod.spec.nodeSelector) || {};
  for (const k of Object.keys(sel)) if (labels[k] !== sel[k]) return false;
  const aff = pod.spec && pod.spec.affinity && pod.spec.affinity.nodeAffinity;
  const req = aff && aff.requiredDuringSchedulingIgnoredDuringExecution;
  if (!req || !Array.isArray(req.nodeSelectorTerms) || req.nodeSelectorTerms.length === 0) return true;
  // Terms are ORed; expressions inside a term are ANDed.
  return req.nodeSelectorTerms.some((term) =>
    (term.matchExpressions || []).every((e) => matchExpression(labels, e)) &&
    (term.matchFields || []).every((e) => matchFields(node, e)) &&
    ((term.matchExpressions || []).length + (term.matchFields || []).length > 0));
}

// ---- the scheduler ----------------------------------------------------------

function isTerminal(pod) {
  const p = pod.status && pod.status.phase;
  return p === 'Succeeded' || p === 'Failed';
}

function wantsScheduling(pod) {
  const spec = pod.spec || {};
  if (spec.nodeName) return false;
  if (pod.metadata.deletionTimestamp) return false;
  if (isTerminal(pod)) return false;
  return !spec.schedulerName || spec.schedulerName === 'default-scheduler';
}

function now() {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

// Options accepted (camelCase or the CLI spelling sim.js passes through):
//   nodes: N (default 3); nodeLabels: {k: v} or "k=v,k2=v2";
//   nodeTaints: [{key, value, effect}] or "k=v:NoSchedule,...";
//   nodeCapacity: {cpu, memory, pods} or "cpu=4,memory=16Gi,pods=110";
//   nodePrefix: "sim-node-"; schedulerEvents: true.
function parseKv(v) {
  if (!v) return {};
  if (typeof v === 'object') return {...v};
  const out = {};
  for (const part of String(v).split(',')) {
    if (!part) continue;
    const i = part.indexOf('=');
    if (i < 0) out[part] = '';
    else out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

function parseTaints(v) {
  if (!v) return [];
  if (Array.isArray(v)) return v.map((t) => ({...t}));
  return String(v).split(',').filter(Boolean).map((s) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(s);
    if (!m) throw new Error(`bad taint "${s}" (want key[=value]:Effect)`);
    const t = {key: m[1], effect: m[3]};
    if (m[2]) t.value = m[2];
    return t;
  });
}

function opt(options, camel, dashed) {
  if (!options) return undefined;
  if (options[camel] !== undefined) return options[camel];
  return options[dashed];
}

class Scheduler {
  constructor(ctx) {
    this.ctx = ctx;
    this.store = ctx.store;
    this.queue = new Set(); // "ns/name" of pods waiting for a decision
    this.unschedulable = new Set(); // "ns/name" of pods that fitted nowhere at their last try
    this.pending = false;
    this.nodeSeq = 1; // sim-node-1, sim-node-2, ... as sim.js names nodes
    const ev = opt(ctx.options, 'schedulerEvents', 'scheduler-events');
    this.emitEvents = ev !== false && ev !== 'false';
    this.stats = {bound: 0, unschedulable: 0, attempts: 0};
  }

  start() {
    const o = this.ctx.options || {};
    const n = Number(opt(o, 'nodes', 'nodes') === undefined ? 3 : opt(o, 'nodes', 'nodes'));
    const template = {
      labels: parseKv(opt(o, 'nodeLabels', 'node-labels')),
      taints: parseTaints(opt(o, 'nodeTaints', 'node-taints')),
      capacity: parseKv(opt(o, 'nodeCapacity', 'node-capacity')),
    };
    this.prefix = opt(o, 'nodePrefix', 'node-prefix') || 'sim-node-';
    for (let i = 0; i < n; i++) this.addNode(template);
    this.listener = (type, resource, obj) => this.onEvent(type, resource, obj);
    this.store.on('event', this.listener);
    for (const pod of this.store.list('pods', null, {raw: true}).items) this.enqueue(pod);
    // Events expire like the apiserver's --event-ttl (1 h there; 5 min here,
    // so long simulations with pod churn keep a bounded store).
    this.eventTTL = Number(opt(o, 'eventTtlMs', 'event-ttl-ms') || 300000);
    this.gcTimer = setInterval(() => this.expireEvents(), Math.min(this.eventTTL / 2, 10000));
    this.gcTimer.unref();
  }

  stop() {
    if (this.listener) this.store.removeListener('event', this.listener);
    this.listener = null;
    clearInterval(this.gcTimer);
  }

  expireEvents() {
    const cutoff = Date.now() - this.eventTTL;
    for (const e of this.store.list('events', null, {raw: true}).items) {
      const t = Date.parse(e.lastTimestamp || e.metadata.creationTimestamp);
      if (!(t < cutoff)) continue;
      try {
        this.store.remove('events', e.metadata.namespace, e.metadata.name);
      } catch (err) {
        if (!(err && typeof err.code === 'number')) throw err;
      }
    }
  }

  // Creates one Node; spec: {name, labels, taints, capacity, unschedulable}.
  addNode(spec) {
    spec = spec || {};
    const index = this.nodeSeq++;
    const name = spec.name || `${this.prefix}${index}`;
    if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
      throw new Error(`bad node name ${JSON.stringify(name)} (a lowercase RFC 1123 subdomain)`);
    }
    const capacity = {...DEFAULT_NODE_CAPACITY};
    for (const [k, v] of Object.entries(parseKv(spec.capacity))) capacity[k] = String(v);
    const ts = now();
    const hostIP = `10.128.${(index >> 8) & 255}.${(index & 255) + 2}`;
    const node = {
      apiVersion: 'v1', kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux',
          'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux',
          ...parseKv(spec.labels),
        },
        annotations: {'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true'},
      },
      spec: {podCIDR: `10.${64 + (index % 192)}.0.0/16`, podCIDRs: [`10.${64 + (index % 192)}.0.0/16`],
             providerID: `sim://${name}`},
      status: {
        capacity, allocatable: {...capacity},
        conditions: nodeConditions(ts, true),
        addresses: [{type: 'InternalIP', address: hostIP}, {type: 'Hostname', address: name}],
        daemonEndpoints: {kubeletEndpoint: {Port: 10250}},
        nodeInfo: {
          architecture: 'amd64', bootID: '', containerRuntimeVersion: 'containerd://1.7.0',
          kernelVersion: '6.1.0', kubeProxyVersion: 'v1.33.1', kubeletVersion: 'v1.33.1',
          machineID: '', operatingSystem: 'linux', osImage: 'prewarm simulated node', systemUUID: '',
        },
      },
    };
    const taints = parseTaints(spec.taints);
    if (taints.length) node.spec.taints = taints;
    if (spec.unschedulable) node.spec.unschedulable = true;
    return this.store.create('nodes', null, node);
  }

  simNodes() {
    return this.store.list('nodes', null, {raw: true}).items;
  }

  onEvent(type, resource, obj) {
    if (resource === 'nodes') {
      this.requeueAll();
    } else if (resource === 'pods') {
      if (type === 'DELETED') this.unschedulable.delete(key(obj));
      if (type === 'DELETED' || (obj.spec && obj.spec.nodeName && isTerminal(obj))) this.requeueAll();
      else if (wantsScheduling(obj)) this.enqueue(obj);
    }
  }

  enqueue(pod) {
    if (!wantsScheduling(pod)) return;
    this.queue.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
    this.kick();
  }

  // Capacity or nodes changed: every pod that failed to fit gets another try.
  requeueAll() {
    for (const k of this.unschedulable) this.queue.add(k);
    this.kick();
  }

  kick() {
    if (this.pending || this.queue.size === 0) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      this.runQueue();
    });
  }

  runQueue() {
    const keys = [...this.queue];
    this.queue.clear();
    if (!this.listener) return;
    const nodes = this.simNodes();
    const usage = this.usage();
    for (const k of keys) {
      const i = k.indexOf('/');
      const pod = this.store.get('pods', k.slice(0, i), k.slice(i + 1));
      if (!pod || !wantsScheduling(pod)) {
        this.unschedulable.delete(k); // gone, bound by someone else, or deleted
        continue;
      }
      this.scheduleOne(pod, nodes, usage);
    }
  }

  // Resources used per node by the pods bound to it that still hold them.
  usage() {
    const u = new Map();
    for (const pod of this.store.list('pods', null, {raw: true}).items) {
      const n = pod.spec && pod.spec.nodeName;
      if (!n || isTerminal(pod)) continue;
      const r = podRequests(pod);
      const cur = u.get(n) || {cpu: 0, memory: 0, pods: 0};
      cur.cpu += r.cpu;
      cur.memory += r.memory;
      cur.pods += 1;
      u.set(n, cur);
    }
    return u;
  }

  // Returns [] when the node fits, otherwise the reasons (and whether
  // preemption could help) as the scheduler's plugins report them.
  filter(pod, node, used, req) {
    if (node.spec && node.spec.unschedulable) {
      const tol = {key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule'};
      if (!((pod.spec && pod.spec.tolerations) || []).some((t) => tolerates(t, tol))) {
        return {reasons: ['node(s) were unschedulable'], resolvable: false};
      }
    }
    const taint = untoleratedTaint(pod, node, ['NoSchedule', 'NoExecute']);
    if (taint) return {reasons: [`node(s) had untolerated taint {${taint.key}: ${taint.value || ''}}`], resolvable: false};
    if (!matchesAffinity(pod, node)) return {reasons: ["node(s) didn't match Pod's node affinity/selector"], resolvable: false};
    const alloc = (node.status && node.status.allocatable) || {};
    const u = used || {cpu: 0, memory: 0, pods: 0};
    const reasons = [];
    if (u.pods + 1 > amount('pods', alloc.pods === undefined ? '110' : alloc.pods)) reasons.push('Too many pods');
    if (req.cpu > 0 && u.cpu + req.cpu > amount('cpu', alloc.cpu || '0')) reasons.push('Insufficient cpu');
    if (req.memory > 0 && u.memory + req.memory > amount('memory', alloc.memory || '0')) reasons.push('Insufficient memory');
    return reasons.length ? {reasons, resolvable: true} : null;
  }

  scheduleOne(pod, nodes, usage) {
    this.stats.attempts++;
    const req = podRequests(pod);
    const fits = [];
    const histogram = new Map();
    const preempt = new Map();
    for (const node of nodes) {
      const f = this.filter(pod, node, usage.get(node.metadata.name), req);
      if (!f) {
        fits.push(node);
        continue;
      }
      for (const r of f.reasons) histogram.set(r, (histogram.get(r) || 0) + 1);
      const p = f.resolvable ? 'No preemption victims found for incoming pod' : 'Preemption is not helpful for scheduling';
      preempt.set(p, (preempt.get(p) || 0) + 1);
    }
    if (fits.length === 0) return this.markUnschedulable(pod, fitError(nodes.length, histogram, preempt));
    // Least-allocated scoring, ties broken by name: spreads pods like the
    // default NodeResourcesFit score does.
    const score = (n) => {
      const u = usage.get(n.metadata.name) || {cpu: 0, memory: 0, pods: 0};
      const a = n.status.allocatable;
      const c = amount('cpu', a.cpu || '1') || 1;
      const m = amount('memory', a.memory || '1') || 1;
      return (u.cpu + req.cpu) / c + (u.memory + req.memory) / m + u.pods / 1000;
    };
    fits.sort((a, b) => score(a) - score(b) || (a.metadata.name < b.metadata.name ? -1 : 1));
    const node = fits[0];
    this.bind(pod, node.metadata.name);
    const u = usage.get(node.metadata.name) || {cpu: 0, memory: 0, pods: 0};
    u.cpu += req.cpu;
    u.memory += req.memory;
    u.pods += 1;
    usage.set(node.metadata.name, u);
  }

  bind(pod, nodeName) {
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name;
    // A pod that vanished or changed under us is skipped: its next event requeues it.
    const bound = tryUpdate(this.store, 'pods', ns, name, (p) => {
      if (p.metadata.uid !== pod.metadata.uid || !wantsScheduling(p)) return null;
      p.spec.nodeName = nodeName;
      p.status = p.status || {};
      setCondition(p.status, {type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now()});
      return p;
    });
    if (!bound) return;
    this.stats.bound++;
    this.unschedulable.delete(key(pod));
    this.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${nodeName}`);
  }

  markUnschedulable(pod, message) {
    this.stats.unschedulable++;
    this.unschedulable.add(key(pod));
    const cond = (pod.status && pod.status.conditions || []).find((c) => c.type === 'PodScheduled');
    if (cond && cond.status === 'False' && cond.message === message) return;
    const done = tryUpdate(this.store, 'pods', pod.metadata.namespace, pod.metadata.name, (p) => {
      if (p.metadata.uid !== pod.metadata.uid || !wantsScheduling(p)) return null;
      p.status = p.status || {};
      if (!p.status.phase) p.status.phase = 'Pending';
      setCondition(p.status, {type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: now(),
                              reason: 'Unschedulable', message});
      return p;
    });
    if (!done) return;
    this.event(pod, 'Warning', 'FailedScheduling', message);
  }

  event(pod, type, reason, message) {
    if (this.emitEvents) recordEvent(this.store, pod, type, reason, message, 'default-scheduler');
  }
}

const SKIP = new Error('update skipped');

// store.update with a mutate that may decline (return null) and a target that
// may have vanished. Returns the updated object, or null when nothing was written.
function tryUpdate(store, resource, ns, name, mutate) {
  try {
    return store.update(resource, ns, name, (copy) => {
      const out = mutate(copy);
      if (!out) throw SKIP;
      return out;
    });
  } catch (e) {
    if (e === SKIP || (e && typeof e.code === 'number')) return null; // ApiError: gone or refused
    throw e;
  }
}

function fitError(numNodes, histogram, preempt) {
  if (numNodes === 0) return 'no nodes available to schedule pods';
  const hist = (m) => [...m.entries()].map(([k, v]) => `${v} ${k}`).sort().join(', ');
  return `0/${numNodes} nodes are available: ${hist(histogram)}. ` +
    `preemption: 0/${numNodes} nodes are available: ${hist(preempt)}.`;
}

function key(pod) {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

// Replaces the condition of the same type; keeps lastTransitionTime when the
// status did not change (as the kubelet and scheduler do).
function setCondition(status, cond) {
  status.conditions = status.conditions || [];
  const i = status.conditions.findIndex((c) => c.type === cond.type);
  if (i < 0) {
    status.conditions.push(cond);
    return;
  }
  const old = status.conditions[i];
  if (old.status === cond.status && old.lastTransitionTime) cond.lastTransitionTime = old.lastTransitionTime;
  status.conditions[i] = cond;
}

function nodeConditions(ts, ready) {
  const c = (type, status, reason, message) => ({type, status, lastHeartbeatTime: ts, lastTransitionTime: ts, reason, message});
  return [
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    ready ? c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
      : c('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'),
  ];
}

let eventSeq = 0;
// Records a core/v1 Event about a pod; failures (e.g. namespace gone) are ignored.
function recordEvent(store, pod, type, reason, message, component, host, fieldPath) {
  const ts = now();
  const suffix = (Date.now() * 1000 + (eventSeq++ % 1000)).toString(16).padStart(16, '0');
  const ev = {
    apiVersion: 'v1', kind: 'Event',
    metadata: {name: `${pod.metadata.name}.${suffix}`, namespace: pod.metadata.namespace},
    involvedObject: {kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name,
                     uid: pod.metadata.uid, apiVersion: 'v1', resourceVersion: pod.metadata.resourceVersion,
                     ...(fieldPath ? {fieldPath} : {})},
    reason, message, source: host ? {component, host} : {component},
    firstTimestamp: ts, lastTimestamp: ts, count: 1, type, eventTime: null,
    reportingComponent: component, reportingInstance: host || '',
  };
  try {
    store.create('events', pod.metadata.namespace, ev);
  } catch (e) {
    // best effort, like the real event recorder
  }
}

function attach(ctx) {
  const s = new Scheduler(ctx);
  ctx.sim = ctx.sim || {};
  ctx.sim.scheduler = s;
  s.start();
  return s;
}

// Called by sim.js on shutdown: stops timers and listeners.
function detach(ctx) {
  if (ctx.sim && ctx.sim.scheduler) ctx.sim.scheduler.stop();
}

module.exports = {attach, detach, Scheduler, parseQuantity, amount, podRequests, tolerates, untoleratedTaint,
                  matchesAffinity, setCondition, tryUpdate, nodeConditions, recordEvent, parseKv, parseTaints, now};

'use strict';
// Server-side printing (meta.k8s.io/v1 Table) for `kubectl get`, which asks
// with Accept: application/json;as=Table;v=v1;g=meta.k8s.io. Pods get the
// real columns (NAME READY STATUS RESTARTS AGE, wide: IP NODE ...), leases
// HOLDER, nodes STATUS, namespaces STATUS; everything else NAME + AGE. Rows
// carry the object as PartialObjectMetadata, like the default
// includeObject=Metadata. Callers: apiserver.js (get, list) and watch.js.

function wantsTable(req) {
  const a = req.headers.accept || '';
  return /as=Table/.test(a) && /g=meta\.k8s\.io/.test(a);
}

function supports() {
  return true;
}

// Go's duration.HumanDuration.
function human(ms) {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (h < 24 * 365 * 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

function age(obj) {
  const t = obj.metadata.creationTimestamp;
  return t ? human(Date.now() - Date.parse(t)) : '<unknown>';
}

const col = (name, type, description, priority = 0, format = '') => ({name, type, format, description, priority});
const NAME_COL = col('Name', 'string', 'Name must be unique within a namespace. Is required when creating resources, ' +
  'although some resources may allow a client to request the generation of an appropriate name automatically. Name ' +
  'is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: ' +
  'https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names', 0, 'name');
const AGE_COL = col('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this ' +
  'object was created.');

function podStatus(p) {
  const st = p.status || {};
  let reason = st.reason || st.phase || 'Unknown';
  let ready = 0;
  let restarts = 0;
  let lastRestart = 0;
  for (const c of st.containerStatuses || []) {
    restarts += c.restartCount || 0;
    const prev = c.lastState && c.lastState.terminated;
    if (c.restartCount && prev && prev.finishedAt) lastRestart = Math.max(lastRestart, Date.parse(prev.finishedAt) || 0);
    if (c.ready && c.state && c.state.running) ready++;
    if (c.state && c.state.waiting && c.state.waiting.reason) reason = c.state.waiting.reason;
    else if (c.state && c.state.terminated && c.state.terminated.reason) reason = c.state.terminated.reason;
  }
  if (p.metadata.deletionTimestamp) reason = st.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  // "2 (5s ago)" as the real printer shows restarts with a last termination time.
  if (lastRestart) restarts = `${restarts} (${human(Date.now() - lastRestart)} ago)`;
  return {reason, ready, restarts};
}

const KINDS = {
  pods: {
    columns: [NAME_COL, col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE_COL,
      col('IP', 'string', 'podIP is the IP address allocated to the pod.', 1),
      col('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
      col('Nominated Node', 'string', 'nominatedNodeName is set when this pod preempts other pods on the node.', 1),
      col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1)],
    cells(p) {
      const s = podStatus(p);
      const st = p.status || {};
      const gates = (p.spec.readinessGates || []);
      return [p.metadata.name, `${s.ready}/${(p.spec.containers || []).length}`, s.reason, String(s.restarts), age(p),
        st.podIP || '<none>', p.spec.nodeName || '<none>', st.nominatedNodeName || '<none>',
        gates.length ? `0/${gates.length}` : '<none>'];
    },
  },
  leases: {
    columns: [NAME_COL, col('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), AGE_COL],
    cells: (l) => [l.metadata.name, (l.spec && l.spec.holderIdentity) || '', age(l)],
  },
  namespaces: {
    columns: [NAME_COL, col('Status', 'string', 'The status of the namespace'), AGE_COL],
    cells: (n) => [n.metadata.name, (n.status && n.status.phase) || '', age(n)],
  },
  events: {
    columns: [col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
      col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future.'),
      col('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
      col('Object', 'string', 'The object that this event is about.'),
      col('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', 1),
      col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
      col('Message', 'string', 'A human-readable description of the status of this operation.'),
      col('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
      col('Count', 'string', 'The number of times this event has occurred.', 1),
      {...NAME_COL, priority: 1}],
    cells(e) {
      const since = (t) => (t ? human(Date.now() - Date.parse(t)) : '<unknown>');
      const first = since(e.firstTimestamp || e.eventTime);
      let last = e.lastTimestamp ? since(e.lastTimestamp) : first;
      let count = e.count || 1;
      if (e.series) { last = since(e.series.lastObservedTime); count = e.series.count; }
      const io = e.involvedObject || {};
      const kind = String(io.kind || '').toLowerCase();
      const src = e.source || {};
      const component = src.component || e.reportingComponent || '';
      const instance = src.host || e.reportingInstance || '';
      return [last, e.type || '', e.reason || '', io.name ? `${kind}/${io.name}` : kind, io.fieldPath || '',
        instance ? `${component}, ${instance}` : component, String(e.message || '').trim(), first, count, e.metadata.name];
    },
  },
  nodes: {
    columns: [NAME_COL, col('Status', 'string', 'The status of the node'), col('Roles', 'string', 'The roles of the node'),
      AGE_COL, col('Version', 'string', 'Kubelet Version reported by the node.')],
    cells(n) {
      const ready = ((n.status && n.status.conditions) || []).find((c) => c.type === 'Ready');
      let status = ready && ready.status === 'True' ? 'Ready' : 'NotReady';
      if (n.spec && n.spec.unschedulable) status += ',SchedulingDisabled';
      const roles = Object.keys(n.metadata.labels || {}).filter((k) => k.startsWith('node-role.kubernetes.io/'))
        .map((k) => k.slice('node-role.kubernetes.io/'.length)).join(',') || '<none>';
      const version = (n.status && n.status.nodeInfo && n.status.nodeInfo.kubeletVersion) || '';
      return [n.metadata.name, status, roles, age(n), version];
    },
  },
};

// Row objects per ?includeObject: Metadata (default), Object (kubectl
// --sort-by asks for it), None.
function rowObject(info, obj, include) {
  if (include === 'None') return undefined;
  if (include === 'Object') return {kind: info.kind, apiVersion: info.apiVersion, ...obj};
  return {kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata};
}

function render(info, items, listMeta, include) {
  const k = KINDS[info.resource] || {columns: [NAME_COL, AGE_COL], cells: (o) => [o.metadata.name, age(o)]};
  return {kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, columnDefinitions: k.columns,
    rows: items.map((o) => ({cells: k.cells(o), object: rowObject(info, o, include)}))};
}

module.exports = {wantsTable, supports, render, human};

'use strict';
// Server-side field validation (?fieldValidation=Ignore|Warn|Strict, Warn
// when absent, as on servers since 1.27): fields the API types do not have
// are dropped, reported in Warning headers (Warn) or refused with 400
// "strict decoding error: unknown field ..." (Strict).
//
// Only the levels whose field lists are known exactly are checked: the top
// level of every served kind, ObjectMeta, PodSpec, Container (containers,
// initContainers, ephemeralContainers) and LeaseSpec. Deeper objects and
// status are passed through untouched, so a field can be kept that a real
// server would drop, never the reverse. Lists follow k8s.io/api 1.33.

const META = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation',
  'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences',
  'finalizers', 'managedFields'];
const POD_SPEC = ['volumes', 'initContainers', 'containers', 'ephemeralContainers', 'restartPolicy',
  'terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'dnsPolicy', 'nodeSelector', 'serviceAccountName',
  'serviceAccount', 'automountServiceAccountToken', 'nodeName', 'hostNetwork', 'hostPID', 'hostIPC',
  'shareProcessNamespace', 'securityContext', 'imagePullSecrets', 'hostname', 'subdomain', 'affinity',
  'schedulerName', 'tolerations', 'hostAliases', 'priorityClassName', 'priority', 'dnsConfig', 'readinessGates',
  'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy', 'overhead', 'topologySpreadConstraints',
  'setHostnameAsFQDN', 'os', 'hostUsers', 'schedulingGates', 'resourceClaims', 'resources'];
const CONTAINER = ['name', 'image', 'command', 'args', 'workingDir', 'ports', 'envFrom', 'env', 'resources',
  'resizePolicy', 'restartPolicy', 'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe',
  'startupProbe', 'lifecycle', 'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy',
  'securityContext', 'stdin', 'stdinOnce', 'tty'];
const EPHEMERAL = [...CONTAINER, 'targetContainerName'];
const LEASE_SPEC = ['holderIdentity', 'leaseDurationSeconds', 'acquireTime', 'renewTime', 'leaseTransitions',
  'strategy', 'preferredHolder'];
const TOP = ['kind', 'apiVersion', 'metadata', 'spec', 'status'];
const EVENT = ['kind', 'apiVersion', 'metadata', 'involvedObject', 'reason', 'message', 'source', 'firstTimestamp',
  'lastTimestamp', 'count', 'type', 'eventTime', 'series', 'action', 'related', 'reportingComponent',
  'reportingInstance'];

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

const metaNode = {keys: META};
const containers = (keys) => ({keys, list: true});
const SCHEMAS = {
  pods: {keys: TOP, children: {metadata: metaNode, spec: {keys: POD_SPEC, children: {
    containers: containers(CONTAINER), initContainers: containers(CONTAINER), ephemeralContainers: containers(EPHEMERAL)}}}},
  leases: {keys: TOP, children: {metadata: metaNode, spec: {keys: LEASE_SPEC}}},
  events: {keys: EVENT, children: {metadata: metaNode}},
  namespaces: {keys: TOP, children: {metadata: metaNode}},
  nodes: {keys: TOP, children: {metadata: metaNode}},
};

// Walks in document order, so paths come out in the order a strict JSON
// decoder meets them.
function walk(obj, node, prefix, out) {
  if (!isObj(obj)) return;
  for (const k of Object.keys(obj)) {
    if (!node.keys.includes(k)) {
      out.push(prefix + k);
      delete obj[k];
      continue;
    }
    const child = node.children && node.children[k];
    if (!child) continue;
    if (child.list) {
      if (Array.isArray(obj[k])) obj[k].forEach((e, i) => walk(e, child, `${prefix}${k}[${i}].`, out));
    } else {
      walk(obj[k], child, `${prefix}${k}.`, out);
    }
  }
}

// Removes unknown fields from obj (a decoded body with kind/apiVersion) in
// place; returns their paths in document order.
function prune(resource, obj) {
  const out = [];
  const schema = SCHEMAS[resource];
  if (schema) walk(obj, schema, '', out);
  return out;
}

module.exports = {prune, POD_SPEC_FIELDS: POD_SPEC, CONTAINER_FIELDS: CONTAINER};

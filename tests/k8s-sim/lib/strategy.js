'use strict';
// Per-resource registry strategies: defaulting and validation on create,
// what a main-resource update may change, and what a /status update writes.
// Modelled on k/k pkg/registry/<resource>/strategy.go and
// pkg/apis/core/v1/defaults.go, reduced to the fields prewarm and kubectl
// touch. All functions work on plain objects without kind/apiVersion.

const {errors} = require('./status.js');
const {clone} = require('./store.js');
const {parseLabelSelector} = require('./selectors.js');

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// Field order of the Go types (k8s.io/api), shared with field validation.
const {POD_SPEC_FIELDS: POD_SPEC_ORDER, CONTAINER_FIELDS: CONTAINER_ORDER} = require('./fields.js');

function reorder(obj, order) {
  const out = {};
  for (const k of order) if (obj[k] !== undefined) out[k] = obj[k];
  for (const k of Object.keys(obj)) if (!(k in out)) out[k] = obj[k];
  return out;
}

function invalid(info, name, field, type, message) {
  return errors.invalid(info, name, [{type, field, message}]);
}

function subdomainMsg(v) {
  return `Invalid value: "${v}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric ` +
    `characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex ` +
    `used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
}

function labelMsg(v) {
  return `Invalid value: "${v}": a lowercase RFC 1123 label must consist of lower case alphanumeric ` +
    `characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', ` +
    `regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`;
}

function validateMeta(info, obj) {
  const m = obj.metadata;
  const name = m.name;
  if (name !== undefined && name !== '') {
    const label = info.resource === 'namespaces';
    const re = label ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
    if (!re.test(name) || name.length > (label ? 63 : 253)) {
      throw invalid(info, name, 'metadata.name', 'FieldValueInvalid', label ? labelMsg(name) : subdomainMsg(name));
    }
  }
  const annSize = Object.entries(m.annotations || {}).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
  if (annSize > 262144) {
    throw invalid(info, name, 'metadata.annotations', 'FieldValueTooLong', 'Too long: may not be more than 262144 bytes');
  }
  for (const [k, v] of Object.entries(m.labels || {})) {
    if (typeof v !== 'string') throw errors.badRequest(`json: cannot unmarshal ${typeof v} into Go struct field ObjectMeta.metadata.labels of type string`);
    try {
      parseLabelSelector(`${k}=${v}`);
    } catch (e) {
      throw invalid(info, name, `metadata.labels`, 'FieldValueInvalid', `Invalid value: "${v}": ${e.message}`);
    }
  }
}

function qosClass(spec) {
  const cs = [...(spec.containers || []), ...(spec.initContainers || [])];
  let any = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const r = c.resources || {};
    const req = r.requests || {};
    const lim = r.limits || {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const k of ['cpu', 'memory']) {
      if (lim[k] === undefined || (req[k] !== undefined && String(req[k]) !== String(lim[k]))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultContainer(c) {
  const image = c.image || '';
  const tag = image.includes('@') ? 'digest' : (image.split('/').pop().split(':')[1] || 'latest');
  if (c.resources === undefined) c.resources = {};
  if (c.resources.limits && !c.resources.requests) c.resources.requests = clone(c.resources.limits);
  if (c.terminationMessagePath === undefined) c.terminationMessagePath = '/dev/termination-log';
  if (c.terminationMessagePolicy === undefined) c.terminationMessagePolicy = 'File';
  if (c.imagePullPolicy === undefined) c.imagePullPolicy = tag === 'latest' ? 'Always' : 'IfNotPresent';
  for (const p of c.ports || []) if (p.protocol === undefined) p.protocol = 'TCP';
  return reorder(c, CONTAINER_ORDER);
}

function defaultPod(pod) {
  const s = pod.spec || (pod.spec = {});
  s.containers = (s.containers || []).map(defaultContainer);
  if (s.initContainers) s.initContainers = s.initContainers.map(defaultContainer);
  if (s.restartPolicy === undefined) s.restartPolicy = 'Always';
  if (s.terminationGracePeriodSeconds === undefined) s.terminationGracePeriodSeconds = 30;
  if (s.dnsPolicy === undefined) s.dnsPolicy = 'ClusterFirst';
  if (s.serviceAccountName === undefined) s.serviceAccountName = s.serviceAccount || 'default';
  s.serviceAccount = s.serviceAccountName;
  if (s.securityContext === undefined) s.securityContext = {};
  if (s.schedulerName === undefined) s.schedulerName = 'default-scheduler';
  const tol = s.tolerations || [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tol.some((t) => t.key === key && t.effect === 'NoExecute')) {
      tol.push({key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300});
    }
  }
  s.tolerations = tol;
  if (s.priority === undefined) s.priority = 0;
  if (s.enableServiceLinks === undefined) s.enableServiceLinks = true;
  if (s.preemptionPolicy === undefined) s.preemptionPolicy = 'PreemptLowerPriority';
  pod.spec = reorder(s, POD_SPEC_ORDER);
}

function validatePodSpec(info, name, spec) {
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    throw invalid(info, name, 'spec.containers', 'FieldValueRequired', 'Required value');
  }
  const seen = new Set();
  spec.containers.forEach((c, i) => {
    if (!c.name) throw invalid(info, name, `spec.containers[${i}].name`, 'FieldValueRequired', 'Required value');
    if (!DNS1123_LABEL.test(c.name)) {
      throw invalid(info, name, `spec.containers[${i}].name`, 'FieldValueInvalid', labelMsg(c.name));
    }
    if (seen.has(c.name)) {
      throw invalid(info, name, `spec.containers[${i}].name`, 'FieldValueDuplicate', `Duplicate value: "${c.name}"`);
    }
    seen.add(c.name);
    if (!c.image) throw invalid(info, name, `spec.containers[${i}].image`, 'FieldValueRequired', 'Required value');
  });
  const rp = spec.restartPolicy;
  if (!['Always', 'OnFailure', 'Never'].includes(rp)) {
    throw invalid(info, name, 'spec.restartPolicy', 'FieldValueNotSupported',
                  `Unsupported value: "${rp}": supported values: "Always", "OnFailure", "Never"`);
  }
}

const POD_UPDATE_FORBIDDEN = 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,' +
  '`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing ' +
  'tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function checkPodSpecUpdate(info, name, oldSpec, newSpec) {
  const a = clone(newSpec);
  const b = clone(oldSpec);
  const copyImages = (key) => {
    if (!Array.isArray(a[key]) || !Array.isArray(b[key]) || a[key].length !== b[key].length) return;
    a[key].forEach((c, i) => { if (c && b[key][i]) c.image = b[key][i].image; });
  };
  copyImages('containers');
  copyImages('initContainers');
  a.activeDeadlineSeconds = b.activeDeadlineSeconds;
  const oldTol = JSON.stringify(b.tolerations || []);
  const newTol = a.tolerations || [];
  if (newTol.length >= (b.tolerations || []).length &&
      JSON.stringify(newTol.slice(0, (b.tolerations || []).length)) === oldTol) {
    a.tolerations = b.tolerations;
  }
  if (b.terminationGracePeriodSeconds < 0 && a.terminationGracePeriodSeconds === 1) {
    a.terminationGracePeriodSeconds = b.terminationGracePeriodSeconds;
  }
  if (JSON.stringify(sortKeys(a)) !== JSON.stringify(sortKeys(b))) {
    throw invalid(info, name, 'spec', 'FieldValueForbidden', POD_UPDATE_FORBIDDEN);
  }
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) o[k] = sortKeys(v[k]);
    return o;
  }
  return v;
}

// metav1.MicroTime parses with Go's time.Parse and the layout
// "2006-01-02T15:04:05.000000Z07:00": exactly six fractional digits, any
// offset; it marshals in UTC, again with six digits.
const MICROTIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;
const MICRO_LAYOUT = '2006-01-02T15:04:05.000000Z07:00';

function normalizeMicroTime(v) {
  if (v === undefined || v === null) return v;
  if (typeof v !== 'string' || !MICROTIME.test(v)) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace(/\.\d{3}Z$/, `.${v.slice(20, 26)}Z`);
}

// time.Parse's complaint about v, for the common mistakes (too few or too
// many fractional digits) and, otherwise, in general.
function microTimeError(v) {
  const text = String(v);
  const head = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(text);
  let why = `cannot parse "${text}" as "2006"`;
  if (head) {
    const frac = (/^\.(\d*)/.exec(text.slice(19)) || [null, ''])[1];
    why = frac.length > 6 ? `cannot parse "${text.slice(26)}" as "Z07:00"` : `cannot parse "${text.slice(19)}" as ".000000"`;
  }
  return `parsing time "${text}" as "${MICRO_LAYOUT}": ${why}`;
}

function validateLease(info, name, spec) {
  // Every LeaseSpec field is an omitempty pointer: null means absent.
  for (const k of Object.keys(spec)) if (spec[k] === null) delete spec[k];
  for (const f of ['acquireTime', 'renewTime']) {
    if (spec[f] === undefined) continue;
    const n = normalizeMicroTime(spec[f]);
    if (n === undefined) {
      throw errors.badRequest(`Lease in version "v1" cannot be handled as a Lease: ${microTimeError(spec[f])}`);
    }
    spec[f] = n;
  }
  for (const f of ['leaseDurationSeconds', 'leaseTransitions']) {
    if (spec[f] !== undefined && spec[f] !== null && (!Number.isInteger(spec[f]) || spec[f] < 0)) {
      throw invalid(info, name, `spec.${f}`, 'FieldValueInvalid',
                    `Invalid value: ${spec[f]}: must be greater than or equal to 0`);
    }
  }
}

// Called on a decoded create body (kind/apiVersion removed) before storing.
function prepareCreate(info, obj) {
  validateMeta(info, obj);
  if (info.resource === 'pods') {
    defaultPod(obj);
    validatePodSpec(info, obj.metadata.name || obj.metadata.generateName, obj.spec);
    obj.metadata.generation = 1;
    obj.status = {phase: 'Pending', qosClass: qosClass(obj.spec)};
  } else if (info.resource === 'namespaces') {
    obj.metadata.labels = {...(obj.metadata.labels || {}), 'kubernetes.io/metadata.name': obj.metadata.name};
    obj.spec = {finalizers: ['kubernetes']};
    obj.status = {phase: 'Active'};
  } else if (info.resource === 'leases') {
    obj.spec = obj.spec || {};
    validateLease(info, obj.metadata.name, obj.spec);
  } else if (info.resource === 'nodes') {
    obj.spec = obj.spec || {};
    obj.status = obj.status || {};
  }
  return obj;
}

// Main-resource update: `next` is the client's object, `cur` the stored one.
// Returns the object to store (status kept from cur where the strategy
// says so; server-owned metadata kept).
function prepareUpdate(info, cur, next) {
  const m = next.metadata;
  if (cur.metadata.deletionTimestamp) {
    const added = (m.finalizers || []).filter((f) => !(cur.metadata.finalizers || []).includes(f));
    if (added.length) {
      throw invalid(info, m.name, 'metadata.finalizers', 'FieldValueForbidden', 'Forbidden: no new finalizers can ' +
        `be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`);
    }
  }
  for (const f of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation',
    'generateName']) {
    if (cur.metadata[f] !== undefined) m[f] = cur.metadata[f]; else if (f !== 'generateName') delete m[f];
  }
  validateMeta(info, next);
  if (info.resource === 'pods') {
    next.spec = next.spec || {};
    defaultPod(next);
    checkPodSpecUpdate(info, m.name, cur.spec, next.spec);
    // Pod generation counts spec changes (an image update), as on 1.33+ servers.
    if (JSON.stringify(sortKeys(cur.spec)) !== JSON.stringify(sortKeys(next.spec))) m.generation = (m.generation || 1) + 1;
    next.status = cur.status;
  } else if (info.resource === 'namespaces' || info.resource === 'nodes') {
    if (info.resource === 'namespaces') next.spec = cur.spec;
    next.status = cur.status;
  } else if (info.resource === 'leases') {
    next.spec = next.spec || {};
    validateLease(info, m.name, next.spec);
  }
  return next;
}

// /status update: everything but status comes from cur.
function prepareStatusUpdate(info, cur, next) {
  const out = clone(cur);
  out.status = next.status === undefined ? cur.status : next.status;
  out.metadata.resourceVersion = next.metadata && next.metadata.resourceVersion;
  return out;
}

module.exports = {prepareCreate, prepareUpdate, prepareStatusUpdate, qosClass, normalizeMicroTime, sortKeys};

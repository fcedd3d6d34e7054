'use strict';
// Discovery documents: /version, /api, /apis, /api/v1, /apis/<group>[/v1],
// and a minimal OpenAPI v3 index (so that kubectl's field-validation probe
// finds the fieldValidation parameter and validates server-side).
//
// Only the resources the simulator serves are advertised, so kubectl never
// tries one that would 404. Entries are the real ones (storageVersionHash
// etc. taken from the kube-apiserver discovery fixtures), written in the
// struct field order of metav1.APIResource. Aggregated discovery
// (apidiscovery.k8s.io) is not offered: a plain APIVersions/APIGroupList
// answer makes kubectl fall back to legacy discovery, as against old servers.

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const SUB_VERBS = ['get', 'patch', 'update'];

function res(name, singularName, namespaced, kind, verbs, extra = {}) {
  const r = {name, singularName, namespaced};
  if (extra.group) { r.group = extra.group; r.version = extra.version; }
  r.kind = kind;
  r.verbs = verbs;
  if (extra.shortNames) r.shortNames = extra.shortNames;
  if (extra.categories) r.categories = extra.categories;
  if (extra.storageVersionHash) r.storageVersionHash = extra.storageVersionHash;
  return r;
}

const CORE_V1 = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    res('events', 'event', true, 'Event', ALL_VERBS, {shortNames: ['ev'], storageVersionHash: 'r2yiGXH7wu8='}),
    res('namespaces', 'namespace', false, 'Namespace', ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
        {shortNames: ['ns'], storageVersionHash: 'Q3oi5N2YM8M='}),
    res('namespaces/finalize', '', false, 'Namespace', ['update']),
    res('namespaces/status', '', false, 'Namespace', SUB_VERBS),
    res('nodes', 'node', false, 'Node', ALL_VERBS, {shortNames: ['no'], storageVersionHash: 'XwShjMxG9Fs='}),
    res('nodes/status', '', false, 'Node', SUB_VERBS),
    res('pods', 'pod', true, 'Pod', ALL_VERBS,
        {shortNames: ['po'], categories: ['all'], storageVersionHash: 'xPOwRZ+Yhw8='}),
    res('pods/binding', '', true, 'Binding', ['create']),
    res('pods/log', '', true, 'Pod', ['get']),
    res('pods/status', '', true, 'Pod', SUB_VERBS),
  ],
};

const COORDINATION_V1 = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'coordination.k8s.io/v1',
  resources: [res('leases', 'lease', true, 'Lease', ALL_VERBS, {storageVersionHash: 'gqkMMb/YqFM='})],
};

const COORDINATION_GROUP = {
  name: 'coordination.k8s.io',
  versions: [{groupVersion: 'coordination.k8s.io/v1', version: 'v1'}],
  preferredVersion: {groupVersion: 'coordination.k8s.io/v1', version: 'v1'},
};

const AUTHORIZATION_GROUP = {
  name: 'authorization.k8s.io',
  versions: [{groupVersion: 'authorization.k8s.io/v1', version: 'v1'}],
  preferredVersion: {groupVersion: 'authorization.k8s.io/v1', version: 'v1'},
};

const AUTHORIZATION_V1 = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'authorization.k8s.io/v1',
  resources: [res('selfsubjectaccessreviews', 'selfsubjectaccessreview', false, 'SelfSubjectAccessReview', ['create'])],
};

function apiVersions(host) {
  return {kind: 'APIVersions', versions: ['v1'],
    serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress: host}]};
}

const API_GROUP_LIST = {kind: 'APIGroupList', apiVersion: 'v1', groups: [AUTHORIZATION_GROUP, COORDINATION_GROUP]};

const VERSION = {
  major: '1',
  minor: '33',
  emulationMajor: '1',
  emulationMinor: '33',
  minCompatibilityMajor: '1',
  minCompatibilityMinor: '32',
  gitVersion: 'v1.33.1',
  gitCommit: '8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828',
  gitTreeState: 'clean',
  buildDate: '2025-05-15T08:19:08Z',
  goVersion: 'go1.24.2',
  compiler: 'gc',
  platform: 'linux/amd64',
};

// OpenAPI v3: an index and one small document per group-version. Each
// operation carries x-kubernetes-group-version-kind and the query parameters
// kubectl probes for (fieldValidation, fieldManager, dryRun).
const OPENAPI_HASH = 'A1B2C3D4E5F60718293A4B5C6D7E8F901A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F80';

function openapiIndex() {
  return {paths: {
    'api/v1': {serverRelativeURL: `/openapi/v3/api/v1?hash=${OPENAPI_HASH}`},
    'apis/coordination.k8s.io/v1': {serverRelativeURL: `/openapi/v3/apis/coordination.k8s.io/v1?hash=${OPENAPI_HASH}`},
  }};
}

function param(name) {
  return {name, in: 'query', description: name, schema: {type: 'string', uniqueItems: true}};
}

function operations(gvk, namespaced, collectionPath, itemPath) {
  const x = {'x-kubernetes-group-version-kind': gvk};
  const body = {content: {'application/json': {schema: {$ref: `#/components/schemas/${schemaName(gvk)}`}}}};
  const ok = {responses: {200: {description: 'OK'}}};
  const writeParams = [param('dryRun'), param('fieldManager'), param('fieldValidation')];
  const paths = {};
  paths[collectionPath] = {
    get: {...ok, ...x, 'x-kubernetes-action': 'list', operationId: `list${gvk.kind}`},
    post: {...ok, ...x, 'x-kubernetes-action': 'post', operationId: `create${gvk.kind}`, requestBody: body,
      parameters: writeParams},
  };
  paths[itemPath] = {
    get: {...ok, ...x, 'x-kubernetes-action': 'get', operationId: `read${gvk.kind}`},
    put: {...ok, ...x, 'x-kubernetes-action': 'put', operationId: `replace${gvk.kind}`, requestBody: body,
      parameters: writeParams},
    patch: {...ok, ...x, 'x-kubernetes-action': 'patch', operationId: `patch${gvk.kind}`,
      parameters: [...writeParams, param('force')]},
    delete: {...ok, ...x, 'x-kubernetes-action': 'delete', operationId: `delete${gvk.kind}`},
  };
  if (namespaced) {
    const nsParam = {name: 'namespace', in: 'path', required: true, schema: {type: 'string'}};
    for (const p of Object.values(paths)) p.parameters = [nsParam];
  }
  return paths;
}

function schemaName(gvk) {
  const g = gvk.group ? gvk.group.split('.').reverse().join('.') : 'core';
  return `io.k8s.api.${g.replace('k8s.io.', '')}.${gvk.version}.${gvk.kind}`;
}

function objectSchema(gvk) {
  return {
    type: 'object',
    'x-kubernetes-group-version-kind': [gvk],
    properties: {
      apiVersion: {type: 'string'}, kind: {type: 'string'},
      metadata: {type: 'object', 'x-kubernetes-preserve-unknown-fields': true},
      spec: {type: 'object', 'x-kubernetes-preserve-unknown-fields': true},
      status: {type: 'object', 'x-kubernetes-preserve-unknown-fields': true},
    },
  };
}

function openapiDoc(groupPath) {
  const doc = {openapi: '3.0.0', info: {title: 'Kubernetes', version: 'v1.33.1'}, paths: {},
    components: {schemas: {}}};
  const add = (gvk, plural, namespaced) => {
    const base = gvk.group ? `/apis/${gvk.group}/${gvk.version}` : `/api/${gvk.version}`;
    const coll = namespaced ? `${base}/namespaces/{namespace}/${plural}` : `${base}/${plural}`;
    Object.assign(doc.paths, operations(gvk, namespaced, coll, `${coll}/{name}`));
    doc.components.schemas[schemaName(gvk)] = objectSchema(gvk);
  };
  if (groupPath === 'api/v1') {
    add({group: '', version: 'v1', kind: 'Pod'}, 'pods', true);
    add({group: '', version: 'v1', kind: 'Namespace'}, 'namespaces', false);
    add({group: '', version: 'v1', kind: 'Node'}, 'nodes', false);
    add({group: '', version: 'v1', kind: 'Event'}, 'events', true);
    return doc;
  }
  if (groupPath === 'apis/coordination.k8s.io/v1') {
    add({group: 'coordination.k8s.io', version: 'v1', kind: 'Lease'}, 'leases', true);
    return doc;
  }
  return null;
}

// OpenAPI v2 as the protobuf kubectl asks for (gnostic openapi_v2.Document):
// only field 1, swagger: "2.0". kubectl <= 1.2x loads this document before
// it probes v3 for fieldValidation support; with no definitions it skips
// client-side schema checks and leaves validation to the server.
function openapiV2Protobuf() {
  const swagger = Buffer.from('2.0');
  return Buffer.concat([Buffer.from([0x0a, swagger.length]), swagger]);
}

module.exports = {openapiV2Protobuf, AUTHORIZATION_GROUP, AUTHORIZATION_V1, CORE_V1, COORDINATION_V1, COORDINATION_GROUP, API_GROUP_LIST, VERSION, apiVersions,
  openapiIndex, openapiDoc};

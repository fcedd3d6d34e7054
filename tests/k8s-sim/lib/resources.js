'use strict';
// The resource table: what the simulator serves and how each resource is
// named, scoped and filtered. One entry per resource (plural name), shared by
// the store (keys, field selectors), the HTTP layer (routing, kinds) and
// discovery. Field-selector whitelists follow the real registries
// (k/k pkg/registry/*/strategy.go GetAttrs and pkg/apis/core/v1/conversion.go).

const str = (v) => (v === undefined || v === null ? '' : String(v));

const RESOURCES = {
  pods: {
    resource: 'pods', kind: 'Pod', listKind: 'PodList', group: '', version: 'v1', namespaced: true,
    allowUnconditionalUpdate: true,
    fields: {
      'metadata.name': (o) => str(o.metadata.name),
      'metadata.namespace': (o) => str(o.metadata.namespace),
      'spec.nodeName': (o) => str(o.spec && o.spec.nodeName),
      'spec.restartPolicy': (o) => str(o.spec && o.spec.restartPolicy),
      'spec.schedulerName': (o) => str(o.spec && o.spec.schedulerName),
      'spec.serviceAccountName': (o) => str(o.spec && o.spec.serviceAccountName),
      'spec.hostNetwork': (o) => String(Boolean(o.spec && o.spec.hostNetwork)),
      'status.phase': (o) => str(o.status && o.status.phase),
      'status.podIP': (o) => str(o.status && o.status.podIP),
      'status.podIPs': (o) => ((o.status && o.status.podIPs) || []).map((p) => p.ip).join(','),
      'status.nominatedNodeName': (o) => str(o.status && o.status.nominatedNodeName),
    },
    fieldAliases: {'spec.host': 'spec.nodeName'},
  },
  nodes: {
    resource: 'nodes', kind: 'Node', listKind: 'NodeList', group: '', version: 'v1', namespaced: false,
    allowUnconditionalUpdate: true,
    fields: {
      'metadata.name': (o) => str(o.metadata.name),
      'spec.unschedulable': (o) => String(Boolean(o.spec && o.spec.unschedulable)),
    },
  },
  namespaces: {
    resource: 'namespaces', kind: 'Namespace', listKind: 'NamespaceList', group: '', version: 'v1', namespaced: false,
    allowUnconditionalUpdate: true,
    fields: {
      'metadata.name': (o) => str(o.metadata.name),
      'status.phase': (o) => str(o.status && o.status.phase),
    },
  },
  events: {
    resource: 'events', kind: 'Event', listKind: 'EventList', group: '', version: 'v1', namespaced: true,
    allowUnconditionalUpdate: true,
    fields: {
      'metadata.name': (o) => str(o.metadata.name),
      'metadata.namespace': (o) => str(o.metadata.namespace),
      'involvedObject.kind': (o) => str(o.involvedObject && o.involvedObject.kind),
      'involvedObject.namespace': (o) => str(o.involvedObject && o.involvedObject.namespace),
      'involvedObject.name': (o) => str(o.involvedObject && o.involvedObject.name),
      'involvedObject.uid': (o) => str(o.involvedObject && o.involvedObject.uid),
      'involvedObject.apiVersion': (o) => str(o.involvedObject && o.involvedObject.apiVersion),
      'involvedObject.resourceVersion': (o) => str(o.involvedObject && o.involvedObject.resourceVersion),
      'involvedObject.fieldPath': (o) => str(o.involvedObject && o.involvedObject.fieldPath),
      'reason': (o) => str(o.reason),
      'reportingComponent': (o) => str(o.reportingComponent),
      'source': (o) => str(o.source && o.source.component),
      'type': (o) => str(o.type),
    },
  },
  leases: {
    resource: 'leases', kind: 'Lease', listKind: 'LeaseList', group: 'coordination.k8s.io', version: 'v1',
    namespaced: true, allowUnconditionalUpdate: false,
    fields: {
      'metadata.name': (o) => str(o.metadata.name),
      'metadata.namespace': (o) => str(o.metadata.namespace),
    },
  },
};

for (const info of Object.values(RESOURCES)) {
  info.apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
}

function lookup(resource) {
  const info = RESOURCES[resource];
  if (!info) throw new Error(`unknown resource ${resource}`);
  return info;
}

module.exports = {RESOURCES, lookup};

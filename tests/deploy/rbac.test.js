'use strict';
// The manifests' RBAC, as a real kube-apiserver's RBAC authorizer decides it
// (SubjectAccessReviews for prewarm's ServiceAccount, with the groups a
// service account token carries): exactly the pod calls in the sessions
// namespace and the lease calls in prewarm's own are allowed, and nothing
// else in a matrix of resources, verbs and namespaces. Needs the real
// control plane (kube_cluster fixture); the simulator has no RBAC.

const test = require('node:test');
const assert = require('node:assert/strict');
const m = require('./lib/manifests.js');
const {startControlPlane, realAvailable} = require('./lib/control-plane.js');

const SA_USER = 'system:serviceaccount:prewarm-system:prewarm';
const SA_GROUPS = ['system:serviceaccounts', 'system:serviceaccounts:prewarm-system', 'system:authenticated'];
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const RESOURCES = [
  ['', 'pods', ''], ['', 'pods', 'status'], ['', 'pods', 'log'], ['', 'pods', 'exec'], ['', 'pods', 'eviction'],
  ['coordination.k8s.io', 'leases', ''], ['', 'secrets', ''], ['', 'configmaps', ''], ['', 'events', ''],
  ['', 'services', ''], ['', 'serviceaccounts', 'token'], ['apps', 'deployments', ''],
  ['rbac.authorization.k8s.io', 'roles', ''],
];
const NAMESPACES = ['prewarm-sessions', 'prewarm-system', 'default'];
const CLUSTER = [['', 'nodes', ''], ['', 'namespaces', ''], ['rbac.authorization.k8s.io', 'clusterroles', '']];

// What the Kubernetes provider and leader election call, and nothing more.
const ALLOWED = new Set([
  ...['create', 'list', 'watch', 'patch', 'delete'].map((v) => `prewarm-sessions /pods ${v}`),
  ...['get', 'create', 'update'].map((v) => `prewarm-system coordination.k8s.io/leases ${v}`),
]);

function review(namespace, [group, resource, subresource], verb) {
  return {apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
          spec: {user: SA_USER, groups: SA_GROUPS,
                 resourceAttributes: {namespace, group, resource, subresource, verb}}};
}

function key(r) {
  const a = r.spec.resourceAttributes;
  const sub = a.subresource ? `/${a.subresource}` : '';
  return `${a.namespace || '(cluster)'} ${a.group || ''}/${a.resource}${sub} ${a.verb}`;
}

function rbacObjects(objs) {
  return objs.filter((o) => ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind));
}

function strip(o) {
  const c = JSON.parse(JSON.stringify(o));
  delete c.metadata.labels;
  return c;
}

test('every overlay carries the same RBAC', () => {
  const base = rbacObjects(m.render('base')).map(strip);
  for (const overlay of m.OVERLAYS) assert.deepEqual(rbacObjects(m.render(overlay)).map(strip), base, overlay);
});

test('the RBAC authorizer allows exactly the provider\'s calls', {
  skip: !realAvailable() && 'needs the real control plane (PREWARM_KUBE_ENV); the simulator has no RBAC',
  timeout: 120000,
}, async (t) => {
  const cp = await startControlPlane();
  t.after(() => cp.stop());
  const env = {KUBECONFIG: cp.kubeconfig};
  const objs = rbacObjects(m.render('base'));
  m.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=prewarm-tests', '-f', '-'],
            {env, input: objs.map((o) => JSON.stringify(o)).join('\n---\n')});
  const reviews = [];
  for (const ns of NAMESPACES)
    for (const r of RESOURCES) for (const v of VERBS) reviews.push(review(ns, r, v));
  for (const r of CLUSTER) for (const v of VERBS) reviews.push(review('', r, v));
  // kubectl prints one JSON document per review.
  const answers = m.splitJsonStream(m.kubectl(['create', '-o', 'json', '-f', '-'],
                                              {env, input: JSON.stringify({apiVersion: 'v1', kind: 'List', items: reviews})}));
  assert.equal(answers.length, reviews.length);
  const allowed = answers.filter((a) => a.status.allowed).map(key).sort();
  assert.deepEqual(allowed, [...ALLOWED].sort());
  t.diagnostic(`${answers.length} access reviews: ${allowed.length} allowed, ${answers.length - allowed.length} denied`);
  console.log(`# ${answers.length} SubjectAccessReviews by ${cp.name}: ${allowed.length} allowed (exactly the provider's calls), ${answers.length - allowed.length} denied`);
});

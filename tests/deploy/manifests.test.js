'use strict';
// charts-free-manifests/: every overlay renders with kubectl's kustomize, the
// rendered objects say what the operator guide promises (least-privilege
// RBAC, leader-aware probes, hardened pods, spread, budget, network
// policies, warm-pod templates on dedicated node pools), and a real API
// server accepts every object with strict field validation
// (`kubectl apply --dry-run=server --validate=strict`), so a misspelt field
// fails here.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {spawnSync} = require('node:child_process');
const m = require('./lib/manifests.js');
const {startControlPlane} = require('./lib/control-plane.js');

const SA = {kind: 'ServiceAccount', name: 'prewarm', namespace: 'prewarm-system'};
const SELECTOR = {'app.kubernetes.io/name': 'prewarm', 'app.kubernetes.io/component': 'scheduler'};

function container(deploy) {
  const cs = deploy.spec.template.spec.containers;
  assert.equal(cs.length, 1);
  return cs[0];
}

function rulesOf(role) {
  return role.rules.map((r) => ({groups: r.apiGroups, resources: r.resources, verbs: [...r.verbs].sort(),
                                 names: r.resourceNames}));
}

function checkRbac(objs) {
  assert.equal(m.find(objs, 'ClusterRole').length, 0, 'no ClusterRole');
  assert.equal(m.find(objs, 'ClusterRoleBinding').length, 0, 'no ClusterRoleBinding');
  const pods = m.one(objs, 'Role', 'prewarm-pods');
  assert.equal(pods.metadata.namespace, 'prewarm-sessions');
  assert.deepEqual(rulesOf(pods), [{groups: [''], resources: ['pods'],
                                    verbs: ['create', 'delete', 'list', 'patch', 'watch'], names: undefined}]);
  const leases = m.one(objs, 'Role', 'prewarm-leader-election');
  assert.equal(leases.metadata.namespace, 'prewarm-system');
  assert.deepEqual(rulesOf(leases), [{groups: ['coordination.k8s.io'], resources: ['leases'],
                                      verbs: ['create', 'get', 'update'], names: undefined}]);
  for (const rb of m.find(objs, 'RoleBinding')) {
    assert.deepEqual(rb.subjects, [SA], `${rb.metadata.name} binds prewarm's ServiceAccount only`);
    assert.equal(rb.roleRef.kind, 'Role');
    m.one(objs, 'Role', rb.roleRef.name);
  }
  assert.equal(m.find(objs, 'RoleBinding').length, 2);
}

function checkDeployment(objs) {
  const d = m.one(objs, 'Deployment', 'prewarm');
  const spec = d.spec.template.spec;
  const c = container(d);
  assert.equal(d.spec.replicas, 2, 'two replicas elect a leader');
  assert.deepEqual(d.spec.selector.matchLabels, SELECTOR);
  assert.equal(d.spec.strategy.rollingUpdate.maxUnavailable, '100%', 'leader-only readiness needs it');
  assert.equal(c.readinessProbe.httpGet.path, '/readyz', 'ready only on the serving leader');
  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  assert.equal(c.startupProbe.httpGet.path, '/healthz');
  for (const p of [c.readinessProbe, c.livenessProbe, c.startupProbe]) assert.equal(p.httpGet.port, 'health');
  for (const k of ['cpu', 'memory']) {
    assert.ok(c.resources.requests[k], `requests.${k}`);
    assert.ok(c.resources.limits[k], `limits.${k}`);
  }
  assert.equal(spec.serviceAccountName, 'prewarm');
  assert.equal(spec.securityContext.runAsNonRoot, true);
  assert.ok(spec.securityContext.runAsUser > 0);
  assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  assert.equal(c.securityContext.capabilities.add, undefined);
  const zone = spec.topologySpreadConstraints.find((t) => t.topologyKey === 'topology.kubernetes.io/zone');
  assert.ok(zone, 'spread across zones');
  assert.deepEqual(zone.labelSelector.matchLabels, SELECTOR);
  const env = Object.fromEntries(c.env.map((e) => [e.name, e.valueFrom && e.valueFrom.fieldRef.fieldPath]));
  assert.equal(env.POD_NAME, 'metadata.name', 'leader identity');
  assert.equal(env.POD_NAMESPACE, 'metadata.namespace', 'lease namespace');
  return d;
}

// The files prewarm.yaml names, resolved as prewarmd does: relative to its
// own folder (the config mount).
function resolveIn(dir, file) {
  return path.posix.normalize(file.startsWith('/') ? file : `${dir}/${file}`);
}

function under(file, mountPath) {
  return file.startsWith(`${mountPath}/`);
}

function checkConfig(objs, d) {
  const c = container(d);
  const vol = (name) => d.spec.template.spec.volumes.find((v) => v.name === name);
  const mount = (name) => c.volumeMounts.find((v) => v.name === name);
  const cm = m.one(objs, 'ConfigMap', 'prewarm-config');
  assert.equal(vol('config').configMap.name, cm.metadata.name, 'the hashed ConfigMap name is referenced');
  const dir = mount('config').mountPath;
  assert.deepEqual(c.args, ['--config', `${dir}/prewarm.yaml`]);
  const cfg = m.parseYaml(cm.data['prewarm.yaml']);
  const ports = Object.fromEntries(c.ports.map((p) => [p.name, p.containerPort]));
  assert.equal(cfg.listen, `0.0.0.0:${ports.http}`, 'the claim API on the container port "http"');
  assert.equal(cfg.health_listen, `0.0.0.0:${ports.health}`, 'probes and metrics on "health"');
  assert.equal(cfg.auth.open_probes, true, 'the kubelet probes without a token');
  assert.ok(under(resolveIn(dir, cfg.auth.tokens_file), mount('secrets').mountPath), 'API tokens from the Secret');
  assert.ok(under(resolveIn(dir, cfg.connect_tokens.key_file), mount('secrets').mountPath), 'connect key from the Secret');
  assert.equal(vol('secrets').secret.secretName, 'prewarm-secrets');
  assert.ok(vol('journal').emptyDir, 'the bind journal lives on a volume that outlives a container restart');
  assert.ok(under(cfg.kubernetes.journal, mount('journal').mountPath), 'the journal is on that volume');
  assert.equal(cfg.kubernetes.in_cluster, true);
  assert.equal(cfg.kubernetes.leader_election.lease_namespace, d.metadata.namespace, 'the Lease beside prewarm');
  const templates = m.podTemplates(cm);
  assert.equal(templates.length, cfg.pools.length, 'one template per pool');
  for (const p of cfg.pools) {
    assert.equal(p.provider, 'kubernetes');
    assert.equal(p.kubernetes.namespace, 'prewarm-sessions', 'warm pods where the pods Role is');
    assert.equal(p.kubernetes.connect_key_secret, 'prewarm-connect-key');
  }
  return {cm, cfg, templates};
}

// The dev overlay carries its own Secrets: both hold the same connect key.
function checkDevSecrets(objs) {
  const own = m.one(objs, 'Secret', 'prewarm-secrets');
  const pods = m.one(objs, 'Secret', 'prewarm-connect-key');
  assert.equal(own.metadata.namespace, 'prewarm-system');
  assert.equal(pods.metadata.namespace, 'prewarm-sessions');
  assert.ok(own.data.tokens && own.data['connect-key']);
  assert.equal(pods.data['connect-key'], own.data['connect-key'], 'prewarmd and the warm pods share the key');
}

function checkWarmPod(pod, pool, dedicated) {
  const s = pod.spec;
  assert.equal(pod.kind, 'Pod');
  assert.equal(pod.metadata.labels['prewarm.dev/pool'], pool);
  assert.equal(s.automountServiceAccountToken, false, 'a backend gets no API token');
  assert.ok(s.terminationGracePeriodSeconds > 0, 'a termination grace');
  assert.ok(s.containers[0].readinessProbe, 'warm means Ready');
  if (!dedicated) return;
  assert.deepEqual(s.nodeSelector, {'prewarm.dev/pool': pool});
  assert.deepEqual(s.tolerations, [{key: 'prewarm.dev/pool', operator: 'Equal', value: pool, effect: 'NoSchedule'}]);
}

function checkNetwork(objs, d) {
  const pols = m.find(objs, 'NetworkPolicy');
  for (const ns of ['prewarm-system', 'prewarm-sessions']) {
    const deny = pols.find((p) => p.metadata.namespace === ns && p.metadata.name === 'default-deny');
    assert.ok(deny, `default deny in ${ns}`);
    assert.deepEqual(deny.spec.podSelector, {});
    assert.deepEqual(deny.spec.policyTypes, ['Ingress', 'Egress']);
  }
  const api = pols.find((p) => p.metadata.name === 'prewarm');
  const labels = d.spec.template.metadata.labels;
  for (const [k, v] of Object.entries(api.spec.podSelector.matchLabels)) assert.equal(labels[k], v);
  const rules = api.spec.ingress.map((r) => [r.from.map((f) => Object.keys(f.namespaceSelector.matchLabels)[0]),
                                             r.ports.map((p) => p.port)]);
  assert.deepEqual(rules, [[['prewarm.dev/claim-client'], [8080]], [['prewarm.dev/metrics'], [8081]]],
                   'claim clients reach the API, scrapers the health port, nobody else anything');
  const warm = pols.find((p) => p.metadata.name === 'warm-pods');
  assert.equal(warm.metadata.namespace, 'prewarm-sessions');
  const egressPorts = warm.spec.egress.flatMap((e) => e.ports.map((p) => p.port));
  assert.deepEqual([...new Set(egressPorts)], [53], 'warm pods reach DNS only');
}

function checkServiceAndBudget(objs, d) {
  const svc = m.one(objs, 'Service', 'prewarm');
  assert.deepEqual(svc.spec.selector, SELECTOR);
  assert.equal(svc.spec.ports[0].targetPort, container(d).ports[0].name);
  const pdb = m.one(objs, 'PodDisruptionBudget', 'prewarm');
  assert.deepEqual(pdb.spec.selector.matchLabels, SELECTOR);
  assert.equal(pdb.spec.maxUnavailable, 1);
}

for (const overlay of m.OVERLAYS) {
  test(`${overlay} renders and says what the operator guide promises`, () => {
    const objs = m.render(overlay);
    assert.ok(objs.length >= 15, `${objs.length} objects`);
    checkRbac(objs);
    const d = checkDeployment(objs);
    const {cfg, templates} = checkConfig(objs, d);
    templates.forEach((t, i) => checkWarmPod(t.pod, cfg.pools[i].name, overlay !== 'overlays/dev'));
    if (overlay === 'overlays/dev') checkDevSecrets(objs);
    else assert.equal(m.find(objs, 'Secret').length, 0, 'no credentials in the manifests');
    checkNetwork(objs, d);
    checkServiceAndBudget(objs, d);
    const rules = m.one(objs, 'ConfigMap', 'prewarm-prometheus-rules');
    assert.match(rules.data['prometheus-rules.yaml'], /^groups:/m, 'alert rules');
    const dash = m.one(objs, 'ConfigMap', 'prewarm-grafana-dashboard');
    assert.equal(dash.metadata.labels.grafana_dashboard, '1');
    assert.ok(JSON.parse(dash.data['prewarm.json']).panels.length > 0, 'dashboard panels');
    assert.ok(objs.every((o) => o.kind === 'Namespace' || o.metadata.namespace), 'every object names its namespace');
    if (overlay === 'overlays/gke') {
      const spread = d.spec.template.spec.topologySpreadConstraints;
      assert.ok(spread.every((t) => t.whenUnsatisfiable === 'DoNotSchedule'), 'GKE: hard spread');
      assert.match(container(d).image, /^[a-z0-9-]+-docker\.pkg\.dev\//);
    }
    if (overlay === 'overlays/dev') assert.equal(container(d).imagePullPolicy, 'Never');
  });
}

// The prewarmd the build made (CTest passes it), else the default build's.
function prewarmdBinary() {
  const p = process.env.PREWARMD || path.join(m.ROOT, 'build', 'src', 'prewarmd');
  assert.ok(fs.existsSync(p), `no prewarmd at ${p} (set PREWARMD)`);
  return p;
}

// The ConfigMap and the Secret as the Deployment mounts them, under dir:
// config/ and secrets/ (test credentials where the overlay carries none).
function writeMounted(objs, dir) {
  fs.mkdirSync(path.join(dir, 'config'));
  fs.mkdirSync(path.join(dir, 'secrets'));
  const cm = m.one(objs, 'ConfigMap', 'prewarm-config');
  for (const [k, v] of Object.entries(cm.data)) fs.writeFileSync(path.join(dir, 'config', k), v);
  const secret = m.find(objs, 'Secret', 'prewarm-secrets')[0];
  const files = secret ? Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64')]))
                       : {'connect-key': 'a'.repeat(64), tokens: `${'b'.repeat(32)} api-server claim,read\n`};
  for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, 'secrets', k), v);
}

test('prewarmd --check accepts every overlay\'s ConfigMap as mounted', () => {
  const prewarmd = prewarmdBinary();
  for (const overlay of m.OVERLAYS) {
    const objs = m.render(overlay);
    const cm = m.one(objs, 'ConfigMap', 'prewarm-config');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-deploy-cm-'));
    try {
      writeMounted(objs, dir);
      const r = spawnSync(prewarmd, ['--config', path.join(dir, 'config', 'prewarm.yaml'), '--check'],
                          {encoding: 'utf8'});
      assert.equal(r.status, 0, `${overlay}: ${r.stderr}`);
      const pools = m.poolNames(cm.data['prewarm.yaml']);
      assert.match(r.stdout, new RegExp(`valid: .*${pools.length} pools?: ${pools.map((p) => `${p} \\(kubernetes\\)`).join(' ')}`));
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  }
});

// components/tls: an overlay that adds it mounts Secret prewarm-tls where the
// tls: line its comment documents points, and prewarmd --check accepts that
// config with a real certificate pair in the mounted folder.
test('the optional TLS component mounts the Secret the documented tls: block reads', () => {
  const component = path.join(m.MANIFESTS, 'components', 'tls');
  const line = 'tls: {cert_file: ../tls/tls.crt, key_file: ../tls/tls.key}';
  assert.ok(fs.readFileSync(path.join(component, 'kustomization.yaml'), 'utf8').includes(line));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-deploy-tls-'));
  try {
    const overlay = path.join(dir, 'overlay');
    fs.mkdirSync(overlay);
    const rel = (p) => path.relative(overlay, p); // kustomize takes relative roots only
    fs.writeFileSync(path.join(overlay, 'kustomization.yaml'),
                     `resources: [${rel(path.join(m.MANIFESTS, 'overlays', 'gke'))}]\n` +
                     `components: [${rel(component)}]\n`);
    const objs = m.decodeYaml(m.kubectl(['kustomize', overlay]));
    const d = m.one(objs, 'Deployment', 'prewarm');
    const vol = d.spec.template.spec.volumes.find((v) => v.name === 'tls');
    assert.equal(vol.secret.secretName, 'prewarm-tls');
    const mount = container(d).volumeMounts.find((v) => v.name === 'tls');
    assert.equal(mount.mountPath, '/etc/prewarm/tls');
    assert.equal(mount.readOnly, true);
    const configDir = container(d).volumeMounts.find((v) => v.name === 'config').mountPath;
    assert.equal(resolveIn(configDir, '../tls/tls.crt'), `${mount.mountPath}/tls.crt`);
    const mounted = path.join(dir, 'mounted');
    fs.mkdirSync(mounted);
    writeMounted(objs, mounted);
    fs.mkdirSync(path.join(mounted, 'tls'));
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                                    '-nodes', '-days', '1', '-subj', '/CN=prewarm.prewarm-system.svc',
                                    '-keyout', path.join(mounted, 'tls', 'tls.key'),
                                    '-out', path.join(mounted, 'tls', 'tls.crt')], {encoding: 'utf8'});
    assert.equal(r.status, 0, r.stderr);
    const cfg = path.join(mounted, 'config', 'prewarm.yaml');
    fs.writeFileSync(cfg, `${line}\n${fs.readFileSync(cfg, 'utf8')}`);
    const check = spawnSync(prewarmdBinary(), ['--config', cfg, '--check'], {encoding: 'utf8'});
    assert.equal(check.status, 0, check.stderr);
    fs.copyFileSync(path.join(mounted, 'secrets', 'tokens'), path.join(mounted, 'tls', 'tls.key'));
    const bad = spawnSync(prewarmdBinary(), ['--config', cfg, '--check'], {encoding: 'utf8'});
    assert.notEqual(bad.status, 0, 'a bad key must fail the config check');
    assert.match(bad.stderr, /prewarm\.yaml:1:\d+: tls\.key_file: /);
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
});

// Served kinds as "group/version kind" from the server's discovery.
function servedKinds(env) {
  const out = m.kubectl(['api-resources', '--no-headers'], {env});
  const kinds = new Set();
  for (const line of out.trim().split('\n')) {
    const f = line.trim().split(/\s+/);
    kinds.add(`${f[f.length - 3]} ${f[f.length - 1]}`);
  }
  return kinds;
}

// prewarmd names each warm pod; the check gives the template a generated name.
function named(pod) {
  const p = JSON.parse(JSON.stringify(pod));
  if (!p.metadata.name) p.metadata.generateName = `${p.metadata.labels['prewarm.dev/pool']}-`;
  return p;
}

// `create` rather than `apply`: generateName, and no last-applied annotation.
// Returns stdout; Pod Security warnings (the restricted profile is warned in
// both namespaces) fail.
function dryRun(env, objs) {
  const r = m.kubectl(['create', '--dry-run=server', '--validate=strict', '-f', '-'],
                      {env, input: asYaml(objs), both: true});
  assert.doesNotMatch(r.stderr, /PodSecurity/, 'the restricted Pod Security profile holds');
  return r.stdout;
}

function asYaml(objs) {
  return objs.map((o) => JSON.stringify(o)).join('\n---\n');
}

test('a real API server accepts every object (kubectl apply --dry-run=server --validate=strict)', {timeout: 300000},
     async (t) => {
       const cp = await startControlPlane();
       t.after(() => cp.stop());
       const env = {KUBECONFIG: cp.kubeconfig};
       const served = servedKinds(env);
       let checked = 0;
       const unserved = new Set();
       for (const overlay of m.OVERLAYS) {
         const objs = m.render(overlay);
         const cm = m.one(objs, 'ConfigMap', 'prewarm-config');
         const pods = m.podTemplates(cm).map((tp) => named(tp.pod));
         const namespaces = objs.filter((o) => o.kind === 'Namespace');
         m.kubectl(['apply', '--validate=strict', '-f', '-'], {env, input: asYaml(namespaces)});
         const rest = [...objs.filter((o) => o.kind !== 'Namespace'), ...pods];
         const ok = rest.filter((o) => served.has(`${o.apiVersion} ${o.kind}`));
         rest.filter((o) => !ok.includes(o)).forEach((o) => unserved.add(`${o.apiVersion} ${o.kind}`));
         const out = dryRun(env, ok);
         const lines = out.trim().split('\n').filter((l) => /\(server dry run\)$/.test(l));
         assert.equal(lines.length, ok.length, out);
         checked += namespaces.length + ok.length;
       }
       t.diagnostic(`${checked} objects checked by ${cp.name} with strict field validation`);
       console.log(`# ${checked} objects checked by ${cp.name} with strict field validation`);
       if (unserved.size) {
         const msg = `${cp.name} serves no ${[...unserved].join(', ')}: those were not checked by a server`;
         assert.ok(!cp.real, msg);
         t.diagnostic(msg);
         console.log(`# SKIPPED (no real kube-apiserver): ${msg}`);
       }
     });

test('the server refuses a misspelt field (negative control)', {timeout: 300000}, async (t) => {
  const cp = await startControlPlane();
  t.after(() => cp.stop());
  const env = {KUBECONFIG: cp.kubeconfig};
  const objs = m.render('base');
  m.kubectl(['apply', '-f', '-'], {env, input: asYaml(objs.filter((o) => o.kind === 'Namespace'))});
  const pod = named(m.podTemplates(m.one(objs, 'ConfigMap', 'prewarm-config'))[0].pod);
  const bad = JSON.parse(JSON.stringify(pod));
  bad.spec.containers[0].readynessProbe = bad.spec.containers[0].readinessProbe;
  assert.throws(() => dryRun(env, [bad]), /unknown field "spec.containers\[0\].readynessProbe"/);
  dryRun(env, [pod]);
  if (!cp.real) return;
  const d = JSON.parse(JSON.stringify(m.one(objs, 'Deployment', 'prewarm')));
  d.spec.template.spec.topologySpreadConstraint = d.spec.template.spec.topologySpreadConstraints;
  assert.throws(() => dryRun(env, [d]), /unknown field "spec.template.spec.topologySpreadConstraint"/);
});

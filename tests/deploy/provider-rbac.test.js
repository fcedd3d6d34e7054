'use strict';
// prewarmd under the manifests' RBAC, on the real control plane: the base
// overlay's own prewarm.yaml and warm-pod template, authenticated with a
// token of the manifests' ServiceAccount (TokenRequest), a kwok node standing
// in for the pool's dedicated GKE node pool (label and taint
// prewarm.dev/pool=editor). prewarmd fills the pool on that node, binds a
// claim (the binding annotation is written onto the pod) and replaces the
// pod on release, and the API server never answers it 403: the Role covers
// every call the provider makes. Needs PREWARM_KUBE_ENV and PREWARMD.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const {spawn} = require('node:child_process');
const m = require('./lib/manifests.js');
const {startControlPlane, realAvailable} = require('./lib/control-plane.js');

const NODE = 'prewarm-editor-pool-0';
const POOL = 'editor';
const TOKEN = 't'.repeat(32); // written to the test tokens file (claim,read)

function request(method, url, body) {
  return new Promise((resolve, reject) => {
    const headers = {'content-type': 'application/json', authorization: `Bearer ${TOKEN}`};
    const req = http.request(url, {method, headers}, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({status: res.statusCode, json: data ? JSON.parse(data) : null}));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

// Polls fn() (a promise of a value) until it is truthy; the interval is a
// poll period, not a synchronisation.
async function until(what, fn, timeoutMs = 90000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function json(env, args) {
  return JSON.parse(m.kubectl([...args, '-o', 'json'], {env}));
}

function dedicatedNode() {
  return {apiVersion: 'v1', kind: 'Node',
          metadata: {name: NODE, labels: {'prewarm.dev/pool': POOL, 'kubernetes.io/hostname': NODE,
                                          'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': 'zone-a',
                                          type: 'kwok'}},
          spec: {taints: [{key: 'prewarm.dev/pool', value: POOL, effect: 'NoSchedule'}]},
          status: {capacity: {cpu: '16', memory: '64Gi', pods: '110'},
                   allocatable: {cpu: '16', memory: '64Gi', pods: '110'}}};
}

// A kubeconfig for the ServiceAccount: the admin kubeconfig's cluster, the
// ServiceAccount's token.
function serviceAccountKubeconfig(env, dir) {
  const admin = json(env, ['config', 'view', '--raw']);
  const cluster = admin.clusters[0].cluster;
  const token = m.kubectl(['-n', 'prewarm-system', 'create', 'token', 'prewarm', '--duration=3600s'], {env}).trim();
  const file = path.join(dir, 'kubeconfig');
  fs.writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'prewarm',
    clusters: [{name: 'c', cluster}], users: [{name: 'prewarm', user: {token}}],
    contexts: [{name: 'prewarm', context: {cluster: 'c', user: 'prewarm', namespace: 'prewarm-system'}}]}));
  return file;
}

// The ConfigMap and test credentials laid out as the Deployment mounts them
// (config/, secrets/), with in-cluster credentials swapped for that
// kubeconfig and the journal in the scratch folder: nothing else changes,
// leader election on the Lease included.
function writeConfig(cm, dir, kubeconfig) {
  fs.mkdirSync(path.join(dir, 'config'));
  fs.mkdirSync(path.join(dir, 'secrets'));
  for (const [k, v] of Object.entries(cm.data)) fs.writeFileSync(path.join(dir, 'config', k), v);
  fs.writeFileSync(path.join(dir, 'secrets', 'connect-key'), 'k'.repeat(64));
  fs.writeFileSync(path.join(dir, 'secrets', 'tokens'), `${TOKEN} rbac-test claim,read\n`);
  let cfg = cm.data['prewarm.yaml'];
  assert.match(cfg, /^  in_cluster: true\b.*$/m);
  cfg = cfg.replace(/^  in_cluster: true\b.*$/m, `  kubeconfig: ${kubeconfig}`);
  assert.match(cfg, /^  journal: \S+/m);
  cfg = cfg.replace(/^  journal: \S+/m, `  journal: ${path.join(dir, 'binds')}`);
  fs.writeFileSync(path.join(dir, 'config', 'prewarm.yaml'), cfg);
  return path.join(dir, 'config', 'prewarm.yaml');
}

function startPrewarmd(config, t) {
  const child = spawn(process.env.PREWARMD, ['--config', config, '--listen', '127.0.0.1:0'],
                      {env: {...process.env, POD_NAME: 'prewarm-test-0', POD_NAMESPACE: 'prewarm-system'},
                       stdio: ['ignore', 'pipe', 'pipe']});
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => child.on('exit', r));
  t.after(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const url = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const mm = /prewarmd listening on (\S+)/.exec(out);
      if (mm) resolve(mm[1]);
    });
    exited.then((code) => reject(new Error(`prewarmd exited ${code}:\n${stderr}`)));
  });
  return {url, stderr: () => stderr};
}

test('prewarmd runs a pool under the manifests\' Role and ServiceAccount', {
  skip: (!realAvailable() || !process.env.PREWARMD) && 'needs the real control plane (PREWARM_KUBE_ENV) and PREWARMD',
  timeout: 240000,
}, async (t) => {
  const cp = await startControlPlane();
  const env = {KUBECONFIG: cp.kubeconfig};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-deploy-rbac-'));
  const objs = m.render('base');
  const setup = objs.filter((o) => ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind));
  m.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=prewarm-tests', '-f', '-'],
            {env, input: [...setup, dedicatedNode()].map((o) => JSON.stringify(o)).join('\n---\n')});
  t.after(() => {
    m.kubectl(['-n', 'prewarm-sessions', 'delete', 'pods', '--all', '--grace-period=0', '--force', '--wait=false'],
              {env});
    m.kubectl(['delete', 'node', NODE, '--wait=false'], {env});
    fs.rmSync(dir, {recursive: true, force: true});
  });
  const cm = m.one(objs, 'ConfigMap', 'prewarm-config');
  const minIdle = Number(/^\s*min_idle:\s*(\d+)/m.exec(cm.data['prewarm.yaml'])[1]);
  const d = startPrewarmd(writeConfig(cm, dir, serviceAccountKubeconfig(env, dir)), t);
  const url = await d.url;

  await until(`${minIdle} warm pods`, async () => (await request('GET', `${url}/v1/pools/${POOL}`)).json.reached_min_idle);
  const pods = json(env, ['-n', 'prewarm-sessions', 'get', 'pods']).items;
  assert.ok(pods.length >= minIdle);
  for (const p of pods) assert.equal(p.spec.nodeName, NODE, `${p.metadata.name} runs on the pool's dedicated node`);

  const claim = await request('POST', `${url}/v1/pools/${POOL}/claims`, {key: 'rbac-check'});
  assert.equal(claim.status, 201, JSON.stringify(claim.json));
  const pod = claim.json.pod;
  await until('the binding annotation on the pod', async () =>
    json(env, ['-n', 'prewarm-sessions', 'get', 'pod', pod]).metadata.annotations?.['prewarm.dev/binding']);
  const release = await request('DELETE', `${url}/v1/sessions/${claim.json.session_id}`);
  assert.ok(release.status < 300, `release answered ${release.status}`);
  await until(`pod ${pod} deleted`, async () =>
    !json(env, ['-n', 'prewarm-sessions', 'get', 'pods']).items.some((p) => p.metadata.name === pod &&
                                                                      !p.metadata.deletionTimestamp));
  await until('the pool back at min_idle', async () =>
    (await request('GET', `${url}/v1/pools/${POOL}`)).json.reached_min_idle);
  assert.doesNotMatch(d.stderr(), /forbidden|\b403\b/i, 'no call was refused');
  console.log(`# prewarmd as system:serviceaccount:prewarm-system:prewarm: ${pods.length} pods on the dedicated node, ` +
              `claim bound ${pod} (binding annotation written), released and replaced, no 403`);
});

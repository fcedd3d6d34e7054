'use strict';
// Real kubectl (1.27 and 1.33 of the Google Cloud CLI, 1.37 built from the
// module proxy by tests/kube) against the simulator: what kubectl prints
// against the simulator must be what it prints against a real cluster.
// One simulator per kubectl version, a fresh --cache-dir and HOME per run.
//
// With K8S_TARGET=kube the same scenarios run against a real control plane
// (tests/kube: kube-apiserver, kube-scheduler, kwok nodes), one per kubectl
// version; the steps that drive the simulator's control API (lose a node,
// crash a container, inject 429/403 faults, count requests) are left out there
// or use the real equivalent (impersonation for the 403, kubectl's own request
// log for the pages).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {execFile, spawn} = require('node:child_process');
const {startSim, waitFor, podManifest} = require('../nodes/harness.js');

const BIN = '/usr/lib/google-cloud-sdk/bin';
const KUBE_BIN = process.env.PREWARM_KUBE_BIN || path.resolve(__dirname, '../../../../build/kube/bin');
const REAL = process.env.K8S_TARGET === 'kube';
// "1.27" and "1.33" are the Google Cloud CLI's kubectl.1.27/.1.33; "1.37" is
// the kubectl tests/kube builds with the control plane (v1.37.2).
const VERSIONS = (process.env.KUBECTL_VERSIONS || '1.27,1.33,1.37').split(',');
const kubectlPath = (version) => (version === '1.37' ? path.join(KUBE_BIN, 'kubectl') : path.join(BIN, `kubectl.${version}`));
// Node names: the simulator's sim-node-1..3, kwok's kwok-node-0..2.
const nodeName = (i) => (REAL ? `kwok-node-${i - 1}` : `sim-node-${i}`);
const NODE_RE = REAL ? 'kwok-node-\\d' : 'sim-node-\\d';
// Scenarios that drive the simulator's control API (lose a node, crash a
// container, inject a 429) have no counterpart on a real apiserver: on the
// real target they are not run (tests/kube/README.md lists them).

function kubectlRunner(bin, env, cacheDir) {
  return (args, opts = {}) => new Promise((resolve) => {
    const child = execFile(bin, [`--cache-dir=${cacheDir}`, '--request-timeout=60s', ...args],
                           {env, timeout: opts.timeout || 90000, maxBuffer: 16 << 20}, (err, stdout, stderr) => {
                             resolve({code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr});
                           });
    if (opts.input !== undefined) child.stdin.end(opts.input);
  });
}

function yamlFile(dir, name, obj) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, JSON.stringify(obj, null, 2)); // JSON is valid YAML
  return p;
}

for (const version of VERSIONS) {
  const bin = kubectlPath(version);
  // The Google Cloud CLI's kubectls are not in Debian's archive: where they
  // are missing their runs are skipped, and kubectl 1.37 (built from the Go
  // module proxy with the control plane) carries the scenarios. A missing
  // built kubectl is a failure unless PREWARM_ALLOW_MISSING_CLIENTS=1 or the
  // control plane could not be built here (PREWARM_KUBE_UNAVAILABLE=1, set by
  // ./prewarm.sh test when the module proxy does not answer).
  const allowMissing = version !== '1.37' || process.env.PREWARM_ALLOW_MISSING_CLIENTS === '1' ||
    process.env.PREWARM_KUBE_UNAVAILABLE === '1';
  const why = version === '1.37' ? `${bin} not built (tests/kube/cluster.sh build)` : `${bin} not installed (google-cloud-cli ships kubectl.1.27..1.33)`;
  const noCluster = REAL && !fs.existsSync(path.join(KUBE_BIN, 'kube-apiserver')) &&
    `no control plane binaries in ${KUBE_BIN} (tests/kube/cluster.sh build)`;
  test(`kubectl ${version}`, {skip: noCluster || (allowMissing && !fs.existsSync(bin) && why), timeout: 600000}, async (t) => {
    assert.ok(fs.existsSync(bin), why);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `k8s-sim-kubectl-${version}-`));
    const sim = await startSim(['--nodes', '3', '--readonly-token', 'read-only-token']);
    const env = {PATH: process.env.PATH, HOME: tmp, KUBECONFIG: sim.info.kubeconfig};
    const k = kubectlRunner(bin, env, path.join(tmp, 'cache'));
    const api = (m, p, body, ct) => sim.request(m, p, {body, contentType: ct});
    const getPod = async (name) => (await api('GET', `/api/v1/namespaces/default/pods/${name}`)).json;
    t.after(async () => {
      await sim.stop();
      fs.rmSync(tmp, {recursive: true, force: true});
    });

    await t.test('version reports the server', async () => {
      const r = await k(['version', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const v = JSON.parse(r.stdout);
      assert.ok(v.serverVersion && v.serverVersion.gitVersion, 'server version present');
      assert.match(v.clientVersion.gitVersion, new RegExp(`^v${version.replace('.', '\\.')}\\.`));
    });

    await t.test('get nodes, namespaces, leases', async () => {
      let r = await k(['get', 'nodes']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
      for (let i = 1; i <= 3; i++) assert.match(r.stdout, new RegExp(`${nodeName(i)}\\s+Ready\\s`));
      r = await k(['get', 'ns', '-o', 'name']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.split('\n').includes('namespace/default'), r.stdout);
      r = await k(['get', 'leases', '-A']);
      assert.equal(r.code, 0, r.stderr);
      const lease = {apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: {name: 'warm-pool'},
                     spec: {holderIdentity: 'a', leaseDurationSeconds: 15}};
      assert.equal((await api('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', lease)).status, 201);
      r = await k(['get', 'leases']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^NAME\s+HOLDER\s+AGE\n/);
      assert.match(r.stdout, /warm-pool\s+a\s+/);
    });

    await t.test('create -f, wait --for=condition=Ready, get -o json', async () => {
      const f = yamlFile(tmp, 'web.yaml', podManifest('web', {labels: {app: 'web'}}));
      let r = await k(['create', '-f', f]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'pod/web created\n');
      r = await k(['wait', '--for=condition=Ready', 'pod/web', '--timeout=30s']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'pod/web condition met\n');
      r = await k(['get', 'pod', 'web', '-o', 'json']);
      const p = JSON.parse(r.stdout);
      assert.equal(p.status.phase, 'Running');
      assert.match(p.spec.nodeName, new RegExp(`^${NODE_RE}$`));
      assert.match(p.status.podIP, /^10\./);
      r = await k(['get', 'pods']);
      assert.match(r.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
      assert.match(r.stdout, /\nweb\s+1\/1\s+Running\s+0\s+/);
      r = await k(['create', '-f', f]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Error from server (AlreadyExists): error when creating "${f}": pods "web" already exists\n`);
    });

    await t.test('describe shows conditions and the scheduler and kubelet events', async () => {
      let r = await k(['describe', 'pod', 'web']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Status:\s+Running$/m);
      assert.match(r.stdout, /^IP:\s+10\.\d+\.\d+\.\d+$/m);
      for (const c of ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']) {
        assert.match(r.stdout, new RegExp(`^  ${c}\\s+True\\s*$`, 'm'));
      }
      assert.match(r.stdout, new RegExp(`Normal\\s+Scheduled\\s+\\S+\\s+default-scheduler\\s+Successfully assigned default/web to ${NODE_RE}`));
      // kwok records no kubelet events; the simulator's kubelet does, as a real one.
      // (kubectl >= 1.34 prefixes the event's field path: "spec.containers{app}: Started container app").
      if (!REAL) assert.match(r.stdout, /Normal\s+Started\s+\S+\s+kubelet\s+(spec\.containers\{app\}: )?Started container app/);
      r = await k(['get', 'events', '--field-selector', 'involvedObject.name=web']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
      assert.match(r.stdout, new RegExp(`\\n\\S+\\s+Normal\\s+Scheduled\\s+pod/web\\s+Successfully assigned default/web to ${NODE_RE}\\n`));
      if (!REAL) assert.match(r.stdout, /\n\S+\s+Normal\s+Started\s+pod\/web\s+Started container app\n/);
    });

    if (!REAL) await t.test('a lost node shows NotReady and its pods get evicted', async () => {
      const m = podManifest('lost-1', {spec: {nodeSelector: {'kubernetes.io/hostname': 'sim-node-3'}, tolerations: [
        {key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10}]}});
      assert.equal((await api('POST', '/api/v1/namespaces/default/pods', m)).status, 201);
      let r = await k(['wait', '--for=condition=Ready', 'pod/lost-1', '--timeout=30s']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await sim.ctl('POST', 'nodes/sim-node-3/lose', {})).status, 200);
      r = await k(['get', 'node', 'sim-node-3', '--no-headers']);
      assert.match(r.stdout, /^sim-node-3\s+NotReady\s/);
      r = await k(['wait', '--for=jsonpath={.metadata.deletionGracePeriodSeconds}=30', 'pod/lost-1', '--timeout=30s']);
      assert.equal(r.code, 0, r.stderr);
      r = await k(['get', 'pod', 'lost-1', '--no-headers']);
      assert.match(r.stdout, /^lost-1\s+1\/1\s+Terminating\s/);
      assert.equal((await sim.ctl('POST', 'nodes/sim-node-3/restore')).status, 200);
      r = await k(['wait', '--for=delete', 'pod/lost-1', '--timeout=30s']);
      assert.equal(r.code, 0, r.stderr);
      r = await k(['get', 'node', 'sim-node-3', '--no-headers']);
      assert.match(r.stdout, /^sim-node-3\s+Ready\s/);
    });

    await t.test('cordon keeps new pods off a node until uncordon', async () => {
      const node = nodeName(2);
      let r = await k(['cordon', node]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `node/${node} cordoned\n`);
      r = await k(['get', 'node', node, '--no-headers']);
      assert.match(r.stdout, new RegExp(`^${node}\\s+Ready,SchedulingDisabled\\s`));
      const m = podManifest('pinned', {spec: {nodeSelector: {'kubernetes.io/hostname': node}}});
      assert.equal((await api('POST', '/api/v1/namespaces/default/pods', m)).status, 201);
      r = await k(['wait', '--for=jsonpath={.status.conditions[0].reason}=Unschedulable', 'pod/pinned', '--timeout=30s']);
      assert.equal(r.code, 0, r.stderr);
      const msg = (await getPod('pinned')).status.conditions.find((c) => c.type === 'PodScheduled').message;
      assert.match(msg, /^0\/3 nodes are available: 1 node\(s\) were unschedulable, 2 node\(s\) didn't match Pod's node affinity\/selector\./);
      r = await k(['uncordon', node]);
      assert.equal(r.stdout, `node/${node} uncordoned\n`, r.stderr);
      r = await k(['wait', '--for=condition=Ready', 'pod/pinned', '--timeout=30s']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await api('DELETE', '/api/v1/namespaces/default/pods/pinned?gracePeriodSeconds=0')).status, 200);
    });

    await t.test('label selectors and chunked lists', async () => {
      for (let i = 0; i < 5; i++) {
        const r = await api('POST', '/api/v1/namespaces/default/pods', podManifest(`chunk-${i}`, {labels: {app: 'chunk', idx: String(i)}}));
        assert.equal(r.status, 201, r.text);
      }
      let r = await k(['get', 'pods', '-l', 'app=chunk', '-o', 'name']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), [0, 1, 2, 3, 4].map((i) => `pod/chunk-${i}`));
      r = await k(['get', 'pods', '-l', 'app=chunk,idx notin (1,2)', '-o', 'name']);
      assert.deepEqual(r.stdout.trim().split('\n'), ['pod/chunk-0', 'pod/chunk-3', 'pod/chunk-4']);
      if (!REAL) await sim.ctl('POST', 'stats/reset');
      r = await k(['get', 'pods', '--chunk-size=2', '-o', 'name', '-v=6']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), ['pod/chunk-0', 'pod/chunk-1', 'pod/chunk-2', 'pod/chunk-3', 'pod/chunk-4', 'pod/web']);
      // kubectl's own request log: three GETs of pages of 2, each answered 200.
      // (1.27: "GET https://... 200 OK"; later: "Response" verb="GET" url="..." status="200 OK").
      const page = /GET https:\/\/\S+\/namespaces\/default\/pods\?\S*limit=2\S* 200 OK|verb="GET" url="https:\/\/\S+\/namespaces\/default\/pods\?[^"]*limit=2[^"]*" status="200 OK"/;
      const pages = r.stderr.split('\n').filter((l) => page.test(l));
      assert.equal(pages.length, 3, r.stderr);
      if (!REAL) {
        const stats = (await sim.ctl('GET', 'stats')).json;
        assert.equal(stats.byRequest['list pods 200'], 3, `three pages of 2: ${JSON.stringify(stats.byRequest)}`);
      }
    });

    await t.test('patch: strategic, merge, json', async () => {
      let r = await k(['patch', 'pod', 'web', '-p', '{"metadata":{"labels":{"s":"1"}}}']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'pod/web patched\n');
      r = await k(['patch', 'pod', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"m":"2"}}}']);
      assert.equal(r.stdout, 'pod/web patched\n', r.stderr);
      r = await k(['patch', 'pod', 'web', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/j","value":"3"}]']);
      assert.equal(r.stdout, 'pod/web patched\n', r.stderr);
      const p = await getPod('web');
      assert.deepEqual({s: p.metadata.labels.s, m: p.metadata.labels.m, j: p.metadata.labels.j}, {s: '1', m: '2', j: '3'});
      r = await k(['patch', 'pod', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"m":"2"}}}']);
      assert.equal(r.stdout, 'pod/web patched (no change)\n', r.stderr);
      r = await k(['patch', 'pod', 'web', '--type=json', '-p', '[{"op":"test","path":"/metadata/labels/m","value":"x"}]']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'The request is invalid: the server rejected our request due to an error in our request\n');
    });

    await t.test('apply --server-side creates then updates', async () => {
      const m = podManifest('ssa', {labels: {app: 'ssa'}});
      let r = await k(['apply', '--server-side', '-f', yamlFile(tmp, 'ssa.yaml', m)]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'pod/ssa serverside-applied\n');
      m.metadata.labels.tier = 'gold';
      r = await k(['apply', '--server-side', '-f', yamlFile(tmp, 'ssa.yaml', m)]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'pod/ssa serverside-applied\n');
      assert.equal((await getPod('ssa')).metadata.labels.tier, 'gold');
    });

    await t.test('get -w sees a change arrive', async () => {
      const child = spawn(bin, [`--cache-dir=${path.join(tmp, 'cache')}`, 'get', 'pod', 'web', '-w',
                                '-o', 'jsonpath={.metadata.name}:{.metadata.labels.w}{"\\n"}'], {env});
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      try {
        await waitFor('initial watch line', () => out.includes('web:\n'), 60000); // generous: kubectl on a busy machine
        const r = await api('PATCH', '/api/v1/namespaces/default/pods/web', {metadata: {labels: {w: 'changed'}}}, 'application/merge-patch+json');
        assert.equal(r.status, 200, r.text);
        await waitFor('watched change', () => out.includes('web:changed\n'), 60000);
      } finally {
        child.kill('SIGKILL');
      }
    });

    await t.test('errors print as against a real cluster', async () => {
      let r = await k(['get', 'pod', 'nope']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'Error from server (NotFound): pods "nope" not found\n');
      // Conflict: replace with a stale resourceVersion.
      const p = await getPod('web');
      await api('PATCH', '/api/v1/namespaces/default/pods/web', {metadata: {labels: {bump: '1'}}}, 'application/merge-patch+json');
      const f = yamlFile(tmp, 'stale.yaml', {apiVersion: 'v1', kind: 'Pod', ...p});
      r = await k(['replace', '-f', f]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Error from server (Conflict): error when replacing "${f}": Operation cannot be fulfilled on pods "web": ` +
                   'the object has been modified; please apply your changes to the latest version and try again\n');
      // Forbidden, as RBAC answers it: on the simulator an injected fault, on
      // a real apiserver RBAC itself (the admin impersonates a service account).
      if (REAL) {
        r = await k(['get', 'pod', 'secret', '--as=system:serviceaccount:default:warm']);
      } else {
        const f403 = await sim.ctl('POST', 'faults', {match: {verb: 'get', resource: 'pods', name: 'secret'}, code: 403,
                                                      user: 'system:serviceaccount:default:warm', count: 1});
        assert.equal(f403.status, 201, f403.text);
        r = await k(['get', 'pod', 'secret']);
      }
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'Error from server (Forbidden): pods "secret" is forbidden: User "system:serviceaccount:default:warm" ' +
                   'cannot get resource "pods" in API group "" in the namespace "default"\n');
      // Forbidden from the authorizer (the simulator's, or RBAC): a read-only token may get but not delete.
      // Forbidden from the authorizer: a read-only token may get but not delete.
      const ro = path.join(tmp, 'ro-kubeconfig');
      fs.writeFileSync(ro, fs.readFileSync(sim.info.kubeconfig, 'utf8').split(sim.info.token).join('read-only-token'));
      const kro = kubectlRunner(bin, {...env, KUBECONFIG: ro}, path.join(tmp, 'cache-ro'));
      assert.equal((await kro(['get', 'pod', 'web', '-o', 'name'])).stdout, 'pod/web\n');
      r = await kro(['delete', 'pod', 'web']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^Error from server \(Forbidden\): pods "web" is forbidden: User "[^"]+" cannot delete resource "pods" in API group "" in the namespace "default"\n$/);
      // Unauthorized: a kubeconfig with a wrong token.
      const bad = path.join(tmp, 'bad-kubeconfig');
      fs.writeFileSync(bad, fs.readFileSync(sim.info.kubeconfig, 'utf8').split(sim.info.token).join('wrong-token'));
      r = await kubectlRunner(bin, {...env, KUBECONFIG: bad}, path.join(tmp, 'cache-bad'))(['get', 'pods']);
      assert.equal(r.code, 1);
      // kubectl >= 1.26 fails in cached discovery first; real clusters print the same lines.
      // (kubectl >= 1.34 logs it structured: "Couldn't get current server API group list" err="...").
      assert.match(r.stderr, /[Cc]ouldn't get current server API group list(: |" err=")the server has asked for the client to provide credentials/);
      assert.match(r.stderr, /\nerror: You must be logged in to the server \(the server has asked for the client to provide credentials\)\n$/);
    });

    if (!REAL) await t.test('a crashed container shows its restart in kubectl get', async () => {
      assert.equal((await sim.ctl('POST', 'pods/default/ssa/crash', {exitCode: 3})).status, 200);
      const r = await k(['wait', '--for=jsonpath={.status.containerStatuses[0].restartCount}=1', 'pod/ssa', '--timeout=30s']);
      assert.equal(r.code, 0, r.stderr);
      await k(['wait', '--for=condition=Ready', 'pod/ssa', '--timeout=30s']);
      const g = await k(['get', 'pod', 'ssa', '--no-headers']);
      assert.match(g.stdout, /^ssa\s+1\/1\s+Running\s+1 \(\d+s ago\)\s+\d+s\n$/);
    });

    if (!REAL) await t.test('429 with Retry-After is retried by kubectl', async () => {
      const f = await sim.ctl('POST', 'faults', {match: {verb: 'get', resource: 'pods', name: 'web'}, code: 429, retryAfter: 1, count: 2});
      assert.equal(f.status, 201, f.text);
      const r = await k(['get', 'pod', 'web', '-o', 'name']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'pod/web\n');
      assert.deepEqual((await sim.ctl('GET', 'faults')).json.rules, [], 'both injected 429s were consumed');
    });

    await t.test('delete waits for the kubelet to finish', async () => {
      const r = await k(['delete', 'pod', 'web']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^pod "web" deleted/);
      assert.equal((await api('GET', '/api/v1/namespaces/default/pods/web')).status, 404);
    });
  });
}

'use strict';
// Checklist 12: discovery documents, /version, and real kubectl against them.
const {describe, it, before, after} = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {execFile} = require('node:child_process');
const {startSim, h1, fixtureJSON, API_ONLY, useSim} = require('./client.js');

const SDK = '/usr/lib/google-cloud-sdk/bin';

describe('discovery', () => {
  let sim;
  let c;
  useSim((s, client) => {
    sim = s;
    c = client;
  });

  it('serves /api as APIVersions', async () => {
    const r = await c.request('GET', '/api', {headers: {Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json'}});
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.text, JSON.stringify(r.json) + '\n');
    const real = fixtureJSON('discovery/api.json');
    assert.equal(r.json.kind, real.kind);
    assert.deepEqual(r.json.versions, real.versions);
    assert.equal(r.json.serverAddressByClientCIDRs[0].clientCIDR, '0.0.0.0/0');
  });

  it('serves /api/v1 with the real entries of every advertised resource', async () => {
    const r = await c.request('GET', '/api/v1');
    const real = fixtureJSON('discovery/api__v1.json');
    assert.equal(r.json.kind, 'APIResourceList');
    assert.equal(r.json.groupVersion, 'v1');
    const names = r.json.resources.map((x) => x.name);
    for (const want of ['pods', 'pods/status', 'pods/binding', 'namespaces', 'nodes', 'events']) assert.ok(names.includes(want), want);
    for (const res of r.json.resources) {
      const ref = real.resources.find((x) => x.name === res.name);
      assert.ok(ref, `${res.name} exists on a real server`);
      assert.deepEqual(res, ref, res.name);
    }
  });

  it('serves /apis and /apis/coordination.k8s.io/v1 like the real server', async () => {
    const g = await c.request('GET', '/apis');
    assert.equal(g.json.kind, 'APIGroupList');
    const coord = g.json.groups.find((x) => x.name === 'coordination.k8s.io');
    assert.deepEqual(coord.preferredVersion, {groupVersion: 'coordination.k8s.io/v1', version: 'v1'});
    const v1 = await c.request('GET', '/apis/coordination.k8s.io/v1');
    assert.deepEqual(v1.json, fixtureJSON('discovery/apis__coordination.k8s.io__v1.json'));
    const grp = await c.request('GET', '/apis/coordination.k8s.io');
    assert.equal(grp.json.kind, 'APIGroup');
  });

  it('serves /version without a token, and 404s unknown paths with a Status', async () => {
    const v = await c.request('GET', '/version', {token: ''});
    assert.equal(v.status, 200);
    assert.equal(v.json.major, '1');
    assert.match(v.json.gitVersion, /^v1\.\d+\.\d+$/);
    const nf = await c.request('GET', '/apis/apps/v1/deployments');
    assert.equal(nf.status, 404);
    assert.equal(nf.json.reason, 'NotFound');
  });
});

function kubectlRunner(version, env) {
  const bin = path.join(SDK, `kubectl.${version}`);
  return (args, input) => new Promise((resolve) => {
    const child = execFile(bin, args, {env, timeout: 30000}, (err, stdout, stderr) => resolve({code: err ? err.code || 1 : 0, stdout, stderr}));
    if (input !== undefined) child.stdin.end(input); else child.stdin.end();
  });
}

for (const version of ['1.27', '1.33']) {
  describe(`kubectl ${version}`, {skip: !fs.existsSync(path.join(SDK, `kubectl.${version}`)) && 'not installed'}, () => {
    let sim;
    let home;
    let k;
    before(async () => {
      sim = await startSim({args: API_ONLY});
      home = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-sim-kubectl-'));
      k = kubectlRunner(version, {...process.env, HOME: home, KUBECONFIG: sim.kubeconfig});
    });
    after(async () => {
      fs.rmSync(home, {recursive: true, force: true});
      await sim.stop();
    });

    it('creates (with validation), gets, patches and deletes pods', async () => {
      const manifest = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: foo\n  labels:\n    app: web\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n';
      let r = await k(['create', '-f', '-'], manifest);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /pod\/foo created/);
      r = await k(['get', 'pods']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
      assert.match(r.stdout, /^foo\s+0\/1\s+Pending\s+0\s+\d+s$/m);
      r = await k(['get', 'pods', '-A', '-o', 'wide']);
      assert.match(r.stdout, /^default\s+foo\s+0\/1\s+Pending/m);
      r = await k(['get', 'pods', '--sort-by=.status.phase']);
      assert.match(r.stdout, /^foo\s+0\/1\s+Pending/m, 'sort-by needs full row objects (includeObject=Object)');
      r = await k(['get', 'ns']);
      assert.match(r.stdout, /^kube-system\s+Active/m);
      for (const args of [['--type=merge', '-p', '{"metadata":{"labels":{"pool":"warm"}}}'], ['-p', '{"metadata":{"labels":{"session":"s1"}}}'],
        ['--type=json', '-p', '[{"op":"add","path":"/metadata/labels/bound","value":"true"}]']]) {
        r = await k(['patch', 'pod', 'foo', ...args]);
        assert.equal(r.code, 0, r.stderr);
      }
      r = await k(['get', 'pod', 'foo', '-o', 'jsonpath={.metadata.labels}']);
      assert.deepEqual(JSON.parse(r.stdout), {app: 'web', pool: 'warm', session: 's1', bound: 'true'});
      // kubectl-create owns the label it created: taking it over needs --force-conflicts, as on a real server.
      const changed = manifest.replace('app: web', 'app: api');
      r = await k(['apply', '--server-side', '--field-manager=warm-pool', '-f', '-'], changed);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "kubectl-create" using v1: \.metadata\.labels\.app/);
      r = await k(['apply', '--server-side', '--field-manager=warm-pool', '--force-conflicts', '-f', '-'], changed);
      assert.equal(r.code, 0, r.stderr);
      r = await k(['get', 'pods', '-l', 'app=api', '-o', 'name']);
      assert.equal(r.stdout.trim(), 'pod/foo');
      r = await k(['delete', 'pod', 'foo', '--wait=false']);
      assert.equal(r.code, 0, r.stderr);
      r = await k(['get', 'pods', '-o', 'json']);
      assert.deepEqual(JSON.parse(r.stdout).items, []);
    });

    it('watches with get -w', async () => {
      assert.equal((await k(['run', 'w0', '--image=busybox:1.36', '--restart=Never'])).code, 0);
      const bin = path.join(SDK, `kubectl.${version}`);
      const child = require('node:child_process').spawn(bin, ['get', 'pods', '-w', '--request-timeout=20s'],
        {env: {...process.env, HOME: home, KUBECONFIG: sim.kubeconfig}});
      let out = '';
      const waiters = [];
      child.stdout.on('data', (d) => { out += d; for (const w of waiters.splice(0)) w(); });
      const until = async (re) => {
        const end = Date.now() + 15000;
        while (!re.test(out)) {
          assert.ok(Date.now() < end, `no match for ${re} in: ${out}`);
          await new Promise((r) => { waiters.push(r); setTimeout(r, 200); });
        }
      };
      try {
        // The initial list is printed first; the watch continues from its RV.
        await until(/^w0\s+0\/1\s+Pending/m);
        const r = await k(['run', 'w1', '--image=busybox:1.36', '--restart=Never']);
        assert.equal(r.code, 0, r.stderr);
        await until(/^w1\s+0\/1\s+Pending/m);
        await k(['label', 'pod', 'w1', 'x=y']);
        await until(/^w1[^\n]*\n[^]*^w1\s/m);
      } finally {
        child.kill();
      }
    });
  });
}

describe('protobuf bodies', () => {
  it('decodes what kubectl create namespace, drain and auth can-i send', {skip: !fs.existsSync(path.join(SDK, 'kubectl.1.33')) && 'not installed'}, async () => {
    const sim = await startSim({args: API_ONLY, nodes: 1, readonlyTokens: ['ro-token']});
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-sim-kubectl-'));
    const k = kubectlRunner('1.33', {...process.env, HOME: home, KUBECONFIG: sim.kubeconfig});
    const c = h1(sim);
    try {
      const r = await k(['create', 'namespace', 'team-a']);
      assert.equal(r.code, 0, r.stderr);
      const ns = (await c.request('GET', '/api/v1/namespaces/team-a')).json;
      assert.equal(ns.metadata.generateName, undefined);
      assert.deepEqual(ns.metadata.labels, {'kubernetes.io/metadata.name': 'team-a'});
      assert.equal(ns.status.phase, 'Active');
      // kubectl drain deletes with protobuf DeleteOptions; auth can-i posts a protobuf review.
      const p = {metadata: {name: 'd1'}, spec: {nodeName: 'sim-node-1', terminationGracePeriodSeconds: 1,
        containers: [{name: 'c', image: 'busybox:1.36'}]}};
      assert.equal((await c.request('POST', '/api/v1/namespaces/default/pods', {body: p})).status, 201);
      const drain = await k(['drain', 'sim-node-1', '--force', '--timeout=20s']);
      assert.equal(drain.code, 0, drain.stderr);
      assert.match(drain.stdout, /node\/sim-node-1 drained/);
      assert.equal((await c.request('GET', '/api/v1/namespaces/default/pods/d1')).status, 404);
      assert.equal((await c.request('GET', '/api/v1/nodes/sim-node-1')).json.spec.unschedulable, true);
      const yes = await k(['auth', 'can-i', 'create', 'pods']);
      assert.equal(yes.stdout.trim(), 'yes');
      const no = await k(['auth', 'can-i', 'delete', 'pods', '--token=ro-token']);
      assert.equal(no.stdout.trim(), 'no');
      const junk = await c.request('POST', '/api/v1/namespaces', {body: 'k8s\u0000\u00ff', headers: {'Content-Type': 'application/vnd.kubernetes.protobuf'}});
      assert.equal(junk.status, 400);
      const pod = await c.request('POST', '/api/v1/namespaces/default/pods', {body: 'not protobuf', headers: {'Content-Type': 'application/vnd.kubernetes.protobuf'}});
      assert.equal(pod.status, 400);
    } finally {
      c.close();
      fs.rmSync(home, {recursive: true, force: true});
      await sim.stop();
    }
  });
});

'use strict';
// Checklist 11: TLS with the test CA, bearer tokens (401/403), token file
// rotation, and the exec-plugin flow with the real gke-gcloud-auth-plugin.
const {describe, it, before, after} = require('node:test');
const assert = require('node:assert/strict');
const https = require('node:https');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {execFile} = require('node:child_process');
const {startSim, h1, h2, pod, API_ONLY} = require('./client.js');

const NS = '/api/v1/namespaces/default';
const SDK = '/usr/lib/google-cloud-sdk/bin';
const UNAUTHORIZED = '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n';

function tlsGet(sim, opts) {
  return new Promise((resolve) => {
    const u = new URL('/version', sim.server);
    const req = https.request({host: opts.host || u.hostname, port: u.port, path: '/version', agent: false, ...opts},
      (res) => { res.resume(); res.on('end', () => resolve({status: res.statusCode})); });
    req.on('error', (e) => resolve({error: e.code}));
    req.end();
  });
}

describe('authentication and TLS', () => {
  let sim;
  before(async () => {
    sim = await startSim({args: API_ONLY, tokens: ['admin-token'], readonlyTokens: ['ro-token'],
      namespaceTokens: ['ns-token=team-a']});
  });
  after(async () => {
    await sim.stop();
  });

  it('serves TLS that verifies only with the test CA, for 127.0.0.1 and localhost', async () => {
    assert.equal((await tlsGet(sim, {ca: sim.caPem})).status, 200);
    assert.equal((await tlsGet(sim, {ca: sim.caPem, host: 'localhost'})).status, 200);
    const untrusted = await tlsGet(sim, {});
    assert.match(String(untrusted.error), /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    const pem = fs.readFileSync(path.join(sim.dir, 'ca.crt'), 'utf8');
    assert.match(pem, /^-----BEGIN CERTIFICATE-----/);
    const kc = fs.readFileSync(sim.kubeconfig, 'utf8');
    assert.ok(kc.includes(`server: ${sim.server}`));
    assert.ok(kc.includes(`certificate-authority-data: ${Buffer.from(pem).toString('base64')}`));
    assert.ok(kc.includes('token: admin-token'));
  });

  it('answers a missing or wrong bearer token with the 401 Status (HTTP/1.1 and HTTP/2)', async () => {
    const c = h1(sim);
    const s = h2(sim);
    for (const token of ['', 'wrong']) {
      for (const r of [await c.request('GET', `${NS}/pods`, {token}), await s.request('GET', `${NS}/pods`, {token})]) {
        assert.equal(r.status, 401);
        assert.equal(r.text, UNAUTHORIZED);
        assert.ok(r.headers['audit-id']);
        assert.equal(r.headers['x-kubernetes-pf-flowschema-uid'], undefined, 'authentication runs before APF');
      }
    }
    assert.equal((await c.request('GET', '/version', {token: ''})).status, 200);
    assert.equal((await c.request('GET', '/api', {token: ''})).status, 401);
    assert.equal(sim.token, 'admin-token', 'the greeting names the first --token');
    assert.equal((await c.request('GET', `${NS}/pods`, {token: 'admin-token'})).status, 200);
    c.close();
    s.close();
  });

  it('answers a read-only or namespace-bound token with 403 outside its rights', async () => {
    const c = h1(sim);
    assert.equal((await c.request('GET', `${NS}/pods`, {token: 'ro-token'})).status, 200);
    const w = await c.request('POST', `${NS}/pods`, {token: 'ro-token', body: pod('x')});
    assert.equal(w.status, 403);
    assert.equal(w.json.reason, 'Forbidden');
    assert.equal(w.json.message, 'pods is forbidden: User "sim-readonly" cannot create resource "pods" in API group "" in the namespace "default"');
    await c.request('POST', '/api/v1/namespaces', {token: 'admin-token', body: {metadata: {name: 'team-a'}}});
    assert.equal((await c.request('POST', '/api/v1/namespaces/team-a/pods', {token: 'ns-token', body: pod('y')})).status, 201);
    const other = await c.request('GET', `${NS}/pods/y`, {token: 'ns-token'});
    assert.equal(other.status, 403);
    assert.equal(other.json.message, 'pods "y" is forbidden: User "sim-namespaced" cannot get resource "pods" in API group "" in the namespace "default"');
    assert.equal((await c.request('GET', '/api/v1/pods', {token: 'ns-token'})).status, 403);
    c.close();
  });
});

describe('token file rotation', () => {
  it('accepts the token currently in DIR/token and nothing older', async () => {
    const sim = await startSim({args: API_ONLY});
    const c = h1(sim);
    try {
      assert.equal((await c.request('GET', `${NS}/pods`)).status, 200);
      const file = path.join(sim.dir, 'token');
      assert.equal(fs.readFileSync(file, 'utf8').trim(), sim.token);
      fs.writeFileSync(`${file}.new`, 'rotated-token\n');
      fs.renameSync(`${file}.new`, file);
      assert.equal((await c.request('GET', `${NS}/pods`)).status, 401);
      assert.equal((await c.request('GET', `${NS}/pods`, {token: 'rotated-token'})).status, 200);
    } finally {
      c.close();
      await sim.stop();
    }
  });
});

describe('exec credential plugin', () => {
  const kubectl = path.join(SDK, 'kubectl.1.33');
  const plugin = path.join(SDK, 'gke-gcloud-auth-plugin');
  const have = fs.existsSync(kubectl) && fs.existsSync(plugin);

  it('authenticates kubectl through gke-gcloud-auth-plugin with a seeded cache', {skip: !have && 'kubectl/plugin not installed'}, async () => {
    const sim = await startSim({args: API_ONLY, tokens: ['ya29.SIM-EXEC-TOKEN']});
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-sim-exec-'));
    try {
      const name = 'gke_example-project_us-central1_example-cluster';
      const ca = Buffer.from(sim.caPem).toString('base64');
      fs.writeFileSync(path.join(dir, 'config'), `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${ca}
    server: ${sim.server}
  name: ${name}
contexts:
- context:
    cluster: ${name}
    user: ${name}
  name: ${name}
current-context: ${name}
kind: Config
preferences: {}
users:
- name: ${name}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      installHint: Install gke-gcloud-auth-plugin for use with kubectl by following
        https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin
      provideClusterInfo: true
`);
      const expiry = new Date(Date.now() + 3600e3).toISOString().replace(/\.\d{3}Z$/, 'Z');
      fs.writeFileSync(path.join(dir, 'gke_gcloud_auth_plugin_cache'), JSON.stringify({current_context: name,
        access_token: 'ya29.SIM-EXEC-TOKEN', token_expiry: expiry, extra_args: ''}));
      const env = {...process.env, KUBECONFIG: path.join(dir, 'config'), HOME: dir, PATH: `${SDK}:${process.env.PATH}`};
      const out = await new Promise((resolve) => execFile(kubectl, ['get', 'namespaces', '-o', 'name'], {env, timeout: 30000},
        (err, stdout, stderr) => resolve({err, stdout, stderr})));
      assert.equal(out.err, null, out.stderr);
      assert.match(out.stdout, /^namespace\/default$/m);
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
      await sim.stop();
    }
  });
});

describe('client certificates', () => {
  const {execFileSync} = require('node:child_process');
  const http2 = require('node:http2');

  function mkcert(dir, name, subj, caDir) {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    const run = (args) => execFileSync('openssl', args, {cwd: dir, stdio: ['ignore', 'ignore', 'pipe']});
    if (caDir) {
      run(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
      run(['x509', '-req', '-in', `${name}.csr`, '-CA', path.join(caDir, 'ca.crt'), '-CAkey', path.join(caDir, 'ca.key'),
        '-CAcreateserial', '-out', `${name}.crt`, '-days', '1']);
    } else {
      run(['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', subj]);
    }
    return {cert: fs.readFileSync(path.join(dir, `${name}.crt`)), key: fs.readFileSync(path.join(dir, `${name}.key`))};
  }

  function get1(sim, creds, method = 'GET', p = '/api/v1/namespaces/default/pods') {
    return new Promise((resolve, reject) => {
      const u = new URL(p, sim.server);
      const req = https.request({host: u.hostname, port: u.port, path: u.pathname, method, ca: sim.caPem, agent: false,
        ...creds, headers: method === 'POST' ? {'Content-Type': 'application/json'} : {}}, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      req.end(method === 'POST' ? JSON.stringify(pod('cert-pod')) : undefined);
    });
  }

  function get2(sim, creds) {
    return new Promise((resolve, reject) => {
      const s = http2.connect(sim.server, {ca: sim.caPem, ...creds});
      s.on('error', reject);
      const r = s.request({':path': '/api/v1/namespaces/default/pods'});
      r.on('response', (h) => { r.resume(); r.on('end', () => { s.close(); resolve(h[':status']); }); });
      r.end();
    });
  }

  it('authenticates a certificate signed by the CA by its CN, over HTTP/1.1 and HTTP/2', async () => {
    const sim = await startSim({args: API_ONLY});
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-sim-certs-'));
    try {
      const admin = {cert: fs.readFileSync(path.join(sim.dir, 'client.crt')), key: fs.readFileSync(path.join(sim.dir, 'client.key'))};
      assert.equal(await get1(sim, admin), 200);
      assert.equal(await get2(sim, admin), 200);
      assert.equal(await get1(sim, admin, 'POST'), 201);
      assert.equal(await get1(sim, {}), 401);
      const foreign = mkcert(tmp, 'foreign', '/O=system:masters/CN=intruder');
      assert.equal(await get1(sim, foreign), 401);
      assert.equal(await get2(sim, foreign), 401);
      const ro = mkcert(tmp, 'ro', '/CN=sim-readonly', sim.dir);
      assert.equal(await get1(sim, ro), 200);
      assert.equal(await get1(sim, ro, 'POST'), 403);
      const kc = fs.readFileSync(path.join(sim.dir, 'kubeconfig-cert'), 'utf8');
      assert.match(kc, /client-certificate-data: /);
      assert.match(kc, /client-key-data: /);
      assert.doesNotMatch(kc, /token:/);
    } finally {
      fs.rmSync(tmp, {recursive: true, force: true});
      await sim.stop();
    }
  });
});

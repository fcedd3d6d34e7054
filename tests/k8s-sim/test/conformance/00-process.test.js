'use strict';
// The process contract other suites rely on: one greeting line on stdout,
// files in DIR, logs on stderr, clean exit on SIGTERM/SIGINT even with
// open watches.
const {describe, it} = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {spawn} = require('node:child_process');
const http2 = require('node:http2');
const {watch, h1, waitFor} = require('./client.js');

const SIM = path.resolve(__dirname, '../../sim.js');

function run(args) {
  const child = spawn(process.execPath, [SIM, ...args], {stdio: ['ignore', 'pipe', 'pipe']});
  const p = {child, stdout: '', stderr: ''};
  child.stdout.on('data', (d) => { p.stdout += d; });
  child.stderr.on('data', (d) => { p.stderr += d; });
  p.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({code, signal})));
  p.greeting = new Promise((resolve, reject) => {
    child.stdout.on('data', () => { if (p.stdout.includes('\n')) resolve(JSON.parse(p.stdout.split('\n')[0])); });
    p.exit.then(() => reject(new Error(`exited early: ${p.stderr}`)));
  });
  p.greeting.catch(() => {});
  return p;
}

describe('process contract', () => {
  for (const sig of ['SIGTERM', 'SIGINT']) {
    it(`prints one greeting line, writes DIR files and exits 0 on ${sig} with open watches`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-sim-proc-'));
      const p = run(['--port', '0', '--dir', dir, '--no-modules']);
      try {
        const g = await p.greeting;
        assert.deepEqual(Object.keys(g), ['server', 'kubeconfig', 'ca', 'token', 'dir', 'pid']);
        assert.match(g.server, /^https:\/\/127\.0\.0\.1:\d+$/);
        assert.equal(g.kubeconfig, path.join(dir, 'kubeconfig'));
        assert.equal(g.ca, path.join(dir, 'ca.crt'));
        assert.equal(g.dir, dir);
        assert.equal(g.pid, p.child.pid);
        assert.equal(fs.readFileSync(path.join(dir, 'token'), 'utf8').trim(), g.token);
        const sim = {...g, caPem: fs.readFileSync(g.ca)};
        const c = h1(sim);
        assert.equal((await c.request('GET', '/api/v1/namespaces/default/pods')).status, 200);
        c.close();
        const w1 = await watch(sim, '/api/v1/pods?watch=1');
        const w2 = await watch(sim, '/api/v1/pods?watch=1', {proto: 'h2'});
        p.child.kill(sig);
        const {code} = await p.exit;
        assert.equal(code, 0);
        await Promise.all([w1.ended, w2.ended]);
        assert.equal(w1.cleanEnd, true, 'the HTTP/1.1 watch got its last chunk');
        assert.equal(w2.cleanEnd, true, 'the HTTP/2 watch got END_STREAM');
        assert.equal(p.stdout.split('\n').filter(Boolean).length, 1, 'stdout holds only the greeting');
        assert.match(p.stderr, /listening on https:\/\/127\.0\.0\.1:/);
      } finally {
        p.child.kill('SIGKILL');
        fs.rmSync(dir, {recursive: true, force: true});
      }
    });
  }

  it('on SIGTERM sends one GOAWAY(NO_ERROR) covering every h2 request received and answers them all', async () => {
    const p = run(['--port', '0', '--modules', 'control,faults']);
    let session;
    try {
      const g = await p.greeting;
      const sim = {...g, caPem: fs.readFileSync(g.ca)};
      const c = h1(sim);
      // Creates take 300 ms, so they are in flight when the signal comes.
      const f = await c.request('POST', '/_sim/faults', {token: '', body: {match: {verb: 'create'}, latencyMs: 300}});
      assert.equal(f.status, 201, f.text);
      session = http2.connect(sim.server, {ca: sim.caPem});
      const goaways = [];
      session.on('goaway', (code, last) => goaways.push({code, last}));
      session.on('error', () => {});
      const sent = [];
      const answers = [];
      for (let i = 0; i < 8; i++) {
        const st = session.request({':method': 'POST', ':path': '/api/v1/namespaces/default/pods',
          'authorization': `Bearer ${g.token}`, 'content-type': 'application/json'});
        sent.push(st);
        answers.push(new Promise((resolve) => {
          let status = 0;
          st.on('response', (h) => { status = h[':status']; });
          st.on('data', () => {});
          st.on('close', () => resolve(status));
          st.on('error', () => {});
        }));
        st.end(JSON.stringify({apiVersion: 'v1', kind: 'Pod', metadata: {generateName: 'drain-'},
          spec: {containers: [{name: 'c', image: 'x'}]}}));
      }
      await waitFor('the creates in flight',
                    async () => (await c.request('GET', '/_sim/stats', {token: ''})).json.inflight >= 8, 5000);
      c.close();
      p.child.kill('SIGTERM');
      assert.deepEqual(await Promise.all(answers), sent.map(() => 201));
      assert.equal((await p.exit).code, 0);
      assert.equal(goaways.length, 1);
      assert.equal(goaways[0].code, http2.constants.NGHTTP2_NO_ERROR);
      assert.ok(goaways[0].last >= Math.max(...sent.map((st) => st.id)), JSON.stringify(goaways));
    } finally {
      if (session) session.destroy();
      p.child.kill('SIGKILL');
    }
  });

  it('rejects bad options with exit code 2', async () => {
    const p = run(['--port', 'abc']);
    const {code} = await p.exit;
    assert.equal(code, 2);
    assert.match(p.stderr, /--port needs a number/);
  });
});

#!/usr/bin/env node
'use strict';
// Throughput of the Kubernetes API simulator (tests/k8s-sim), printed as
// figures; never fails on a number. Bounded: about 20 s in all (<= 30 s).
// The simulator's only benchmark.
//
//   node bench/k8s_sim_bench.js [--seconds S] [--pods N] [--watchers W]
//
// Phases: pod GETs over one HTTP/2 connection (concurrent streams), pod GETs
// over HTTP/1.1 keep-alive (several connections), pod creates over HTTP/2
// (each pod then scheduled and started by the simulated kubelets), and watch
// fan-out: W watchers of all pods while N pods are patched, counting events
// delivered per second across watchers; then one full list of every pod and
// a paged walk (limit=500).

const https = require('node:https');
const {startSim, waitFor} = require('../tests/k8s-sim/test/nodes/harness.js');

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

const SECONDS = Math.min(arg('seconds', 3), 5);
const PODS = Math.min(arg('pods', 3000), 5000);
const WATCHERS = Math.min(arg('watchers', 100), 100);
const NS = '/api/v1/namespaces/default/pods';

// Runs `worker` with `concurrency` loops for `seconds`; returns ops/s.
async function closedLoop(seconds, concurrency, op) {
  const end = Date.now() + seconds * 1000;
  let n = 0;
  let errors = 0;
  const loop = async () => {
    while (Date.now() < end) {
      const r = await op(n);
      if (r.status >= 200 && r.status < 300) n++;
      else errors++;
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({length: concurrency}, loop));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return {rate: n / secs, n, errors};
}

function pod(name) {
  return {apiVersion: 'v1', kind: 'Pod', metadata: {name, labels: {app: 'bench'}},
          spec: {containers: [{name: 'app', image: 'nginx'}]}};
}

async function main() {
  const sim = await startSim(['--nodes', '20', '--node-capacity', 'pods=1000', '--kubelet-events', 'false',
                              '--scheduler-events', 'false', '--pull-delay', 'fixed:5', '--start-delay', 'fixed:5']);
  const out = (label, v) => process.stdout.write(`${label.padEnd(56)} ${v}\n`);
  try {
    out('k8s-sim bench', `(node ${process.version}, ${SECONDS}s per phase)`);
    await sim.request('POST', NS, {body: pod('target')});

    let r = await closedLoop(SECONDS, 32, () => sim.request2('GET', `${NS}/target`));
    out('GET pod, HTTP/2, 1 connection x 32 streams', `${r.rate.toFixed(0)} req/s (${r.errors} errors)`);

    const agent = new https.Agent({keepAlive: true, maxSockets: 8, ca: sim.ca});
    r = await closedLoop(SECONDS, 8, () => sim.request('GET', `${NS}/target`, {agent}));
    out('GET pod, HTTP/1.1 keep-alive, 8 connections', `${r.rate.toFixed(0)} req/s (${r.errors} errors)`);
    agent.destroy();

    r = await closedLoop(SECONDS, 16, (i) => sim.request2('POST', NS, {body: pod(`c-${i}-${Math.random().toString(36).slice(2, 8)}`)}));
    out('create pod, HTTP/2, 16 streams (scheduler+kubelet on)', `${r.rate.toFixed(0)} req/s (${r.errors} errors)`);
    const total = (await sim.request2('GET', `${NS}?limit=1`)).json;
    out('pods in the store after the create phase', `${1 + (total.metadata.remainingItemCount || 0)}`);

    r = await closedLoop(SECONDS, 16, () => sim.request2('GET', `${NS}?limit=500`));
    out('list 500 pods, HTTP/2, 16 streams', `${r.rate.toFixed(0)} lists/s (${r.errors} errors)`);

    // Watch fan-out.
    const names = [];
    while (names.length < PODS) {
      const batch = [];
      for (let i = 0; i < 64 && names.length + batch.length < PODS; i++) {
        const n = `w-${names.length + batch.length}`;
        batch.push(sim.request2('POST', NS, {body: pod(n)}).then(() => n));
      }
      names.push(...await Promise.all(batch));
    }
    const rv = (await sim.request2('GET', `${NS}?limit=1`)).json.metadata.resourceVersion;
    let delivered = 0;
    const watches = [];
    for (let i = 0; i < WATCHERS; i++) {
      watches.push(sim.watch(`${NS}?watch=1&resourceVersion=${rv}&labelSelector=app%3Dbench`, () => { delivered++; }));
    }
    await waitFor('watchers open', async () => (await sim.ctl('GET', 'stats')).json.watches.open >= WATCHERS, 10000);
    const before = delivered;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < PODS; i += 64) {
      await Promise.all(names.slice(i, i + 64).map((n) => sim.request2('PATCH', `${NS}/${n}`, {
        body: {metadata: {annotations: {bench: String(i)}}}, contentType: 'application/merge-patch+json'})));
    }
    const writeSecs = Number(process.hrtime.bigint() - t0) / 1e9;
    const expected = before + PODS * WATCHERS;
    try {
      await waitFor('all watch events', () => delivered >= expected, 15000, 5);
    } catch (e) {
      out('watch fan-out incomplete', `${delivered - before} of ${PODS * WATCHERS} events`);
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    out(`patch ${PODS} pods (64 in flight) while ${WATCHERS} watch`, `${(PODS / writeSecs).toFixed(0)} patches/s`);
    out(`watch events delivered (${WATCHERS} watchers)`, `${((delivered - before) / secs).toFixed(0)} events/s ` +
        `(${delivered - before} in ${secs.toFixed(2)} s)`);
    for (const w of watches) w.req.destroy();

    // Listing everything: one full list and a paged walk (limit=500).
    let t = process.hrtime.bigint();
    const full = await sim.request2('GET', NS);
    const listMs = Number(process.hrtime.bigint() - t) / 1e6;
    out(`list all ${full.json.items.length} pods, HTTP/2, one request`,
        `${listMs.toFixed(0)} ms (${(Buffer.byteLength(full.text) / 1e6).toFixed(1)} MB)`);
    t = process.hrtime.bigint();
    let cont = '';
    let pages = 0;
    do {
      const r = await sim.request2('GET', `${NS}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      cont = r.json.metadata.continue || '';
      pages++;
    } while (cont);
    out(`paged list of all pods (limit=500, ${pages} pages)`, `${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0)} ms`);
  } finally {
    await sim.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`k8s_sim_bench: ${e.stack || e}\n`);
  process.exit(1);
});

'use strict';
// Simulator throughput figures (prints numbers, asserts nothing):
//   node tests/k8s-sim/bench/api-bench.js [pods=5000] [watchers=1000] [concurrency=64]
// Starts an API-only simulator, opens W watches on HTTP/2 (100 streams per
// connection, as the apiserver allows), creates P pods over HTTP/2 with C in
// flight, waits until every watcher has seen every ADDED event, then times a
// full list and a paged list (limit=500) and deletes everything.

const http2 = require('node:http2');
const {startSim} = require('../lib/spawn.js');

const P = Number(process.argv[2] || 5000);
const W = Number(process.argv[3] || 1000);
const C = Number(process.argv[4] || 64);

function req(session, sim, method, path, body) {
  return new Promise((resolve, reject) => {
    const h = {':method': method, ':path': path, authorization: `Bearer ${sim.token}`};
    if (body) h['content-type'] = 'application/json';
    const s = session.request(h);
    let status = 0;
    const chunks = [];
    s.on('response', (x) => { status = x[':status']; });
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => resolve({status, text: Buffer.concat(chunks).toString()}));
    s.on('error', reject);
    s.end(body ? JSON.stringify(body) : undefined);
  });
}

async function main() {
  const sim = await startSim({args: ['--modules', 'control']});
  const sessions = [];
  const conn = () => {
    const s = http2.connect(sim.server, {ca: sim.caPem});
    s.on('error', () => {});
    sessions.push(s);
    return s;
  };
  const api = conn();
  await req(api, sim, 'POST', '/api/v1/namespaces', {metadata: {name: 'bench'}});
  const rv = JSON.parse((await req(api, sim, 'GET', '/api/v1/namespaces/bench/pods')).text).metadata.resourceVersion;
  let seen = 0;
  let wsess = null;
  for (let i = 0; i < W; i++) {
    if (i % 100 === 0) wsess = conn();
    const s = wsess.request({':path': `/api/v1/namespaces/bench/pods?watch=1&resourceVersion=${rv}&timeoutSeconds=600`,
      authorization: `Bearer ${sim.token}`});
    let rest = '';
    s.on('data', (d) => {
      rest += d;
      let nl;
      while ((nl = rest.indexOf('\n')) >= 0) { rest = rest.slice(nl + 1); seen++; }
    });
    s.on('error', () => {});
  }
  const t0 = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < P) {
      const i = next++;
      const r = await req(api, sim, 'POST', '/api/v1/namespaces/bench/pods',
        {metadata: {name: `p-${i}`, labels: {pool: 'bench'}}, spec: {containers: [{name: 'c', image: 'busybox:1.36'}]}});
      if (r.status !== 201) throw new Error(r.text);
    }
  };
  await Promise.all(Array.from({length: C}, worker));
  const t1 = process.hrtime.bigint();
  while (seen < P * W) await new Promise((r) => setTimeout(r, 5));
  const t2 = process.hrtime.bigint();
  const list = await req(api, sim, 'GET', '/api/v1/namespaces/bench/pods');
  const t3 = process.hrtime.bigint();
  let cont = '';
  let pages = 0;
  do {
    const r = JSON.parse((await req(api, sim, 'GET', `/api/v1/namespaces/bench/pods?limit=500${cont ? `&continue=${cont}` : ''}`)).text);
    cont = r.metadata.continue || '';
    pages++;
  } while (cont);
  const t4 = process.hrtime.bigint();
  const ms = (a, b) => Number(b - a) / 1e6;
  console.log(`pods=${P} watchers=${W} concurrency=${C}`);
  console.log(`create: ${ms(t0, t1).toFixed(0)} ms (${(P / ms(t0, t1) * 1000).toFixed(0)} creates/s)`);
  console.log(`fan-out: all ${P * W} watch events delivered ${ms(t1, t2).toFixed(0)} ms after the last create`);
  console.log(`list ${P} pods: ${ms(t2, t3).toFixed(1)} ms, ${(list.text.length / 1e6).toFixed(1)} MB`);
  console.log(`paged list (limit=500, ${pages} pages): ${ms(t3, t4).toFixed(1)} ms`);
  for (const s of sessions) s.destroy();
  await sim.stop();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

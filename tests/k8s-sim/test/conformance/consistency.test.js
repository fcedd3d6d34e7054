'use strict';
// Watch/list consistency under a random workload: several watches with
// different selectors (HTTP/1.1 and HTTP/2) follow a seeded sequence of
// creates, label patches, status updates and deletes; after a final
// BOOKMARK, each watcher's reconstructed state must equal a list with the
// same selectors, object for object and resourceVersion for resourceVersion.
const {describe, it, before, after} = require('node:test');
const assert = require('node:assert/strict');
const {startSim, h1, watch, pod, API_ONLY} = require('./client.js');

const NS = '/api/v1/namespaces/default';

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('watch/list consistency', () => {
  let sim;
  let c;
  before(async () => {
    sim = await startSim({args: [...API_ONLY, '--bookmark-interval-ms', '0']});
    c = h1(sim);
  });
  after(async () => {
    c.close();
    await sim.stop();
  });

  it('every watcher converges to the list with its selectors', async () => {
    const selectors = [
      '', 'labelSelector=app%3Da', 'labelSelector=app!%3Da', 'labelSelector=app%20in%20(a,b)', 'labelSelector=!tier',
      'fieldSelector=status.phase%3DRunning', 'fieldSelector=spec.nodeName%3Dn1', 'labelSelector=tier&fieldSelector=status.phase!%3DRunning'];
    const start = (await c.request('GET', `${NS}/pods`)).json.metadata.resourceVersion;
    const watches = [];
    for (const [i, sel] of selectors.entries()) {
      watches.push({sel, w: await watch(sim, `${NS}/pods?watch=1&allowWatchBookmarks=true&resourceVersion=${start}&${sel}`,
        {proto: i % 2 ? 'h2' : 'h1'})});
    }
    const r = rng(42);
    const pick = (a) => a[Math.floor(r() * a.length)];
    const live = new Set();
    const merge = {'Content-Type': 'application/merge-patch+json'};
    for (let i = 0; i < 300; i++) {
      const op = r();
      if (op < 0.35 || live.size === 0) {
        const name = `p${i}`;
        const labels = {};
        if (r() < 0.7) labels.app = pick(['a', 'b', 'c']);
        if (r() < 0.5) labels.tier = pick(['x', 'y']);
        const res = await c.request('POST', `${NS}/pods`, {body: pod(name, {metadata: {labels}, spec: r() < 0.5 ? {nodeName: pick(['n1', 'n2'])} : {}})});
        assert.equal(res.status, 201);
        live.add(name);
      } else if (op < 0.6) {
        const labels = {app: r() < 0.2 ? null : pick(['a', 'b', 'c']), tier: r() < 0.5 ? null : pick(['x', 'y'])};
        assert.equal((await c.request('PATCH', `${NS}/pods/${pick([...live])}`, {body: {metadata: {labels}}, headers: merge})).status, 200);
      } else if (op < 0.8) {
        const res = await c.request('PATCH', `${NS}/pods/${pick([...live])}/status`,
          {body: {status: {phase: pick(['Pending', 'Running', 'Succeeded'])}}, headers: merge});
        assert.equal(res.status, 200);
      } else {
        const name = pick([...live]);
        assert.equal((await c.request('DELETE', `${NS}/pods/${name}?gracePeriodSeconds=0`)).status, 200);
        live.delete(name);
      }
    }
    const final = Number((await c.request('GET', `${NS}/pods`)).json.metadata.resourceVersion);
    assert.equal((await c.request('POST', '/_sim/watches/bookmark', {body: {}})).status, 200);
    for (const {sel, w} of watches) {
      await w.next((e) => e.type === 'BOOKMARK' && Number(e.object.metadata.resourceVersion) >= final, 10000);
      const seen = new Map();
      let last = 0;
      for (const e of w.events) {
        const rv = Number(e.object.metadata.resourceVersion);
        assert.ok(rv >= last, `${sel}: resourceVersions never go back`);
        last = rv;
        if (e.type === 'BOOKMARK') continue;
        if (e.type === 'DELETED') {
          assert.ok(seen.has(e.object.metadata.name), `${sel}: DELETED only for a known object`);
          seen.delete(e.object.metadata.name);
        } else {
          assert.equal(seen.has(e.object.metadata.name), e.type === 'MODIFIED', `${sel}: ${e.type} ${e.object.metadata.name}`);
          seen.set(e.object.metadata.name, e.object.metadata.resourceVersion);
        }
      }
      // A watch started afterwards from the same RV replays the same events.
      const replay = await watch(sim, `${NS}/pods?watch=1&resourceVersion=${start}&timeoutSeconds=1&${sel}`);
      await replay.ended;
      const strip = (evs) => evs.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`);
      assert.deepEqual(strip(replay.events), strip(w.events), `${sel}: replay equals live`);
      const list = (await c.request('GET', `${NS}/pods?${sel}`)).json.items;
      assert.deepEqual(Object.fromEntries([...seen].sort()),
        Object.fromEntries(list.map((p) => [p.metadata.name, p.metadata.resourceVersion]).sort()), sel);
      w.close();
    }
  });

  it('serves every past resourceVersion as it was (Exact lists and paging)', async () => {
    const r = rng(7);
    const merge = {'Content-Type': 'application/merge-patch+json'};
    const seenAt = [];
    const names = [];
    for (let i = 0; i < 120; i++) {
      const op = r();
      if (op < 0.4 || names.length === 0) {
        const name = `s${i}`;
        await c.request('POST', `${NS}/pods`, {body: pod(name, {metadata: {labels: {v: '0'}}})});
        names.push(name);
      } else if (op < 0.75) {
        await c.request('PATCH', `${NS}/pods/${names[Math.floor(r() * names.length)]}`, {body: {metadata: {labels: {v: String(i)}}}, headers: merge});
      } else {
        const [name] = names.splice(Math.floor(r() * names.length), 1);
        await c.request('DELETE', `${NS}/pods/${name}`);
      }
      if (i % 10 === 0) {
        const l = (await c.request('GET', `${NS}/pods?labelSelector=v`)).json;
        seenAt.push({rv: l.metadata.resourceVersion, items: l.items.map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`)});
      }
    }
    for (const {rv, items} of seenAt) {
      const exact = (await c.request('GET', `${NS}/pods?labelSelector=v&resourceVersion=${rv}&resourceVersionMatch=Exact`)).json;
      assert.equal(exact.metadata.resourceVersion, rv);
      assert.deepEqual(exact.items.map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`), items, `at ${rv}`);
      const paged = [];
      let cont = '';
      let first = true;
      while (first || cont) {
        const q = first ? `resourceVersion=${rv}&limit=3` : `limit=3&continue=${cont}`;
        const page = (await c.request('GET', `${NS}/pods?labelSelector=v&${q}`)).json;
        assert.equal(page.metadata.resourceVersion, rv);
        paged.push(...page.items.map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`));
        cont = page.metadata.continue || '';
        first = false;
      }
      assert.deepEqual(paged, items, `paged at ${rv}`);
    }
  });
});

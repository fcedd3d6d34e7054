'use strict';
// In-process harness for the node-side modules: a real Store with the
// scheduler and kubelet attached, no HTTP. waitFor() re-checks a predicate on
// every store event (and once at the start) and fails after a deadline.

const {Store} = require('../../lib/store.js');
const scheduler = require('../../lib/scheduler.js');
const kubelet = require('../../lib/kubelet.js');

function makeSim(options) {
  const store = new Store();
  store.create('namespaces', null, {metadata: {name: 'default'}, spec: {finalizers: ['kubernetes']}, status: {phase: 'Active'}});
  const ctx = {store, options: {nodes: 3, pullDelay: 'fixed:5', startDelay: 'fixed:5', readyDelay: 'fixed:5', ...options},
               log: () => {}};
  scheduler.attach(ctx);
  kubelet.attach(ctx);
  ctx.close = () => {
    ctx.sim.scheduler.stop();
    ctx.sim.kubelet.stop();
  };
  return ctx;
}

function waitFor(store, what, pred, ms = 5000) {
  return new Promise((resolve, reject) => {
    let timer = null;
    const check = () => {
      let v;
      try {
        v = pred();
      } catch (e) {
        v = undefined;
      }
      if (v) {
        clearTimeout(timer);
        store.removeListener('event', check);
        resolve(v);
        return true;
      }
      return false;
    };
    if (check()) return;
    store.on('event', check);
    timer = setTimeout(() => {
      store.removeListener('event', check);
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
  });
}

function pod(name, spec, meta) {
  return {
    metadata: {name, namespace: 'default', ...(meta || {})},
    spec: {containers: [{name: 'app', image: 'nginx'}], restartPolicy: 'Always', terminationGracePeriodSeconds: 30,
           schedulerName: 'default-scheduler', ...(spec || {})},
    status: {phase: 'Pending'},
  };
}

function condition(p, type) {
  return p && p.status && (p.status.conditions || []).find((c) => c.type === type);
}

function isReady(p) {
  const c = condition(p, 'Ready');
  return Boolean(p && p.status.phase === 'Running' && c && c.status === 'True');
}

module.exports = {makeSim, waitFor, pod, condition, isReady};

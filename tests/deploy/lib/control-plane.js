'use strict';
// A Kubernetes API server for validating manifests: the real control plane
// built from source by tests/kube/cluster.sh when its binaries are there
// (PREWARM_KUBE_BIN, else tests/kube/bin), otherwise the project's API
// simulator. PREWARM_REQUIRE_KUBE=1 makes a missing real one an error.
//
//   const cp = await startControlPlane();
//   cp.real (bool), cp.kubeconfig, cp.name ("kube-apiserver v1.x" / "k8s-sim"), await cp.stop()

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {execFile} = require('node:child_process');
const {ROOT} = require('./manifests.js');

const CLUSTER_SH = path.join(ROOT, 'tests', 'kube', 'cluster.sh');

function kubeBin() {
  return process.env.PREWARM_KUBE_BIN || path.join(ROOT, 'tests', 'kube', 'bin');
}

function realAvailable() {
  return fs.existsSync(CLUSTER_SH) && fs.existsSync(path.join(kubeBin(), 'kube-apiserver'));
}

function run(cmd, args, timeout) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, {timeout, maxBuffer: 16 << 20}, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function startReal(opts) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-deploy-kube-'));
  const args = ['start', dir, '--bin', kubeBin()];
  if (opts.apiOnly) args.push('--api-only');
  let out;
  try {
    out = await run('bash', [CLUSTER_SH, ...args], 180000);
  } catch (e) {
    await run('bash', [CLUSTER_SH, 'stop', dir], 30000).catch(() => {});
    fs.rmSync(dir, {recursive: true, force: true});
    throw e;
  }
  const greeting = JSON.parse(out.trim().split('\n').pop());
  return {
    real: true,
    name: 'kube-apiserver',
    kubeconfig: greeting.kubeconfig,
    dir,
    async stop() {
      await run('bash', [CLUSTER_SH, 'stop', dir], 30000).catch(() => {});
      fs.rmSync(dir, {recursive: true, force: true});
    },
  };
}

async function startSimulator() {
  const {startSim} = require(path.join(ROOT, 'tests', 'k8s-sim', 'lib', 'spawn.js'));
  const sim = await startSim({args: ['--no-modules']});
  return {real: false, name: 'k8s-sim', kubeconfig: sim.kubeconfig, dir: sim.dir, stop: () => sim.stop()};
}

async function startControlPlane(opts = {}) {
  if (realAvailable()) return startReal(opts);
  if (process.env.PREWARM_REQUIRE_KUBE === '1')
    throw new Error(`PREWARM_REQUIRE_KUBE=1 but no kube-apiserver in ${kubeBin()} (tests/kube/cluster.sh build)`);
  return startSimulator();
}

module.exports = {startControlPlane, realAvailable};

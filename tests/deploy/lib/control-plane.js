// A Kubernetes API server for validating manifests: the real control plane
// of the kube_cluster CTest fixture (tests/kube) when $PREWARM_KUBE_ENV names
// its env file, otherwise the project's API simulator.
//
//   const cp = await startControlPlane();
//   cp.real (bool), cp.kubeconfig, cp.name ("kube-apiserver" / "k8s-sim"), await cp.stop()

const fs = require('node:fs');
const path = require('node:path');
const {ROOT} = require('./manifests.js');

// KEY=VALUE lines (values possibly single- or double-quoted) of the fixture.
function readEnvFile(file) {
  const env = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}

function realAvailable() {
  const file = process.env.PREWARM_KUBE_ENV;
  return Boolean(file && fs.existsSync(file));
}

async function startSimulator() {
  const {startSim} = require(path.join(ROOT, 'tests', 'k8s-sim', 'lib', 'spawn.js'));
  const sim = await startSim({args: ['--no-modules']});
  return {real: false, name: 'k8s-sim', kubeconfig: sim.kubeconfig, dir: sim.dir, stop: () => sim.stop()};
}

// The fixture's control plane is shared and outlives the test: stop() is a no-op.
async function startControlPlane() {
  if (!realAvailable()) return startSimulator();
  const env = readEnvFile(process.env.PREWARM_KUBE_ENV);
  const kubeconfig = env.PREWARM_KUBE_KUBECONFIG || env.KUBECONFIG;
  if (!kubeconfig) throw new Error(`${process.env.PREWARM_KUBE_ENV} names no kubeconfig`);
  return {real: true, name: 'kube-apiserver', kubeconfig, stop: async () => {}};
}

module.exports = {startControlPlane, realAvailable};

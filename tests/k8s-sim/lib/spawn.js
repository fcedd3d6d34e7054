'use strict';
// Starts the simulator as a child process for tests and waits for its
// greeting line.
//
//   const sim = await startSim({nodes: 2, args: ['--too-large-wait-ms', '200']});
//   sim.server, sim.kubeconfig, sim.token, sim.ca (path), sim.caPem (Buffer),
//   sim.dir, sim.pid, sim.stderr() (recent log text)
//   await sim.stop();   // SIGTERM, waits for exit, removes the temp dir it made
//
// With K8S_TARGET=kube in the environment it starts a real control plane
// instead (tests/kube/target.js: same options, same fields, plus target:
// 'kube' and the list of simulator-only options it could not honour).
//
// opts: {dir, nodes, tokens: [..], readonlyTokens: [..], namespaceTokens: [..],
// args: [extra CLI args], env: {..}, timeoutMs = 15000, nodeArgs: [..] (or
// $K8S_SIM_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")}.

const {spawn} = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SIM = path.resolve(__dirname, '..', 'sim.js');

function buildArgs(opts, dir) {
  const args = ['--port', '0', '--dir', dir];
  if (opts.nodes !== undefined) args.push('--nodes', String(opts.nodes));
  for (const t of opts.tokens || []) args.push('--token', t);
  for (const t of opts.readonlyTokens || []) args.push('--readonly-token', t);
  for (const t of opts.namespaceTokens || []) args.push('--namespace-token', t);
  return args.concat(opts.args || []);
}

function startSim(opts = {}) {
  // K8S_TARGET=kube: the same suite against a real control plane (tests/kube).
  if (process.env.K8S_TARGET === 'kube') return require('../../kube/target.js').startKube(opts);
  const ownDir = !opts.dir;
  const dir = opts.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-sim-test-'));
  const nodeArgs = opts.nodeArgs || (process.env.K8S_SIM_NODE_ARGS || '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, SIM, ...buildArgs(opts, dir)],
                      {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, ...(opts.env || {})}});
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
    if (err.length > 1 << 16) err = err.slice(-(1 << 15));
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({code, signal})));
  return new Promise((resolve, reject) => {
    let out = '';
    let settled = false;
    const fail = (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      if (ownDir) fs.rmSync(dir, {recursive: true, force: true});
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error(`simulator did not start; stderr:\n${err}`)), opts.timeoutMs || 15000);
    exited.then(({code}) => fail(new Error(`simulator exited (${code}) before its greeting; stderr:\n${err}`)));
    child.stdout.on('data', (d) => {
      if (settled) return;
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      settled = true;
      clearTimeout(timer);
      let info;
      try {
        info = JSON.parse(out.slice(0, nl));
      } catch (e) {
        child.kill('SIGKILL');
        reject(new Error(`bad greeting: ${out.slice(0, nl)}`));
        return;
      }
      let stopped = null;
      resolve({
        ...info,
        caPem: fs.readFileSync(info.ca),
        child,
        stderr: () => err,
        stop() {
          if (!stopped) {
            child.kill('SIGTERM');
            const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
            stopped = exited.then((r) => {
              clearTimeout(kill);
              if (ownDir) fs.rmSync(dir, {recursive: true, force: true});
              return r;
            });
          }
          return stopped;
        },
      });
    });
  });
}

module.exports = {startSim, SIM};

'use strict';
// The real control plane as a drop-in for tests/k8s-sim/lib/spawn.js's
// startSim(): same options, same greeting fields ({server, kubeconfig, ca,
// token, dir, pid, caPem, stderr(), stop()}), so a simulator suite runs
// unchanged against kube-apiserver when K8S_TARGET=kube.
//
// Each call starts its own control plane (cluster.sh start) in a fresh
// directory, so suites keep the fresh-state assumption they make of the
// simulator. Simulator options map to cluster.sh options:
//   --modules without scheduler/kubelet  -> --api-only (no scheduler, no nodes)
//   --nodes N                            -> --nodes N (kwok nodes)
//   tokens / readonlyTokens / namespaceTokens -> --token / --readonly-token /
//      --namespace-token, with the simulator's user names (sim-readonly,
//      sim-namespaced) so messages that name the user compare equal
//   --no-watchlist                       -> --feature-gates=WatchList=false
//   --compact-every-ms MS                -> --compaction-interval MSms (the
//      apiserver's own etcd compaction period, 5 minutes by default)
// Simulator-only knobs (--too-large-wait-ms, --bookmark-interval-ms, --history, fault and control modules) have no
// counterpart: they are listed in `unsupported` for the suite to see.

const {execFile, execFileSync} = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CLUSTER = path.join(__dirname, 'cluster.sh');

function defaultBin() {
  if (process.env.PREWARM_KUBE_BIN) return process.env.PREWARM_KUBE_BIN;
  return path.resolve(__dirname, '..', '..', 'build', 'kube', 'bin');
}

// Translates startSim() options into cluster.sh arguments.
function clusterArgs(opts) {
  const args = [];
  const unsupported = [];
  const simArgs = [...(opts.args || [])];
  let apiOnly = false;
  for (let i = 0; i < simArgs.length; i++) {
    const a = simArgs[i];
    if (a === '--modules' || a === '--no-modules') {
      const mods = a === '--no-modules' ? [] : String(simArgs[++i]).split(',');
      if (!mods.includes('scheduler') && !mods.includes('kubelet')) apiOnly = true;
      for (const m of mods) if (m === 'faults' || m === 'control') unsupported.push(`module ${m}`);
    } else if (a === '--nodes') {
      args.push('--nodes', String(simArgs[++i]));
    } else if (a === '--token' || a === '--readonly-token' || a === '--namespace-token') {
      args.push(a, String(simArgs[++i]));
    } else if (a === '--compact-every-ms') {
      args.push('--compaction-interval', `${simArgs[++i]}ms`);
    } else if (a === '--no-watchlist') {
      args.push('--feature-gates', 'WatchList=false');
    } else if (a.startsWith('--')) {
      const next = simArgs[i + 1];
      if (next !== undefined && !next.startsWith('--')) i++;
      unsupported.push(next !== undefined && !next.startsWith('--') ? `${a} ${next}` : a);
    }
  }
  if (apiOnly) args.push('--api-only');
  if (opts.nodes !== undefined) args.push('--nodes', String(opts.nodes));
  for (const t of opts.tokens || []) args.push('--token', t);
  for (const t of opts.readonlyTokens || []) args.push('--readonly-token', t);
  for (const t of opts.namespaceTokens || []) args.push('--namespace-token', t);
  args.push('--readonly-user', 'sim-readonly', '--namespace-user', 'sim-namespaced');
  return {args, unsupported};
}

function run(args, timeoutMs) {
  return new Promise((resolve) => {
    execFile(CLUSTER, args, {timeout: timeoutMs, maxBuffer: 1 << 20}, (err, stdout, stderr) => {
      resolve({code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr});
    });
  });
}

// Control planes this process started and has not stopped: stopped at exit
// too (a failed assertion or SIGTERM), since their processes run in sessions
// of their own and would outlive the test.
const running = new Map(); // dir -> whether this module made the dir
function stopLeftovers() {
  for (const [dir, own] of running) {
    try {
      execFileSync(CLUSTER, ['stop', dir], {stdio: 'ignore', timeout: 60000});
      if (own) fs.rmSync(dir, {recursive: true, force: true});
    } catch (e) {
      // best effort at exit
    }
  }
  running.clear();
}
process.on('exit', stopLeftovers);
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.once(sig, () => {
    stopLeftovers();
    process.exit(128 + (sig === 'SIGTERM' ? 15 : 2));
  });
}

async function startKube(opts = {}) {
  const ownDir = !opts.dir;
  const dir = opts.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-kube-test-'));
  const {args, unsupported} = clusterArgs(opts);
  const bin = opts.bin || defaultBin();
  // A control plane takes longer to start than the simulator: at least 3 minutes.
  running.set(dir, ownDir);
  const r = await run(['start', dir, '--bin', bin, ...args], Math.max(opts.timeoutMs || 0, 180000));
  if (r.code !== 0) {
    await run(['stop', dir], 30000);
    running.delete(dir);
    if (ownDir) fs.rmSync(dir, {recursive: true, force: true});
    throw new Error(`control plane did not start (cluster.sh exit ${r.code}):\n${r.stderr}`);
  }
  const info = JSON.parse(r.stdout.trim().split('\n').pop());
  let stopped = null;
  return {
    ...info,
    target: 'kube',
    unsupported,
    caPem: fs.readFileSync(info.ca),
    stderr: () => {
      try {
        return fs.readFileSync(path.join(dir, 'log', 'kube-apiserver.log'), 'utf8').slice(-(1 << 15));
      } catch (e) {
        return '';
      }
    },
    stop() {
      if (!stopped) {
        stopped = run(['stop', dir], 60000).then((s) => {
          running.delete(dir);
          if (ownDir) fs.rmSync(dir, {recursive: true, force: true});
          return {code: s.code, signal: null};
        });
      }
      return stopped;
    },
  };
}

module.exports = {startKube, clusterArgs, CLUSTER};

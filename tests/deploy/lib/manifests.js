'use strict';
// Renders charts-free-manifests/ with the real kubectl (kustomize inside) and
// decodes the result with `kubectl label --local -o json`, which maps every
// object onto its typed Go struct (a wrong type fails here; unknown fields
// are the API server's job, see control-plane.js).

const fs = require('node:fs');
const path = require('node:path');
const {execFileSync, spawnSync} = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MANIFESTS = path.join(ROOT, 'charts-free-manifests');
const OVERLAYS = ['base', 'overlays/dev', 'overlays/gke'];

// kubectl: $PREWARM_KUBECTL, else Google Cloud CLI's 1.33, else the one on
// PATH, else the kubectl built with the test control plane ($PREWARM_KUBE_BIN
// or build/kube/bin). All of them carry kustomize.
function kubectlBin() {
  if (process.env.PREWARM_KUBECTL) return process.env.PREWARM_KUBECTL;
  const onPath = (process.env.PATH || '').split(':').map((d) => path.join(d, 'kubectl'));
  const built = [process.env.PREWARM_KUBE_BIN, path.join(ROOT, 'build', 'kube', 'bin')].filter(Boolean)
                  .map((d) => path.join(d, 'kubectl'));
  const found = ['/usr/lib/google-cloud-sdk/bin/kubectl.1.33', ...onPath, ...built].find((p) => fs.existsSync(p));
  if (!found) throw new Error('no kubectl: install google-cloud-cli or build tests/kube (PREWARM_KUBE_BIN)');
  return found;
}

// Runs kubectl; returns stdout, or {stdout, stderr} with opts.both. Throws on
// a non-zero exit with stderr in the message.
function kubectl(args, opts = {}) {
  if (opts.both) {
    const r = spawnSync(kubectlBin(), args, {input: opts.input, env: {...process.env, ...(opts.env || {})},
                                             maxBuffer: 64 << 20, timeout: opts.timeout || 60000});
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return {stdout: r.stdout.toString(), stderr: r.stderr.toString()};
  }
  return execFileSync(kubectlBin(), args, {
    input: opts.input,
    env: {...process.env, ...(opts.env || {})},
    maxBuffer: 64 << 20,
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: opts.timeout || 60000,
  }).toString();
}

// kubectl prints a stream of pretty JSON documents, each closing with a "}"
// at column 0.
function splitJsonStream(text) {
  return text.split(/^}$/m).map((s) => s.trim()).filter(Boolean).map((s) => JSON.parse(`${s}\n}`));
}

// YAML (one or more documents) -> typed objects. The label removal is a
// no-op whose only effect is the typed decode and the JSON output.
function decodeYaml(yamlText) {
  return splitJsonStream(kubectl(['label', '--local', '-f', '-', '-o', 'json', 'prewarm.dev/unused-'], {input: yamlText}));
}

// Any YAML (prewarm.yaml is not a Kubernetes object) -> JSON, through
// Debian's PyYAML (python3-yaml, which python3-kubernetes pulls in).
function parseYaml(text) {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c',
    'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {input: text}).toString());
}

function renderYaml(overlay) {
  return kubectl(['kustomize', path.join(MANIFESTS, overlay)]);
}

function render(overlay) {
  return decodeYaml(renderYaml(overlay));
}

function find(objs, kind, name) {
  return objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name ||
                                                 o.metadata.name.startsWith(`${name}-`)));
}

function one(objs, kind, name) {
  const found = find(objs, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name || ''}, found ${found.length}`);
  return found[0];
}

// The warm-pod templates the ConfigMap carries: every pool's template path
// in prewarm.yaml (relative to prewarm.yaml's folder) names a key of the same
// ConfigMap, which is mounted as one folder.
function podTemplates(configMap) {
  const cfg = configMap.data['prewarm.yaml'];
  const out = [];
  for (const m of cfg.matchAll(/^\s*template:\s*(\S+)/gm)) {
    const key = m[1];
    if (key.includes('/') || !(key in configMap.data))
      throw new Error(`prewarm.yaml names template ${key}, not a key of the ConfigMap`);
    out.push({key, text: configMap.data[key], pod: decodeYaml(configMap.data[key])[0]});
  }
  return out;
}

// "- name: X" entries directly under "pools:" in prewarm.yaml.
function poolNames(prewarmYaml) {
  return [...prewarmYaml.matchAll(/^  - name: (\S+)\s*$/gm)].map((m) => m[1]);
}

module.exports = {ROOT, MANIFESTS, OVERLAYS, kubectl, kubectlBin, decodeYaml, parseYaml, splitJsonStream, render, renderYaml, find, one,
                  podTemplates, poolNames};

// The live dashboard in real headless Chromium (Debian's chromium, driven by
// playwright-core) against a real prewarmd: while the test claims and
// releases backends over HTTP, the numbers on the page must follow (bound
// pods, the hit ratio once a claim finds its pool empty, bind latency, the
// event list of ended sessions and of a backend killed while idle). Saves a
// screenshot under the build folder.
//
//   node --test dashboard_browser.test.mjs   with env PREWARMD, DEMO_BACKEND,
//   SCREENSHOT (output PNG), SIM_JS (the Kubernetes API simulator, for the
//   leader test), CHROMIUM (default /usr/bin/chromium)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../dashboard/package.json"));
const { chromium } = require("playwright-core");

const { PREWARMD, DEMO_BACKEND, SCREENSHOT, SIM_JS } = process.env;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const config = (backend) => `listen: "127.0.0.1:0"
pools:
  - name: editor
    min_idle: 3
    max_idle: 5
    max_total: 10
    session_ttl_seconds: 300
    max_waiters: 4
    start_timeout_seconds: 10
    local:
      command: [${JSON.stringify(backend)}, --port, "{port}", --pod, "{pod}"]
      probe: {type: tcp}
      stop_grace_seconds: 1
  - name: tiny
    min_idle: 1
    max_idle: 1
    max_total: 1
    session_ttl_seconds: 300
    max_waiters: 1
    start_timeout_seconds: 10
    local:
      command: [${JSON.stringify(backend)}, --port, "{port}", --pod, "{pod}"]
      probe: {type: tcp}
      stop_grace_seconds: 1
`;

let daemon, base, browser, page, dir;
const stopLater = []; // processes the leader test started

// Starts a process and resolves with the first match of pattern on its stdout.
function startProcess(cmd, args, pattern) {
  const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(pattern);
      if (m) resolve({ proc, match: m });
    });
    proc.on("exit", (code) => reject(new Error(`${cmd} exited (${code}) before it was ready`)));
  });
}

async function startDaemon(text, where) {
  const path = join(where, "prewarm.yaml");
  writeFileSync(path, text);
  return startProcess(PREWARMD, ["--config", path, "--listen", "127.0.0.1:0", "--quiet"],
    /listening on (http:\/\/127\.0\.0\.1:\d+)\n/);
}

async function stopProcess(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.on("exit", r));
  proc.kill("SIGTERM");
  await exited;
}

async function api(method, path, body) {
  const r = await fetch(base + path, {
    method, headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json() };
}

// Polls fn until it returns a truthy value (deadline, not a sleep).
async function until(fn, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The raw number behind a tile of a pool (data-value), or null.
async function stat(pool, key) {
  const v = await page.getAttribute(`[data-pool="${pool}"] [data-stat="${key}"]`, "data-value");
  return v === null ? null : Number(v);
}

async function pageShows(pool, key, want) {
  await until(async () => (await stat(pool, key)) === want, `${pool} ${key} = ${want} on the page`);
}

before(async () => {
  assert.ok(PREWARMD && DEMO_BACKEND && SCREENSHOT && SIM_JS,
    "PREWARMD, DEMO_BACKEND, SCREENSHOT and SIM_JS are required");
  dir = mkdtempSync(join(tmpdir(), "prewarm-dashboard-"));
  const started = await startDaemon(config(DEMO_BACKEND), dir);
  daemon = started.proc;
  base = started.match[1];
  await until(async () => (await fetch(base + "/readyz")).status === 200, "prewarmd ready");
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on("pageerror", (e) => { throw e; });
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(`${base}/dashboard?interval_ms=200`);
  await page.waitForSelector('#status[data-state="live"]', { timeout: 10000 });
  assert.ok(requests.every((u) => u.startsWith(base)), `the page fetched from elsewhere: ${requests}`);
});

after(async () => {
  if (browser) await browser.close();
  for (const proc of [daemon, ...stopLater].filter(Boolean)) await stopProcess(proc);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the page lists every pool with its idle pods", async () => {
  await pageShows("editor", "idle", 3);
  await pageShows("tiny", "idle", 1);
  await pageShows("editor", "bound", 0);
});

const sessions = [];

test("bound pods follow claims", async () => {
  for (let i = 0; i < 3; i++) {
    const r = await api("POST", "/v1/pools/editor/claims", { key: `user-${i}` });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    sessions.push(r.body);
  }
  await pageShows("editor", "bound", 3);
  // The pool refills to min_idle behind the claims.
  await pageShows("editor", "idle", 3);
  const bindP50 = await stat("editor", "bind_p50");
  assert.ok(bindP50 > 0 && bindP50 < 0.1, `bind p50 ${bindP50} s`);
  assert.equal(await stat("editor", "hit_ratio"), 1);
});

test("releases show as bound pods going down and sessions ending in the events", async () => {
  for (const s of sessions.slice(0, 2)) {
    const r = await api("DELETE", `/v1/sessions/${s.session_id}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  await pageShows("editor", "bound", 1);
  for (const s of sessions.slice(0, 2)) {
    await until(() => page.$(`#events tr[data-kind="session_ended"] >> text=${s.pod}`),
      `session_ended event for ${s.pod}`);
  }
});

test("a claim on an empty pool lowers the hit ratio and shows in waiters", async () => {
  const first = await api("POST", "/v1/pools/tiny/claims", {});
  assert.equal(first.status, 201);
  await pageShows("tiny", "bound", 1);
  const empty = await api("POST", "/v1/pools/tiny/claims", {});
  assert.equal(empty.status, 503);
  assert.equal(empty.body.reason, "PoolEmpty");
  await pageShows("tiny", "hit_ratio", 0.5);
  // A waiting claim is a waiter on the page until a pod is Ready for it.
  const waiting = api("POST", "/v1/pools/tiny/claims", { wait_ms: 20000 });
  await pageShows("tiny", "waiters", 1);
  await api("DELETE", `/v1/sessions/${first.body.session_id}`);
  assert.equal((await waiting).status, 201);
  await pageShows("tiny", "waiters", 0);
});

// The backends prewarmd started for a pool: {pod, pid} from each child's
// environment (PREWARM_POOL, PREWARM_POD).
function backendsOf(pool) {
  const found = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const ppid = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ")[1];
      if (Number(ppid) !== daemon.pid) continue;
      const env = Object.fromEntries(readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")
        .filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
      if (env.PREWARM_POOL === pool) found.push({ pod: env.PREWARM_POD, pid: Number(pid) });
    } catch { /* the process ended meanwhile */ }
  }
  return found;
}

test("a backend that dies while idle shows as a pod_died_idle event", async () => {
  // Settled: only idle and bound pods, so every backend not serving a session is idle.
  await until(async () => {
    const p = (await api("GET", "/v1/pools/editor")).body.pods;
    return p.creating + p.starting + p.draining === 0 && p.ready === 3;
  }, "editor settled");
  const bound = new Set(sessions.map((s) => s.pod));
  const idle = backendsOf("editor").filter((b) => !bound.has(b.pod));
  assert.ok(idle.length >= 1, `no idle backend found: ${JSON.stringify(idle)}`);
  process.kill(idle[0].pid, "SIGKILL");
  await until(() => page.$(`#events tr[data-kind="pod_died_idle"] >> text=${idle[0].pod}`),
    `pod_died_idle event for ${idle[0].pod}`);
  assert.equal(await page.$(`#events tr[data-kind="pod_died_idle"] >> text=${bound.values().next().value}`), null);
  await pageShows("editor", "idle", 3); // replaced
});

test("a screenshot of the live page is saved", async () => {
  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`screenshot: ${SCREENSHOT}`);
});

// A second prewarmd with a Kubernetes pool on the API simulator and leader
// election: its page shows it leads, in which term, and the takeover event.
const kubeConfig = (kubeconfig, journal) => `listen: "127.0.0.1:0"
kubernetes:
  kubeconfig: ${JSON.stringify(kubeconfig)}
  journal: ${JSON.stringify(journal)}
  leader_election: {lease_name: prewarm-dashboard, identity: replica-0}
pools:
  - name: editor
    provider: kubernetes
    min_idle: 1
    max_idle: 2
    max_total: 4
    kubernetes:
      namespace: default
      port: 8080
      template_inline:
        spec:
          containers: [{name: editor, image: nginx, ports: [{containerPort: 8080}]}]
`;

test("with leader election the page shows the term it leads and the takeover event", async () => {
  const sim = await startProcess(process.execPath, [SIM_JS, "--port", "0", "--dir", join(dir, "sim"),
    "--nodes", "1", "--kubelet-events", "false", "--pull-delay", "fixed:50", "--start-delay", "fixed:50"],
  /^(\{.*\})\n/m);
  stopLater.push(sim.proc);
  const { kubeconfig } = JSON.parse(sim.match[1]);
  const leader = await startDaemon(kubeConfig(kubeconfig, join(dir, "journal")), dir);
  stopLater.push(leader.proc);
  const kubeBase = leader.match[1];
  await until(async () => (await fetch(kubeBase + "/readyz")).status === 200, "the replica leads");
  const state = await (await fetch(kubeBase + "/dashboard/state")).json();
  assert.equal(state.leader.elected, true);
  assert.equal(state.leader.leading, true);
  assert.ok(state.leader.epoch >= 1, JSON.stringify(state.leader));
  const kubePage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  kubePage.on("pageerror", (e) => { throw e; });
  await kubePage.goto(`${kubeBase}/dashboard?interval_ms=200`);
  await kubePage.waitForSelector('#leader[data-leading="true"]', { timeout: 10000 });
  assert.equal(await kubePage.textContent("#leader"), `leader (term ${state.leader.epoch})`);
  await kubePage.waitForSelector(`#events tr[data-kind="leader_acquired"] >> text=term ${state.leader.epoch}`,
    { timeout: 10000 });
  // Without election (the first prewarmd) the badge stays hidden.
  assert.equal(await page.isHidden("#leader"), true);
  await kubePage.close();
});

// The live dashboard in real headless Chromium (Debian's chromium, driven by
// playwright-core) against a real prewarmd: while the test claims and
// releases backends over HTTP, the numbers on the page must follow (bound
// pods, the hit ratio once a claim finds its pool empty, bind latency, the
// event list of ended sessions). Saves a screenshot under the build folder.
//
//   node --test dashboard_browser.test.mjs   with env PREWARMD, DEMO_BACKEND,
//   SCREENSHOT (output PNG), CHROMIUM (default /usr/bin/chromium)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../dashboard/package.json"));
const { chromium } = require("playwright-core");

const { PREWARMD, DEMO_BACKEND, SCREENSHOT } = process.env;
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

function startDaemon() {
  dir = mkdtempSync(join(tmpdir(), "prewarm-dashboard-"));
  const path = join(dir, "prewarm.yaml");
  writeFileSync(path, config(DEMO_BACKEND));
  daemon = spawn(PREWARMD, ["--config", path, "--listen", "127.0.0.1:0", "--quiet"],
    { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    daemon.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)\n/);
      if (m) resolve(m[1]);
    });
    daemon.on("exit", (code) => reject(new Error(`prewarmd exited (${code}) before listening`)));
  });
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
  assert.ok(PREWARMD && DEMO_BACKEND && SCREENSHOT, "PREWARMD, DEMO_BACKEND and SCREENSHOT are required");
  base = await startDaemon();
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
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((r) => daemon.on("exit", r));
    daemon.kill("SIGTERM");
    await exited;
  }
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

test("a screenshot of the live page is saved", async () => {
  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`screenshot: ${SCREENSHOT}`);
});

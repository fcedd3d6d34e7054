// prewarm's live dashboard: polls /dashboard/state and draws, per pool,
// the pods by state, waiters, hit ratio and latency percentiles over time
// (uPlot), plus the daemon's recent events. Built into prewarmd at build
// time (build.mjs); nothing is fetched from elsewhere at run time.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./app.css";
import { History, formatRatio, formatSeconds, hitRatio, histDelta, quantile } from "./stats.js";

const params = new URLSearchParams(location.search);
const INTERVAL_MS = Math.max(100, Number(params.get("interval_ms")) || 1000);
const POINTS = 600; // chart history per pool
const LATENCY_WINDOW_MS = 10000;
const LEAD_WINDOW_MS = 300000;
const BASE = location.pathname.replace(/\/+$/, "");
const COLORS = { idle: "#2e9d5b", bound: "#3b6fd8", starting: "#e0a21a", waiters: "#d9453b" };

const pools = new Map(); // name -> view
let nextSeq = 0;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

const TILES = [
  ["idle", "idle"], ["bound", "bound"], ["starting", "starting"], ["waiters", "waiters"],
  ["hit_ratio", "hit ratio (10 s)"], ["claims_per_second", "claims/s"],
  ["claim_p50", "claim p50"], ["claim_p99", "claim p99"],
  ["bind_p50", "bind p50"], ["bind_p99", "bind p99"],
  ["lead_p50", "pod lead time p50"], ["lead_p90", "pod lead time p90"],
];

function chart(parent, title, series, scales, axes) {
  const box = el("div", { class: "chart" }, el("h3", {}, title));
  parent.append(box);
  const width = Math.max(300, box.clientWidth || 400);
  const opts = {
    width, height: 180, series: [{}, ...series], scales, axes,
    legend: { live: false }, cursor: { drag: { x: false, y: false } },
  };
  const data = [[], ...series.map(() => [])];
  const plot = new uPlot(opts, data, box);
  new ResizeObserver(() => plot.setSize({ width: Math.max(300, box.clientWidth), height: 180 })).observe(box);
  return { plot, data };
}

const secondsAxis = { values: (u, vals) => vals.map(formatSeconds), size: 70 };

function poolView(name) {
  const tiles = el("div", { class: "tiles" });
  const values = {};
  for (const [key, label] of TILES) {
    const v = el("div", { class: "value", "data-stat": key }, "–");
    values[key] = v;
    tiles.append(el("div", { class: `tile ${key}` }, el("div", { class: "label" }, label), v));
  }
  const charts = el("div", { class: "charts" });
  const sub = el("small", {});
  const section = el("section", { class: "pool", "data-pool": name }, el("h2", {}, name, sub), tiles, charts);
  document.getElementById("pools").append(section);
  const line = (label, stroke, extra = {}) => ({ label, stroke, width: 2, points: { show: false }, ...extra });
  const view = {
    sub, values, history: new History(LEAD_WINDOW_MS + 5000),
    pods: chart(charts, "Pods and waiters", [
      line("idle", COLORS.idle), line("bound", COLORS.bound),
      line("starting", COLORS.starting), line("waiters", COLORS.waiters, { dash: [4, 4] }),
    ], { x: { time: true } }, [{}, { size: 50 }]),
    latency: chart(charts, "Claim and bind latency (10 s window)", [
      line("claim p50", "#6d4bd8"), line("claim p99", "#b39ddb"),
      line("bind p50", "#0f8a8a"), line("bind p99", "#80cbc4"),
    ], { x: { time: true }, y: { distr: 3 } }, [{}, secondsAxis]),
    hits: chart(charts, "Hit ratio and claims/s", [
      line("hit ratio %", "#2e9d5b", { scale: "%" }), line("claims/s", "#3b6fd8", { scale: "rate" }),
    ], { x: { time: true }, "%": { range: [0, 100] }, rate: { auto: true } },
    [{}, { scale: "%", size: 50 }, { scale: "rate", side: 1, grid: { show: false }, size: 50 }]),
  };
  pools.set(name, view);
  return view;
}

function pushPoint(c, t, values) {
  c.data[0].push(t);
  values.forEach((v, i) => c.data[i + 1].push(v));
  if (c.data[0].length > POINTS) c.data.forEach((a) => a.shift());
  c.plot.setData(c.data);
}

function setStat(view, key, text, raw) {
  const v = view.values[key];
  v.textContent = text;
  if (raw === null || raw === undefined) v.removeAttribute("data-value");
  else v.setAttribute("data-value", String(raw));
}

function claimsTotal(c) {
  return Object.values(c).reduce((a, b) => a + b, 0);
}

function updatePool(p, tMs) {
  const view = pools.get(p.name) || poolView(p.name);
  const pods = p.pods;
  const idle = pods.ready, starting = pods.creating + pods.starting;
  view.sub.textContent = `min_idle ${p.min_idle} · max_total ${p.max_total} · sessions ${p.sessions}`;
  view.history.push(tMs, p);
  const latEntry = view.history.before(tMs, LATENCY_WINDOW_MS);
  const lat = latEntry.t < tMs ? latEntry.snap : null;
  const leadEntry = view.history.before(tMs, LEAD_WINDOW_MS);
  const lead = leadEntry.t < tMs ? leadEntry.snap : null;
  const h = p.histograms;
  const q = (name, old, x) => quantile(histDelta(h[name], old && old.histograms[name]), x);
  const claimP50 = q("claim_seconds", lat, 0.5), claimP99 = q("claim_seconds", lat, 0.99);
  const bindP50 = q("bind_seconds", lat, 0.5), bindP99 = q("bind_seconds", lat, 0.99);
  const leadP50 = q("lead_seconds", lead, 0.5), leadP90 = q("lead_seconds", lead, 0.9);
  const hits = hitRatio(p.claims, lat && lat.claims);
  const spanS = lat ? (tMs - latEntry.t) / 1000 : null;
  const rate = spanS ? (claimsTotal(p.claims) - claimsTotal(lat.claims)) / spanS : null;
  setStat(view, "idle", String(idle), idle);
  setStat(view, "bound", String(pods.bound), pods.bound);
  setStat(view, "starting", String(starting), starting);
  setStat(view, "waiters", String(p.waiters), p.waiters);
  setStat(view, "hit_ratio", formatRatio(hits), hits);
  setStat(view, "claims_per_second", rate === null ? "–" : rate.toFixed(1), rate);
  setStat(view, "claim_p50", formatSeconds(claimP50), claimP50);
  setStat(view, "claim_p99", formatSeconds(claimP99), claimP99);
  setStat(view, "bind_p50", formatSeconds(bindP50), bindP50);
  setStat(view, "bind_p99", formatSeconds(bindP99), bindP99);
  setStat(view, "lead_p50", formatSeconds(leadP50), leadP50);
  setStat(view, "lead_p90", formatSeconds(leadP90), leadP90);
  const t = tMs / 1000;
  pushPoint(view.pods, t, [idle, pods.bound, starting, p.waiters]);
  pushPoint(view.latency, t, [claimP50, claimP99, bindP50, bindP99]);
  pushPoint(view.hits, t, [hits === null ? null : hits * 100, rate]);
}

function addEvents(events) {
  const body = document.getElementById("events");
  for (const e of events) {
    const when = new Date(e.time_ms).toISOString().slice(11, 23);
    const row = el("tr", { class: e.level, "data-seq": String(e.seq), "data-kind": e.kind },
      el("td", {}, when), el("td", {}, e.pool || ""), el("td", { class: "kind" }, e.kind),
      el("td", {}, e.pod || ""), el("td", {}, e.detail || ""));
    body.prepend(row);
  }
  while (body.children.length > 100) body.lastChild.remove();
}

function setStatus(state, text) {
  const s = document.getElementById("status");
  s.dataset.state = state;
  s.textContent = text;
}

// Leader election as this replica sees it; hidden without election.
function showLeader(leader) {
  const l = document.getElementById("leader");
  if (!leader || !leader.elected) return void (l.hidden = true);
  l.hidden = false;
  l.dataset.leading = String(leader.leading);
  l.textContent = leader.leading ? `leader (term ${leader.epoch})` : `standby (last term ${leader.epoch})`;
}

async function poll() {
  try {
    const r = await fetch(`${BASE}/state?since=${nextSeq}`, { cache: "no-store" });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const s = await r.json();
    for (const p of s.pools) updatePool(p, s.time_ms);
    addEvents(s.events);
    nextSeq = s.next_seq;
    showLeader(s.leader);
    document.getElementById("updated").textContent = `updated ${new Date(s.time_ms).toISOString().slice(11, 19)} UTC`;
    document.body.dataset.polls = String(Number(document.body.dataset.polls || 0) + 1);
    setStatus("live", "live");
  } catch (err) {
    setStatus("error", `no data: ${err.message}`);
  } finally {
    setTimeout(poll, INTERVAL_MS);
  }
}

poll();

// The dashboard's arithmetic (dashboard/src/stats.js): windowed histogram
// quantiles and the hit ratio, checked against hand-computed answers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { History, formatSeconds, hitRatio, histDelta, quantile } from "../../dashboard/src/stats.js";

const le = [0.001, 0.01, 0.1];
const near = (a, b) => assert.ok(Math.abs(a - b) < 1e-12, `${a} is not ${b}`);

test("quantile interpolates inside the bucket, as histogram_quantile does", () => {
  const h = { le, counts: [0, 10, 0, 0] }; // ten observations in (1 ms, 10 ms]
  near(quantile(h, 0.5), 0.0055);
  near(quantile(h, 1), 0.01);
});

test("quantile of the +Inf bucket answers the highest finite bound", () => {
  assert.equal(quantile({ le, counts: [0, 0, 0, 4] }, 0.99), 0.1);
});

test("quantile without observations is null", () => {
  assert.equal(quantile({ le, counts: [0, 0, 0, 0] }, 0.5), null);
  assert.equal(quantile(null, 0.5), null);
});

test("histDelta keeps only the window's observations", () => {
  const before = { le, counts: [5, 1, 0, 0] };
  const now = { le, counts: [5, 3, 2, 0] };
  assert.deepEqual(histDelta(now, before).counts, [0, 2, 2, 0]);
  near(quantile(histDelta(now, before), 0.5), 0.01);
});

test("histDelta after a counter reset uses the new counts whole", () => {
  assert.deepEqual(histDelta({ le, counts: [1, 0, 0, 0] }, { le, counts: [9, 9, 0, 0] }).counts, [1, 0, 0, 0]);
});

test("hit ratio counts immediate binds over claims that needed a pod", () => {
  const before = { bound: 10, waited: 0, empty: 0, key_reused: 5 };
  const now = { bound: 13, waited: 1, empty: 0, key_reused: 50 };
  assert.equal(hitRatio(now, before), 0.75);
  assert.equal(hitRatio(before, before), null);
});

test("History.before finds the snapshot a window ago", () => {
  const h = new History(10000);
  for (let t = 0; t <= 20000; t += 1000) h.push(t, { t });
  assert.equal(h.before(20000, 5000).snap.t, 15000);
  assert.ok(h.items.length <= 12, "old entries are dropped");
});

test("formatSeconds picks a unit", () => {
  assert.equal(formatSeconds(4.12e-7), "412 ns");
  assert.equal(formatSeconds(3.1e-6), "3.10 µs");
  assert.equal(formatSeconds(0.0024), "2.40 ms");
  assert.equal(formatSeconds(null), "–");
});

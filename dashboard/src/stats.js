// Pure arithmetic over the snapshots /dashboard/state returns: windowed
// histogram quantiles (as Prometheus' histogram_quantile does it) and the
// hit ratio. No DOM here, so node's test runner checks it directly.

// Bucket-wise difference of two histogram snapshots ({le, counts, sum});
// a missing or reset older snapshot counts as empty.
export function histDelta(now, before) {
  if (!now) return null;
  const counts = now.counts.map((c, i) => {
    const b = before && before.counts.length === now.counts.length ? before.counts[i] : 0;
    return c - b;
  });
  if (counts.some((c) => c < 0)) return { le: now.le, counts: now.counts.slice() };
  return { le: now.le, counts };
}

// The q-quantile (0..1) of a non-cumulative histogram, interpolating
// linearly inside the bucket; null without observations. The +Inf bucket
// answers its lower bound, as histogram_quantile does.
export function quantile(h, q) {
  if (!h) return null;
  const total = h.counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i];
    if (seen + c >= rank && c > 0) {
      const lower = i === 0 ? 0 : h.le[i - 1];
      if (i >= h.le.length) return lower;
      const upper = h.le[i];
      return lower + (upper - lower) * ((rank - seen) / c);
    }
    seen += c;
  }
  return h.le[h.le.length - 1];
}

// Claims answered at once from a warm pod, over claims that needed a pod
// (answered at once, after a wait, or not at all); null when there were none.
export function hitRatio(now, before) {
  const d = (k) => (now[k] || 0) - ((before && before[k]) || 0);
  const needed = d("bound") + d("waited") + d("empty") + d("timed_out") + d("cancelled");
  return needed > 0 ? d("bound") / needed : null;
}

// Human units for seconds: 412 ns, 3.1 µs, 2.4 ms, 1.20 s.
export function formatSeconds(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return "–";
  if (s < 1e-6) return `${Math.round(s * 1e9)} ns`;
  if (s < 1e-3) return `${(s * 1e6).toPrecision(3)} µs`;
  if (s < 1) return `${(s * 1e3).toPrecision(3)} ms`;
  return `${s.toFixed(2)} s`;
}

export function formatRatio(r) {
  return r === null || r === undefined ? "–" : `${(r * 100).toFixed(1)}%`;
}

// A snapshot history that answers "the snapshot about windowMs ago".
export class History {
  constructor(keepMs) {
    this.keepMs = keepMs;
    this.items = [];
  }
  push(t, snap) {
    this.items.push({ t, snap });
    while (this.items.length > 2 && this.items[1].t < t - this.keepMs) this.items.shift();
  }
  // The newest entry ({t, snap}) at least windowMs older than t, else the
  // oldest one; null while empty.
  before(t, windowMs) {
    let found = this.items.length ? this.items[0] : null;
    for (const it of this.items) {
      if (it.t <= t - windowMs) found = it;
      else break;
    }
    return found;
  }
}

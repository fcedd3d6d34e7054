#!/usr/bin/env python3
"""Benchmark of prewarmd's Kubernetes provider on the API simulator.

Prints, from one run:
  (a) time to a usable backend: a claim (HTTP round trip on a kept-alive
      connection, and the pool core's own bind time) versus creating a pod
      and waiting for it to be Ready (lognormal kubelet delays, median 1.8 s,
      clipped at 5 s), and their ratio;
  (b) claim latency p50/p99 at a fixed rate, with no injected API latency
      and with 2 s added to every API request, and the ratio;
  (c) pods created per second during a refill, against the configured
      creation budget;
  (d) time from start to serving claims with N existing pods (each bound to
      a session recorded on it), and bytes of prewarmd's resident memory per
      tracked pod;
  (e) API requests per session lifetime (claim -> release), by verb.

Usage: kube_bench.py PREWARMD SIM_JS [--pods N] [--quick]
Conditions are printed with every figure. Nothing here fails a build.
"""
import json
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time

for folder in ("e2e", "tools"):  # e2e_kubernetes and the harness it imports
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", folder))
import e2e_kubernetes as e2e  # noqa: E402  (PREWARMD and SIM_JS come from sys.argv)

QUICK = "--quick" in sys.argv
EXISTING = int(sys.argv[sys.argv.index("--pods") + 1]) if "--pods" in sys.argv else (
    2000 if QUICK else 10000)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def fmt_us(ns):
    return "%.1f us" % (ns / 1e3)


class Client:
    """One kept-alive HTTP/1.1 connection to prewarmd, on a bare socket (the
    client's own cost stays small next to what it measures)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else b""
        self.sock.sendall(b"%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n%s" % (method.encode(), path.encode(),
                                                              len(data), data))
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        m = re.search(rb"(?i)content-length:\s*(\d+)", head)
        n = int(m.group(1)) if m else 0
        while len(rest) < n:
            rest += self.sock.recv(65536)
        self.buf = rest[n:]
        return status, json.loads(rest[:n]) if n else None


def claim_timed(c):
    t0 = time.perf_counter_ns()
    status, s = c.call("POST", "/v1/pools/%s/claims" % e2e.POOL, {})
    return time.perf_counter_ns() - t0, status, s


def bench_a(cl, d):
    c = Client(d.port)
    rtts, binds = [], []
    for _ in range(30):
        dt, status, s = claim_timed(c)
        assert status == 201, s
        rtts.append(dt)
        binds.append(s["bind_ns"])
        c.call("DELETE", "/v1/sessions/" + s["session_id"])
        e2e.poll(lambda: d.pool()["pods"]["ready"] >= 10, 60, "refill")
    # Create a pod and wait for Ready, as a caller without prewarm would.
    ready = []
    for i in range(8):
        name = "cold-%d-%d" % (os.getpid(), i)
        pod = json.loads(json.dumps(e2e.POD_TEMPLATE))
        pod["metadata"] = {"name": name}
        pod["spec"]["nodeSelector"] = {"pool": "warm"}
        pod["spec"]["tolerations"] = [{"key": "dedicated", "operator": "Exists"}]
        t0 = time.perf_counter_ns()
        status, body = cl.call("POST", "/api/v1/namespaces/%s/pods" % e2e.NS, pod)
        assert status == 201, body

        def is_ready():
            st, p = cl.call("GET", "/api/v1/namespaces/%s/pods/%s" % (e2e.NS, name))
            conds = (p.get("status") or {}).get("conditions") or []
            return any(x["type"] == "Ready" and x["status"] == "True" for x in conds)
        e2e.poll(is_ready, 60, "a cold pod Ready")
        ready.append(time.perf_counter_ns() - t0)
        cl.call("DELETE", "/api/v1/namespaces/%s/pods/%s" % (e2e.NS, name))
    rtt, cold = statistics.median(rtts), statistics.median(ready)
    print("(a) time to a usable backend (medians; 30 claims on one kept-alive HTTP/1.1 connection, "
          "8 cold pods, kubelet pull lognormal median 1.8 s sigma 0.45 max 5 s)")
    print("    claim round trip %s (pool core bind %s)   create + wait Ready %.2f s   ratio %.0fx"
          % (fmt_us(rtt), fmt_us(statistics.median(binds)), cold / 1e9, cold / rtt))


def fixed_rate(d, rate, seconds):
    """Claims at a fixed rate (each released at once) from one connection."""
    c = Client(d.port)
    lat, refused = [], 0
    start = time.perf_counter()
    n = int(rate * seconds)
    for i in range(n):
        due = start + i / rate
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)  # pacing of the fixed arrival rate
        dt, status, s = claim_timed(c)
        if status == 201:
            lat.append(dt)
            c.call("DELETE", "/v1/sessions/" + s["session_id"])
        else:
            refused += 1
    return lat, refused


def bench_b(cl, d):
    rate, seconds = 20, 5 if QUICK else 10
    e2e.poll(lambda: d.pool()["pods"]["ready"] >= 100, 120, "pool filled")
    base, r0 = fixed_rate(d, rate, seconds)
    e2e.poll(lambda: d.pool()["pods"]["ready"] >= 100, 120, "pool refilled")
    status, body = cl.control("POST", "faults", {"match": {}, "latencyMs": 2000})
    assert status == 201, body
    slow, r1 = fixed_rate(d, rate, seconds)
    cl.control("DELETE", "faults")
    print("(b) claim latency at %d claims/s for %d s (claim then release; round trip on one "
          "kept-alive connection)" % (rate, seconds))
    p50a, p99a, p50b, p99b = pct(base, 50), pct(base, 99), pct(slow, 50), pct(slow, 99)
    print("    API latency 0 s : p50 %s  p99 %s  (%d claims, %d refused)"
          % (fmt_us(p50a), fmt_us(p99a), len(base), r0))
    print("    API latency 2 s : p50 %s  p99 %s  (%d claims, %d refused)"
          % (fmt_us(p50b), fmt_us(p99b), len(slow), r1))
    print("    ratio with/without: p50 %.2fx  p99 %.2fx" % (p50b / p50a, p99b / p99a))


def bench_c(cl):
    qps, burst, want = 20, 10, 100
    text = e2e.config_text(cl, min_idle=want, max_total=want + 10)
    text = text.replace('"create_qps": 20, "create_burst": 10', '"create_qps": %d, "create_burst": %d'
                        % (qps, burst)).replace('"max_creating": 10', '"max_creating": 200')
    cl.control("POST", "stats/reset")
    t0 = time.monotonic()
    d = e2e.Daemon(text)
    try:
        e2e.poll(lambda: len(cl.pods()) >= want, 120, "all pods created")
        dt = time.monotonic() - t0
        _, st = cl.control("GET", "stats")
        creates = st["byRequest"].get("create pods 201", 0)
        print("(c) refill from empty to %d pods, budget %d pods/s (burst %d)" % (want, qps, burst))
        print("    %d creates in %.2f s = %.1f pods/s (expected (want-burst)/qps + ~0 = %.1f s)"
              % (creates, dt, creates / dt, (want - burst) / qps))
        e2e.poll(lambda: d.pool()["pods"]["ready"] >= want, 120, "all Ready")
    finally:
        d.stop()


def make_existing(cl, n):
    """n pods of the pool, each bound to a session recorded on it."""
    now = time.time()
    for i in range(n):
        b = {"session": "s-%032x" % (i + 1),
             "claimedAt": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(now)),
             "expiresAt": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(now + 3600)),
             "epoch": 0, "key": "user-%d" % i}
        pod = json.loads(json.dumps(e2e.POD_TEMPLATE))
        pod["metadata"] = {"name": "%s-old%06d" % (e2e.POOL, i),
                           "labels": {"app.kubernetes.io/managed-by": "prewarm",
                                      "prewarm.dev/pool": e2e.POOL},
                           "annotations": {"prewarm.dev/binding": json.dumps(b)}}
        pod["spec"]["nodeName"] = "warm-%d" % (i % 3)
        status, body = cl.call("POST", "/api/v1/namespaces/%s/pods" % e2e.NS, pod)
        assert status == 201, body


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bench_d(cl, n):
    text = e2e.config_text(cl, min_idle=0, max_total=n + 100)
    base = e2e.Daemon(text.replace(e2e.POOL, "empty"))
    e2e.poll(base.ready, 30, "empty pool ready")
    rss0 = rss_kib(base.proc.pid)
    base.stop()
    t_make = time.monotonic()
    make_existing(cl, n)
    e2e.poll(lambda: sum(1 for p in cl.pods() if (p.get("status") or {}).get("podIP")) >= n,
             600, "existing pods running")
    made = time.monotonic() - t_make
    t0 = time.monotonic()
    d = e2e.Daemon(text)
    try:
        e2e.poll(d.ready, 300, "serving with %d existing pods" % n)
        serving = time.monotonic() - t0
        p = d.pool()["pods"]
        rss1 = rss_kib(d.proc.pid)
        print("(d) start with %d existing pods, each bound to a session recorded on it (made in %.0f s)"
              % (n, made))
        print("    start -> serving (readyz 200): %.2f s; sessions restored: %d" % (serving, p["bound"]))
        print("    resident memory %d KiB vs %d KiB with an empty pool of the same max_total: "
              "%.0f bytes per tracked pod (informer record + pool core pod and session records)"
              % (rss1, rss0, (rss1 - rss0) * 1024.0 / n))
    finally:
        d.stop()


def bench_e(cl, d, sessions=50):
    e2e.poll(lambda: d.pool()["pods"]["ready"] >= 10, 120, "pool filled")
    e2e.poll(lambda: d.pool()["pods"]["starting"] == 0 and d.pool()["pods"]["creating"] == 0, 60,
             "quiet pool")
    time.sleep(1)  # let the last binding records and deletes of earlier phases land
    cl.control("POST", "stats/reset")
    c = Client(d.port)
    for _ in range(sessions):
        status, s = c.call("POST", "/v1/pools/%s/claims" % e2e.POOL, {"wait_ms": 10000})
        assert status == 201, s
        time.sleep(0.05)  # a short-lived session, so its binding record is written
        c.call("DELETE", "/v1/sessions/" + s["session_id"])
    e2e.poll(lambda: d.pool()["pods"]["ready"] >= 10 and d.pool()["pods"]["draining"] == 0
             and d.pool()["pods"]["starting"] == 0 and d.pool()["pods"]["creating"] == 0,
             120, "pool back at target")
    time.sleep(0.5)
    _, st = cl.control("GET", "stats")
    verbs = {k: v for k, v in st["byVerb"].items() if v}
    total = sum(verbs.values())
    print("(e) API requests per session lifetime (%d sessions: claim, 50 ms, release; pool "
          "refilled after)" % sessions)
    print("    %.2f requests per session: %s" % (total / sessions, ", ".join(
        "%s %.2f" % (k, v / sessions) for k, v in sorted(verbs.items()))))


def main():
    print("prewarm Kubernetes provider benchmark (simulator, %d cores, %s)"
          % (os.cpu_count(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    cl = e2e.Sim(nodes=1, dedicated=3, capacity={"cpu": "1000", "memory": "4000Gi",
                                                  "pods": str(EXISTING + 500)})
    try:
        d = e2e.Daemon(e2e.config_text(cl, min_idle=100, max_total=300).replace(
            '"create_qps": 20', '"create_qps": 100').replace('"max_creating": 10',
                                                             '"max_creating": 100'))
        try:
            e2e.poll(d.ready, 120, "readyz")
            bench_a(cl, d)
            bench_b(cl, d)
            bench_e(cl, d)
        finally:
            d.stop()
        for p in cl.pods():
            cl.call("DELETE", "/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0"
                    % (e2e.NS, p["metadata"]["name"]))
        e2e.poll(lambda: not cl.pods(), 60, "pods gone")
        bench_c(cl)
        for p in cl.pods():
            cl.call("DELETE", "/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0"
                    % (e2e.NS, p["metadata"]["name"]))
        e2e.poll(lambda: not cl.pods(), 60, "pods gone")
        bench_d(cl, EXISTING)
    finally:
        cl.stop()


if __name__ == "__main__":
    main()

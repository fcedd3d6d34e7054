#!/usr/bin/env python3
"""Soak: sustained claim/release load on prewarmd with abusive clients mixed in.

    bench/soak.py BUILD_DIR [--seconds 120] [--interval 5]

Starts BUILD_DIR/src/prewarmd (local pool of demo backends, auth on, a
health listener) on loopback, then for --seconds (at most 600):
  * steady load: claims with live keys over keep-alive HTTP/1.1, and fresh
    claim + backend request + release cycles (each binds, then frees, a pod);
  * abusers, each in its own thread, all the time: silent connections,
    slowloris (a header byte every second), clients that pipeline GET /metrics
    and never read, hostile JSON (trailing bytes, NUL, bad UTF-8, duplicates,
    deep nesting), bad bearer tokens, HTTP/2 garbage after a valid preface,
    connection churn, and strangers poking backends with forged tokens.
Every --interval seconds it prints one line: RSS, open descriptors, open TCP
connections to the API port, claims answered, errors, and claim latency
p50/p99 over the interval. At the end it checks that RSS and descriptors are
flat (the last third against the first third after warm-up) and that no
legitimate claim failed; exits 1 if not. Loopback only, bounded in time.
"""
import argparse
import http.client
import json
import os
import random
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "tools"))
from prewarmd_harness import Prewarmd, quoted_path  # noqa: E402

TOKEN = "soak-client-token-000000000001"
CONFIG = """\
listen: "127.0.0.1:0"
health_listen: "127.0.0.1:0"
limits: {{max_connections: 2048, max_connections_per_address: 2048, request_timeout_ms: 2000}}
auth: {{tokens_file: tokens.txt, open_probes: true, open_metrics: true}}
connect_tokens: {{key_file: connect.key}}
pools:
  - name: soak
    min_idle: 8
    max_idle: 12
    max_total: 40
    session_ttl_seconds: 60
    max_waiters: 100
    local:
      command: [{backend}, --port, "{{port}}", --pod, "{{pod}}"]
      probe: {{type: http, path: /}}
      stop_grace_seconds: 1
"""


class Soak:
    def __init__(self, build, seconds):
        self.d = Prewarmd(os.path.join(build, "src", "prewarmd"),
                          CONFIG.format(backend=quoted_path(
                              os.path.join(build, "src", "prewarm-demo-backend"))),
                          files={"tokens.txt": "%s soak claim,read\n" % TOKEN,
                                 "connect.key": os.urandom(32).hex()},
                          args=("--quiet",), health=True, start_timeout=10, stop_timeout=20)
        self.proc, self.port, self.health = self.d.proc, self.d.port, self.d.health_port
        self.stop_at = time.monotonic() + seconds
        self.lock = threading.Lock()
        self.latencies, self.answered, self.errors = [], 0, []

    def running(self):
        return time.monotonic() < self.stop_at

    def record(self, seconds=None, error=None):
        with self.lock:
            if error:
                self.errors.append(error)
            else:
                self.latencies.append(seconds)
                self.answered += 1

    # ---- legitimate load ----

    def claimer(self, key_mode):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}
        i = 0
        while self.running():
            i += 1
            body = {"key": "soak-%d" % (i % 4)} if key_mode else {"wait_ms": 5000}
            t0 = time.monotonic()
            try:
                conn.request("POST", "/v1/pools/soak/claims", json.dumps(body), hdrs)
                resp = conn.getresponse()
                data = json.loads(resp.read())
                dt = time.monotonic() - t0
                if resp.status not in (200, 201):
                    self.record(error="claim %d %s" % (resp.status, data.get("reason")))
                    continue
                self.record(dt)
                if not key_mode:
                    self.use_and_release(conn, hdrs, data)
            except (OSError, http.client.HTTPException) as e:
                self.record(error="claim: %r" % e)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            time.sleep(0.002 if key_mode else 0.05)  # pacing of the load, not a wait

    def use_and_release(self, conn, hdrs, s):
        host, port = s["address"].rsplit(":", 1)
        b = http.client.HTTPConnection(host, int(port), timeout=10)
        b.request("GET", "/?token=" + s["token"])
        r = b.getresponse()
        r.read()
        b.close()
        if r.status != 200:
            self.record(error="backend refused its own session: %d" % r.status)
        conn.request("DELETE", "/v1/sessions/" + s["session_id"], headers=hdrs)
        conn.getresponse().read()

    # ---- abusers ----

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)

    def silent(self):
        while self.running():
            socks = []
            for _ in range(50):
                try:
                    socks.append(self.connect())
                except OSError:
                    break
            time.sleep(3)
            for s in socks:
                s.close()

    def slowloris(self):
        while self.running():
            try:
                s = self.connect()
                for ch in b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 20:
                    if not self.running():
                        break
                    s.send(bytes([ch]))
                    time.sleep(1)
                s.close()
            except OSError:
                pass

    def non_reader(self):
        req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 2000
        while self.running():
            socks = []
            for _ in range(20):
                try:
                    s = self.connect()
                    s.setblocking(False)
                    try:
                        s.send(req)
                    except BlockingIOError:
                        pass
                    socks.append(s)
                except OSError:
                    break
            time.sleep(4)
            for s in socks:
                s.close()

    def hostile_json(self):
        bodies = [b"{} xyz", b"{}\x00x", b'{"key":"a\\u0000b"}', b'{"key":"\xff\xfe"}',
                  b'{"key":"a","key":"b"}', b"[" * 5000, b'{"wait_ms":1e999}', b"\x00" * 100]
        while self.running():
            body = random.choice(bodies)
            try:
                s = self.connect()
                s.sendall(b"POST /v1/pools/soak/claims HTTP/1.1\r\nHost: x\r\nAuthorization: "
                          b"Bearer " + TOKEN.encode() + b"\r\nContent-Length: %d\r\n\r\n"
                          % len(body) + body)
                s.recv(4096)
                s.close()
            except OSError:
                pass
            time.sleep(0.01)

    def bad_tokens(self):
        while self.running():
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("POST", "/v1/pools/soak/claims", "{}",
                          {"Authorization": "Bearer " + os.urandom(12).hex()})
                c.getresponse().read()
                c.close()
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.01)

    def h2_garbage(self):
        preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
        while self.running():
            try:
                s = self.connect()
                s.sendall(preface + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00" + os.urandom(512))
                s.recv(4096)
                s.close()
            except OSError:
                pass
            time.sleep(0.02)

    def churn(self):
        while self.running():
            try:
                self.connect().close()
            except OSError:
                pass
            time.sleep(0.005)

    def backend_poker(self):
        while self.running():
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.health, timeout=5)
                c.request("GET", "/metrics")
                c.getresponse().read()
                c.close()
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.2)

    # ---- sampling ----

    def sample(self):
        pid = self.proc.pid
        with open("/proc/%d/status" % pid) as f:
            rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        fds = len(os.listdir("/proc/%d/fd" % pid))
        conns = 0
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                for line in f.readlines()[1:]:
                    local, state = line.split()[1], line.split()[3]
                    if int(local.split(":")[1], 16) == self.port and state == "01":
                        conns += 1
        with self.lock:
            lat, self.latencies = sorted(self.latencies), []
            answered, errors = self.answered, len(self.errors)
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1e3 if lat else float("nan")
        return rss, fds, conns, answered, errors, p(0.5), p(0.99)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--interval", type=float, default=5)
    args = ap.parse_args()
    seconds = min(args.seconds, 600)
    soak = Soak(os.path.abspath(args.build), seconds)
    threads = [threading.Thread(target=soak.claimer, args=(True,)),
               threading.Thread(target=soak.claimer, args=(False,))]
    for abuser in (soak.silent, soak.slowloris, soak.non_reader, soak.hostile_json,
                   soak.bad_tokens, soak.h2_garbage, soak.churn, soak.backend_poker):
        threads.append(threading.Thread(target=abuser))
    for t in threads:
        t.daemon = True
        t.start()
    rows = []
    print("%7s %9s %5s %6s %9s %6s %9s %9s" % ("t(s)", "RSS(KiB)", "fds", "conns", "claims",
                                              "errors", "p50(ms)", "p99(ms)"), flush=True)
    start = time.monotonic()
    try:
        while soak.running():
            time.sleep(args.interval)  # sampling period
            row = (time.monotonic() - start,) + soak.sample()
            rows.append(row)
            print("%7.0f %9d %5d %6d %9d %6d %9.2f %9.2f" % row, flush=True)
        for t in threads:
            t.join(timeout=15)
    finally:
        soak.d.stop()
    third = max(1, len(rows) // 3)
    first, last = rows[1:1 + third] or rows[:1], rows[-third:]
    rss0, rss1 = max(r[1] for r in first), max(r[1] for r in last)
    fd0, fd1 = max(r[2] for r in first), max(r[2] for r in last)
    ok = rss1 <= rss0 * 1.2 + 8192 and fd1 <= fd0 + 64 and not soak.errors
    print("soak: RSS %d -> %d KiB, fds %d -> %d, %d claims answered, %d errors%s"
          % (rss0, rss1, fd0, fd1, soak.answered, len(soak.errors),
             "" if not soak.errors else " (first: %s)" % soak.errors[0]))
    print("soak: %s" % ("flat" if ok else "NOT FLAT"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""End-to-end tests of prewarmd with real processes.

Starts the built prewarmd on 127.0.0.1:0 with a temporary config whose pools
run the built prewarm-demo-backend, reads the bound port from its
"listening" line, then drives it over HTTP/1.1 (http.client) and HTTP/2
(curl --http2-prior-knowledge). Every wait is a poll with a deadline.

Usage: e2e_daemon.py PREWARMD DEMO_BACKEND REPO_PREWARM_YAML [TEST...]
With TEST names, runs only those. Prints "N passed, M failed, K skipped"
last; exits 1 on any failure, 77 (CTest's SKIP_RETURN_CODE) when nothing
failed but a test was skipped, 0 otherwise. Tests assert order and outcome,
never speed: every deadline is generous, for a busy 2-core machine.
"""
import http.client
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys

from prewarmd_harness import (LISTEN_ANY, Prewarmd, Skip, Tally, backend_get, local_config,
                              poll)

PREWARMD, BACKEND, REPO_CONFIG = sys.argv[1], sys.argv[2], sys.argv[3]
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

POOLS = """\
  - name: demo
    min_idle: 2
    max_idle: 3
    max_total: 5
    session_ttl_seconds: 60
    session_ttl_max_seconds: 120
    max_waiters: 10
    start_timeout_seconds: 30
    local:
      command: [{backend}, --port, "{port}", --pod, "{pod}"]
      probe: {type: http, path: /}
      stop_grace_seconds: 1
  - name: tiny
    min_idle: 0
    max_idle: 0
    max_total: 1
    max_waiters: 2
    start_timeout_seconds: 30
    local:
      command: [{backend}, --port, "{port}", --pod, "{pod}"]
      probe: {type: tcp}
      stop_grace_seconds: 1
  - name: stuck
    min_idle: 0
    max_idle: 0
    max_total: 1
    max_waiters: 1
    start_timeout_seconds: 60
    local:
      command: [/bin/sleep, "120"]
      probe: {type: tcp}
      stop_grace_seconds: 1
"""


def start(config=None, text=None, preexec_fn=None):
    """prewarmd on the config file config, or on text (POOLS by default)."""
    return Prewarmd(PREWARMD, None if config else text or local_config(POOLS, BACKEND),
                    config_path=config, args=LISTEN_ANY, timeout=60, preexec_fn=preexec_fn)


def claim(d, pool="demo", **body):
    """Claims; waits up to 30 s (the most the API allows) for a pod unless
    the caller says otherwise, so a pool still refilling from an earlier test
    on a busy machine does not fail it."""
    body.setdefault("wait_ms", 30000)
    return d.claim(pool, **body)


def ready_idle(d, pool, n):
    return lambda: d.pool(pool)["pods"]["ready"] >= n


# ---- tests (each takes the running daemon) ----

def test_health_and_ready(d):
    status, _, body = d.request("GET", "/healthz")
    assert status == 200 and body == {"status": "ok"}, body
    poll(lambda: d.request("GET", "/readyz")[0] == 200, what="readyz")
    status, _, body = d.request("GET", "/readyz")
    assert body["ready"] is True, body
    assert body["pools"] == {"demo": True, "tiny": True, "stuck": True}, body


def test_claim_http1_and_backend_fencing(d):
    status, _, s = claim(d, ttl_seconds=30)
    assert status == 201, s
    for field in ("session_id", "pool", "pod", "address", "node", "token", "claimed_at",
                  "expires_at", "bind_ns"):
        assert field in s, field
    assert s["pool"] == "demo" and s["pod"].startswith("local-"), s
    assert s["address"].startswith("127.0.0.1:"), s
    assert RFC3339_MS.match(s["claimed_at"]) and RFC3339_MS.match(s["expires_at"]), s
    assert isinstance(s["bind_ns"], int) and s["bind_ns"] > 0, s
    code, body = backend_get(s["address"], s["token"])
    assert code == 200 and body["pod"] == s["pod"], body
    code, body = backend_get(s["address"], "someone-else")
    assert code == 401, body  # not a token prewarm signed
    status, _, got = d.request("GET", "/v1/sessions/" + s["session_id"])
    assert status == 200 and got["pod"] == s["pod"] and "token" not in got, got
    status, _, got = d.request("POST", "/v1/sessions/%s/keepalive" % s["session_id"])
    assert status == 200 and got["session_id"] == s["session_id"], got
    status, _, got = d.request("DELETE", "/v1/sessions/" + s["session_id"])
    assert status == 200 and got["status"] == "Released", got
    status, _, got = d.request("GET", "/v1/sessions/" + s["session_id"])
    assert status == 404 and got["reason"] == "NotFound", got
    poll(lambda: d.pool("demo")["pods"]["bound"] == 0 and d.pool("demo")["pods"]["ready"] >= 2,
         what="refill after release")


def test_claim_http2(d):
    url = "http://127.0.0.1:%d/v1/pools/demo/claims" % d.port
    out = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-X", "POST",
                          "-H", "Content-Type: application/json", "-d", "{}",
                          "-w", "\n%{http_version} %{http_code}", url],
                         capture_output=True, timeout=60, check=True).stdout.decode()
    body, meta = out.rsplit("\n", 1)
    assert meta == "2 201", out
    s = json.loads(body)
    code, backend = backend_get(s["address"], s["token"])
    assert code == 200 and backend["pod"] == s["pod"], backend
    url = "http://127.0.0.1:%d/v1/sessions/%s" % (d.port, s["session_id"])
    out = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-X", "DELETE",
                          "-w", "\n%{http_version} %{http_code}", url],
                         capture_output=True, timeout=60, check=True).stdout.decode()
    body, meta = out.rsplit("\n", 1)
    assert meta == "2 200" and json.loads(body)["status"] == "Released", out
    poll(lambda: backend_refuses(s["address"]), what="released backend stopped")
    poll(lambda: d.pool("demo")["pods"]["bound"] == 0 and d.pool("demo")["pods"]["ready"] >= 2,
         what="refill after release over HTTP/2")


def test_key_reuse_and_request_id(d):
    status, _, a = claim(d, key="user-42")
    assert status == 201, a
    status, _, b = claim(d, key="user-42")
    assert status == 200 and b["session_id"] == a["session_id"] and b["pod"] == a["pod"], b
    assert b["outcome"] == "key_reused", b
    status, _, c = claim(d, request_id="req-1")
    assert status == 201 and c["session_id"] != a["session_id"], c
    status, _, e = claim(d, request_id="req-1")
    assert status == 200 and e["session_id"] == c["session_id"] and e["outcome"] == "replayed", e
    for s in (a, c):
        assert d.request("DELETE", "/v1/sessions/" + s["session_id"])[0] == 200
    status, _, f = claim(d, key="user-42")
    assert status == 201 and f["session_id"] != a["session_id"], f
    assert d.request("DELETE", "/v1/sessions/" + f["session_id"])[0] == 200
    odd = 'q"uote\\back\nline\u00e9\x01'
    status, _, g = claim(d, key=odd, request_id=odd)
    assert status == 201 and g["key"] == odd and g["request_id"] == odd, g
    assert d.request("DELETE", "/v1/sessions/" + g["session_id"])[0] == 200


def test_empty_pool_503_and_wait(d):
    status, headers, body = claim(d, pool="tiny", wait_ms=0)
    assert status == 503 and headers.get("Retry-After") == "1", (status, headers)
    assert body["reason"] == "PoolEmpty" and body["code"] == 503, body
    status, _, s = claim(d, pool="tiny", wait_ms=30000)
    assert status == 201 and s["outcome"] == "waited" and s["pool"] == "tiny", s
    code, backend = backend_get(s["address"], s["token"])
    assert code == 200 and backend["pod"] == s["pod"], backend
    assert d.request("DELETE", "/v1/sessions/" + s["session_id"])[0] == 200
    poll(lambda: d.pool("tiny")["live"] == 0, what="tiny pool drained")


def test_same_key_waiters_share_one_session(d):
    """Two waiters with one key: the first gets a new session (201 waited),
    the second the same session as a key reuse (200 key_reused)."""
    conns = []
    for n in (1, 2):
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
        conn.request("POST", "/v1/pools/tiny/claims",
                     body=json.dumps({"key": "shared", "wait_ms": 30000}).encode())
        conns.append(conn)
        if n == 1:  # the second may queue, or find the session already bound
            poll(lambda: d.pool("tiny")["waiters"] + d.pool("tiny")["sessions"] >= 1,
                 what="waiter 1 queued")
    answers = []
    for conn in conns:
        resp = conn.getresponse()
        answers.append((resp.status, json.loads(resp.read())))
        conn.close()
    (s1, a), (s2, b) = answers
    assert s1 == 201 and a["outcome"] == "waited", a
    assert s2 == 200 and b["outcome"] == "key_reused", b
    assert a["session_id"] == b["session_id"], (a, b)
    assert d.request("DELETE", "/v1/sessions/" + a["session_id"])[0] == 200
    poll(lambda: d.pool("tiny")["live"] == 0, what="tiny pool drained")


def test_wait_timeout_and_cancel(d):
    status, headers, body = claim(d, pool="stuck", wait_ms=200)
    assert status == 503 and body["reason"] == "WaitTimedOut", body
    assert headers.get("Retry-After") == "1", headers
    # A waiting client that hangs up withdraws its waiter.
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
    conn.request("POST", "/v1/pools/stuck/claims", body=b'{"wait_ms":30000}')
    poll(lambda: d.pool("stuck")["waiters"] == 1, what="waiter queued")
    status, headers, body = claim(d, pool="stuck", wait_ms=1000)
    assert status == 503 and body["reason"] == "TooManyWaiters", body
    conn.close()
    poll(lambda: d.pool("stuck")["waiters"] == 0, what="waiter withdrawn")
    _, _, metrics = d.request("GET", "/metrics")
    assert re.search(rb'prewarm_claims_total\{pool="stuck",outcome="cancelled"\} 1\n', metrics)
    assert re.search(rb'prewarm_claims_total\{pool="stuck",outcome="timed_out"\} 1\n', metrics)


def metric(d, pattern):
    _, _, text = d.request("GET", "/metrics")
    m = re.search(pattern.encode() + rb" (\d+)\n", text)
    return int(m.group(1)) if m else 0


def test_undelivered_answer_releases_its_session(d):
    """A 201 queued behind a deferred answer on a pipelined HTTP/1.1
    connection never leaves prewarmd if the client hangs up: its new session
    is released instead of holding a pod until it expires."""
    released = r'prewarm_sessions_ended_total\{pool="demo",reason="released"\}'
    poll(ready_idle(d, "demo", 1), what="an idle demo pod")
    before = metric(d, released)
    sessions = d.pool("demo")["sessions"]
    sock = socket.create_connection(("127.0.0.1", d.port), timeout=30)
    waits, now = b'{"wait_ms":30000}', b"{}"
    sock.sendall(b"POST /v1/pools/stuck/claims HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                 b"POST /v1/pools/demo/claims HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                 % (len(waits), waits, len(now), now))
    poll(lambda: d.pool("stuck")["waiters"] == 1 and d.pool("demo")["sessions"] == sessions + 1,
         what="waiter queued and claim bound behind it")
    sock.close()
    poll(lambda: d.pool("demo")["sessions"] == sessions and d.pool("stuck")["waiters"] == 0,
         what="undelivered session released")
    assert metric(d, released) == before + 1


def test_ttl_expiry(d):
    """The daemon's tick timer ends a session at its TTL and the pod goes."""
    status, _, s = claim(d, ttl_seconds=1)
    assert status == 201, s
    poll(lambda: d.request("GET", "/v1/sessions/" + s["session_id"])[0] == 404,
         what="session to expire")
    _, _, metrics = d.request("GET", "/metrics")
    assert re.search(rb'prewarm_sessions_ended_total\{pool="demo",reason="ttl"\} 1\n', metrics)
    poll(lambda: backend_refuses(s["address"]), what="expired pod's backend stopped")


def backend_refuses(address):
    """True once nothing listens at address. A backend that is shutting down
    may still accept and then reset or close the connection: not yet."""
    try:
        backend_get(address)
        return False
    except ConnectionRefusedError:
        return True
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected,
            http.client.IncompleteRead, socket.timeout, ValueError):
        return False


def test_killed_backend_is_replaced(d):
    poll(ready_idle(d, "demo", 2), what="demo ready")
    status, _, s = claim(d)
    assert status == 201, s
    code, backend = backend_get(s["address"])
    assert code == 200
    os.kill(backend["pid"], signal.SIGKILL)
    poll(lambda: d.request("GET", "/v1/sessions/" + s["session_id"])[0] == 404,
         what="session of the killed pod to end")
    poll(ready_idle(d, "demo", 2), what="replacement pods")
    _, _, metrics = d.request("GET", "/metrics")
    assert re.search(rb'prewarm_sessions_ended_total\{pool="demo",reason="pod_died"\} [1-9]',
                     metrics), metrics


def test_bad_input(d):
    cases = [
        ("POST", "/v1/pools/demo/claims", b"{not json", 400, "BadRequest"),
        ("POST", "/v1/pools/demo/claims", b"[]", 400, "BadRequest"),
        ("POST", "/v1/pools/demo/claims", b'{"colour":"red"}', 400, "BadRequest"),
        ("POST", "/v1/pools/demo/claims", b'{"key":5}', 400, "BadRequest"),
        ("POST", "/v1/pools/demo/claims", json.dumps({"key": "k" * 129}).encode(), 400,
         "BadRequest"),
        ("POST", "/v1/pools/demo/claims", b'{"ttl_seconds":99999}', 422, "Invalid"),
        ("POST", "/v1/pools/demo/claims", b'{"wait_ms":-1}', 422, "Invalid"),
        ("POST", "/v1/pools/demo/claims", b'{"wait_ms":30001}', 422, "Invalid"),
        ("POST", "/v1/pools/demo/claims", b'{"metadata":3}', 400, "BadRequest"),
        ("POST", "/v1/pools/nope/claims", b"{}", 404, "NotFound"),
        ("GET", "/v1/pools/demo/claims", None, 405, "MethodNotAllowed"),
        ("PUT", "/v1/sessions/s-123", None, 405, "MethodNotAllowed"),
        ("GET", "/v1/sessions/s-0000", None, 404, "NotFound"),
        ("GET", "/nowhere", None, 404, "NotFound"),
    ]
    for method, path, body, want, reason in cases:
        status, headers, got = d.request(method, path, body=body)
        assert status == want, (method, path, body, status, got)
        assert isinstance(got, dict) and got["reason"] == reason and got["code"] == want, got
        if want == 405:
            assert headers.get("Allow"), headers


def test_metrics(d):
    status, headers, body = d.request("GET", "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = body.decode()
    for family, kind in (("prewarm_pods", "gauge"), ("prewarm_sessions", "gauge"),
                         ("prewarm_waiters", "gauge"), ("prewarm_claims_total", "counter"),
                         ("prewarm_claim_bind_seconds", "histogram")):
        assert "# TYPE %s %s\n" % (family, kind) in text, family
        assert "# HELP %s " % family in text, family
    assert re.search(r'prewarm_pods\{pool="demo",state="ready"\} \d+', text)
    assert re.search(r'prewarm_claims_total\{pool="demo",outcome="bound"\} [1-9]', text)
    assert re.search(r'prewarm_claim_bind_seconds_count\{pool="demo"\} [1-9]', text)


def test_shutdown_stops_children(d):
    kids = poll(d.children, what="children listed")
    d.proc.send_signal(signal.SIGTERM)
    code = d.proc.wait(timeout=30)
    assert code == 0, "exit %d: %s" % (code, d.log())
    for pid in kids:
        assert not os.path.exists("/proc/%d/stat" % pid) or \
            open("/proc/%d/stat" % pid).read().split()[2] == "Z", pid
    # The log is JSON lines (one object each, with ts, level and msg); the
    # last says the daemon stopped.
    lines = [json.loads(line) for line in d.log().splitlines() if line]
    assert all({"ts", "level", "msg"} <= set(line) for line in lines), lines
    assert lines[-1]["msg"] == "stopped", lines[-1]


TESTS = [test_health_and_ready, test_claim_http1_and_backend_fencing, test_claim_http2,
         test_key_reuse_and_request_id, test_empty_pool_503_and_wait,
         test_same_key_waiters_share_one_session,
         test_wait_timeout_and_cancel, test_undelivered_answer_releases_its_session,
         test_ttl_expiry,
         test_killed_backend_is_replaced, test_bad_input, test_metrics,
         test_shutdown_stops_children]


def test_repo_demo_config():
    """The repository's prewarm.yaml runs as shipped (its backend is found
    next to prewarmd); only the port is overridden."""
    d = start(config=os.path.abspath(REPO_CONFIG))
    try:
        poll(lambda: d.request("GET", "/readyz")[0] == 200, what="demo pool ready")
        assert d.pool("demo")["pods"]["ready"] >= 3
        status, _, s = claim(d)
        assert status == 201, s
        code, backend = backend_get(s["address"], s["token"])
        assert code == 200 and backend["pod"] == s["pod"], backend
        test_shutdown_stops_children(d)
    finally:
        d.stop()


def test_more_pods_than_the_soft_fd_limit():
    """A fresh machine gives a process 1024 descriptors (soft limit) and a
    much higher hard limit; each local pod holds one (its pidfd). prewarmd
    raises its soft limit, so a pool larger than the soft limit fills."""
    soft = 48
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 4 * soft:
        raise Skip("hard descriptor limit %d is below %d" % (hard, 4 * soft))
    pods = soft + 16
    wide = """\
  - name: wide
    min_idle: %d
    max_idle: %d
    max_total: %d
    start_timeout_seconds: 30
    local:
      command: [{backend}, --port, "{port}", --pod, "{pod}"]
      probe: {type: tcp}
      stop_grace_seconds: 1
""" % (pods, pods, pods)
    d = start(text=local_config(wide, BACKEND), preexec_fn=lambda: resource.setrlimit(
        resource.RLIMIT_NOFILE, (soft, hard)))
    try:
        poll(lambda: d.pool("wide")["pods"]["ready"] == pods, timeout=90,
             what="%d pods Ready under a soft limit of %d descriptors" % (pods, soft))
    finally:
        d.stop()


# Tests that start their own daemon.
SOLO = [test_repo_demo_config, test_more_pods_than_the_soft_fd_limit]
# Run when no test is named; the descriptor-limit test has a CTest entry of
# its own (e2e.fd_limit) so that its skip shows.
SOLO_DEFAULT = [test_repo_demo_config]


def main():
    wanted = set(sys.argv[4:])
    known = {t.__name__ for t in TESTS + SOLO}
    unknown = wanted - known
    if unknown:
        print("unknown test(s): %s (known: %s)" % (" ".join(sorted(unknown)), " ".join(sorted(known))))
        return 2
    chosen = [t for t in TESTS if not wanted or t.__name__ in wanted]
    solo = [t for t in SOLO if (t.__name__ in wanted if wanted else t in SOLO_DEFAULT)]
    tally = Tally()
    if chosen:
        d = start()
        try:
            for test in chosen:
                tally.run(test, d)
        finally:
            d.terminate()  # prewarmd stops its backends on SIGTERM
            if tally.failed:
                print("--- prewarmd stderr ---\n" + d.log()[-4000:])
            d.stop()
    for test in solo:
        tally.run(test)
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())

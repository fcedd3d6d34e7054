#!/usr/bin/env python3
"""Hardening tests of prewarmd over real sockets: hostile input, connection
abuse, signals, failed backends, backend-verified connect tokens, bearer-token
auth with roles, per-caller scoping and rate limits, over HTTP/1.1 and h2c.

Each test names the defect or the behaviour it pins. Every wait is a poll
with a deadline. Usage: e2e_hardening.py PREWARMD DEMO_BACKEND
Prints "N passed, M failed, K skipped" last; exits non-zero on any failure.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

from prewarmd_harness import (JSON_HEADERS, Prewarmd, Tally, backend_get, local_config,
                              metric_samples, poll)

PREWARMD, BACKEND = sys.argv[1], sys.argv[2]
# A command prefix for prewarmd, e.g. valgrind (the e2e.valgrind test).
WRAP = os.environ.get("PREWARM_E2E_WRAP", "").split()
KEY = b"k" * 40  # connect key the tests configure
TOKENS = {
    "api": "tok-api-server-000000000001",
    "other": "tok-other-caller-00000000002",
    "reader": "tok-read-only-0000000000003",
    "admin": "tok-admin-000000000000000004",
    "slow": "tok-rate-limited-00000000005",
}
TOKENS_FILE = """\
# token caller roles [options]
{api} api-server claim,read
{other} other-app claim
{reader} dashboard read
{admin} ops admin
{slow} slow-app claim rate=2 burst=2 waiters=1
""".format(**TOKENS)

POOL = """\
  - name: {name}
    min_idle: {min_idle}
    max_idle: {max_idle}
    max_total: {max_total}
    session_ttl_seconds: 60
    session_ttl_max_seconds: 120
    max_waiters: 10
    start_timeout_seconds: 10
    local:
      command: [{{backend}}, --port, "{{port}}", --pod, "{{pod}}"]
      probe: {{type: http, path: /, interval_ms: 200, timeout_ms: 300, failure_threshold: 2}}
      stop_grace_seconds: 1
"""


def config(extra="", pools=(("demo", 2, 3, 6),)):
    return local_config("".join(POOL.format(name=name, min_idle=lo, max_idle=hi, max_total=total)
                                for name, lo, hi, total in pools), BACKEND, extra)


def Daemon(text, files=None, env=None, pass_fds=()):
    """prewarmd on ephemeral ports (the health listener's too when text
    configures one); under WRAP (valgrind) stop() fails on a non-zero exit,
    meaning errors or leaks."""
    return Prewarmd(PREWARMD, text, files=files, wrap=WRAP, headers=JSON_HEADERS, timeout=20,
                    stop_timeout=60, health="health_listen" in text, clean_exit=bool(WRAP),
                    env=env, pass_fds=pass_fds)


def rss_kib(d):
    with open("/proc/%d/status" % d.proc.pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def claim(d, pool="demo", token=None, **body):
    body.setdefault("wait_ms", 10000)
    return d.claim(pool, token=token, **body)


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_token(token, key, pool, pod):
    """What a backend does with a connect token (the README's recipe)."""
    version, payload, sig = token.split(".")
    mac = hmac.new(key, (version + "." + payload).encode(), hashlib.sha256).digest()
    assert version == "v1" and hmac.compare_digest(mac, b64d(sig)), "bad signature"
    session, token_pool, token_pod, expires, epoch = b64d(payload).decode().split("|")
    assert (token_pool, token_pod) == (pool, pod), (token_pool, token_pod)
    assert int(expires) > time.time(), expires
    return session, int(epoch)


def raw_exchange(port, data, timeout=5.0):
    """Sends bytes on a fresh connection and returns all it gets until close."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out


def status_and_body(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


# ---- the defects (each of these failed before its fix) ----

def refused(d, token=None, port=None):
    """The refusal counters of a scrape: {(family, reason): count}."""
    status, _, body = d.raw("GET", "/metrics", port=port,
                            headers={"Authorization": "Bearer " + token} if token else {})
    assert status == 200, body
    return {(name, dict(labels)["reason"]): v for (name, labels), v in
            metric_samples(body.decode()).items()
            if name in ("prewarm_requests_refused_total", "prewarm_connections_refused_total")}


def test_body_must_be_exactly_one_json_value(d):
    for body in (b"{} xyz", b"{}\x00xyz", b"{}{}", b'{"key":"t1"} 1'):
        status, _, err = d.request("POST", "/v1/pools/demo/claims", body=body)
        assert status == 400 and err["reason"] == "BadRequest", (body, status, err)


def test_nul_in_strings_is_refused(d):
    status, _, first = claim(d, key="nul-a")
    assert status == 201, first
    status, _, err = d.request("POST", "/v1/pools/demo/claims",
                               body=b'{"key":"nul-a\\u0000someone-else"}')
    assert status == 400 and "session_id" not in err, (status, err)
    assert "token" not in json.dumps(err)
    d.request("DELETE", "/v1/sessions/" + first["session_id"])


def test_invalid_utf8_refused_and_echoes_escaped(d):
    status, _, err = d.request("POST", "/v1/pools/demo/claims",
                               body=b'{"key":"\xff\xfe\xc3"}')
    assert status == 400, (status, err)
    # A pool name of invalid bytes: 404 whose body is still valid UTF-8 JSON.
    status, _, raw = d.raw("GET", "/v1/pools/%ff%fe", b"")
    s = socket.create_connection(("127.0.0.1", d.port))
    s.sendall(b"GET /v1/pools/\xff\xfe\xc3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    code, body = status_and_body(data)
    assert code in (400, 404), data
    json.loads(body.decode("utf-8"))  # raises on raw invalid bytes


def test_duplicate_fields_are_refused(d):
    status, _, err = d.request("POST", "/v1/pools/demo/claims",
                               body=b'{"key":"a1","key":"b1"}')
    assert status == 400 and "key" in err["message"], (status, err)
    status, _, err = d.request("POST", "/v1/pools/demo/claims",
                               body=b'{"metadata":{"x":1,"x":2}}')
    assert status == 400, (status, err)


def test_silent_connections_timeout_and_per_address_limit():
    """Defect 5: silent connections held a slot for the idle timeout (60 s);
    one address could take every slot, health included."""
    d = Daemon(config('health_listen: "127.0.0.1:0"\n'
                      "limits: {max_connections: 40, max_connections_per_address: 8,"
                      " request_timeout_ms: 800, idle_timeout_ms: 30000}\n"))
    socks = []
    try:
        # One address: the 9th connection is refused at once.
        for _ in range(8):
            socks.append(socket.create_connection(("127.0.0.1", d.port)))
        extra = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        assert extra.recv(1) == b"", "a 9th connection from one address was served"
        extra.close()
        # Other addresses fill the listener; probes still answer on the health port.
        for i in range(32):
            s = socket.socket()
            s.bind(("127.0.0.%d" % (2 + i // 8), 0))
            s.connect(("127.0.0.1", d.port))
            socks.append(s)
        extra = socket.socket()
        extra.bind(("127.0.0.9", 0))
        extra.connect(("127.0.0.1", d.port))
        extra.settimeout(5)
        assert extra.recv(1) == b"", "a 41st connection was served"
        extra.close()
        counts = refused(d, port=d.health_port)  # each refusal counted by why
        assert counts[("prewarm_connections_refused_total", "per_address")] == 1, counts
        assert counts[("prewarm_connections_refused_total", "full")] == 1, counts
        status, _, body = d.request("GET", "/healthz", port=d.health_port)
        assert status == 200 and body == {"status": "ok"}, body
        status, _, _ = d.request("GET", "/metrics", port=d.health_port)
        assert status == 200
        status, _, _ = d.request("POST", "/v1/pools/demo/claims", {}, port=d.health_port)
        assert status == 404, "claims must not be served on the health listener"
        # Silent connections are closed after the request timeout, not the idle one.
        start = time.monotonic()
        for s in socks:
            s.settimeout(10)
            assert s.recv(1) in (b"", b"H")  # closed (maybe after a 408)
        assert time.monotonic() - start < 5, time.monotonic() - start
        status, _, _ = d.request("GET", "/healthz")
        assert status == 200
    finally:
        for s in socks:
            s.close()
        d.stop()


def test_clients_that_never_read_have_bounded_memory():
    """Defect 6: pipelined GET /metrics without reading grew RSS without bound."""
    # Under AddressSanitizer, freed memory sits in a quarantine and would
    # count as RSS: turn that off for this daemon (no effect on a plain build).
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0"
    d = Daemon(config("limits: {max_connections: 400, max_connections_per_address: 400,"
                      " max_output_bytes: 33554432}\n", pools=(("demo", 0, 0, 1),)), env=env)
    socks = []
    try:
        base = rss_kib(d)
        req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 4000
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", d.port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.setblocking(False)
            try:
                s.send(req)
            except BlockingIOError:
                pass
            socks.append(s)
        # Give the daemon the chance to dispatch all it would: it answers
        # health checks only after its loop has been through every connection.
        # That is 200 connections' worth of /metrics answers: on a starved
        # machine it can take far longer than a usual request (20 s here),
        # and only memory is judged, so each check may wait two minutes.
        for _ in range(3):
            assert d.request("GET", "/healthz", timeout=120)[0] == 200
        grown = (rss_kib(d) - base) / 1024
        print("  RSS grew %.1f MiB for 200 non-reading pipelining clients" % grown)
        assert grown < 96, "RSS grew %.0f MiB" % grown
    finally:
        for s in socks:
            s.close()
        d.stop()


def test_sighup_reloads_and_keeps_sessions():
    d = Daemon(config("auth: {tokens_file: tokens.txt}\n"), files={"tokens.txt": TOKENS_FILE})
    try:
        status, _, s = claim(d, token=TOKENS["api"], key="hup")
        assert status == 201, s
        with open(os.path.join(d.dir, "tokens.txt"), "a") as f:
            f.write("tok-added-after-start-000006 late-app claim\n")
        d.proc.send_signal(signal.SIGHUP)
        poll(lambda: "reload" in d.log(), what="a reload log line")
        assert d.proc.poll() is None, "SIGHUP killed prewarmd"
        status, _, again = claim(d, token=TOKENS["api"], key="hup")
        assert status == 200 and again["session_id"] == s["session_id"], again
        status, _, late = claim(d, token="tok-added-after-start-000006")
        assert status == 201, late
    finally:
        d.stop()


def test_stopped_backend_is_never_handed_out():
    """Defect 8: a SIGSTOPped idle backend stayed Ready and was handed out."""
    d = Daemon(config(pools=(("demo", 2, 2, 4),)))
    stopped = []
    try:
        poll(lambda: d.pool("demo")["pods"]["ready"] >= 2, what="2 ready pods")
        stopped = d.children()
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        # prewarmd notices the failed probes and replaces both backends.
        poll(lambda: not set(stopped) & set(d.children()) and
             d.pool("demo")["pods"]["ready"] >= 2, timeout=20, what="replaced backends")
        status, _, s = claim(d)
        assert status == 201, s
        code, body = backend_get(s["address"], s["token"])
        assert code == 200, body
    finally:
        for pid in stopped:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        d.stop()


def test_backend_accepts_only_the_token_prewarm_issued(d):
    """Defect 9: a stranger's ?token=x poisoned an idle backend."""
    poll(lambda: d.pool("demo")["pods"]["ready"] >= 1, what="a ready pod")
    status, _, s = claim(d)
    assert status == 201, s
    code, body = backend_get(s["address"], "x")
    assert code in (401, 403), (code, body)
    forged = s["token"][:-2] + ("AA" if s["token"][-2:] != "AA" else "BB")
    code, _ = backend_get(s["address"], forged)
    assert code in (401, 403), code
    code, body = backend_get(s["address"], s["token"])
    assert code == 200 and body["session"] == s["session_id"], body
    verify_token(s["token"], KEY, s["pool"], s["pod"])
    d.request("DELETE", "/v1/sessions/" + s["session_id"])


def test_listen_host_names_and_errors():
    """Defect 10: host names failed only at start; errors did not name the address."""
    d = Daemon(config().replace('listen: "127.0.0.1:0"', 'listen: "localhost:0"'))
    try:
        assert d.request("GET", "/healthz")[0] == 200
        port = d.port
        with tempfile.TemporaryDirectory() as tmp:
            def run(text):
                path = os.path.join(tmp, "c.yaml")
                with open(path, "w") as f:
                    f.write(text)
                p = subprocess.run([PREWARMD, "--config", path], capture_output=True,
                                   text=True, timeout=20)
                return p.returncode, p.stderr
            rc, err = run(config().replace("127.0.0.1:0", "no-such-host.invalid:80"))
            assert rc != 0 and "c.yaml:1:" in err and "listen" in err, err
            rc, err = run(config().replace("127.0.0.1:0", "127.0.0.1:%d" % port))
            assert rc != 0 and "127.0.0.1:%d" % port in err, err
            rc, err = run("42\n")
            assert rc != 0 and not re.search(r":\d+:\d+: :", err), err
    finally:
        d.stop()


def test_backends_get_a_clean_environment_and_no_stray_descriptors():
    """Defect 11: children inherited prewarmd's environment and descriptors."""
    stray = tempfile.NamedTemporaryFile(prefix="prewarm-stray-")
    env = dict(os.environ, PREWARM_TEST_SECRET="do-not-leak")
    text = config().replace("      stop_grace_seconds: 1\n",
                            "      stop_grace_seconds: 1\n      env: {GREETING: hello}\n")
    d = Daemon(text, env=env, pass_fds=(stray.fileno(),))
    try:
        poll(lambda: d.pool("demo")["pods"]["ready"] >= 2, what="ready pods")
        for pid in d.children():
            with open("/proc/%d/environ" % pid, "rb") as f:
                names = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if v)
            assert b"PREWARM_TEST_SECRET" not in names, names.keys()
            assert names.get(b"GREETING") == b"hello", names
            assert b"PREWARM_POD" in names and b"PREWARM_CONNECT_KEY" in names, names.keys()
            fds = os.listdir("/proc/%d/fd" % pid)
            targets = [os.readlink("/proc/%d/fd/%s" % (pid, fd)) for fd in fds]
            assert stray.name not in targets, targets
            assert len(fds) <= 5, targets  # stdio, its listener, maybe one client
    finally:
        d.stop()
        stray.close()


# ---- authentication, authorisation, scoping, rate limits ----

AUTH = "auth: {tokens_file: tokens.txt, open_probes: true}\n"


def test_auth_401_403_and_roles(d):
    before = refused(d, TOKENS["reader"])
    for call in (d.request, lambda *a, **k: (lambda r: (r[0], None, r[1]))(d.h2(*a, **k))):
        status, hdrs, err = call("POST", "/v1/pools/demo/claims", {})
        assert status == 401 and err["reason"] == "Unauthenticated", (status, err)
        status, _, err = call("POST", "/v1/pools/demo/claims", {}, token="tok-wrong-00000000000")
        assert status == 401, (status, err)
        status, _, err = call("POST", "/v1/pools/demo/claims", {}, token=TOKENS["reader"])
        assert status == 403 and err["reason"] == "Forbidden", (status, err)
        status, _, body = call("GET", "/v1/pools/demo", token=TOKENS["reader"])
        assert status == 200, body
        status, _, body = call("GET", "/healthz")
        assert status == 200, body  # open probes
        status, _, err = call("GET", "/metrics")
        assert status == 401, err  # metrics protected
        status, _, _ = call("GET", "/metrics", token=TOKENS["reader"])
        assert status == 200
    status, hdrs, _ = d.request("GET", "/v1/pools")
    assert hdrs.get("WWW-Authenticate", "").startswith("Bearer"), hdrs
    # Changing the log level takes the admin role; reading it, read.
    assert d.request("PUT", "/v1/log/level", {"level": "info"}, token=TOKENS["reader"])[0] == 403
    assert d.request("PUT", "/v1/log/level", {"level": "info"}, token=TOKENS["admin"])[0] == 200
    assert d.request("GET", "/v1/log/level", token=TOKENS["reader"])[0] == 200
    # Each refusal above counted once: 7 x 401 and 3 x 403.
    after = refused(d, TOKENS["reader"])
    delta = {k: after[k] - before[k] for k in after}
    assert delta[("prewarm_requests_refused_total", "unauthenticated")] == 7, delta
    assert delta[("prewarm_requests_refused_total", "forbidden")] == 3, delta
    assert delta[("prewarm_requests_refused_total", "rate_limited")] == 0, delta


def test_keys_and_sessions_are_scoped_per_caller(d):
    for req in (d.request, None):
        api, other = TOKENS["api"], TOKENS["other"]
        if req is None:  # the same over h2c
            def req(m, p, b=None, token=None):
                code, body = d.h2(m, p, b, token=token)
                return code, None, body
        status, _, mine = req("POST", "/v1/pools/demo/claims",
                              {"key": "shared-name", "wait_ms": 10000}, token=api)
        assert status == 201, mine
        status, _, theirs = req("POST", "/v1/pools/demo/claims",
                                {"key": "shared-name", "wait_ms": 10000}, token=other)
        assert status == 201 and theirs["session_id"] != mine["session_id"], theirs
        assert theirs["key"] == "shared-name", theirs  # the scope is not shown
        path = "/v1/sessions/" + mine["session_id"]
        assert req("GET", path, token=other)[0] == 404
        assert req("DELETE", path, token=other)[0] == 404
        assert req("GET", path, token=api)[0] == 200
        assert req("GET", path, token=TOKENS["admin"])[0] == 200
        assert req("DELETE", path, token=api)[0] == 200
        assert req("DELETE", "/v1/sessions/" + theirs["session_id"], token=other)[0] == 200


def test_per_caller_rate_limit_and_waiter_quota(d):
    slow = TOKENS["slow"]
    before = refused(d, TOKENS["reader"])
    codes = []
    for i in range(4):
        status, hdrs, body = d.request("POST", "/v1/pools/demo/claims",
                                       {"request_id": "rl-%d" % i}, token=slow)
        codes.append(status)
        if status == 429:
            assert body["reason"] == "TooManyRequests" and int(hdrs["Retry-After"]) >= 1, hdrs
        elif status == 201:
            d.request("DELETE", "/v1/sessions/" + body["session_id"], token=slow)
    assert codes.count(429) >= 1 and codes[0] != 429, codes
    code, body = d.h2("POST", "/v1/pools/demo/claims", {}, token=slow)
    assert code in (429, 201, 503), (code, body)
    codes.append(code)
    limited = refused(d, TOKENS["reader"])[("prewarm_requests_refused_total", "rate_limited")]
    assert limited - before[("prewarm_requests_refused_total", "rate_limited")] == \
        codes.count(429), (limited, codes)
    # Other callers are not limited by slow-app's bucket.
    status, _, body = claim(d, token=TOKENS["api"])
    assert status == 201, body
    d.request("DELETE", "/v1/sessions/" + body["session_id"], token=TOKENS["api"])


def test_waiter_quota_per_caller():
    d = Daemon(config(AUTH, pools=(("demo", 0, 0, 1),)), files={"tokens.txt": TOKENS_FILE})
    try:
        status, _, held = claim(d, token=TOKENS["api"], wait_ms=15000)
        assert status == 201, held  # the only backend; further claims wait
        slow = TOKENS["slow"]
        first = subprocess.Popen(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-XPOST",
             "-H", "Authorization: Bearer " + slow, "--data", '{"wait_ms": 3000}',
             "http://127.0.0.1:%d/v1/pools/demo/claims" % d.port], stdout=subprocess.PIPE)
        poll(lambda: d.pool("demo", token=TOKENS["api"])["waiters"] == 1, what="one waiter")
        status, hdrs, err = d.request("POST", "/v1/pools/demo/claims", {"wait_ms": 3000},
                                      token=slow)
        assert status == 429 and err["reason"] == "TooManyWaiters", (status, err)
        assert first.communicate(timeout=20)[0] == b"503"
    finally:
        d.stop()


def test_connect_token_h2_and_epoch(d):
    poll(lambda: d.pool("demo", token=TOKENS["api"])["pods"]["ready"] >= 1, what="ready pod")
    code, s = d.h2("POST", "/v1/pools/demo/claims", {"wait_ms": 10000}, token=TOKENS["api"])
    assert code == 201, s
    session, epoch = verify_token(s["token"], KEY, s["pool"], s["pod"])
    assert session == s["session_id"] and epoch == 0
    code, body = backend_get(s["address"], s["token"])
    assert code == 200, body
    d.request("DELETE", "/v1/sessions/" + s["session_id"], token=TOKENS["api"])


SHARED = [
    test_body_must_be_exactly_one_json_value,
    test_nul_in_strings_is_refused,
    test_invalid_utf8_refused_and_echoes_escaped,
    test_duplicate_fields_are_refused,
    test_backend_accepts_only_the_token_prewarm_issued,
]
AUTHED = [
    test_auth_401_403_and_roles,
    test_keys_and_sessions_are_scoped_per_caller,
    test_per_caller_rate_limit_and_waiter_quota,
    test_connect_token_h2_and_epoch,
]
ALONE = [
    test_silent_connections_timeout_and_per_address_limit,
    test_clients_that_never_read_have_bounded_memory,
    test_sighup_reloads_and_keeps_sessions,
    test_stopped_backend_is_never_handed_out,
    test_listen_host_names_and_errors,
    test_backends_get_a_clean_environment_and_no_stray_descriptors,
    test_waiter_quota_per_caller,
]


def run_group(tally, tests, text, files):
    """tests on one daemon, whose stop (under valgrind: no error, no leak)
    counts as a test of its own."""
    try:
        d = Daemon(text, files=files)
    except Exception:
        traceback.print_exc()
        for t in tests:
            tally.failed += 1
            print("FAIL", t.__name__, "(prewarmd did not start)", flush=True)
        return
    failed = tally.failed
    try:
        for t in tests:
            tally.run(t, d)
    finally:
        if tally.failed > failed:
            print("--- prewarmd stderr ---\n" + d.log()[-3000:])
        tally.run(d.stop)


def main():
    key_cfg = "connect_tokens: {key_file: connect.key}\n"
    files = {"connect.key": KEY, "tokens.txt": TOKENS_FILE}
    only = set(sys.argv[3:])
    pick = lambda ts: [t for t in ts if not only or t.__name__ in only]
    tally = Tally()
    for tests, text in ((pick(SHARED), config(key_cfg)), (pick(AUTHED), config(key_cfg + AUTH))):
        if tests:
            run_group(tally, tests, text, files)
    # Under valgrind only the shared daemons run: the others time connections.
    for t in pick(ALONE):
        if WRAP:
            tally.skipped += 1
            print("SKIP", t.__name__, "(timing-bound, not run under %s)" % WRAP[0], flush=True)
        else:
            tally.run(t)
    tally.summary()
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())

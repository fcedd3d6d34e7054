"""The test harness every Python suite of prewarm shares: a real prewarmd
process on ephemeral loopback ports, HTTP to it and to its backends, waits
with a deadline, and a tally of test outcomes.

CTest puts this folder on PYTHONPATH (tests/CMakeLists.txt); by hand:
PYTHONPATH=tests/tools python3 tests/e2e/e2e_daemon.py ...

    d = Prewarmd(prewarmd_path, config_text, args=LISTEN_ANY)
    try:
        d.wait_ready()
        status, headers, body = d.request("GET", "/v1/pools")
    finally:
        d.stop()

A Prewarmd owns its working directory (config, stderr log, any extra
files) unless the caller passes one, and removes it at stop()
(PREWARM_E2E_KEEP=1 keeps it for a post-mortem).
"""
import http.client
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

# Overrides the config's listen address with an ephemeral loopback port.
LISTEN_ANY = ("--listen", "127.0.0.1:0")
JSON_HEADERS = {"Content-Type": "application/json"}
# http, or https when the port has a tls: block.
LISTENING = rb"prewarmd listening on https?://127\.0\.0\.1:(\d+)\n"
HEALTH = rb"prewarmd health on https?://127\.0\.0\.1:(\d+)\n"


class Skip(Exception):
    """Raised by a test that cannot run here; reported as skipped."""


def poll(cond, timeout=30.0, what="condition"):
    """Calls cond() until it returns a true value (returned) or timeout
    seconds pass (AssertionError naming what)."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(delay)  # poll interval, not synchronisation
        delay = min(delay * 2, 0.2)


def read_line(stream, timeout, what, chunk=1):
    """Reads from stream until a newline (timeout s at most) and returns the
    bytes read; AssertionError naming what when none comes or the stream
    ends. chunk > 1 reads faster where nothing after the line matters."""
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            raise AssertionError("%s printed no line in %.0f s" % (what, timeout))
        data = os.read(stream.fileno(), chunk)
        if not data:
            raise AssertionError("%s exited" % what)
        line += data
    return line


def read_port(proc, pattern, log, timeout=30.0):
    """Reads one line of proc's stdout and returns the port that pattern's
    group 1 matches; the AssertionError carries log() (prewarmd's stderr)."""
    try:
        line = read_line(proc.stdout, timeout, "prewarmd")
    except AssertionError as e:
        raise AssertionError("%s: %s" % (e, log())) from None
    m = re.match(pattern, line)
    assert m, line
    return int(m.group(1))


def children(parent):
    """Pids of parent's child processes."""
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                out.append(int(pid))
    return out


def terminate(proc, timeout=30):
    """SIGTERM to proc unless it has exited, SIGKILL after timeout seconds;
    returns its exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def backend_get(address, token=None, timeout=30):
    """GET / on a backend, with ?token= when given: (status, JSON body)."""
    host, port = address.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", "/?token=" + token if token else "/")
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def quoted_path(path):
    """path made absolute and quoted for a YAML config (a JSON string)."""
    return json.dumps(os.path.abspath(path))


def local_config(pools, backend, top=""):
    """Config text: listen on 127.0.0.1:0, the top-level lines top, then
    the `pools:` list pools (YAML) where {backend} stands for backend's
    quoted path."""
    return ('listen: "127.0.0.1:0"\n' + top + "pools:\n" +
            pools.replace("{backend}", quoted_path(backend)))


class Prewarmd:
    """A prewarmd process started with config (YAML text written into its
    working directory) or config_path (an existing file); its listening port
    is read from stdout, and with health=True the health listener's too.

    args: extra command-line arguments (LISTEN_ANY overrides the listen
    address); wrap: a command prefix (valgrind); headers: sent with every
    request(); timeout: each request's default timeout in seconds;
    start_timeout: how long the listening line may take; stop_timeout: how
    long stop() waits after SIGTERM before SIGKILL; clean_exit: stop()
    asserts that prewarmd exited 0; env, preexec_fn, pass_fds: as for Popen.
    """

    def __init__(self, prewarmd, config=None, config_path=None, workdir=None, files=None,
                 args=(), wrap=(), headers=None, timeout=60, start_timeout=30.0,
                 stop_timeout=30, health=False, clean_exit=False, env=None, preexec_fn=None,
                 pass_fds=()):
        self.owned = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="prewarm-test-")
        for name, data in (files or {}).items():
            with open(os.path.join(self.dir, name), "wb") as f:
                f.write(data if isinstance(data, bytes) else data.encode())
        self.config = config_path or os.path.join(self.dir, "prewarm.yaml")
        if config is not None:
            with open(self.config, "w") as f:
                f.write(config)
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.stop_timeout = stop_timeout
        self.wrap = list(wrap)
        self.clean_exit = clean_exit
        # A log of its own per start, so a restart in the same workdir keeps the first.
        self.log_path = os.path.join(self.dir, "prewarmd-%d.log" % time.monotonic_ns())
        self.stderr = open(self.log_path, "w+")
        self.proc = subprocess.Popen(self.wrap + [prewarmd, "--config", self.config, *args],
                                     stdout=subprocess.PIPE, stderr=self.stderr, env=env,
                                     preexec_fn=preexec_fn, pass_fds=pass_fds)
        self.port = read_port(self.proc, LISTENING, self.log, start_timeout)
        self.health_port = read_port(self.proc, HEALTH, self.log) if health else None
        self.base = "http://127.0.0.1:%d" % self.port

    def log(self):
        """All prewarmd wrote to stderr so far."""
        self.stderr.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def raw(self, method, path, body=None, headers=None, port=None, timeout=None):
        """One HTTP/1.1 exchange: (status, headers (case-insensitive), body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", port or self.port,
                                          timeout=timeout or self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

    def request(self, method, path, body=None, headers=None, token=None, port=None,
                timeout=None):
        """(status, headers, body): a body that is not bytes is sent as JSON;
        a JSON answer is parsed (and must be valid UTF-8), others stay bytes."""
        sent = dict(self.headers, **(headers or {}))
        if token:
            sent["Authorization"] = "Bearer " + token
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        status, got, raw = self.raw(method, path, data, sent, port, timeout)
        if not (got.get("Content-Type") or "").startswith("application/json"):
            return status, got, raw
        return status, got, json.loads(raw.decode("utf-8")) if raw else None

    def call(self, method, path, body=None, **kw):
        """request() without the headers: (status, body). (A subclass may
        make this its request(), so it names the base class's.)"""
        status, _, parsed = Prewarmd.request(self, method, path, body, **kw)
        return status, parsed

    def h2(self, method, path, body=None, token=None, port=None):
        """The same over h2c (curl with prior knowledge): (status, body)."""
        cmd = ["curl", "-s", "--http2-prior-knowledge", "-X", method, "-w", "\n%{http_code}",
               "-H", "Content-Type: application/json"]
        if token:
            cmd += ["-H", "Authorization: Bearer " + token]
        if body is not None:
            cmd += ["--data-binary", json.dumps(body)]
        cmd.append("http://127.0.0.1:%d%s" % (port or self.port, path))
        out = subprocess.run(cmd, capture_output=True, timeout=30, check=True).stdout
        raw, code = out.rsplit(b"\n", 1)
        try:
            return int(code), json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            return int(code), raw  # not JSON (metrics)

    def claim(self, pool, token=None, **body):
        """POST /v1/pools/{pool}/claims with body as JSON: (status, headers, body)."""
        return self.request("POST", "/v1/pools/%s/claims" % pool, body, headers=JSON_HEADERS,
                            token=token)

    def pool(self, name, token=None):
        """GET /v1/pools/{name}, which must answer 200."""
        status, body = self.call("GET", "/v1/pools/" + name, token=token)
        assert status == 200, body
        return body

    def ready(self, timeout=5):
        """Whether /readyz answers 200 (False while it cannot connect)."""
        try:
            return self.raw("GET", "/readyz", timeout=timeout)[0] == 200
        except OSError:
            return False

    def wait_ready(self, timeout=30.0):
        poll(self.ready, timeout, "prewarmd ready")

    def children(self):
        return children(self.proc.pid)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def terminate(self, timeout=30):
        """SIGTERM (SIGKILL after timeout s); returns the exit status."""
        return terminate(self.proc, timeout)

    def stop(self):
        """terminate(stop_timeout), then removes what it owns; with
        clean_exit, a non-zero exit (under valgrind: errors or leaks) is an
        AssertionError."""
        code = self.terminate(self.stop_timeout)
        self.proc.stdout.close()
        log = self.log()
        self.stderr.close()
        if self.owned and not os.environ.get("PREWARM_E2E_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        assert not self.clean_exit or code == 0, "prewarmd %s exited %s:\n%s" % (
            " ".join(self.wrap), code, log[-6000:])
        return code

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Tally:
    """Runs tests, prints PASS, FAIL (with the traceback) or SKIP for each,
    and the closing "N passed, M failed, K skipped" line."""

    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def run(self, test, *args, name=None):
        """Runs test(*args); True unless it failed. A string the test
        returns is printed after its name and duration."""
        name = name or test.__name__
        t0 = time.monotonic()
        try:
            detail = test(*args)
            self.passed += 1
            print("PASS %s (%.1f s)%s" % (name, time.monotonic() - t0,
                                          ": " + detail if isinstance(detail, str) else ""),
                  flush=True)
            return True
        except Skip as e:
            self.skipped += 1
            print("SKIP %s: %s" % (name, e), flush=True)
            return True
        except Exception:
            self.failed += 1
            print("FAIL %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)
            traceback.print_exc()
            sys.stdout.flush()
            return False

    def summary(self, skip_code=77):
        """Prints the closing line; the exit status: 1 on a failure,
        skip_code when a test was skipped, else 0."""
        print("%d passed, %d failed, %d skipped" % (self.passed, self.failed, self.skipped),
              flush=True)
        if self.failed:
            return 1
        return skip_code if self.skipped else 0


def require_files(*paths):
    """Exits 1 (one failed test) naming the tools that do not exist."""
    missing = [p for p in paths if not p or not os.path.exists(p)]
    if missing:
        print("missing: %s (./prewarm.sh test installs promtool and makes the venv from "
              "tests/api/requirements.txt)" % ", ".join(map(str, missing)))
        print("0 passed, 1 failed, 0 skipped")
        sys.exit(1)


# ---- /metrics ----

def metric_samples(text):
    """A text-format scrape's samples: {(name, frozenset of (label, value))}: value."""
    samples = {}
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", line)
        if m:
            labels = frozenset(re.findall(r'([a-zA-Z_]\w*)="([^"]*)"', m.group(2) or ""))
            samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def promtool_check_metrics(promtool, text):
    """`promtool check metrics` accepts the scrape without a word of lint."""
    p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), \
        "promtool check metrics: rc=%d\n%s%s" % (p.returncode, p.stdout, p.stderr)


def readme_metric_families(readme):
    """The families README.md's metrics table lists: name -> when ("always", ...)."""
    with open(readme) as f:
        section = f.read().split("## Metrics", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_:]+)(?:\{[^`]*\})?` \| \w+ \| ([^|]+) \|", section, re.M)
    assert rows, "no metrics table in " + readme
    return {name: when.strip() for name, when in rows}

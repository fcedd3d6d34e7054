"""A real prewarmd for the API suites: started on 127.0.0.1:0 with a config
whose pools run the built demo backend, stopped with SIGTERM.

    with Prewarmd(prewarmd_path, backend_path, POOLS_YAML) as d:
        status, headers, body = d.request("GET", "/v1/pools")
"""
import http.client
import sys
import traceback
import json
import os
import re
import select
import signal
import subprocess
import tempfile
import time


def poll(cond, timeout=15.0, what="condition"):
    """Calls cond() until it returns a true value or the deadline passes."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(delay)  # poll interval, not synchronisation
        delay = min(delay * 2, 0.2)


class Checks:
    """Runs named checks, prints ok/FAIL for each and the closing line."""

    def __init__(self):
        self.results = []

    def check(self, name, fn):
        try:
            fn()
            self.results.append(True)
            print("ok   " + name, flush=True)
        except Exception:
            self.results.append(False)
            print("FAIL " + name, flush=True)
            traceback.print_exc()

    def summary(self):
        passed = sum(self.results)
        print("%d passed, %d failed" % (passed, len(self.results) - passed))
        return 0 if passed == len(self.results) else 1


def tools_present(*paths):
    """Exits with a failure naming what is missing."""
    missing = [p for p in paths if not p or not os.path.exists(p)]
    if missing:
        print("missing: %s (./prewarm.sh test installs promtool and makes the venv from "
              "tests/api/requirements.txt)" % ", ".join(map(str, missing)))
        print("0 passed, 1 failed")
        sys.exit(1)


class Prewarmd:
    """pools_yaml is the `pools:` list of a config, with {backend} for the
    demo backend's path."""

    def __init__(self, prewarmd, backend, pools_yaml, extra_args=()):
        self.dir = tempfile.TemporaryDirectory(prefix="prewarm-api-")
        self.config = os.path.join(self.dir.name, "prewarm.yaml")
        with open(self.config, "w") as f:
            f.write('listen: "127.0.0.1:0"\npools:\n')
            f.write(pools_yaml.replace("{backend}", json.dumps(os.path.abspath(backend))))
        self.stderr_path = os.path.join(self.dir.name, "stderr.log")
        self.stderr = open(self.stderr_path, "w+")
        self.proc = subprocess.Popen(
            [prewarmd, "--config", self.config, "--listen", "127.0.0.1:0", *extra_args],
            stdout=subprocess.PIPE, stderr=self.stderr)
        self.port = self._read_port()
        self.base = "http://127.0.0.1:%d" % self.port

    def _read_port(self):
        deadline = time.monotonic() + 10
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise AssertionError("prewarmd printed no listening line: " + self.log())
            chunk = os.read(self.proc.stdout.fileno(), 1)
            if not chunk:
                raise AssertionError("prewarmd exited: " + self.log())
            line += chunk
        m = re.match(rb"prewarmd listening on http://127\.0\.0\.1:(\d+)\n", line)
        assert m, line
        return int(m.group(1))

    def log(self):
        self.stderr.flush()
        with open(self.stderr_path) as f:
            return f.read()

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        conn.request(method, path, body=data, headers=headers or {})
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        ctype = resp.getheader("Content-Type") or ""
        parsed = json.loads(raw) if ctype.startswith("application/json") and raw else raw
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed

    def wait_ready(self):
        poll(lambda: self.request("GET", "/readyz")[0] == 200, what="prewarmd ready")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        self.dir.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

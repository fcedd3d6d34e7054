"""What the end-to-end suites share: polling with a deadline, reading the
port prewarmd prints, its child processes, and a GET to a backend."""
import http.client
import json
import os
import re
import select
import time
import traceback


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


def read_port(proc, pattern, log, timeout=30.0):
    """Reads one line of proc's stdout (timeout s at most) and returns the
    port that pattern's group 1 matches; log() explains an early exit."""
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            raise AssertionError("prewarmd printed no listening line")
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            raise AssertionError("prewarmd exited: " + log())
        line += chunk
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


def backend_get(address, token=None):
    """GET / on a backend, with ?token= when given: (status, JSON body)."""
    host, port = address.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/?token=" + token if token else "/")
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    return resp.status, body


def run(test, *args):
    """Runs one test, printing PASS or FAIL (with the traceback); True if it passed."""
    try:
        test(*args)
        print("PASS", test.__name__, flush=True)
        return True
    except Exception:
        print("FAIL", test.__name__, flush=True)
        traceback.print_exc()
        return False

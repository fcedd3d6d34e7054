#!/usr/bin/env python3
"""Runs h2spec (HTTP/2 conformance, RFC 7540/7541) against prewarmd's h2c port,
or with CERTS_DIR against its TLS port (h2 by ALPN, h2spec -t -k).

Builds the pinned h2spec (go.mod/go.sum beside this file, from the Go module
proxy) into BUILD_DIR once, starts prewarmd on 127.0.0.1:0 with a pool-less
health path (/healthz is what h2spec requests), runs every h2spec test and
compares the failures with known_failures.txt (known_failures_tls.txt over
TLS; each with its reason, also in the README). An unexpected failure, or a known one that now passes (the list
must stay true), fails the test.

Usage: run_h2spec.py PREWARMD DEMO_BACKEND BUILD_DIR [CERTS_DIR]
Prints "N passed, M failed" last (h2spec's own counts).
"""
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from prewarmd_harness import Prewarmd

HERE = os.path.dirname(os.path.abspath(__file__))
PREWARMD, BACKEND, BUILD = sys.argv[1], sys.argv[2], sys.argv[3]
CERTS = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 else None
TLS = "tls: {cert_file: %s/server1.crt, key_file: %s/server1.key}\n" % (CERTS, CERTS)

CONFIG = """\
listen: "127.0.0.1:0"
pools:
  - name: demo
    min_idle: 0
    max_idle: 0
    max_total: 1
    local:
      command: [%s, --port, "{port}", --pod, "{pod}"]
"""


def build_h2spec():
    exe = os.path.join(BUILD, "h2spec")
    stamp = os.path.getmtime(os.path.join(HERE, "go.sum"))
    if os.path.exists(exe) and os.path.getmtime(exe) >= stamp:
        return exe
    env = dict(os.environ, GOFLAGS="-mod=readonly")
    subprocess.run(["go", "build", "-o", exe, "github.com/summerwind/h2spec/cmd/h2spec"],
                   cwd=HERE, env=env, check=True)
    return exe


def start_prewarmd():
    return Prewarmd(PREWARMD, (TLS if CERTS else "") + CONFIG % BACKEND, args=("--quiet",),
                    start_timeout=10, stop_timeout=15)


def known_failures():
    known = {}
    name = "known_failures_tls.txt" if CERTS else "known_failures.txt"
    with open(os.path.join(HERE, name)) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                ident, reason = line.rstrip("\n").split("  ", 1)
                known[ident] = reason.strip()
    return known


def read_report(path, stdout):
    """h2spec's JUnit report; it copies frame payloads into failure messages
    unescaped, so control characters that XML 1.0 forbids are dropped first."""
    with open(path, "rb") as f:
        raw = f.read()
    clean = re.sub(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", b"", raw)
    try:
        return ET.fromstring(clean)
    except ET.ParseError:
        print(stdout[-4000:])
        raise


def main():
    exe = build_h2spec()
    known = known_failures()
    with tempfile.TemporaryDirectory(prefix="prewarm-h2spec-") as tmp:
        d = start_prewarmd()
        report = os.path.join(tmp, "report.xml")
        try:
            tls = ["-t", "-k"] if CERTS else []
            out = subprocess.run([exe, "-h", "127.0.0.1", "-p", str(d.port), "-P", "/healthz",
                                  "-o", "10", "-j", report] + tls, capture_output=True,
                                 text=True, timeout=600)
        finally:
            d.stop()
        passed, failed, problems = 0, [], []
        for suite in read_report(report, out.stdout):
            for i, case in enumerate(suite.findall("testcase"), 1):
                ident = "%s/%d" % (case.get("package"), i)
                if case.find("failure") is None and case.find("error") is None \
                        and case.find("skipped") is None:
                    passed += 1
                    if ident in known:
                        problems.append("%s passes now: remove it from known_failures.txt" % ident)
                    continue
                failed.append(ident)
                if ident not in known:
                    problems.append("%s fails: %s" % (ident, case.get("classname")))
    for ident in failed:
        print("h2spec failure %s: %s" % (ident, known.get(ident, "UNEXPECTED")))
    for p in problems:
        print("ERROR", p)
    print("h2spec: %d passed, %d failed (%d known and listed in the README)"
          % (passed, len(failed), len(failed) - len([p for p in problems if "fails:" in p])))
    # The suite's verdict: unexpected failures or stale entries fail the test.
    print("%d passed, %d failed" % (1 if not problems else 0, 1 if problems else 0))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The claim API against its OpenAPI document, driven by schemathesis.

    openapi_test.py PREWARMD DEMO_BACKEND OPENAPI_YAML SCHEMATHESIS REPORT_DIR

Starts a real prewarmd (one pool of demo backends), checks that it serves
the repository's OpenAPI document byte for byte at /openapi.yaml, then runs
schemathesis (pinned in tests/api/requirements.txt) against the live server
from that served document: every check (status codes, content types,
headers, response schemas, negative data rejected, Allow on 405, stateful
sequences through the document's links: claim -> get / keepalive / release),
with a bounded number of examples per operation and a fixed seed
(PREWARM_SCHEMATHESIS_SEED overrides it). Prints how many HTTP requests
schemathesis made (from its HAR report) and "N passed, M failed, K skipped" last.
"""
import json
import os
import re
import subprocess
import sys

from prewarmd_harness import LISTEN_ANY, Prewarmd, Tally, local_config, require_files

PREWARMD, BACKEND, SPEC, SCHEMATHESIS, REPORT_DIR = sys.argv[1:6]
HERE = os.path.dirname(os.path.abspath(__file__))
MAX_EXAMPLES = int(os.environ.get("PREWARM_SCHEMATHESIS_EXAMPLES", "25"))
SEED = os.environ.get("PREWARM_SCHEMATHESIS_SEED", "20261206")

# Short sessions and a few waiters: claims keep finding pods (sessions expire
# and pods are replaced), and no generated wait_ms blocks for long.
POOLS = """\
  - name: demo
    min_idle: 3
    max_idle: 6
    max_total: 12
    session_ttl_seconds: 3
    session_ttl_max_seconds: 3600
    idle_timeout_seconds: 2
    max_waiters: 4
    start_timeout_seconds: 10
    local:
      command: [{backend}, --port, "{port}", --pod, "{pod}"]
      probe: {type: tcp}
      stop_grace_seconds: 1
"""

tally = Tally()


def check(name, fn):
    tally.run(fn, name=name)


def served_document_is_the_repository_one(d):
    status, headers, body = d.request("GET", "/openapi.yaml")
    assert status == 200, status
    assert headers["content-type"].startswith("application/yaml"), headers
    with open(SPEC, "rb") as f:
        assert body == f.read(), "the served document differs from " + SPEC


def har_entries(report_dir):
    hars = [f for f in os.listdir(report_dir) if f.startswith("har")]
    assert hars, "schemathesis wrote no HAR report"
    with open(os.path.join(report_dir, hars[0])) as f:
        return json.load(f)["log"]["entries"]


def count_requests(report_dir):
    return len(har_entries(report_dir))


def responses_of(doc):
    """(where, response object) of every response of every operation, $refs resolved."""
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            for code, resp in op["responses"].items():
                if "$ref" in resp:
                    resp = doc["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
                yield "%s %s %s" % (method.upper(), path, code), resp


def document_declares_headers():
    import yaml
    with open(SPEC) as f:
        doc = yaml.safe_load(f)
    n = 0
    for where, resp in responses_of(doc):
        headers = resp.get("headers", {})
        assert "X-Request-Id" in headers, where + " does not declare X-Request-Id"
        if where.endswith((" 429", " 503")) and not where.startswith("GET /readyz"):
            assert "Retry-After" in headers, where + " does not declare Retry-After"
        n += 1
    assert n >= 50, n
    print(f"     {n} responses declare X-Request-Id")


def every_answer_had_the_headers():
    entries = har_entries(REPORT_DIR)
    for e in entries:
        resp = e["response"]
        if not resp.get("status"):
            continue  # no answer (a request schemathesis could not send)
        names = {h["name"].lower(): h["value"] for h in resp["headers"]}
        where = "%s %s -> %s" % (e["request"]["method"], e["request"]["url"], resp["status"])
        assert re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", names.get("x-request-id", "")), where
        if resp["status"] in (429, 503) and "/readyz" not in e["request"]["url"]:
            assert names.get("retry-after", "").isdigit(), where + ": no Retry-After"
    print(f"     {len(entries)} answers, each with X-Request-Id")


def schemathesis_passes(d):
    os.makedirs(REPORT_DIR, exist_ok=True)
    for f in os.listdir(REPORT_DIR):
        os.unlink(os.path.join(REPORT_DIR, f))
    cmd = [SCHEMATHESIS, "--no-color", "--config-file", os.path.join(HERE, "schemathesis.toml"),
           "run", d.base + "/openapi.yaml", "--checks", "all",
           "--max-examples", str(MAX_EXAMPLES), "--seed", SEED, "--workers", "1",
           "--request-timeout", "40", "--report", "har,junit", "--report-dir", REPORT_DIR]
    print("$ " + " ".join(cmd), flush=True)
    rc = subprocess.run(cmd).returncode
    n = count_requests(REPORT_DIR)
    print(f"schemathesis made {n} HTTP requests to prewarmd "
          f"(max {MAX_EXAMPLES} examples per operation, seed {SEED}; report in {REPORT_DIR})",
          flush=True)
    assert rc == 0, f"schemathesis exited {rc}"
    assert n >= 100, f"only {n} requests: the run did not exercise the API"


def daemon_survived(d):
    assert d.proc.poll() is None, "prewarmd exited: " + d.log()
    status, _, body = d.request("GET", "/v1/pools/demo")
    assert status == 200, body


def main():
    require_files(SCHEMATHESIS)
    with Prewarmd(PREWARMD, local_config(POOLS, BACKEND), args=LISTEN_ANY + ("--quiet",)) as d:
        d.wait_ready(timeout=15)
        check("GET /openapi.yaml serves the repository's document", lambda: served_document_is_the_repository_one(d))
        check("every response declares X-Request-Id (and Retry-After on 429/503)", document_declares_headers)
        check("schemathesis: every check, every operation, stateful links", lambda: schemathesis_passes(d))
        check("every answer schemathesis got carried X-Request-Id", every_answer_had_the_headers)
        check("prewarmd still serves after the run", lambda: daemon_survived(d))
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())

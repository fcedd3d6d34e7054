#!/usr/bin/env python3
"""/metrics under claim load, checked by the ecosystem's own parsers.

    metrics_test.py PREWARMD DEMO_BACKEND PROMTOOL VENV_PYTHON README

Starts a real prewarmd, puts it under claim load (h2load repeating a live
key over HTTP/2, while threads claim fresh backends, release them, hit an
empty pool and send invalid claims), and while the load runs:
  - scrapes /metrics (Prometheus text 0.0.4) and runs `promtool check
    metrics` on each scrape: no lint problem may be reported;
  - scrapes with Prometheus' own Accept header and parses the answer with
    prometheus_client's strict OpenMetrics parser;
then checks that the numbers follow the load, and that README.md lists
every metric family the scrape has (and every family it marks "always" is
there). Prints "N passed, M failed, K skipped" last.
"""
import json
import os
import re
import subprocess
import sys
import threading

from prewarmd_harness import (LISTEN_ANY, Prewarmd, Tally, local_config, poll,
                              promtool_check_metrics, readme_metric_families, require_files)

PREWARMD, BACKEND, PROMTOOL, VENV_PYTHON, README = sys.argv[1:6]
PROM_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
               "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
FRESH_CLAIMS = 40

POOLS = """\
  - name: demo
    min_idle: 4
    max_idle: 8
    max_total: 16
    session_ttl_seconds: 60
    max_waiters: 8
    start_timeout_seconds: 10
    local:
      command: [{backend}, --port, "{port}", --pod, "{pod}"]
      probe: {type: tcp}
      stop_grace_seconds: 1
  - name: empty
    min_idle: 1
    max_idle: 1
    max_total: 1
    max_waiters: 0
    start_timeout_seconds: 60
    local:
      command: [/bin/sleep, "120"]
      probe: {type: tcp}
      stop_grace_seconds: 1
"""

tally = Tally()


def check(name, fn):
    tally.run(fn, name=name)


def families_of(text):
    """Family name -> type, from the TYPE lines of a text scrape."""
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))


def sample(text, name, **labels):
    want = ",".join('%s="%s"' % kv for kv in labels.items())
    pat = r"^%s%s (\S+)$" % (re.escape(name), re.escape("{" + want + "}") if labels else "")
    m = re.search(pat, text, re.M)
    assert m, "no sample %s{%s}" % (name, want)
    return float(m.group(1))


class Load:
    """h2load on a live key plus fresh claims, releases, empty-pool claims
    and invalid bodies from a thread."""

    def __init__(self, d):
        self.d = d
        self.errors = []
        status, _, s = d.request("POST", "/v1/pools/demo/claims", body={"key": "load"})
        assert status == 201, s
        body = os.path.join(d.dir, "claim.json")
        with open(body, "w") as f:
            json.dump({"key": "load"}, f)
        self.h2load = subprocess.Popen(
            ["h2load", "-n", "20000", "-c", "2", "-m", "8", "-d", body,
             "-H", "content-type: application/json",
             d.base + "/v1/pools/demo/claims"], stdout=subprocess.PIPE, text=True)
        self.thread = threading.Thread(target=self.churn)
        self.thread.start()

    def churn(self):
        try:
            for i in range(FRESH_CLAIMS):
                status, _, s = self.d.request("POST", "/v1/pools/demo/claims",
                                              body={"wait_ms": 5000})
                assert status == 201, s
                status, _, _ = self.d.request("DELETE", "/v1/sessions/" + s["session_id"])
                assert status == 200
                status, _, _ = self.d.request("POST", "/v1/pools/empty/claims", body={})
                assert status == 503
                status, _, _ = self.d.request("POST", "/v1/pools/demo/claims",
                                              body={"ttl_seconds": "soon"})
                assert status == 400
        except Exception as e:  # reported by wait()
            self.errors.append(e)

    def wait(self):
        self.thread.join()
        out, _ = self.h2load.communicate(timeout=120)
        assert not self.errors, self.errors
        m = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded", out)
        assert self.h2load.returncode == 0 and m and int(m.group(1)) == 20000, out
        return int(m.group(1))


def promtool_accepts(text):
    promtool_check_metrics(PROMTOOL, text)


PARSE_OM = """
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(sys.stdin.read()))
print(len(fams), sum(len(f.samples) for f in fams))
"""


def openmetrics_parses(d):
    status, headers, body = d.request("GET", "/metrics", headers={"Accept": PROM_ACCEPT})
    assert status == 200, status
    assert headers["content-type"] == \
        "application/openmetrics-text; version=1.0.0; charset=utf-8", headers
    text = body.decode()
    assert text.endswith("# EOF\n"), text[-200:]
    assert "# TYPE prewarm_claims counter" in text, "counter family named without _total"
    p = subprocess.run([VENV_PYTHON, "-c", PARSE_OM], input=text, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    print("     OpenMetrics: %s families, %s samples parsed" % tuple(p.stdout.split()))


def readme_families():
    return readme_metric_families(README)


def main():
    require_files(PROMTOOL, VENV_PYTHON)
    with Prewarmd(PREWARMD, local_config(POOLS, BACKEND), args=LISTEN_ANY + ("--quiet",)) as d:
        poll(lambda: d.request("GET", "/v1/pools/demo")[2]["pods"]["ready"] >= 4,
             timeout=15, what="warm pods")
        load = Load(d)
        scrapes = []

        def scrape_under_load():
            for _ in range(3):
                status, headers, body = d.request("GET", "/metrics")
                assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
                promtool_accepts(body.decode())
                scrapes.append(body.decode())

        check("promtool check metrics passes on 3 scrapes under claim load", scrape_under_load)
        check("OpenMetrics on Accept negotiation, parsed by prometheus_client", lambda: openmetrics_parses(d))
        keyed = []
        check("the load ran to completion", lambda: keyed.append(load.wait()))
        poll(lambda: d.request("GET", "/v1/pools/demo")[2]["pods"]["bound"] == 1,
             timeout=15, what="releases")
        final = d.request("GET", "/metrics")[2].decode()

        def numbers_follow():
            assert sample(final, "prewarm_claims_total", pool="demo", outcome="key_reused") >= 20000
            bound = sample(final, "prewarm_claims_total", pool="demo", outcome="bound")
            waited = sample(final, "prewarm_claims_total", pool="demo", outcome="waited")
            assert bound + waited >= FRESH_CLAIMS + 1, (bound, waited)
            assert sample(final, "prewarm_claims_total", pool="empty", outcome="empty") == FRESH_CLAIMS
            assert sample(final, "prewarm_claims_total", pool="demo", outcome="error") == FRESH_CLAIMS
            assert sample(final, "prewarm_sessions_ended_total", pool="demo", reason="released") == FRESH_CLAIMS
            assert sample(final, "prewarm_pods", pool="demo", state="bound") == 1
            count = sample(final, "prewarm_claim_bind_seconds_count", pool="demo")
            inf = sample(final, "prewarm_claim_bind_seconds_bucket", pool="demo", le="+Inf")
            assert count == inf and count >= 20000 + FRESH_CLAIMS, (count, inf)
            assert sample(final, "prewarm_claim_duration_seconds_count", pool="demo") >= 20000
            assert sample(final, "prewarm_pod_lead_time_seconds_count", pool="demo") >= FRESH_CLAIMS
            assert sample(final, "process_open_fds") > 0
            assert sample(final, "process_resident_memory_bytes") > 1e6
        check("the numbers follow the load", numbers_follow)

        def readme_lists_every_family():
            listed = readme_families()
            have = families_of(final)
            missing = sorted(set(have) - set(listed))
            assert not missing, "README.md does not list: %s" % missing
            absent = sorted(n for n, when in listed.items() if when == "always" and n not in have)
            assert not absent, "README.md lists as always present, but the scrape lacks: %s" % absent
            print("     README lists %d families; this scrape has %d" % (len(listed), len(have)))
        check("README.md lists every metric family", readme_lists_every_family)
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())

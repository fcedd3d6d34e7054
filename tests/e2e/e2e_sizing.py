#!/usr/bin/env python3
"""End-to-end test of pool sizing in prewarmd with real backends.

A predictive pool and a schedule pool, configured through the `sizing:`
block. A burst of claims must raise the predictive pool's target and its
supply, the lead time must be measured from the backends' real start-up,
the estimates must show in GET /v1/pools/{pool} and /metrics (checked by
promtool), and after the burst the pool must drain back down. Every wait is
a poll with a deadline.

Usage: e2e_sizing.py PREWARMD DEMO_BACKEND REPO_PREWARM_YAML
"""
import os
import shutil
import sys

import e2e_daemon as e2e  # takes the same arguments
from prewarmd_harness import Tally, poll, promtool_check_metrics, quoted_path

CONFIG = """\
listen: "127.0.0.1:0"
pools:
  - name: pred
    min_idle: 1
    max_idle: 30
    max_total: 60
    max_waiters: 60
    session_ttl_seconds: 120
    start_timeout_seconds: 10
    local:
      # 300 ms of start-up, so the lead time (and with it the target a
      # burst asks for) does not depend on how fast this machine is
      command: [/bin/sh, -c, "sleep 0.3; exec {backend_path} --port {{port}} --pod {{pod}}"]
      probe: {{type: http, path: /}}
      stop_grace_seconds: 1
    sizing:
      policy: predictive
      target_miss_ratio: 0.001
      long_window_seconds: 5
      lead_time_hint_ms: 200
      scale_down_delay_seconds: 1
  - name: sched
    min_idle: 0
    max_idle: 4
    max_total: 4
    local:
      command: [{backend}, --port, "{{port}}", --pod, "{{pod}}"]
      probe: {{type: tcp}}
      stop_grace_seconds: 1
    sizing:
      policy: schedule
      schedule: [{{at: "00:00", min_idle: 3}}]
"""


def supply(pool):
    pods = pool["pods"]
    return pods["ready"] + pods["starting"] + pods["creating"]


def burst(d, n):
    """n claims back to back; returns their session ids."""
    ids = []
    for _ in range(n):
        status, _, body = e2e.claim(d, "pred")
        assert status == 201, (status, body)
        ids.append(body["session_id"])
    return ids


def test_predictive_follows_a_burst(d):
    poll(e2e.ready_idle(d, "pred", 1), what="pred's first pod")
    before = d.pool("pred")["sizing"]
    assert before["policy"] == "predictive", before
    assert before["settings"]["target_miss_ratio"] == 0.001, before
    ids = burst(d, 25)
    s = d.pool("pred")["sizing"]
    assert s["arrival_rate"]["short"] > 2, s
    assert s["target_idle"] > before["target_idle"], (before, s)
    # The backends' real start-up is the lead time.
    poll(lambda: d.pool("pred")["sizing"]["lead_time_seconds"]["samples"] >= 3,
             what="lead-time samples")
    lead = d.pool("pred")["sizing"]["lead_time_seconds"]
    assert 0 < lead["p50"] < 5 and lead["p50"] <= lead["p90"] <= lead["p99"], lead
    # The pool grew towards its target; then, once the claims stop, it drains
    # back down to what the slower window still asks for.
    poll(lambda: supply(d.pool("pred")) >= 3, what="pred to grow")
    for sid in ids:
        status, _, _ = d.request("DELETE", "/v1/sessions/" + sid)
        assert status in (200, 204), status
    poll(lambda: d.pool("pred")["sizing"]["target_idle"] <= 2, timeout=60,
             what="the target to fall after the burst")
    poll(lambda: d.pool("pred")["pods"]["ready"] <= 2, timeout=60,
             what="idle pods drained")


def test_schedule_keeps_its_minimum(d):
    poll(e2e.ready_idle(d, "sched", 3), what="the scheduled minimum")
    s = d.pool("sched")["sizing"]
    assert s["policy"] == "schedule" and s["target_idle"] == 3, s
    assert s["settings"]["schedule"] == [{"at": "00:00", "min_idle": 3}], s


def test_metrics_show_the_estimates(d):
    status, headers, body = d.request("GET", "/metrics")
    assert status == 200
    text = body.decode()
    for line in ('prewarm_pool_target_idle{pool="pred"}',
                 'prewarm_pool_arrival_rate{pool="pred",window="short"}',
                 'prewarm_pool_lead_time_estimate_seconds{pool="pred",percentile="90"}',
                 'prewarm_pod_lead_time_seconds_bucket{pool="pred",le="+Inf"}'):
        assert line in text, line
    count = [ln for ln in text.splitlines()
             if ln.startswith('prewarm_pod_lead_time_seconds_count{pool="pred"}')]
    assert count and int(count[0].split()[-1]) >= 3, count
    promtool = shutil.which("promtool")
    assert promtool, "promtool is needed (prewarm.sh installs it)"
    promtool_check_metrics(promtool, text)


def main():
    d = e2e.start(text=CONFIG.format(backend=quoted_path(e2e.BACKEND),
                                     backend_path=os.path.abspath(e2e.BACKEND)))
    tally = Tally()
    try:
        for test in (test_predictive_follows_a_burst, test_schedule_keeps_its_minimum,
                     test_metrics_show_the_estimates):
            if not tally.run(test, d):  # report every failure, then carry on
                print(d.log()[-3000:])
    finally:
        d.stop()
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())

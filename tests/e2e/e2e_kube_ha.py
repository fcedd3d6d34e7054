#!/usr/bin/env python3
"""End-to-end tests of the window between a claim's answer and its binding
record on the pod, on the Kubernetes API simulator.

The simulator refuses every binding write of prewarmd's provider (PATCH of
pods from user agent "prewarmd": 503), so the 201s these scenarios give
exist only in prewarmd's memory and its bind journal when prewarmd dies:
  - kill9_unrecorded: kill -9, restart on the same journal (every binding
    write refused, the restart's journal flush included): every 201 is
    served again with no annotation on any pod (the journal alone), and no
    pod is handed out twice;
  - failover_unrecorded: two replicas on one Lease; the leader is killed;
    the standby takes over and holds the pods it cannot prove idle in
    quarantine; the old leader comes back as a standby and writes its
    journal onto the pods (its own client, user agent "prewarm-ha/1", is
    let through); the new leader restores those sessions. Every 201 of the
    dead leader is then live on the new one, and no pod is bound twice.
Both end with the checks of e2e_kubernetes.py (no double bind, every 201
live, no leaked pod, pool back at target).

Usage: e2e_kube_ha.py PREWARMD SIM_JS [scenario ...]
"""
import json
import os
import sys
import tempfile
import time

import e2e_kubernetes as k

BLOCK_BINDINGS = {"match": {"verb": "patch", "resource": "pods", "userAgent": "^prewarmd$"},
                  "code": 503, "retryAfter": 1}
LEASE = ("{lease_name: prewarm-ha-e2e, identity: %s, lease_duration_seconds: 6, "
         "renew_deadline_seconds: 4, retry_period_seconds: 1}")


def annotated(cl, pods):
    """Names among pods that carry a binding annotation."""
    by_name = {p["metadata"]["name"]: p for p in cl.pods()}
    return {n for n in pods if n in by_name and
            (by_name[n]["metadata"].get("annotations") or {}).get("prewarm.dev/binding")}


def claim_n(d, ledger, n):
    got = []
    for i in range(n):
        status, s = k.poll(lambda: (lambda r: r if r[0] == 201 else None)(
            ledger.claim(d, key="user-%d-%d" % (i, time.monotonic_ns()))), 60, "a 201")
        got.append(s)
    return got


def session_on(d, s):
    status, got = d.request("GET", "/v1/sessions/" + s["session_id"])
    return status == 200 and got["pod"] == s["pod"]


def block_bindings(cl, everyone=False):
    rule = json.loads(json.dumps(BLOCK_BINDINGS))
    if everyone:  # the journal flush at start too
        del rule["match"]["userAgent"]
    status, body = cl.control("POST", "faults", rule)
    assert status == 201, body


def sc_kill9_unrecorded(cl):
    workdir = tempfile.mkdtemp(prefix="prewarm-k8s-ha-")
    text = k.config_text(cl, min_idle=6, max_total=14,
                         extra_top=", journal: %s" % json.dumps(os.path.join(workdir, "journal")))
    d = k.Daemon(text, workdir)
    k.poll(d.ready, 90, "readyz")
    block_bindings(cl, everyone=True)
    ledger = k.Ledger()
    got = claim_n(d, ledger, 5)
    pods = {s["pod"] for s in got}
    assert not annotated(cl, pods), "a binding reached a pod: the window is not open"
    d.kill9()
    d2 = k.Daemon(text, workdir)
    try:
        k.poll(d2.ready, 90, "readyz after the restart")
        assert not annotated(cl, pods), "restored from annotations, not from the journal"
        for s in got:
            assert session_on(d2, s), "201 lost across kill -9: %s" % s
        extra = claim_n(d2, ledger, 2)
        assert not {s["pod"] for s in extra} & pods, "a journaled pod was handed out again"
        assert cl.control("DELETE", "faults")[0] == 200
        detail = k.check_all(cl, d2, ledger, min_idle=6, max_total=14)
        return "%d sessions recorded only in the journal survived kill -9; %s" % (len(got), detail)
    finally:
        d2.stop()


def sc_failover_unrecorded(cl):
    dirs = [tempfile.mkdtemp(prefix="prewarm-k8s-ha-") for _ in range(2)]
    texts = [k.config_text(cl, min_idle=4, max_total=14,
                           extra_top=", quarantine_seconds: 30, journal: %s, leader_election: %s"
                           % (json.dumps(os.path.join(dirs[i], "journal")), LEASE % ("r-%d" % i)))
             for i in range(2)]
    daemons = [k.Daemon(texts[0], dirs[0]), k.Daemon(texts[1], dirs[1])]
    try:
        leader = k.poll(lambda: next((d for d in daemons if d.ready()), None), 90, "a leader")
        i = daemons.index(leader)
        standby = daemons[1 - i]
        block_bindings(cl)
        ledger = k.Ledger()
        got = claim_n(leader, ledger, 4)
        pods = {s["pod"] for s in got}
        assert not annotated(cl, pods), "a binding reached a pod: the window is not open"
        leader.kill9()
        t0 = time.monotonic()
        k.poll(standby.ready, 90, "the standby taking over")
        takeover = time.monotonic() - t0
        extra = claim_n(standby, ledger, 2)
        assert not {s["pod"] for s in extra} & pods, "a doubtful pod was handed out"
        daemons[i] = k.Daemon(texts[i], dirs[i])  # back as a standby: flushes its journal
        k.poll(lambda: all(session_on(standby, s) for s in got), 90,
               "the dead leader's sessions restored on the new leader")
        assert not daemons[i].ready(), "two leaders"
        assert cl.control("DELETE", "faults")[0] == 200
        detail = k.check_all(cl, standby, ledger, min_idle=4, max_total=14)
        return ("takeover %.1f s after the kill; %d sessions known only to the dead leader's "
                "journal restored on the new one; %s" % (takeover, len(got), detail))
    finally:
        for d in daemons:
            d.stop()


SCENARIOS = [("kill9_unrecorded", sc_kill9_unrecorded),
             ("failover_unrecorded", sc_failover_unrecorded)]


def main():
    t = k.run_scenarios([(name, fn, True) for name, fn in SCENARIOS])
    t.summary()
    sys.exit(1 if t.failed or not t.passed else 0)


if __name__ == "__main__":
    main()

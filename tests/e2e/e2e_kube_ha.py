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

With auth on (two claim callers and an admin), a session's owner must
survive what the session survives:
  - owner_kill9: caller A claims (with a key and without), B claims with
    the same key; every binding write is refused, so only the journal
    knows the owners; kill -9, restart with the tokens file reordered:
    A gets its sessions by id and by key (the same session), B gets 404
    for A's ids (GET, keepalive, DELETE) and its own session for the key,
    the admin sees all;
  - owner_failover: two replicas; the owners reach the pods' binding
    annotations; the leader is killed; the new leader (whose journal never
    saw these binds) restores them from the annotations with their owners:
    the same checks on the new leader.

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


# ---- ownership under auth ----

TOKENS = {"a": "token-of-caller-a-0001", "b": "token-of-caller-b-0002",
          "admin": "token-of-the-admin-0003"}
TOKEN_LINES = ["%s api-a claim,read" % TOKENS["a"], "%s api-b claim,read" % TOKENS["b"],
               "%s ops admin" % TOKENS["admin"]]


def write_tokens(workdir, lines):
    path = os.path.join(workdir, "tokens")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def auth_config(cl, workdir, tokens, extra=""):
    text = k.config_text(cl, min_idle=4, max_total=14,
                         extra_top=", journal: %s%s" % (
                             json.dumps(os.path.join(workdir, "journal")), extra))
    return text + "auth: {tokens_file: %s}\n" % json.dumps(tokens)


def call(d, who, method, path, body=None):
    """One request to d as caller who ("a", "b", "admin"): (status, body)."""
    return d.request(method, path, body, token=TOKENS[who])


def owned_claims(d):
    """A claims with key "shared" and without a key; B claims with "shared"."""
    def claim(who, body):
        return k.poll(lambda: (lambda r: r[1] if r[0] == 201 else None)(
            call(d, who, "POST", "/v1/pools/%s/claims" % k.POOL, body)), 60, "a 201 for " + who)
    a_key, a_plain, b_key = claim("a", {"key": "shared"}), claim("a", {}), claim("b", {"key": "shared"})
    assert len({a_key["pod"], a_plain["pod"], b_key["pod"]}) == 3, (a_key, a_plain, b_key)
    return a_key, a_plain, b_key


def assert_owners_hold(d, a_key, a_plain, b_key):
    """A reaches its sessions by id and by key, B only its own, the admin all."""
    for s in (a_key, a_plain):
        sid = "/v1/sessions/" + s["session_id"]
        status, got = call(d, "a", "GET", sid)
        assert status == 200 and got["pod"] == s["pod"], ("A lost its session", s, status, got)
        for method, path in (("GET", sid), ("POST", sid + "/keepalive"), ("DELETE", sid)):
            status, got = call(d, "b", method, path)
            assert status == 404, ("B reached A's session", method, path, status, got)
        status, got = call(d, "admin", "GET", sid)
        assert status == 200 and got["pod"] == s["pod"], ("the admin lost it", s, status, got)
    status, got = call(d, "a", "POST", "/v1/pools/%s/claims" % k.POOL, {"key": "shared"})
    assert status == 200 and got["session_id"] == a_key["session_id"], (
        "A's key no longer names its session", a_key, status, got)
    assert got["key"] == "shared", got
    status, got = call(d, "b", "POST", "/v1/pools/%s/claims" % k.POOL, {"key": "shared"})
    assert status == 200 and got["session_id"] == b_key["session_id"], (
        "B's key no longer names its own session", b_key, status, got)
    status, got = call(d, "b", "GET", "/v1/sessions/" + b_key["session_id"])
    assert status == 200, (status, got)
    status, got = call(d, "a", "GET", "/v1/sessions/" + b_key["session_id"])
    assert status == 404, ("A reached B's session", status, got)
    # still alive after B's attempts: DELETE by a stranger released nothing
    status, got = call(d, "a", "GET", "/v1/sessions/" + a_key["session_id"])
    assert status == 200, (status, got)


def sc_owner_kill9(cl):
    workdir = tempfile.mkdtemp(prefix="prewarm-k8s-ha-")
    text = auth_config(cl, workdir, write_tokens(workdir, TOKEN_LINES))
    d = k.Daemon(text, workdir)
    k.poll(d.ready, 90, "readyz")
    block_bindings(cl, everyone=True)
    a_key, a_plain, b_key = owned_claims(d)
    assert_owners_hold(d, a_key, a_plain, b_key)
    pods = {a_key["pod"], a_plain["pod"], b_key["pod"]}
    assert not annotated(cl, pods), "a binding reached a pod: the window is not open"
    d.kill9()
    # new order and a new first caller: owners are names, not line numbers
    write_tokens(workdir, ["token-of-a-newcomer-0004 newcomer claim"] + TOKEN_LINES[::-1])
    d2 = k.Daemon(text, workdir)
    try:
        k.poll(d2.ready, 90, "readyz after the restart")
        assert not annotated(cl, pods), "restored from annotations, not from the journal"
        assert_owners_hold(d2, a_key, a_plain, b_key)
        return ("3 sessions of 2 callers, recorded only in the journal, kept their owners "
                "across kill -9 and a reordered tokens file")
    finally:
        d2.stop()
        cl.control("DELETE", "faults")


def sc_owner_failover(cl):
    dirs = [tempfile.mkdtemp(prefix="prewarm-k8s-ha-") for _ in range(2)]
    texts = [auth_config(cl, dirs[i], write_tokens(dirs[i], TOKEN_LINES),
                         ", quarantine_seconds: 30, leader_election: %s" % (LEASE % ("r-%d" % i)))
             for i in range(2)]
    daemons = [k.Daemon(texts[0], dirs[0]), k.Daemon(texts[1], dirs[1])]
    try:
        leader = k.poll(lambda: next((d for d in daemons if d.ready()), None), 90, "a leader")
        standby = daemons[1 - daemons.index(leader)]
        a_key, a_plain, b_key = owned_claims(leader)
        pods = {a_key["pod"], a_plain["pod"], b_key["pod"]}
        k.poll(lambda: annotated(cl, pods) == pods, 60, "the bindings on the pods")
        owners = {json.loads(p["metadata"]["annotations"]["prewarm.dev/binding"]).get("owner")
                  for p in cl.pods() if p["metadata"]["name"] in pods}
        assert owners == {"api-a", "api-b"}, owners
        leader.kill9()
        t0 = time.monotonic()
        k.poll(standby.ready, 90, "the standby taking over")
        takeover = time.monotonic() - t0
        k.poll(lambda: call(standby, "admin", "GET",
                            "/v1/sessions/" + a_key["session_id"])[0] == 200, 60,
               "the sessions restored on the new leader")
        assert_owners_hold(standby, a_key, a_plain, b_key)
        return ("takeover %.1f s after the kill; 3 sessions of 2 callers restored from the "
                "binding annotations with their owners" % takeover)
    finally:
        for d in daemons:
            d.stop()


SCENARIOS = [("kill9_unrecorded", sc_kill9_unrecorded),
             ("failover_unrecorded", sc_failover_unrecorded),
             ("owner_kill9", sc_owner_kill9),
             ("owner_failover", sc_owner_failover)]


def main():
    t = k.run_scenarios([(name, fn, True) for name, fn in SCENARIOS])
    t.summary()
    sys.exit(1 if t.failed or not t.passed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""End-to-end tests of prewarmd's Kubernetes provider.

Each scenario starts a cluster and a prewarmd with a Kubernetes pool on it,
drives claims over HTTP, and ends by asserting the four promises:
  - no pod is bound to two live sessions (prewarm's view and the binding
    annotations written onto the pods agree);
  - every 201 is still live unless it was released or has expired;
  - no pod leaked (the pods in the API are exactly the pods prewarm counts,
    and never more than max_total);
  - the pool is back at its target (min_idle Ready idle pods) within a
    stated time.

The cluster is the Kubernetes API simulator (tests/k8s-sim/sim.js) with
dedicated nodes (label pool=warm, taint dedicated=warm:NoSchedule) and
kubelet delays drawn from a lognormal distribution clipped to 1-5 s. With
PREWARM_KUBE_ENV (tests/kube's env file) or PREWARM_E2E_KUBECONFIG set, the
scenarios that need no fault injection run against that cluster instead (a
real kube-apiserver + kube-scheduler, kwok nodes made for the scenario).

Usage: e2e_kubernetes.py PREWARMD SIM_JS [scenario ...]
Prints one line per scenario and "N passed, M failed, K skipped" last.
"""
import http.client
import json
import os
import random
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from prewarmd_harness import (JSON_HEADERS, Prewarmd, Skip, Tally, metric_samples, poll,
                              promtool_check_metrics, read_line, readme_metric_families, terminate)

PREWARMD, SIM_JS = sys.argv[1], sys.argv[2]
ONLY = sys.argv[3:]
NS = "default"
POOL = "editor"
TARGET_S = 60  # the pool is back at target within this time after a scenario
README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")

POD_TEMPLATE = {
    "metadata": {"labels": {"app": "editor"}},
    "spec": {
        "terminationGracePeriodSeconds": 1,
        "containers": [{"name": "editor", "image": "nginx",
                        "ports": [{"containerPort": 8080}],
                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}],
    },
}


# ---- clusters ----

class Cluster:
    """An API server reached with a bearer token over TLS."""

    def __init__(self, server, ca, token, kubeconfig):
        self.server, self.kubeconfig, self.token = server, kubeconfig, token
        u = urllib.parse.urlparse(server)
        self.host, self.port = u.hostname, u.port or 443
        self.ctx = ssl.create_default_context(cafile=ca) if ca else ssl._create_unverified_context()
        self.faults = False

    def _conn(self):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)

    def call(self, method, path, body=None, auth=True):
        conn = self._conn()
        headers = {"Content-Type": "application/json"}
        if auth and self.token:
            headers["Authorization"] = "Bearer " + self.token
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, raw

    def pods(self):
        q = urllib.parse.urlencode({"labelSelector": "prewarm.dev/pool=" + POOL})
        status, body = self.call("GET", "/api/v1/namespaces/%s/pods?%s" % (NS, q))
        assert status == 200, body
        return body["items"]

    def nodes(self):
        status, body = self.call("GET", "/api/v1/nodes")
        assert status == 200, body
        return body["items"]

    def stop(self):
        pass


class Sim(Cluster):
    def __init__(self, nodes=2, dedicated=3, extra=(), capacity=None):
        self.dir = tempfile.mkdtemp(prefix="prewarm-k8s-e2e-")
        args = ["node", SIM_JS, "--port", "0", "--dir", self.dir, "--nodes", str(nodes),
                "--pull-delay", "lognormal:1800:0.45:5000", "--start-delay", "fixed:100",
                "--ready-delay", "fixed:50", "--kubelet-events", "false",
                "--scheduler-events", "false", "--seed", str(random.randrange(1 << 30))]
        self.proc = subprocess.Popen(args + list(extra), stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(self.dir, "sim.log"), "w"))
        g = json.loads(read_line(self.proc.stdout, 20, "the simulator", chunk=4096))
        super().__init__(g["server"], g["ca"], g["token"], g["kubeconfig"])
        self.faults = True
        for i in range(dedicated):
            node = {"name": "warm-%d" % i, "labels": {"pool": "warm"},
                    "taints": [{"key": "dedicated", "value": "warm", "effect": "NoSchedule"}]}
            if capacity:
                node["capacity"] = capacity
            status, body = self.control("POST", "nodes", node)
            assert status == 201, body

    def control(self, method, path, body=None):
        return self.call(method, "/_sim/" + path, body, auth=False)

    def stop(self):
        terminate(self.proc, 10)
        subprocess.run(["rm", "-rf", self.dir])


class RealCluster(Cluster):
    """A real control plane (tests/kube: kube-apiserver, kube-scheduler, kwok
    nodes). Each scenario gets a namespace and three dedicated nodes of its
    own (kwok fake nodes labelled pool=warm, tainted dedicated=warm), both
    removed at the end, so scenarios can share the cluster."""

    def __init__(self, env):
        super().__init__(env["PREWARM_KUBE_SERVER"], env.get("PREWARM_KUBE_CA"),
                         env.get("PREWARM_KUBE_TOKEN"), env["PREWARM_KUBE_KUBECONFIG"])
        global NS
        tag = "%d-%d" % (os.getpid(), random.randrange(1 << 20))
        NS = "prewarm-e2e-" + tag
        status, body = self.call("POST", "/api/v1/namespaces", {"metadata": {"name": NS}})
        assert status == 201, body
        self.nodes_made = []
        for i in range(3):
            name = "prewarm-e2e-%s-warm-%d" % (tag, i)
            node = {"metadata": {"name": name, "labels": {"pool": "warm", "type": "kwok"},
                                 "annotations": {"kwok.x-k8s.io/node": "fake"}},
                    "spec": {"taints": [{"key": "dedicated", "value": "warm",
                                         "effect": "NoSchedule"},
                                        {"key": "kwok.x-k8s.io/node", "value": "fake",
                                         "effect": "NoSchedule"}]},
                    "status": {"allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                               "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"}}}
            status, body = self.call("POST", "/api/v1/nodes", node)
            assert status == 201, body
            self.nodes_made.append(name)
        POD_TEMPLATE["spec"]["tolerations"] = [{"key": "kwok.x-k8s.io/node", "operator": "Exists",
                                                "effect": "NoSchedule"}]

    def stop(self):
        self.call("DELETE", "/api/v1/namespaces/" + NS)
        for name in self.nodes_made:
            self.call("DELETE", "/api/v1/nodes/" + name)


def read_env(path):
    """KEY=VALUE lines (optionally `export`, optionally quoted), as a shell would source them."""
    env = {}
    for line in open(path):
        m = re.match(r"\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$", line.strip())
        if m:
            env[m.group(1)] = m.group(2).strip().strip("'\"")
    return env


def real_cluster():
    """The control plane of $PREWARM_KUBE_ENV (tests/kube's env file) or of
    $PREWARM_E2E_KUBECONFIG (server, CA file and token read from it)."""
    if os.environ.get("PREWARM_KUBE_ENV"):
        return RealCluster(read_env(os.environ["PREWARM_KUBE_ENV"]))
    path = os.environ["PREWARM_E2E_KUBECONFIG"]
    text = open(path).read()
    ca = re.search(r"certificate-authority:\s*(\S+)", text)
    token = re.search(r"token:\s*(\S+)", text)
    return RealCluster({"PREWARM_KUBE_SERVER": re.search(r"server:\s*(\S+)", text).group(1),
                        "PREWARM_KUBE_CA": ca.group(1) if ca else None,
                        "PREWARM_KUBE_TOKEN": token.group(1) if token else None,
                        "PREWARM_KUBE_KUBECONFIG": path})


# ---- prewarmd ----

def config_text(cl, min_idle=3, max_total=8, extra_top="", extra_pool=""):
    pool = {
        "namespace": NS, "port": 8080,
        "node_selector": {"pool": "warm"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "warm",
                         "effect": "NoSchedule"}] + POD_TEMPLATE["spec"].get("tolerations", []),
        "create_qps": 20, "create_burst": 10, "max_creating": 10,
        "delete_grace_seconds": 0, "node_lost_seconds": 30,
        "template_inline": POD_TEMPLATE,
    }
    return ("listen: \"127.0.0.1:0\"\n"
            "kubernetes: {kubeconfig: %s, qps: 200, burst: 200, bind_qps: 50%s}\n"
            "pools:\n"
            "  - name: %s\n"
            "    provider: kubernetes\n"
            "    min_idle: %d\n"
            "    max_idle: %d\n"
            "    max_total: %d\n"
            "    session_ttl_seconds: 600\n"
            "    max_waiters: 100\n"
            "    start_timeout_seconds: 30\n"
            "    kubernetes: %s\n%s") % (json.dumps(cl.kubeconfig), extra_top, POOL, min_idle,
                                         min_idle, max_total, json.dumps(pool), extra_pool)


class Daemon(Prewarmd):
    """prewarmd with a Kubernetes pool, in workdir when given (then the
    caller's to remove); request() answers (status, JSON body)."""

    request = Prewarmd.call

    def __init__(self, text, workdir=None):
        super().__init__(PREWARMD, text, workdir=workdir, headers=JSON_HEADERS, timeout=20,
                         start_timeout=20, stop_timeout=15)

    def pool(self, name=POOL):
        return super().pool(name)


# ---- the ledger of answers and the invariants ----

class Ledger:
    """Every 201 a caller got, and what the caller did with it."""

    def __init__(self):
        self.sessions = {}  # id -> answer
        self.released = set()
        self.lock = threading.Lock()

    def claim(self, d, **body):
        status, s = d.request("POST", "/v1/pools/%s/claims" % POOL, body)
        if status == 201:
            with self.lock:
                assert s["session_id"] not in self.sessions, s
                self.sessions[s["session_id"]] = s
        return status, s

    def release(self, d, sid):
        status, body = d.request("DELETE", "/v1/sessions/" + sid)
        assert status == 200, body
        with self.lock:
            self.released.add(sid)

    def live(self):
        now = time.time()
        with self.lock:
            return [s for sid, s in self.sessions.items() if sid not in self.released
                    and parse_time(s["expires_at"]) > now + 5]


def is_ready(pod):
    conds = (pod.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conds)


def parse_time(text):
    return time.mktime(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone


def assert_no_double_bind(cl, d, ledger, died=()):
    """Every live 201 is still live in prewarmd on the pod it named, no pod
    carries two live sessions, and the annotations agree once written."""
    live = [s for s in ledger.live() if s["session_id"] not in died]
    pods = {}
    for s in live:
        status, got = d.request("GET", "/v1/sessions/" + s["session_id"])
        assert status == 200, "a 201 was lost: %s -> %s" % (s, got)
        assert got["pod"] == s["pod"], (s, got)
        assert s["pod"] not in pods, "pod %s bound twice: %s and %s" % (
            s["pod"], pods[s["pod"]], s["session_id"])
        pods[s["pod"]] = s["session_id"]

    def annotations_agree():
        by_pod = {p["metadata"]["name"]: p for p in cl.pods()}
        for pod, sid in pods.items():
            p = by_pod.get(pod)
            if not p or p["metadata"].get("deletionTimestamp"):
                raise AssertionError("pod %s of live session %s is gone" % (pod, sid))
            b = (p["metadata"].get("annotations") or {}).get("prewarm.dev/binding")
            if not b:
                return False
            assert json.loads(b)["session"] == sid, (pod, b, sid)
        return True
    poll(annotations_agree, 60, "binding annotations on the pods")
    return len(live)


def assert_pool_settles(cl, d, min_idle, max_total, timeout=TARGET_S):
    """The pool is back at min_idle idle Ready pods, and the pods in the API
    are exactly the ones prewarmd counts (none leaked), within timeout."""
    t0 = time.monotonic()

    def settled():
        p = d.pool()["pods"]
        alive = [x for x in cl.pods() if not x["metadata"].get("deletionTimestamp")]
        # Pods held back after a takeover (quarantine) are not counted by the
        # pool and may exceed max_total until they are restored or deleted.
        counted = p["starting"] + p["ready"] + p["bound"]
        return (p["ready"] >= min_idle and p["creating"] == 0 and p["draining"] == 0
                and len(alive) == counted and len(alive) <= max_total)
    poll(settled, timeout, "the pool back at target with no leaked pod")
    return time.monotonic() - t0


def check_all(cl, d, ledger, min_idle=3, max_total=8, died=()):
    settle = assert_pool_settles(cl, d, min_idle, max_total)
    n = assert_no_double_bind(cl, d, ledger, died)
    return "%d live sessions checked, pool at target %.1f s after the scenario" % (n, settle)


def start(cl, **kw):
    d = Daemon(config_text(cl, **kw))
    poll(d.ready, 60, "readyz (pool filled)")
    return d


# ---- scenarios ----

def sc_fill_on_dedicated_nodes(cl):
    d = start(cl)
    try:
        warm = {n["metadata"]["name"] for n in cl.nodes()
                if (n["metadata"].get("labels") or {}).get("pool") == "warm"}
        pods = [p for p in cl.pods() if not p["metadata"].get("deletionTimestamp")]
        assert len(pods) >= 3, pods
        for p in pods:
            assert p["spec"].get("nodeName") in warm, (p["metadata"]["name"], p["spec"].get("nodeName"))
            assert p["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "prewarm"
            assert p["spec"]["restartPolicy"] == "Never"
        return check_all(cl, d, Ledger())
    finally:
        d.stop()


def sc_claims_bind_and_releases_replace(cl):
    d = start(cl)
    ledger = Ledger()
    try:
        got = []
        for i in range(3):
            status, s = ledger.claim(d, key="user-%d" % i)
            assert status == 201 and s["outcome"] == "bound", s
            assert s["address"].endswith(":8080"), s
            got.append(s)
        status, again = ledger.claim(d, key="user-0")
        assert status == 200 and again["session_id"] == got[0]["session_id"], again
        assert_no_double_bind(cl, d, ledger)
        ledger.release(d, got[0]["session_id"])
        poll(lambda: all(p["metadata"]["name"] != got[0]["pod"] or p["metadata"].get("deletionTimestamp")
                         for p in cl.pods()), 30, "the released pod deleted")
        return check_all(cl, d, ledger)
    finally:
        d.stop()


def sc_crashed_pods(cl):
    d = start(cl)
    ledger = Ledger()
    try:
        status, s = ledger.claim(d)
        assert status == 201, s
        # an idle pod whose container runs (not a replacement still starting)
        idle = poll(lambda: [p["metadata"]["name"] for p in cl.pods()
                             if p["metadata"]["name"] != s["pod"] and is_ready(p)
                             and not p["metadata"].get("deletionTimestamp")], 30, "a Ready idle pod")
        for name in (s["pod"], idle[0]):
            status, body = cl.control("POST", "pods/%s/%s/crash" % (NS, name), {"exitCode": 1})
            assert status == 200, body
        poll(lambda: d.request("GET", "/v1/sessions/" + s["session_id"])[0] == 404, 30,
             "the crashed pod's session ended")
        poll(lambda: all(p["metadata"]["name"] not in (s["pod"], idle[0]) or p["metadata"].get("deletionTimestamp")
                         for p in cl.pods()), 30, "crashed pods deleted")
        return check_all(cl, d, ledger, died={s["session_id"]})
    finally:
        d.stop()


def sc_lost_node(cl):
    d = start(cl, min_idle=4)
    ledger = Ledger()
    try:
        for _ in range(2):
            assert ledger.claim(d)[0] == 201
        by_node = {}
        for p in cl.pods():
            by_node.setdefault(p["spec"].get("nodeName"), []).append(p["metadata"]["name"])
        node = max(by_node, key=lambda n: len(by_node[n]))
        lost = set(by_node[node])
        status, body = cl.control("POST", "nodes/%s/lose" % node, {"gcAfterMs": 3000})
        assert status == 200, body
        died = {s["session_id"] for s in ledger.live() if s["pod"] in lost}
        for sid in died:
            poll(lambda: d.request("GET", "/v1/sessions/" + sid)[0] == 404, 30,
                 "a session on the lost node ended")
        poll(lambda: not lost & {p["metadata"]["name"] for p in cl.pods()}, 30,
             "pods of the lost node gone")
        assert not any(p["spec"].get("nodeName") == node for p in cl.pods()
                       if not p["metadata"].get("deletionTimestamp")), "replaced on the lost node"
        return check_all(cl, d, ledger, min_idle=4, died=died)
    finally:
        d.stop()


def claim_load(d, ledger, stop, errors, wait_ms=0, keep_max=4):
    """Claims and releases in a loop until stop is set; keeps half, and never
    more than keep_max live sessions (so the pool can get back to min_idle
    within max_total afterwards)."""
    n = 0
    while not stop.is_set():
        try:
            status, s = ledger.claim(d, wait_ms=wait_ms)
            if status == 201 and (n % 2 or len(ledger.live()) > keep_max):
                ledger.release(d, s["session_id"])
            elif status not in (201, 503):
                errors.append((status, s))
            n += 1
        except OSError as e:
            errors.append(repr(e))
        time.sleep(0.05)


def sc_faults(cl):
    """Dropped watches, a 410 storm with relists, 429 and 5xx bursts on
    writes, slow responses: claims keep working, nothing is lost."""
    d = start(cl, max_total=12)
    ledger = Ledger()
    stop, errors = threading.Event(), []
    t = threading.Thread(target=claim_load, args=(d, ledger, stop, errors, 2000))
    t.start()
    try:
        faults = [
            {"match": {"verb": "create", "resource": "pods"}, "code": 429, "retryAfter": 1, "count": 5},
            {"match": {"verb": ["patch", "delete"], "resource": "pods"}, "code": 503, "retryAfter": 1,
             "count": 5},
            {"match": {"verb": "create", "resource": "pods"}, "code": 500, "count": 3},
            {"match": {"resource": "pods"}, "latencyMs": 1500, "rate": 0.3, "count": 20},
        ]
        assert cl.control("POST", "faults", faults)[0] == 201
        for _ in range(3):
            assert cl.control("POST", "watches/drop", {"abrupt": True})[0] == 200
            time.sleep(1)
        # 410 storm: watches refused, history compacted, then a relist
        assert cl.control("POST", "faults", {"match": {"watch": True}, "code": 503, "count": 4})[0] == 201
        assert cl.control("POST", "watches/drop", {})[0] == 200
        assert cl.control("POST", "compact", {})[0] == 200
        time.sleep(3)
        assert cl.control("DELETE", "faults")[0] == 200
    finally:
        stop.set()
        t.join()
    try:
        assert not errors, errors[:5]
        return check_all(cl, d, ledger, max_total=12) + "; %d claims" % len(ledger.sessions)
    finally:
        d.stop()


def sc_api_outage(cl):
    """During an outage claims keep succeeding from the warm stock; the
    bindings are written and the pool refills when the API returns."""
    d = start(cl, min_idle=5, max_total=10)
    ledger = Ledger()
    try:
        assert cl.control("POST", "outage", {"ms": 6000, "mode": "refuse"})[0] in (200, 201)
        time.sleep(0.3)
        for _ in range(4):
            status, s = ledger.claim(d)
            assert status == 201, "claim during the outage: %s %s" % (status, s)
        poll(lambda: cl.call("GET", "/version", auth=False)[0] == 200 if _reachable(cl) else False,
             30, "the API back")
        return check_all(cl, d, ledger, min_idle=5, max_total=10)
    finally:
        d.stop()


def _reachable(cl):
    try:
        cl.call("GET", "/version", auth=False)
        return True
    except OSError:
        return False


def sc_kill9_under_load(cl):
    """kill -9 of prewarmd while claims run; the restarted prewarmd serves
    every 201 it gave (journal + annotations) and never hands a pod out twice."""
    workdir = tempfile.mkdtemp(prefix="prewarm-k8s-kill-")
    journal = os.path.join(workdir, "binds.journal")
    text = config_text(cl, max_total=12, extra_top=", journal: %s" % json.dumps(journal))
    try:
        d = Daemon(text, workdir)
    except AssertionError as e:
        if "kubernetes.journal: unknown field" in str(e):
            raise Skip("this prewarmd has no bind journal (kubernetes.journal)")
        raise
    poll(d.ready, 60, "readyz")
    ledger = Ledger()
    stop, errors = threading.Event(), []
    t = threading.Thread(target=claim_load, args=(d, ledger, stop, errors))
    t.start()
    poll(lambda: len(ledger.sessions) >= 6 or errors, 60, "claims answered before the kill")
    d.kill9()
    stop.set()
    t.join()
    d2 = Daemon(text, workdir)
    try:
        poll(d2.ready, 60, "readyz after the restart")
        return check_all(cl, d2, ledger, max_total=12) + "; %d claims before the kill" % len(ledger.sessions)
    finally:
        d2.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def sc_leader_failover(cl):
    """Two replicas share a Lease; the leader is killed under claim load and
    restarted as a standby (its journal is flushed onto the pods); the other
    takes over within the lease duration and serves every 201 the first gave."""
    lease = "{lease_name: prewarm-e2e, identity: %s, lease_duration_seconds: 6, " \
            "renew_deadline_seconds: 4, retry_period_seconds: 1}"
    dirs = [tempfile.mkdtemp(prefix="prewarm-k8s-ha-") for _ in range(2)]
    texts = [config_text(cl, max_total=12, extra_top=", quarantine_seconds: 15, journal: %s, "
                         "leader_election: %s" % (json.dumps(os.path.join(dirs[i], "journal")),
                                                  lease % "replica-%d" % i)) for i in range(2)]
    try:
        first = Daemon(texts[0], dirs[0])
    except AssertionError as e:
        if "unknown field" in str(e):
            raise Skip("this prewarmd has no bind journal or leader election (kubernetes.journal, "
                       "kubernetes.leader_election)")
        raise
    second = Daemon(texts[1], dirs[1])
    daemons = [first, second]
    try:
        leader = poll(lambda: next((d for d in daemons if d.ready()), None), 60, "a leader")
        standby = second if leader is first else first
        assert not standby.ready(), "two replicas ready at once"
        assert Ledger().claim(standby)[0] == 503, "a standby answered a claim"
        ledger = Ledger()
        stop, errors = threading.Event(), []
        t = threading.Thread(target=claim_load, args=(leader, ledger, stop, errors))
        t.start()
        poll(lambda: len(ledger.sessions) >= 6 or errors, 60, "claims answered before the kill")
        leader.kill9()
        t0 = time.monotonic()
        stop.set()
        t.join()
        poll(standby.ready, 60, "the standby taking over")
        takeover = time.monotonic() - t0
        i = daemons.index(leader)
        daemons[i] = Daemon(texts[i], dirs[i])  # the old leader comes back as a standby
        detail = check_all(cl, standby, ledger, max_total=12)
        return "takeover %.1f s after the kill; %s; %d claims before it" % (
            takeover, detail, len(ledger.sessions))
    finally:
        for d in daemons:
            d.stop()
        for path in dirs:
            shutil.rmtree(path, ignore_errors=True)


def scrape(d):
    """GET /metrics: (text, samples as metric_samples() gives them)."""
    status, _, body = d.raw("GET", "/metrics")
    assert status == 200, body
    return body.decode(), metric_samples(body.decode())


def metric(samples, name, **labels):
    """Sum of the samples of name whose labels include the given ones; None if none."""
    want = set(labels.items())
    found = [v for (n, ls), v in samples.items() if n == name and want <= ls]
    return sum(found) if found else None


def assert_readme_lists(text):
    """Every family of the scrape is in README's table, and with Kubernetes pools,
    leader election and a journal on, every family the table lists is in the scrape."""
    have = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    listed = readme_metric_families(README)
    missing = sorted(have - set(listed))
    assert not missing, "README.md does not list: %s" % missing
    absent = sorted(set(listed) - have)
    assert not absent, "README.md lists families this scrape lacks: %s" % absent
    return len(have)


def promtool_check(text):
    promtool = shutil.which("promtool")
    if not promtool:
        raise Skip("promtool is not installed (package prometheus)")
    promtool_check_metrics(promtool, text)


def sc_metrics(cl):
    """The Kubernetes, leader and journal families on a live scrape follow what
    the API server saw: requests by verb and code (injected 500s counted
    exactly), the API down during an outage and up after it, watch restarts
    and a relist after compaction, leadership, the journal, and the bind
    queue drained once bindings are on their pods; promtool checks each scrape."""
    workdir = tempfile.mkdtemp(prefix="prewarm-k8s-metrics-")
    # The renew deadline outlasts the outage below: the replica keeps leading.
    lease = "{lease_name: prewarm-metrics, identity: replica-0, lease_duration_seconds: 15, " \
            "renew_deadline_seconds: 10, retry_period_seconds: 1}"
    text = config_text(cl, max_total=10, extra_top=", journal: %s, leader_election: %s" % (
        json.dumps(os.path.join(workdir, "journal")), lease))
    d = Daemon(text, workdir)
    ledger = Ledger()
    try:
        poll(d.ready, 60, "readyz (leading, pool filled)")
        body, m = scrape(d)
        promtool_check(body)
        assert metric(m, "prewarm_leader") == 1, "prewarm_leader on the only replica"
        assert metric(m, "prewarm_leader_term") >= 1
        assert metric(m, "prewarm_leader_transitions_total", event="acquired") == 1
        assert metric(m, "prewarm_leader_transitions_total", event="lost") == 0
        assert metric(m, "prewarm_kube_api_up") == 1
        status, state = d.request("GET", "/dashboard/state")
        term = metric(m, "prewarm_leader_term")
        assert state["leader"] == {"elected": True, "leading": True, "epoch": term}, state["leader"]
        assert [e["detail"] for e in state["events"] if e["kind"] == "leader_acquired"] == [
            "term %d" % term], state["events"]
        assert metric(m, "prewarm_kube_api_requests_total", verb="list", code="200") >= 1
        assert metric(m, "prewarm_kube_api_requests_total", verb="watch", code="200") >= 1
        assert metric(m, "prewarm_kube_api_requests_total", verb="create", code="201") >= 3
        assert metric(m, "prewarm_kube_lists_total", pool=POOL) >= 1
        # Lease renewals: the shared client's updates, every retry period.
        poll(lambda: (metric(scrape(d)[1], "prewarm_kube_api_requests_total", verb="update",
                             code="200") or 0) >= 2, 20, "Lease renewals counted")

        # Exactly the injected 500s, on the creates that refill after claims.
        faults = {"match": {"verb": "create", "resource": "pods"}, "code": 500, "count": 2}
        assert cl.control("POST", "faults", faults)[0] == 201
        for i in range(3):
            status, s = ledger.claim(d, key="metrics-%d" % i)
            assert status == 201, s
        poll(lambda: metric(scrape(d)[1], "prewarm_kube_api_requests_total", verb="create",
                            code="500") == 2, 30, "two create 500s counted")
        _, m = scrape(d)
        assert metric(m, "prewarm_journal_records_total") >= 3, m
        assert metric(m, "prewarm_journal_bytes") > 0
        assert metric(m, "prewarm_journal_failures_total") == 0

        # Every binding on its pod: the queue is back at 0, three written.
        def drained():
            _, m = scrape(d)
            return (metric(m, "prewarm_kube_bind_queue_depth", pool=POOL) == 0 and
                    metric(m, "prewarm_kube_bind_records_total", pool=POOL, result="written") >= 3)
        poll(drained, 30, "bind queue drained")
        bound = {p["metadata"]["name"] for p in cl.pods()
                 if "prewarm.dev/binding" in (p["metadata"].get("annotations") or {})}
        assert {s["pod"] for s in ledger.sessions.values()} <= bound, bound
        assert metric(scrape(d)[1], "prewarm_kube_api_requests_total", verb="patch",
                      code="200") >= 3

        # An outage: the API is down while refused, up again after.
        restarts = metric(scrape(d)[1], "prewarm_kube_watch_restarts_total", pool=POOL)
        assert cl.control("POST", "outage", {"ms": 3000, "mode": "refuse"})[0] in (200, 201)
        poll(lambda: metric(scrape(d)[1], "prewarm_kube_api_up") == 0, 10,
             "prewarm_kube_api_up 0 during the outage")
        # A dropped watch can turn the API down before a refused attempt is
        # counted; the counter only grows, so wait for it on its own.
        poll(lambda: (metric(scrape(d)[1], "prewarm_kube_api_requests_total", code="error")
                      or 0) >= 1, 30, "a request with no answer counted as code=\"error\"")
        poll(lambda: metric(scrape(d)[1], "prewarm_kube_api_up") == 1, 30, "API up again")
        poll(lambda: metric(scrape(d)[1], "prewarm_kube_watch_restarts_total", pool=POOL) >
             restarts, 30, "the watch restarted")

        # The watch is down while a pod changes and the history is compacted:
        # it cannot resume from its resourceVersion, so the informer relists.
        relists = metric(scrape(d)[1], "prewarm_kube_relists_total", pool=POOL)
        written = metric(scrape(d)[1], "prewarm_kube_bind_records_total", result="written")
        assert cl.control("POST", "faults", {"match": {"watch": True}, "code": 503,
                                             "count": 1000})[0] == 201
        assert cl.control("POST", "watches/drop", {})[0] == 200
        assert ledger.claim(d, key="metrics-relist")[0] == 201  # its binding patch changes a pod
        poll(lambda: metric(scrape(d)[1], "prewarm_kube_bind_records_total",
                            result="written") > written, 30, "the binding written")
        assert cl.control("POST", "compact", {})[0] == 200
        assert cl.control("DELETE", "faults")[0] == 200
        poll(lambda: metric(scrape(d)[1], "prewarm_kube_relists_total", pool=POOL) > relists, 30,
             "a relist after compaction")
        body, m = scrape(d)
        promtool_check(body)
        families = assert_readme_lists(body)
        return "%d families, all in README.md; %d API requests counted" % (
            families, metric(m, "prewarm_kube_api_requests_total"))
    finally:
        d.stop()
        shutil.rmtree(workdir, ignore_errors=True)


SCENARIOS = [
    ("fill_on_dedicated_nodes", sc_fill_on_dedicated_nodes, False),
    ("claims_bind_and_releases_replace", sc_claims_bind_and_releases_replace, False),
    ("crashed_pods", sc_crashed_pods, True),
    ("lost_node", sc_lost_node, True),
    ("faults", sc_faults, True),
    ("api_outage", sc_api_outage, True),
    ("kill9_under_load", sc_kill9_under_load, False),
    ("leader_failover", sc_leader_failover, False),
    ("metrics", sc_metrics, True),
]


def run_scenarios(scenarios, real=False):
    """Runs the (name, function, needs_faults) scenarios the command line
    names (all when it names none), each on a cluster of its own: the
    simulator, or with real a real control plane, where the scenarios that
    need fault injection are skipped. Returns the Tally."""
    tally = Tally()
    for name, fn, needs_faults in scenarios:
        if ONLY and name not in ONLY:
            continue
        if real and needs_faults:
            tally.skipped += 1
            print("SKIP %s: needs the simulator's fault injection" % name, flush=True)
            continue
        clusters = []

        def scenario():
            clusters.append(real_cluster() if real else Sim())
            return fn(clusters[0])
        try:
            tally.run(scenario, name=name)
        finally:
            for cl in clusters:
                cl.stop()
    return tally


def main():
    real = bool(os.environ.get("PREWARM_E2E_KUBECONFIG") or os.environ.get("PREWARM_KUBE_ENV"))
    t = run_scenarios(SCENARIOS, real)
    t.summary()
    sys.exit(1 if t.failed else 77 if t.skipped and not t.passed else 0)


if __name__ == "__main__":
    main()

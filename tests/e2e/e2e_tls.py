#!/usr/bin/env python3
"""prewarmd with TLS on its listeners, over real loopback sockets: claims
over HTTPS with HTTP/1.1 (Python ssl + http.client) and HTTP/2 (curl
--http2 with ALPN), bearer tokens over TLS, a plaintext client refused, silent
and stalled TLS clients timed out like plaintext ones, certificate reload
(SIGHUP and file change) that keeps open connections, client certificates
required, the health port over TLS, and bad TLS files as config errors.

Usage: e2e_tls.py PREWARMD DEMO_BACKEND CERTS_DIR [TEST...]
CERTS_DIR is made by tests/tools/make_test_certs.sh (CTest fixture).
Prints "N passed, M failed, K skipped" last; exits non-zero on any failure.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from prewarmd_harness import Prewarmd, Tally, local_config, poll

PREWARMD, BACKEND, CERTS = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
TOKEN, READER = "tok-tls-claimer-000000000001", "tok-tls-reader-0000000000002"
TOKENS_FILE = "%s api-server claim,read\n%s dashboard read\n" % (TOKEN, READER)

TOP = """\
health_listen: "127.0.0.1:0"
tls: {{cert_file: server.crt, key_file: server.key{client_ca}}}
health_tls: {{cert_file: server.crt, key_file: server.key}}
limits: {{request_timeout_ms: 700}}
auth: {{tokens_file: tokens.txt}}
"""
POOLS = """\
  - name: demo
    min_idle: 2
    max_idle: 3
    max_total: 8
    start_timeout_seconds: 10
    local:
      command: [{backend}, --port, "{port}", --pod, "{pod}"]
      stop_grace_seconds: 1
"""


def cert_file(name):
    return os.path.join(CERTS, name)


def cert_bytes(name):
    with open(cert_file(name), "rb") as f:
        return f.read()


def install(name, dest):
    """Copies a certificate file into place through a rename (a new inode)."""
    shutil.copyfile(cert_file(name), dest + ".tmp")
    os.rename(dest + ".tmp", dest)


def client_context(client_cert=False):
    ctx = ssl.create_default_context(cafile=cert_file("ca.crt"))
    ctx.set_alpn_protocols(["http/1.1"])
    if client_cert:
        ctx.load_cert_chain(cert_file("client.crt"), cert_file("client.key"))
    return ctx


class TlsPrewarmd(Prewarmd):
    """prewarmd with TLS on both ports (server1's certificate, copied into
    its working directory as server.crt/.key); requests go over HTTPS."""

    def __init__(self, client_ca=False):
        files = {"server.crt": cert_bytes("server1.crt"), "server.key": cert_bytes("server1.key"),
                 "tokens.txt": TOKENS_FILE}
        if client_ca:
            files["client-ca.crt"] = cert_bytes("client-ca.crt")
        top = TOP.format(client_ca=", client_ca_file: client-ca.crt" if client_ca else "")
        self.client_cert = client_ca
        super().__init__(PREWARMD, local_config(POOLS, BACKEND, top), files=files, health=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def connect(self, port=None):
        return http.client.HTTPSConnection("127.0.0.1", port or self.port, timeout=self.timeout,
                                           context=client_context(self.client_cert))

    def raw(self, method, path, body=None, headers=None, port=None, timeout=None):
        conn = self.connect(port)
        try:
            return exchange(conn, method, path, body, headers)
        finally:
            conn.close()

    def serial(self):
        """Serial number of the certificate a new connection gets."""
        conn = self.connect()
        try:
            conn.connect()
            return conn.sock.getpeercert()["serialNumber"]
        finally:
            conn.close()


def exchange(conn, method, path, body=None, headers=None):
    """One exchange on an open connection (kept open): (status, headers, bytes)."""
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    return resp.status, resp.headers, resp.read()


def on(conn, method, path, body=None, token=None):
    """The same with a JSON body and a token; a JSON answer is parsed."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = None if body is None else json.dumps(body).encode()
    status, got, raw = exchange(conn, method, path, data, headers)
    if (got.get("Content-Type") or "").startswith("application/json"):
        raw = json.loads(raw)
    return status, got, raw


def claim(d, token=TOKEN, conn=None):
    """(status, body) of a claim, on conn if given."""
    if conn is None:
        return d.call("POST", "/v1/pools/demo/claims", {"wait_ms": 10000}, token=token)
    status, _, body = on(conn, "POST", "/v1/pools/demo/claims", {"wait_ms": 10000}, token=token)
    return status, body


# ---- tests on the shared daemon ----

def test_claims_over_https_http11(d):
    conn = d.connect()
    status, s = claim(d, conn=conn)
    assert status == 201 and s["pod"], s
    assert conn.sock.version() in ("TLSv1.2", "TLSv1.3"), conn.sock.version()
    assert conn.sock.selected_alpn_protocol() == "http/1.1"
    status, _, again = on(conn, "GET", "/v1/sessions/" + s["session_id"], token=TOKEN)
    assert status == 200 and again["pod"] == s["pod"], again
    assert on(conn, "DELETE", "/v1/sessions/" + s["session_id"], token=TOKEN)[0] in (200, 204)
    conn.close()


def curl_h2(d, method, path, token=None, body=None):
    cmd = ["curl", "-sS", "--http2", "--cacert", cert_file("ca.crt"), "-X", method,
           "-w", "\n%{http_version} %{http_code}", "-H", "Content-Type: application/json"]
    if token:
        cmd += ["-H", "Authorization: Bearer " + token]
    if body is not None:
        cmd += ["--data-binary", json.dumps(body)]
    cmd.append("https://localhost:%d%s" % (d.port, path))
    out = subprocess.run(cmd, capture_output=True, timeout=30, check=True).stdout
    raw, tail = out.rsplit(b"\n", 1)
    version, code = tail.decode().split()
    return version, int(code), json.loads(raw) if raw.startswith(b"{") else raw


def test_claims_over_https_http2(d):
    version, code, s = curl_h2(d, "POST", "/v1/pools/demo/claims", TOKEN, {"wait_ms": 10000})
    assert version == "2" and code == 201 and s["pod"], (version, code, s)
    version, code, _ = curl_h2(d, "DELETE", "/v1/sessions/" + s["session_id"], TOKEN)
    assert version == "2" and code in (200, 204), code


def test_tokens_are_checked_over_tls(d):
    status, err = claim(d, token=None)
    assert status == 401 and err["reason"] == "Unauthenticated", err
    status, err = claim(d, token=READER)
    assert status == 403 and err["reason"] == "Forbidden", err
    version, code, err = curl_h2(d, "POST", "/v1/pools/demo/claims", None, {})
    assert version == "2" and code == 401, (version, code, err)


def test_plaintext_client_is_refused_with_400(d):
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
    conn.request("GET", "/v1/pools", headers={"Authorization": "Bearer " + TOKEN})
    resp = conn.getresponse()
    body = json.loads(resp.read())
    assert resp.status == 400 and body["reason"] == "BadRequest", body
    assert "TLS" in body["message"], body
    assert conn.sock is None or conn.sock.recv(1) == b"", "the connection stays open"
    conn.close()
    out = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w",
                          "%{http_code}", "http://127.0.0.1:%d/healthz" % d.port],
                         capture_output=True, timeout=30)
    assert out.stdout != b"200", "h2c must not be served on a TLS port"


def closed_within(sock, seconds):
    """Waits for the server to close sock; returns the seconds it took."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except (ConnectionResetError, ssl.SSLError):
        pass
    return time.monotonic() - start


def test_silent_and_stalled_tls_clients_are_timed_out(d):
    """request_timeout_ms is 700: a connection that sends nothing, one that
    stops inside its ClientHello and one that finishes the handshake and
    sends nothing all go, no earlier than a silent plaintext one would."""
    start = time.monotonic()
    silent = socket.create_connection(("127.0.0.1", d.port))
    stalled = socket.create_connection(("127.0.0.1", d.port))
    stalled.sendall(bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]))
    shaken = client_context().wrap_socket(socket.create_connection(("127.0.0.1", d.port)),
                                          server_hostname="127.0.0.1")
    for s in (silent, stalled, shaken):
        closed_within(s, 30)
        s.close()
    took = time.monotonic() - start
    assert took >= 0.7, "closed after %.2f s, before request_timeout" % took


def test_health_port_speaks_tls(d):
    status, body = d.call("GET", "/healthz", port=d.health_port)
    assert status == 200, body
    plain = http.client.HTTPConnection("127.0.0.1", d.health_port, timeout=20)
    plain.request("GET", "/healthz")
    assert plain.getresponse().status == 400
    plain.close()


def test_reload_swaps_the_certificate_and_keeps_connections(d):
    old = d.connect()
    assert claim(d, conn=old)[0] == 201
    assert old.sock.getpeercert()["serialNumber"] == "1001"
    first_sock = old.sock
    install("server2.crt", d.path("server.crt"))
    install("server2.key", d.path("server.key"))
    d.proc.send_signal(signal.SIGHUP)
    poll(lambda: d.serial() == "1002", what="new connections to get serial 1002")
    assert "TLS certificate reloaded" in d.log()
    status = on(old, "GET", "/v1/pools/demo", token=TOKEN)[0]
    assert status == 200 and old.sock is first_sock, "the old connection was dropped"
    assert old.sock.getpeercert()["serialNumber"] == "1001"
    old.close()
    # A change of the files alone is picked up by the poll (every 2 s).
    install("server1.crt", d.path("server.crt"))
    install("server1.key", d.path("server.key"))
    poll(lambda: d.serial() == "1001", what="the file-change reload back to serial 1001")
    # A bad pair is refused and the certificate in force stays.
    install("wrong.key", d.path("server.key"))
    d.proc.send_signal(signal.SIGHUP)
    poll(lambda: "TLS reload failed" in d.log(), what="a failed reload log line")
    assert d.serial() == "1001" and d.proc.poll() is None
    install("server1.key", d.path("server.key"))


SHARED = [
    test_claims_over_https_http11,
    test_claims_over_https_http2,
    test_tokens_are_checked_over_tls,
    test_plaintext_client_is_refused_with_400,
    test_silent_and_stalled_tls_clients_are_timed_out,
    test_health_port_speaks_tls,
    test_reload_swaps_the_certificate_and_keeps_connections,
]


# ---- tests with their own daemon ----

def test_client_certificate_required():
    d = TlsPrewarmd(client_ca=True)
    try:
        d.wait_ready()
        status, s = claim(d)
        assert status == 201, s
        anon = http.client.HTTPSConnection("127.0.0.1", d.port, timeout=20,
                                           context=client_context(False))
        try:
            anon.request("GET", "/v1/pools", headers={"Authorization": "Bearer " + TOKEN})
            anon.getresponse()
            raise AssertionError("answered a client without a certificate")
        except (ssl.SSLError, ConnectionResetError, http.client.RemoteDisconnected,
                BrokenPipeError):
            pass
        anon.close()
    finally:
        d.stop()


def test_bad_tls_files_are_config_errors():
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("server1.crt", "wrong.key"):
            shutil.copy(cert_file(name), tmp)
        path = os.path.join(tmp, "t.yaml")
        with open(path, "w") as f:
            f.write('tls:\n  cert_file: server1.crt\n  key_file: wrong.key\n'
                    'pools:\n  - {name: p, local: {command: [x]}}\n')
        p = subprocess.run([PREWARMD, "--config", path, "--check"], capture_output=True,
                           timeout=30)
        err = p.stderr.decode()
        assert p.returncode != 0, err
        assert path + ":3:13: tls.key_file: " in err and "does not match" in err, err


ALONE = [test_client_certificate_required, test_bad_tls_files_are_config_errors]


def main():
    only = set(sys.argv[4:])
    pick = lambda ts: [t for t in ts if not only or t.__name__ in only]
    tally = Tally()
    if pick(SHARED):
        d = TlsPrewarmd()
        try:
            d.wait_ready()
            ok = [tally.run(t, d) for t in pick(SHARED)]
            if not all(ok):
                print("--- prewarmd stderr ---\n" + d.log()[-3000:])
        finally:
            d.stop()
    for t in pick(ALONE):
        tally.run(t)
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())

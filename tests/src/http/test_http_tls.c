/* The TLS transport (http_tls.h) under the HTTP server, over real loopback
 * sockets: an OpenSSL client driven in the test thread (handshake, ALPN,
 * reload, client certificates, timeouts, output bound) and libcurl over
 * HTTP/2 with the server loop in its own thread. Certificates come from
 * tests/tools/make_test_certs.sh, run by CTest's fixture into the build
 * folder; PREWARM_TEST_CERTS names that folder. */
#include "http_test_util.h"
#include "http_tls.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char *certs(void)
{
    const char *dir = getenv("PREWARM_TEST_CERTS");
    cr_assert(dir && *dir, "PREWARM_TEST_CERTS is not set (run through ctest)");
    return dir;
}

static void cert_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", certs(), name);
}

static struct http_tls *tls_from(const char *cert, const char *key, const char *ca, int min)
{
    char c[512], k[512], a[512], err[512];
    cert_path(c, sizeof c, cert);
    cert_path(k, sizeof k, key);
    if (ca)
        cert_path(a, sizeof a, ca);
    struct http_tls_settings s = {c, k, ca ? a : NULL, min};
    struct http_tls *tls = NULL;
    cr_assert_eq(http_tls_new(&s, &tls, err, sizeof err), HTTP_TLS_OK, "%s", err);
    return tls;
}

static void tls_fixture(struct fixture *fx, const struct http_server_config *cfg,
                        struct http_tls *tls)
{
    signal(SIGPIPE, SIG_IGN);
    memset(fx, 0, sizeof *fx);
    fx->loop = loop_new();
    fx->srv = http_server_new(fx->loop, cfg, test_handler, &fx->app);
    cr_assert_eq(http_server_listen_tls(fx->srv, "127.0.0.1", 0, tls, &fx->port), 0);
}

/* The usual setup: server1's certificate, no client CA, TLS 1.2 minimum. */
static struct http_tls *tls_start(struct fixture *fx, const struct http_server_config *cfg)
{
    struct http_tls *tls = tls_from("server1.crt", "server1.key", NULL, 0);
    tls_fixture(fx, cfg, tls);
    return tls;
}

static void tls_stop(struct fixture *fx, struct http_tls *tls)
{
    fixture_stop(fx);
    http_tls_free(tls);
}

/* ---- an OpenSSL client on a non-blocking socket ---- */

struct tls_client {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
};

struct client_opts {
    const char *alpn; /* wire format, e.g. "\x08http/1.1"; NULL: no ALPN */
    bool client_cert; /* present client.crt */
    int max_version;  /* 0 or TLS1_2_VERSION */
};

/* Runs op until it succeeds (1), fails (0), turning the loop while it waits. */
static int drive(struct fixture *fx, SSL *ssl, int (*op)(SSL *, void *), void *arg)
{
    uint64_t deadline = mono_ms() + 30000;
    for (;;) {
        int rc = op(ssl, arg);
        if (rc > 0)
            return 1;
        int e = SSL_get_error(ssl, rc);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            return 0;
        if (mono_ms() > deadline)
            return 0;
        loop_run_once(fx->loop, 2);
    }
}

static int op_connect(SSL *ssl, void *arg)
{
    (void)arg;
    return SSL_connect(ssl);
}

static struct tls_client *client_open(struct fixture *fx, const struct client_opts *o, bool *ok)
{
    struct tls_client *tc = calloc(1, sizeof *tc);
    char path[512], key[512];
    tc->ctx = SSL_CTX_new(TLS_client_method());
    cert_path(path, sizeof path, "ca.crt");
    cr_assert_eq(SSL_CTX_load_verify_locations(tc->ctx, path, NULL), 1);
    SSL_CTX_set_verify(tc->ctx, SSL_VERIFY_PEER, NULL);
    if (o->max_version)
        SSL_CTX_set_max_proto_version(tc->ctx, o->max_version);
    if (o->client_cert) {
        cert_path(path, sizeof path, "client.crt");
        cert_path(key, sizeof key, "client.key");
        cr_assert_eq(SSL_CTX_use_certificate_file(tc->ctx, path, SSL_FILETYPE_PEM), 1);
        cr_assert_eq(SSL_CTX_use_PrivateKey_file(tc->ctx, key, SSL_FILETYPE_PEM), 1);
    }
    tc->fd = client_connect(fx->port);
    tc->ssl = SSL_new(tc->ctx);
    SSL_set_fd(tc->ssl, tc->fd);
    SSL_set1_host(tc->ssl, "localhost");
    SSL_set_tlsext_host_name(tc->ssl, "localhost");
    if (o->alpn)
        SSL_set_alpn_protos(tc->ssl, (const unsigned char *)o->alpn, (unsigned)strlen(o->alpn));
    *ok = drive(fx, tc->ssl, op_connect, NULL) == 1;
    return tc;
}

static struct tls_client *client_ok(struct fixture *fx, const struct client_opts *o)
{
    bool ok;
    struct tls_client *tc = client_open(fx, o, &ok);
    cr_assert(ok, "handshake failed");
    return tc;
}

static void client_close(struct tls_client *tc)
{
    SSL_free(tc->ssl);
    SSL_CTX_free(tc->ctx);
    close(tc->fd);
    free(tc);
}

struct io_arg {
    const char *data;
    size_t len, done;
    char *out;
};

static int op_write(SSL *ssl, void *arg)
{
    struct io_arg *a = arg;
    while (a->done < a->len) {
        size_t n = 0;
        int rc = SSL_write_ex(ssl, a->data + a->done, a->len - a->done, &n);
        if (rc <= 0)
            return rc;
        a->done += n;
    }
    return 1;
}

static void client_write(struct fixture *fx, struct tls_client *tc, const char *s)
{
    struct io_arg a = {s, strlen(s), 0, NULL};
    cr_assert_eq(drive(fx, tc->ssl, op_write, &a), 1);
}

static int op_read(SSL *ssl, void *arg)
{
    struct io_arg *a = arg;
    size_t n = 0;
    int rc = SSL_read_ex(ssl, a->out + a->done, a->len - a->done, &n);
    if (rc <= 0)
        return SSL_get_error(ssl, rc) == SSL_ERROR_ZERO_RETURN ? 1 : rc;
    a->done += n;
    return a->done == a->len ? 1 : -1; /* -1 with WANT_READ pending: keep going */
}

/* Reads until want bytes or the end; returns the count (out holds them). */
static size_t client_read(struct fixture *fx, struct tls_client *tc, char *out, size_t want)
{
    struct io_arg a = {NULL, want, 0, out};
    uint64_t deadline = mono_ms() + 30000;
    while (a.done < want && mono_ms() < deadline) {
        size_t before = a.done;
        int rc = op_read(tc->ssl, &a);
        if (rc == 1 && a.done == before)
            break; /* close_notify */
        if (rc == 1)
            break;
        if (a.done == before) {
            int e = SSL_get_error(tc->ssl, rc);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                break;
            loop_run_once(fx->loop, 2);
        }
    }
    return a.done;
}

/* One request on an open client; the answer's body must be want_body. */
static void expect_echo(struct fixture *fx, struct tls_client *tc, const char *path,
                        const char *want_body)
{
    char req[256], resp[2048] = {0};
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    client_write(fx, tc, req);
    size_t n = 0;
    uint64_t deadline = mono_ms() + 30000;
    while (!strstr(resp, want_body) && n < sizeof resp - 1 && mono_ms() < deadline)
        n += client_read(fx, tc, resp + n, 1);
    cr_assert(strstr(resp, "HTTP/1.1 200 OK\r\n"), "%s", resp);
    cr_assert(strstr(resp, want_body), "%s", resp);
}

static long peer_serial(struct tls_client *tc)
{
    X509 *cert = SSL_get1_peer_certificate(tc->ssl);
    cr_assert_not_null(cert);
    long serial = ASN1_INTEGER_get(X509_get0_serialNumber(cert));
    X509_free(cert);
    return serial;
}

static const char *alpn_of(struct tls_client *tc)
{
    static char name[32];
    const unsigned char *p = NULL;
    unsigned len = 0;
    SSL_get0_alpn_selected(tc->ssl, &p, &len);
    snprintf(name, sizeof name, "%.*s", (int)len, p ? (const char *)p : "");
    return name;
}

/* ---- tests ---- */

Test(http_tls, alpn_http11_round_trip)
{
    struct fixture fx;
    struct http_tls *tls = tls_start(&fx, NULL);
    struct tls_client *tc = client_ok(&fx, &(struct client_opts){.alpn = "\x08http/1.1"});
    cr_assert_str_eq(alpn_of(tc), "http/1.1");
    cr_assert_eq(peer_serial(tc), 0x1001);
    expect_echo(&fx, tc, "/x?q=1", "GET /x q=1 0");
    expect_echo(&fx, tc, "/again", "GET /again  0"); /* keep-alive over TLS */
    cr_assert_eq(fx.app.last_version, 11);
    cr_assert_eq(http_tls_handshakes(tls), 1);
    client_close(tc);
    tls_stop(&fx, tls);
}

Test(http_tls, client_without_alpn_gets_http11_and_h2_is_chosen_when_offered)
{
    struct fixture fx;
    struct http_tls *tls = tls_start(&fx, NULL);
    struct tls_client *plain = client_ok(&fx, &(struct client_opts){0});
    cr_assert_str_eq(alpn_of(plain), "");
    expect_echo(&fx, plain, "/noalpn", "GET /noalpn  0");
    struct tls_client *h2 = client_ok(&fx, &(struct client_opts){.alpn = "\x02h2\x08http/1.1"});
    cr_assert_str_eq(alpn_of(h2), "h2");
    /* An HTTP/1.1 request on an h2 connection is a bad preface: closed. */
    client_write(&fx, h2, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    char buf[256];
    client_read(&fx, h2, buf, sizeof buf);
    cr_assert(turn_until_count(&fx, &fx.app.calls, 1));
    cr_assert_eq(fx.app.calls, 1, "only the HTTP/1.1 connection's request was dispatched");
    client_close(plain);
    client_close(h2);
    tls_stop(&fx, tls);
}

/* libcurl over https with ALPN h2, the server loop in its own thread. */

static size_t collect(char *p, size_t size, size_t n, void *user)
{
    char *b = user;
    size_t have = strlen(b), len = size * n;
    if (have + len < 256)
        memcpy(b + have, p, len);
    return len;
}

static void curl_https(uint16_t port, long ask, long want)
{
    char url[96], ca[512], body[256] = {0};
    snprintf(url, sizeof url, "https://localhost:%u/curl?q=1", port);
    cert_path(ca, sizeof ca, "ca.crt");
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, ask);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, "abc");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 20L);
    CURLcode rc = curl_easy_perform(e);
    cr_assert_eq(rc, CURLE_OK, "%s", curl_easy_strerror(rc));
    long code = 0, version = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
    cr_assert_eq(code, 200);
    cr_assert_eq(version, want);
    cr_assert_str_eq(body, "POST /curl q=1 3");
    curl_easy_cleanup(e);
}

Test(http_tls, curl_gets_h2_by_alpn_and_http11_when_asked)
{
    static struct server_thread st;
    struct http_tls *tls = tls_from("chain.crt", "server1.key", NULL, 0);
    tls_fixture(&st.fx, NULL, tls);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, serve, &st), 0);
    curl_https(st.fx.port, CURL_HTTP_VERSION_2TLS, CURL_HTTP_VERSION_2_0);
    curl_https(st.fx.port, CURL_HTTP_VERSION_1_1, CURL_HTTP_VERSION_1_1);
    atomic_store(&st.stop, 1);
    pthread_join(th, NULL);
    tls_stop(&st.fx, tls);
}

static bool no_connections(void *arg)
{
    return http_server_connection_count(arg) == 0;
}

/* Reads a plaintext socket until the server closes it. */
static size_t read_to_close(struct fixture *fx, int fd, char *out, size_t cap)
{
    size_t n = 0;
    uint64_t deadline = mono_ms() + 30000;
    while (n < cap - 1 && mono_ms() < deadline) {
        ssize_t r = recv(fd, out + n, cap - 1 - n, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN))
            break;
        if (r > 0)
            n += (size_t)r;
        else
            loop_run_once(fx->loop, 2);
    }
    out[n] = '\0';
    return n;
}

Test(http_tls, plaintext_request_on_a_tls_port_gets_400_and_close)
{
    struct fixture fx;
    struct http_tls *tls = tls_start(&fx, NULL);
    int fd = client_connect(fx.port);
    client_send(&fx, fd, "GET /v1/pools HTTP/1.1\r\nHost: t\r\n\r\n", 35);
    char resp[1024];
    read_to_close(&fx, fd, resp, sizeof resp);
    cr_assert(strncmp(resp, "HTTP/1.1 400 ", 13) == 0, "%s", resp);
    cr_assert(strstr(resp, "\"reason\":\"BadRequest\""), "%s", resp);
    cr_assert(strstr(resp, "speaks TLS"), "%s", resp);
    cr_assert_eq(fx.app.calls, 0, "the handler never sees a plaintext request");
    cr_assert(turn_until(&fx, no_connections, fx.srv));
    close(fd);
    tls_stop(&fx, tls);
}

/* Connections that stop before a request (no byte, half a ClientHello, a
 * finished handshake) all go at request_timeout from their accept, as a
 * silent plaintext one does, and not before. */
Test(http_tls, silent_and_stalled_handshakes_time_out_like_plaintext)
{
    struct fixture fx;
    struct http_server_config cfg = {.request_timeout_ns = 300000000};
    struct http_tls *tls = tls_start(&fx, &cfg);
    uint64_t start = mono_ms();
    int silent = client_connect(fx.port);
    int half = client_connect(fx.port);
    static const char hello_start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc};
    client_send(&fx, half, hello_start, sizeof hello_start);
    struct tls_client *done = client_ok(&fx, &(struct client_opts){0});
    turn_times(&fx, 5, 1);
    cr_assert_eq(http_server_connection_count(fx.srv), 3);
    cr_assert(turn_until(&fx, no_connections, fx.srv));
    cr_assert_geq(mono_ms() - start, 300, "closed before request_timeout");
    char buf[64];
    cr_assert_eq(read_to_close(&fx, silent, buf, sizeof buf), 0);
    close(silent);
    close(half);
    client_close(done);
    tls_stop(&fx, tls);
}

/* Copies a file over dst through a rename (a new inode, as deploy tools do). */
static void install(const char *src_name, const char *dst)
{
    char src[512], tmp[600], cmd[2048];
    cert_path(src, sizeof src, src_name);
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && mv '%s' '%s'", src, tmp, tmp, dst);
    cr_assert_eq(system(cmd), 0);
}

Test(http_tls, reload_swaps_the_certificate_and_keeps_open_connections)
{
    char dir[] = "/tmp/prewarm-tls-XXXXXX", crt[600], key[600], err[512], serial[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(crt, sizeof crt, "%s/server.crt", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    install("server1.crt", crt);
    install("server1.key", key);
    struct http_tls *tls = NULL;
    struct http_tls_settings s = {crt, key, NULL, 0};
    cr_assert_eq(http_tls_new(&s, &tls, err, sizeof err), HTTP_TLS_OK, "%s", err);
    struct fixture fx;
    tls_fixture(&fx, NULL, tls);
    struct tls_client *old = client_ok(&fx, &(struct client_opts){0});
    cr_assert_eq(peer_serial(old), 0x1001);
    cr_assert_eq(http_tls_reload(tls, false, err, sizeof err), 0, "nothing changed yet");

    install("server2.crt", crt);
    install("server2.key", key);
    cr_assert_eq(http_tls_reload(tls, false, err, sizeof err), 1, "%s", err);
    http_tls_serial(tls, serial, sizeof serial);
    cr_assert_str_eq(serial, "1002");
    struct tls_client *fresh = client_ok(&fx, &(struct client_opts){0});
    cr_assert_eq(peer_serial(fresh), 0x1002);
    expect_echo(&fx, old, "/old", "GET /old  0"); /* the old connection goes on */
    expect_echo(&fx, fresh, "/new", "GET /new  0");

    install("wrong.key", key); /* mismatched: refused, server2 stays */
    cr_assert_eq(http_tls_reload(tls, true, err, sizeof err), -1);
    cr_assert(strstr(err, "does not match"), "%s", err);
    struct tls_client *third = client_ok(&fx, &(struct client_opts){0});
    cr_assert_eq(peer_serial(third), 0x1002);
    client_close(old);
    client_close(fresh);
    client_close(third);
    tls_stop(&fx, tls);
    snprintf(err, sizeof err, "rm -rf '%s'", dir);
    cr_assert_eq(system(err), 0);
}

Test(http_tls, client_certificate_required_when_a_client_ca_is_set)
{
    struct fixture fx;
    struct http_tls *tls = tls_from("server1.crt", "server1.key", "client-ca.crt", 0);
    tls_fixture(&fx, NULL, tls);
    /* Without a certificate: TLS 1.3 clients finish their side first and
     * learn of the refusal on the first read; either way no request lands. */
    bool ok;
    struct tls_client *anon = client_open(&fx, &(struct client_opts){0}, &ok);
    if (ok) {
        client_write(&fx, anon, "GET /x HTTP/1.1\r\nHost: t\r\n\r\n");
        char buf[64];
        cr_assert_eq(client_read(&fx, anon, buf, sizeof buf), 0);
    }
    cr_assert(turn_until(&fx, no_connections, fx.srv));
    cr_assert_eq(fx.app.calls, 0);
    cr_assert_geq(http_tls_handshake_failures(tls), 1);
    struct tls_client *tc = client_ok(&fx, &(struct client_opts){.client_cert = true});
    expect_echo(&fx, tc, "/mtls", "GET /mtls  0");
    client_close(anon);
    client_close(tc);
    tls_stop(&fx, tls);
}

Test(http_tls, minimum_version_13_refuses_a_tls12_client)
{
    struct fixture fx;
    struct http_tls *tls = tls_from("server1.crt", "server1.key", NULL, 13);
    tls_fixture(&fx, NULL, tls);
    bool ok;
    struct tls_client *old =
        client_open(&fx, &(struct client_opts){.max_version = TLS1_2_VERSION}, &ok);
    cr_assert_not(ok);
    struct tls_client *tc = client_ok(&fx, &(struct client_opts){0});
    cr_assert_eq(SSL_version(tc->ssl), TLS1_3_VERSION);
    client_close(old);
    client_close(tc);
    tls_stop(&fx, tls);
}

Test(http_tls, tls12_client_is_served_by_default)
{
    struct fixture fx;
    struct http_tls *tls = tls_start(&fx, NULL);
    struct tls_client *tc = client_ok(&fx, &(struct client_opts){.max_version = TLS1_2_VERSION});
    cr_assert_eq(SSL_version(tc->ssl), TLS1_2_VERSION);
    expect_echo(&fx, tc, "/v12", "GET /v12  0");
    client_close(tc);
    tls_stop(&fx, tls);
}

/* A client that pipelines requests for large answers without reading: the
 * output bound stops dispatching over TLS as over plaintext; once it reads,
 * every answer arrives whole and in order. */
Test(http_tls, output_bound_holds_for_a_client_that_does_not_read)
{
    enum { REQS = 24 };
    struct fixture fx;
    struct http_server_config cfg = {.max_pipelined = 64};
    struct http_tls *tls = tls_start(&fx, &cfg);
    struct tls_client *tc = client_ok(&fx, &(struct client_opts){0});
    char reqs[REQS * 40] = "";
    for (int i = 0; i < REQS; i++)
        strcat(reqs, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
    client_write(&fx, tc, reqs);
    turn_times(&fx, 200, 2);
    cr_assert_lt(fx.app.calls, REQS, "%d answers made for a client that reads nothing",
                 fx.app.calls);
    size_t each = 0, total = 0;
    char *buf = malloc(BIG_BODY + 4096);
    for (int i = 0; i < REQS; i++) {
        char head[256] = {0};
        size_t n = 0;
        while (!strstr(head, "\r\n\r\n") && n < sizeof head - 1)
            n += client_read(&fx, tc, head + n, 1);
        cr_assert(strstr(head, "HTTP/1.1 200 OK\r\n"), "answer %d: %s", i, head);
        each = client_read(&fx, tc, buf, BIG_BODY);
        cr_assert_eq(each, BIG_BODY, "answer %d", i);
        for (size_t j = 0; j < BIG_BODY; j += 4093)
            cr_assert_eq(buf[j], big_byte(j));
        total += each;
    }
    cr_assert_eq(fx.app.calls, REQS);
    cr_assert_eq(total, (size_t)REQS * BIG_BODY);
    free(buf);
    client_close(tc);
    tls_stop(&fx, tls);
}

Test(http_tls, bad_files_are_errors_naming_the_setting)
{
    char c[512], k[512], w[512], err[512];
    cert_path(c, sizeof c, "server1.crt");
    cert_path(k, sizeof k, "server1.key");
    cert_path(w, sizeof w, "wrong.key");
    struct http_tls *tls = NULL;
    struct {
        struct http_tls_settings s;
        enum http_tls_status want;
        const char *text;
    } cases[] = {
        {{"/nonexistent.crt", k, NULL, 0}, HTTP_TLS_ERR_CERT, "No such file"},
        {{k, k, NULL, 0}, HTTP_TLS_ERR_CERT, "cannot load certificate"},
        {{c, "/nonexistent.key", NULL, 0}, HTTP_TLS_ERR_KEY, "No such file"},
        {{c, w, NULL, 0}, HTTP_TLS_ERR_KEY, "does not match"},
        {{c, k, "/nonexistent-ca.crt", 0}, HTTP_TLS_ERR_CLIENT_CA, "No such file"},
        {{c, k, k, 0}, HTTP_TLS_ERR_CLIENT_CA, "client CA"},
        {{c, k, NULL, 11}, HTTP_TLS_ERR_VERSION, "1.2 or 1.3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        cr_assert_eq(http_tls_new(&cases[i].s, &tls, err, sizeof err), cases[i].want, "case %zu",
                     i);
        cr_assert_null(tls);
        cr_assert(strstr(err, cases[i].text), "case %zu: %s", i, err);
    }
}

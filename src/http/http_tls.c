/* http_tls: OpenSSL contexts and non-blocking connections (see http_tls.h). */
#include "http_tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oom.h"

#define TLS12_CIPHERS                                                                              \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"     \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/* What a file looked like when last read (a reload by change compares). */
struct file_stamp {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

struct http_tls {
    char *files[3]; /* cert, key, client CA (NULL when absent) */
    int min_version;
    SSL_CTX *ctx;
    struct file_stamp stamps[3];
    unsigned long long handshakes, failures;
};

struct http_tls_conn {
    struct http_tls *tls;
    SSL *ssl;
    bool handshaken;
    bool failed; /* a fatal error: no close_notify (OpenSSL forbids SSL_shutdown then) */
};

static void stamp_of(const char *path, struct file_stamp *st)
{
    struct stat sb;
    memset(st, 0, sizeof *st);
    if (!path || stat(path, &sb) != 0)
        return;
    *st = (struct file_stamp){sb.st_dev, sb.st_ino, sb.st_size, sb.st_mtim};
}

static bool stamp_equal(const struct file_stamp *a, const struct file_stamp *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* The first OpenSSL error as text (the queue is cleared). */
static void ssl_reason(char *out, size_t len)
{
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, out, len);
    else
        snprintf(out, len, "no detail");
    ERR_clear_error();
}

static enum http_tls_status fail(enum http_tls_status st, char *err, size_t errlen,
                                 const char *what, const char *path)
{
    char why[256];
    ssl_reason(why, sizeof why);
    snprintf(err, errlen, "%s%s%s: %s", what, *path ? " " : "", path, why);
    return st;
}

/* A file that cannot be read says so plainly (OpenSSL's text for it is
 * "system library"); false with err set. */
static bool readable(const char *path, const char *what, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f) {
        fclose(f);
        return true;
    }
    snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
    return false;
}

int http_tls_alpn_choose(const unsigned char *in, size_t inlen, const unsigned char **out,
                         unsigned char *outlen)
{
    static const unsigned char h2[] = "\x02h2", h1[] = "\x08http/1.1";
    for (size_t i = 0; i < inlen; i += 1u + in[i]) /* the list must be well formed */
        if (in[i] == 0 || in[i] > inlen - i - 1)
            return -1;
    for (int round = 0; round < 2; round++) {
        const unsigned char *want = round == 0 ? h2 : h1;
        for (size_t i = 0; i < inlen; i += 1u + in[i]) {
            if (in[i] == want[0] && !memcmp(in + i + 1, want + 1, want[0])) {
                *out = in + i + 1;
                *outlen = in[i];
                return 1;
            }
        }
    }
    return 0;
}

static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    int rc = http_tls_alpn_choose(in, inlen, out, outlen);
    if (rc < 0)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    return rc ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK; /* NOACK: HTTP/1.1 */
}

static enum http_tls_status load_chain(SSL_CTX *ctx, const struct http_tls *t, char *err,
                                       size_t errlen)
{
    if (!readable(t->files[0], "certificate file", err, errlen))
        return HTTP_TLS_ERR_CERT;
    if (SSL_CTX_use_certificate_chain_file(ctx, t->files[0]) != 1)
        return fail(HTTP_TLS_ERR_CERT, err, errlen, "cannot load certificate chain", t->files[0]);
    if (!readable(t->files[1], "key file", err, errlen))
        return HTTP_TLS_ERR_KEY;
    if (SSL_CTX_use_PrivateKey_file(ctx, t->files[1], SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH)
            return fail(HTTP_TLS_ERR_KEY, err, errlen, "cannot load private key", t->files[1]);
        ERR_clear_error();
        snprintf(err, errlen, "private key %s does not match the certificate in %s", t->files[1],
                 t->files[0]);
        return HTTP_TLS_ERR_KEY;
    }
    if (!t->files[2])
        return HTTP_TLS_OK;
    if (!readable(t->files[2], "client CA file", err, errlen))
        return HTTP_TLS_ERR_CLIENT_CA;
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(t->files[2]);
    if (!names || SSL_CTX_load_verify_locations(ctx, t->files[2], NULL) != 1) {
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        return fail(HTTP_TLS_ERR_CLIENT_CA, err, errlen, "cannot load client CA certificates",
                    t->files[2]);
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    return HTTP_TLS_OK;
}

/* A context from the files, or NULL with err set and *st saying why. */
static SSL_CTX *build_ctx(const struct http_tls *t, enum http_tls_status *st, char *err,
                          size_t errlen)
{
    static const unsigned char sid_ctx[] = "prewarmd";
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        *st = fail(HTTP_TLS_ERR_INTERNAL, err, errlen, "SSL_CTX_new", "");
        return NULL;
    }
    int min = t->min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(ctx, min);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
    if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
        *st = fail(HTTP_TLS_ERR_INTERNAL, err, errlen, "cipher list", "");
        goto fail;
    }
    *st = load_chain(ctx, t, err, errlen);
    if (*st != HTTP_TLS_OK)
        goto fail;
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

static void take_stamps(struct http_tls *t)
{
    for (int i = 0; i < 3; i++)
        stamp_of(t->files[i], &t->stamps[i]);
}

enum http_tls_status http_tls_new(const struct http_tls_settings *s, struct http_tls **out,
                                  char *err, size_t errlen)
{
    *out = NULL;
    if (s->min_version != 0 && s->min_version != 12 && s->min_version != 13) {
        snprintf(err, errlen, "minimum TLS version must be 1.2 or 1.3");
        return HTTP_TLS_ERR_VERSION;
    }
    struct http_tls *t = xcalloc(1, sizeof *t);
    t->files[0] = xstrdup(s->cert_file ? s->cert_file : "");
    t->files[1] = xstrdup(s->key_file ? s->key_file : "");
    t->files[2] = s->client_ca_file ? xstrdup(s->client_ca_file) : NULL;
    t->min_version = s->min_version ? s->min_version : 12;
    take_stamps(t);
    enum http_tls_status st = HTTP_TLS_OK;
    t->ctx = build_ctx(t, &st, err, errlen);
    if (!t->ctx) {
        http_tls_free(t);
        return st;
    }
    *out = t;
    return HTTP_TLS_OK;
}

void http_tls_free(struct http_tls *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    for (int i = 0; i < 3; i++)
        free(t->files[i]);
    free(t);
}

int http_tls_reload(struct http_tls *t, bool force, char *err, size_t errlen)
{
    struct file_stamp now[3];
    bool changed = force;
    for (int i = 0; i < 3; i++) {
        stamp_of(t->files[i], &now[i]);
        changed = changed || !stamp_equal(&now[i], &t->stamps[i]);
    }
    if (!changed)
        return 0;
    memcpy(t->stamps, now, sizeof now); /* a bad file is reported once, not every poll */
    enum http_tls_status st;
    SSL_CTX *ctx = build_ctx(t, &st, err, errlen);
    if (!ctx)
        return -1;
    SSL_CTX_free(t->ctx); /* open connections hold their own reference */
    t->ctx = ctx;
    return 1;
}

void http_tls_serial(const struct http_tls *t, char *out, size_t outlen)
{
    out[0] = '\0';
    X509 *cert = SSL_CTX_get0_certificate(t->ctx);
    BIGNUM *bn = cert ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL) : NULL;
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    if (hex)
        snprintf(out, outlen, "%s", hex);
    OPENSSL_free(hex);
    BN_free(bn);
}

unsigned long long http_tls_handshakes(const struct http_tls *t)
{
    return t->handshakes;
}

unsigned long long http_tls_handshake_failures(const struct http_tls *t)
{
    return t->failures;
}

/* ---- connections ---- */

struct http_tls_conn *http_tls_conn_new(struct http_tls *tls, int fd)
{
    struct http_tls_conn *t = xcalloc(1, sizeof *t);
    t->tls = tls;
    t->ssl = SSL_new(tls->ctx);
    if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1) {
        ERR_clear_error();
        SSL_free(t->ssl);
        free(t);
        return NULL;
    }
    SSL_set_accept_state(t->ssl);
    return t;
}

void http_tls_conn_free(struct http_tls_conn *t)
{
    if (!t)
        return;
    SSL_free(t->ssl);
    free(t);
    ERR_clear_error(); /* nothing of this connection leaks into the next one's errors */
}

/* Maps an SSL_get_error() outcome; rc is the call's return value. */
static enum http_tls_io io_status(struct http_tls_conn *t, int rc)
{
    int e = SSL_get_error(t->ssl, rc);
    enum http_tls_io st = HTTP_TLS_IO_FAILED;
    if (e == SSL_ERROR_WANT_READ)
        st = HTTP_TLS_IO_WANT_READ;
    else if (e == SSL_ERROR_WANT_WRITE)
        st = HTTP_TLS_IO_WANT_WRITE;
    else if (e == SSL_ERROR_ZERO_RETURN)
        st = HTTP_TLS_IO_EOF;
    else if (e == SSL_ERROR_SYSCALL && errno == EINTR)
        st = HTTP_TLS_IO_WANT_READ;
    if (st == HTTP_TLS_IO_FAILED)
        t->failed = true;
    ERR_clear_error();
    return st;
}

enum http_tls_io http_tls_handshake(struct http_tls_conn *t)
{
    ERR_clear_error();
    int rc = SSL_do_handshake(t->ssl);
    if (rc == 1) {
        t->handshaken = true;
        t->tls->handshakes++;
        return HTTP_TLS_IO_DONE;
    }
    enum http_tls_io st = io_status(t, rc);
    if (st != HTTP_TLS_IO_WANT_READ && st != HTTP_TLS_IO_WANT_WRITE) {
        t->tls->failures++;
        return HTTP_TLS_IO_FAILED;
    }
    return st;
}

bool http_tls_conn_h2(const struct http_tls_conn *t)
{
    const unsigned char *proto = NULL;
    unsigned int len = 0;
    SSL_get0_alpn_selected(t->ssl, &proto, &len);
    return len == 2 && !memcmp(proto, "h2", 2);
}

enum http_tls_io http_tls_read(struct http_tls_conn *t, void *buf, size_t len, size_t *n)
{
    ERR_clear_error();
    int rc = SSL_read_ex(t->ssl, buf, len, n);
    return rc == 1 ? HTTP_TLS_IO_DONE : io_status(t, rc);
}

enum http_tls_io http_tls_write(struct http_tls_conn *t, const void *buf, size_t len, size_t *n)
{
    ERR_clear_error();
    int rc = SSL_write_ex(t->ssl, buf, len, n);
    return rc == 1 ? HTTP_TLS_IO_DONE : io_status(t, rc);
}

bool http_tls_pending(const struct http_tls_conn *t)
{
    return SSL_pending(t->ssl) > 0;
}

void http_tls_close_notify(struct http_tls_conn *t)
{
    if (!t || !t->handshaken || t->failed || (SSL_get_shutdown(t->ssl) & SSL_SENT_SHUTDOWN))
        return;
    ERR_clear_error();
    SSL_shutdown(t->ssl); /* one non-blocking attempt; the peer's reply is not awaited */
    ERR_clear_error();
}

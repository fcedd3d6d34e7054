/*
 * http_tls: the TLS transport under prewarm's HTTP/1.1 and HTTP/2 server.
 *
 * Library: OpenSSL. prewarmd already links libcrypto (HMAC connect tokens)
 * and libcurl's TLS stack is OpenSSL too, so the process keeps one TLS
 * implementation, patched by Debian's security updates of one package. Its
 * memory-BIO-free, non-blocking model fits the epoll loop as is: every call
 * either makes progress or says which direction it waits for
 * (SSL_ERROR_WANT_READ / WANT_WRITE), and the loop waits for exactly that.
 * ALPN (RFC 7301) picks h2 or http/1.1 during the handshake.
 *
 * Two objects:
 * - struct http_tls: one listener's settings and its current SSL_CTX
 *   (certificate chain, key, optional client CA). Created from files; a
 *   missing, unreadable or mismatched file is an error at creation, never at
 *   a handshake. http_tls_reload() builds a new SSL_CTX from the same files
 *   and swaps it in: new connections get the new certificate, open ones keep
 *   the context they started with (OpenSSL counts its references), so a
 *   reload drops nothing. A reload that fails keeps the old context.
 * - struct http_tls_conn: one connection's TLS state over a non-blocking
 *   socket the caller owns. Internal to src/http (http_server.c drives it).
 *
 * Policy: TLS 1.2 minimum (1.3 if asked); TLS 1.2 suites are ECDHE with
 * AEAD only (what RFC 9113 9.2.2 requires of h2); no renegotiation, no
 * compression.
 * With a client CA, a client certificate signed by it is required
 * (handshake fails without one): an extra layer in front of the API tokens.
 * ALPN: "h2" is chosen when the client offers it, else "http/1.1"; a client
 * offering neither still gets HTTP/1.1. h2c is never served over TLS.
 *
 * Writes go through the socket with write(2): the process must ignore
 * SIGPIPE (prewarmd does; so do the tests).
 *
 * Ownership: the caller frees what it creates; a connection holds a
 * reference on the SSL_CTX it started with, so http_tls_free() may run while
 * connections of that listener are still open only if they are freed before
 * the process ends (they are: the server frees its connections first).
 */
#ifndef PREWARM_HTTP_TLS_H
#define PREWARM_HTTP_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct http_tls;
struct http_tls_conn;

struct http_tls_settings {
    const char *cert_file;      /* PEM: the server certificate, then its chain */
    const char *key_file;       /* PEM private key matching cert_file */
    const char *client_ca_file; /* PEM CAs for client certificates; NULL: none asked */
    int min_version;            /* 12 (TLS 1.2, the default when 0) or 13 */
};

/* Which setting an error is about (so a config error can name the field). */
enum http_tls_status {
    HTTP_TLS_OK = 0,
    HTTP_TLS_ERR_CERT,      /* cert_file missing, unreadable or not a certificate */
    HTTP_TLS_ERR_KEY,       /* key_file missing, unreadable, or not cert_file's key */
    HTTP_TLS_ERR_CLIENT_CA, /* client_ca_file missing or holds no certificate */
    HTTP_TLS_ERR_VERSION,   /* min_version is not 12 or 13 */
    HTTP_TLS_ERR_INTERNAL,  /* OpenSSL could not build a context */
};

/* Reads the files now. On failure *out is NULL and err holds one line. */
enum http_tls_status http_tls_new(const struct http_tls_settings *settings, struct http_tls **out,
                                  char *err, size_t errlen);
void http_tls_free(struct http_tls *tls);

/* Re-reads the files: with force always, else only when one of them changed
 * (inode, size or modification time). Returns 1 reloaded, 0 unchanged, -1
 * failed (err says why; the current context stays). */
int http_tls_reload(struct http_tls *tls, bool force, char *err, size_t errlen);
/* Serial number of the certificate new connections get, as upper-case hex
 * (for logs); "" if unknown. */
void http_tls_serial(const struct http_tls *tls, char *out, size_t outlen);
/* Handshakes completed and failed since creation. */
unsigned long long http_tls_handshakes(const struct http_tls *tls);
unsigned long long http_tls_handshake_failures(const struct http_tls *tls);

/* ---- connections (src/http internal) ---- */

/* What a transfer did. */
enum http_tls_io {
    HTTP_TLS_IO_DONE,       /* progress (bytes moved, handshake finished) */
    HTTP_TLS_IO_WANT_READ,  /* wait until the socket is readable, then retry */
    HTTP_TLS_IO_WANT_WRITE, /* wait until the socket is writable, then retry */
    HTTP_TLS_IO_EOF,        /* the peer closed (close_notify or TCP FIN) */
    HTTP_TLS_IO_FAILED,     /* protocol error or socket error: close */
};

/* A server-side TLS state on fd with tls's current context. */
struct http_tls_conn *http_tls_conn_new(struct http_tls *tls, int fd);
/* Frees the TLS state (see http_tls_close_notify); does not close fd.
 * NULL is a no-op. */
void http_tls_conn_free(struct http_tls_conn *t);

enum http_tls_io http_tls_handshake(struct http_tls_conn *t);
/* True once the handshake chose h2 by ALPN. */
bool http_tls_conn_h2(const struct http_tls_conn *t);
/* Decrypted bytes into buf (*n set on DONE). */
enum http_tls_io http_tls_read(struct http_tls_conn *t, void *buf, size_t len, size_t *n);
/* Encrypts and sends from buf (*n set on DONE; may be fewer than len). After
 * WANT_*, retry with the same bytes (more may follow them; the buffer may
 * move). */
enum http_tls_io http_tls_write(struct http_tls_conn *t, const void *buf, size_t len, size_t *n);
/* Decrypted bytes held inside the TLS state (not visible to epoll). */
bool http_tls_pending(const struct http_tls_conn *t);
/* Sends close_notify (best effort, non-blocking) before a half-close. */
void http_tls_close_notify(struct http_tls_conn *t);

/* ALPN: picks "h2" if the client's protocol list (RFC 7301 wire format: length-
 * prefixed names) offers it, else "http/1.1"; *out points into in. Returns 1
 * chosen, 0 neither offered (the connection goes on as HTTP/1.1 without
 * ALPN), -1 malformed list (the handshake fails). */
int http_tls_alpn_choose(const unsigned char *in, size_t inlen, const unsigned char **out,
                         unsigned char *outlen);

/* First byte of a TLS connection (a handshake record). */
#define HTTP_TLS_RECORD_HANDSHAKE 0x16

#endif

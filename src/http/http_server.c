/*
 * http_server.c: listeners, connection lifetime, protocol detection, timers,
 * batched output and the server's entry points. HTTP/1.1 framing is in
 * http_h1.c, HTTP/2 in http_h2.c; this file talks to them only through
 * their struct http_proto (http_conn.h) and never the other way round.
 *
 * Output: answering appends to the connection's output buffer (HTTP/1.1) or
 * submits to nghttp2 (HTTP/2) and marks the connection dirty. The before-sleep
 * hook drains the dirty list: the protocol produces what it held back
 * (input waiting for the pipeline to shrink, frames inside nghttp2) and the
 * server writes as much as the socket takes; the rest waits for EPOLLOUT. Reading and dispatching
 * pause while a connection may not take more output (http_conn_may_dispatch), so a client that
 * does not read cannot grow the server's memory; they resume as it reads (flush_conn produces
 * again), and everywhere once the total is back under half of max_output_bytes (unthrottle).
 *
 * Admission: at most max_connections, and max_per_address from one client address
 * (addr_limit.h); further accepts are closed at once.
 *
 * TLS (http_tls.h) sits between the socket and the protocols: conn_recv and
 * conn_send are the only places bytes cross the socket, so c->in and c->out
 * hold plaintext, and the output bound, delivery watches and timers work
 * unchanged. A TLS listener's connection first shows its first byte
 * (MSG_PEEK): a handshake record starts the TLS handshake, driven by the
 * connection's I/O events; anything else is a plaintext client, which
 * gets a plaintext 400 and is closed (HTTP/1.1 parses it, dispatch refuses
 * it). The handshake runs while no protocol is chosen, so it counts against
 * request_timeout from the accept like a plaintext connection's first
 * request; ALPN then picks the protocol (h2, else HTTP/1.1).
 */
#include "addr_limit.h"
#include "http_conn.h"
#include "http_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTP_MAX_LISTENERS 8
#define HTTP_READ_CHUNK    16384
#define HTTP_SNDBUF        (128 * 1024)  /* the kernel doubles it */
#define HTTP_LINGER_NS     2000000000ull /* draining input after an error response */

/* A listening socket; tls is the caller's, NULL for plaintext. */
struct http_listener {
    struct http_server *server;
    int fd;
    struct http_tls *tls;
};

struct http_server {
    struct http_env env; /* shared with every connection */
    struct http_listener listeners[HTTP_MAX_LISTENERS];
    size_t listener_count;
    struct http_conn *conns; /* all open connections */
    size_t conn_count;
    int spare_fd;                /* /dev/null, given up to accept-and-close when out of fds */
    struct addr_limit *per_addr; /* open connections per client address */
    uint64_t refused_full, refused_per_address; /* accepts closed at once */
};

/* A connection and the client address it counts against (adopted sockets
 * count against none). */
struct server_conn {
    struct http_conn c; /* first: what the protocols see */
    struct addr_key peer;
    bool counted;
    struct http_tls *tls_cfg;  /* the listener's TLS; NULL: plaintext */
    struct http_tls_conn *tls; /* from the first handshake byte to close */
    bool tls_ready;            /* handshake finished */
    unsigned tls_wait;         /* LOOP_READ/WRITE the handshake waits for */
    bool read_wants_write;     /* TLS read waits for the socket to be writable */
    bool write_wants_read;     /* TLS write waits for the socket to be readable */
    bool read_again;           /* decrypted input left in the TLS state */
};

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define H2_PREFACE_LEN (sizeof(h2_preface) - 1)

static void flush_hook(struct loop *loop, void *data);
static void conn_io(struct loop *loop, int fd, unsigned events, void *data);
static void conn_timeout(struct loop *loop, struct loop_timer *timer);

static void apply_defaults(struct http_server_config *cfg)
{
    if (!cfg->max_header_bytes)
        cfg->max_header_bytes = 16 * 1024;
    if (!cfg->max_body_bytes)
        cfg->max_body_bytes = 1024 * 1024;
    if (!cfg->max_connections)
        cfg->max_connections = 4096;
    if (!cfg->idle_timeout_ns)
        cfg->idle_timeout_ns = 60ull * 1000000000u;
    if (!cfg->request_timeout_ns)
        cfg->request_timeout_ns = 10ull * 1000000000u;
    if (!cfg->max_per_address)
        cfg->max_per_address = 256;
    if (!cfg->max_output_bytes)
        cfg->max_output_bytes = 64u << 20;
    if (!cfg->max_pipelined)
        cfg->max_pipelined = 16;
    if (!cfg->max_streams)
        cfg->max_streams = 128;
}

struct http_server *http_server_new(struct loop *loop, const struct http_server_config *cfg,
                                    http_handler_fn *handler, void *ctx)
{
    struct http_server *s = xcalloc(1, sizeof(*s));
    s->env.loop = loop;
    if (cfg)
        s->env.cfg = *cfg;
    apply_defaults(&s->env.cfg);
    s->env.handler = handler;
    s->env.ctx = ctx;
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != sizeof seed)
        seed = (uint64_t)(uintptr_t)s ^ loop_now(loop);
    s->per_addr =
        addr_limit_new(s->env.cfg.max_connections, (uint32_t)s->env.cfg.max_per_address, seed);
    oom_check(s->per_addr);
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    loop_before_sleep(loop, flush_hook, s);
    return s;
}

static int parse_host(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof(*ss));
    if (!host)
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        *len = sizeof(*in4);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *len = sizeof(*in6);
        return 0;
    }
    errno = EINVAL;
    return -1;
}

static uint16_t bound_port_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void accept_ready(struct loop *loop, int fd, unsigned events, void *data);

int http_server_listen(struct http_server *s, const char *host, uint16_t port, uint16_t *bound_port)
{
    return http_server_listen_tls(s, host, port, NULL, bound_port);
}

int http_server_listen_tls(struct http_server *s, const char *host, uint16_t port,
                           struct http_tls *tls, uint16_t *bound_port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (s->listener_count == HTTP_MAX_LISTENERS) {
        errno = EMFILE;
        return -1;
    }
    if (parse_host(host, port, &ss, &len) < 0)
        return -1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        goto fail;
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 511) < 0)
        goto fail;
    struct http_listener *l = &s->listeners[s->listener_count];
    *l = (struct http_listener){.server = s, .fd = fd, .tls = tls};
    if (loop_io_add(s->env.loop, fd, LOOP_READ, accept_ready, l) < 0)
        goto fail;
    s->listener_count++;
    if (bound_port)
        *bound_port = bound_port_of(fd);
    return 0;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

static int conn_new(struct http_server *s, int fd, const struct addr_key *peer,
                    struct http_tls *tls)
{
    struct server_conn *sc = xcalloc(1, sizeof(*sc));
    struct http_conn *c = &sc->c;
    int one = 1, sndbuf = HTTP_SNDBUF;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* A fixed send buffer instead of the kernel's autotuning (up to 4 MiB):
     * bounds the kernel memory a client that does not read can pin, and the
     * answers it can make prewarmd render before the output bound applies. */
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    c->env = &s->env;
    c->fd = fd;
    sc->tls_cfg = tls;
    c->io_events = LOOP_READ;
    if (loop_io_add(s->env.loop, fd, LOOP_READ, conn_io, c) < 0) {
        int saved = errno;
        close(fd);
        if (peer)
            addr_limit_release(s->per_addr, peer);
        free(sc);
        errno = saved;
        return -1;
    }
    loop_timer_init(&c->timer, conn_timeout, c);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->conn_count++;
    c->last_activity_ns = c->accepted_ns = loop_now(s->env.loop);
    if (peer) {
        sc->peer = *peer;
        sc->counted = true;
    }
    http_conn_schedule(c);
    return 0;
}

int http_server_adopt(struct http_server *s, int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return conn_new(s, fd, NULL, NULL); /* socketpairs in tests: no address to count */
}

/* Out of descriptors, a pending connection would keep the listener readable
 * and the loop spinning: give up the spare descriptor to accept it, close it
 * (the client sees the connection end), take the spare back. */
static bool shed_one(struct http_server *s, int listener)
{
    if (s->spare_fd < 0)
        return false;
    close(s->spare_fd);
    int cfd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (cfd >= 0)
        close(cfd);
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return cfd >= 0;
}

static void accept_ready(struct loop *loop, int fd, unsigned events, void *data)
{
    (void)loop;
    (void)events;
    struct http_listener *l = data;
    struct http_server *s = l->server;
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss = {0};
        socklen_t len = sizeof ss;
        int cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0 && (errno == EMFILE || errno == ENFILE) && shed_one(s, fd))
            continue;
        if (cfd < 0)
            return; /* EAGAIN (or nothing to shed): the next event retries */
        struct addr_key peer = addr_key_of((struct sockaddr *)&ss);
        if (s->conn_count >= s->env.cfg.max_connections || s->env.shutting_down) {
            s->refused_full++;
            close(cfd);
        } else if (!addr_limit_acquire(s->per_addr, &peer)) {
            s->refused_per_address++;
            close(cfd);
        } else {
            conn_new(s, cfd, &peer, l->tls);
        }
    }
}

static void unlink_dirty(struct http_conn *c)
{
    if (!c->dirty)
        return;
    for (struct http_conn **p = &c->env->dirty; *p; p = &(*p)->dirty_next) {
        if (*p == c) {
            *p = c->dirty_next;
            break;
        }
    }
    c->dirty = false;
}

static struct http_server *server_of(const struct http_conn *c)
{
    return (struct http_server *)c->env; /* env is the server's first member */
}

static void conn_close(struct http_conn *c)
{
    if (c->dead)
        return;
    struct http_server *s = server_of(c);
    c->dead = true;
    unlink_dirty(c);
    loop_io_remove(s->env.loop, c->fd);
    struct server_conn *sc = (struct server_conn *)c;
    http_tls_close_notify(sc->tls);
    http_tls_conn_free(sc->tls);
    close(c->fd);
    loop_timer_stop(s->env.loop, &c->timer);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->conn_count--;
    s->env.out_total -= c->out_accounted;
    if (sc->counted)
        addr_limit_release(s->per_addr, &sc->peer);
    /* Cancel callbacks run here; the connection is already unreachable. */
    if (c->proto)
        c->proto->close(c);
    http_conn_watches_report(c, true);
    buf_free(&c->in);
    buf_free(&c->out);
    free(c);
}

/* ---- reading, writing, interest ---- */

static struct server_conn *sconn(struct http_conn *c)
{
    return (struct server_conn *)c; /* c is its first member */
}

static bool wants_read(struct http_conn *c)
{
    if (c->read_eof)
        return false;
    if (c->lingering)
        return true;
    if (!http_conn_may_dispatch(c))
        return false;
    return !c->proto || c->proto->wants_read(c);
}

static void update_interest(struct http_conn *c)
{
    struct server_conn *sc = sconn(c);
    bool rd = wants_read(c);
    unsigned ev = (rd || sc->write_wants_read ? LOOP_READ : 0) |
                  (buf_size(&c->out) || sc->read_wants_write ? LOOP_WRITE : 0) | sc->tls_wait;
    if (ev != c->io_events && loop_io_modify(c->env->loop, c->fd, ev) == 0)
        c->io_events = ev;
    /* Input already decrypted raises no event: read it from the flush hook. */
    if (rd && sc->tls && !c->lingering && http_tls_pending(sc->tls)) {
        sc->read_again = true;
        http_conn_mark_dirty(c);
    }
}

/* Decides the protocol from the first bytes; NULL while still undecided.
 * Over TLS, ALPN decided; a plaintext client of a TLS port gets HTTP/1.1
 * (which answers its request with a refusal). */
static const struct http_proto *detect_protocol(struct http_conn *c)
{
    struct server_conn *sc = sconn(c);
    if (sc->tls)
        return http_tls_conn_h2(sc->tls) ? &http_h2_proto : &http_h1_proto;
    if (c->plain_on_tls)
        return &http_h1_proto;
    size_t n = buf_size(&c->in);
    size_t cmp = n < H2_PREFACE_LEN ? n : H2_PREFACE_LEN;
    if (memcmp(buf_start(&c->in), h2_preface, cmp) != 0)
        return &http_h1_proto;
    return n < H2_PREFACE_LEN ? NULL : &http_h2_proto;
}

/* Feeds newly buffered input to the protocol; false if the connection closed. */
static bool handle_input(struct http_conn *c)
{
    if (!c->proto) {
        const struct http_proto *p = detect_protocol(c);
        if (!p) {
            return true;
        }
        c->proto = p;
        if (p->start(c) < 0) {
            conn_close(c);
            return false;
        }
    }
    if (c->proto->input(c) < 0) {
        conn_close(c);
        return false;
    }
    http_conn_mark_dirty(c);
    return true;
}

/* False if the connection closed. */
static bool handle_eof(struct http_conn *c)
{
    c->read_eof = true;
    /* A client that leaves with a request unanswered is gone: cancel it. */
    if (c->lingering || !c->proto || c->proto->peer_closed(c)) {
        conn_close(c);
        return false;
    }
    c->close_when_done = true;
    http_conn_mark_dirty(c);
    return true;
}

/* Socket results below: bytes moved, or one of these. */
#define IO_AGAIN  (-1) /* would block */
#define IO_FAILED (-2) /* close the connection */

static ssize_t tls_result(enum http_tls_io st, size_t n)
{
    switch (st) {
    case HTTP_TLS_IO_DONE:
        return (ssize_t)n;
    case HTTP_TLS_IO_WANT_READ:
    case HTTP_TLS_IO_WANT_WRITE:
        return IO_AGAIN;
    case HTTP_TLS_IO_EOF:
        return 0;
    default:
        return IO_FAILED;
    }
}

static ssize_t sys_result(ssize_t n)
{
    if (n >= 0)
        return n;
    return errno == EAGAIN || errno == EINTR ? IO_AGAIN : IO_FAILED;
}

/* Reads (decrypts) up to len bytes; 0 at the peer's end. While lingering
 * the bytes are discarded, so they are taken raw. */
static ssize_t conn_recv(struct http_conn *c, char *dst, size_t len)
{
    struct server_conn *sc = sconn(c);
    if (!sc->tls || c->lingering)
        return sys_result(read(c->fd, dst, len));
    size_t n = 0;
    enum http_tls_io st = http_tls_read(sc->tls, dst, len, &n);
    sc->read_wants_write = st == HTTP_TLS_IO_WANT_WRITE;
    return tls_result(st, n);
}

static ssize_t conn_send(struct http_conn *c, const char *src, size_t len)
{
    struct server_conn *sc = sconn(c);
    if (!sc->tls)
        return sys_result(send(c->fd, src, len, MSG_NOSIGNAL));
    size_t n = 0;
    enum http_tls_io st = http_tls_write(sc->tls, src, len, &n);
    sc->write_wants_read = st == HTTP_TLS_IO_WANT_READ;
    return st == HTTP_TLS_IO_EOF ? IO_FAILED : tls_result(st, n);
}

/* False if the connection closed. */
static bool conn_read(struct http_conn *c)
{
    struct server_conn *sc = sconn(c);
    sc->read_again = false;
    for (int round = 0; round < 4 && wants_read(c); round++) {
        char *dst = buf_reserve(&c->in, HTTP_READ_CHUNK);
        ssize_t n = conn_recv(c, dst, HTTP_READ_CHUNK);
        if (n == IO_AGAIN)
            break;
        if (n == IO_FAILED) {
            conn_close(c);
            return false;
        }
        if (n == 0)
            return handle_eof(c);
        c->last_activity_ns = http_conn_now(c);
        if (c->lingering) {
            c->in.off = c->in.len = 0; /* discard */
            continue;
        }
        buf_commit(&c->in, (size_t)n);
        if (!handle_input(c))
            return false;
        if ((size_t)n < HTTP_READ_CHUNK && !(sc->tls && http_tls_pending(sc->tls)))
            break; /* more in the socket raises the next event */
    }
    update_interest(c);
    http_conn_schedule(c);
    return true;
}

/* A TLS listener's connection before its protocol runs: a plaintext client
 * is marked for refusal; otherwise the handshake goes on. False if the
 * connection closed. */
static bool tls_advance(struct http_conn *c)
{
    struct server_conn *sc = sconn(c);
    if (!sc->tls) {
        unsigned char first;
        ssize_t n = recv(c->fd, &first, 1, MSG_PEEK);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return true;
        if (n > 0 && first != HTTP_TLS_RECORD_HANDSHAKE) {
            sc->tls_cfg = NULL;
            c->plain_on_tls = true;
            return true;
        }
        sc->tls = n > 0 ? http_tls_conn_new(sc->tls_cfg, c->fd) : NULL;
        if (!sc->tls) {
            conn_close(c);
            return false;
        }
    }
    enum http_tls_io st = http_tls_handshake(sc->tls);
    if (st != HTTP_TLS_IO_DONE && st != HTTP_TLS_IO_WANT_READ && st != HTTP_TLS_IO_WANT_WRITE) {
        conn_close(c);
        return false;
    }
    sc->tls_ready = st == HTTP_TLS_IO_DONE;
    sc->tls_wait = st == HTTP_TLS_IO_WANT_WRITE ? LOOP_WRITE : 0;
    update_interest(c);
    return true;
}

/* Starts closing after the last response: half-close, then drain input so
 * unread request bytes do not turn the close into a reset that could destroy
 * the response before the client reads it. False if the connection closed. */
static bool finish_conn(struct http_conn *c)
{
    http_tls_close_notify(sconn(c)->tls);
    if (c->read_eof || shutdown(c->fd, SHUT_WR) < 0) {
        conn_close(c);
        return false;
    }
    c->lingering = true;
    c->linger_deadline_ns = http_conn_now(c) + HTTP_LINGER_NS;
    buf_free(&c->in);
    return true;
}

static bool write_out(struct http_conn *c)
{
    while (buf_size(&c->out) > 0) {
        ssize_t n = conn_send(c, buf_start(&c->out), buf_size(&c->out));
        if (n == IO_AGAIN)
            break;
        if (n < 0) {
            conn_close(c);
            return false;
        }
        buf_consume(&c->out, (size_t)n);
        c->out_sent += (size_t)n;
        c->last_activity_ns = http_conn_now(c);
        http_conn_watches_report(c, false);
    }
    return true;
}

/* Writes what is pending and closes when done; false if the connection closed. */
static bool flush_conn(struct http_conn *c)
{
    if (sconn(c)->read_again && !conn_read(c))
        return false;
    if (c->lingering || !c->proto)
        return true;
    if (c->proto->produce(c) < 0) {
        conn_close(c);
        return false;
    }
    if (!write_out(c))
        return false;
    /* The client read: requests held back by the output bound go on. */
    if (buf_size(&c->in) > 0 && http_conn_may_dispatch(c)) {
        if (c->proto->produce(c) < 0) {
            conn_close(c);
            return false;
        }
        if (!write_out(c))
            return false;
    }
    http_conn_account_out(c);
    enum http_proto_next next = c->proto->after_write(c);
    if (next == HTTP_NEXT_LINGER && !finish_conn(c))
        return false;
    update_interest(c);
    http_conn_schedule(c);
    return true;
}

static void conn_io(struct loop *loop, int fd, unsigned events, void *data)
{
    (void)loop;
    (void)fd;
    struct http_conn *c = data;
    struct server_conn *sc = sconn(c);
    if (sc->tls_cfg && !sc->tls_ready) {
        if (!tls_advance(c))
            return;
        if (sc->tls_cfg && !sc->tls_ready)
            return;          /* handshake goes on (a plaintext client goes on below) */
        events |= LOOP_READ; /* application data may have come with the handshake */
    }
    /* A TLS read may wait for writability, a TLS write for readability. */
    if ((events & LOOP_WRITE || (events & LOOP_READ && sc->write_wants_read)) && !flush_conn(c))
        return;
    if (events & LOOP_READ || (events & LOOP_WRITE && sc->read_wants_write))
        conn_read(c);
}

/* Once all unsent output is back under half of max_output_bytes, every
 * connection may dispatch what it held back. */
static void unthrottle(struct http_server *s)
{
    if (!s->env.out_throttled || s->env.out_total > s->env.cfg.max_output_bytes / 2)
        return;
    s->env.out_throttled = false;
    for (struct http_conn *c = s->conns; c; c = c->next) {
        http_conn_mark_dirty(c);
        update_interest(c);
    }
}

static void flush_hook(struct loop *loop, void *data)
{
    (void)loop;
    struct http_server *s = data;
    while (s->env.dirty) {
        struct http_conn *c = s->env.dirty;
        s->env.dirty = c->dirty_next;
        c->dirty = false;
        flush_conn(c);
    }
    unthrottle(s);
}

/* ---- timers ---- */

static void conn_timeout(struct loop *loop, struct loop_timer *timer)
{
    struct http_conn *c = timer->data;
    uint64_t d = http_conn_deadline(c);
    if (d == HTTP_NO_DEADLINE)
        return;
    if (d > loop_now(loop)) {
        loop_timer_start(loop, &c->timer, d);
        return;
    }
    bool quiet = !c->lingering && buf_size(&c->out) == 0;
    if (quiet && c->proto && c->proto->timeout(c, loop_now(loop))) {
        http_conn_mark_dirty(c);
        http_conn_schedule(c);
        return;
    }
    conn_close(c);
}

/* ---- lifetime ---- */

static void close_listeners(struct http_server *s)
{
    for (size_t i = 0; i < s->listener_count; i++) {
        loop_io_remove(s->env.loop, s->listeners[i].fd);
        close(s->listeners[i].fd);
    }
    s->listener_count = 0;
}

void http_server_shutdown(struct http_server *s)
{
    s->env.shutting_down = true;
    close_listeners(s);
    struct http_conn *next;
    for (struct http_conn *c = s->conns; c; c = next) {
        next = c->next;
        if (!c->proto || c->proto->shutdown(c)) {
            conn_close(c);
            continue;
        }
        http_conn_mark_dirty(c);
    }
}

size_t http_server_connection_count(const struct http_server *s)
{
    return s->conn_count;
}

void http_server_get_stats(const struct http_server *s, struct http_server_stats *out)
{
    *out = (struct http_server_stats){.refused_full = s->refused_full,
                                      .refused_per_address = s->refused_per_address};
}

void http_server_free(struct http_server *s)
{
    if (!s)
        return;
    loop_before_sleep_remove(s->env.loop, flush_hook, s);
    close_listeners(s);
    while (s->conns)
        conn_close(s->conns);
    if (s->spare_fd >= 0)
        close(s->spare_fd);
    addr_limit_free(s->per_addr);
    free(s);
}

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
 */
#include "addr_limit.h"
#include "http_conn.h"

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

struct http_server {
    struct http_env env; /* shared with every connection */
    int listeners[HTTP_MAX_LISTENERS];
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
    if (loop_io_add(s->env.loop, fd, LOOP_READ, accept_ready, s) < 0)
        goto fail;
    s->listeners[s->listener_count++] = fd;
    if (bound_port)
        *bound_port = bound_port_of(fd);
    return 0;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

static int conn_new(struct http_server *s, int fd, const struct addr_key *peer)
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
    return conn_new(s, fd, NULL); /* socketpairs in tests: no address to count */
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
    struct http_server *s = data;
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
            conn_new(s, cfd, &peer);
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
    struct server_conn *sc = (struct server_conn *)c;
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
    unsigned ev = (wants_read(c) ? LOOP_READ : 0) | (buf_size(&c->out) ? LOOP_WRITE : 0);
    if (ev != c->io_events && loop_io_modify(c->env->loop, c->fd, ev) == 0)
        c->io_events = ev;
}

/* Decides the protocol from the first bytes; NULL while still undecided. */
static const struct http_proto *detect_protocol(const struct http_conn *c)
{
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

static void handle_eof(struct http_conn *c)
{
    c->read_eof = true;
    /* A client that leaves with a request unanswered is gone: cancel it. */
    if (c->lingering || !c->proto || c->proto->peer_closed(c)) {
        conn_close(c);
        return;
    }
    c->close_when_done = true;
    http_conn_mark_dirty(c);
}

static void conn_read(struct http_conn *c)
{
    for (int round = 0; round < 4 && wants_read(c); round++) {
        char *dst = buf_reserve(&c->in, HTTP_READ_CHUNK);
        ssize_t n = read(c->fd, dst, HTTP_READ_CHUNK);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            conn_close(c);
            return;
        }
        if (n == 0) {
            handle_eof(c);
            return;
        }
        c->last_activity_ns = http_conn_now(c);
        if (c->lingering) {
            c->in.off = c->in.len = 0; /* discard */
            continue;
        }
        buf_commit(&c->in, (size_t)n);
        if (!handle_input(c))
            return;
        if ((size_t)n < HTTP_READ_CHUNK)
            break;
    }
    update_interest(c);
    http_conn_schedule(c);
}

/* Starts closing after the last response: half-close, then drain input so
 * unread request bytes do not turn the close into a reset that could destroy
 * the response before the client reads it. False if the connection closed. */
static bool finish_conn(struct http_conn *c)
{
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
        ssize_t n = send(c->fd, buf_start(&c->out), buf_size(&c->out), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
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
    if (next == HTTP_NEXT_CLOSE) {
        conn_close(c);
        return false;
    }
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
    if ((events & LOOP_WRITE) && !flush_conn(c))
        return;
    if (events & LOOP_READ)
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
        loop_io_remove(s->env.loop, s->listeners[i]);
        close(s->listeners[i]);
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

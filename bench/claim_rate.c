/*
 * claim_rate: open-loop claims against a running prewarmd at a fixed rate.
 *
 *   claim_rate --port P [--rate 50] [--seconds 5] [--conns 16] [--mode fresh|key]
 *              [--keys 8] [--pool demo] [--token T]
 *
 * Claim i is due at start + i / rate, whatever happened to earlier ones
 * (open loop): its latency runs from that due time to the last byte of its
 * answer, so a stalled server shows up as latency instead of as a slower
 * send rate (no coordinated omission). Requests go out over --conns
 * keep-alive HTTP/1.1 connections, one in flight per connection; a due
 * claim with no free connection waits, and that wait counts.
 *
 * --mode fresh: every claim binds a new idle backend (no key) and is
 *   released (DELETE, not timed) on the same connection once answered; the
 *   pool must refill faster than the rate. This is the sporadic path:
 *   a claim arriving alone, on caches the loop's other work has cooled.
 * --mode key: claims name one of --keys live keys, the whole claim path on a
 *   session that stays bound (200 key_reused after the first).
 *
 * Prints the end-to-end latency distribution (us) and the distribution of
 * the bind_ns field prewarmd reports (the time inside the pool core).
 * Loopback only; bounded by --seconds (at most 60).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define BUF_CAP   16384

struct opts {
    int port;
    double rate;
    double seconds;
    int conns;
    bool fresh;
    int keys;
    const char *pool;
    const char *token;
};

struct conn {
    int fd;
    bool busy;
    bool deleting; /* waiting for the DELETE's answer (fresh mode) */
    uint64_t due;  /* due time of the claim in flight */
    char in[BUF_CAP];
    size_t len;
};

struct stats {
    uint64_t *lat, *bind;
    size_t nlat, nbind, errors;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
    fprintf(stderr, "usage: claim_rate --port P [--rate R] [--seconds S] [--conns C] "
                    "[--mode fresh|key] [--keys K] [--pool NAME] [--token T]\n");
    return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){0, 50, 5, 16, true, 8, "demo", NULL};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port"))
            o->port = (int)strtol(v, NULL, 10);
        else if (!strcmp(k, "--rate"))
            o->rate = strtod(v, NULL);
        else if (!strcmp(k, "--seconds"))
            o->seconds = strtod(v, NULL);
        else if (!strcmp(k, "--conns"))
            o->conns = (int)strtol(v, NULL, 10);
        else if (!strcmp(k, "--mode"))
            o->fresh = !strcmp(v, "fresh");
        else if (!strcmp(k, "--keys"))
            o->keys = (int)strtol(v, NULL, 10);
        else if (!strcmp(k, "--pool"))
            o->pool = v;
        else if (!strcmp(k, "--token"))
            o->token = v;
        else
            return -1;
    }
    if (o->port <= 0 || o->rate <= 0 || o->seconds <= 0 || o->seconds > 60 || o->conns < 1 ||
        o->conns > MAX_CONNS || o->keys < 1)
        return -1;
    return 0;
}

static int connect_to(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("claim_rate: connect");
        exit(1);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            perror("claim_rate: send");
            exit(1);
        }
        p += w;
        n -= (size_t)w;
    }
}

static void send_request(const struct opts *o, struct conn *c, const char *method, const char *path,
                         const char *body)
{
    char req[1024], auth[300] = "";
    if (o->token)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", o->token);
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: bench\r\n%sContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     method, path, auth, strlen(body), body);
    send_all(c->fd, req, (size_t)n);
}

static void send_claim(const struct opts *o, struct conn *c, uint64_t i, uint64_t due)
{
    char path[128], body[64] = "{}";
    snprintf(path, sizeof path, "/v1/pools/%s/claims", o->pool);
    if (!o->fresh)
        snprintf(body, sizeof body, "{\"key\":\"bench-%d\"}", (int)(i % (uint64_t)o->keys));
    c->busy = true;
    c->deleting = false;
    c->due = due;
    send_request(o, c, "POST", path, body);
}

/* Length of one complete response at the start of c->in, or 0. */
static size_t response_len(const struct conn *c, size_t *body_off)
{
    const char *end = memmem(c->in, c->len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    const char *cl = memmem(c->in, (size_t)(end - c->in), "Content-Length: ", 16);
    size_t blen = cl ? (size_t)strtoul(cl + 16, NULL, 10) : 0;
    size_t total = (size_t)(end - c->in) + 4 + blen;
    *body_off = (size_t)(end - c->in) + 4;
    return c->len >= total ? total : 0;
}

static bool json_field(const char *body, size_t n, const char *name, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", name);
    const char *p = memmem(body, n, pat, strlen(pat));
    if (!p)
        return false;
    p += strlen(pat);
    if (*p == '"')
        p++;
    size_t k = strcspn(p, "\",}");
    if (k >= cap)
        return false;
    memcpy(out, p, k);
    out[k] = '\0';
    return true;
}

/* One complete answer arrived on c. */
static void answered(const struct opts *o, struct conn *c, const char *resp, size_t body_off,
                     size_t len, struct stats *st)
{
    int status = (int)strtol(resp + 9, NULL, 10);
    if (c->deleting) {
        c->busy = c->deleting = false;
        return;
    }
    st->lat[st->nlat++] = now_ns() - c->due;
    char v[96];
    if (status != 200 && status != 201) {
        st->errors++;
        c->busy = false;
        return;
    }
    if (json_field(resp + body_off, len - body_off, "bind_ns", v, sizeof v))
        st->bind[st->nbind++] = strtoull(v, NULL, 10);
    if (o->fresh && json_field(resp + body_off, len - body_off, "session_id", v, sizeof v)) {
        char path[160];
        snprintf(path, sizeof path, "/v1/sessions/%s", v);
        c->deleting = true;
        send_request(o, c, "DELETE", path, "");
        return;
    }
    c->busy = false;
}

static void on_readable(const struct opts *o, struct conn *c, struct stats *st)
{
    ssize_t n = recv(c->fd, c->in + c->len, sizeof c->in - c->len, 0);
    if (n <= 0) {
        fprintf(stderr, "claim_rate: connection closed by prewarmd\n");
        exit(1);
    }
    c->len += (size_t)n;
    size_t off, len;
    while ((len = response_len(c, &off))) {
        char resp[BUF_CAP + 1];
        memcpy(resp, c->in, len);
        resp[len] = '\0';
        memmove(c->in, c->in + len, c->len - len);
        c->len -= len;
        answered(o, c, resp, off, len, st);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void print_dist(const char *what, uint64_t *v, size_t n, double div, const char *unit)
{
    if (!n) {
        printf("%s: no samples\n", what);
        return;
    }
    qsort(v, n, sizeof *v, cmp_u64);
    const double q[] = {0.5, 0.9, 0.99, 0.999};
    printf("%s (%zu samples, %s): min %.1f", what, n, unit, (double)v[0] / div);
    for (int i = 0; i < 4; i++)
        printf("  p%g %.1f", q[i] * 100, (double)v[(size_t)(q[i] * (double)(n - 1))] / div);
    printf("  max %.1f\n", (double)v[n - 1] / div);
}

static struct conn *free_conn(struct conn *cs, int n)
{
    for (int i = 0; i < n; i++)
        if (!cs[i].busy)
            return &cs[i];
    return NULL;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse(argc, argv, &o))
        return usage();
    uint64_t total = (uint64_t)(o.rate * o.seconds), interval = (uint64_t)(1e9 / o.rate);
    struct stats st = {calloc(total + 1, 8), calloc(total + 1, 8), 0, 0, 0};
    struct conn *cs = calloc((size_t)o.conns, sizeof *cs);
    int ep = epoll_create1(0);
    for (int i = 0; i < o.conns; i++) {
        cs[i].fd = connect_to(o.port);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    uint64_t start = now_ns() + 10000000, next = 0;
    uint64_t deadline = start + (uint64_t)(o.seconds * 1e9) + 10000000000ull;
    while ((next < total || st.nlat < total) && now_ns() < deadline) {
        uint64_t t = now_ns();
        struct conn *c;
        while (next < total && start + next * interval <= t && (c = free_conn(cs, o.conns))) {
            send_claim(&o, c, next, start + next * interval);
            next++;
        }
        /* Sleep until the next claim is due (or an answer comes); never spin. */
        uint64_t wait_ns = 100000000;
        if (next < total && free_conn(cs, o.conns))
            wait_ns = start + next * interval > t ? start + next * interval - t : 0;
        struct timespec ts = {(time_t)(wait_ns / 1000000000u), (long)(wait_ns % 1000000000u)};
        struct epoll_event evs[64];
        int n = epoll_pwait2(ep, evs, 64, &ts, NULL);
        for (int i = 0; i < n; i++)
            on_readable(&o, evs[i].data.ptr, &st);
    }
    double secs = (double)(now_ns() - start) / 1e9;
    printf("claim_rate: mode %s, target %.0f claims/s, %zu answered in %.2f s (%.0f/s), %zu "
           "errors, %d connections\n",
           o.fresh ? "fresh" : "key", o.rate, st.nlat, secs, (double)st.nlat / secs, st.errors,
           o.conns);
    print_dist("end-to-end latency", st.lat, st.nlat, 1000.0, "us");
    print_dist("bind_ns", st.bind, st.nbind, 1.0, "ns");
    return st.nlat == total && st.errors == 0 ? 0 : 1;
}

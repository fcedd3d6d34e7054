/*
 * ceiling_server: the reference point for prewarm's HTTP benchmarks.
 *
 * The least work a server on this machine can do per request: one epoll
 * thread, no routing, no request parsing beyond finding where a request ends,
 * and the same small JSON answer for every request. It speaks h2c (nghttp2)
 * when a connection starts with the HTTP/2 preface and HTTP/1.1 otherwise,
 * like prewarmd. It deliberately shares no code with src/http/: it is the
 * ceiling those are measured against.
 *
 * Usage: ceiling_server <port>      (listens on 127.0.0.1; stop with SIGINT)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY    "{\"pod\":\"warm-0\",\"address\":\"10.0.0.1:8080\"}"
#define BUF_CAP (256 * 1024)

static const char h1_response[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                  "Content-Length: 42\r\n\r\n" BODY;
static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

struct conn {
    int fd;
    int ep;
    bool want_out;
    int proto; /* 0 undecided, 1 HTTP/1.1, 2 h2c */
    char in[BUF_CAP];
    size_t in_len;
    char *out;
    size_t out_len, out_cap;
    nghttp2_session *h2;
};

static volatile sig_atomic_t stopping;

static void on_signal(int signo)
{
    (void)signo;
    stopping = 1;
}

static void out_append(struct conn *c, const void *p, size_t n)
{
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n)
            cap *= 2;
        c->out = realloc(c->out, cap);
        if (!c->out)
            abort();
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

static size_t content_length(const char *head, size_t len)
{
    for (size_t i = 0; i + 17 < len; i++)
        if (strncasecmp(head + i, "\r\ncontent-length:", 17) == 0)
            return (size_t)strtoul(head + i + 17, NULL, 10);
    return 0;
}

/* Answers every complete request in the buffer; keeps the partial tail. */
static void h1_serve(struct conn *c)
{
    size_t off = 0;
    for (;;) {
        char *end = memmem(c->in + off, c->in_len - off, "\r\n\r\n", 4);
        if (!end)
            break;
        size_t head = (size_t)(end - (c->in + off)) + 4;
        size_t total = head + content_length(c->in + off, head);
        if (off + total > c->in_len)
            break;
        out_append(c, h1_response, sizeof(h1_response) - 1);
        off += total;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

static ssize_t h2_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                       nghttp2_data_source *src, void *user)
{
    (void)s, (void)id, (void)src, (void)user;
    size_t n = sizeof(BODY) - 1;
    if (n > len)
        n = len;
    memcpy(buf, BODY, n);
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int h2_frame(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    (void)user;
    if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
        !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    static const nghttp2_nv nv[] = {
        {(uint8_t *)":status", (uint8_t *)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)"content-type", (uint8_t *)"application/json", 12, 16, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)"content-length", (uint8_t *)"42", 14, 2, NGHTTP2_NV_FLAG_NONE},
    };
    nghttp2_data_provider prd = {.read_callback = h2_body};
    if (nghttp2_submit_response(s, f->hd.stream_id, nv, 3, &prd) != 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    return 0;
}

static int h2_start(struct conn *c)
{
    nghttp2_session_callbacks *cbs;
    if (nghttp2_session_callbacks_new(&cbs) != 0)
        return -1;
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, h2_frame);
    int rv = nghttp2_session_server_new(&c->h2, cbs, c);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0)
        return -1;
    nghttp2_settings_entry iv = {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 256};
    return nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, &iv, 1) == 0 ? 0 : -1;
}

static int h2_serve(struct conn *c)
{
    if (nghttp2_session_mem_recv(c->h2, (uint8_t *)c->in, c->in_len) < 0)
        return -1;
    c->in_len = 0;
    for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->h2, &data);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        out_append(c, data, (size_t)n);
    }
}

/* Feeds new input to the connection's protocol; -1 to close. */
static int serve(struct conn *c)
{
    if (c->proto == 0) {
        size_t n = c->in_len < 24 ? c->in_len : 24;
        if (memcmp(c->in, preface, n) != 0)
            c->proto = 1;
        else if (c->in_len >= 24)
            c->proto = h2_start(c) == 0 ? 2 : -1;
        if (c->proto < 0)
            return -1;
    }
    if (c->proto == 1)
        h1_serve(c);
    else if (c->proto == 2 && h2_serve(c) < 0)
        return -1;
    return 0;
}

/* Writes what the socket takes; asks for EPOLLOUT while output remains. */
static int flush(struct conn *c)
{
    size_t off = 0;
    while (off < c->out_len) {
        ssize_t n = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN)
            return -1;
        if (n < 0)
            break;
        off += (size_t)n;
    }
    memmove(c->out, c->out + off, c->out_len - off);
    c->out_len -= off;
    bool want_out = c->out_len > 0;
    if (want_out != c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
        epoll_ctl(c->ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = want_out;
    }
    return 0;
}

static void conn_free(struct conn *c)
{
    close(c->fd);
    nghttp2_session_del(c->h2);
    free(c->out);
    free(c);
}

static void conn_ready(struct conn *c)
{
    for (;;) {
        ssize_t n = read(c->fd, c->in + c->in_len, BUF_CAP - c->in_len);
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0)
            goto close;
        c->in_len += (size_t)n;
        if (serve(c) < 0 || c->in_len == BUF_CAP)
            goto close;
    }
    if (flush(c) == 0)
        return;
close:
    conn_free(c);
}

static int listen_on(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 511) < 0)
        return -1;
    return fd;
}

static void accept_all(int ep, int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0)
            return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct conn *c = calloc(1, sizeof(*c));
        if (!c)
            abort();
        c->fd = fd;
        c->ep = ep;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <port>\n", argv[0]);
        return 2;
    }
    int lfd = listen_on((uint16_t)atoi(argv[1]));
    int ep = epoll_create1(0);
    if (lfd < 0 || ep < 0) {
        perror("ceiling_server");
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event evs[256];
    while (!stopping) {
        int n = epoll_wait(ep, evs, 256, 500);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr)
                conn_ready(evs[i].data.ptr);
            else
                accept_all(ep, lfd);
        }
    }
    close(lfd);
    close(ep);
    return 0;
}

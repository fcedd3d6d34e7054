/*
 * Helpers shared by the HTTP server tests: a server on 127.0.0.1 with an
 * ephemeral port driven by loop_run_once in the test thread, a recording
 * handler, and a raw non-blocking client socket. Included by the test files
 * only (everything is static).
 */
#ifndef PREWARM_TEST_HTTP_UTIL_H
#define PREWARM_TEST_HTTP_UTIL_H

#include "http_server.h"
#include "loop.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PENDING 16
#define BIG_BODY    (128 * 1024) /* the answer to paths under /big: larger than any window */

/* Byte i of a /big answer, so a receiver can check every byte in place. */
static inline char big_byte(size_t i)
{
    return (char)('a' + i % 26);
}

struct app {
    int calls;
    int cancelled;
    int delivered; /* watched answers (paths under /watch) the client got */
    int lost;      /* watched answers the client never took */
    char last_method[32];
    char last_path[256];
    char last_query[256];
    char last_host[64];
    size_t last_body_len;
    int last_version;
    struct http_exchange *pending[MAX_PENDING];
    int npending;
};

struct fixture {
    struct loop *loop;
    struct http_server *srv;
    uint16_t port;
    struct app app;
};

static void copy_str(char *dst, size_t cap, const char *s, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, s, len);
    dst[len] = 0;
}

static void on_cancel(void *data)
{
    struct app *app = data;
    app->cancelled++;
}

static void on_sent(void *data, bool delivered)
{
    struct app *app = data;
    if (delivered)
        app->delivered++;
    else
        app->lost++;
}

/* Paths under /defer are kept pending; paths under /big get BIG_BODY bytes
 * of big_byte(); anything else is echoed at once as "METHOD PATH QUERY
 * BODYLEN", with a delivery watch for paths under /watch. */
static void test_handler(void *ctx, struct http_exchange *ex, const struct http_request *req)
{
    struct app *app = ctx;
    app->calls++;
    copy_str(app->last_method, sizeof(app->last_method), req->method, req->method_len);
    copy_str(app->last_path, sizeof(app->last_path), req->path, req->path_len);
    copy_str(app->last_query, sizeof(app->last_query), req->query, req->query_len);
    size_t host_len = 0;
    const char *host = http_request_header(req, "Host", &host_len);
    copy_str(app->last_host, sizeof(app->last_host), host ? host : "", host ? host_len : 0);
    app->last_body_len = req->body_len;
    app->last_version = req->http_version;
    if (req->path_len >= 6 && memcmp(req->path, "/defer", 6) == 0 && app->npending < MAX_PENDING) {
        app->pending[app->npending++] = ex;
        http_exchange_on_cancel(ex, on_cancel, app);
        return;
    }
    if (req->path_len >= 4 && memcmp(req->path, "/big", 4) == 0) {
        static char big[BIG_BODY];
        for (size_t i = 0; i < sizeof big; i++)
            big[i] = big_byte(i);
        http_respond(ex, 200, NULL, 0, big, sizeof big);
        return;
    }
    if (req->path_len >= 6 && memcmp(req->path, "/watch", 6) == 0)
        http_exchange_on_sent(ex, on_sent, app);
    char body[600];
    int n = snprintf(body, sizeof(body), "%s %s %s %zu", app->last_method, app->last_path,
                     app->last_query, req->body_len);
    struct http_header h = {"Content-Type", 12, "text/plain", 10};
    http_respond(ex, 200, &h, 1, body, (size_t)n);
}

__attribute__((unused)) static void fixture_start(struct fixture *fx,
                                                  const struct http_server_config *cfg)
{
    memset(fx, 0, sizeof(*fx));
    fx->loop = loop_new();
    cr_assert_not_null(fx->loop);
    fx->srv = http_server_new(fx->loop, cfg, test_handler, &fx->app);
    cr_assert_not_null(fx->srv);
    cr_assert_eq(http_server_listen(fx->srv, "127.0.0.1", 0, &fx->port), 0);
    cr_assert_neq(fx->port, 0);
}

/* Frees the server while the loop lives on (to see what freeing reports);
 * fixture_stop then frees only the loop. */
__attribute__((unused)) static void fixture_free_server(struct fixture *fx)
{
    http_server_free(fx->srv);
    fx->srv = NULL;
}

static void fixture_stop(struct fixture *fx)
{
    http_server_free(fx->srv);
    loop_free(fx->loop);
}

/* A fixture whose loop turns in its own thread (serve) while a blocking
 * client (libcurl) runs in the test thread; stop, then join. */
struct server_thread {
    struct fixture fx;
    atomic_int stop;
};

__attribute__((unused)) static void *serve(void *arg)
{
    struct server_thread *st = arg;
    while (!atomic_load(&st->stop))
        loop_run_once(st->fx.loop, 5);
    return NULL;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Turns the loop until cond(arg) holds or 30 s pass (generous: a busy
 * machine); returns cond's last value. */
static bool turn_until(struct fixture *fx, bool (*cond)(void *), void *arg)
{
    uint64_t deadline = mono_ms() + 30000;
    while (!cond(arg)) {
        if (mono_ms() > deadline)
            return false;
        cr_assert_eq(loop_run_once(fx->loop, 5), 0);
    }
    return true;
}

struct count_wait {
    const int *counter;
    int want;
};

static bool count_reached(void *arg)
{
    const struct count_wait *w = arg;
    return *w->counter >= w->want;
}

/* Turns the loop until *counter (a field of fx->app) reaches want or 30 s pass. */
__attribute__((unused)) static bool turn_until_count(struct fixture *fx, const int *counter,
                                                     int want)
{
    struct count_wait w = {counter, want};
    return turn_until(fx, count_reached, &w);
}

/* Turns the loop n times whatever happens: lets the server do all it would. */
__attribute__((unused)) static void turn_times(struct fixture *fx, int n, int timeout_ms)
{
    for (int i = 0; i < n; i++)
        loop_run_once(fx->loop, timeout_ms);
}

/* The delivery watches (paths under /watch) reported these outcomes so far. */
__attribute__((unused)) static void expect_watch_reports(const struct fixture *fx, int delivered,
                                                         int lost)
{
    cr_assert_eq(fx->app.delivered, delivered, "delivered %d wanted %d", fx->app.delivered,
                 delivered);
    cr_assert_eq(fx->app.lost, lost, "lost %d wanted %d", fx->app.lost, lost);
}

static int client_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* 1 if nothing listens on port any more. */
__attribute__((unused)) static int client_connect_refused(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    int refused = rc < 0 && errno == ECONNREFUSED;
    close(fd);
    return refused;
}

/* Sends everything, turning the loop while the socket is full; stops early
 * if the server closed the connection. */
static void client_send(struct fixture *fx, int fd, const char *data, size_t len)
{
    size_t off = 0;
    uint64_t deadline = mono_ms() + 30000;
    while (off < len) {
        ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN)
            break;
        if (n > 0)
            off += (size_t)n;
        else
            loop_run_once(fx->loop, 1);
        cr_assert(mono_ms() < deadline, "send stalled");
    }
}

#endif

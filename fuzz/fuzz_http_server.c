/*
 * libFuzzer target for the whole HTTP server: the input is written to one
 * end of a socketpair whose other end the server adopts, so the protocol
 * detection, the HTTP/1.1 connection code and the nghttp2 session glue
 * (src/http/http_h1.c, src/http/http_h2.c) all see it. Inputs starting with one byte
 * 'h' get the HTTP/2 client preface put in front, so the fuzzer reaches
 * HTTP/2 frames without having to discover the preface first.
 *
 * The handler answers at once, defers (paths containing 'd') or answers with
 * an error; deferred exchanges are answered after the input is consumed, or
 * cancelled when the connection dies. Every answer carries a delivery watch
 * that must be reported exactly once. Leaks and memory errors abort.
 */
#include "http_server.h"
#include "loop.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_DEFERRED 64

struct app {
    struct http_exchange *deferred[MAX_DEFERRED];
    int n;
    int watched, reported; /* delivery watches set, and reported (once each) */
};

static void on_sent(void *data, bool delivered)
{
    (void)delivered;
    struct app *app = data;
    app->reported++;
}

static void watch(struct app *app, struct http_exchange *ex)
{
    app->watched++;
    http_exchange_on_sent(ex, on_sent, app);
}

static void on_cancel(void *data)
{
    struct http_exchange **slot = data;
    *slot = NULL;
}

static void handler(void *ctx, struct http_exchange *ex, const struct http_request *req)
{
    struct app *app = ctx;
    if (memchr(req->path, 'd', req->path_len) && app->n < MAX_DEFERRED) {
        app->deferred[app->n] = ex;
        http_exchange_on_cancel(ex, on_cancel, &app->deferred[app->n]);
        app->n++;
        return;
    }
    watch(app, ex);
    if (req->body_len % 2)
        http_respond_error(ex, 422, "Odd", "odd body length");
    else
        http_respond(ex, 200, req->headers, req->header_count, req->body, req->body_len);
}

static void turn(struct loop *loop, int n)
{
    for (int i = 0; i < n; i++)
        loop_run_once(loop, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    struct app app = {0};
    struct http_server_config cfg = {
        .max_header_bytes = 2048, .max_body_bytes = 4096, .max_pipelined = 4};
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
        return 0;
    struct loop *loop = loop_new();
    struct http_server *s = http_server_new(loop, &cfg, handler, &app);
    if (!loop || !s || http_server_adopt(s, sv[0]) < 0)
        abort();
    if (size > 0 && data[0] == 'h') {
        (void)!write(sv[1], preface, sizeof(preface) - 1);
        data++, size--;
    }
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(sv[1], data + off, size - off);
        if (n <= 0)
            break;
        off += (size_t)n;
        turn(loop, 2);
    }
    turn(loop, 3);
    for (int i = 0; i < app.n; i++)
        if (app.deferred[i]) {
            watch(&app, app.deferred[i]);
            http_respond(app.deferred[i], 200, NULL, 0, "late", 4);
        }
    turn(loop, 3);
    shutdown(sv[1], SHUT_WR);
    turn(loop, 3);
    http_server_free(s);
    if (app.reported != app.watched)
        abort(); /* every watched answer is reported exactly once */
    loop_free(loop);
    close(sv[1]);
    return 0;
}

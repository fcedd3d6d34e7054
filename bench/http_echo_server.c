/*
 * http_echo_server: prewarm's HTTP server (src/http/http_server.h) with a trivial
 * handler that answers every request with the same small JSON body as
 * bench/ceiling_server.c, so the two can be compared request for request.
 *
 * Usage: http_echo_server <port>      (127.0.0.1; stop with SIGINT/SIGTERM)
 */
#include "http_server.h"
#include "loop.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define BODY "{\"pod\":\"warm-0\",\"address\":\"10.0.0.1:8080\"}"

static void answer(void *ctx, struct http_exchange *ex, const struct http_request *req)
{
    (void)ctx;
    (void)req;
    static const struct http_header ct = {"Content-Type", 12, "application/json", 16};
    http_respond(ex, 200, &ct, 1, BODY, sizeof(BODY) - 1);
}

static void on_signal(struct loop *loop, int signo, void *data)
{
    (void)signo;
    (void)data;
    loop_stop(loop);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <port>\n", argv[0]);
        return 2;
    }
    struct loop *loop = loop_new();
    struct http_server_config cfg = {.max_pipelined = 64, .max_streams = 256};
    struct http_server *s = loop ? http_server_new(loop, &cfg, answer, NULL) : NULL;
    if (!s || http_server_listen(s, "127.0.0.1", (uint16_t)atoi(argv[1]), NULL) < 0 ||
        loop_signal_watch(loop, SIGINT, on_signal, NULL) < 0 ||
        loop_signal_watch(loop, SIGTERM, on_signal, NULL) < 0) {
        perror("http_echo_server");
        return 1;
    }
    int rc = loop_run(loop);
    http_server_free(s);
    loop_free(loop);
    return rc == 0 ? 0 : 1;
}

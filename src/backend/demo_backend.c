/*
 * prewarm-demo-backend: the backend the demo pool runs.
 *
 *     prewarm-demo-backend --port N --pod NAME
 *
 * A tiny blocking HTTP/1.1 server on 127.0.0.1:N (one connection at a time,
 * one request per connection) that answers any GET with JSON naming the pod
 * and its uptime. It shows how a backend checks prewarm's connect tokens on
 * its own (connect_token.h): a token (`?token=T` or `Authorization: Bearer
 * T`) must carry a valid HMAC under PREWARM_CONNECT_KEY, name this pool and
 * pod (PREWARM_POOL; PREWARM_POD, else --pod) and not be expired, or the
 * answer is 401. The
 * first valid session is the only one served from then on: a valid token of
 * another session gets 409 Conflict (a backend handed out twice fails
 * loudly). Requests without a token (readiness probes) are always answered;
 * without PREWARM_CONNECT_KEY every token is refused.
 *
 * SIGTERM (how the local provider stops a pod) ends it cleanly: the request
 * in hand is finished, the listening socket closed, exit status 0 (unless
 * SIGTERM was ignored when it started: then it stays ignored).
 *
 * It asks the kernel to kill it when its parent dies (PR_SET_PDEATHSIG), so a
 * prewarmd that is killed outright leaves no backends behind.
 *
 * It is a separate process, so blocking I/O is fine; a read timeout keeps a
 * silent client from holding it forever. Exit status 2 for bad arguments,
 * 3 when the port cannot be bound (the provider then starts another pod).
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "connect_token.h"

#define REQ_MAX   8192
#define TOKEN_MAX (CONNECT_TOKEN_MAX + 1)

struct backend {
    const char *pod;
    const char *pool; /* PREWARM_POOL; NULL: not checked */
    int port;
    struct timespec started;
    const uint8_t *key; /* PREWARM_CONNECT_KEY, NULL when unset */
    size_t key_len;
    char session[CONNECT_SESSION_MAX + 1]; /* empty until the first valid token */
};

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 64)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Reads until the end of the headers; returns the length or -1. */
static ssize_t read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
            return (ssize_t)len;
    }
    return -1;
}

/* Copies the token of a request (query or bearer header) into out. */
static void find_token(const char *req, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *line_end = strpbrk(req, "\r\n");
    const char *q = strstr(req, "?token=");
    if (!q || (line_end && q > line_end))
        q = strstr(req, "&token=");
    if (q && (!line_end || q < line_end)) {
        q += 7;
        size_t n = strcspn(q, "& \r\n");
        snprintf(out, outlen, "%.*s", (int)(n < outlen ? n : outlen - 1), q);
        return;
    }
    const char *h = strcasestr(req, "\nAuthorization: Bearer ");
    if (h) {
        h += strlen("\nAuthorization: Bearer ");
        size_t n = strcspn(h, " \r\n");
        snprintf(out, outlen, "%.*s", (int)(n < outlen ? n : outlen - 1), h);
    }
}

static void respond(int fd, int status, const char *reason, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, reason, strlen(body));
    if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
        return;
}

/* Verifies a connect token and fences on its session; false after answering
 * 401 (not a token prewarm issued for this pod, or expired) or 409 (valid,
 * but another session holds this backend). */
static bool check_token(struct backend *b, int fd, const char *token)
{
    struct connect_claims c;
    char body[256];
    enum connect_token_status st =
        b->key ? connect_token_verify(b->key, b->key_len, token, strlen(token), b->pool, b->pod,
                                      (uint64_t)time(NULL), &c)
               : CONNECT_TOKEN_BAD_MAC;
    if (st != CONNECT_TOKEN_OK) {
        snprintf(body, sizeof body, "{\"error\":\"%s\"}", connect_token_status_str(st));
        respond(fd, 401, "Unauthorized", body);
        return false;
    }
    if (!b->session[0])
        snprintf(b->session, sizeof b->session, "%s", c.session_id);
    if (strcmp(b->session, c.session_id)) {
        snprintf(body, sizeof body, "{\"pod\":\"%s\",\"error\":\"pod is held by another session\"}",
                 b->pod);
        respond(fd, 409, "Conflict", body);
        return false;
    }
    return true;
}

static void serve(struct backend *b, int fd)
{
    char req[REQ_MAX], token[TOKEN_MAX], body[1024];
    if (read_request(fd, req, sizeof req) < 0)
        return;
    if (strncmp(req, "GET ", 4)) {
        respond(fd, 405, "Method Not Allowed", "{\"error\":\"only GET\"}");
        return;
    }
    find_token(req, token, sizeof token);
    if (token[0] && !check_token(b, fd, token))
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long up_ms =
        (now.tv_sec - b->started.tv_sec) * 1000LL + (now.tv_nsec - b->started.tv_nsec) / 1000000;
    char session[CONNECT_SESSION_MAX + 3] = "null";
    if (b->session[0])
        snprintf(session, sizeof session, "\"%s\"", b->session);
    snprintf(body, sizeof body,
             "{\"pod\":\"%s\",\"port\":%d,\"pid\":%d,\"uptime_ms\":%lld,\"session\":%s}", b->pod,
             b->port, (int)getpid(), up_ms, session);
    respond(fd, 200, "OK", body);
}

static volatile sig_atomic_t backend_stop;

static void on_term(int signo)
{
    (void)signo;
    backend_stop = 1;
}

/* A decimal port number, or -1. */
static int parse_port(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno || end == s || *end || v <= 0 || v > 65535 ? -1 : (int)v;
}

int main(int argc, char **argv)
{
    struct backend b = {.pod = NULL, .port = -1};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port"))
            b.port = parse_port(argv[i + 1]);
        else if (!strcmp(argv[i], "--pod"))
            b.pod = argv[i + 1];
    }
    const char *key = getenv("PREWARM_CONNECT_KEY"), *pod = getenv("PREWARM_POD");
    if (key && strlen(key) >= CONNECT_KEY_MIN) {
        b.key = (const uint8_t *)key;
        b.key_len = strlen(key);
    }
    if (pod && *pod)
        b.pod = pod;
    b.pool = getenv("PREWARM_POOL");
    if (b.port <= 0 || b.port > 65535 || !b.pod || strpbrk(b.pod, "\"\\")) {
        fprintf(stderr, "usage: prewarm-demo-backend --port N --pod NAME\n");
        return 2;
    }
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() != parent)
        return 4; /* the parent died before the request took effect */
    signal(SIGPIPE, SIG_IGN);
    /* No SA_RESTART: accept() returns. An ignored SIGTERM stays ignored. */
    struct sigaction sa = {.sa_handler = on_term}, old;
    if (sigaction(SIGTERM, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        sigaction(SIGTERM, &sa, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b.started);
    int lfd = listen_on(b.port);
    if (lfd < 0) {
        perror("prewarm-demo-backend: bind");
        return 3;
    }
    while (!backend_stop) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        struct timeval tv = {.tv_sec = 2};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        serve(&b, fd);
        close(fd);
    }
    close(lfd);
    return 0;
}

/*
 * A small HTTP/1.1 client for the daemon tests: it turns the daemon's loop
 * while its requests wait (the daemon runs in the test thread), and the
 * daemon under test in globals the test sets up. Every wait has a
 * deadline. Included by the test files only (everything is static).
 */
#ifndef PREWARM_TEST_DAEMON_CLIENT_H
#define PREWARM_TEST_DAEMON_CLIENT_H

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../json_field.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"

static struct loop *loop;
static struct config *cfg;
static struct daemon *dmn;
/* The log of the daemon under test: JSON lines on stderr. */
static struct log test_log = {.fd = STDERR_FILENO, .level = LOG_LEVEL_INFO};
static uint16_t port;
static const char *bearer; /* sent as "Authorization: Bearer <bearer>" when set */

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

struct answer {
    int status;
    char head[2048];
    char body[16384];
};

static int send_request(const char *method, const char *path, const char *body)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char req[2048], auth[300] = "";
    if (bearer)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", bearer);
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%sContent-Type: "
                     "application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, auth, strlen(body), body);
    cr_assert_eq(write(fd, req, (size_t)n), n);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

/* Turns the loop until the answer on fd is complete (EOF), 30 s at most. */
static struct answer read_answer(int fd)
{
    static char raw[sizeof(((struct answer *)0)->body) + 4096];
    struct answer a = {0};
    size_t len = 0;
    for (uint64_t end = mono_ms() + 30000;;) {
        ssize_t r = read(fd, raw + len, sizeof raw - 1 - len);
        if (r > 0) {
            len += (size_t)r;
            continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR))
            break;
        cr_assert_lt(mono_ms(), end, "no complete answer");
        loop_run_once(loop, 10);
    }
    close(fd);
    raw[len] = '\0';
    char *sep = strstr(raw, "\r\n\r\n");
    cr_assert_not_null(sep, "no answer: [%s]", raw);
    cr_assert_eq(sscanf(raw, "HTTP/1.1 %d", &a.status), 1);
    snprintf(a.head, sizeof a.head, "%.*s", (int)(sep - raw), raw);
    snprintf(a.body, sizeof a.body, "%s", sep + 4);
    return a;
}

static struct answer request(const char *method, const char *path, const char *body)
{
    return read_answer(send_request(method, path, body));
}

/* Polls GET path until its body contains needle (30 s). */
static void wait_body(const char *path, const char *needle)
{
    struct answer a;
    for (uint64_t end = mono_ms() + 30000;;) {
        a = request("GET", path, "");
        if (strstr(a.body, needle))
            return;
        cr_assert_lt(mono_ms(), end, "%s never showed %s: %s", path, needle, a.body);
        for (int i = 0; i < 5; i++)
            loop_run_once(loop, 10);
    }
}

/* Stops the daemon as main() does and waits until its pods and
 * connections are gone. */
__attribute__((unused)) static void stop_and_drain(void)
{
    if (!daemon_stopping(dmn))
        daemon_shutdown(dmn);
    uint64_t end = mono_ms() + daemon_stop_grace_ns(dmn) / 1000000u + 30000;
    while (!daemon_drained(dmn) && mono_ms() < end)
        loop_run_once(loop, 20);
    cr_assert(daemon_drained(dmn), "pods and connections still there after shutdown");
}

#endif

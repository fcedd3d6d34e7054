/* k8s_cred: credential sources behind one non-blocking interface (see k8s_cred.h). */
#include "k8s_cred.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k8s_time.h"

#define TOKEN_FILE_MAX (1024 * 1024)

struct k8s_cred {
    enum k8s_cred_kind kind;
    uint64_t generation;
    /* static token and token file */
    char *token;
    char *path;
    bool have_read; /* token holds a value read from path */
    bool stale;     /* invalidated by a 401: re-read before use */
    uint64_t read_at_ns;
    /* exec */
    struct k8s_exec_config exec_cfg;
    struct k8s_exec *running;
    uint64_t started_ns;
    uint64_t exec_timeout_ns;
    struct k8s_exec_credential cred;
    bool have_cred;
};

static struct k8s_cred *cred_alloc(enum k8s_cred_kind kind)
{
    struct k8s_cred *c = calloc(1, sizeof(*c));
    if (c) {
        c->kind = kind;
        c->generation = 1;
        c->exec_timeout_ns = K8S_CRED_EXEC_TIMEOUT_NS;
    }
    return c;
}

enum k8s_status k8s_cred_new_token(const char *token, struct k8s_cred **out)
{
    *out = NULL;
    if (!token || !token[0])
        return K8S_EINVAL;
    struct k8s_cred *c = cred_alloc(K8S_CRED_TOKEN);
    if (!c || !(c->token = strdup(token))) {
        k8s_cred_free(c);
        return K8S_ENOMEM;
    }
    *out = c;
    return K8S_OK;
}

enum k8s_status k8s_cred_new_token_file(const char *path, struct k8s_cred **out)
{
    *out = NULL;
    if (!path || !path[0])
        return K8S_EINVAL;
    struct k8s_cred *c = cred_alloc(K8S_CRED_TOKEN_FILE);
    if (!c || !(c->path = strdup(path))) {
        k8s_cred_free(c);
        return K8S_ENOMEM;
    }
    *out = c;
    return K8S_OK;
}

enum k8s_status k8s_cred_new_exec(const struct k8s_exec_config *cfg, struct k8s_cred **out,
                                  struct k8s_error *err)
{
    *out = NULL;
    enum k8s_status st = k8s_exec_config_validate(cfg, err);
    if (st != K8S_OK)
        return st;
    struct k8s_cred *c = cred_alloc(K8S_CRED_EXEC);
    if (!c || k8s_exec_config_copy(&c->exec_cfg, cfg) != K8S_OK) {
        k8s_cred_free(c);
        return k8s_error_set(err, K8S_ENOMEM, "out of memory");
    }
    *out = c;
    return K8S_OK;
}

void k8s_cred_free(struct k8s_cred *c)
{
    if (!c)
        return;
    k8s_exec_free(c->running);
    k8s_exec_config_free(&c->exec_cfg);
    k8s_exec_credential_free(&c->cred);
    free(c->token);
    free(c->path);
    free(c);
}

enum k8s_cred_kind k8s_cred_kind(const struct k8s_cred *c)
{
    return c->kind;
}

void k8s_cred_set_exec_timeout(struct k8s_cred *c, uint64_t timeout_ns)
{
    c->exec_timeout_ns = timeout_ns;
}

static void fill_auth(const struct k8s_cred *c, struct k8s_auth *out)
{
    memset(out, 0, sizeof(*out));
    out->generation = c->generation;
    if (c->kind == K8S_CRED_EXEC) {
        out->token = c->cred.token;
        out->client_cert_pem = c->cred.client_cert_pem;
        out->client_key_pem = c->cred.client_key_pem;
    } else {
        out->token = c->token;
    }
}

/* --- token file --- */

/* Reads and trims the token file into a new heap string. */
static enum k8s_status read_token_file(const char *path, char **out, struct k8s_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return k8s_error_set(err, K8S_EAUTH, "reading token file %s: %s", path, strerror(errno));
    char *buf = malloc(4096);
    size_t len = 0, cap = 4096;
    enum k8s_status st = K8S_OK;
    while (buf) {
        if (len == cap) {
            char *n = cap < TOKEN_FILE_MAX ? realloc(buf, cap * 2) : NULL;
            if (!n) {
                st =
                    cap < TOKEN_FILE_MAX
                        ? k8s_error_set(err, K8S_ENOMEM, "out of memory")
                        : k8s_error_set(err, K8S_EAUTH, "token file %s is larger than 1 MiB", path);
                break;
            }
            buf = n;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            st = k8s_error_set(err, K8S_EAUTH, "reading token file %s: %s", path, strerror(errno));
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (!buf)
        return k8s_error_set(err, K8S_ENOMEM, "out of memory");
    size_t start = 0;
    while (start < len && isspace((unsigned char)buf[start]))
        start++;
    while (len > start && isspace((unsigned char)buf[len - 1]))
        len--;
    if (st == K8S_OK && len == start)
        st = k8s_error_set(err, K8S_EAUTH, "read empty token from file \"%s\"", path);
    if (st != K8S_OK) {
        free(buf);
        return st;
    }
    memmove(buf, buf + start, len - start);
    buf[len - start] = '\0';
    *out = buf;
    return K8S_OK;
}

static enum k8s_cred_state get_token_file(struct k8s_cred *c, uint64_t now, struct k8s_auth *out,
                                          struct k8s_error *err)
{
    bool due = !c->have_read || c->stale || now - c->read_at_ns >= K8S_CRED_TOKEN_FILE_PERIOD_NS;
    if (due) {
        char *tok = NULL;
        struct k8s_error tmp;
        enum k8s_status st = read_token_file(c->path, &tok, &tmp);
        if (st == K8S_OK) {
            if (!c->token || strcmp(c->token, tok) != 0)
                c->generation += c->token ? 1 : 0;
            free(c->token);
            c->token = tok;
            c->have_read = true;
            c->stale = false;
            c->read_at_ns = now;
        } else if (!c->have_read || c->stale || st == K8S_ENOMEM) {
            if (err)
                *err = tmp;
            return K8S_CRED_ERROR;
        }
        /* else: periodic re-read failed, keep the cached token (client-go does) */
    }
    fill_auth(c, out);
    return K8S_CRED_READY;
}

/* --- exec --- */

static enum k8s_cred_state exec_poll(struct k8s_cred *c, uint64_t now, struct k8s_auth *out,
                                     struct k8s_error *err)
{
    enum k8s_exec_state es = k8s_exec_state(c->running);
    if (es == K8S_EXEC_RUNNING) {
        if (c->exec_timeout_ns && now - c->started_ns >= c->exec_timeout_ns) {
            k8s_exec_free(c->running);
            c->running = NULL;
            k8s_error_set(err, K8S_ETIMEOUT, "exec: executable %s did not finish within %llu s",
                          c->exec_cfg.command,
                          (unsigned long long)(c->exec_timeout_ns / 1000000000ull));
            return K8S_CRED_ERROR;
        }
        return K8S_CRED_PENDING;
    }
    struct k8s_exec_credential fresh;
    enum k8s_status st = k8s_exec_result(c->running, &fresh, err);
    k8s_exec_free(c->running);
    c->running = NULL;
    if (st != K8S_OK)
        return K8S_CRED_ERROR;
    k8s_exec_credential_free(&c->cred);
    c->cred = fresh;
    c->have_cred = true;
    c->generation++;
    fill_auth(c, out);
    return K8S_CRED_READY;
}

static enum k8s_cred_state get_exec(struct k8s_cred *c, uint64_t now, int64_t wall,
                                    struct k8s_auth *out, struct k8s_error *err)
{
    if (c->have_cred && c->cred.has_expiry && wall > c->cred.expiry_unix_ns)
        c->have_cred = false; /* expired: client-go compares now.After(exp) */
    if (c->have_cred) {
        fill_auth(c, out);
        return K8S_CRED_READY;
    }
    if (!c->running) {
        if (k8s_exec_start(&c->exec_cfg, &c->running, err) != K8S_OK)
            return K8S_CRED_ERROR;
        c->started_ns = now;
    }
    return exec_poll(c, now, out, err);
}

enum k8s_cred_state k8s_cred_get(struct k8s_cred *c, uint64_t now_mono_ns, int64_t now_wall_ns,
                                 struct k8s_auth *out, struct k8s_error *err)
{
    switch (c->kind) {
    case K8S_CRED_TOKEN:
        fill_auth(c, out);
        return K8S_CRED_READY;
    case K8S_CRED_TOKEN_FILE:
        return get_token_file(c, now_mono_ns, out, err);
    case K8S_CRED_EXEC:
        return get_exec(c, now_mono_ns, now_wall_ns, out, err);
    }
    k8s_error_set(err, K8S_EINVAL, "unknown credential kind");
    return K8S_CRED_ERROR;
}

int k8s_cred_wait_fd(const struct k8s_cred *c)
{
    return c->running ? k8s_exec_fd(c->running) : -1;
}

enum k8s_cred_state k8s_cred_on_readable(struct k8s_cred *c, uint64_t now_mono_ns,
                                         int64_t now_wall_ns, struct k8s_auth *out,
                                         struct k8s_error *err)
{
    if (!c->running)
        return k8s_cred_get(c, now_mono_ns, now_wall_ns, out, err);
    k8s_exec_on_readable(c->running);
    return exec_poll(c, now_mono_ns, out, err);
}

bool k8s_cred_invalidate(struct k8s_cred *c, uint64_t generation)
{
    switch (c->kind) {
    case K8S_CRED_TOKEN:
        return false;
    case K8S_CRED_TOKEN_FILE:
        if (generation == c->generation)
            c->stale = true;
        return true;
    case K8S_CRED_EXEC:
        if (generation == c->generation && c->have_cred) {
            c->have_cred = false; /* refresh once for this credential */
            return true;
        }
        return generation < c->generation;
    }
    return false;
}

enum k8s_status k8s_cred_get_blocking(struct k8s_cred *c, int timeout_ms, struct k8s_auth *out,
                                      struct k8s_error *err)
{
    uint64_t start = k8s_time_mono_now_ns();
    enum k8s_cred_state st = k8s_cred_get(c, start, k8s_time_wall_now_ns(), out, err);
    while (st == K8S_CRED_PENDING) {
        uint64_t now = k8s_time_mono_now_ns();
        int wait = 1000;
        if (timeout_ms >= 0) {
            uint64_t deadline = start + (uint64_t)timeout_ms * 1000000u;
            if (now >= deadline) {
                k8s_exec_free(c->running);
                c->running = NULL;
                return k8s_error_set(err, K8S_ETIMEOUT, "credential not ready within %d ms",
                                     timeout_ms);
            }
            uint64_t left = (deadline - now + 999999) / 1000000;
            wait = left < 1000 ? (int)left : 1000;
        }
        struct pollfd pfd = {.fd = k8s_cred_wait_fd(c), .events = POLLIN};
        int rc = poll(&pfd, 1, wait);
        now = k8s_time_mono_now_ns();
        if (rc > 0)
            st = k8s_cred_on_readable(c, now, k8s_time_wall_now_ns(), out, err);
        else
            st = k8s_cred_get(c, now, k8s_time_wall_now_ns(), out, err);
    }
    if (st == K8S_CRED_ERROR)
        return err ? err->status : K8S_EAUTH;
    return K8S_OK;
}

#include "k8s_client_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "k8s_config.h"
#include "k8s_request.h"

void k8s_client_options_default(struct k8s_client_options *o)
{
    o->qps = 5.0;
    o->burst = 10;
    o->max_response = 32u << 20;
    o->max_watch_line = 16u << 20;
    o->connect_timeout_ms = 10000;
    o->request_timeout_ms = 60000;
    o->max_retries = 10;
    o->max_in_flight = 100;
    o->user_agent = "prewarm-k8sclient/1";
    o->http1_only = false;
}

/* ---- timers and the loop adapter ---- */

void k8s__client_sync_timer(struct k8s_client *c)
{
    uint64_t next = k8s_timers_next(&c->timers);
    if (next == c->loop_deadline)
        return;
    c->loop_deadline = next;
    if (next == UINT64_MAX) {
        c->ops.set_timer(c->loop_ctx, -1);
        return;
    }
    uint64_t now = k8s_now_ms();
    c->ops.set_timer(c->loop_ctx, next > now ? (long)(next - now) : 0);
}

static void drain_messages(struct k8s_client *c)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct k8s_request *r = NULL;
        CURLcode rc = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        k8s__request_transfer_done(r, rc);
    }
}

void k8s__client_socket_action(struct k8s_client *c, curl_socket_t fd, int mask)
{
    int running;
    c->in_curl++;
    curl_multi_socket_action(c->multi, fd, mask, &running);
    c->in_curl--;
    k8s__request_reap_zombies(c);
    drain_messages(c);
    k8s__request_pump(c);
}

static void curl_timer_fired(struct k8s_timer *t)
{
    k8s__client_socket_action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static int curl_timer_cb(CURLM *multi, long ms, void *userp)
{
    (void)multi;
    struct k8s_client *c = userp;
    if (ms < 0)
        k8s_timer_stop(&c->timers, &c->curl_timer);
    else
        k8s_timer_start(&c->timers, &c->curl_timer, k8s_now_ms() + (uint64_t)ms);
    return 0;
}

static int curl_socket_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)e;
    (void)socketp;
    struct k8s_client *c = userp;
    unsigned ev = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev |= K8S_IO_READ;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev |= K8S_IO_WRITE;
    c->ops.watch_fd(c->loop_ctx, s, ev);
    return 0;
}

void k8s_client_on_fd(struct k8s_client *c, int fd, unsigned events)
{
    if (c->cred_fd >= 0 && fd == c->cred_fd) {
        k8s__request_cred_readable(c);
    } else {
        int mask = 0;
        if (events & K8S_IO_READ)
            mask |= CURL_CSELECT_IN;
        if (events & K8S_IO_WRITE)
            mask |= CURL_CSELECT_OUT;
        k8s__client_socket_action(c, fd, mask);
    }
    k8s__request_pump(c);
    k8s__client_sync_timer(c);
}

void k8s_client_on_timeout(struct k8s_client *c)
{
    c->loop_deadline = UINT64_MAX; /* the loop's timer is spent */
    k8s_timers_run(&c->timers, k8s_now_ms());
    k8s__request_pump(c);
    k8s__client_sync_timer(c);
}

/* ---- built-in poll(2) driver ---- */

static void builtin_watch_fd(void *ctx, int fd, unsigned events)
{
    struct k8s_client *c = ctx;
    size_t i = 0;
    while (i < c->npfds && c->pfds[i].fd != fd)
        i++;
    if (events == 0) {
        if (i < c->npfds)
            c->pfds[i] = c->pfds[--c->npfds];
        return;
    }
    if (i == c->npfds) {
        if (c->npfds == c->cap_pfds)
            return; /* cannot happen: capacity is reserved in k8s_client_new */
        c->npfds++;
    }
    c->pfds[i].fd = fd;
    c->pfds[i].events =
        (short)(((events & K8S_IO_READ) ? POLLIN : 0) | ((events & K8S_IO_WRITE) ? POLLOUT : 0));
}

static void builtin_set_timer(void *ctx, long ms)
{
    struct k8s_client *c = ctx;
    c->builtin_deadline = ms < 0 ? UINT64_MAX : k8s_now_ms() + (uint64_t)ms;
}

int k8s_client_run(struct k8s_client *c, int timeout_ms)
{
    if (!c->builtin)
        return -1;
    uint64_t now = k8s_now_ms();
    long wait = timeout_ms;
    if (c->builtin_deadline != UINT64_MAX) {
        long due = c->builtin_deadline > now ? (long)(c->builtin_deadline - now) : 0;
        if (wait < 0 || due < wait)
            wait = due;
    }
    size_t n = c->npfds;
    memcpy(c->snap, c->pfds, n * sizeof *c->pfds);
    int rc = poll(c->snap, n, (int)wait);
    for (size_t i = 0; rc > 0 && i < n; i++) {
        short re = c->snap[i].revents;
        if (!re)
            continue;
        unsigned ev = 0;
        if (re & (POLLIN | POLLHUP | POLLERR))
            ev |= K8S_IO_READ;
        if (re & (POLLOUT | POLLERR))
            ev |= K8S_IO_WRITE;
        k8s_client_on_fd(c, c->snap[i].fd, ev);
    }
    if (c->builtin_deadline != UINT64_MAX && k8s_now_ms() >= c->builtin_deadline) {
        c->builtin_deadline = UINT64_MAX;
        k8s_client_on_timeout(c);
    }
    return 0;
}

int k8s_client_run_until(struct k8s_client *c, int (*done)(void *arg), void *arg, int timeout_ms)
{
    uint64_t end = k8s_now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
    while (!done(arg)) {
        uint64_t now = k8s_now_ms();
        if (now >= end)
            return -1;
        if (k8s_client_run(c, (int)(end - now)) < 0)
            return -1;
    }
    return 0;
}

/* ---- creation ---- */

#define BUILTIN_MAX_FDS 1024

static uint64_t seed(const void *p)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)p ^
           ((uint64_t)getpid() << 40);
}

uint64_t k8s_client_random(struct k8s_client *c)
{
    /* splitmix64 */
    uint64_t z = (c->rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static int blob_dup(struct curl_blob *b, const char *pem)
{
    b->data = NULL;
    b->len = 0;
    b->flags = CURL_BLOB_NOCOPY;
    if (!pem || !*pem)
        return 0;
    b->data = strdup(pem);
    if (!b->data)
        return -1;
    b->len = strlen(pem);
    return 0;
}

/* Splits "https://host[:port][/...]" into host (with brackets for IPv6) and port. */
static enum k8s_status split_server(const char *server, char *host, size_t hostsz, long *port)
{
    const char *p = strstr(server, "://");
    if (!p || strncmp(server, "https", 5) != 0)
        return K8S_EINVAL;
    p += 3;
    const char *end = p + strcspn(p, "/?#");
    const char *colon = NULL;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb)
            return K8S_EINVAL;
        colon = (rb + 1 < end && rb[1] == ':') ? rb + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
    }
    const char *hend = colon ? colon : end;
    if (hend == p || (size_t)(hend - p) >= hostsz)
        return K8S_EINVAL;
    memcpy(host, p, (size_t)(hend - p));
    host[hend - p] = '\0';
    *port = colon ? strtol(colon + 1, NULL, 10) : 443;
    return (*port > 0 && *port < 65536) ? K8S_OK : K8S_EINVAL;
}

/* With tls-server-name the URL names that host (SNI and certificate check)
 * while CURLOPT_CONNECT_TO sends the connection to the real server. */
static enum k8s_status set_endpoint(struct k8s_client *c, const struct k8s_config *cfg)
{
    char host[256], buf[600];
    long port;
    if (!cfg->server || split_server(cfg->server, host, sizeof host, &port) != K8S_OK)
        return K8S_EINVAL;
    const char *name = cfg->tls_server_name && *cfg->tls_server_name ? cfg->tls_server_name : NULL;
    snprintf(buf, sizeof buf, "https://%s:%ld", name ? name : host, port);
    c->base_url = strdup(buf);
    if (!c->base_url)
        return K8S_ENOMEM;
    if (!name)
        return K8S_OK;
    snprintf(buf, sizeof buf, "%s:%ld:%s:%ld", name, port, host, port);
    c->connect_to = curl_slist_append(NULL, buf);
    return c->connect_to ? K8S_OK : K8S_ENOMEM;
}

static enum k8s_status copy_config(struct k8s_client *c, const struct k8s_config *cfg)
{
    enum k8s_status st = set_endpoint(c, cfg);
    if (st != K8S_OK)
        return st;
    if (blob_dup(&c->ca, cfg->ca_pem) || blob_dup(&c->cert, cfg->client_cert_pem) ||
        blob_dup(&c->key, cfg->client_key_pem))
        return K8S_ENOMEM;
    c->insecure = cfg->insecure_skip_tls_verify;
    c->cred = cfg->cred;
    c->ns = strdup(cfg->namespace && *cfg->namespace ? cfg->namespace : "default");
    c->user_agent = strdup(c->opt.user_agent ? c->opt.user_agent : "prewarm-k8sclient/1");
    return c->ns && c->user_agent ? K8S_OK : K8S_ENOMEM;
}

static enum k8s_status setup_multi(struct k8s_client *c)
{
    c->multi = curl_multi_init();
    if (!c->multi)
        return K8S_ENOMEM;
    CURLMcode rc = curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    rc |= curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
    rc |= curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    rc |= curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
    rc |= curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    return rc == CURLM_OK ? K8S_OK : K8S_ETRANSPORT;
}

static enum k8s_status setup_loop(struct k8s_client *c, const struct k8s_loop_ops *ops, void *ctx)
{
    if (ops) {
        c->ops = *ops;
        c->loop_ctx = ctx;
        return K8S_OK;
    }
    c->builtin = true;
    c->ops.watch_fd = builtin_watch_fd;
    c->ops.set_timer = builtin_set_timer;
    c->loop_ctx = c;
    c->cap_pfds = BUILTIN_MAX_FDS;
    c->pfds = calloc(c->cap_pfds, sizeof *c->pfds);
    c->snap = calloc(c->cap_pfds, sizeof *c->snap);
    return c->pfds && c->snap ? K8S_OK : K8S_ENOMEM;
}

enum k8s_status k8s_client_new(const struct k8s_config *cfg, const struct k8s_client_options *opt,
                               const struct k8s_loop_ops *ops, void *loop_ctx,
                               struct k8s_client **out)
{
    *out = NULL;
    struct k8s_client *c = calloc(1, sizeof *c);
    if (!c)
        return K8S_ENOMEM;
    if (opt)
        c->opt = *opt;
    else
        k8s_client_options_default(&c->opt);
    if (c->opt.max_in_flight <= 0)
        c->opt.max_in_flight = 100;
    c->loop_deadline = c->builtin_deadline = UINT64_MAX;
    c->cred_fd = -1;
    c->rng = seed(c);
    k8s_timer_init(&c->curl_timer, curl_timer_fired, c);
    k8s_timer_init(&c->rl_timer, k8s__request_rl_wake, c);
    k8s_timer_init(&c->cred_timer, NULL, c);
    k8s_ratelimit_init(&c->rl, c->opt.qps, c->opt.burst, k8s_now_ms());
    enum k8s_status st = copy_config(c, cfg);
    if (st == K8S_OK)
        st = setup_loop(c, ops, loop_ctx);
    if (st == K8S_OK)
        st = setup_multi(c);
    if (st != K8S_OK) {
        k8s_client_free(c);
        return st;
    }
    *out = c;
    return K8S_OK;
}

void k8s_client_free(struct k8s_client *c)
{
    if (!c)
        return;
    k8s__request_cancel_all(c);
    /* Watches and informers the caller has not freed yet keep their timers
     * here: disarm them all so their later free does not touch the client. */
    k8s_timers_clear(&c->timers);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    if (c->cred_fd >= 0)
        c->ops.watch_fd(c->loop_ctx, c->cred_fd, 0);
    if (!c->builtin && c->loop_deadline != UINT64_MAX)
        c->ops.set_timer(c->loop_ctx, -1);
    curl_slist_free_all(c->connect_to);
    free(c->ca.data);
    free(c->cert.data);
    free(c->key.data);
    free(c->base_url);
    free(c->ns);
    free(c->user_agent);
    free(c->pfds);
    free(c->snap);
    free(c);
}

const char *k8s_client_namespace(const struct k8s_client *c)
{
    return c->ns;
}

void k8s_client_get_stats(const struct k8s_client *c, struct k8s_client_stats *out)
{
    *out = c->stats;
}

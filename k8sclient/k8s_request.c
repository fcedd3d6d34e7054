#include "k8s_request.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_client_int.h"
#include "k8s_cred.h"
#include "k8s_time.h"

enum rstate {
    R_NEW,
    R_RATE,   /* in c->rl queue */
    R_GATE,   /* in c->gate queue: too many transfers in flight */
    R_CRED,   /* in c->cred queue */
    R_FLIGHT, /* easy handle in the multi */
    R_RETRY,  /* retry timer armed */
    R_ZOMBIE, /* cancelled inside a curl callback; in c->zombies */
};

struct k8s_request {
    struct k8s_client *c;
    struct k8s_request *prev, *next; /* c->live */
    struct k8s_request *qnext;       /* rl, cred or zombie queue */
    enum rstate state;
    char *method, *url, *content_type, *body;
    size_t body_len;
    unsigned flags;
    k8s_request_done_fn *done;
    k8s_request_data_fn *on_data;
    void *arg;
    CURL *easy;
    struct curl_slist *headers;
    char *resp;
    size_t resp_len, resp_cap;
    enum k8s_status data_status; /* why the write callback aborted */
    int retries;
    bool retried_401;
    enum k8s_verb verb;
    bool answered; /* this attempt's answer is counted (stats.answers) */
    uint64_t auth_generation;
    struct k8s_timer timer;
    char errbuf[CURL_ERROR_SIZE];
};

static enum k8s_status authorize(struct k8s_request *r, struct k8s_error *err);

/* ---- queues ---- */

static void queue_push(struct k8s_request **head, struct k8s_request **tail, struct k8s_request *r)
{
    r->qnext = NULL;
    if (*tail)
        (*tail)->qnext = r;
    else
        *head = r;
    *tail = r;
}

static void queue_remove(struct k8s_request **head, struct k8s_request **tail,
                         struct k8s_request *r)
{
    struct k8s_request *prev = NULL;
    for (struct k8s_request *q = *head; q; prev = q, q = q->qnext) {
        if (q != r)
            continue;
        if (prev)
            prev->qnext = q->qnext;
        else
            *head = q->qnext;
        if (*tail == q)
            *tail = prev;
        return;
    }
}

/* ---- lifetime ---- */

static void release_transfer(struct k8s_request *r)
{
    if (r->easy) {
        curl_multi_remove_handle(r->c->multi, r->easy);
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
    curl_slist_free_all(r->headers);
    r->headers = NULL;
}

static void request_free(struct k8s_request *r)
{
    release_transfer(r);
    free(r->method);
    free(r->url);
    free(r->content_type);
    free(r->body);
    free(r->resp);
    free(r);
}

static void unlink_live(struct k8s_request *r)
{
    struct k8s_client *c = r->c;
    if (r->prev)
        r->prev->next = r->next;
    else if (c->live == r)
        c->live = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

/* Requests waiting for credentials or in a transfer hold one of the
 * max_in_flight slots (one HTTP/2 stream each). */
static bool holds_slot(const struct k8s_request *r)
{
    return r->state == R_CRED || r->state == R_FLIGHT;
}

static void set_state(struct k8s_request *r, enum rstate st)
{
    bool had = holds_slot(r);
    r->state = st;
    bool has = holds_slot(r);
    if (had && !has)
        r->c->busy--;
    else if (has && !had)
        r->c->busy++;
}

/* Delivers the outcome and frees the request (exactly once). */
static void finish(struct k8s_request *r, enum k8s_status st, long code,
                   const struct k8s_error *err)
{
    set_state(r, R_NEW);
    unlink_live(r);
    release_transfer(r);
    struct k8s_response resp = {
        .status = st,
        .http_code = code,
        .body = r->resp ? r->resp : "",
        .body_len = r->resp_len,
        .error = st == K8S_OK ? NULL : err,
    };
    r->done(r->arg, &resp);
    request_free(r);
}

static void finish_status(struct k8s_request *r, enum k8s_status st, long code, const char *msg)
{
    struct k8s_error err;
    k8s_error_set(&err, st, "%s", msg);
    err.http_code = code;
    finish(r, st, code, &err);
}

/* ---- the HTTP transfer ---- */

static bool response_grow(struct k8s_request *r, size_t add)
{
    size_t need = r->resp_len + add + 1;
    if (need > r->c->opt.max_response + 1)
        return false;
    if (need <= r->resp_cap)
        return true;
    size_t cap = r->resp_cap ? r->resp_cap : 1024;
    while (cap < need)
        cap *= 2;
    char *p = realloc(r->resp, cap);
    if (!p)
        return false;
    r->resp = p;
    r->resp_cap = cap;
    return true;
}

/* Counts the attempt's answer once (http_code 0: none). */
static void count_answer(struct k8s_request *r, long http_code)
{
    if (r->answered)
        return;
    r->answered = true;
    r->c->stats.answers[r->verb][k8s_answer_slot(http_code)]++;
    r->c->stats.failing = http_code < 200 || http_code >= 500;
}

/* Header lines: the first one after a final status line counts the answer,
 * so a watch is counted when it starts, not when it ends. */
static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    struct k8s_request *r = ud;
    long code = 0;
    (void)data;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200)
        count_answer(r, code);
    return size * n;
}

static size_t on_write(char *data, size_t size, size_t n, void *ud)
{
    struct k8s_request *r = ud;
    size_t len = size * n;
    if (r->state == R_ZOMBIE)
        return 0;
    if (r->on_data) {
        long code = 0;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code / 100 == 2) {
            enum k8s_status st = r->on_data(r->arg, data, len);
            if (r->state == R_ZOMBIE)
                return 0; /* cancelled from inside on_data */
            if (st != K8S_OK) {
                r->data_status = st;
                return 0;
            }
            return len;
        }
    }
    if (!response_grow(r, len)) {
        r->data_status = r->resp_len + len > r->c->opt.max_response ? K8S_ETOOBIG : K8S_ENOMEM;
        return 0;
    }
    memcpy(r->resp + r->resp_len, data, len);
    r->resp_len += len;
    r->resp[r->resp_len] = '\0';
    return len;
}

static struct curl_slist *build_headers(struct k8s_request *r, const struct k8s_auth *auth)
{
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
    char line[128];
    if (h && r->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", r->content_type);
        h = curl_slist_append(h, line) ? h : (curl_slist_free_all(h), NULL);
    }
    if (h && r->body)
        h = curl_slist_append(h, "Expect:") ? h : (curl_slist_free_all(h), NULL);
    if (h && auth && auth->token) {
        size_t n = strlen(auth->token) + 32;
        char *bearer = malloc(n);
        if (bearer)
            snprintf(bearer, n, "Authorization: Bearer %s", auth->token);
        struct curl_slist *t = bearer ? curl_slist_append(h, bearer) : NULL;
        free(bearer);
        if (!t)
            curl_slist_free_all(h);
        h = t ? h : NULL;
    }
    return h;
}

static CURLcode set_tls(CURL *e, const struct k8s_client *c, const struct k8s_auth *auth)
{
    CURLcode rc = CURLE_OK;
    if (c->ca.data)
        rc |= curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &c->ca);
    if (c->insecure) {
        rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    struct curl_blob cert = c->cert, key = c->key;
    if (auth && auth->client_cert_pem && auth->client_key_pem) {
        cert = (struct curl_blob){(void *)auth->client_cert_pem, strlen(auth->client_cert_pem),
                                  CURL_BLOB_COPY};
        key = (struct curl_blob){(void *)auth->client_key_pem, strlen(auth->client_key_pem),
                                 CURL_BLOB_COPY};
    }
    if (cert.data && key.data) {
        rc |= curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cert);
        rc |= curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
        rc |= curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key);
        rc |= curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (c->connect_to)
        rc |= curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_to);
    return rc;
}

/* Counts every TCP connection libcurl opens for this client. */
static int on_socket(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
    (void)fd;
    struct k8s_client *c = clientp;
    if (purpose == CURLSOCKTYPE_IPCXN)
        c->stats.connections++;
    return CURL_SOCKOPT_OK;
}

static CURLcode set_common(CURL *e, struct k8s_request *r)
{
    const struct k8s_client *c = r->c;
    CURLcode rc = curl_easy_setopt(e, CURLOPT_URL, r->url);
    rc |= curl_easy_setopt(
        e, CURLOPT_HTTP_VERSION,
        (long)(c->opt.http1_only ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_2TLS));
    rc |= curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
    rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 15L);
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->opt.connect_timeout_ms);
    if (!(r->flags & K8S_REQ_WATCH))
        rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->opt.request_timeout_ms);
    rc |= curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_socket);
    rc |= curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, (void *)c);
    rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)r);
    rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    if (strcmp(r->method, "GET") != 0)
        rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    if (r->body) {
        rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
    }
    return rc;
}

/* Starts one HTTP attempt. */
static enum k8s_status launch(struct k8s_request *r, const struct k8s_auth *auth)
{
    struct k8s_client *c = r->c;
    r->resp_len = 0;
    r->data_status = K8S_OK;
    r->errbuf[0] = '\0';
    r->answered = false;
    r->auth_generation = auth ? auth->generation : 0;
    r->headers = build_headers(r, auth);
    r->easy = r->headers ? curl_easy_init() : NULL;
    if (!r->easy)
        return K8S_ENOMEM;
    if (set_common(r->easy, r) != CURLE_OK || set_tls(r->easy, c, auth) != CURLE_OK)
        return K8S_ETRANSPORT;
    if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
        return K8S_ETRANSPORT;
    }
    set_state(r, R_FLIGHT);
    c->stats.attempts++;
    return K8S_OK;
}

/* ---- credentials ---- */

static void cred_watch(struct k8s_client *c)
{
    int fd = k8s_cred_wait_fd(c->cred);
    if (fd == c->cred_fd)
        return;
    if (c->cred_fd >= 0)
        c->ops.watch_fd(c->loop_ctx, c->cred_fd, 0);
    c->cred_fd = fd;
    if (fd >= 0)
        c->ops.watch_fd(c->loop_ctx, fd, K8S_IO_READ);
}

/* Launches (READY) or fails (ERROR) every parked request. */
static void cred_settle(struct k8s_client *c, enum k8s_cred_state cs, const struct k8s_auth *auth,
                        const struct k8s_error *err)
{
    cred_watch(c);
    if (cs == K8S_CRED_PENDING)
        return;
    /* Settle only the requests parked now: a callback may park new ones
     * (a new plugin run) or cancel parked ones (k8s_request_cancel looks in
     * both lists). */
    c->settle_head = c->cred_head;
    c->settle_tail = c->cred_tail;
    c->cred_head = c->cred_tail = NULL;
    while (c->settle_head) {
        struct k8s_request *q = c->settle_head;
        queue_remove(&c->settle_head, &c->settle_tail, q);
        enum k8s_status st = cs == K8S_CRED_READY ? launch(q, auth) : err->status;
        if (st == K8S_OK)
            continue;
        if (cs == K8S_CRED_READY)
            finish_status(q, st, 0, "cannot start the request");
        else
            finish(q, st, 0, err);
    }
}

void k8s__request_cred_readable(struct k8s_client *c)
{
    struct k8s_auth auth;
    struct k8s_error err;
    enum k8s_cred_state cs =
        k8s_cred_on_readable(c->cred, k8s_time_mono_now_ns(), k8s_time_wall_now_ns(), &auth, &err);
    cred_settle(c, cs, &auth, &err);
}

/* A hung plugin is only noticed by k8s_cred_get (its exec timeout). */
static void cred_poll(struct k8s_timer *t)
{
    struct k8s_client *c = t->data;
    if (!c->cred_head)
        return;
    struct k8s_auth auth;
    struct k8s_error err;
    enum k8s_cred_state cs =
        k8s_cred_get(c->cred, k8s_time_mono_now_ns(), k8s_time_wall_now_ns(), &auth, &err);
    cred_settle(c, cs, &auth, &err);
    if (c->cred_head)
        k8s_timer_start(&c->timers, t, k8s_now_ms() + 1000);
}

static enum k8s_status authorize(struct k8s_request *r, struct k8s_error *err)
{
    struct k8s_client *c = r->c;
    if (!c->cred)
        return launch(r, NULL);
    struct k8s_auth auth;
    enum k8s_cred_state cs =
        k8s_cred_get(c->cred, k8s_time_mono_now_ns(), k8s_time_wall_now_ns(), &auth, err);
    if (cs == K8S_CRED_READY)
        return launch(r, &auth);
    if (cs == K8S_CRED_ERROR)
        return err->status != K8S_OK ? err->status : K8S_EAUTH;
    set_state(r, R_CRED);
    queue_push(&c->cred_head, &c->cred_tail, r);
    cred_watch(c);
    if (!c->cred_timer.armed) {
        c->cred_timer.cb = cred_poll;
        c->cred_timer.data = c;
        k8s_timer_start(&c->timers, &c->cred_timer, k8s_now_ms() + 1000);
    }
    return K8S_OK;
}

/* ---- in-flight gate ---- */

/* Past the rate limiter: take a slot or wait for one. Keeping transfers
 * under the server's stream limit keeps them on one HTTP/2 connection
 * (libcurl opens a new connection for each transfer beyond it). */
static enum k8s_status dispatch(struct k8s_request *r, struct k8s_error *err)
{
    struct k8s_client *c = r->c;
    /* Inside a curl callback (a watch event handler starting a call) curl
     * refuses new handles: wait in the gate until curl returns. */
    if (c->busy < c->opt.max_in_flight && !c->gate_head && !c->in_curl)
        return authorize(r, err);
    set_state(r, R_GATE);
    queue_push(&c->gate_head, &c->gate_tail, r);
    c->stats.gated++;
    return K8S_OK;
}

void k8s__request_pump(struct k8s_client *c)
{
    if (c->in_curl || c->closing)
        return; /* in curl: called again when curl returns */
    while (c->gate_head && c->busy < c->opt.max_in_flight) {
        struct k8s_request *r = c->gate_head;
        queue_remove(&c->gate_head, &c->gate_tail, r);
        struct k8s_error err;
        k8s_error_clear(&err);
        enum k8s_status st = authorize(r, &err);
        if (st != K8S_OK && err.status == K8S_OK)
            k8s_error_set(&err, st, "cannot start the request");
        if (st != K8S_OK)
            finish(r, st, 0, &err);
    }
}

/* ---- rate limiter ---- */

static void rl_arm(struct k8s_client *c, uint64_t wait_ms)
{
    k8s_timer_start(&c->timers, &c->rl_timer, k8s_now_ms() + wait_ms);
}

/* Sends r now if a token is free and nobody queued earlier; queues it otherwise. */
static enum k8s_status admit(struct k8s_request *r, struct k8s_error *err)
{
    struct k8s_client *c = r->c;
    uint64_t wait = c->rl_head ? 1 : k8s_ratelimit_take(&c->rl, k8s_now_ms());
    if (wait == 0)
        return dispatch(r, err);
    set_state(r, R_RATE);
    queue_push(&c->rl_head, &c->rl_tail, r);
    c->stats.throttled++;
    if (!c->rl_timer.armed)
        rl_arm(c, wait);
    return K8S_OK;
}

void k8s__request_rl_wake(struct k8s_timer *t)
{
    struct k8s_client *c = t->data;
    while (c->rl_head) {
        uint64_t wait = k8s_ratelimit_take(&c->rl, k8s_now_ms());
        if (wait) {
            rl_arm(c, wait);
            return;
        }
        struct k8s_request *r = c->rl_head;
        queue_remove(&c->rl_head, &c->rl_tail, r);
        struct k8s_error err;
        k8s_error_clear(&err);
        enum k8s_status st = dispatch(r, &err);
        if (st != K8S_OK && err.status == K8S_OK)
            k8s_error_set(&err, st, "cannot start the request");
        if (st != K8S_OK)
            finish(r, st, 0, &err);
    }
}

/* ---- completion and retries ---- */

static void retry_fired(struct k8s_timer *t)
{
    struct k8s_request *r = t->data;
    struct k8s_error err;
    k8s_error_clear(&err);
    enum k8s_status st = admit(r, &err);
    if (st != K8S_OK && err.status == K8S_OK)
        k8s_error_set(&err, st, "cannot restart the request");
    if (st != K8S_OK)
        finish(r, st, 0, &err);
}

/* Re-queues r through the rate limiter after delay_ms. */
static void retry_later(struct k8s_request *r, uint64_t delay_ms)
{
    set_state(r, R_RETRY);
    r->retries++;
    r->c->stats.retries++;
    k8s_timer_init(&r->timer, retry_fired, r);
    k8s_timer_start(&r->c->timers, &r->timer, k8s_now_ms() + (delay_ms ? delay_ms : 1));
}

static const char *retry_after_header(CURL *e)
{
    struct curl_header *h = NULL;
    if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return NULL;
    return h->value;
}

static bool should_retry(const struct k8s_request *r, const struct k8s_error *err)
{
    long code = err->http_code;
    return !(r->flags & K8S_REQ_NO_RETRY) && (code == 429 || code >= 500) &&
           err->retry_after_seconds >= 0 && r->retries < r->c->opt.max_retries;
}

static void http_failed(struct k8s_request *r, long code)
{
    struct k8s_client *c = r->c;
    char *ctype = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ctype);
    struct k8s_error err;
    k8s_error_from_response(code, ctype, r->resp, r->resp_len, retry_after_header(r->easy), &err);
    release_transfer(r);
    if (code == 401 && c->cred && !r->retried_401 &&
        k8s_cred_invalidate(c->cred, r->auth_generation)) {
        r->retried_401 = true;
        retry_later(r, 0);
        return;
    }
    if (should_retry(r, &err)) {
        retry_later(r, (uint64_t)err.retry_after_seconds * 1000u);
        return;
    }
    finish(r, K8S_EHTTP, code, &err);
}

/* The connection died under the request: reset, EOF, HTTP/2 GOAWAY or
 * stream error (client-go's IsConnectionReset/IsProbableEOF/
 * IsHTTP2ConnectionLost). Refused connections and TLS failures are not. */
static bool connection_lost(CURLcode rc)
{
    return rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_HTTP2 ||
           rc == CURLE_HTTP2_STREAM || rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE;
}

/* A TLS handshake cut by the peer (reset, broken pipe, EOF: OpenSSL's
 * SSL_ERROR_SYSCALL) is a lost connection too, as client-go's
 * IsConnectionReset/IsProbableEOF see it (a load balancer without a
 * backend, an apiserver restarting). Certificate and protocol failures are
 * not: they fail at once. */
static bool handshake_cut(struct k8s_request *r, CURLcode rc)
{
    if (rc != CURLE_SSL_CONNECT_ERROR)
        return false;
    long os_errno = 0;
    curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &os_errno);
    return os_errno == ECONNRESET || os_errno == EPIPE || strstr(r->errbuf, "SSL_ERROR_SYSCALL");
}

/* A GET whose connection was lost is sent again after 200 ms x attempt, as
 * client-go retries GETs; other verbs may have reached the server, so they
 * fail. */
static bool transport_retry(struct k8s_request *r, CURLcode rc)
{
    if ((r->flags & K8S_REQ_NO_RETRY) || strcmp(r->method, "GET") != 0 ||
        r->retries >= r->c->opt.max_retries || !(connection_lost(rc) || handshake_cut(r, rc)))
        return false;
    release_transfer(r);
    retry_later(r, 200u * (uint64_t)(r->retries + 1));
    return true;
}

void k8s__request_transfer_done(struct k8s_request *r, CURLcode rc)
{
    long code = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
    count_answer(r, code);
    if (rc == CURLE_WRITE_ERROR && r->data_status != K8S_OK) {
        finish_status(r, r->data_status, code,
                      r->data_status == K8S_ETOOBIG ? "response body over the size limit"
                                                    : "response processing failed");
        return;
    }
    if (rc != CURLE_OK && transport_retry(r, rc))
        return;
    if (rc != CURLE_OK) {
        finish_status(r, rc == CURLE_OPERATION_TIMEDOUT ? K8S_ETIMEOUT : K8S_ETRANSPORT, code,
                      r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
        return;
    }
    if (code / 100 == 2) {
        release_transfer(r);
        finish(r, K8S_OK, code, NULL);
        return;
    }
    http_failed(r, code);
}

/* ---- public ---- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static struct k8s_request *request_new(struct k8s_client *c, const struct k8s_request_spec *s)
{
    struct k8s_request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->c = c;
    r->flags = s->flags;
    r->on_data = s->on_data;
    r->verb = k8s_verb_of(s->method, s->path, s->flags & K8S_REQ_WATCH);
    size_t n = strlen(c->base_url) + strlen(s->path) + (s->query ? strlen(s->query) : 0) + 2;
    r->url = malloc(n);
    r->method = strdup(s->method);
    r->content_type = dup_or_null(s->body ? s->content_type : NULL);
    if (s->body && (r->body = malloc(s->body_len + 1)) != NULL) {
        memcpy(r->body, s->body, s->body_len);
        r->body[s->body_len] = '\0';
        r->body_len = s->body_len;
    }
    if (!r->url || !r->method || (s->body && (!r->body || !r->content_type))) {
        request_free(r);
        return NULL;
    }
    bool q = s->query && *s->query;
    snprintf(r->url, n, "%s%s%s%s", c->base_url, s->path, q ? "?" : "", q ? s->query : "");
    return r;
}

enum k8s_status k8s_request_start(struct k8s_client *c, const struct k8s_request_spec *spec,
                                  k8s_request_done_fn *done, void *arg, struct k8s_request **out)
{
    if (out)
        *out = NULL;
    if (c->closing)
        return K8S_ECANCELED;
    if (!spec->method || !spec->path || spec->path[0] != '/' || !done ||
        (spec->body && !spec->content_type))
        return K8S_EINVAL;
    struct k8s_request *r = request_new(c, spec);
    if (!r)
        return K8S_ENOMEM;
    r->done = done;
    r->arg = arg;
    r->next = c->live;
    if (c->live)
        c->live->prev = r;
    c->live = r;
    struct k8s_error err;
    enum k8s_status st = admit(r, &err);
    if (st != K8S_OK) {
        unlink_live(r);
        request_free(r);
        return st;
    }
    c->stats.requests++;
    if (out)
        *out = r;
    k8s__client_sync_timer(c);
    return K8S_OK;
}

void k8s_request_cancel(struct k8s_request *r)
{
    struct k8s_client *c = r->c;
    if (r->state == R_ZOMBIE)
        return;
    if (r->state == R_RATE)
        queue_remove(&c->rl_head, &c->rl_tail, r);
    else if (r->state == R_GATE)
        queue_remove(&c->gate_head, &c->gate_tail, r);
    else if (r->state == R_CRED) {
        queue_remove(&c->cred_head, &c->cred_tail, r);
        queue_remove(&c->settle_head, &c->settle_tail, r);
    } else if (r->state == R_RETRY)
        k8s_timer_stop(&c->timers, &r->timer);
    struct k8s_error err;
    k8s_error_set(&err, K8S_ECANCELED, "request cancelled");
    if (r->state != R_FLIGHT || c->in_curl == 0) {
        finish(r, K8S_ECANCELED, 0, &err);
        k8s__request_pump(c);
        return;
    }
    /* Inside a curl callback the handle cannot leave the multi yet. */
    unlink_live(r);
    set_state(r, R_ZOMBIE);
    r->qnext = c->zombies;
    c->zombies = r;
    struct k8s_response resp = {K8S_ECANCELED, 0, "", 0, &err};
    r->done(r->arg, &resp);
}

void k8s__request_reap_zombies(struct k8s_client *c)
{
    while (c->zombies) {
        struct k8s_request *r = c->zombies;
        c->zombies = r->qnext;
        request_free(r);
    }
}

void k8s__request_cancel_all(struct k8s_client *c)
{
    c->closing = true;
    while (c->live)
        k8s_request_cancel(c->live);
    k8s__request_reap_zombies(c);
}

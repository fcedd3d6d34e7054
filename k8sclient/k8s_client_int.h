/*
 * k8s_client_int: what k8s_client.c and k8s_request.c share. Not part of the
 * public API; names with a double underscore are internal to the library.
 */
#ifndef K8S_CLIENT_INT_H
#define K8S_CLIENT_INT_H

#include <poll.h>
#include <stdbool.h>

#include <curl/curl.h>

#include "k8s_client.h"
#include "k8s_ratelimit.h"
#include "k8s_timer.h"

struct k8s_cred;

struct k8s_client {
    CURLM *multi;
    struct k8s_loop_ops ops;
    void *loop_ctx;
    uint64_t loop_deadline; /* deadline last handed to ops.set_timer; UINT64_MAX: none */

    /* Built-in poll driver (ops == NULL at creation). */
    bool builtin;
    struct pollfd *pfds, *snap;
    size_t npfds, cap_pfds;
    uint64_t builtin_deadline;

    struct k8s_timers timers;
    struct k8s_timer curl_timer;

    struct k8s_ratelimit rl;
    struct k8s_timer rl_timer;
    struct k8s_request *rl_head, *rl_tail;         /* FIFO of requests waiting for a token */
    struct k8s_request *cred_head, *cred_tail;     /* waiting for an exec plugin */
    struct k8s_request *settle_head, *settle_tail; /* being launched or failed */
    struct k8s_request *gate_head, *gate_tail;     /* waiting for an in-flight slot */
    int busy;                    /* requests holding a slot (credentials or transfer) */
    int cred_fd;                 /* watched fd of a running plugin, or -1 */
    struct k8s_timer cred_timer; /* polls a running plugin for its timeout */
    struct k8s_request *live;    /* every request not yet completed */
    struct k8s_request *zombies; /* cancelled inside a curl callback; reaped after it */
    int in_curl;                 /* > 0 while inside curl_multi_socket_action */
    bool closing;                /* k8s_client_free() is cancelling: refuse new requests */

    struct k8s_client_options opt;
    char *user_agent;
    char *base_url; /* "https://host:port" (tls-server-name host when set) */
    struct curl_slist *connect_to;
    struct curl_blob ca, cert, key; /* owned copies; data NULL when unset */
    bool insecure;
    struct k8s_cred *cred; /* borrowed */
    char *ns;
    uint64_t rng;
    struct k8s_client_stats stats;
};

/* Hands the earliest timer deadline to the loop when it changed. */
void k8s__client_sync_timer(struct k8s_client *c);
/* Runs curl on a socket (or CURL_SOCKET_TIMEOUT) and completes finished transfers. */
void k8s__client_socket_action(struct k8s_client *c, curl_socket_t fd, int mask);

/* k8s_request.c */
void k8s__request_transfer_done(struct k8s_request *r, CURLcode rc);
void k8s__request_rl_wake(struct k8s_timer *t);
void k8s__request_cred_readable(struct k8s_client *c);
void k8s__request_reap_zombies(struct k8s_client *c);
void k8s__request_cancel_all(struct k8s_client *c);
/* Starts gated requests while slots are free (no-op inside curl). */
void k8s__request_pump(struct k8s_client *c);

#endif

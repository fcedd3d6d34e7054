/*
 * k8s.h: the public umbrella header of prewarm's Kubernetes client library.
 *
 * Design
 *   - One client (k8s_client.h) per API server: one libcurl multi handle,
 *     HTTP/2 over TLS with multiplexing, so every call and every watch share
 *     one connection (HTTP/1.1 keep-alive when the server lacks h2).
 *   - Nothing blocks. The caller's event loop drives the client through a
 *     two-function adapter (struct k8s_loop_ops: watch an fd, arm one timer)
 *     and calls k8s_client_on_fd() / k8s_client_on_timeout(). Tools and
 *     tests use the built-in poll driver (k8s_client_run / _run_until).
 *   - One request pipeline (k8s_request.h) for every call: client-side token
 *     bucket (QPS 5, burst 10 by default; queued, never dropped), credentials
 *     (k8s_cred.h; exec plugins run without blocking), 401 -> refresh and one
 *     retry, 429/5xx + numeric Retry-After -> up to 10 retries, bounded
 *     response bodies, errors decoded into struct k8s_error (k8s_error.h);
 *     attempts counted by verb and answer (k8s_verb.h, k8s_client_stats).
 *   - Typed calls: pods (k8s_pods.h), leases (k8s_leases.h) and leader
 *     election on a Lease (k8s_leader.h), on top of
 *     k8s_object.h. Streaming: k8s_watch.h (newline framer, RV tracking,
 *     bookmarks, back-off, 410 -> relist signal) and k8s_informer.h (list +
 *     watch into a local store with add/update/delete callbacks).
 *   - Configuration: k8s_config.h (kubeconfig, in-cluster), k8s_query.h
 *     (percent-encoded queries and selectors), k8s_time.h (RFC 3339).
 *
 * Errors: every fallible function returns enum k8s_status (k8s_error.h),
 * out-of-memory included; the library never aborts and never prints.
 *
 * Ownership: who allocates frees. Creators own what k8s_*_new/_start
 * returns and release it with the matching _free. The client copies its
 * configuration except the credential (cfg->cred), which must outlive it.
 * Objects handed to callbacks are borrowed for the call unless the header
 * says the callback may take them (k8s_object.h: set res->object = NULL).
 *
 * Callbacks: a call that returns an error never calls back; one that
 * returns K8S_OK calls back exactly once, never from inside the call itself,
 * with K8S_ECANCELED when cancelled or when the client is freed.
 *
 * Threading: none inside. A client and everything made from it belong to
 * one thread (the loop's). There is no global mutable state, so separate
 * clients may live on separate threads. libcurl's global init runs on the
 * first handle (thread-safe in the libcurl versions we build with).
 */
#ifndef K8S_H
#define K8S_H

#include "k8s_client.h"
#include "k8s_config.h"
#include "k8s_error.h"
#include "k8s_informer.h"
#include "k8s_leader.h"
#include "k8s_leases.h"
#include "k8s_object.h"
#include "k8s_pods.h"
#include "k8s_query.h"
#include "k8s_request.h"
#include "k8s_time.h"
#include "k8s_verb.h"
#include "k8s_watch.h"

#endif

/*
 * k8s_loop: drives a k8sclient client from the daemon's event loop.
 *
 * k8sclient does no I/O scheduling of its own when it is given a struct
 * k8s_loop_ops: it asks its host to watch descriptors and to arm one timer,
 * and expects k8s_client_on_fd() / k8s_client_on_timeout() back. This module
 * is that host for src/base/loop.h: descriptors become loop_io watches,
 * the client's timer one loop_timer (a 0 ms timer fires on the next turn,
 * never from inside set_timer, as the client requires).
 *
 *     struct k8s_loop *kl = k8s_loop_new(loop);
 *     k8s_client_new(cfg, &opts, k8s_loop_ops(), kl, &client);
 *     k8s_loop_attach(kl, client);
 *     ...
 *     k8s_client_free(client);   first: it unwatches its descriptors
 *     k8s_loop_free(kl);
 *
 * Ownership: the adapter borrows the loop and the client; the caller frees
 * the client before the adapter. Counters are for tests.
 */
#ifndef PREWARM_K8S_LOOP_H
#define PREWARM_K8S_LOOP_H

#include "k8s_client.h"
#include "loop.h"

struct k8s_loop;

struct k8s_loop *k8s_loop_new(struct loop *loop);
/* Tells the adapter which client to call back (after k8s_client_new). */
void k8s_loop_attach(struct k8s_loop *kl, struct k8s_client *client);
/* The ops to pass to k8s_client_new with kl as loop_ctx. */
const struct k8s_loop_ops *k8s_loop_ops(void);
void k8s_loop_free(struct k8s_loop *kl);

/* How often the client asked to watch a descriptor / arm its timer. */
unsigned long k8s_loop_fd_calls(const struct k8s_loop *kl);
unsigned long k8s_loop_timer_calls(const struct k8s_loop *kl);

#endif

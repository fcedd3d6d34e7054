/*
 * kube_group: what the Kubernetes pools of one prewarmd share: one bind
 * journal, one leader-election Lease and one epoch (kube_ha.h).
 *
 * The daemon makes one group (through provider_shared_new) before its
 * pools; each Kubernetes pool's provider joins it (kube_group_join) and is
 * handed the group's kube_ha (kube_provider_set_ha). Without a journal or an election in the
 * config the group is empty and a provider starts at once. With them, the
 * providers start (list their pods, rebuild their pools) when the group
 * begins to lead, and `lost` runs when it stops: the daemon then stops
 * answering and exits, to come back as a standby.
 *
 * Ownership: the group borrows the connection config (it must outlive the
 * group) and the providers that join (free the group after them: it only
 * forgets them). Single-threaded: the daemon's loop.
 */
#ifndef KUBE_GROUP_H
#define KUBE_GROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "kube_config.h"
#include "loop.h"
#include "provider.h"

struct config;
struct kube_group;

struct kube_group_events {
    void *ctx;
    void (*lost)(void *ctx);                     /* leadership ended: stop answering, exit */
    void (*acquired)(void *ctx, uint64_t epoch); /* optional: this replica leads now */
};

/* NULL with a message in err (journal, credentials, OOM). */
struct kube_group *kube_group_new(struct loop *loop, const struct config *cfg,
                                  const struct kube_group_events *ev, char *err, size_t errlen);
void kube_group_free(struct kube_group *g);

/* A Kubernetes pool's provider joins: it gets the group's hooks and is
 * started now (no election or journal, or already leading) or when the
 * group begins to lead. Returns 0, or -1 with a message in err. */
int kube_group_join(struct kube_group *g, struct provider *p, const char *pool, char *err,
                    size_t errlen);

/* Graceful stop: gives the Lease up so a standby takes over at once. */
void kube_group_shutdown(struct kube_group *g);
/* The current term (0 when nothing is shared). */
uint64_t kube_group_epoch(const struct kube_group *g);
/* Leadership, epoch and journal figures (all zero when nothing is shared). */
void kube_group_get_stats(const struct kube_group *g, struct provider_shared_stats *out);
/* The shared API client's counters (Lease, flush); zero when none. */
void kube_group_get_api_stats(const struct kube_group *g, struct k8s_client_stats *out);
/* Nothing left in flight that shutdown must wait for. */
bool kube_group_drained(const struct kube_group *g);

#endif

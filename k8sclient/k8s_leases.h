/*
 * k8s_leases: typed calls for coordination.k8s.io/v1 Leases (leader
 * election): get, create, and update (PUT carrying metadata.resourceVersion,
 * so a lost race is a 409 Conflict, never a silent overwrite).
 *
 * Leases travel as cJSON objects; k8s_lease_build() writes one with
 * acquireTime/renewTime as MicroTime (exactly 6 fractional digits) and
 * k8s_lease_read() reads the fields back. Calls follow k8s_object.h's
 * callback contract; `ns` NULL means the client's default namespace.
 */
#ifndef K8S_LEASES_H
#define K8S_LEASES_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "k8s_object.h"

struct k8s_lease_spec {
    const char *name;             /* required */
    const char *holder_identity;  /* NULL: not sent; "" releases */
    int lease_duration_seconds;   /* < 0: not sent */
    int64_t acquire_time_ns;      /* unix ns; 0: not sent */
    int64_t renew_time_ns;        /* unix ns; 0: not sent */
    int lease_transitions;        /* < 0: not sent */
    const char *resource_version; /* required for update */
};

/* Read view: strings borrowed from the object. */
struct k8s_lease_view {
    const char *name, *holder_identity, *resource_version;
    int lease_duration_seconds; /* -1 when absent */
    int64_t acquire_time_ns;    /* 0 when absent or unparsable */
    int64_t renew_time_ns;
    int lease_transitions; /* -1 when absent */
};

/* NULL on OOM. The caller frees with cJSON_Delete. */
cJSON *k8s_lease_build(const struct k8s_lease_spec *s);
void k8s_lease_read(const cJSON *lease, struct k8s_lease_view *v);

enum k8s_status k8s_leases_get(struct k8s_client *c, const char *ns, const char *name,
                               k8s_result_fn *done, void *arg, struct k8s_request **out);
enum k8s_status k8s_leases_create(struct k8s_client *c, const char *ns, const cJSON *lease,
                                  k8s_result_fn *done, void *arg, struct k8s_request **out);
/* K8S_EINVAL if the lease has no metadata.name or metadata.resourceVersion. */
enum k8s_status k8s_leases_update(struct k8s_client *c, const char *ns, const cJSON *lease,
                                  k8s_result_fn *done, void *arg, struct k8s_request **out);

#endif

/*
 * k8s_pods: typed calls for core/v1 Pods, built on k8s_object (one request
 * builder, one decoder) plus read helpers for the status fields a warm pool
 * needs.
 *
 * Every call is asynchronous: it returns K8S_OK and later runs `done` once
 * with a struct k8s_result (see k8s_object.h for the ownership of
 * res->object), or returns an error and never runs `done`. `ns` NULL means
 * the client's default namespace; for k8s_pods_list, K8S_ALL_NAMESPACES
 * lists every namespace. Strings and bodies are copied.
 *
 * PATCH sends exactly one Content-Type, chosen by enum k8s_patch_type. Query
 * values (selectors, continue tokens) are percent-encoded by k8s_query.
 */
#ifndef K8S_PODS_H
#define K8S_PODS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "k8s_object.h"

#define K8S_ALL_NAMESPACES ""

struct k8s_list_options {
    const char *label_selector;         /* NULL: none */
    const char *field_selector;         /* NULL: none */
    long limit;                         /* 0: no limit */
    const char *continue_token;         /* NULL: first page */
    const char *resource_version;       /* NULL: not sent (most recent) */
    const char *resource_version_match; /* "Exact" / "NotOlderThan" / NULL */
};

/* Zeroed options send nothing: the pod's own grace period, no preconditions. */
struct k8s_delete_options {
    bool set_grace_period;          /* false: gracePeriodSeconds not sent */
    long grace_period_seconds;      /* sent when set_grace_period (0: immediate) */
    const char *precondition_uid;   /* NULL: none */
    const char *precondition_rv;    /* NULL: none */
    const char *propagation_policy; /* "Background", "Foreground", "Orphan" or NULL */
};

enum k8s_patch_type {
    K8S_PATCH_MERGE,     /* application/merge-patch+json (RFC 7386) */
    K8S_PATCH_STRATEGIC, /* application/strategic-merge-patch+json */
    K8S_PATCH_JSON,      /* application/json-patch+json (RFC 6902) */
};

/* Loads a pod template: JSON if the text starts with '{', YAML otherwise.
 * Checks that it is an object of kind Pod (or without kind). */
enum k8s_status k8s_pod_template_parse(const char *text, size_t len, cJSON **out,
                                       struct k8s_error *err);

/* POST the pod. If generate_name is non-NULL, metadata.name is removed and
 * metadata.generateName set to it. `pod` is not modified. */
enum k8s_status k8s_pods_create(struct k8s_client *c, const char *ns, const cJSON *pod,
                                const char *generate_name, k8s_result_fn *done, void *arg,
                                struct k8s_request **out);
enum k8s_status k8s_pods_get(struct k8s_client *c, const char *ns, const char *name,
                             k8s_result_fn *done, void *arg, struct k8s_request **out);
/* res->object is the PodList (items, metadata.continue, metadata.resourceVersion). */
enum k8s_status k8s_pods_list(struct k8s_client *c, const char *ns,
                              const struct k8s_list_options *o, k8s_result_fn *done, void *arg,
                              struct k8s_request **out);
enum k8s_status k8s_pods_delete(struct k8s_client *c, const char *ns, const char *name,
                                const struct k8s_delete_options *o, k8s_result_fn *done, void *arg,
                                struct k8s_request **out);
enum k8s_status k8s_pods_patch(struct k8s_client *c, const char *ns, const char *name,
                               enum k8s_patch_type type, const char *patch, size_t len,
                               k8s_result_fn *done, void *arg, struct k8s_request **out);

/* Builds the list query ("" when no option is set). Caller frees. Shared
 * with the informer. */
char *k8s_list_query(const struct k8s_list_options *o);
const char *k8s_patch_content_type(enum k8s_patch_type type);

/* Status readers (NULL / false when absent). */
const char *k8s_pod_phase(const cJSON *pod);
bool k8s_pod_is_ready(const cJSON *pod); /* condition Ready == "True" */
const char *k8s_pod_deletion_timestamp(const cJSON *pod);
const char *k8s_pod_ip(const cJSON *pod);
const char *k8s_pod_node_name(const cJSON *pod);
/* Running, Ready and not being deleted: the pool's "warm". */
bool k8s_pod_is_warm(const cJSON *pod);

#endif

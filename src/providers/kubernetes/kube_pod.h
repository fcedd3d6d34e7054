/*
 * kube_pod: what the Kubernetes provider keeps of a Pod, and how it reads
 * one.
 *
 * The provider's informer stores, per pod, not the whole object (5-20 KiB
 * of JSON with managedFields, container statuses and conditions) but the
 * compact object kube_pod_compact() makes of it (the informer's transform):
 *
 *     {"metadata":{"name","namespace","uid","resourceVersion"},
 *      "p":"CLASS|WHY|POOL|IP|NODE|BINDING"}
 *
 * metadata keeps what the informer needs to key, diff and order its store;
 * "p" packs what prewarm needs into one string (keys are constant strings,
 * so a compact pod is 7 cJSON nodes and 6 small heap strings). BINDING is
 * the pod's binding annotation (possibly containing '|'), so it comes last.
 *
 * Classification, decided once from the whole object:
 *   GONE     deletionTimestamp set (deleted by anyone, or evicted: why says
 *            which), phase Failed or Succeeded, a container restarted (its
 *            process state is lost: a warm pod is never reused), or
 *            PodScheduled=False with reason Unschedulable;
 *   READY    phase Running, condition Ready == "True" and a pod IP;
 *   STARTING anything else (Pending, pulling, probing, or Ready=False on a
 *            running pod: readiness lost, e.g. on an unreachable node).
 *
 * Pure functions on cJSON; no I/O. Callers: the provider (kube_provider.c)
 * and tests.
 */
#ifndef KUBE_POD_H
#define KUBE_POD_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#define KUBE_LABEL_POOL       "prewarm.dev/pool"
#define KUBE_LABEL_MANAGED    "app.kubernetes.io/managed-by"
#define KUBE_MANAGED_BY       "prewarm"
#define KUBE_ANNOTATION_BIND  "prewarm.dev/binding"
#define KUBE_SELECTOR_MANAGED KUBE_LABEL_MANAGED "=" KUBE_MANAGED_BY

enum kube_pod_class {
    KUBE_POD_STARTING = 0,
    KUBE_POD_READY,
    KUBE_POD_GONE,
};

enum kube_pod_why {
    KUBE_WHY_NONE = 0,
    KUBE_WHY_DELETING,      /* deletionTimestamp set by a delete */
    KUBE_WHY_EVICTED,       /* deletionTimestamp + DisruptionTarget=True */
    KUBE_WHY_FAILED,        /* phase Failed */
    KUBE_WHY_SUCCEEDED,     /* phase Succeeded */
    KUBE_WHY_RESTARTED,     /* a container restarted */
    KUBE_WHY_UNSCHEDULABLE, /* PodScheduled=False, reason Unschedulable */
};

const char *kube_pod_why_str(enum kube_pod_why why);

/* A compact pod read back; strings point into the compact object (valid as
 * long as it is), "" when absent. */
struct kube_pod_view {
    const char *name;
    const char *ns;
    const char *uid;
    enum kube_pod_class cls;
    enum kube_pod_why why;
    char pool[64];
    char ip[64];
    char node[254];
    const char *binding; /* annotation value, "" when none */
};

/* Classifies a whole Pod object. */
enum kube_pod_class kube_pod_classify(const cJSON *pod, enum kube_pod_why *why);

/* The compact object of a whole Pod (or of a compact one: returned as a
 * copy). keep_binding false leaves the binding annotation out (the provider
 * needs it only to rebuild sessions at start). NULL when memory runs out.
 * The caller owns the result. */
cJSON *kube_pod_compact(const cJSON *pod, bool keep_binding);

/* Reads a compact pod. Returns false if obj is not one. */
bool kube_pod_read(const cJSON *obj, struct kube_pod_view *out);

#endif

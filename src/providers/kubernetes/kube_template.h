/*
 * kube_template: the pod prewarm creates for a pool, made from the pool's
 * template and its dedicated node pool.
 *
 * The node pool's node selector and tolerations are merged into the
 * template here, so a template author cannot forget them: every
 * node_selector entry is set (the config wins over the template), every
 * configured toleration is appended unless the template has an equal one.
 * Labels KUBE_LABEL_POOL = pool and KUBE_LABEL_MANAGED = "prewarm" are set
 * (they are the informer's selector). metadata.name, generateName, uid,
 * resourceVersion, creationTimestamp, ownerReferences and status are
 * dropped; metadata.namespace is the pool's.
 * Every container gets the backend's side of connect tokens unless its env
 * already names them: PREWARM_POD (fieldRef metadata.name), PREWARM_POOL
 * (the pool) and, when the pool names connect_key_secret, PREWARM_CONNECT_KEY
 * (secretKeyRef, key "connect-key").
 * Defaults the template may override: restartPolicy Never (a warm pod whose
 * process died is replaced, never restarted under a session), and
 * NoExecute tolerations of node.kubernetes.io/unreachable and not-ready for
 * node_lost_s seconds (instead of the API server's 300 s), so pods on a lost
 * node are evicted, seen GONE and replaced within that time.
 *
 * Pure: cJSON in, cJSON out. The caller owns the result.
 */
#ifndef KUBE_TEMPLATE_H
#define KUBE_TEMPLATE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "kube_config.h"

/* Builds the pool's pod (without a name). NULL with a message in err when
 * the template is not a Pod object or memory ran out. */
cJSON *kube_template_build(const cJSON *tmpl, const char *pool, const struct kube_pool_config *pc,
                           char *err, size_t errlen);

/* Sets metadata.name of a built pod (replacing the previous one). Returns
 * false when memory runs out. */
bool kube_template_name(cJSON *pod, const char *name);

#endif

/* kube_config: defaults, loading and release of the provider's config (see kube_config.h). */
#include "kube_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "k8s_config.h"
#include "k8s_error.h"
#include "k8s_incluster.h"

void kube_connection_defaults(struct kube_connection *c)
{
    memset(c, 0, sizeof *c);
    c->qps = 50;
    c->burst = 100;
    c->bind_qps = 20;
    c->quarantine_s = 30;
    c->election.lease_duration_s = 15;
    c->election.renew_deadline_s = 10;
    c->election.retry_period_s = 2;
}

int kube_connection_load(const struct kube_connection *conn, struct k8s_config **out, char *err,
                         size_t errlen)
{
    struct k8s_error e;
    enum k8s_status st;
    k8s_error_clear(&e);
    if (conn && conn->in_cluster) {
        st = k8s_incluster_load(NULL, out, &e);
    } else {
        struct k8s_config_options co = {0};
        co.kubeconfig = conn ? conn->kubeconfig : NULL;
        co.overrides.context = conn ? conn->context : NULL;
        st = k8s_config_load(&co, out, &e);
    }
    if (st == K8S_OK)
        return 0;
    snprintf(err, errlen, "kubernetes connection: %s%s%s", e.message, e.detail[0] ? ": " : "",
             e.detail);
    return -1;
}

void kube_connection_free(struct kube_connection *c)
{
    free(c->kubeconfig);
    free(c->context);
    free(c->journal);
    free(c->election.lease_name);
    free(c->election.lease_namespace);
    free(c->election.identity);
    c->kubeconfig = c->context = c->journal = NULL;
    c->election.lease_name = c->election.lease_namespace = c->election.identity = NULL;
}

void kube_pool_config_defaults(struct kube_pool_config *p)
{
    memset(p, 0, sizeof *p);
    p->port = 8080;
    p->create_qps = 10;
    p->create_burst = 10;
    p->max_creating = 20;
    p->delete_grace_s = -1;
    p->node_lost_s = 30;
}

static void free_kvs(struct kube_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void kube_pool_config_free(struct kube_pool_config *p)
{
    free(p->namespace);
    free(p->template_path);
    free(p->connect_key_secret);
    cJSON_Delete(p->template);
    free_kvs(p->node_selector, p->node_selector_len);
    for (size_t i = 0; i < p->tolerations_len; i++) {
        struct kube_toleration *t = &p->tolerations[i];
        free(t->key);
        free(t->operator);
        free(t->value);
        free(t->effect);
    }
    free(p->tolerations);
    memset(p, 0, sizeof *p);
}

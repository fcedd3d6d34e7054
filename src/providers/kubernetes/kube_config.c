/* kube_config: defaults and release of the provider's config (see kube_config.h). */
#include "kube_config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

void kube_connection_defaults(struct kube_connection *c)
{
    memset(c, 0, sizeof *c);
    c->qps = 50;
    c->burst = 100;
    c->bind_qps = 20;
    c->quarantine_s = 30;
}

void kube_connection_free(struct kube_connection *c)
{
    free(c->kubeconfig);
    free(c->context);
    c->kubeconfig = c->context = NULL;
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

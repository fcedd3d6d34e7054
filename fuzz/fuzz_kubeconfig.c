/*
 * libFuzzer target: kubeconfig YAML -> model -> resolved config, with
 * invariants:
 *   - loading the same file again merges nothing new (every name is already
 *     defined, and the first definition wins): counts, names and servers
 *     are unchanged;
 *   - a resolved config has a server without a trailing '/' and a namespace;
 *   - error details are NUL-terminated.
 * Run: fuzz_kubeconfig -max_total_time=60 fuzz/corpus/kubeconfig
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_config.h"
#include "k8s_kubeconfig.h"

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Names and servers of a model, one string, to compare two states. */
static char *fingerprint(const struct k8s_kubeconfig *kc)
{
    size_t cap = 64, len = 0;
    for (size_t i = 0; i < kc->nclusters; i++)
        cap += strlen(kc->clusters[i].name) + 2 +
               (kc->clusters[i].server ? strlen(kc->clusters[i].server) : 0);
    for (size_t i = 0; i < kc->nusers; i++)
        cap += strlen(kc->users[i].name) + 1;
    for (size_t i = 0; i < kc->ncontexts; i++)
        cap += strlen(kc->contexts[i].name) + 1;
    char *out = malloc(cap);
    if (!out)
        abort();
    for (size_t i = 0; i < kc->nclusters; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s=%s\n", kc->clusters[i].name,
                                kc->clusters[i].server ? kc->clusters[i].server : "");
    for (size_t i = 0; i < kc->nusers; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s\n", kc->users[i].name);
    for (size_t i = 0; i < kc->ncontexts; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s\n", kc->contexts[i].name);
    snprintf(out + len, cap - len, "%zu/%zu/%zu", kc->nclusters, kc->nusers, kc->ncontexts);
    return out;
}

static void check_config(const struct k8s_kubeconfig *kc)
{
    struct k8s_config *cfg = NULL;
    struct k8s_error err;
    if (k8s_config_from_kubeconfig(kc, NULL, &cfg, &err) != K8S_OK) {
        if (strnlen(err.detail, sizeof err.detail) == sizeof err.detail)
            abort();
        return;
    }
    size_t n = cfg->server ? strlen(cfg->server) : 0;
    if (n == 0 || cfg->server[n - 1] == '/' || !cfg->namespace)
        abort();
    k8s_config_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct k8s_kubeconfig kc;
    struct k8s_error err;
    k8s_kubeconfig_init(&kc);
    if (k8s_kubeconfig_load_buffer(&kc, (const char *)data, size, NULL, &err) != K8S_OK) {
        if (strnlen(err.detail, sizeof err.detail) == sizeof err.detail)
            abort();
        k8s_kubeconfig_free(&kc);
        return 0;
    }
    char *first = fingerprint(&kc);
    char *current = kc.current_context ? strdup(kc.current_context) : NULL;
    /* The same file again: every name is a duplicate of an earlier file's. */
    if (k8s_kubeconfig_load_buffer(&kc, (const char *)data, size, NULL, &err) != K8S_OK)
        abort(); /* it loaded once */
    char *second = fingerprint(&kc);
    if (strcmp(first, second) != 0 || !same_str(current, kc.current_context))
        abort();
    check_config(&kc);
    free(first);
    free(second);
    free(current);
    k8s_kubeconfig_free(&kc);
    return 0;
}

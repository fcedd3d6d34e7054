/*
 * libFuzzer target: kubeconfig YAML -> model -> resolved config.
 * Run: fuzz_kubeconfig -max_total_time=60 [corpus] (seed with
 * tests/fixtures/k8s/auth/gke-kubeconfig.gcloud528-generated.yaml).
 */
#include <stddef.h>
#include <stdint.h>

#include "k8s_config.h"
#include "k8s_kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct k8s_kubeconfig kc;
    struct k8s_error err;
    k8s_kubeconfig_init(&kc);
    /* Loaded twice to exercise merging (every name is a duplicate the second time). */
    if (k8s_kubeconfig_load_buffer(&kc, (const char *)data, size, NULL, &err) == K8S_OK &&
        k8s_kubeconfig_load_buffer(&kc, (const char *)data, size, NULL, &err) == K8S_OK) {
        struct k8s_config *cfg = NULL;
        if (k8s_config_from_kubeconfig(&kc, NULL, &cfg, &err) == K8S_OK)
            k8s_config_free(cfg);
    }
    k8s_kubeconfig_free(&kc);
    return 0;
}

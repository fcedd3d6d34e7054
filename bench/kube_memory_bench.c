/*
 * kube_memory_bench: bytes prewarm keeps per tracked Kubernetes pod.
 *
 * Two parts, each measured with mallinfo2() (heap bytes in use) around the
 * allocation, for N pods (default 10,000):
 *   - the Kubernetes provider's record: a real Running pod (the fixture
 *     tests/fixtures/k8s/pods/pod-running-nginx.k8s-docs.yaml, renamed per
 *     pod, with a binding annotation) compacted by kube_pod_compact() and
 *     kept in the informer's store (k8s_store), as the informer keeps it;
 *   - the pool core's records: pool_set_add() with max_total N allocates a
 *     pod and a session record per slot (inline, fixed-size strings).
 * Also prints the whole object's size, for comparison. Not a test.
 *
 *   build/bench/kube_memory_bench [N]
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_pods.h"
#include "k8s_store.h"
#include "kube_pod.h"
#include "pool.h"

static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd; /* small chunks in use + large mmapped ones */
}

static cJSON *fixture(void)
{
    FILE *f =
        fopen(PREWARM_SOURCE_DIR "/tests/fixtures/k8s/pods/pod-running-nginx.k8s-docs.yaml", "rb");
    static char text[65536];
    size_t n = f ? fread(text, 1, sizeof text, f) : 0;
    if (f)
        fclose(f);
    cJSON *pod = NULL;
    struct k8s_error err;
    if (k8s_pod_template_parse(text, n, &pod, &err) != K8S_OK) {
        fprintf(stderr, "fixture: %s\n", err.message);
        exit(1);
    }
    cJSON *meta = cJSON_GetObjectItem(pod, "metadata");
    cJSON_AddItemToObject(cJSON_GetObjectItem(meta, "labels"), KUBE_LABEL_POOL,
                          cJSON_CreateString("editor"));
    cJSON *ann = cJSON_AddObjectToObject(meta, "annotations");
    cJSON_AddStringToObject(ann, KUBE_ANNOTATION_BIND,
                            "{\"session\":\"s-0123456789abcdef0123456789abcdef\",\"claimedAt\":"
                            "\"2026-12-06T08:00:00.000000Z\",\"expiresAt\":\"2026-12-06T08:05:00."
                            "000000Z\",\"epoch\":3,\"key\":\"user-12345\"}");
    return pod;
}

static double provider_bytes(size_t n, bool keep_binding)
{
    cJSON *pod = fixture();
    cJSON *meta = cJSON_GetObjectItem(pod, "metadata");
    struct k8s_store store;
    k8s_store_init(&store);
    size_t before = heap_in_use();
    for (size_t i = 0; i < n; i++) {
        char name[64], uid[64];
        snprintf(name, sizeof name, "editor-%010zu", i);
        snprintf(uid, sizeof uid, "a6501da1-0447-4262-98eb-%012zu", i);
        cJSON_ReplaceItemInObject(meta, "name", cJSON_CreateString(name));
        cJSON_ReplaceItemInObject(meta, "uid", cJSON_CreateString(uid));
        cJSON *kept = kube_pod_compact(pod, keep_binding);
        char *key = k8s_store_key_of(kept);
        enum k8s_status st;
        k8s_store_put(&store, key, kept, &st);
        free(key);
    }
    double per = (double)(heap_in_use() - before) / (double)n;
    char *whole = cJSON_PrintUnformatted(pod);
    if (keep_binding)
        printf("whole Running pod (fixture + binding annotation): %zu bytes of JSON\n",
               strlen(whole));
    free(whole);
    k8s_store_free(&store);
    cJSON_Delete(pod);
    return per;
}

static double pool_bytes(size_t n)
{
    uint8_t seed[POOL_SEED_LEN] = {1};
    struct pool_set *set = NULL;
    struct pool *pool = NULL;
    struct pool_config cfg = {.name = "editor",
                              .min_idle = 0,
                              .max_idle = 0,
                              .max_total = (uint32_t)n,
                              .default_ttl_s = 60,
                              .max_ttl_s = 60,
                              .start_timeout_s = 30};
    pool_set_new(seed, 1024, &set);
    size_t before = heap_in_use();
    if (pool_set_add(set, &cfg, &pool) != POOL_OK)
        exit(1);
    double per = (double)(heap_in_use() - before) / (double)n;
    pool_set_free(set);
    return per;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    if (n == 0)
        n = 10000;
    double at_start = provider_bytes(n, true), prov = provider_bytes(n, false),
           core = pool_bytes(n);
    printf("pods tracked: %zu\n", n);
    printf("provider record while rebuilding (compact pod + its binding annotation): %.0f bytes "
           "per pod\n",
           at_start);
    printf("provider record once serving (compact pod in the informer store): %.0f bytes per pod\n",
           prov);
    printf("pool core records (pod + session slots, inline strings): %.0f bytes per pod\n", core);
    printf("total kept per tracked pod: %.0f bytes (%.2f KiB)\n", prov + core,
           (prov + core) / 1024.0);
    return 0;
}

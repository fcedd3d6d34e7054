#include "helper_kube.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helper_sim.h"

bool kube_target(void)
{
    const char *t = getenv("PREWARM_K8S_TARGET");
    return t && strcmp(t, "kube") == 0;
}

/* Copies the value of NAME=value from the env file's line, if it is that line. */
static void env_value(const char *line, const char *name, char *dst, size_t n)
{
    size_t len = strlen(name);
    if (strncmp(line, name, len) != 0 || line[len] != '=')
        return;
    const char *v = line + len + 1;
    size_t vlen = strcspn(v, "\n");
    cr_assert(vlen < n, "%s is too long", name);
    memcpy(dst, v, vlen);
    dst[vlen] = '\0';
}

static void read_env(struct sim *s, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        cr_skip_test("no real control plane: %s missing", path);
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        env_value(line, "PREWARM_KUBE_SERVER", s->server, sizeof s->server);
        env_value(line, "PREWARM_KUBE_CA", s->ca, sizeof s->ca);
        env_value(line, "PREWARM_KUBE_TOKEN", s->token, sizeof s->token);
        env_value(line, "PREWARM_KUBE_KUBECONFIG", s->kubeconfig, sizeof s->kubeconfig);
    }
    fclose(f);
    cr_assert(s->server[0] && s->ca[0] && s->token[0], "%s lacks the server, CA or token", path);
}

static size_t discard(char *d, size_t sz, size_t n, void *ud)
{
    (void)d;
    (void)ud;
    return sz * n;
}

long kube_request(const struct sim *s, const char *method, const char *path, const char *json)
{
    char url[1024];
    char auth[600];
    snprintf(url, sizeof url, "%s%s", s->server, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", s->token);
    CURL *e = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, auth);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CAINFO, s->ca);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 20L);
    if (json)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, json);
    long code = 0;
    if (curl_easy_perform(e) == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    return code;
}

/* Pods need the namespace's default service account (ServiceAccount
 * admission), which kube-controller-manager creates moments after the
 * namespace: wait for it, up to 60 s. */
static void wait_default_sa(const struct sim *s)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/serviceaccounts/default", s->ns);
    struct timespec step = {0, 20 * 1000 * 1000};
    for (int i = 0; i < 3000; i++) {
        if (kube_request(s, "GET", path, NULL) == 200)
            return;
        nanosleep(&step, NULL);
    }
    cr_assert_fail("namespace %s got no default service account within 60 s", s->ns);
}

void kube_attach(struct sim *s, const char *const *extra_args)
{
    if (extra_args && extra_args[0])
        cr_skip_test("simulator option %s has no counterpart on a real apiserver", extra_args[0]);
    const char *env = getenv("PREWARM_KUBE_ENV");
    if (!env)
        cr_skip_test("PREWARM_K8S_TARGET=kube without PREWARM_KUBE_ENV");
    read_env(s, env);
    s->real = true;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(s->ns, sizeof s->ns, "k8sc-%d-%ld", (int)getpid(), (long)(now.tv_nsec % 100000));
    char body[256];
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\"}}", s->ns);
    long code = kube_request(s, "POST", "/api/v1/namespaces", body);
    cr_assert_eq(code, 201, "creating namespace %s answered %ld", s->ns, code);
    wait_default_sa(s);
}

void kube_detach(struct sim *s)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s", s->ns);
    long code = kube_request(s, "DELETE", path, NULL);
    if (code != 200 && code != 202)
        cr_log_warn("deleting namespace %s answered %ld", s->ns, code);
    s->real = false;
}

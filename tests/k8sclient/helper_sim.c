#include "helper_sim.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper_kube.h"
#include "k8s_cred.h"

char *sim_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

static void copy_field(cJSON *o, const char *key, char *dst, size_t n)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    cr_assert(cJSON_IsString(v), "simulator line lacks %s", key);
    snprintf(dst, n, "%s", v->valuestring);
}

/* Reads the simulator's first stdout line within 20 s. */
static void read_line(int fd, char *line, size_t n)
{
    size_t len = 0;
    while (len + 1 < n) {
        struct pollfd p = {fd, POLLIN, 0};
        cr_assert(poll(&p, 1, 20000) == 1, "simulator did not start within 20 s");
        ssize_t r = read(fd, line + len, 1);
        cr_assert(r == 1, "simulator exited before printing its address");
        if (line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
}

static void spawn(struct sim *s, int wfd, const char *const *extra)
{
    const char *js = getenv("PREWARM_K8S_SIM");
    const char *argv[32] = {"node", js, "--port", "0", "--dir", s->dir};
    size_t i = 6;
    for (; extra && *extra && i < 31; extra++)
        argv[i++] = *extra;
    argv[i] = NULL;
    /* the simulator dies with the test process, even after a failed assertion */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    dup2(wfd, 1);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0 && !getenv("SIM_VERBOSE"))
        dup2(devnull, 2);
    execvp("node", (char *const *)argv);
    _exit(127);
}

void sim_start(struct sim *s, const char *const *extra_args)
{
    memset(s, 0, sizeof *s);
    snprintf(s->ns, sizeof s->ns, "default");
    if (kube_target())
        kube_attach(s, extra_args);
    snprintf(s->pods_path, sizeof s->pods_path, "/api/v1/namespaces/%s/pods", s->ns);
    if (s->real)
        return;
    cr_assert(getenv("PREWARM_K8S_SIM"), "PREWARM_K8S_SIM not set");
    snprintf(s->dir, sizeof s->dir, "/tmp/prewarm-sim-XXXXXX");
    cr_assert(mkdtemp(s->dir));
    int p[2];
    cr_assert(pipe(p) == 0);
    s->pid = fork();
    cr_assert(s->pid >= 0);
    if (s->pid == 0) {
        close(p[0]);
        spawn(s, p[1], extra_args);
    }
    close(p[1]);
    char line[4096];
    read_line(p[0], line, sizeof line);
    close(p[0]);
    cJSON *o = cJSON_Parse(line);
    cr_assert(o, "simulator printed: %s", line);
    copy_field(o, "server", s->server, sizeof s->server);
    copy_field(o, "ca", s->ca, sizeof s->ca);
    copy_field(o, "token", s->token, sizeof s->token);
    copy_field(o, "kubeconfig", s->kubeconfig, sizeof s->kubeconfig);
    cJSON_Delete(o);
}

void sim_stop(struct sim *s)
{
    if (s->real) {
        kube_detach(s);
        return;
    }
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    int status;
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    s->pid = 0;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", s->dir);
}

struct buf {
    char *p;
    size_t n;
};

static size_t sink(char *d, size_t sz, size_t n, void *ud)
{
    struct buf *b = ud;
    char *p = realloc(b->p, b->n + sz * n + 1);
    cr_assert(p);
    memcpy(p + b->n, d, sz * n);
    b->p = p;
    b->n += sz * n;
    b->p[b->n] = '\0';
    return sz * n;
}

long sim_control(const struct sim *s, const char *method, const char *path, const char *json,
                 cJSON **out)
{
    if (s->real)
        cr_skip_test(
            "%s /_sim/%s: the simulator's control API has no counterpart on a real apiserver",
            method, path);
    char url[1024];
    snprintf(url, sizeof url, "%s/_sim/%s", s->server, path);
    CURL *e = curl_easy_init();
    struct buf b = {NULL, 0};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CAINFO, s->ca);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 20L);
    if (json)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, json);
    long code = 0;
    CURLcode rc = curl_easy_perform(e);
    if (rc == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    if (out)
        *out = b.p ? cJSON_Parse(b.p) : NULL;
    free(b.p);
    return code;
}

double sim_stat(const struct sim *s, ...)
{
    cJSON *root = NULL;
    cr_assert_eq(sim_control(s, "GET", "stats", NULL, &root), 200);
    va_list ap;
    va_start(ap, s);
    const cJSON *o = root;
    const char *key;
    while (o && (key = va_arg(ap, const char *)) != NULL)
        o = cJSON_GetObjectItemCaseSensitive(o, key);
    va_end(ap);
    double v = cJSON_IsNumber(o) ? o->valuedouble : -1;
    cJSON_Delete(root);
    return v;
}

struct k8s_config *sim_config(const struct sim *s, struct k8s_cred *cred)
{
    struct k8s_config *cfg = calloc(1, sizeof *cfg);
    cfg->server = strdup(s->server);
    cfg->ca_pem = sim_read_file(s->ca, &cfg->ca_pem_len);
    cfg->namespace = strdup(s->ns);
    if (!cred)
        cr_assert_eq(k8s_cred_new_token(s->token, &cred), K8S_OK);
    cfg->cred = cred;
    return cfg;
}

void sim_config_free(struct k8s_config *cfg)
{
    k8s_cred_free(cfg->cred);
    free(cfg->server);
    free(cfg->ca_pem);
    free(cfg->namespace);
    free(cfg);
}

void sim_on_result(void *arg, struct k8s_result *res)
{
    struct sim_result *r = arg;
    r->calls++;
    r->status = res->status;
    r->http_code = res->http_code;
    cJSON_Delete(r->object);
    r->object = res->object;
    res->object = NULL;
    if (res->error)
        r->error = *res->error;
    else
        k8s_error_clear(&r->error);
}

static int result_arrived(void *arg)
{
    return ((struct sim_result *)arg)->calls > 0;
}

void sim_wait(struct k8s_client *c, struct sim_result *r, int timeout_ms)
{
    cr_assert_eq(k8s_client_run_until(c, result_arrived, r, timeout_ms), 0,
                 "no answer within %d ms", timeout_ms);
}

void sim_result_reset(struct sim_result *r)
{
    cJSON_Delete(r->object);
    memset(r, 0, sizeof *r);
}

struct k8s_client *sim_client(const struct k8s_config *cfg, double qps, int burst)
{
    struct k8s_client_options o;
    k8s_client_options_default(&o);
    o.qps = qps;
    o.burst = burst;
    struct k8s_client *c = NULL;
    cr_assert_eq(k8s_client_new(cfg, &o, NULL, NULL, &c), K8S_OK);
    return c;
}

struct sim_fixture fx;

void sim_fx_setup(void)
{
    sim_start(&fx.sim, NULL);
    fx.cfg = sim_config(&fx.sim, NULL);
    fx.c = sim_client(fx.cfg, 0, 0);
}

void sim_fx_setup_quiet(void)
{
    static const char *const args[] = {"--modules", "faults,control", NULL};
    sim_start(&fx.sim, args);
    fx.cfg = sim_config(&fx.sim, NULL);
    fx.c = sim_client(fx.cfg, 0, 0);
}

void sim_fx_teardown(void)
{
    k8s_client_free(fx.c);
    sim_config_free(fx.cfg);
    sim_stop(&fx.sim);
    memset(&fx, 0, sizeof fx);
}

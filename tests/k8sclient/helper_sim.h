/*
 * helper_sim: runs the Kubernetes API simulator (tests/k8s-sim/sim.js, path
 * in $PREWARM_K8S_SIM) as a child process for one test, and talks to its
 * /_sim/ control API with a blocking libcurl easy handle (fine in tests).
 *
 * sim_start() spawns `node sim.js --port 0 --dir TMPDIR`, reads its one JSON
 * line (server, ca, token, kubeconfig, dir) and returns; sim_stop() sends
 * SIGTERM, waits for the child and removes the directory.
 * sim_config() builds a struct k8s_config for k8s_client_new() (TLS with the
 * simulator's CA, bearer token); the caller frees it with sim_config_free().
 * With PREWARM_K8S_TARGET=kube the same calls use the real control plane
 * instead (helper_kube.h): a namespace of the test's own on a shared apiserver.
 */
#ifndef HELPER_SIM_H
#define HELPER_SIM_H

#include <stdbool.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "k8s_client.h"
#include "k8s_config.h"
#include "k8s_object.h"

struct sim {
    pid_t pid;
    bool real;           /* the real control plane (helper_kube.h), not a simulator */
    char ns[64];         /* the test's namespace: "default", or its own on the real control plane */
    char pods_path[128]; /* "/api/v1/namespaces/<ns>/pods" */
    char server[256];
    char ca[1024];
    char token[512];
    char dir[512];
    char kubeconfig[1024];
};

/* extra_args: NULL-terminated list appended to the command line, or NULL. */
void sim_start(struct sim *s, const char *const *extra_args);
void sim_stop(struct sim *s);

/* Blocking control call: METHOD /_sim/<path> with a JSON body (or NULL).
 * Returns the HTTP code; *out (if given) receives the parsed JSON reply. */
long sim_control(const struct sim *s, const char *method, const char *path, const char *json,
                 cJSON **out);
/* A number from GET /_sim/stats at a path of keys (e.g. "connections",
 * "accepted", NULL); -1 when absent. */
double sim_stat(const struct sim *s, ...);

/* cred: NULL = bearer token of the simulator. */
struct k8s_config *sim_config(const struct sim *s, struct k8s_cred *cred);
void sim_config_free(struct k8s_config *cfg);

/* A client on the built-in poll driver with the rate limiter off unless
 * qps > 0. */
struct k8s_client *sim_client(const struct k8s_config *cfg, double qps, int burst);

/* The usual fixture: one simulator, its config and a client with the rate
 * limiter off. Use `.init = sim_fx_setup, .fini = sim_fx_teardown` and the
 * global `fx`; a test may replace fx.c or fx.cfg (teardown frees what is
 * there). */
struct sim_fixture {
    struct sim sim;
    struct k8s_config *cfg;
    struct k8s_client *c;
};
extern struct sim_fixture fx;
void sim_fx_setup(void);
/* As sim_fx_setup, without the scheduler and kubelet: no object changes
 * but the test's own (for exact update counts). */
void sim_fx_setup_quiet(void);
void sim_fx_teardown(void);

/* Records a typed call's outcome (takes res->object). */
struct sim_result {
    int calls;
    enum k8s_status status;
    long http_code;
    cJSON *object;
    struct k8s_error error;
};
void sim_on_result(void *arg, struct k8s_result *res);
/* Runs the client until r has an answer (test assertion after timeout_ms). */
void sim_wait(struct k8s_client *c, struct sim_result *r, int timeout_ms);
/* Frees r->object and zeroes r. */
void sim_result_reset(struct sim_result *r);

/* Reads a whole file into a NUL-terminated heap string (test assertion on failure). */
char *sim_read_file(const char *path, size_t *len);

#endif

/* k8s_exec: exec credential plugin runner (see k8s_exec.h). */
#include "k8s_exec.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "k8s_time.h"

extern char **environ;

#define API_V1      "client.authentication.k8s.io/v1"
#define API_V1BETA1 "client.authentication.k8s.io/v1beta1"
#define EXEC_INFO   "KUBERNETES_EXEC_INFO"

/* client-go's text appended to "executable not found" (exec.go installHintVerboseHelp). */
static const char verbose_help[] =
    "\n\nIt looks like you are trying to use a client-go credential plugin that is not "
    "installed.\n\nTo learn more about this feature, consult the documentation available at:\n"
    "      https://kubernetes.io/docs/reference/access-authn-authz/authentication/"
    "#client-go-credential-plugins";

struct k8s_exec {
    pid_t pid;
    int out_fd; /* stdout pipe, -1 after EOF */
    int pid_fd; /* pidfd after EOF while the child still runs, else -1 */
    bool reaped;
    int wstatus;
    char *buf;
    size_t len, cap;
    enum k8s_exec_state state;
    struct k8s_error err;
    struct k8s_exec_credential cred;
    char *command;
    char *api_version;
};

/* --- config helpers --- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void k8s_exec_config_free(struct k8s_exec_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->user_name);
    free(cfg->api_version);
    free(cfg->command);
    for (size_t i = 0; i < cfg->nargs; i++)
        free(cfg->args[i]);
    free(cfg->args);
    for (size_t i = 0; i < cfg->nenv; i++) {
        free(cfg->env[i].name);
        free(cfg->env[i].value);
    }
    free(cfg->env);
    free(cfg->install_hint);
    free(cfg->cluster_server);
    free(cfg->cluster_ca_data_b64);
    free(cfg->cluster_tls_server_name);
    free(cfg->cluster_config_json);
    memset(cfg, 0, sizeof(*cfg));
}

/* Copies one optional string; false on OOM. */
static bool copy_opt(char **dst, const char *src)
{
    *dst = dup_or_null(src);
    return !src || *dst;
}

static bool copy_lists(struct k8s_exec_config *dst, const struct k8s_exec_config *src)
{
    if (src->nargs) {
        dst->args = calloc(src->nargs, sizeof(char *));
        if (!dst->args)
            return false;
        for (; dst->nargs < src->nargs; dst->nargs++) {
            if (!copy_opt(&dst->args[dst->nargs],
                          src->args[dst->nargs] ? src->args[dst->nargs] : ""))
                return false;
        }
    }
    if (src->nenv) {
        dst->env = calloc(src->nenv, sizeof(*dst->env));
        if (!dst->env)
            return false;
        for (; dst->nenv < src->nenv; dst->nenv++) {
            struct k8s_exec_env *e = &dst->env[dst->nenv];
            const struct k8s_exec_env *s = &src->env[dst->nenv];
            if (!copy_opt(&e->name, s->name ? s->name : "") ||
                !copy_opt(&e->value, s->value ? s->value : ""))
                return false;
        }
    }
    return true;
}

enum k8s_status k8s_exec_config_copy(struct k8s_exec_config *dst, const struct k8s_exec_config *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->provide_cluster_info = src->provide_cluster_info;
    dst->interactive_mode = src->interactive_mode;
    dst->cluster_insecure_skip_tls_verify = src->cluster_insecure_skip_tls_verify;
    bool ok = copy_opt(&dst->user_name, src->user_name) &&
              copy_opt(&dst->api_version, src->api_version) &&
              copy_opt(&dst->command, src->command) &&
              copy_opt(&dst->install_hint, src->install_hint) &&
              copy_opt(&dst->cluster_server, src->cluster_server) &&
              copy_opt(&dst->cluster_ca_data_b64, src->cluster_ca_data_b64) &&
              copy_opt(&dst->cluster_tls_server_name, src->cluster_tls_server_name) &&
              copy_opt(&dst->cluster_config_json, src->cluster_config_json) && copy_lists(dst, src);
    if (!ok) {
        k8s_exec_config_free(dst);
        return K8S_ENOMEM;
    }
    return K8S_OK;
}

enum k8s_status k8s_exec_config_validate(const struct k8s_exec_config *cfg, struct k8s_error *err)
{
    const char *who = cfg->user_name ? cfg->user_name : "";
    if (!cfg->command || !cfg->command[0])
        return k8s_error_set(err, K8S_ECONFIG,
                             "command must be specified for %s to use exec authentication plugin",
                             who);
    if (!cfg->api_version || !cfg->api_version[0])
        return k8s_error_set(
            err, K8S_ECONFIG,
            "apiVersion must be specified for %s to use exec authentication plugin", who);
    for (size_t i = 0; i < cfg->nenv; i++) {
        if (!cfg->env[i].name || !cfg->env[i].name[0] || strchr(cfg->env[i].name, '='))
            return k8s_error_set(err, K8S_ECONFIG,
                                 "env variable name must be specified for %s to use exec "
                                 "authentication plugin",
                                 who);
    }
    bool v1 = strcmp(cfg->api_version, API_V1) == 0;
    if (!v1 && strcmp(cfg->api_version, API_V1BETA1) != 0)
        return k8s_error_set(err, K8S_ECONFIG, "exec plugin: invalid apiVersion \"%s\"",
                             cfg->api_version);
    if (v1 && cfg->interactive_mode == K8S_EXEC_INTERACTIVE_UNSET)
        return k8s_error_set(
            err, K8S_ECONFIG,
            "interactiveMode must be specified for %s to use exec authentication plugin", who);
    if (cfg->interactive_mode == K8S_EXEC_INTERACTIVE_ALWAYS)
        return k8s_error_set(err, K8S_ECONFIG,
                             "exec plugin cannot support interactive mode: standard input is not "
                             "a terminal");
    return K8S_OK;
}

void k8s_exec_credential_free(struct k8s_exec_credential *cred)
{
    if (!cred)
        return;
    free(cred->token);
    free(cred->client_cert_pem);
    free(cred->client_key_pem);
    memset(cred, 0, sizeof(*cred));
}

/* --- KUBERNETES_EXEC_INFO --- */

static bool add_cluster(cJSON *spec, const struct k8s_exec_config *cfg)
{
    cJSON *cl = cJSON_AddObjectToObject(spec, "cluster");
    if (!cl ||
        !cJSON_AddStringToObject(cl, "server", cfg->cluster_server ? cfg->cluster_server : ""))
        return false;
    if (cfg->cluster_tls_server_name &&
        !cJSON_AddStringToObject(cl, "tls-server-name", cfg->cluster_tls_server_name))
        return false;
    if (cfg->cluster_insecure_skip_tls_verify &&
        !cJSON_AddTrueToObject(cl, "insecure-skip-tls-verify"))
        return false;
    if (cfg->cluster_ca_data_b64 &&
        !cJSON_AddStringToObject(cl, "certificate-authority-data", cfg->cluster_ca_data_b64))
        return false;
    cJSON *conf = cfg->cluster_config_json ? cJSON_Parse(cfg->cluster_config_json) : NULL;
    if (!conf)
        conf = cJSON_CreateNull();
    if (!conf)
        return false;
    cJSON_AddItemToObject(cl, "config", conf);
    return true;
}

char *k8s_exec_info_json(const struct k8s_exec_config *cfg)
{
    char *out = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root || !cJSON_AddStringToObject(root, "kind", "ExecCredential") ||
        !cJSON_AddStringToObject(root, "apiVersion", cfg->api_version ? cfg->api_version : ""))
        goto out;
    cJSON *spec = cJSON_AddObjectToObject(root, "spec");
    if (!spec || (cfg->provide_cluster_info && !add_cluster(spec, cfg)) ||
        !cJSON_AddFalseToObject(spec, "interactive"))
        goto out;
    out = cJSON_PrintUnformatted(root);
out:
    cJSON_Delete(root);
    return out;
}

/* --- output parsing --- */

/* Reads an optional string member; false when present but not a string. */
static bool opt_string(const cJSON *obj, const char *key, const char **out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!it || cJSON_IsNull(it))
        return true;
    if (!cJSON_IsString(it))
        return false;
    *out = it->valuestring[0] ? it->valuestring : NULL;
    return true;
}

static enum k8s_status decode_error(struct k8s_error *err, const char *why)
{
    return k8s_error_set(err, K8S_EAUTH, "decoding stdout: %s", why);
}

static enum k8s_status check_header(const char *api_version, const cJSON *root,
                                    struct k8s_error *err)
{
    if (!cJSON_IsObject(root))
        return decode_error(err, "couldn't get version/kind; json parse error");
    const char *kind = NULL, *av = NULL;
    if (!opt_string(root, "kind", &kind) || !opt_string(root, "apiVersion", &av))
        return decode_error(err, "couldn't get version/kind; json parse error");
    if (!kind)
        return decode_error(err, "Object 'Kind' is missing");
    if (!av)
        return decode_error(err, "Object 'apiVersion' is missing");
    if (strcmp(kind, "ExecCredential") != 0)
        return decode_error(err, "no kind is registered for the type in the credential group");
    if (strcmp(av, api_version) != 0)
        return k8s_error_set(
            err, K8S_EAUTH,
            "exec plugin is configured to use API version %s, plugin returned version %s",
            api_version, av);
    return K8S_OK;
}

static enum k8s_status fill_cred(const char *token, const char *cert, const char *key,
                                 struct k8s_exec_credential *cred)
{
    cred->token = dup_or_null(token);
    cred->client_cert_pem = dup_or_null(cert);
    cred->client_key_pem = dup_or_null(key);
    if ((token && !cred->token) || (cert && !cred->client_cert_pem) ||
        (key && !cred->client_key_pem)) {
        k8s_exec_credential_free(cred);
        return K8S_ENOMEM;
    }
    return K8S_OK;
}

static enum k8s_status check_status(const cJSON *status, struct k8s_exec_credential *cred,
                                    struct k8s_error *err)
{
    const char *token, *cert, *key, *exp;
    if (!cJSON_IsObject(status))
        return decode_error(err, "status is not an object");
    if (!opt_string(status, "token", &token) ||
        !opt_string(status, "clientCertificateData", &cert) ||
        !opt_string(status, "clientKeyData", &key) ||
        !opt_string(status, "expirationTimestamp", &exp))
        return decode_error(err, "status fields must be strings");
    int64_t exp_ns = 0;
    if (exp && k8s_time_parse(exp, strlen(exp), &exp_ns) != K8S_OK)
        return decode_error(err, "status.expirationTimestamp is not an RFC 3339 time");
    if (!token && !cert && !key)
        return k8s_error_set(err, K8S_EAUTH, "exec plugin didn't return a token or cert/key pair");
    if (!cert != !key)
        return k8s_error_set(err, K8S_EAUTH,
                             "exec plugin returned only certificate or key, not both");
    if (fill_cred(token, cert, key, cred) != K8S_OK)
        return k8s_error_set(err, K8S_ENOMEM, "out of memory");
    cred->has_expiry = exp != NULL;
    cred->expiry_unix_ns = exp_ns;
    return K8S_OK;
}

enum k8s_status k8s_exec_parse_output(const char *api_version, const char *out, size_t len,
                                      struct k8s_exec_credential *cred, struct k8s_error *err)
{
    memset(cred, 0, sizeof(*cred));
    if (!api_version)
        return k8s_error_set(err, K8S_EINVAL, "exec plugin: no apiVersion configured");
    cJSON *root = out && len ? cJSON_ParseWithLength(out, len) : NULL;
    enum k8s_status st = check_header(api_version, root, err);
    if (st == K8S_OK) {
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
        if (!status || cJSON_IsNull(status))
            st = k8s_error_set(err, K8S_EAUTH, "exec plugin didn't return a status field");
        else
            st = check_status(status, cred, err);
    }
    cJSON_Delete(root);
    return st;
}

/* --- child environment --- */

static bool env_name_is(const char *entry, const char *name)
{
    size_t n = strlen(name);
    return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

static bool overridden(const char *entry, const struct k8s_exec_config *cfg)
{
    if (env_name_is(entry, EXEC_INFO))
        return true;
    for (size_t i = 0; i < cfg->nenv; i++) {
        if (env_name_is(entry, cfg->env[i].name))
            return true;
    }
    return false;
}

static char *join_env(const char *name, const char *value)
{
    char *s = NULL;
    return asprintf(&s, "%s=%s", name, value) < 0 ? NULL : s;
}

/*
 * envp = environ minus overridden names, then the configured entries (the
 * last of duplicate names wins, as Go's exec does), then KUBERNETES_EXEC_INFO.
 * Entries from index *first_owned on are heap strings owned by the array.
 */
static char **build_env(const struct k8s_exec_config *cfg, size_t *first_owned)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **envp = calloc(n + cfg->nenv + 2, sizeof(char *));
    if (!envp)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (!overridden(environ[i], cfg))
            envp[w++] = environ[i];
    }
    *first_owned = w;
    for (size_t i = 0; i < cfg->nenv; i++) {
        bool later = false;
        for (size_t j = i + 1; j < cfg->nenv; j++)
            later |= strcmp(cfg->env[i].name, cfg->env[j].name) == 0;
        if (!later && !(envp[w++] = join_env(cfg->env[i].name, cfg->env[i].value)))
            goto fail;
    }
    char *info = k8s_exec_info_json(cfg);
    envp[w] = info ? join_env(EXEC_INFO, info) : NULL;
    free(info);
    if (!envp[w])
        goto fail;
    return envp;
fail:
    for (size_t i = *first_owned; envp[i]; i++)
        free(envp[i]);
    free(envp);
    return NULL;
}

static void free_env(char **envp, size_t first_owned)
{
    if (!envp)
        return;
    for (size_t i = first_owned; envp[i]; i++)
        free(envp[i]);
    free(envp);
}

/* --- spawning --- */

static int spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr, int out_w)
{
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    /* When the write end already is fd 1, adddup2 clears its close-on-exec flag (glibc).
     * The plugin leads its own process group, so that killing it also kills
     * what it started (gke-gcloud-auth-plugin runs gcloud). */
    if (posix_spawn_file_actions_adddup2(fa, out_w, 1) != 0 ||
        posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
        posix_spawnattr_setsigmask(attr, &none) != 0 ||
        posix_spawnattr_setsigdefault(attr, &all) != 0 || posix_spawnattr_setpgroup(attr, 0) != 0 ||
        posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                           POSIX_SPAWN_SETPGROUP) != 0)
        return -1;
    return 0;
}

static enum k8s_status not_found(const struct k8s_exec_config *cfg, struct k8s_error *err)
{
    bool hint = cfg->install_hint && cfg->install_hint[0];
    return k8s_error_set(err, K8S_EAUTH, "exec: executable %s not found%s%s%s", cfg->command,
                         verbose_help, hint ? "\n\n" : "", hint ? cfg->install_hint : "");
}

/* Spawns the plugin with stdout on a pipe; *out_r gets the non-blocking read end. */
static enum k8s_status spawn(const struct k8s_exec_config *cfg, pid_t *pid, int *out_r,
                             struct k8s_error *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return k8s_error_set(err, K8S_EIO, "exec: pipe: %s", strerror(errno));
    size_t owned = 0;
    char **envp = build_env(cfg, &owned);
    char **argv = calloc(cfg->nargs + 2, sizeof(char *));
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    enum k8s_status st = K8S_OK;
    if (!envp || !argv || spawn_setup(&fa, &attr, p[1]) != 0) {
        st = k8s_error_set(err, K8S_ENOMEM, "exec: out of memory");
        goto out;
    }
    argv[0] = cfg->command;
    for (size_t i = 0; i < cfg->nargs; i++)
        argv[i + 1] = cfg->args[i];
    int rc = strchr(cfg->command, '/') ? posix_spawn(pid, cfg->command, &fa, &attr, argv, envp)
                                       : posix_spawnp(pid, cfg->command, &fa, &attr, argv, envp);
    if (rc == ENOENT || rc == EACCES || rc == ENOTDIR)
        st = not_found(cfg, err);
    else if (rc != 0)
        st = k8s_error_set(err, K8S_EIO, "exec: %s: %s", cfg->command, strerror(rc));
out:
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free(argv);
    free_env(envp, owned);
    close(p[1]);
    if (st != K8S_OK || fcntl(p[0], F_SETFL, O_NONBLOCK) != 0) {
        close(p[0]);
        return st != K8S_OK ? st : k8s_error_set(err, K8S_EIO, "exec: fcntl failed");
    }
    *out_r = p[0];
    return K8S_OK;
}

enum k8s_status k8s_exec_start(const struct k8s_exec_config *cfg, struct k8s_exec **out,
                               struct k8s_error *err)
{
    *out = NULL;
    enum k8s_status st = k8s_exec_config_validate(cfg, err);
    if (st != K8S_OK)
        return st;
    struct k8s_exec *ex = calloc(1, sizeof(*ex));
    if (!ex || !(ex->command = strdup(cfg->command)) ||
        !(ex->api_version = strdup(cfg->api_version))) {
        k8s_exec_free(ex);
        return k8s_error_set(err, K8S_ENOMEM, "exec: out of memory");
    }
    ex->out_fd = ex->pid_fd = -1;
    ex->reaped = true; /* nothing to reap until the spawn succeeds */
    st = spawn(cfg, &ex->pid, &ex->out_fd, err);
    if (st != K8S_OK) {
        k8s_exec_free(ex);
        return st;
    }
    ex->reaped = false;
    ex->state = K8S_EXEC_RUNNING;
    *out = ex;
    return K8S_OK;
}

/* --- state machine --- */

static enum k8s_exec_state fail(struct k8s_exec *ex, enum k8s_status st, const char *fmt,
                                const char *arg)
{
    k8s_error_set(&ex->err, st, fmt, arg);
    ex->state = K8S_EXEC_FAILED;
    return ex->state;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The child has been reaped: judge its exit status and output. */
static enum k8s_exec_state finish(struct k8s_exec *ex)
{
    close_fd(&ex->pid_fd);
    if (ex->state != K8S_EXEC_RUNNING)
        return ex->state; /* already failed (output too large) */
    if (!WIFEXITED(ex->wstatus) || WEXITSTATUS(ex->wstatus) != 0) {
        int code = WIFEXITED(ex->wstatus) ? WEXITSTATUS(ex->wstatus) : -1;
        k8s_error_set(&ex->err, K8S_EAUTH, "exec: executable %s failed with exit code %d",
                      ex->command, code);
        ex->state = K8S_EXEC_FAILED;
        return ex->state;
    }
    if (k8s_exec_parse_output(ex->api_version, ex->buf, ex->len, &ex->cred, &ex->err) != K8S_OK) {
        ex->state = K8S_EXEC_FAILED;
        return ex->state;
    }
    ex->state = K8S_EXEC_DONE;
    return ex->state;
}

/* Kills the plugin and everything in its process group. */
static void kill_plugin(const struct k8s_exec *ex)
{
    if (kill(-ex->pid, SIGKILL) != 0)
        kill(ex->pid, SIGKILL);
}

static bool try_reap(struct k8s_exec *ex)
{
    if (ex->reaped)
        return true;
    pid_t r = waitpid(ex->pid, &ex->wstatus, WNOHANG);
    if (r == ex->pid || (r < 0 && errno == ECHILD)) {
        if (r < 0)
            ex->wstatus = 0; /* reaped elsewhere (SIGCHLD ignored): judge the output alone */
        ex->reaped = true;
    }
    return ex->reaped;
}

/* Stdout is closed: reap now, or wait on a pidfd for the child's exit. */
static enum k8s_exec_state after_eof(struct k8s_exec *ex)
{
    close_fd(&ex->out_fd);
    if (try_reap(ex))
        return finish(ex);
    ex->pid_fd = (int)syscall(SYS_pidfd_open, ex->pid, 0);
    if (ex->pid_fd >= 0) {
        if (try_reap(ex)) /* exited between the two calls */
            return finish(ex);
        return K8S_EXEC_RUNNING;
    }
    /* Kernel without pidfd (< 5.3): the child closed stdout, it is exiting. */
    while (waitpid(ex->pid, &ex->wstatus, 0) < 0 && errno == EINTR)
        ;
    ex->reaped = true;
    return finish(ex);
}

static bool grow_buf(struct k8s_exec *ex)
{
    if (ex->len < ex->cap)
        return true;
    size_t ncap = ex->cap ? ex->cap * 2 : 4096;
    if (ncap > K8S_EXEC_MAX_OUTPUT + 1)
        ncap = K8S_EXEC_MAX_OUTPUT + 1;
    char *n = realloc(ex->buf, ncap);
    if (!n)
        return false;
    ex->buf = n;
    ex->cap = ncap;
    return true;
}

static enum k8s_exec_state read_output(struct k8s_exec *ex)
{
    for (;;) {
        if (ex->len > K8S_EXEC_MAX_OUTPUT) {
            kill_plugin(ex);
            fail(ex, K8S_ETOOBIG, "exec: executable %s wrote more than 1048576 bytes", ex->command);
            return after_eof(ex);
        }
        if (!grow_buf(ex)) {
            kill_plugin(ex);
            fail(ex, K8S_ENOMEM, "exec: out of memory reading %s", ex->command);
            return after_eof(ex);
        }
        ssize_t n = read(ex->out_fd, ex->buf + ex->len, ex->cap - ex->len);
        if (n > 0) {
            ex->len += (size_t)n;
            continue;
        }
        if (n == 0)
            return after_eof(ex);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return K8S_EXEC_RUNNING;
        kill_plugin(ex);
        fail(ex, K8S_EIO, "exec: reading the output of %s failed", ex->command);
        return after_eof(ex);
    }
}

enum k8s_exec_state k8s_exec_on_readable(struct k8s_exec *ex)
{
    if (ex->state != K8S_EXEC_RUNNING)
        return ex->state;
    if (ex->out_fd >= 0)
        return read_output(ex);
    if (try_reap(ex))
        return finish(ex);
    return K8S_EXEC_RUNNING;
}

int k8s_exec_fd(const struct k8s_exec *ex)
{
    if (!ex || ex->state != K8S_EXEC_RUNNING)
        return -1;
    return ex->out_fd >= 0 ? ex->out_fd : ex->pid_fd;
}

enum k8s_exec_state k8s_exec_state(const struct k8s_exec *ex)
{
    return ex->state;
}

enum k8s_status k8s_exec_result(struct k8s_exec *ex, struct k8s_exec_credential *cred,
                                struct k8s_error *err)
{
    if (ex->state == K8S_EXEC_RUNNING)
        return k8s_error_set(err, K8S_EINVAL, "exec: plugin still running");
    if (ex->state == K8S_EXEC_FAILED) {
        if (err)
            *err = ex->err;
        return ex->err.status;
    }
    *cred = ex->cred;
    memset(&ex->cred, 0, sizeof(ex->cred));
    return K8S_OK;
}

void k8s_exec_free(struct k8s_exec *ex)
{
    if (!ex)
        return;
    if (!ex->reaped) {
        kill_plugin(ex);
        while (waitpid(ex->pid, &ex->wstatus, 0) < 0 && errno == EINTR)
            ;
    }
    close_fd(&ex->out_fd);
    close_fd(&ex->pid_fd);
    k8s_exec_credential_free(&ex->cred);
    free(ex->buf);
    free(ex->command);
    free(ex->api_version);
    free(ex);
}

enum k8s_status k8s_exec_run(const struct k8s_exec_config *cfg, int timeout_ms,
                             struct k8s_exec_credential *cred, struct k8s_error *err)
{
    struct k8s_exec *ex;
    memset(cred, 0, sizeof(*cred));
    enum k8s_status st = k8s_exec_start(cfg, &ex, err);
    if (st != K8S_OK)
        return st;
    uint64_t deadline =
        k8s_time_mono_now_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000u;
    while (k8s_exec_state(ex) == K8S_EXEC_RUNNING) {
        int wait = -1;
        if (timeout_ms >= 0) {
            uint64_t now = k8s_time_mono_now_ns();
            if (now >= deadline) {
                k8s_exec_free(ex);
                return k8s_error_set(err, K8S_ETIMEOUT, "exec: executable %s timed out",
                                     cfg->command);
            }
            wait = (int)((deadline - now + 999999) / 1000000);
        }
        struct pollfd pfd = {.fd = k8s_exec_fd(ex), .events = POLLIN};
        if (poll(&pfd, 1, wait) < 0 && errno != EINTR)
            break;
        k8s_exec_on_readable(ex);
    }
    st = k8s_exec_state(ex) == K8S_EXEC_RUNNING
             ? k8s_error_set(err, K8S_EIO, "exec: poll failed: %s", strerror(errno))
             : k8s_exec_result(ex, cred, err);
    k8s_exec_free(ex);
    return st;
}

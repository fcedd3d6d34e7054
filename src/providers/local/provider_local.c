/* provider_local: backends as local child processes (see provider_local.h). */
#include "provider_local.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"
#include "pool.h"
#include "oom.h"

#define NBUCKETS         1024
#define PROBE_FIRST_MS   5
#define PROBE_MAX_MS     500
#define PROBE_ATTEMPT_MS 1000
#define MS               1000000ull

#define LOCAL_DEFAULT_PATH "PATH=/usr/local/bin:/usr/bin:/bin"

enum child_state {
    CHILD_STARTING, /* spawned, probing */
    CHILD_READY,    /* probe passed; probed again every interval while idle */
    CHILD_BOUND,    /* serves a session: no more probes */
    CHILD_STOPPING, /* SIGTERM sent, SIGKILL timer armed */
};

/* Spawn backoff: after a failed spawn or a child that died before Ready,
 * further creates wait (50 ms doubling to 5 s; reset on Ready). */
struct spawn_backoff {
    uint32_t backoff_ms;
    uint32_t pending; /* creates waiting out the backoff */
    uint32_t failed;  /* spawn failures to report when the timer fires */
    struct loop_timer timer;
};

struct child {
    struct provider_local *pl;
    struct child *hnext; /* hash chain by id */
    uint64_t id;
    char name[32];
    uint16_t port;
    pid_t pid;
    enum child_state state;
    int probe_fd; /* -1 when no probe is in flight */
    size_t probe_sent;
    char probe_buf[64];
    size_t probe_len;
    uint32_t backoff_ms;
    uint32_t failures;       /* probes of the Ready pod failed in a row */
    struct loop_timer timer; /* probe retry / probe timeout / SIGKILL */
};

struct provider_local {
    struct provider base;
    struct loop *loop;
    const struct config_local *cfg; /* the pool's local: block */
    const char *pool_name;          /* the pool's name (PREWARM_POOL) */
    struct provider_events ev;
    char *program; /* resolved command[0] */
    struct spawn_backoff spawn;
    char node[256];
    uint64_t next_id;
    size_t live;
    int shutting_down;
    char *connect_key; /* PREWARM_CONNECT_KEY of every backend */
    struct child *buckets[NBUCKETS];
};

static struct provider_local *from_base(struct provider *p)
{
    return (struct provider_local *)p;
}

/* ---- child table ---- */

static struct child **slot(struct provider_local *pl, uint64_t id)
{
    struct child **pp = &pl->buckets[id % NBUCKETS];
    while (*pp && (*pp)->id != id)
        pp = &(*pp)->hnext;
    return pp;
}

static struct child *find(struct provider_local *pl, const char *pod)
{
    if (strncmp(pod, "local-", 6) || !pod[6])
        return NULL;
    char *end;
    unsigned long long id = strtoull(pod + 6, &end, 10);
    return *end ? NULL : *slot(pl, id);
}

static void child_free(struct child *c)
{
    struct provider_local *pl = c->pl;
    if (c->probe_fd >= 0) {
        loop_io_remove(pl->loop, c->probe_fd);
        close(c->probe_fd);
    }
    loop_timer_stop(pl->loop, &c->timer);
    struct child **pp = slot(pl, c->id);
    if (*pp == c)
        *pp = c->hnext;
    free(c);
}

static void backoff_grow(struct provider_local *pl)
{
    struct spawn_backoff *sb = &pl->spawn;
    sb->backoff_ms = sb->backoff_ms ? sb->backoff_ms * 2 : 50;
    if (sb->backoff_ms > 5000)
        sb->backoff_ms = 5000;
    uint64_t now = loop_now(pl->loop);
    if (!loop_timer_armed(&sb->timer))
        loop_timer_start(pl->loop, &sb->timer, now + sb->backoff_ms * MS);
}

/* Reports gone and frees the record: the pod's last word. */
static void child_gone(struct child *c)
{
    struct provider_local *pl = c->pl;
    char name[sizeof c->name];
    memcpy(name, c->name, sizeof name);
    if (c->state == CHILD_STARTING)
        backoff_grow(pl);
    pl->live--;
    child_free(c);
    pl->ev.pod_gone(pl->ev.ctx, name);
}

/* ---- readiness probe ---- */

static void probe_close(struct child *c)
{
    if (c->probe_fd < 0)
        return;
    loop_io_remove(c->pl->loop, c->probe_fd);
    close(c->probe_fd);
    c->probe_fd = -1;
}

static const struct config_local *local_cfg(const struct child *c)
{
    return c->pl->cfg;
}

static void schedule_probe(struct child *c)
{
    struct loop *loop = c->pl->loop;
    loop_timer_start(loop, &c->timer, loop_now(loop) + local_cfg(c)->probe_interval_ms * MS);
}

/* A Ready pod failed a probe: it is not handed out any more (reported
 * starting, the core moves it back to STARTING); after failure_threshold in
 * a row it is killed (a stopped or hung process ignores SIGTERM) and its
 * exit reports it gone. */
static void ready_probe_failed(struct child *c)
{
    struct provider_local *pl = c->pl;
    probe_close(c);
    if (c->failures++ == 0) {
        char addr[32];
        snprintf(addr, sizeof addr, "127.0.0.1:%u", c->port);
        pl->ev.pod_starting(pl->ev.ctx, c->name, addr, pl->node);
    }
    if (c->failures < local_cfg(c)->probe_failures)
        return schedule_probe(c);
    c->state = CHILD_STOPPING;
    kill(-c->pid, SIGKILL);
    kill(c->pid, SIGKILL);
}

/* The attempt failed: try again after the backoff. */
static void probe_retry(struct child *c)
{
    if (c->state == CHILD_READY)
        return ready_probe_failed(c);
    probe_close(c);
    loop_timer_start(c->pl->loop, &c->timer, loop_now(c->pl->loop) + c->backoff_ms * MS);
    c->backoff_ms = c->backoff_ms * 2 > PROBE_MAX_MS ? PROBE_MAX_MS : c->backoff_ms * 2;
}

static void probe_passed(struct child *c)
{
    bool was_ready = c->state == CHILD_READY && c->failures == 0;
    probe_close(c);
    c->state = CHILD_READY;
    c->failures = 0;
    c->pl->spawn.backoff_ms = 0;
    schedule_probe(c);
    if (!was_ready)
        c->pl->ev.pod_ready(c->pl->ev.ctx, c->name);
}

/* HTTP probe: send the GET, then read until the status line is complete. */
static void probe_http(struct child *c, unsigned events)
{
    char req[1200];
    int n =
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                 local_cfg(c)->probe_path);
    if (c->probe_sent < (size_t)n && (events & LOOP_WRITE)) {
        ssize_t w = write(c->probe_fd, req + c->probe_sent, (size_t)n - c->probe_sent);
        if (w < 0 && errno != EAGAIN)
            return probe_retry(c);
        c->probe_sent += w > 0 ? (size_t)w : 0;
        if (c->probe_sent == (size_t)n)
            loop_io_modify(c->pl->loop, c->probe_fd, LOOP_READ);
        return;
    }
    if (!(events & LOOP_READ))
        return;
    ssize_t r =
        read(c->probe_fd, c->probe_buf + c->probe_len, sizeof c->probe_buf - 1 - c->probe_len);
    if (r < 0 && errno == EAGAIN)
        return;
    if (r <= 0)
        return probe_retry(c);
    c->probe_len += (size_t)r;
    c->probe_buf[c->probe_len] = '\0';
    if (c->probe_len < 12) /* "HTTP/1.1 200" */
        return;
    if (!strncmp(c->probe_buf, "HTTP/1.", 7) && c->probe_buf[9] == '2')
        return probe_passed(c);
    probe_retry(c);
}

static void probe_io(struct loop *loop, int fd, unsigned events, void *data)
{
    (void)loop;
    (void)fd;
    struct child *c = data;
    if (c->probe_sent == 0 && c->probe_len == 0) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->probe_fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
            return probe_retry(c);
        if (local_cfg(c)->probe == CONFIG_PROBE_TCP)
            return probe_passed(c);
    }
    probe_http(c, events);
}

static void probe_start(struct child *c)
{
    struct provider_local *pl = c->pl;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(c->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->probe_sent = c->probe_len = 0;
    c->probe_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->probe_fd < 0)
        return probe_retry(c);
    if (connect(c->probe_fd, (struct sockaddr *)&sa, sizeof sa) && errno != EINPROGRESS)
        return probe_retry(c);
    if (loop_io_add(pl->loop, c->probe_fd, LOOP_WRITE, probe_io, c))
        return probe_retry(c);
    /* Bounds the attempt; the timer callback sees probe_fd >= 0 as a timeout. */
    uint64_t ms = c->state == CHILD_READY ? local_cfg(c)->probe_timeout_ms : PROBE_ATTEMPT_MS;
    loop_timer_start(pl->loop, &c->timer, loop_now(pl->loop) + ms * MS);
}

static void child_timer(struct loop *loop, struct loop_timer *timer)
{
    (void)loop;
    struct child *c = timer->data;
    if (c->state == CHILD_STOPPING) {
        kill(-c->pid, SIGKILL);
        kill(c->pid, SIGKILL);
        return;
    }
    if (c->state != CHILD_STARTING && c->state != CHILD_READY)
        return;
    if (c->probe_fd >= 0)
        return probe_retry(c); /* this attempt timed out */
    probe_start(c);
}

static void child_exited(struct loop *loop, pid_t pid, int status, void *data)
{
    (void)loop;
    (void)pid;
    (void)status;
    child_gone(data);
}

/* ---- spawning ---- */

/* Asks the kernel for a free loopback port. Another process may take it
 * before the child binds it; the child then exits and is replaced. */
static int free_port(uint16_t *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa) ||
             getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    *port = ntohs(sa.sin_port);
    return rc ? -1 : 0;
}

/* Copies tmpl with every "{port}" and "{pod}" replaced. */
static char *substitute(const char *tmpl, const char *port, const char *pod)
{
    size_t cap = strlen(tmpl) + 1, len = 0;
    for (const char *s = strchr(tmpl, '{'); s; s = strchr(s + 1, '{'))
        cap += strlen(port) + strlen(pod);
    char *out = xmalloc(cap);
    while (*tmpl) {
        const char *val = !strncmp(tmpl, "{port}", 6)  ? port
                          : !strncmp(tmpl, "{pod}", 5) ? pod
                                                       : NULL;
        if (val) {
            memcpy(out + len, val, strlen(val));
            len += strlen(val);
            tmpl += val == port ? 6 : 5;
        } else {
            out[len++] = *tmpl++;
        }
    }
    out[len] = '\0';
    return out;
}

static void free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* A backend's whole environment: the pool's env entries, PATH (unless the
 * pool sets it), PREWARM_PORT, PREWARM_POD, PREWARM_POOL and
 * PREWARM_CONNECT_KEY. Nothing
 * of prewarmd's own environment is passed on. */
static char **build_env(const struct provider_local *pl, const struct child *c, const char *port)
{
    const struct config_local *l = pl->cfg;
    size_t n = 0;
    bool has_path = false;
    while (l->env && l->env[n])
        has_path = has_path || !strncmp(l->env[n++], "PATH=", 5);
    char **envp = xcalloc(n + 6, sizeof *envp);
    for (size_t i = 0; i < n; i++)
        envp[i] = xstrdup(l->env[i]);
    if (!has_path)
        envp[n++] = xstrdup(LOCAL_DEFAULT_PATH);
    if (asprintf(&envp[n++], "PREWARM_PORT=%s", port) < 0 ||
        asprintf(&envp[n++], "PREWARM_POD=%s", c->name) < 0 ||
        asprintf(&envp[n++], "PREWARM_POOL=%s", pl->pool_name) < 0 ||
        asprintf(&envp[n++], "PREWARM_CONNECT_KEY=%s", pl->connect_key ? pl->connect_key : "") < 0)
        oom_abort();
    return envp;
}

/* argv from the template, envp from build_env. */
static void build_exec(const struct provider_local *pl, const struct child *c, char ***argv,
                       char ***envp)
{
    const struct config_local *l = pl->cfg;
    char port[8];
    snprintf(port, sizeof port, "%u", c->port);
    *argv = xcalloc(l->command_len + 1, sizeof **argv);
    (*argv)[0] = xstrdup(pl->program);
    for (size_t i = 1; i < l->command_len; i++)
        (*argv)[i] = substitute(l->command[i], port, c->name);
    *envp = build_env(pl, c, port);
}

static int spawn(struct provider_local *pl, struct child *c)
{
    char **argv, **envp;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t fa;
    sigset_t empty, defaults;
    build_exec(pl, c, &argv, &envp);
    sigemptyset(&empty);
    sigfillset(&defaults);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    /* Only stdin, stdout and stderr: whatever else prewarmd was started with
     * (close-on-exec or not) stays out of backends. */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    int rc = strchr(argv[0], '/') ? posix_spawn(&c->pid, argv[0], &fa, &attr, argv, envp)
                                  : posix_spawnp(&c->pid, argv[0], &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free_strv(argv);
    free_strv(envp);
    return rc;
}

/* Starts one pod; returns -1 (nothing started, nothing reported) on failure. */
static int start_one(struct provider_local *pl)
{
    struct child *c = xcalloc(1, sizeof *c);
    c->pl = pl;
    c->id = ++pl->next_id;
    c->probe_fd = -1;
    c->backoff_ms = PROBE_FIRST_MS;
    snprintf(c->name, sizeof c->name, "local-%llu", (unsigned long long)c->id);
    loop_timer_init(&c->timer, child_timer, c);
    if (free_port(&c->port) || spawn(pl, c) ||
        loop_child_watch(pl->loop, c->pid, child_exited, c)) {
        if (c->pid > 0) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, NULL, 0);
        }
        free(c);
        return -1;
    }
    *slot(pl, c->id) = c;
    pl->live++;
    char address[32];
    snprintf(address, sizeof address, "127.0.0.1:%u", c->port);
    pl->ev.pod_starting(pl->ev.ctx, c->name, address, pl->node);
    loop_timer_start(pl->loop, &c->timer, loop_now(pl->loop) + PROBE_FIRST_MS * MS);
    return 0;
}

/* Starts count pods now; failures are counted for the backoff timer. */
static void start_pods(struct provider_local *pl, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        if (start_one(pl) == 0)
            continue;
        pl->spawn.failed++;
        backoff_grow(pl);
    }
}

/* Backoff over: report failures, then start what waited. */
static void spawn_timer(struct loop *loop, struct loop_timer *timer)
{
    (void)loop;
    struct provider_local *pl = timer->data;
    uint32_t failed = pl->spawn.failed, pending = pl->spawn.pending;
    pl->spawn.failed = pl->spawn.pending = 0;
    if (pending && !pl->shutting_down)
        start_pods(pl, pending);
    if (failed) {
        char why[300];
        snprintf(why, sizeof why, "command %s", pl->program);
        pl->ev.create_failed(pl->ev.ctx, failed, why);
    }
}

/* ---- operations ---- */

static enum provider_status op_create_pods(struct provider *p, uint32_t count)
{
    struct provider_local *pl = from_base(p);
    if (pl->shutting_down)
        return PROVIDER_ERR_SPAWN;
    if (loop_timer_armed(&pl->spawn.timer))
        pl->spawn.pending += count; /* in backoff: started when the timer fires */
    else
        start_pods(pl, count);
    return PROVIDER_OK;
}

static void stop_child(struct child *c)
{
    if (c->state == CHILD_STOPPING)
        return;
    struct provider_local *pl = c->pl;
    probe_close(c);
    c->state = CHILD_STOPPING;
    kill(-c->pid, SIGTERM);
    kill(c->pid, SIGTERM);
    uint64_t grace = (uint64_t)pl->cfg->stop_grace_ms * MS;
    loop_timer_start(pl->loop, &c->timer, loop_now(pl->loop) + grace);
}

static enum provider_status op_delete_pod(struct provider *p, const char *pod)
{
    struct child *c = find(from_base(p), pod);
    if (!c)
        return PROVIDER_ERR_UNKNOWN;
    stop_child(c);
    return PROVIDER_OK;
}

static enum provider_status op_record_binding(struct provider *p, const struct pool_session_info *s)
{
    struct child *c = find(from_base(p), s->pod);
    if (!c)
        return PROVIDER_ERR_UNKNOWN;
    if (c->state == CHILD_READY) { /* the session's own traffic is its check now */
        probe_close(c);
        loop_timer_stop(c->pl->loop, &c->timer);
        c->state = CHILD_BOUND;
    }
    return PROVIDER_OK;
}

static void op_set_connect_key(struct provider *p, const char *key)
{
    struct provider_local *pl = from_base(p);
    free(pl->connect_key);
    pl->connect_key = xstrdup(key);
}

static void op_shutdown(struct provider *p)
{
    struct provider_local *pl = from_base(p);
    pl->shutting_down = 1;
    for (size_t b = 0; b < NBUCKETS; b++)
        for (struct child *c = pl->buckets[b]; c; c = c->hnext)
            stop_child(c);
}

static size_t op_live_count(const struct provider *p)
{
    return ((const struct provider_local *)p)->live;
}

static uint32_t op_stop_grace_ms(const struct provider *p)
{
    return ((const struct provider_local *)p)->cfg->stop_grace_ms;
}

static void op_free(struct provider *p)
{
    struct provider_local *pl = from_base(p);
    if (!pl)
        return;
    for (size_t b = 0; b < NBUCKETS; b++) {
        while (pl->buckets[b]) {
            struct child *c = pl->buckets[b];
            loop_child_unwatch(pl->loop, c->pid);
            kill(-c->pid, SIGKILL);
            kill(c->pid, SIGKILL);
            waitpid(c->pid, NULL, 0);
            child_free(c);
        }
    }
    loop_timer_stop(pl->loop, &pl->spawn.timer);
    free(pl->program);
    free(pl->connect_key);
    free(pl);
}

static const struct provider_ops local_ops = {
    .name = "local",
    .create_pods = op_create_pods,
    .delete_pod = op_delete_pod,
    .record_binding = op_record_binding,
    .shutdown = op_shutdown,
    .live_count = op_live_count,
    .stop_grace_ms = op_stop_grace_ms,
    .free = op_free,
    .set_connect_key = op_set_connect_key,
};

/* command[0] without '/': next to our own executable if it is there. */
static char *resolve_program(const char *cmd)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (strchr(cmd, '/') || n <= 0)
        return xstrdup(cmd);
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    char *path = NULL;
    if (slash && asprintf(&path, "%.*s/%s", (int)(slash - self), self, cmd) > 0 &&
        access(path, X_OK) == 0)
        return path;
    free(path);
    return xstrdup(cmd);
}

struct provider *provider_local_new(struct loop *loop, const struct config_pool *pool,
                                    const struct provider_events *events, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct provider_local *pl = xcalloc(1, sizeof *pl);
    pl->base.ops = &local_ops;
    pl->loop = loop;
    pl->cfg = &pool->local;
    pl->pool_name = pool->name;
    pl->ev = *events;
    pl->program = resolve_program(pool->local.command[0]);
    loop_timer_init(&pl->spawn.timer, spawn_timer, pl);
    if (gethostname(pl->node, sizeof pl->node - 1) || !pl->node[0])
        snprintf(pl->node, sizeof pl->node, "localhost");
    return &pl->base;
}

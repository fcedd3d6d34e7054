/*
 * loop.c: epoll + binary min-heap timers + pidfd children + signalfd.
 * Where pidfd_open is missing (ENOSYS: old kernels, valgrind 3.19), watched
 * children are found by a waitpid poll every 50 ms instead.
 *
 * File descriptor records live in an array indexed by fd. Each record has a
 * generation number that is stored in the epoll event next to the fd, so a
 * record removed (or removed and re-added for a new socket with the same
 * number) while a batch of events is being dispatched never sees the stale
 * events of the batch: removal inside any callback is safe and frees nothing.
 *
 * A turn: before-sleep hooks, epoll_wait (bounded by the next timer), clock
 * read, expired timers, ready descriptors, before-sleep hooks again.
 */
#include "loop.h"

#include "oom.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS  128
#define MAX_SIGNALS 65

struct io_rec {
    loop_io_fn *cb;
    void *data;
    unsigned events;
    uint32_t gen;
    bool active;
};

struct child {
    struct child *next;
    pid_t pid;
    int pidfd; /* -1: no pidfd_open here, found by the poll timer */
    loop_child_fn *cb;
    void *data;
};

struct hook {
    loop_hook_fn *cb;
    void *data;
};

struct signal_rec {
    loop_signal_fn *cb;
    void *data;
};

struct loop {
    int epfd;
    int sigfd;
    sigset_t sigmask;
    struct io_rec *ios;
    size_t ios_cap;
    struct loop_timer **heap;
    size_t heap_len, heap_cap;
    struct child *children;
    struct loop_timer child_poll; /* only while a child has no pidfd */
    struct hook *hooks;
    size_t hooks_len, hooks_cap;
    bool hooks_running, hooks_removed;
    struct signal_rec signals[MAX_SIGNALS];
    uint64_t now;
    bool stop;
};

static uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void signal_ready(struct loop *loop, int fd, unsigned events, void *data);
static void child_poll(struct loop *loop, struct loop_timer *t);

struct loop *loop_new(void)
{
    struct loop *loop = xcalloc(1, sizeof(*loop));
    loop->sigfd = -1;
    loop_timer_init(&loop->child_poll, child_poll, NULL);
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0)
        goto fail;
    sigemptyset(&loop->sigmask);
    loop->sigfd = signalfd(-1, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (loop->sigfd < 0)
        goto fail;
    if (loop_io_add(loop, loop->sigfd, LOOP_READ, signal_ready, NULL) < 0)
        goto fail;
    loop->now = clock_ns();
    return loop;
fail:;
    int saved = errno;
    loop_free(loop);
    errno = saved;
    return NULL;
}

void loop_free(struct loop *loop)
{
    if (!loop)
        return;
    while (loop->children) {
        struct child *c = loop->children;
        loop->children = c->next;
        if (c->pidfd >= 0)
            close(c->pidfd);
        free(c);
    }
    if (loop->sigfd >= 0)
        close(loop->sigfd);
    if (loop->epfd >= 0)
        close(loop->epfd);
    free(loop->ios);
    free(loop->heap);
    free(loop->hooks);
    free(loop);
}

uint64_t loop_now(const struct loop *loop)
{
    return loop->now;
}

uint64_t loop_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void loop_stop(struct loop *loop)
{
    loop->stop = true;
}

/* ---- file descriptors ---- */

static uint32_t to_epoll(unsigned events)
{
    uint32_t ev = 0;
    if (events & LOOP_READ)
        ev |= EPOLLIN | EPOLLRDHUP;
    if (events & LOOP_WRITE)
        ev |= EPOLLOUT;
    return ev;
}

static int grow_ios(struct loop *loop, int fd)
{
    if ((size_t)fd < loop->ios_cap)
        return 0;
    size_t cap = loop->ios_cap ? loop->ios_cap : 64;
    while (cap <= (size_t)fd)
        cap *= 2;
    struct io_rec *ios = xrealloc(loop->ios, cap * sizeof(*ios));
    memset(ios + loop->ios_cap, 0, (cap - loop->ios_cap) * sizeof(*ios));
    loop->ios = ios;
    loop->ios_cap = cap;
    return 0;
}

static int epoll_set(struct loop *loop, int op, int fd)
{
    struct io_rec *r = &loop->ios[fd];
    struct epoll_event ev = {.events = to_epoll(r->events)};
    ev.data.u64 = ((uint64_t)r->gen << 32) | (uint32_t)fd;
    return epoll_ctl(loop->epfd, op, fd, &ev);
}

int loop_io_add(struct loop *loop, int fd, unsigned events, loop_io_fn *cb, void *data)
{
    if (fd < 0 || !cb) {
        errno = EINVAL;
        return -1;
    }
    if (grow_ios(loop, fd) < 0)
        return -1;
    struct io_rec *r = &loop->ios[fd];
    if (r->active) {
        errno = EEXIST;
        return -1;
    }
    r->gen++;
    r->cb = cb;
    r->data = data;
    r->events = events;
    if (epoll_set(loop, EPOLL_CTL_ADD, fd) < 0)
        return -1;
    r->active = true;
    return 0;
}

int loop_io_modify(struct loop *loop, int fd, unsigned events)
{
    if (fd < 0 || (size_t)fd >= loop->ios_cap || !loop->ios[fd].active) {
        errno = ENOENT;
        return -1;
    }
    if (loop->ios[fd].events == events)
        return 0;
    loop->ios[fd].events = events;
    return epoll_set(loop, EPOLL_CTL_MOD, fd);
}

int loop_io_remove(struct loop *loop, int fd)
{
    if (fd < 0 || (size_t)fd >= loop->ios_cap || !loop->ios[fd].active) {
        errno = ENOENT;
        return -1;
    }
    struct io_rec *r = &loop->ios[fd];
    r->active = false;
    r->gen++;
    r->cb = NULL;
    r->data = NULL;
    /* EBADF when the caller closed the fd first: the kernel already forgot it. */
    if (epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != EBADF)
        return -1;
    return 0;
}

static unsigned from_epoll(uint32_t ev, unsigned wanted)
{
    unsigned out = 0;
    if (ev & (EPOLLIN | EPOLLRDHUP))
        out |= LOOP_READ;
    if (ev & EPOLLOUT)
        out |= LOOP_WRITE;
    if (ev & (EPOLLERR | EPOLLHUP))
        out |= wanted;
    out &= wanted;
    return out ? out : wanted;
}

static void dispatch_io(struct loop *loop, const struct epoll_event *evs, int n)
{
    for (int i = 0; i < n; i++) {
        int fd = (int)(uint32_t)evs[i].data.u64;
        uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
        if ((size_t)fd >= loop->ios_cap)
            continue;
        struct io_rec *r = &loop->ios[fd];
        if (!r->active || r->gen != gen)
            continue;
        r->cb(loop, fd, from_epoll(evs[i].events, r->events), r->data);
    }
}

/* ---- timers: binary min-heap of intrusive records ---- */

static bool earlier(const struct loop_timer *a, const struct loop_timer *b)
{
    return a->when_ns < b->when_ns;
}

static void heap_place(struct loop *loop, size_t i, struct loop_timer *t)
{
    loop->heap[i] = t;
    t->heap_index = i;
}

static void sift_up(struct loop *loop, size_t i)
{
    struct loop_timer *t = loop->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(t, loop->heap[parent]))
            break;
        heap_place(loop, i, loop->heap[parent]);
        i = parent;
    }
    heap_place(loop, i, t);
}

static void sift_down(struct loop *loop, size_t i)
{
    struct loop_timer *t = loop->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= loop->heap_len)
            break;
        if (child + 1 < loop->heap_len && earlier(loop->heap[child + 1], loop->heap[child]))
            child++;
        if (!earlier(loop->heap[child], t))
            break;
        heap_place(loop, i, loop->heap[child]);
        i = child;
    }
    heap_place(loop, i, t);
}

void loop_timer_init(struct loop_timer *timer, loop_timer_fn *cb, void *data)
{
    timer->when_ns = 0;
    timer->heap_index = SIZE_MAX;
    timer->cb = cb;
    timer->data = data;
}

int loop_timer_armed(const struct loop_timer *timer)
{
    return timer->heap_index != SIZE_MAX;
}

void loop_timer_stop(struct loop *loop, struct loop_timer *timer)
{
    size_t i = timer->heap_index;
    if (i == SIZE_MAX)
        return;
    timer->heap_index = SIZE_MAX;
    struct loop_timer *last = loop->heap[--loop->heap_len];
    if (i == loop->heap_len)
        return;
    heap_place(loop, i, last);
    if (i > 0 && earlier(last, loop->heap[(i - 1) / 2]))
        sift_up(loop, i);
    else
        sift_down(loop, i);
}

/* Out of memory aborts (oom.h); a timer cannot fail to arm. */
void loop_timer_start(struct loop *loop, struct loop_timer *timer, uint64_t when_ns)
{
    loop_timer_stop(loop, timer);
    if (loop->heap_len == loop->heap_cap) {
        size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
        struct loop_timer **heap = xrealloc(loop->heap, cap * sizeof(*heap));
        loop->heap = heap;
        loop->heap_cap = cap;
    }
    timer->when_ns = when_ns;
    heap_place(loop, loop->heap_len++, timer);
    sift_up(loop, timer->heap_index);
}

/* Runs the timers due now; a timer re-armed for the past waits for the next
 * turn, so a callback that keeps re-arming cannot starve descriptors. */
static void run_timers(struct loop *loop)
{
    size_t budget = loop->heap_len;
    while (budget-- > 0 && loop->heap_len > 0 && loop->heap[0]->when_ns <= loop->now) {
        struct loop_timer *t = loop->heap[0];
        loop_timer_stop(loop, t);
        t->cb(loop, t);
    }
}

static int wait_timeout(const struct loop *loop, int timeout_ms)
{
    if (loop->heap_len == 0)
        return timeout_ms;
    uint64_t now = clock_ns();
    uint64_t when = loop->heap[0]->when_ns;
    uint64_t ms = when <= now ? 0 : (when - now + 999999) / 1000000;
    if (ms > INT_MAX)
        ms = INT_MAX;
    if (timeout_ms < 0 || (int)ms < timeout_ms)
        return (int)ms;
    return timeout_ms;
}

/* ---- before-sleep hooks ---- */

void loop_before_sleep(struct loop *loop, loop_hook_fn *cb, void *data)
{
    if (loop->hooks_len == loop->hooks_cap) {
        size_t cap = loop->hooks_cap ? loop->hooks_cap * 2 : 8;
        struct hook *hooks = xrealloc(loop->hooks, cap * sizeof(*hooks));
        loop->hooks = hooks;
        loop->hooks_cap = cap;
    }
    loop->hooks[loop->hooks_len++] = (struct hook){cb, data};
}

static void compact_hooks(struct loop *loop)
{
    size_t out = 0;
    for (size_t i = 0; i < loop->hooks_len; i++)
        if (loop->hooks[i].cb)
            loop->hooks[out++] = loop->hooks[i];
    loop->hooks_len = out;
    loop->hooks_removed = false;
}

void loop_before_sleep_remove(struct loop *loop, loop_hook_fn *cb, void *data)
{
    for (size_t i = 0; i < loop->hooks_len; i++) {
        if (loop->hooks[i].cb == cb && loop->hooks[i].data == data) {
            loop->hooks[i].cb = NULL;
            loop->hooks_removed = true;
            break;
        }
    }
    if (!loop->hooks_running)
        compact_hooks(loop);
}

static void run_hooks(struct loop *loop)
{
    loop->hooks_running = true;
    size_t n = loop->hooks_len; /* hooks added by a hook run next turn */
    for (size_t i = 0; i < n; i++)
        if (loop->hooks[i].cb)
            loop->hooks[i].cb(loop, loop->hooks[i].data);
    loop->hooks_running = false;
    if (loop->hooks_removed)
        compact_hooks(loop);
}

/* ---- children (pidfd; a poll where the kernel or a tool has none) ---- */

#define CHILD_POLL_NS 50000000ull /* without pidfd_open (valgrind 3.19): 50 ms */

static void child_unlink(struct loop *loop, struct child *c)
{
    for (struct child **p = &loop->children; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    if (c->pidfd >= 0) {
        loop_io_remove(loop, c->pidfd);
        close(c->pidfd);
    }
}

/* Reaps c if it exited and runs its callback; false if it still runs. */
static bool child_reap(struct loop *loop, struct child *c)
{
    int status = 0;
    pid_t r = waitpid(c->pid, &status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR))
        return false; /* not exited yet */
    /* r < 0 (ECHILD): someone else reaped it; report status 0. */
    child_unlink(loop, c);
    loop_child_fn *cb = c->cb;
    void *cb_data = c->data;
    pid_t pid = c->pid;
    free(c);
    cb(loop, pid, r < 0 ? 0 : status, cb_data);
    return true;
}

static void child_ready(struct loop *loop, int fd, unsigned events, void *data)
{
    (void)fd;
    (void)events;
    child_reap(loop, data);
}

static void child_poll(struct loop *loop, struct loop_timer *t)
{
    bool waiting = false;
    for (struct child *c = loop->children, *next; c; c = next) {
        next = c->next; /* c may be freed, and callbacks may add children */
        if (c->pidfd < 0 && !child_reap(loop, c))
            waiting = true;
    }
    for (struct child *c = loop->children; c && !waiting; c = c->next)
        waiting = c->pidfd < 0;
    if (waiting)
        loop_timer_start(loop, t, loop_now(loop) + CHILD_POLL_NS);
}

int loop_child_watch(struct loop *loop, pid_t pid, loop_child_fn *cb, void *data)
{
    struct child *c = xcalloc(1, sizeof(*c));
    c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (c->pidfd < 0 && errno != ENOSYS)
        goto fail;
    c->pid = pid;
    c->cb = cb;
    c->data = data;
    if (c->pidfd >= 0 && loop_io_add(loop, c->pidfd, LOOP_READ, child_ready, c) < 0)
        goto fail;
    c->next = loop->children;
    loop->children = c;
    if (c->pidfd < 0 && !loop_timer_armed(&loop->child_poll))
        loop_timer_start(loop, &loop->child_poll, loop_now(loop) + CHILD_POLL_NS);
    return 0;
fail:;
    int saved = errno;
    if (c->pidfd >= 0)
        close(c->pidfd);
    free(c);
    errno = saved;
    return -1;
}

int loop_child_unwatch(struct loop *loop, pid_t pid)
{
    for (struct child *c = loop->children; c; c = c->next) {
        if (c->pid != pid)
            continue;
        child_unlink(loop, c);
        free(c);
        return 0;
    }
    errno = ENOENT;
    return -1;
}

/* ---- signals (signalfd) ---- */

static void signal_ready(struct loop *loop, int fd, unsigned events, void *data)
{
    (void)events;
    (void)data;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        int signo = (int)si.ssi_signo;
        if (signo > 0 && signo < MAX_SIGNALS && loop->signals[signo].cb)
            loop->signals[signo].cb(loop, signo, loop->signals[signo].data);
    }
}

int loop_signal_watch(struct loop *loop, int signo, loop_signal_fn *cb, void *data)
{
    if (signo <= 0 || signo >= MAX_SIGNALS || !cb) {
        errno = EINVAL;
        return -1;
    }
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, signo);
    if (sigprocmask(SIG_BLOCK, &one, NULL) < 0)
        return -1;
    sigaddset(&loop->sigmask, signo);
    if (signalfd(loop->sigfd, &loop->sigmask, 0) < 0)
        return -1;
    loop->signals[signo] = (struct signal_rec){cb, data};
    return 0;
}

/* ---- running ---- */

int loop_run_once(struct loop *loop, int timeout_ms)
{
    struct epoll_event evs[MAX_EVENTS];
    run_hooks(loop);
    int n = epoll_wait(loop->epfd, evs, MAX_EVENTS, wait_timeout(loop, timeout_ms));
    if (n < 0) {
        if (errno != EINTR)
            return -1;
        n = 0;
    }
    loop->now = clock_ns();
    run_timers(loop);
    dispatch_io(loop, evs, n);
    run_hooks(loop);
    return 0;
}

int loop_run(struct loop *loop)
{
    loop->stop = false;
    while (!loop->stop) {
        if (loop_run_once(loop, -1) < 0)
            return -1;
    }
    return 0;
}

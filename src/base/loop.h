/*
 * loop: the daemon's single-threaded event loop.
 *
 * One thread runs everything prewarm does: HTTP connections, the pool core,
 * child processes of the local provider and libcurl's sockets for the
 * Kubernetes client. Nothing on this thread may block; nothing outside it
 * touches loop-owned state, so no locks are needed.
 *
 * Backend: epoll for file descriptors, a binary min-heap of intrusive timers
 * (the caller embeds `struct loop_timer` in its own record, so arming a timer
 * allocates nothing), pidfd for child exits and signalfd for signals.
 *
 * A turn of the loop runs, in order: expired timers, ready file descriptors,
 * then the before-sleep hooks (where connections flush their batched output),
 * then waits in epoll_wait until the next timer is due.
 *
 * Ownership: the loop never owns the records it is handed (timers, callback
 * data); the caller keeps them alive until it has removed them. Removing a
 * watch from inside its own callback is allowed.
 *
 * Time: loop_now() is CLOCK_MONOTONIC in nanoseconds, read once per turn.
 */
#ifndef PREWARM_LOOP_H
#define PREWARM_LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;

enum loop_events {
    LOOP_READ = 1u << 0,
    LOOP_WRITE = 1u << 1,
};

typedef void loop_io_fn(struct loop *loop, int fd, unsigned events, void *data);

struct loop_timer;
typedef void loop_timer_fn(struct loop *loop, struct loop_timer *timer);

/* Embedded in the caller's record; fields are private to loop.c. */
struct loop_timer {
    uint64_t when_ns;
    size_t heap_index; /* SIZE_MAX when not armed */
    loop_timer_fn *cb;
    void *data;
};

/* status is the wait(2) status word. */
typedef void loop_child_fn(struct loop *loop, pid_t pid, int status, void *data);
typedef void loop_signal_fn(struct loop *loop, int signo, void *data);
typedef void loop_hook_fn(struct loop *loop, void *data);

/* Returns NULL (errno set) if the kernel refuses epoll or signalfd. */
struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Runs turns until loop_stop(); returns 0, or -1 with errno on a fatal error. */
int loop_run(struct loop *loop);
/* Runs at most one turn, waiting at most timeout_ms (-1: until an event). */
int loop_run_once(struct loop *loop, int timeout_ms);
void loop_stop(struct loop *loop);

uint64_t loop_now(const struct loop *loop);
/* CLOCK_MONOTONIC in nanoseconds, read now (not cached per turn): for
 * measuring durations inside one turn. */
uint64_t loop_clock_ns(void);

int loop_io_add(struct loop *loop, int fd, unsigned events, loop_io_fn *cb, void *data);
int loop_io_modify(struct loop *loop, int fd, unsigned events);
int loop_io_remove(struct loop *loop, int fd);

void loop_timer_init(struct loop_timer *timer, loop_timer_fn *cb, void *data);
/* Arms (or re-arms) the timer for an absolute loop_now() time. */
void loop_timer_start(struct loop *loop, struct loop_timer *timer, uint64_t when_ns);
void loop_timer_stop(struct loop *loop, struct loop_timer *timer);
int loop_timer_armed(const struct loop_timer *timer);

/* Calls cb once when the child exits (pidfd, or a 50 ms waitpid poll where
 * pidfd_open is missing); the loop reaps it. */
int loop_child_watch(struct loop *loop, pid_t pid, loop_child_fn *cb, void *data);
/* Stops watching pid (its callback will not run; the child is not reaped).
 * Returns 0, or -1 if pid was not watched. */
int loop_child_unwatch(struct loop *loop, pid_t pid);
/* Blocks signo for the process and delivers it through signalfd. The mask is
 * inherited by children: spawn them with an empty mask
 * (posix_spawnattr_setsigmask) or they will ignore these signals. The signal
 * stays blocked after loop_free. */
int loop_signal_watch(struct loop *loop, int signo, loop_signal_fn *cb, void *data);
/* Runs cb at the end of every turn, before the loop sleeps. */
void loop_before_sleep(struct loop *loop, loop_hook_fn *cb, void *data);
/* Removes the hook registered with the same cb and data (safe inside hooks). */
void loop_before_sleep_remove(struct loop *loop, loop_hook_fn *cb, void *data);

#endif

/* Tests for src/loop.c: timers, descriptors, children, signals, hooks. */
#include "loop.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MS 1000000ull

struct order {
    int fired[64];
    int n;
};

struct tagged_timer {
    struct loop_timer t;
    struct order *order;
    int tag;
};

static void record_fire(struct loop *loop, struct loop_timer *timer)
{
    (void)loop;
    struct tagged_timer *tt = timer->data;
    tt->order->fired[tt->order->n++] = tt->tag;
}

/* Turns the loop until *flag is set or 5 s pass; returns the flag. */
static int run_until(struct loop *loop, const int *flag)
{
    for (int i = 0; i < 5000 && !*flag; i++)
        cr_assert_eq(loop_run_once(loop, 1), 0);
    return *flag;
}

Test(loop, timers_fire_in_deadline_order)
{
    struct loop *loop = loop_new();
    cr_assert_not_null(loop);
    struct order order = {0};
    struct tagged_timer ts[5];
    const int delays[5] = {4, 1, 3, 0, 2};
    uint64_t now = loop_now(loop);
    for (int i = 0; i < 5; i++) {
        ts[i].order = &order;
        ts[i].tag = delays[i];
        loop_timer_init(&ts[i].t, record_fire, &ts[i]);
        loop_timer_start(loop, &ts[i].t, now + (uint64_t)delays[i] * MS);
        cr_assert(loop_timer_armed(&ts[i].t));
    }
    for (int i = 0; i < 5000 && order.n < 5; i++)
        loop_run_once(loop, 10);
    cr_assert_eq(order.n, 5);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(order.fired[i], i, "position %d fired tag %d", i, order.fired[i]);
    cr_assert(loop_now(loop) >= now + 4 * MS);
    for (int i = 0; i < 5; i++)
        cr_assert_not(loop_timer_armed(&ts[i].t));
    loop_free(loop);
}

Test(loop, timer_stop_and_rearm)
{
    struct loop *loop = loop_new();
    struct order order = {0};
    struct tagged_timer a = {.order = &order, .tag = 1}, b = {.order = &order, .tag = 2};
    loop_timer_init(&a.t, record_fire, &a);
    loop_timer_init(&b.t, record_fire, &b);
    uint64_t now = loop_now(loop);
    loop_timer_start(loop, &a.t, now + 1 * MS);
    loop_timer_start(loop, &b.t, now + 2 * MS);
    loop_timer_stop(loop, &a.t);
    cr_assert_not(loop_timer_armed(&a.t));
    loop_timer_start(loop, &b.t, now); /* re-arm earlier */
    loop_timer_start(loop, &a.t, now + 3 * MS);
    for (int i = 0; i < 5000 && order.n < 2; i++)
        loop_run_once(loop, 10);
    cr_assert_eq(order.n, 2);
    cr_assert_eq(order.fired[0], 2);
    cr_assert_eq(order.fired[1], 1);
    loop_free(loop);
}

/* Many timers armed, stopped and re-armed at random still fire in deadline
 * order; all are already due, so one turn runs them all from the heap. */
Test(loop, timer_heap_keeps_order_under_churn)
{
    struct loop *loop = loop_new();
    enum { N = 60 };
    struct order order = {0};
    struct tagged_timer ts[N];
    uint64_t base = loop_now(loop) - 1000;
    srand(7);
    for (int i = 0; i < N; i++) {
        ts[i].order = &order;
        ts[i].tag = rand() % 1000;
        loop_timer_init(&ts[i].t, record_fire, &ts[i]);
        loop_timer_start(loop, &ts[i].t, base + (uint64_t)ts[i].tag);
    }
    int armed = N;
    for (int i = 0; i < N; i += 3, armed--)
        loop_timer_stop(loop, &ts[i].t);
    for (int i = 0; i < N; i += 5) {
        armed += !loop_timer_armed(&ts[i].t);
        ts[i].tag = rand() % 1000;
        loop_timer_start(loop, &ts[i].t, base + (uint64_t)ts[i].tag);
    }
    cr_assert_eq(loop_run_once(loop, 0), 0);
    cr_assert_eq(order.n, armed);
    for (int i = 1; i < order.n; i++)
        cr_assert(order.fired[i - 1] <= order.fired[i], "out of order at %d", i);
    loop_free(loop);
}

struct io_probe {
    int calls;
    unsigned events;
    int remove_fd; /* removed by the callback when >= 0 */
};

static void io_seen(struct loop *loop, int fd, unsigned events, void *data)
{
    struct io_probe *p = data;
    p->calls++;
    p->events |= events;
    char buf[16];
    (void)!read(fd, buf, sizeof(buf));
    if (p->remove_fd >= 0) {
        cr_assert_eq(loop_io_remove(loop, p->remove_fd), 0);
        p->remove_fd = -1;
    }
}

Test(loop, io_readiness_on_socketpair)
{
    struct loop *loop = loop_new();
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct io_probe p = {.remove_fd = -1};
    cr_assert_eq(loop_io_add(loop, sv[0], LOOP_READ, io_seen, &p), 0);
    cr_assert_eq(loop_run_once(loop, 0), 0);
    cr_assert_eq(p.calls, 0, "nothing written yet");
    cr_assert_eq(write(sv[1], "x", 1), 1);
    for (int i = 0; i < 100 && p.calls == 0; i++)
        loop_run_once(loop, 50);
    cr_assert_eq(p.calls, 1);
    cr_assert_eq(p.events, LOOP_READ);
    /* Switch to write interest: a socketpair is writable at once. */
    p.events = 0;
    cr_assert_eq(loop_io_modify(loop, sv[0], LOOP_WRITE), 0);
    for (int i = 0; i < 100 && !(p.events & LOOP_WRITE); i++)
        loop_run_once(loop, 50);
    cr_assert_eq(p.events, LOOP_WRITE);
    cr_assert_eq(loop_io_remove(loop, sv[0]), 0);
    cr_assert_eq(loop_io_remove(loop, sv[0]), -1, "second removal is an error");
    close(sv[0]);
    close(sv[1]);
    loop_free(loop);
}

/* Two ready descriptors in one batch: the first callback removes the second,
 * which must then not be called, even though its event is already fetched. */
Test(loop, removal_inside_callback_is_safe)
{
    struct loop *loop = loop_new();
    int a[2], b[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
    struct io_probe pa = {.remove_fd = b[0]}, pb = {.remove_fd = a[0]};
    cr_assert_eq(loop_io_add(loop, a[0], LOOP_READ, io_seen, &pa), 0);
    cr_assert_eq(loop_io_add(loop, b[0], LOOP_READ, io_seen, &pb), 0);
    cr_assert_eq(write(a[1], "x", 1), 1);
    cr_assert_eq(write(b[1], "x", 1), 1);
    for (int i = 0; i < 100 && pa.calls + pb.calls == 0; i++)
        loop_run_once(loop, 50);
    cr_assert_eq(pa.calls + pb.calls, 1, "exactly one of the two ran");
    /* Whichever ran removed the other; the survivor's own watch remains. */
    int survivor = pa.calls ? a[0] : b[0];
    int removed = pa.calls ? b[0] : a[0];
    cr_assert_eq(loop_io_remove(loop, removed), -1);
    cr_assert_eq(loop_io_remove(loop, survivor), 0);
    for (int i = 0; i < 2; i++) {
        close(a[i]);
        close(b[i]);
    }
    loop_free(loop);
}

struct self_remove {
    int calls;
};

static void remove_self(struct loop *loop, int fd, unsigned events, void *data)
{
    (void)events;
    struct self_remove *s = data;
    s->calls++;
    loop_io_remove(loop, fd);
    close(fd);
}

Test(loop, callback_removes_and_closes_its_own_fd)
{
    struct loop *loop = loop_new();
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct self_remove s = {0};
    cr_assert_eq(loop_io_add(loop, sv[0], LOOP_READ, remove_self, &s), 0);
    cr_assert_eq(write(sv[1], "xy", 2), 2);
    for (int i = 0; i < 100 && s.calls == 0; i++)
        loop_run_once(loop, 50);
    for (int i = 0; i < 5; i++)
        loop_run_once(loop, 0);
    cr_assert_eq(s.calls, 1);
    close(sv[1]);
    loop_free(loop);
}

struct child_probe {
    int done;
    pid_t pid;
    int status;
};

static void child_exited(struct loop *loop, pid_t pid, int status, void *data)
{
    (void)loop;
    struct child_probe *p = data;
    p->done = 1;
    p->pid = pid;
    p->status = status;
}

Test(loop, child_exit_reported_through_pidfd)
{
    struct loop *loop = loop_new();
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0)
        _exit(7);
    struct child_probe p = {0};
    cr_assert_eq(loop_child_watch(loop, pid, child_exited, &p), 0);
    cr_assert(run_until(loop, &p.done));
    cr_assert_eq(p.pid, pid);
    cr_assert(WIFEXITED(p.status));
    cr_assert_eq(WEXITSTATUS(p.status), 7);
    cr_assert_eq(waitpid(pid, NULL, WNOHANG), -1, "the loop reaped the child");
    cr_assert_eq(loop_child_unwatch(loop, pid), -1);
    loop_free(loop);
}

Test(loop, child_unwatch_stops_the_callback)
{
    struct loop *loop = loop_new();
    int sv[2];
    cr_assert_eq(pipe(sv), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        char c;
        (void)!read(sv[0], &c, 1);
        _exit(0);
    }
    struct child_probe p = {0};
    cr_assert_eq(loop_child_watch(loop, pid, child_exited, &p), 0);
    cr_assert_eq(loop_child_unwatch(loop, pid), 0);
    cr_assert_eq(write(sv[1], "x", 1), 1);
    cr_assert_eq(waitpid(pid, NULL, 0), pid);
    loop_run_once(loop, 10);
    cr_assert_eq(p.done, 0);
    close(sv[0]);
    close(sv[1]);
    loop_free(loop);
}

struct signal_probe {
    int done;
    int signo;
};

static void got_signal(struct loop *loop, int signo, void *data)
{
    (void)loop;
    struct signal_probe *p = data;
    p->done = 1;
    p->signo = signo;
}

Test(loop, signal_delivered_through_signalfd)
{
    struct loop *loop = loop_new();
    struct signal_probe p = {0};
    cr_assert_eq(loop_signal_watch(loop, SIGUSR1, got_signal, &p), 0);
    cr_assert_eq(kill(getpid(), SIGUSR1), 0);
    cr_assert(run_until(loop, &p.done));
    cr_assert_eq(p.signo, SIGUSR1);
    cr_assert_eq(loop_signal_watch(loop, 0, got_signal, &p), -1);
    loop_free(loop);
}

struct hook_probe {
    int calls;
    struct loop *loop;
    int remove_after;
};

static void hook_ran(struct loop *loop, void *data)
{
    struct hook_probe *h = data;
    if (++h->calls == h->remove_after)
        loop_before_sleep_remove(loop, hook_ran, h);
}

Test(loop, before_sleep_hooks_run_each_turn_until_removed)
{
    struct loop *loop = loop_new();
    struct hook_probe a = {.remove_after = 3}, b = {.remove_after = 0};
    loop_before_sleep(loop, hook_ran, &a);
    loop_before_sleep(loop, hook_ran, &b);
    for (int i = 0; i < 10; i++)
        loop_run_once(loop, 0);
    cr_assert_eq(a.calls, 3, "removed itself on its third run");
    cr_assert(b.calls >= 10, "runs at least once per turn");
    loop_before_sleep_remove(loop, hook_ran, &b);
    int before = b.calls;
    loop_run_once(loop, 0);
    cr_assert_eq(b.calls, before);
    loop_free(loop);
}

static void stop_loop(struct loop *loop, struct loop_timer *timer)
{
    (void)timer;
    loop_stop(loop);
}

Test(loop, run_returns_after_stop)
{
    struct loop *loop = loop_new();
    struct loop_timer t;
    loop_timer_init(&t, stop_loop, NULL);
    loop_timer_start(loop, &t, loop_now(loop) + 2 * MS);
    cr_assert_eq(loop_run(loop), 0);
    cr_assert_not(loop_timer_armed(&t));
    loop_free(loop);
}

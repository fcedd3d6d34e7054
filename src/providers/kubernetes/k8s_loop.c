/* k8s_loop: k8sclient on the daemon's loop (see k8s_loop.h). */
#include "k8s_loop.h"

#include "oom.h"

struct k8s_loop {
    struct loop *loop;
    struct k8s_client *client;
    struct loop_timer timer;
    unsigned long fd_calls, timer_calls;
};

static void on_io(struct loop *loop, int fd, unsigned events, void *data)
{
    (void)loop;
    struct k8s_loop *kl = data;
    unsigned ev =
        ((events & LOOP_READ) ? K8S_IO_READ : 0) | ((events & LOOP_WRITE) ? K8S_IO_WRITE : 0);
    if (kl->client)
        k8s_client_on_fd(kl->client, fd, ev);
}

static void watch_fd(void *ctx, int fd, unsigned events)
{
    struct k8s_loop *kl = ctx;
    kl->fd_calls++;
    if (events == 0) {
        loop_io_remove(kl->loop, fd);
        return;
    }
    unsigned ev =
        ((events & K8S_IO_READ) ? LOOP_READ : 0) | ((events & K8S_IO_WRITE) ? LOOP_WRITE : 0);
    if (loop_io_modify(kl->loop, fd, ev) != 0)
        loop_io_add(kl->loop, fd, ev, on_io, kl);
}

static void timer_fired(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct k8s_loop *kl = t->data;
    if (kl->client)
        k8s_client_on_timeout(kl->client);
}

static void set_timer(void *ctx, long ms)
{
    struct k8s_loop *kl = ctx;
    kl->timer_calls++;
    if (ms < 0)
        loop_timer_stop(kl->loop, &kl->timer);
    else
        loop_timer_start(kl->loop, &kl->timer, loop_now(kl->loop) + (uint64_t)ms * 1000000u);
}

static const struct k8s_loop_ops ops = {watch_fd, set_timer};

const struct k8s_loop_ops *k8s_loop_ops(void)
{
    return &ops;
}

struct k8s_loop *k8s_loop_new(struct loop *loop)
{
    struct k8s_loop *kl = xcalloc(1, sizeof *kl);
    kl->loop = loop;
    loop_timer_init(&kl->timer, timer_fired, kl);
    return kl;
}

void k8s_loop_attach(struct k8s_loop *kl, struct k8s_client *client)
{
    kl->client = client;
}

void k8s_loop_free(struct k8s_loop *kl)
{
    if (!kl)
        return;
    loop_timer_stop(kl->loop, &kl->timer);
    free(kl);
}

unsigned long k8s_loop_fd_calls(const struct k8s_loop *kl)
{
    return kl->fd_calls;
}

unsigned long k8s_loop_timer_calls(const struct k8s_loop *kl)
{
    return kl->timer_calls;
}

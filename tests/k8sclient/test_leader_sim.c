/* Leader election against the simulator: one leader at a time, a standby
 * takes over only after the lease duration it timed itself, a leader that
 * cannot renew stops before its lease can expire, release hands over at
 * once, epochs only grow (restart, deleted Lease). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helper_sim.h"
#include "k8s_leader.h"
#include "k8s_object.h"
#include "k8s_timer.h"

struct elector {
    struct k8s_client *c;
    struct k8s_leader *l;
    int started, stopped;
    int64_t epoch;
    uint64_t started_ms, stopped_ms;
    bool leading_at_stop;
    char holder[64];
    bool released;
};

static void on_started(void *arg, int64_t epoch)
{
    struct elector *e = arg;
    e->started++;
    e->epoch = epoch;
    e->started_ms = k8s_now_ms();
}

static void on_stopped(void *arg)
{
    struct elector *e = arg;
    e->stopped++;
    e->stopped_ms = k8s_now_ms();
    e->leading_at_stop = k8s_leader_is_leading(e->l, e->stopped_ms);
}

static void on_holder(void *arg, const char *id)
{
    struct elector *e = arg;
    strncpy(e->holder, id, sizeof(e->holder) - 1);
}

static const struct k8s_leader_events events = {on_started, on_stopped, on_holder};

static void elect(struct elector *e, const struct k8s_config *cfg, const char *id, int lease_ms,
                  int64_t floor)
{
    memset(e, 0, sizeof(*e));
    e->c = sim_client(cfg, 0, 0);
    struct k8s_leader_options o = {.name = "prewarm-leader",
                                   .identity = id,
                                   .lease_duration_ms = lease_ms,
                                   .renew_deadline_ms = lease_ms * 2 / 3,
                                   .retry_period_ms = 200,
                                   .epoch_floor = floor};
    cr_assert_eq(k8s_leader_start(e->c, &o, &events, e, &e->l), K8S_OK);
}

static void crash(struct elector *e)
{
    k8s_leader_free(e->l);
    e->l = NULL;
    k8s_client_free(e->c);
    e->c = NULL;
}

/* Drives every live elector's client until pred() holds; fails after ms. */
static void run_until(struct elector **es, int n, bool (*pred)(struct elector **), int ms)
{
    uint64_t end = k8s_now_ms() + (uint64_t)ms;
    while (!pred(es)) {
        cr_assert(k8s_now_ms() < end, "condition not reached in %d ms", ms);
        for (int i = 0; i < n; i++)
            if (es[i]->c)
                k8s_client_run(es[i]->c, 10);
    }
}

static bool first_leads(struct elector **es)
{
    return es[0]->started > 0;
}

static bool second_leads(struct elector **es)
{
    return es[1]->started > 0;
}

static bool second_sees_first_and_first_renewed(struct elector **es)
{
    struct k8s_leader_stats st;
    k8s_leader_get_stats(es[0]->l, &st);
    return strcmp(es[1]->holder, "replica-a") == 0 && st.renewals >= 3;
}

Test(leader, bad_options, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    struct k8s_leader *l = NULL;
    struct k8s_client *c = fx.c;
    struct k8s_leader_options o = {.name = "x",
                                   .identity = "a",
                                   .lease_duration_ms = 1000,
                                   .renew_deadline_ms = 2000,
                                   .epoch_floor = -1};
    cr_assert_eq(k8s_leader_start(c, &o, &events, NULL, &l), K8S_EINVAL);
    o.renew_deadline_ms = 500, o.identity = "";
    cr_assert_eq(k8s_leader_start(c, &o, &events, NULL, &l), K8S_EINVAL);
    cr_assert_null(l);
}

Test(leader, standby_takes_over_only_after_expiry, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    struct elector a, b;
    struct elector *es[2] = {&a, &b};
    elect(&a, fx.cfg, "replica-a", 3000, -1);
    run_until(es, 1, first_leads, 20000);
    cr_assert_eq(a.epoch, 0);
    cr_assert(k8s_leader_is_leading(a.l, k8s_now_ms()));
    elect(&b, fx.cfg, "replica-b", 3000, -1);
    run_until(es, 2, second_sees_first_and_first_renewed, 30000);
    cr_assert_eq(b.started, 0, "a standby must not lead while the leader renews");

    uint64_t a_deadline = k8s_leader_deadline_ms(a.l);
    cr_assert(a_deadline > 0);
    crash(&a); /* no release: the Lease still names replica-a */
    run_until(es, 2, second_leads, 30000);
    cr_assert_eq(b.epoch, 1);
    /* b could only take over after the crashed leader had stopped leading */
    cr_assert_geq(b.started_ms, a_deadline, "takeover at %lu before old deadline %lu",
                  (unsigned long)b.started_ms, (unsigned long)a_deadline);
    crash(&b);
}

static bool first_stopped(struct elector **es)
{
    return es[0]->stopped > 0;
}

static bool first_leads_again(struct elector **es)
{
    return es[0]->started > 1;
}

Test(leader, leader_that_cannot_renew_stops_before_expiry, .init = sim_fx_setup,
     .fini = sim_fx_teardown)
{
    struct elector a;
    struct elector *es[1] = {&a};
    elect(&a, fx.cfg, "replica-a", 3000, -1);
    run_until(es, 1, first_leads, 20000);
    uint64_t deadline = k8s_leader_deadline_ms(a.l);
    cr_assert(k8s_leader_is_leading(a.l, deadline - 1));
    cr_assert_not(k8s_leader_is_leading(a.l, deadline));
    cr_assert_eq(sim_control(&fx.sim, "POST", "outage", "{\"ms\":6000,\"mode\":\"503\"}", NULL),
                 200);
    run_until(es, 1, first_stopped, 30000);
    cr_assert_not(a.leading_at_stop);
    struct k8s_leader_stats st;
    k8s_leader_get_stats(a.l, &st);
    cr_assert_eq(st.losses, 1);
    /* the API returns: the same process leads again, in a new term */
    sim_control(&fx.sim, "DELETE", "outage", NULL, NULL);
    run_until(es, 1, first_leads_again, 30000);
    cr_assert_eq(a.epoch, 1);
    crash(&a);
}

static void on_released(void *arg, enum k8s_status st)
{
    struct elector *e = arg;
    cr_assert_eq(st, K8S_OK);
    e->released = true;
}

static bool first_released(struct elector **es)
{
    return es[0]->released;
}

Test(leader, release_hands_over_before_expiry, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    struct elector a, b;
    struct elector *es[2] = {&a, &b};
    elect(&a, fx.cfg, "replica-a", 20000, -1);
    run_until(es, 1, first_leads, 20000);
    elect(&b, fx.cfg, "replica-b", 20000, -1);
    run_until(es, 2, second_sees_first_and_first_renewed, 30000);
    uint64_t a_lease_end = k8s_now_ms() + 20000;
    cr_assert_eq(k8s_leader_release(a.l, on_released, &a), K8S_OK);
    cr_assert_not(k8s_leader_is_leading(a.l, k8s_now_ms()));
    run_until(es, 1, first_released, 20000);
    cr_assert_eq(a.stopped, 0, "a released elector gets no stopped callback");
    run_until(es, 2, second_leads, 30000);
    cr_assert_lt(b.started_ms, a_lease_end, "release must not wait for the lease to expire");
    cr_assert_eq(b.epoch, 1);
    crash(&a);
    crash(&b);
}

Test(leader, restart_and_deleted_lease_never_lower_the_epoch, .init = sim_fx_setup,
     .fini = sim_fx_teardown)
{
    struct elector a, a2;
    struct elector *es[2] = {&a, &a2};
    elect(&a, fx.cfg, "replica-a", 20000, 4);
    run_until(es, 1, first_leads, 20000);
    cr_assert_eq(a.epoch, 5, "a new Lease starts above the floor");
    crash(&a);
    /* the same identity restarted takes its Lease back at once, new term */
    uint64_t lease_end = k8s_now_ms() + 20000;
    elect(&a2, fx.cfg, "replica-a", 20000, -1);
    run_until(es, 2, second_leads, 30000);
    cr_assert_eq(a2.epoch, 6);
    cr_assert_lt(a2.started_ms, lease_end);
    crash(&a2);

    /* someone deletes the Lease: a new leader with the floor it has seen
     * (the highest epoch recorded on its pods) still moves forward */
    struct sim_result r = {0};
    cr_assert_eq(k8s_object_call(fx.c, "DELETE",
                                 "/apis/coordination.k8s.io/v1/namespaces/default/leases/"
                                 "prewarm-leader",
                                 NULL, NULL, NULL, 0, sim_on_result, &r, NULL),
                 K8S_OK);
    sim_wait(fx.c, &r, 10000);
    cr_assert_eq(r.status, K8S_OK, "%s", r.error.message);
    sim_result_reset(&r);
    struct elector b;
    struct elector *eb[1] = {&b};
    elect(&b, fx.cfg, "replica-b", 20000, 6);
    run_until(eb, 1, first_leads, 20000);
    cr_assert_eq(b.epoch, 7);
    crash(&b);
}

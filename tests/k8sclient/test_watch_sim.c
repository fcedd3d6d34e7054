/* The watch state machine against the simulator: events in order, resume
 * after a dropped stream without duplicates, 410 after compaction pauses
 * the watch and reports Expired, freeing from inside a callback. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "helper_sim.h"
#include "helper_watch.h"
#include "k8s_pods.h"
#include "k8s_timer.h"
#include "k8s_watch.h"

struct seen {
    int events, added, modified, deleted, expired, errors;
    char names[64][64];
    struct k8s_watch *free_me;       /* freed from inside on_event when set */
    struct k8s_client *call_from_cb; /* a GET is started from on_event when set */
    struct sim_result nested;
};

static void on_event(void *arg, enum k8s_event_type type, cJSON *object)
{
    struct seen *s = arg;
    const char *name =
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(object, "metadata"), "name"));
    if (s->events < 64)
        snprintf(s->names[s->events], 64, "%s:%s", k8s_event_type_name(type), name ? name : "?");
    s->events++;
    s->added += type == K8S_EVENT_ADDED;
    s->modified += type == K8S_EVENT_MODIFIED;
    s->deleted += type == K8S_EVENT_DELETED;
    if (s->call_from_cb) {
        cr_assert_eq(k8s_pods_get(s->call_from_cb, NULL, "none", sim_on_result, &s->nested, NULL),
                     K8S_OK);
        s->call_from_cb = NULL;
    }
    if (s->free_me) {
        k8s_watch_free(s->free_me);
        s->free_me = NULL;
    }
}

static void on_expired(void *arg, const struct k8s_error *err)
{
    struct seen *s = arg;
    cr_assert(k8s_error_is_expired(err));
    s->expired++;
}

static void on_error(void *arg, const struct k8s_error *err)
{
    (void)err;
    ((struct seen *)arg)->errors++;
}

static const struct k8s_watch_handlers handlers = {on_event, on_expired, on_error};

static struct k8s_watch *start(struct seen *s, const char *rv)
{
    struct k8s_watch_options o = {.path = fx.sim.pods_path,
                                  .label_selector = "app=w",
                                  .resource_version = rv,
                                  .backoff_initial_ms = 50,
                                  .backoff_max_ms = 400};
    struct k8s_watch *w = NULL;
    cr_assert_eq(k8s_watch_start(fx.c, &o, &handlers, s, &w), K8S_OK);
    return w;
}

/* Waits on a watch's counters with k8s_client_run_until (a deadline, not a
 * number of loop turns). */
struct bookmark_wait {
    struct k8s_watch *w;
    uint64_t want_bookmarks, want_connects;
};

static int watch_reached(void *arg)
{
    struct bookmark_wait *b = arg;
    struct k8s_watch_stats st;
    k8s_watch_get_stats(b->w, &st);
    return st.bookmarks >= b->want_bookmarks && st.connects >= b->want_connects;
}

Test(watch, events_then_resume_after_drop, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    struct seen s = {0};
    s.call_from_cb = fx.c;
    hw_create_pod(fx.c, "a");
    struct k8s_watch *w = start(&s, NULL); /* current state as ADDED */
    hw_wait_count(fx.c, &s.events, 1, 10000);
    cr_assert_str_eq(s.names[0], "ADDED:a");
    sim_wait(fx.c, &s.nested, 10000); /* the call started inside on_event */
    cr_assert_eq(s.nested.http_code, 404);
    sim_result_reset(&s.nested);
    hw_create_pod(fx.c, "b");
    hw_wait_count(fx.c, &s.added, 2, 10000);
    cr_assert_eq(sim_control(&fx.sim, "POST", "watches/drop", "{}", NULL), 200);
    hw_create_pod(fx.c, "c"); /* may happen while the watch reconnects */
    hw_delete_pod(fx.c, "a");
    hw_wait_count(fx.c, &s.deleted, 1, 15000);
    hw_wait_count(fx.c, &s.added, 3, 15000);
    /* nothing seen twice: a, b, c added once each, a deleted once (the
     * simulator's kubelet also sends MODIFIED events, not counted here) */
    hw_create_pod(fx.c, "d");
    hw_wait_count(fx.c, &s.added, 4, 10000);
    cr_assert_eq(s.added, 4, "events: %d", s.events);
    cr_assert_eq(s.deleted, 1);
    struct k8s_watch_stats st;
    k8s_watch_get_stats(w, &st);
    cr_assert_geq(st.connects, 2);
    k8s_watch_free(w);
}

Test(watch, compaction_gives_expired, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    struct seen s = {0};
    hw_create_pod(fx.c, "a");
    hw_create_pod(fx.c, "b");
    /* watch from an RV that compaction has removed */
    cr_assert_eq(sim_control(&fx.sim, "POST", "compact", "{}", NULL), 200);
    struct k8s_watch *w = start(&s, "1");
    hw_wait_count(fx.c, &s.expired, 1, 10000);
    cr_assert_eq(s.events, 0);
    /* restart from the current state: ADDED for both */
    cr_assert_eq(k8s_watch_restart(w, ""), K8S_OK);
    hw_wait_count(fx.c, &s.added, 2, 10000);
    k8s_watch_free(w);
}

Test(watch, free_inside_callback, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    struct seen s = {0};
    hw_create_pod(fx.c, "a");
    hw_create_pod(fx.c, "b");
    struct k8s_watch *w = start(&s, NULL);
    s.free_me = w;
    hw_wait_count(fx.c, &s.events, 1, 10000);
    /* A second watch on the same client sees c arrive: once it has, the
     * freed watch would have seen it too had it lived. */
    struct seen witness = {0};
    struct k8s_watch *w2 = start(&witness, NULL);
    hw_wait_count(fx.c, &witness.added, 2, 10000);
    hw_create_pod(fx.c, "c");
    hw_wait_count(fx.c, &witness.added, 3, 10000);
    cr_assert_eq(s.events, 1, "the freed watch delivered nothing after its free");
    if (!fx.sim.real) /* the simulator counts open streams; a real apiserver does not say */
        cr_assert_eq(sim_stat(&fx.sim, "watches", "open", NULL), 1, "its stream was closed");
    k8s_watch_free(w2);
}

struct quiet {
    int timeouts, others;
};

static void q_event(void *arg, enum k8s_event_type t, cJSON *o)
{
    (void)arg;
    (void)t;
    (void)o;
}

static void q_error(void *arg, const struct k8s_error *err)
{
    struct quiet *q = arg;
    if (err->status == K8S_ETIMEOUT)
        q->timeouts++;
    else
        q->others++;
}

Test(watch, idle_timeout_reconnects, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    struct quiet q = {0};
    struct k8s_watch_handlers h = {q_event, q_error, q_error};
    struct k8s_watch_options o = {.path = "/api/v1/namespaces/empty/pods",
                                  .idle_timeout_ms = 300,
                                  .backoff_initial_ms = 20,
                                  .backoff_max_ms = 40};
    struct k8s_watch *w = NULL;
    cr_assert_eq(k8s_watch_start(fx.c, &o, &h, &q, &w), K8S_OK);
    hw_wait_count(fx.c, &q.timeouts, 2, 10000);
    struct k8s_watch_stats st;
    k8s_watch_get_stats(w, &st);
    cr_assert_geq(st.connects, 2);
    k8s_watch_free(w);
}

Test(watch, server_timeout_is_routine, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    struct seen s = {0};
    struct k8s_watch_options o = {.path = fx.sim.pods_path, .timeout_min_s = 2, .timeout_max_s = 3};
    hw_create_pod(fx.c, "a");
    struct k8s_watch *w = NULL;
    cr_assert_eq(k8s_watch_start(fx.c, &o, &handlers, &s, &w), K8S_OK);
    hw_wait_count(fx.c, &s.added, 1, 10000);
    /* the server ends the stream after 2 s; the watch reconnects at once */
    struct bookmark_wait b = {.w = w, .want_connects = 2};
    cr_assert_eq(k8s_client_run_until(fx.c, watch_reached, &b, 30000), 0, "no reconnect");
    hw_create_pod(fx.c, "b");
    hw_wait_count(fx.c, &s.added, 2, 10000);
    cr_assert_eq(s.added, 2, "resumed from the last RV: a is not replayed");
    cr_assert_eq(s.errors, 0, "a clean end of stream is not an error");
    k8s_watch_free(w);
}

Test(watch, bookmarks_advance_the_resource_version)
{
    const char *args[] = {"--bookmark-interval-ms", "100", NULL};
    sim_start(&fx.sim, args);
    fx.cfg = sim_config(&fx.sim, NULL);
    fx.c = sim_client(fx.cfg, 0, 0);
    struct seen s = {0};
    struct k8s_watch_options o = {.path = "/api/v1/namespaces/quiet/pods"};
    struct k8s_watch *w = NULL;
    cr_assert_eq(k8s_watch_start(fx.c, &o, &handlers, &s, &w), K8S_OK);
    cr_assert_str_eq(k8s_watch_resource_version(w), "");
    struct bookmark_wait b = {.w = w, .want_bookmarks = 1};
    cr_assert_eq(k8s_client_run_until(fx.c, watch_reached, &b, 30000), 0, "no bookmark");
    cr_assert_eq(s.events, 0, "bookmarks are not delivered as events");
    cr_assert_neq(k8s_watch_resource_version(w)[0], '\0', "the bookmark's RV was taken");
    k8s_watch_free(w);
    sim_fx_teardown();
}

/* An abrupt end (h2 RST_STREAM INTERNAL_ERROR) is a failure, unlike a
 * clean end: reported, backed off, then resumed from the last RV without
 * replaying what was seen. */
Test(watch, abrupt_drop_is_an_error_then_resumes, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    struct seen s = {0};
    hw_create_pod(fx.c, "a");
    struct k8s_watch *w = start(&s, NULL);
    hw_wait_count(fx.c, &s.added, 1, 10000);
    cr_assert_eq(sim_control(&fx.sim, "POST", "watches/drop", "{\"abrupt\":true}", NULL), 200);
    hw_wait_count(fx.c, &s.errors, 1, 10000);
    hw_create_pod(fx.c, "b");
    hw_wait_count(fx.c, &s.added, 2, 10000);
    int added_a = 0;
    for (int i = 0; i < s.events && i < 64; i++)
        added_a += strcmp(s.names[i], "ADDED:a") == 0;
    cr_assert_eq(added_a, 1, "a is not replayed");
    struct k8s_watch_stats st;
    k8s_watch_get_stats(w, &st);
    cr_assert_geq(st.connects, 2);
    cr_assert_geq(st.failures, 1);
    k8s_watch_free(w);
}

/* True once the simulator counts more open watches than *before. */
static int watch_opened(void *arg)
{
    return sim_stat(&fx.sim, "watches", "open", NULL) > *(int *)arg;
}

/* client-go counts BOOKMARKs as events: a stream that brought one and then
 * ended cleanly within a second is routine, not a "very short watch". The
 * rule only bites within a second, so the check counts only for a stream
 * that lived less than one (on a machine too busy for that, it tries again). */
Test(watch, bookmark_then_quick_clean_end_is_routine, .init = sim_fx_setup, .fini = sim_fx_teardown)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        struct seen s = {0};
        struct k8s_watch_options o = {.path = "/api/v1/namespaces/quiet/pods"};
        struct bookmark_wait b = {.want_bookmarks = 1, .want_connects = 1};
        int before = sim_stat(&fx.sim, "watches", "open", NULL);
        uint64_t t0 = k8s_now_ms();
        cr_assert_eq(k8s_watch_start(fx.c, &o, &handlers, &s, &b.w), K8S_OK);
        cr_assert_eq(k8s_client_run_until(fx.c, watch_opened, &before, 20000), 0);
        cr_assert_eq(sim_control(&fx.sim, "POST", "watches/bookmark", "{}", NULL), 200);
        cr_assert_eq(k8s_client_run_until(fx.c, watch_reached, &b, 20000), 0);
        cr_assert_eq(sim_control(&fx.sim, "POST", "watches/drop", "{}", NULL), 200);
        b.want_connects = 2;
        cr_assert_eq(k8s_client_run_until(fx.c, watch_reached, &b, 20000), 0);
        uint64_t lived = k8s_now_ms() - t0; /* an upper bound of the first stream's life */
        struct k8s_watch_stats st;
        k8s_watch_get_stats(b.w, &st);
        k8s_watch_free(b.w);
        if (lived >= 1000)
            continue;
        cr_assert_eq(st.bookmarks, 1);
        cr_assert_eq(st.failures, 0, "a bookmark is an event for the very-short-watch rule");
        cr_assert_eq(s.errors, 0, "a bookmark is an event for the very-short-watch rule");
        return;
    }
    cr_skip_test("no stream lived less than a second in 10 tries: the machine is too busy");
}

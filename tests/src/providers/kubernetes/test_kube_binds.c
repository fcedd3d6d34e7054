/* kube_binds and kube_budget: the binding-record queue and the creation
 * budget, driven with explicit time. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "kube_binds.h"
#include "kube_budget.h"
#include "kube_pod.h"

#define S 1000000000ull

static struct kube_binding rec(const char *pod, const char *session)
{
    struct kube_binding b = {.pool = 1,
                             .claimed_at_ns = 1700000000123456000LL,
                             .expires_at_ns = 1700000300123456000LL,
                             .epoch = 7};
    snprintf(b.pod, sizeof b.pod, "%s", pod);
    snprintf(b.session, sizeof b.session, "%s", session);
    return b;
}

Test(kube_binds, encode_decode_round_trip_without_token)
{
    struct kube_binding b = rec("p-1", "s-0123456789abcdef0123456789abcdef"), back = {0};
    snprintf(b.key, sizeof b.key, "user \"7\"|x");
    snprintf(b.request_id, sizeof b.request_id, "r-1");
    char text[1024];
    cr_assert(kube_binding_encode(&b, text, sizeof text));
    cr_assert(kube_binding_decode(text, &back), "%s", text);
    cr_assert_str_eq(back.session, b.session);
    cr_assert_str_eq(back.key, b.key);
    cr_assert_str_eq(back.request_id, "r-1");
    cr_assert_eq(back.claimed_at_ns, b.claimed_at_ns);
    cr_assert_eq(back.expires_at_ns, b.expires_at_ns);
    cr_assert_eq(back.epoch, 7);
    cr_assert_str_eq(back.owner, "", "no owner written, none read");
    cr_assert_null(strstr(text, "token"));
    for (int with_rv = 0; with_rv < 2; with_rv++) {
        char *patch = kube_binding_patch(&b, with_rv ? "4711" : NULL);
        cJSON *p = cJSON_Parse(patch);
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(p, "metadata");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(meta, "annotations"), KUBE_ANNOTATION_BIND);
        const cJSON *rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
        cr_assert(cJSON_IsString(v), "%s", patch);
        cr_assert_str_eq(v->valuestring, text);
        if (with_rv)
            cr_assert(cJSON_IsString(rv) && !strcmp(rv->valuestring, "4711"), "%s", patch);
        else
            cr_assert_null(rv, "%s", patch);
        cJSON_Delete(p);
        free(patch);
    }
    const char *bad[] = {"",
                         "{}",
                         "{\"session\":\"\"}",
                         "{\"session\":\"s\",\"claimedAt\":\"x\"}",
                         "{\"session\":\"s\",\"claimedAt\":\"2023-11-14T22:13:20Z\","
                         "\"expiresAt\":\"2023-11-14T22:13:20Z\"}",
                         "[1]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_not(kube_binding_decode(bad[i], &back), "%s", bad[i]);
}

Test(kube_binds, owner_in_the_annotation)
{
    struct kube_binding b = rec("p-1", "s-0123456789abcdef0123456789abcdef"), back = {0};
    snprintf(b.key, sizeof b.key, "~api-a/user-7");
    snprintf(b.owner, sizeof b.owner, "api-a");
    char text[1024];
    cr_assert(kube_binding_encode(&b, text, sizeof text));
    cr_assert_not_null(strstr(text, "\"owner\":\"api-a\""), "%s", text);
    cr_assert(kube_binding_decode(text, &back), "%s", text);
    cr_assert_str_eq(back.owner, "api-a");
    cr_assert_str_eq(back.key, "~api-a/user-7");
    /* an owner longer than a caller name is not a binding prewarm wrote */
    const char *too_long = "{\"session\":\"s\",\"claimedAt\":\"2023-11-14T22:13:20Z\","
                           "\"expiresAt\":\"2023-11-14T22:13:20Z\",\"epoch\":1,"
                           "\"owner\":\"0123456789012345678901234567890123\"}";
    cr_assert_not(kube_binding_decode(too_long, &back));

    /* the journal's form and back keep every field */
    struct kube_journal_entry e = kube_binding_journal_entry(&b, "editor");
    struct kube_binding again;
    kube_binding_from_journal(&e, &again);
    cr_assert_str_eq(e.pool, "editor");
    cr_assert_str_eq(again.owner, "api-a");
    cr_assert_str_eq(again.key, b.key);
    cr_assert_str_eq(again.session, b.session);
    cr_assert_eq(again.expires_at_ns, b.expires_at_ns);
    cr_assert_eq(again.epoch, 7);
}

Test(kube_binds, rate_in_flight_and_fifo)
{
    struct kube_binds *q = kube_binds_new(100, 10, 2, 3, 0);
    char pod[16];
    for (int i = 0; i < 5; i++) {
        snprintf(pod, sizeof pod, "p-%d", i);
        struct kube_binding b = rec(pod, "s");
        cr_assert(kube_binds_push(q, &b));
    }
    struct kube_binding out;
    cr_assert(kube_binds_next(q, 0, &out));
    cr_assert(kube_binds_next(q, 0, &out));
    cr_assert_not(kube_binds_next(q, 0, &out), "burst 2");
    cr_assert_eq(kube_binds_wake(q, 0), S / 10 + 1);
    cr_assert(kube_binds_next(q, S / 10 + 1, &out));
    cr_assert_not(kube_binds_next(q, 10 * S, &out), "3 in flight");
    cr_assert_eq(kube_binds_wake(q, 10 * S), UINT64_MAX);
    kube_binds_free(q);
}

Test(kube_binds, one_record_per_pod_and_bounded)
{
    struct kube_binds *q = kube_binds_new(3, 0, 1, 8, 0);
    struct kube_binding a = rec("a", "s-1"), a2 = rec("a", "s-2"), b = rec("b", "s"),
                        c = rec("c", "s"), d = rec("d", "s"), out;
    cr_assert(kube_binds_push(q, &a));
    cr_assert(kube_binds_push(q, &a2));
    cr_assert(kube_binds_push(q, &b));
    cr_assert(kube_binds_push(q, &c));
    cr_assert_not(kube_binds_push(q, &d), "capacity 3");
    struct kube_binds_stats st;
    kube_binds_get_stats(q, &st);
    cr_assert_eq(st.depth, 3);
    cr_assert_eq(st.coalesced, 1);
    cr_assert_eq(st.refused, 1);
    cr_assert(kube_binds_next(q, 0, &out));
    cr_assert_str_eq(out.session, "s-2", "the newer record replaced the queued one");
    kube_binds_forget(q, "b");
    cr_assert(kube_binds_next(q, 0, &out));
    cr_assert_str_eq(out.pod, "c");
    cr_assert_not(kube_binds_next(q, 0, &out));
    kube_binds_free(q);
}

Test(kube_binds, outage_retries_with_backoff_then_drains)
{
    struct kube_binds *q = kube_binds_new(10, 0, 1, 1, 0);
    struct kube_binding a = rec("a", "s"), b = rec("b", "s"), out;
    kube_binds_push(q, &a);
    kube_binds_push(q, &b);
    uint64_t t = 0;
    for (int i = 0; i < 8; i++) {
        cr_assert(kube_binds_next(q, t, &out));
        kube_binds_finished(q, out.pod, KUBE_BIND_RETRY, t);
        uint64_t wake = kube_binds_wake(q, t);
        cr_assert_gt(wake, t, "backs off");
        cr_assert_not(kube_binds_next(q, t, &out));
        t = wake;
    }
    cr_assert_leq(kube_binds_wake(q, t) - t, 60 * S, "capped at 60 s");
    struct kube_binds_stats st;
    kube_binds_get_stats(q, &st);
    cr_assert_eq(st.depth, 2, "nothing lost during the outage");
    cr_assert_eq(st.retried, 8);
    cr_assert(kube_binds_next(q, t, &out));
    kube_binds_finished(q, out.pod, KUBE_BIND_WRITTEN, t);
    cr_assert(kube_binds_next(q, t, &out), "a success resets the back-off");
    kube_binds_finished(q, out.pod, KUBE_BIND_WRITTEN, t);
    kube_binds_get_stats(q, &st);
    cr_assert_eq(st.depth, 0);
    cr_assert_eq(st.written, 2);
    kube_binds_free(q);
}

Test(kube_binds, changes_while_in_flight)
{
    struct kube_binds *q = kube_binds_new(10, 0, 1, 4, 0);
    struct kube_binding a = rec("a", "s-1"), a2 = rec("a", "s-2"), out;
    kube_binds_push(q, &a);
    cr_assert(kube_binds_next(q, 0, &out));
    kube_binds_push(q, &a2);
    cr_assert_not(kube_binds_next(q, 0, &out), "not twice in flight");
    kube_binds_finished(q, "a", KUBE_BIND_WRITTEN, 0);
    cr_assert(kube_binds_next(q, 0, &out), "the newer record is written next");
    cr_assert_str_eq(out.session, "s-2");
    kube_binds_forget(q, "a");
    kube_binds_finished(q, "a", KUBE_BIND_RETRY, 0);
    struct kube_binds_stats st;
    kube_binds_get_stats(q, &st);
    cr_assert_eq(st.depth, 0, "a forgotten record is not retried");
    kube_binds_finished(q, "nobody", KUBE_BIND_WRITTEN, 0);
    kube_binds_free(q);
}

Test(kube_budget, rate_cap_and_backoff)
{
    struct kube_budget b;
    kube_budget_init(&b, 5, 2, 3, 0);
    cr_assert(kube_budget_take(&b, 0));
    cr_assert(kube_budget_take(&b, 0));
    cr_assert_not(kube_budget_take(&b, 0), "burst 2");
    cr_assert_eq(kube_budget_next(&b, 0), S / 5 + 1);
    cr_assert(kube_budget_take(&b, S / 5 + 1));
    cr_assert_not(kube_budget_take(&b, 10 * S), "3 in flight");
    kube_budget_done(&b);
    cr_assert(kube_budget_take(&b, 10 * S));
    kube_budget_done(&b);
    kube_budget_fail(&b, 10 * S);
    cr_assert_not(kube_budget_take(&b, 10 * S + S / 2));
    cr_assert_eq(kube_budget_next(&b, 10 * S), 11 * S);
    kube_budget_fail(&b, 11 * S);
    cr_assert_eq(kube_budget_next(&b, 11 * S), 13 * S, "doubles");
    kube_budget_ok(&b);
    cr_assert(kube_budget_take(&b, 11 * S));
    /* Over a long run the rate holds: 100 s at 5/s is about 500 creates. */
    struct kube_budget r;
    kube_budget_init(&r, 5, 1, 1000, 0);
    int n = 0;
    for (uint64_t t = 0; t <= 100 * S; t += S / 1000)
        while (kube_budget_take(&r, t))
            n++;
    cr_assert(n >= 499 && n <= 502, "%d creates", n);
}

/* Tests of metrics_kube: the Kubernetes, leader and journal families from a
 * snapshot, and which of them each configuration writes. */
#include <criterion/criterion.h>
#include <string.h>

#include "metrics_kube.h"

static char *write_kube(const struct metrics_kube *k, struct buf *b)
{
    struct metrics_writer w = {.buf = b, .format = METRICS_TEXT};
    metrics_kube_write(&w, k);
    return (char *)buf_cstr(b);
}

Test(metrics_kube, requests_by_verb_and_code_only_those_seen)
{
    struct metrics_kube_pool pool = {.name = "editor"};
    pool.stats.relists = 2;
    pool.stats.watch_restarts = 5;
    pool.stats.binds.depth = 4;
    pool.stats.binds.written = 7;
    struct metrics_kube k = {.pools = &pool, .npools = 1};
    k.api.answers[K8S_VERB_LIST][k8s_answer_slot(200)] = 3;
    k.api.answers[K8S_VERB_CREATE][k8s_answer_slot(500)] = 1;
    struct k8s_client_stats lease = {0};
    lease.answers[K8S_VERB_CREATE][k8s_answer_slot(500)] = 1;
    lease.answers[K8S_VERB_UPDATE][k8s_answer_slot(0)] = 2;
    lease.failing = true;
    metrics_kube_add_api(&k.api, &lease);
    struct buf b = {0};
    const char *out = write_kube(&k, &b);
    cr_assert(strstr(out, "prewarm_kube_api_requests_total{verb=\"list\",code=\"200\"} 3\n"));
    cr_assert(strstr(out, "prewarm_kube_api_requests_total{verb=\"create\",code=\"500\"} 2\n"));
    cr_assert(strstr(out, "prewarm_kube_api_requests_total{verb=\"update\",code=\"error\"} 2\n"));
    cr_assert_null(strstr(out, "verb=\"get\""), "a verb never used has no sample");
    cr_assert(strstr(out, "\nprewarm_kube_api_up 0\n"), "one failing client puts the API down");
    cr_assert(strstr(out, "prewarm_kube_relists_total{pool=\"editor\"} 2\n"));
    cr_assert(strstr(out, "prewarm_kube_watch_restarts_total{pool=\"editor\"} 5\n"));
    cr_assert(strstr(out, "prewarm_kube_bind_queue_depth{pool=\"editor\"} 4\n"));
    cr_assert(
        strstr(out, "prewarm_kube_bind_records_total{pool=\"editor\",result=\"written\"} 7\n"));
    cr_assert_null(strstr(out, "prewarm_leader"), "no election: no leader families");
    cr_assert_null(strstr(out, "prewarm_journal"), "no journal: no journal families");
    buf_free(&b);
}

Test(metrics_kube, leader_and_journal_families_follow_the_configuration)
{
    struct metrics_kube k = {0};
    struct buf b = {0};
    cr_assert_str_eq(write_kube(&k, &b), "", "nothing Kubernetes: nothing written");
    buf_free(&b);

    k.shared = (struct provider_shared_stats){.elected = true,
                                              .leader = true,
                                              .epoch = 7,
                                              .acquisitions = 2,
                                              .losses = 1,
                                              .journal = true,
                                              .journal_appended = 11,
                                              .journal_bytes = 420,
                                              .flush_written = 3};
    const char *out = write_kube(&k, &b);
    cr_assert(strstr(out, "# TYPE prewarm_leader gauge\nprewarm_leader 1\n"));
    cr_assert(strstr(out, "prewarm_leader_term 7\n"));
    cr_assert(strstr(out, "prewarm_leader_transitions_total{event=\"acquired\"} 2\n"));
    cr_assert(strstr(out, "prewarm_leader_transitions_total{event=\"lost\"} 1\n"));
    cr_assert(strstr(out, "prewarm_journal_records_total 11\n"));
    cr_assert(strstr(out, "# TYPE prewarm_journal_bytes gauge\nprewarm_journal_bytes 420\n"));
    cr_assert(strstr(out, "prewarm_journal_flush_total{action=\"written\"} 3\n"));
    cr_assert_null(strstr(out, "prewarm_kube_api"), "no Kubernetes pool: no API families");
    buf_free(&b);

    k.shared.elected = false; /* a journal alone still has a term */
    out = write_kube(&k, &b);
    cr_assert_null(strstr(out, "prewarm_leader "));
    cr_assert(strstr(out, "prewarm_leader_term 7\n"));
    buf_free(&b);
}

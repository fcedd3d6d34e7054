/* metrics_kube: the Kubernetes, leader and journal families (see metrics_kube.h). */
#include "metrics_kube.h"

void metrics_kube_add_api(struct k8s_client_stats *a, const struct k8s_client_stats *b)
{
    for (size_t v = 0; v < K8S_VERB_COUNT; v++)
        for (size_t c = 0; c < K8S_ANSWER_SLOTS; c++)
            a->answers[v][c] += b->answers[v][c];
    a->failing = a->failing || b->failing;
}

static void write_api(struct metrics_writer *w, const struct k8s_client_stats *api)
{
    static const char *const name = "prewarm_kube_api_requests_total";
    metrics_family(w, name, METRICS_COUNTER,
                   "HTTP requests to the Kubernetes API by verb and answer (retries each count; "
                   "code \"error\": no HTTP answer).");
    for (size_t v = 0; v < K8S_VERB_COUNT; v++)
        for (size_t c = 0; c < K8S_ANSWER_SLOTS; c++) {
            if (!api->answers[v][c])
                continue;
            const char *l[] = {"verb", k8s_verb_name((enum k8s_verb)v), "code",
                               k8s_answer_label(c)};
            metrics_sample(w, name, l, 2, (double)api->answers[v][c]);
        }
    metrics_family(w, "prewarm_kube_api_up", METRICS_GAUGE,
                   "0 while the latest Kubernetes API request got no answer or a 5xx, else 1.");
    metrics_sample(w, "prewarm_kube_api_up", NULL, 0, api->failing ? 0 : 1);
}

typedef double kube_value_fn(const struct kube_provider_stats *s);

#define KUBE_READ(fn, expr)                                                                        \
    static double fn(const struct kube_provider_stats *s)                                          \
    {                                                                                              \
        return (double)(expr);                                                                     \
    }

KUBE_READ(lists, s->lists)
KUBE_READ(relists, s->relists)
KUBE_READ(list_failures, s->list_failures)
KUBE_READ(watch_restarts, s->watch_restarts)
KUBE_READ(bind_depth, s->binds.depth)
KUBE_READ(binds_written, s->binds.written)
KUBE_READ(binds_retried, s->binds.retried)
KUBE_READ(binds_dropped, s->binds.dropped)
KUBE_READ(binds_coalesced, s->binds.coalesced)
KUBE_READ(binds_refused, s->binds.refused)
KUBE_READ(tracked, s->tracked_pods)

/* A family with one sample per Kubernetes pool, or one per pool and value
 * of a second label. */
static const struct kube_family {
    const char *name, *help;
    enum metrics_type type;
    const char *label; /* NULL: the pool label only */
    size_t nvalues;
    const char *values[5];
    kube_value_fn *read[5];
} pool_families[] = {
    {"prewarm_kube_lists_total",
     "Pod lists by a Kubernetes pool's informers (pages excluded).",
     METRICS_COUNTER,
     NULL,
     1,
     {0},
     {lists}},
    {"prewarm_kube_relists_total",
     "Pod lists after a watch's resourceVersion expired (410), by Kubernetes pool.",
     METRICS_COUNTER,
     NULL,
     1,
     {0},
     {relists}},
    {"prewarm_kube_list_failures_total",
     "Pod lists that failed (retried with back-off), by pool.",
     METRICS_COUNTER,
     NULL,
     1,
     {0},
     {list_failures}},
    {"prewarm_kube_watch_restarts_total",
     "Pod watch streams opened again (server timeout, lost connection, relist), by pool.",
     METRICS_COUNTER,
     NULL,
     1,
     {0},
     {watch_restarts}},
    {"prewarm_kube_bind_queue_depth",
     "Binding records waiting to be patched onto their pods, by Kubernetes pool.",
     METRICS_GAUGE,
     NULL,
     1,
     {0},
     {bind_depth}},
    {"prewarm_kube_bind_records_total",
     "Binding records by pool and what became of them.",
     METRICS_COUNTER,
     "result",
     5,
     {"written", "retried", "dropped", "coalesced", "refused"},
     {binds_written, binds_retried, binds_dropped, binds_coalesced, binds_refused}},
    {"prewarm_kube_pods_tracked",
     "Pods in a Kubernetes pool's informer stores.",
     METRICS_GAUGE,
     NULL,
     1,
     {0},
     {tracked}},
};

static void write_pool_family(struct metrics_writer *w, const struct kube_family *f,
                              const struct metrics_kube *k)
{
    metrics_family(w, f->name, f->type, f->help);
    for (size_t i = 0; i < k->npools; i++)
        for (size_t j = 0; j < f->nvalues; j++) {
            const char *l[] = {"pool", k->pools[i].name, f->label, f->values[j]};
            metrics_sample(w, f->name, l, f->label ? 2 : 1, f->read[j](&k->pools[i].stats));
        }
}

/* One family, one unlabelled sample. */
static void single(struct metrics_writer *w, const char *name, enum metrics_type type,
                   const char *help, double value)
{
    metrics_labelled(w, name, type, help, NULL, NULL, &value, 1);
}

static void write_shared(struct metrics_writer *w, const struct provider_shared_stats *s)
{
    if (s->elected) {
        static const char *const events[2] = {"acquired", "lost"};
        single(w, "prewarm_leader", METRICS_GAUGE,
               "1 while this replica holds the leader Lease and may answer claims, else 0.",
               s->leader ? 1 : 0);
        double n[2] = {(double)s->acquisitions, (double)s->losses};
        metrics_labelled(w, "prewarm_leader_transitions_total", METRICS_COUNTER,
                         "Leadership changes of this replica.", "event", events, n, 2);
    }
    if (s->elected || s->journal)
        single(w, "prewarm_leader_term", METRICS_GAUGE,
               "Current (or last) leader term, signed into connect tokens and bindings.",
               (double)s->epoch);
    if (!s->journal)
        return;
    static const char *const actions[2] = {"written", "deleted"};
    single(w, "prewarm_journal_records_total", METRICS_COUNTER,
           "Records appended to the bind journal since start.", (double)s->journal_appended);
    single(w, "prewarm_journal_bytes", METRICS_GAUGE, "Size of the bind journal file.",
           (double)s->journal_bytes);
    single(w, "prewarm_journal_failures_total", METRICS_COUNTER,
           "Claims refused because the bind journal could not write.", (double)s->journal_failures);
    double flushed[2] = {(double)s->flush_written, (double)s->flush_deleted};
    metrics_labelled(w, "prewarm_journal_flush_total", METRICS_COUNTER,
                     "Start-up flush of the journal: bindings written onto pods, pods deleted "
                     "whose session had ended.",
                     "action", actions, flushed, 2);
}

void metrics_kube_write(struct metrics_writer *w, const struct metrics_kube *k)
{
    if (k->npools) {
        write_api(w, &k->api);
        for (size_t i = 0; i < sizeof pool_families / sizeof pool_families[0]; i++)
            write_pool_family(w, &pool_families[i], k);
    }
    write_shared(w, &k->shared);
}

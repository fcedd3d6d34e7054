/* The bind journal: replay after close, replacement and ends, a torn tail
 * cut at every byte, corruption reported, compaction, bad input, and every
 * bind acknowledged by a process killed with SIGKILL found again. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kube_journal.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    strcpy(dir, "/tmp/prewarm-journal-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/binds", dir);
}

static void teardown(void)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/binds", dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/binds.tmp", dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/copy", dir);
    unlink(p);
    rmdir(dir);
}

static struct kube_journal_entry binding(const char *pod, const char *session, uint64_t epoch)
{
    return (struct kube_journal_entry){.pool = "editor",
                                       .pod = pod,
                                       .session = session,
                                       .key = "alice",
                                       .request_id = "",
                                       .claimed_at_ns = 1700000000000000000 + (int64_t)epoch,
                                       .expires_at_ns = 1700000300000000000,
                                       .epoch = epoch};
}

static struct kube_journal *open_ok(const char *p)
{
    struct kube_journal *j = NULL;
    enum kube_journal_status st = kube_journal_open(p, 0, &j);
    cr_assert_eq(st, KUBE_JOURNAL_OK, "%s", kube_journal_status_str(st));
    return j;
}

static void bind_ok(struct kube_journal *j, struct kube_journal_entry b)
{
    cr_assert_eq(kube_journal_bind(j, &b), KUBE_JOURNAL_OK);
}

static size_t live(const struct kube_journal *j)
{
    struct kube_journal_stats st;
    kube_journal_get_stats(j, &st);
    return st.live;
}

static size_t ended(const struct kube_journal *j)
{
    struct kube_journal_stats st;
    kube_journal_get_stats(j, &st);
    return st.ended;
}

Test(journal, replay_after_close, .init = setup, .fini = teardown)
{
    struct kube_journal *j = open_ok(path);
    cr_assert_not(kube_journal_existed(j));
    bind_ok(j, binding("pod-a", "s-1", 3));
    bind_ok(j, binding("pod-b", "s-2", 3));
    bind_ok(j, binding("pod-c", "s-3", 4));
    cr_assert_eq(kube_journal_end(j, "pod-b", "s-2"), KUBE_JOURNAL_OK);
    kube_journal_close(j);

    j = open_ok(path);
    cr_assert_eq(live(j), 2);
    const struct kube_journal_entry *b = kube_journal_lookup(j, "pod-c");
    cr_assert_not_null(b);
    cr_assert_str_eq(b->session, "s-3");
    cr_assert_str_eq(b->pool, "editor");
    cr_assert_str_eq(b->key, "alice");
    cr_assert_str_eq(b->request_id, "");
    cr_assert_eq(b->claimed_at_ns, 1700000000000000004);
    cr_assert_eq(b->expires_at_ns, 1700000300000000000);
    cr_assert_eq(b->epoch, 4);
    const struct kube_journal_entry *ended = kube_journal_lookup(j, "pod-b");
    cr_assert(ended && ended->ended, "an ended session stays known until its pod is gone");
    cr_assert_not(b->ended);
    cr_assert_eq(kube_journal_last_epoch(j), 4);
    cr_assert(kube_journal_existed(j));
    kube_journal_forget(j, "pod-b");
    cr_assert_null(kube_journal_lookup(j, "pod-b"));
    struct kube_journal_stats st;
    kube_journal_get_stats(j, &st);
    cr_assert_eq(st.replayed, 4);
    cr_assert_eq(st.torn, 0);
    kube_journal_close(j);
}

Test(journal, a_new_session_replaces_and_a_stale_end_is_ignored, .init = setup, .fini = teardown)
{
    struct kube_journal *j = open_ok(path);
    bind_ok(j, binding("pod-a", "s-old", 1));
    bind_ok(j, binding("pod-a", "s-new", 2));
    cr_assert_eq(kube_journal_end(j, "pod-a", "s-old"), KUBE_JOURNAL_OK);
    cr_assert_str_eq(kube_journal_lookup(j, "pod-a")->session, "s-new");
    cr_assert_eq(live(j), 1);
    kube_journal_close(j);
    j = open_ok(path);
    cr_assert_str_eq(kube_journal_lookup(j, "pod-a")->session, "s-new");
    kube_journal_close(j);
}

static size_t file_size(const char *p)
{
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    return (size_t)st.st_size;
}

static void copy_prefix(const char *from, const char *to, size_t n)
{
    char *buf = malloc(n + 1);
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(in >= 0 && out >= 0);
    cr_assert_eq(read(in, buf, n), (ssize_t)n);
    cr_assert_eq(write(out, buf, n), (ssize_t)n);
    close(in);
    close(out);
    free(buf);
}

Test(journal, torn_tail_at_every_byte, .init = setup, .fini = teardown)
{
    struct kube_journal *j = open_ok(path);
    bind_ok(j, binding("pod-a", "s-1", 1));
    size_t one = file_size(path);
    bind_ok(j, binding("pod-b", "s-2", 1));
    kube_journal_close(j);
    size_t two = file_size(path);
    char copy[160];
    snprintf(copy, sizeof(copy), "%s/copy", dir);
    for (size_t n = 8; n <= two; n++) {
        copy_prefix(path, copy, n);
        j = open_ok(copy);
        size_t want = n >= two ? 2 : n >= one ? 1 : 0;
        cr_assert_eq(live(j), want, "cut at %zu", n);
        /* the cut tail is gone: a new record appends on a boundary */
        bind_ok(j, binding("pod-z", "s-9", 2));
        kube_journal_close(j);
        j = open_ok(copy);
        cr_assert_eq(live(j), want + 1, "cut at %zu then appended", n);
        kube_journal_close(j);
    }
}

Test(journal, corruption_before_the_end_is_reported, .init = setup, .fini = teardown)
{
    struct kube_journal *j = open_ok(path);
    bind_ok(j, binding("pod-a", "s-1", 1));
    bind_ok(j, binding("pod-b", "s-2", 1));
    kube_journal_close(j);
    int fd = open(path, O_RDWR);
    char c;
    cr_assert_eq(pread(fd, &c, 1, 20), 1);
    c ^= 0x5a;
    cr_assert_eq(pwrite(fd, &c, 1, 20), 1);
    close(fd);
    j = NULL;
    cr_assert_eq(kube_journal_open(path, 0, &j), KUBE_JOURNAL_E_CORRUPT);
    cr_assert_not_null(j);
    cr_assert_eq(live(j), 0);
    kube_journal_close(j);
}

Test(journal, not_a_journal_and_bad_bindings, .init = setup, .fini = teardown)
{
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    cr_assert_eq(write(fd, "hello world\n", 12), 12);
    close(fd);
    struct kube_journal *j = NULL;
    cr_assert_eq(kube_journal_open(path, 0, &j), KUBE_JOURNAL_E_FORMAT);
    cr_assert_null(j);
    unlink(path);

    j = open_ok(path);
    struct kube_journal_entry b = binding("", "s-1", 1);
    cr_assert_eq(kube_journal_bind(j, &b), KUBE_JOURNAL_E_INVAL);
    char *huge = malloc(70000);
    memset(huge, 'k', 69999);
    huge[69999] = '\0';
    b = binding("pod-a", "s-1", 1);
    b.key = huge;
    cr_assert_eq(kube_journal_bind(j, &b), KUBE_JOURNAL_E_INVAL);
    free(huge);
    cr_assert_eq(live(j), 0);
    kube_journal_close(j);
}

Test(journal, compaction_keeps_the_live_set, .init = setup, .fini = teardown)
{
    struct kube_journal *j = open_ok(path);
    char pod[32], session[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(pod, sizeof(pod), "pod-%d", i % 50);
        snprintf(session, sizeof(session), "s-%d", i);
        bind_ok(j, binding(pod, session, (uint64_t)i));
        if (i % 3 == 0)
            cr_assert_eq(kube_journal_end(j, pod, session), KUBE_JOURNAL_OK);
    }
    size_t before = file_size(path);
    size_t n = live(j), e = ended(j);
    cr_assert_eq(n + e, 50);
    cr_assert_gt(e, 0);
    cr_assert_eq(kube_journal_begin_epoch(j, 20000), KUBE_JOURNAL_OK);
    cr_assert_eq(kube_journal_compact(j, 4096, false), KUBE_JOURNAL_OK);
    size_t after = file_size(path);
    cr_assert_lt(after * 10, before, "%zu -> %zu bytes", before, after);
    bind_ok(j, binding("pod-new", "s-new", 9999));
    kube_journal_close(j);
    j = open_ok(path);
    cr_assert_eq(live(j), n + 1);
    cr_assert_eq(ended(j), e);
    cr_assert_str_eq(kube_journal_lookup(j, "pod-49")->session, "s-1999");
    cr_assert_not_null(kube_journal_lookup(j, "pod-new"));
    cr_assert_eq(kube_journal_last_epoch(j), 20000, "the epoch survives compaction");
    kube_journal_close(j);
}

/* A child binds and reports each acknowledged bind on a pipe; the parent
 * kills it with SIGKILL mid-stream. Every acknowledged bind must replay. */
Test(journal, acknowledged_binds_survive_sigkill, .init = setup, .fini = teardown)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(p[0]);
        struct kube_journal *j = NULL;
        if (kube_journal_open(path, 0, &j) != KUBE_JOURNAL_OK)
            _exit(2);
        char pod[32], session[32];
        for (int i = 0;; i++) {
            snprintf(pod, sizeof(pod), "pod-%d", i);
            snprintf(session, sizeof(session), "s-%d", i);
            struct kube_journal_entry b = binding(pod, session, 7);
            if (kube_journal_bind(j, &b) != KUBE_JOURNAL_OK)
                _exit(3);
            if (write(p[1], &i, sizeof(i)) != sizeof(i))
                _exit(4);
        }
    }
    close(p[1]);
    int acked = -1, i;
    while (acked < 5000 && read(p[0], &i, sizeof(i)) == sizeof(i))
        acked = i;
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status));
    while (read(p[0], &i, sizeof(i)) == sizeof(i))
        acked = i; /* acks already in the pipe count too */
    close(p[0]);
    struct kube_journal *j = open_ok(path);
    char pod[32];
    for (int k = 0; k <= acked; k++) {
        snprintf(pod, sizeof(pod), "pod-%d", k);
        cr_assert_not_null(kube_journal_lookup(j, pod), "acknowledged bind %d of %d lost", k,
                           acked);
    }
    kube_journal_close(j);
}

Test(journal, owner_round_trip_and_compaction, .init = setup, .fini = teardown)
{
    struct kube_journal *j = open_ok(path);
    struct kube_journal_entry a = binding("pod-a", "s-1", 2);
    a.owner = "api-a";
    bind_ok(j, a);
    bind_ok(j, binding("pod-b", "s-2", 2)); /* no owner: NULL */
    kube_journal_close(j);

    for (int round = 0; round < 2; round++) {
        j = open_ok(path);
        const struct kube_journal_entry *e = kube_journal_lookup(j, "pod-a");
        cr_assert_not_null(e);
        cr_assert_str_eq(e->owner, "api-a", "round %d", round);
        cr_assert_str_eq(e->key, "alice");
        e = kube_journal_lookup(j, "pod-b");
        cr_assert(e && e->owner && !e->owner[0], "no owner replays as \"\"");
        cr_assert_eq(kube_journal_compact(j, 0, true), KUBE_JOURNAL_OK);
        kube_journal_close(j);
    }
}

/* ---- the first format (BIND type 1, no owner), written by hand ---- */

static uint32_t crc32c_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static size_t le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return (size_t)bytes;
}

static size_t str_field(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    le(p, n, 2);
    memcpy(p + 2, s, n);
    return n + 2;
}

/* Appends one framed record with payload [type, strings..., u64s...]. */
static void v1_record(FILE *f, uint8_t type, const char *const *strs, size_t nstrs,
                      const uint64_t *nums, size_t nnums)
{
    uint8_t payload[512], hdr[8];
    size_t n = 0;
    payload[n++] = type;
    for (size_t i = 0; i < nstrs; i++)
        n += str_field(payload + n, strs[i]);
    for (size_t i = 0; i < nnums; i++)
        n += le(payload + n, nums[i], 8);
    le(hdr, n, 4);
    le(hdr + 4, crc32c_ref(payload, n), 4);
    cr_assert_eq(fwrite(hdr, 1, 8, f), 8);
    cr_assert_eq(fwrite(payload, 1, n, f), n);
}

Test(journal, first_format_records_still_replay, .init = setup, .fini = teardown)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite("PWJRNL1\n", 1, 8, f), 8);
    const char *b1[] = {"editor", "pod-a", "s-1", "~api-a/k1", ""};
    const char *b2[] = {"editor", "pod-b", "s-2", "", "r-2"};
    const char *end[] = {"pod-b", "s-2"};
    const uint64_t t1[] = {1700000000000000001ull, 1700000300000000000ull, 5};
    const uint64_t t2[] = {1700000000000000002ull, 1700000300000000000ull, 5};
    const uint64_t epoch[] = {6};
    v1_record(f, 1, b1, 5, t1, 3);
    v1_record(f, 1, b2, 5, t2, 3);
    v1_record(f, 2, end, 2, NULL, 0);
    v1_record(f, 3, NULL, 0, epoch, 1);
    fclose(f);

    struct kube_journal *j = open_ok(path);
    const struct kube_journal_entry *e = kube_journal_lookup(j, "pod-a");
    cr_assert_not_null(e);
    cr_assert_str_eq(e->session, "s-1");
    cr_assert_str_eq(e->key, "~api-a/k1");
    cr_assert_str_eq(e->owner, "", "a first-format binding has no owner");
    cr_assert_eq(e->claimed_at_ns, 1700000000000000001);
    cr_assert_eq(e->epoch, 5);
    e = kube_journal_lookup(j, "pod-b");
    cr_assert(e && e->ended && !strcmp(e->request_id, "r-2"));
    cr_assert_eq(kube_journal_last_epoch(j), 6);
    struct kube_journal_stats st;
    kube_journal_get_stats(j, &st);
    cr_assert_eq(st.replayed, 4);
    cr_assert_eq(st.torn, 0);

    /* new records follow the old ones; a compaction rewrites all as current */
    struct kube_journal_entry c = binding("pod-c", "s-3", 7);
    c.owner = "api-b";
    bind_ok(j, c);
    kube_journal_close(j);
    j = open_ok(path);
    cr_assert_str_eq(kube_journal_lookup(j, "pod-c")->owner, "api-b");
    cr_assert_str_eq(kube_journal_lookup(j, "pod-a")->owner, "");
    cr_assert_eq(kube_journal_compact(j, 0, true), KUBE_JOURNAL_OK);
    kube_journal_close(j);
    j = open_ok(path);
    cr_assert_eq(live(j), 2);
    cr_assert_eq(ended(j), 1);
    cr_assert_str_eq(kube_journal_lookup(j, "pod-a")->key, "~api-a/k1");
    cr_assert_str_eq(kube_journal_lookup(j, "pod-c")->owner, "api-b");
    cr_assert_eq(kube_journal_last_epoch(j), 7);
    kube_journal_close(j);
}

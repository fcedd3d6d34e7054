/* The bind journal's replay: any bytes after the header either replay or
 * are refused without a crash; whatever replays survives a compaction and a
 * reopen unchanged (same entries, same ended flags, same last epoch). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube_journal.h"

struct snapshot {
    size_t n;
    unsigned long long sum; /* order-independent digest of the entries */
};

static unsigned long long digest(const struct kube_journal_entry *e)
{
    unsigned long long h = 1469598103934665603ull;
    const char *s[6] = {e->pool, e->pod, e->session, e->key, e->request_id, e->owner};
    for (int i = 0; i < 6; i++)
        for (const char *p = s[i]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0xffu) * 1099511628211ull; /* field separator */
    return h ^ (unsigned long long)e->claimed_at_ns ^ ((unsigned long long)e->expires_at_ns << 1) ^
           (e->epoch << 2) ^ (unsigned long long)e->ended;
}

static void add(void *arg, const struct kube_journal_entry *e)
{
    struct snapshot *s = arg;
    s->n++;
    s->sum += digest(e);
}

static struct snapshot take(const struct kube_journal *j)
{
    struct snapshot s = {0, 0};
    kube_journal_each(j, add, &s);
    return s;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char path[] = "/tmp/prewarm-fuzz-journal-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    int ok = write(fd, "PWJRNL1\n", 8) == 8 && write(fd, data, size) == (ssize_t)size;
    close(fd);
    struct kube_journal *j = NULL;
    enum kube_journal_status st = ok ? kube_journal_open(path, 0, &j) : KUBE_JOURNAL_E_IO;
    if (st == KUBE_JOURNAL_OK) {
        struct snapshot before = take(j);
        uint64_t epoch = kube_journal_last_epoch(j);
        if (kube_journal_compact(j, 0, true) != KUBE_JOURNAL_OK)
            abort();
        kube_journal_close(j);
        if (kube_journal_open(path, 0, &j) != KUBE_JOURNAL_OK)
            abort();
        struct snapshot after = take(j);
        if (after.n != before.n || after.sum != before.sum || kube_journal_last_epoch(j) != epoch)
            abort();
    }
    kube_journal_close(j);
    unlink(path);
    char tmp[sizeof(path) + 4];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    unlink(tmp);
    return 0;
}

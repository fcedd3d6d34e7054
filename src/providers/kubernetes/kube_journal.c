#include "kube_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOURNAL_MAGIC "PWJRNL1\n"
#define MAGIC_LEN     8
#define RECORD_HDR    8
#define MAX_FIELD     65535u

/* REC_BIND_V1: a BIND without the owner field, as the first format wrote it. */
enum record_type { REC_BIND_V1 = 1, REC_END = 2, REC_EPOCH = 3, REC_BIND = 4 };

#define BIND_STRINGS 6 /* pool, pod, session, key, request id, owner (V1: no owner) */

/* A live binding: its strings live in one allocation after the struct. */
struct entry {
    struct kube_journal_entry b;
    uint64_t hash;
    size_t size; /* encoded payload bytes (for compaction thresholds) */
};

#define TOMBSTONE ((struct entry *)1)

struct kube_journal {
    char *path;
    int fd;
    unsigned flags;
    struct entry **slots; /* open addressing, power-of-two size */
    size_t nslots, used;  /* used counts tombstones too */
    size_t live_bytes;
    uint8_t *wbuf;
    size_t wcap;
    uint32_t crc_table[256];
    uint64_t last_epoch; /* highest epoch begun or bound */
    bool existed;        /* the file held a journal before open */
    struct kube_journal_stats stats;
};

/* ---- encoding ------------------------------------------------------------ */

static void crc_init(uint32_t table[256])
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
        table[i] = c;
    }
}

static uint32_t crc32c(const uint32_t table[256], const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--)
        c = table[(c ^ *p++) & 0xFFu] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static size_t put_str(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    p[0] = (uint8_t)n;
    p[1] = (uint8_t)(n >> 8);
    memcpy(p + 2, s, n);
    return n + 2;
}

static const char *const *bind_strings(const struct kube_journal_entry *b,
                                       const char *out[BIND_STRINGS])
{
    out[0] = b->pool, out[1] = b->pod, out[2] = b->session;
    out[3] = b->key ? b->key : "";
    out[4] = b->request_id ? b->request_id : "";
    out[5] = b->owner ? b->owner : "";
    return out;
}

static bool bind_valid(const struct kube_journal_entry *b)
{
    const char *s[BIND_STRINGS];
    bind_strings(b, s);
    for (int i = 0; i < BIND_STRINGS; i++)
        if (!s[i] || strlen(s[i]) > MAX_FIELD || (i < 3 && !s[i][0]))
            return false;
    return true;
}

static size_t bind_payload_size(const struct kube_journal_entry *b)
{
    const char *s[BIND_STRINGS];
    size_t n = 1 + 3 * 8;
    bind_strings(b, s);
    for (int i = 0; i < BIND_STRINGS; i++)
        n += 2 + strlen(s[i]);
    return n;
}

static size_t encode_bind(uint8_t *p, const struct kube_journal_entry *b)
{
    const char *s[BIND_STRINGS];
    size_t n = 0;
    bind_strings(b, s);
    p[n++] = REC_BIND;
    for (int i = 0; i < BIND_STRINGS; i++)
        n += put_str(p + n, s[i]);
    put_u64(p + n, (uint64_t)b->claimed_at_ns);
    put_u64(p + n + 8, (uint64_t)b->expires_at_ns);
    put_u64(p + n + 16, b->epoch);
    return n + 24;
}

/* ---- the map ------------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 1099511628211ull;
    return h;
}

static size_t find_slot(const struct kube_journal *j, const char *pod, uint64_t h, bool *found)
{
    size_t mask = j->nslots - 1, i = h & mask, free_at = SIZE_MAX;
    for (;; i = (i + 1) & mask) {
        struct entry *e = j->slots[i];
        if (!e) {
            *found = false;
            return free_at != SIZE_MAX ? free_at : i;
        }
        if (e == TOMBSTONE) {
            if (free_at == SIZE_MAX)
                free_at = i;
        } else if (e->hash == h && strcmp(e->b.pod, pod) == 0) {
            *found = true;
            return i;
        }
    }
}

static bool grow(struct kube_journal *j)
{
    size_t n = j->nslots ? j->nslots * 2 : 64;
    struct entry **old = j->slots;
    size_t old_n = j->nslots;
    j->slots = calloc(n, sizeof(*j->slots));
    if (!j->slots) {
        j->slots = old;
        return false;
    }
    j->nslots = n;
    j->used = 0;
    for (size_t i = 0; i < old_n; i++) {
        if (!old[i] || old[i] == TOMBSTONE)
            continue;
        bool found;
        j->slots[find_slot(j, old[i]->b.pod, old[i]->hash, &found)] = old[i];
        j->used++;
    }
    free(old);
    return true;
}

static char *copy_into(char **cursor, const char *s)
{
    size_t n = strlen(s) + 1;
    char *at = *cursor;
    memcpy(at, s, n);
    *cursor += n;
    return at;
}

static struct entry *entry_new(const struct kube_journal_entry *b)
{
    const char *s[BIND_STRINGS];
    size_t strs = 0;
    bind_strings(b, s);
    for (int i = 0; i < BIND_STRINGS; i++)
        strs += strlen(s[i]) + 1;
    struct entry *e = malloc(sizeof(*e) + strs);
    if (!e)
        return NULL;
    char *cur = (char *)(e + 1);
    e->b = *b;
    e->b.pool = copy_into(&cur, s[0]);
    e->b.pod = copy_into(&cur, s[1]);
    e->b.session = copy_into(&cur, s[2]);
    e->b.key = copy_into(&cur, s[3]);
    e->b.request_id = copy_into(&cur, s[4]);
    e->b.owner = copy_into(&cur, s[5]);
    e->hash = hash_str(e->b.pod);
    e->size = bind_payload_size(b);
    return e;
}

static size_t end_payload_size(const char *pod, const char *session)
{
    return 1 + 2 + strlen(pod) + 2 + strlen(session);
}

static void count(struct kube_journal *j, const struct entry *e, int sign)
{
    size_t *n = e->b.ended ? &j->stats.ended : &j->stats.live;
    *n += (size_t)sign;
    j->live_bytes += (size_t)sign * e->size;
}

/* Inserts or replaces the pod's binding. False on OOM. */
static bool map_put(struct kube_journal *j, const struct kube_journal_entry *b)
{
    if ((j->used + 1) * 4 >= j->nslots * 3 && !grow(j))
        return false;
    struct entry *e = entry_new(b);
    if (!e)
        return false;
    e->b.ended = false;
    bool found;
    size_t i = find_slot(j, b->pod, e->hash, &found);
    if (found) {
        count(j, j->slots[i], -1);
        free(j->slots[i]);
    } else if (!j->slots[i]) {
        j->used++;
    }
    j->slots[i] = e;
    count(j, e, +1);
    return true;
}

static struct entry *map_find(const struct kube_journal *j, const char *pod)
{
    bool found;
    if (!j->nslots || !pod)
        return NULL;
    size_t i = find_slot(j, pod, hash_str(pod), &found);
    return found ? j->slots[i] : NULL;
}

static void map_end(struct kube_journal *j, const char *pod, const char *session)
{
    struct entry *e = map_find(j, pod);
    if (!e || e->b.ended || strcmp(e->b.session, session) != 0)
        return;
    count(j, e, -1);
    e->b.ended = true;
    e->size += RECORD_HDR + end_payload_size(pod, session);
    count(j, e, +1);
}

void kube_journal_forget(struct kube_journal *j, const char *pod)
{
    bool found;
    if (!j->nslots || !pod)
        return;
    size_t i = find_slot(j, pod, hash_str(pod), &found);
    if (!found)
        return;
    count(j, j->slots[i], -1);
    free(j->slots[i]);
    j->slots[i] = TOMBSTONE;
}

/* ---- replay -------------------------------------------------------------- */

struct reader {
    const uint8_t *p, *end;
    bool ok;
};

static const char *read_str(struct reader *r, char *dst, size_t cap)
{
    if (r->end - r->p < 2) {
        r->ok = false;
        return "";
    }
    size_t n = (size_t)r->p[0] | (size_t)r->p[1] << 8;
    r->p += 2;
    if ((size_t)(r->end - r->p) < n || n >= cap) {
        r->ok = false;
        return "";
    }
    memcpy(dst, r->p, n);
    dst[n] = '\0';
    r->p += n;
    return dst;
}

/* Applies one payload to the map. False when it does not decode. */
static bool apply(struct kube_journal *j, const uint8_t *p, size_t n, char *scratch)
{
    struct reader r = {p + 1, p + n, n > 0};
    char *f[BIND_STRINGS];
    for (int i = 0; i < BIND_STRINGS; i++)
        f[i] = scratch + (size_t)i * (MAX_FIELD + 1);
    if (r.ok && p[0] == REC_END) {
        const char *pod = read_str(&r, f[0], MAX_FIELD + 1);
        const char *session = read_str(&r, f[1], MAX_FIELD + 1);
        if (r.ok && r.p == r.end)
            map_end(j, pod, session);
        return r.ok && r.p == r.end;
    }
    if (r.ok && p[0] == REC_EPOCH && n == 9) {
        uint64_t e = get_u64(p + 1);
        if (e > j->last_epoch)
            j->last_epoch = e;
        return true;
    }
    if (!r.ok || (p[0] != REC_BIND && p[0] != REC_BIND_V1))
        return false;
    struct kube_journal_entry b;
    b.pool = read_str(&r, f[0], MAX_FIELD + 1);
    b.pod = read_str(&r, f[1], MAX_FIELD + 1);
    b.session = read_str(&r, f[2], MAX_FIELD + 1);
    b.key = read_str(&r, f[3], MAX_FIELD + 1);
    b.request_id = read_str(&r, f[4], MAX_FIELD + 1);
    b.owner = p[0] == REC_BIND ? read_str(&r, f[5], MAX_FIELD + 1) : "";
    if (!r.ok || r.end - r.p != 24)
        return false;
    b.claimed_at_ns = (int64_t)get_u64(r.p);
    b.expires_at_ns = (int64_t)get_u64(r.p + 8);
    b.epoch = get_u64(r.p + 16);
    b.ended = false;
    if (b.epoch > j->last_epoch)
        j->last_epoch = b.epoch;
    return bind_valid(&b) && map_put(j, &b);
}

static enum kube_journal_status read_all(int fd, uint8_t **out, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return KUBE_JOURNAL_E_IO;
    size_t n = (size_t)st.st_size, got = 0;
    uint8_t *buf = malloc(n + 1);
    if (!buf)
        return KUBE_JOURNAL_E_IO;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    *out = buf;
    *len = got;
    return KUBE_JOURNAL_OK;
}

/* Replays records from buf; *good is the offset after the last good one. */
static enum kube_journal_status replay(struct kube_journal *j, const uint8_t *buf, size_t len,
                                       size_t *good)
{
    char *scratch = malloc(BIND_STRINGS * (MAX_FIELD + 1));
    if (!scratch)
        return KUBE_JOURNAL_E_IO;
    size_t off = MAGIC_LEN;
    enum kube_journal_status st = KUBE_JOURNAL_OK;
    while (off < len) {
        size_t left = len - off;
        uint32_t n = left >= RECORD_HDR ? get_u32(buf + off) : 0;
        bool whole = left >= RECORD_HDR && n <= left - RECORD_HDR;
        if (whole && crc32c(j->crc_table, buf + off + RECORD_HDR, n) == get_u32(buf + off + 4) &&
            apply(j, buf + off + RECORD_HDR, n, scratch)) {
            off += RECORD_HDR + n;
            j->stats.replayed++;
            continue;
        }
        /* a bad record at the very end is a torn write; anywhere else, corruption */
        if (whole && off + RECORD_HDR + n < len)
            st = KUBE_JOURNAL_E_CORRUPT;
        else
            j->stats.torn++;
        break;
    }
    free(scratch);
    *good = off;
    return st;
}

static enum kube_journal_status load(struct kube_journal *j)
{
    uint8_t *buf = NULL;
    size_t len = 0, good = MAGIC_LEN;
    enum kube_journal_status st = read_all(j->fd, &buf, &len);
    if (st != KUBE_JOURNAL_OK)
        return st;
    if (len == 0) {
        free(buf);
        if (write(j->fd, JOURNAL_MAGIC, MAGIC_LEN) != MAGIC_LEN)
            return KUBE_JOURNAL_E_IO;
        j->stats.bytes = MAGIC_LEN;
        return KUBE_JOURNAL_OK;
    }
    if (len < MAGIC_LEN || memcmp(buf, JOURNAL_MAGIC, MAGIC_LEN) != 0) {
        free(buf);
        return KUBE_JOURNAL_E_FORMAT;
    }
    j->existed = true;
    st = replay(j, buf, len, &good);
    free(buf);
    /* cut a torn tail so the next append starts on a record boundary */
    if (st == KUBE_JOURNAL_OK && good < len && ftruncate(j->fd, (off_t)good) != 0)
        return KUBE_JOURNAL_E_IO;
    j->stats.bytes = st == KUBE_JOURNAL_OK ? good : len;
    return st;
}

/* ---- appends ------------------------------------------------------------- */

static bool reserve(struct kube_journal *j, size_t n)
{
    if (n <= j->wcap)
        return true;
    size_t cap = j->wcap ? j->wcap : 512;
    while (cap < n)
        cap *= 2;
    uint8_t *p = realloc(j->wbuf, cap);
    if (!p)
        return false;
    j->wbuf = p;
    j->wcap = cap;
    return true;
}

static enum kube_journal_status write_record(struct kube_journal *j, size_t payload)
{
    put_u32(j->wbuf, (uint32_t)payload);
    put_u32(j->wbuf + 4, crc32c(j->crc_table, j->wbuf + RECORD_HDR, payload));
    size_t n = RECORD_HDR + payload, done = 0;
    while (done < n) {
        ssize_t w = write(j->fd, j->wbuf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            j->stats.last_errno = w < 0 ? errno : EIO;
            /* leave no partial record behind an append that failed */
            if (done && ftruncate(j->fd, (off_t)j->stats.bytes) != 0)
                j->stats.last_errno = errno;
            return KUBE_JOURNAL_E_IO;
        }
        done += (size_t)w;
    }
    if ((j->flags & KUBE_JOURNAL_SYNC) && fdatasync(j->fd) != 0) {
        j->stats.last_errno = errno;
        return KUBE_JOURNAL_E_IO;
    }
    j->stats.bytes += n;
    j->stats.appended++;
    return KUBE_JOURNAL_OK;
}

enum kube_journal_status kube_journal_bind(struct kube_journal *j,
                                           const struct kube_journal_entry *b)
{
    if (!b || !bind_valid(b))
        return KUBE_JOURNAL_E_INVAL;
    size_t payload = bind_payload_size(b);
    if (!reserve(j, RECORD_HDR + payload))
        return KUBE_JOURNAL_E_IO;
    encode_bind(j->wbuf + RECORD_HDR, b);
    enum kube_journal_status st = write_record(j, payload);
    if (st == KUBE_JOURNAL_OK && !map_put(j, b))
        return KUBE_JOURNAL_E_IO;
    if (st == KUBE_JOURNAL_OK && b->epoch > j->last_epoch)
        j->last_epoch = b->epoch;
    return st;
}

enum kube_journal_status kube_journal_begin_epoch(struct kube_journal *j, uint64_t epoch)
{
    if (!reserve(j, RECORD_HDR + 9))
        return KUBE_JOURNAL_E_IO;
    j->wbuf[RECORD_HDR] = REC_EPOCH;
    put_u64(j->wbuf + RECORD_HDR + 1, epoch);
    enum kube_journal_status st = write_record(j, 9);
    if (st == KUBE_JOURNAL_OK && epoch > j->last_epoch)
        j->last_epoch = epoch;
    return st;
}

uint64_t kube_journal_last_epoch(const struct kube_journal *j)
{
    return j->last_epoch;
}

bool kube_journal_existed(const struct kube_journal *j)
{
    return j->existed;
}

static size_t encode_end(uint8_t *p, const char *pod, const char *session)
{
    p[0] = REC_END;
    size_t n = 1 + put_str(p + 1, pod);
    return n + put_str(p + n, session);
}

enum kube_journal_status kube_journal_end(struct kube_journal *j, const char *pod,
                                          const char *session)
{
    const struct kube_journal_entry *cur = kube_journal_lookup(j, pod);
    if (!cur || cur->ended || !session || strcmp(cur->session, session) != 0)
        return KUBE_JOURNAL_OK;
    size_t payload = end_payload_size(pod, session);
    if (!reserve(j, RECORD_HDR + payload))
        return KUBE_JOURNAL_E_IO;
    encode_end(j->wbuf + RECORD_HDR, pod, session);
    enum kube_journal_status st = write_record(j, payload);
    if (st == KUBE_JOURNAL_OK)
        map_end(j, pod, session);
    return st;
}

/* ---- lifetime, queries, compaction ---------------------------------------- */

enum kube_journal_status kube_journal_open(const char *path, unsigned flags,
                                           struct kube_journal **out)
{
    *out = NULL;
    if (!path || !path[0])
        return KUBE_JOURNAL_E_INVAL;
    struct kube_journal *j = calloc(1, sizeof(*j));
    if (!j || !(j->path = strdup(path))) {
        free(j);
        return KUBE_JOURNAL_E_IO;
    }
    j->flags = flags;
    crc_init(j->crc_table);
    j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    enum kube_journal_status st = j->fd < 0 ? KUBE_JOURNAL_E_IO : load(j);
    if (j->fd < 0)
        j->stats.last_errno = errno;
    if (st != KUBE_JOURNAL_OK && st != KUBE_JOURNAL_E_CORRUPT) {
        kube_journal_close(j);
        return st;
    }
    *out = j;
    return st;
}

void kube_journal_close(struct kube_journal *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->nslots; i++)
        if (j->slots[i] != TOMBSTONE)
            free(j->slots[i]);
    free(j->slots);
    if (j->fd >= 0)
        close(j->fd);
    free(j->wbuf);
    free(j->path);
    free(j);
}

const struct kube_journal_entry *kube_journal_lookup(const struct kube_journal *j, const char *pod)
{
    const struct entry *e = map_find(j, pod);
    return e ? &e->b : NULL;
}

void kube_journal_each(const struct kube_journal *j,
                       void (*fn)(void *arg, const struct kube_journal_entry *b), void *arg)
{
    for (size_t i = 0; i < j->nslots; i++)
        if (j->slots[i] && j->slots[i] != TOMBSTONE)
            fn(arg, &j->slots[i]->b);
}

struct rewrite {
    struct kube_journal *j;
    int fd;
    size_t bytes;
    bool ok;
};

static void rewrite_record(struct rewrite *w, size_t payload)
{
    uint8_t *buf = w->j->wbuf;
    put_u32(buf, (uint32_t)payload);
    put_u32(buf + 4, crc32c(w->j->crc_table, buf + RECORD_HDR, payload));
    size_t n = RECORD_HDR + payload;
    w->ok = w->ok && write(w->fd, buf, n) == (ssize_t)n;
    w->bytes += n;
}

static void rewrite_one(void *arg, const struct kube_journal_entry *b)
{
    struct rewrite *w = arg;
    size_t bind = bind_payload_size(b), end = end_payload_size(b->pod, b->session);
    if (!w->ok || !reserve(w->j, RECORD_HDR + (bind > end ? bind : end))) {
        w->ok = false;
        return;
    }
    encode_bind(w->j->wbuf + RECORD_HDR, b);
    rewrite_record(w, bind);
    if (b->ended) {
        encode_end(w->j->wbuf + RECORD_HDR, b->pod, b->session);
        rewrite_record(w, end);
    }
}

enum kube_journal_status kube_journal_compact(struct kube_journal *j, size_t min_bytes, bool force)
{
    size_t live = MAGIC_LEN + j->live_bytes + RECORD_HDR * (j->stats.live + j->stats.ended);
    if (!force && j->stats.bytes <= 2 * live + min_bytes)
        return KUBE_JOURNAL_OK;
    size_t plen = strlen(j->path);
    char *tmp = malloc(plen + 5);
    if (!tmp)
        return KUBE_JOURNAL_E_IO;
    memcpy(tmp, j->path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    struct rewrite w = {j, open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), MAGIC_LEN,
                        true};
    w.ok = w.fd >= 0 && write(w.fd, JOURNAL_MAGIC, MAGIC_LEN) == MAGIC_LEN && reserve(j, 32);
    if (w.ok) {
        j->wbuf[RECORD_HDR] = REC_EPOCH;
        put_u64(j->wbuf + RECORD_HDR + 1, j->last_epoch);
        rewrite_record(&w, 9);
    }
    kube_journal_each(j, rewrite_one, &w);
    w.ok = w.ok && fsync(w.fd) == 0 && rename(tmp, j->path) == 0;
    int fd = w.ok ? open(j->path, O_RDWR | O_APPEND | O_CLOEXEC) : -1;
    if (!w.ok || fd < 0) {
        j->stats.last_errno = errno;
        if (w.fd >= 0)
            close(w.fd);
        unlink(tmp);
        free(tmp);
        return KUBE_JOURNAL_E_IO;
    }
    close(w.fd);
    close(j->fd);
    j->fd = fd;
    j->stats.bytes = w.bytes;
    j->stats.compactions++;
    free(tmp);
    return KUBE_JOURNAL_OK;
}

void kube_journal_get_stats(const struct kube_journal *j, struct kube_journal_stats *out)
{
    *out = j->stats;
}

const char *kube_journal_status_str(enum kube_journal_status st)
{
    switch (st) {
    case KUBE_JOURNAL_OK:
        return "ok";
    case KUBE_JOURNAL_E_IO:
        return "i/o error";
    case KUBE_JOURNAL_E_CORRUPT:
        return "corrupt record";
    case KUBE_JOURNAL_E_FORMAT:
        return "not a prewarm journal";
    case KUBE_JOURNAL_E_INVAL:
        return "invalid binding";
    }
    return "unknown";
}

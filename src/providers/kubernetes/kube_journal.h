/*
 * kube_journal: the local append-only bind journal. A claim's binding is
 * appended here before the claim is answered, so a 201 survives a kill -9
 * of prewarmd: the restarted process replays the journal and rebuilds the
 * session even when the binding never reached the pod's annotation.
 *
 * Format: an 8-byte file header "PWJRNL1\n", then records
 *     u32 payload length | u32 CRC-32C of the payload | payload
 * little-endian. A payload is a type byte then fields: BIND (type 4)
 * carries pool, pod, session, key, request id, owner (u16 length + bytes
 * each), claimed_at and expires_at (i64 unix ns) and the leader epoch (u64);
 * END (2) carries pod and session; EPOCH (3) carries a leader term (u64)
 * this process began serving in.
 *
 * Versions: records are versioned by their type byte, the framing and the
 * header stay. Type 1 is the first BIND, without the owner: it still
 * replays (owner ""), so a journal written by an older prewarmd is read
 * whole; new binds and compactions write type 4 only. An older prewarmd
 * meeting a type-4 record stops its replay there as at a bad record.
 * Connect tokens are never written (they are derived from these
 * fields with a key the journal never sees).
 *
 * Durability: one write(2) per record on an O_APPEND descriptor. Once it
 * returns, the bytes are in the kernel's page cache and survive the
 * process (kill -9, crash, OOM kill): what a restart on the same node
 * needs. KUBE_JOURNAL_SYNC adds an fdatasync per record, for a journal
 * that must also survive the node losing power (milliseconds per claim on
 * most disks). In a cluster the journal lives on an emptyDir: a container
 * restart keeps it, a pod moved to another node starts without it, and
 * the new process must then treat every pod it cannot prove idle as
 * doubtful (kube_ha.h).
 *
 * Replay (kube_journal_open) reads the whole file into a map pod -> latest
 * entry; END marks the pod's entry ended when the session matches. A torn
 * last record (the process died inside a write) is cut off and counted; a
 * bad record followed by more bytes is corruption: the entries read before
 * it are kept and KUBE_JOURNAL_E_CORRUPT is returned, so the caller can
 * retire what it cannot prove. Compaction rewrites the live entries to a
 * temporary file (ended ones as BIND + END), fsyncs it and renames it over
 * the journal.
 *
 * Ownership: the journal copies every string it is given; the bindings
 * returned by lookups are borrowed until the next call that changes the
 * journal. Single-threaded (the daemon's loop).
 */
#ifndef KUBE_JOURNAL_H
#define KUBE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kube_journal_status {
    KUBE_JOURNAL_OK = 0,
    KUBE_JOURNAL_E_IO,      /* open/read/write/fsync failed (errno kept in stats.last_errno) */
    KUBE_JOURNAL_E_CORRUPT, /* a bad record with more records after it */
    KUBE_JOURNAL_E_FORMAT,  /* not a journal (bad header) */
    KUBE_JOURNAL_E_INVAL,   /* a field is missing or longer than 65,535 bytes */
};

enum kube_journal_flags {
    KUBE_JOURNAL_SYNC = 1u << 0, /* fdatasync after every record */
};

/* One session's binding to one pod; strings are NUL-terminated. */
struct kube_journal_entry {
    const char *pool, *pod, *session;
    const char *key;        /* "" when the claim had none */
    const char *request_id; /* "" when the claim had none */
    const char *owner;      /* the caller's name under auth; "" (or NULL) when none */
    int64_t claimed_at_ns;  /* unix ns */
    int64_t expires_at_ns;  /* unix ns: end of the session's ttl */
    uint64_t epoch;         /* leader term that bound it */
    bool ended;             /* the session ended; the pod must not be reused */
};

struct kube_journal_stats {
    uint64_t appended;    /* records written since open */
    uint64_t replayed;    /* records read at open */
    uint64_t torn;        /* torn tail records cut off at open */
    uint64_t compactions; /* rewrites */
    uint64_t bytes;       /* current file size */
    size_t live;          /* bound entries (ended ones excluded) */
    size_t ended;         /* ended entries not yet forgotten */
    int last_errno;
};

struct kube_journal;

/* Opens (creating if absent) and replays the journal at path. On
 * KUBE_JOURNAL_E_CORRUPT *out is still a usable journal holding what was
 * read before the bad record; on other errors *out is NULL. */
enum kube_journal_status kube_journal_open(const char *path, unsigned flags,
                                           struct kube_journal **out);
void kube_journal_close(struct kube_journal *j);

/* Appends a binding (replacing any earlier one for the same pod). */
enum kube_journal_status kube_journal_bind(struct kube_journal *j,
                                           const struct kube_journal_entry *b);
/* Appends the end of a session; a no-op when the pod holds another session.
 * The entry stays, marked ended, so a restart never restores a session
 * whose pod still carries its annotation; kube_journal_forget() drops it
 * once the pod is gone. */
enum kube_journal_status kube_journal_end(struct kube_journal *j, const char *pod,
                                          const char *session);

/* Drops what the journal knows of pod (it no longer exists). Writes
 * nothing: a replay may bring an ended entry back until the next
 * compaction, which is harmless for a pod that does not exist. */
void kube_journal_forget(struct kube_journal *j, const char *pod);

/* The pod's entry (bound or ended), or NULL. */
const struct kube_journal_entry *kube_journal_lookup(const struct kube_journal *j, const char *pod);
/* Calls fn for every entry, ended ones included (order unspecified). */
void kube_journal_each(const struct kube_journal *j,
                       void (*fn)(void *arg, const struct kube_journal_entry *b), void *arg);
/* Records that this process serves from now on in leader term `epoch`
 * (also when it binds nothing in it). */
enum kube_journal_status kube_journal_begin_epoch(struct kube_journal *j, uint64_t epoch);
/* The highest epoch begun or bound in the journal (0 when none). */
uint64_t kube_journal_last_epoch(const struct kube_journal *j);
/* True when the file held a journal before this open (false: created now). */
bool kube_journal_existed(const struct kube_journal *j);

/* Rewrites the file with the live bindings only, when it has grown to more
 * than twice their size plus min_bytes (force: always). */
enum kube_journal_status kube_journal_compact(struct kube_journal *j, size_t min_bytes, bool force);

void kube_journal_get_stats(const struct kube_journal *j, struct kube_journal_stats *out);
const char *kube_journal_status_str(enum kube_journal_status st);

#endif

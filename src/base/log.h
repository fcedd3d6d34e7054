/*
 * log: prewarmd's structured log, one JSON object per line:
 *
 *     {"ts":"2026-12-06T07:41:02.123456Z","level":"info","msg":"pod ready",
 *      "pool":"demo","pod":"local-3"}
 *
 * One format (JSON lines) so a collector parses every line the same way:
 * "ts" (RFC 3339 UTC, microseconds), "level", "msg" (a fixed phrase, never
 * formatted: the variable parts are fields), then the caller's fields in
 * order. Requests carry "request_id", the id the caller sent in X-Request-Id
 * (or the one prewarmd made) and got back in the answer, so a caller's
 * report and prewarmd's lines meet on one key.
 *
 * Levels: debug < info < warn < error. A line below the logger's level
 * costs one compare (the macros test before building anything). The level
 * changes at run time with log_set_level (prewarmd: PUT /v1/log/level,
 * --log-level at start).
 *
 *     LOG_INFO(lg, "pod ready", LOG_STR("pool", name), LOG_STR("pod", pod));
 *     LOG_WARN(lg, "pods could not be created", LOG_UINT("count", n));
 *
 * Each line is written with one write(2), so lines from one process never
 * interleave; a line longer than LOG_LINE_MAX is cut (and stays valid JSON).
 *
 * Ownership: struct log is a plain value its owner embeds (the daemon); it
 * borrows the descriptor. Not thread-safe (one loop).
 */
#ifndef PREWARM_LOG_H
#define PREWARM_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

#define LOG_LINE_MAX 2048

struct log {
    int fd;               /* where lines go (2 = stderr) */
    enum log_level level; /* lines below it are dropped */
};

enum log_kind { LOG_KIND_STR, LOG_KIND_INT, LOG_KIND_UINT, LOG_KIND_F64, LOG_KIND_BOOL };

struct log_field {
    const char *key;
    enum log_kind kind;
    union {
        const char *s; /* NULL writes null */
        int64_t i;
        uint64_t u;
        double f;
        bool b;
    } v;
};

#define LOG_STR(k, x)  ((struct log_field){.key = (k), .kind = LOG_KIND_STR, .v.s = (x)})
#define LOG_INT(k, x)  ((struct log_field){.key = (k), .kind = LOG_KIND_INT, .v.i = (int64_t)(x)})
#define LOG_UINT(k, x) ((struct log_field){.key = (k), .kind = LOG_KIND_UINT, .v.u = (uint64_t)(x)})
#define LOG_F64(k, x)  ((struct log_field){.key = (k), .kind = LOG_KIND_F64, .v.f = (double)(x)})
#define LOG_BOOL(k, x) ((struct log_field){.key = (k), .kind = LOG_KIND_BOOL, .v.b = (x)})

/* A logger writing to fd at level. */
struct log log_init(int fd, enum log_level level);

/* Writes one line if level >= lg->level (see the LOG_* macros). */
void log_write(const struct log *lg, enum log_level level, const char *msg,
               const struct log_field *fields, size_t n);

/* Formats one line, newline included, into out[0..cap) (cap >= 64) and
 * returns its length; a line that does not fit loses its last fields or the
 * end of a string, never its closing brace. log_write uses it; so do tests. */
size_t log_format(char *out, size_t cap, int64_t wall_ns, enum log_level level, const char *msg,
                  const struct log_field *fields, size_t n);

bool log_enabled(const struct log *lg, enum log_level level);
void log_set_level(struct log *lg, enum log_level level);

/* "debug", "info", "warn", "error". */
const char *log_level_name(enum log_level level);
/* Parses a level name (also "warning"); returns false if unknown. */
bool log_level_parse(const char *name, size_t len, enum log_level *out);

/* For code not yet handed a struct log: the formatted text becomes the msg
 * of an info line on stderr (no fields, no level filter). Prefer LOG_*. */
void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The macros take the fields as trailing arguments (none is fine): the
 * leading empty field keeps the array valid when there are none. */
#define LOG_AT(lg, level, msg, ...)                                                                \
    do {                                                                                           \
        if (log_enabled((lg), (level))) {                                                          \
            const struct log_field log_fields_[] = {{0}, __VA_ARGS__};                             \
            log_write((lg), (level), (msg), log_fields_ + 1,                                       \
                      sizeof log_fields_ / sizeof log_fields_[0] - 1);                             \
        }                                                                                          \
    } while (0)
#define LOG_DEBUG(lg, msg, ...) LOG_AT(lg, LOG_LEVEL_DEBUG, msg, __VA_ARGS__)
#define LOG_INFO(lg, msg, ...)  LOG_AT(lg, LOG_LEVEL_INFO, msg, __VA_ARGS__)
#define LOG_WARN(lg, msg, ...)  LOG_AT(lg, LOG_LEVEL_WARN, msg, __VA_ARGS__)
#define LOG_ERROR(lg, msg, ...) LOG_AT(lg, LOG_LEVEL_ERROR, msg, __VA_ARGS__)

#endif

/* log: structured JSON-lines log (see log.h). */
#include "log.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Room kept for the closing '"', '}' and '\n' of a line. */
#define LINE_RESERVE 4

struct line {
    char *p;
    size_t len, cap; /* cap excludes LINE_RESERVE */
    bool full;
};

static void put(struct line *l, const char *s, size_t n)
{
    if (l->full || l->len + n > l->cap) {
        l->full = true;
        return;
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
}

#define PUT_LIT(l, lit) put((l), (lit), sizeof(lit) - 1)

/* A quoted, escaped string; cut (still quoted) when the line is full. */
static void put_string(struct line *l, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (l->full)
        return;
    l->p[l->len++] = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[6] = {'\\', (char)c};
        size_t n = 2;
        if (c == '\n' || c == '\r' || c == '\t')
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        else if (c < 0x20)
            memcpy(esc + 1, (char[]){'u', '0', '0', hex[c >> 4], hex[c & 15]}, 5), n = 6;
        else if (c != '"' && c != '\\')
            esc[0] = (char)c, n = 1;
        if (l->len + n > l->cap) {
            l->full = true;
            break;
        }
        memcpy(l->p + l->len, esc, n);
        l->len += n;
    }
    l->p[l->len++] = '"'; /* from the reserve if the line is full */
}

static void put_value(struct line *l, const struct log_field *f)
{
    char num[32];
    int n = 0;
    switch (f->kind) {
    case LOG_KIND_STR:
        if (f->v.s)
            put_string(l, f->v.s);
        else
            PUT_LIT(l, "null");
        return;
    case LOG_KIND_INT:
        n = snprintf(num, sizeof num, "%lld", (long long)f->v.i);
        break;
    case LOG_KIND_UINT:
        n = snprintf(num, sizeof num, "%llu", (unsigned long long)f->v.u);
        break;
    case LOG_KIND_F64:
        n = isfinite(f->v.f) ? snprintf(num, sizeof num, "%.9g", f->v.f)
                             : snprintf(num, sizeof num, "null");
        break;
    case LOG_KIND_BOOL:
        n = snprintf(num, sizeof num, "%s", f->v.b ? "true" : "false");
        break;
    }
    put(l, num, (size_t)n);
}

/* "2026-12-06T07:41:02.123456Z" */
static void put_time(struct line *l, int64_t wall_ns)
{
    time_t sec = (time_t)(wall_ns / 1000000000);
    struct tm tm;
    char ts[40];
    gmtime_r(&sec, &tm);
    int n = snprintf(ts, sizeof ts, "\"%04d-%02d-%02dT%02d:%02d:%02d.%06dZ\"", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)(wall_ns % 1000000000 / 1000));
    put(l, ts, (size_t)n);
}

size_t log_format(char *out, size_t cap, int64_t wall_ns, enum log_level level, const char *msg,
                  const struct log_field *fields, size_t n)
{
    struct line l = {.p = out, .cap = cap - LINE_RESERVE};
    PUT_LIT(&l, "{\"ts\":");
    put_time(&l, wall_ns);
    PUT_LIT(&l, ",\"level\":\"");
    const char *name = log_level_name(level);
    put(&l, name, strlen(name));
    PUT_LIT(&l, "\",\"msg\":");
    put_string(&l, msg);
    for (size_t i = 0; i < n && !l.full; i++) {
        size_t mark = l.len;
        PUT_LIT(&l, ",");
        put_string(&l, fields[i].key);
        PUT_LIT(&l, ":");
        bool key_fit = !l.full;
        if (key_fit)
            put_value(&l, &fields[i]);
        /* Only a string value may be cut; anything else is dropped whole. */
        if (l.full && (!key_fit || fields[i].kind != LOG_KIND_STR))
            l.len = mark;
    }
    out[l.len++] = '}';
    out[l.len++] = '\n';
    return l.len;
}

void log_write(const struct log *lg, enum log_level level, const char *msg,
               const struct log_field *fields, size_t n)
{
    char line[LOG_LINE_MAX];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t wall = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    size_t len = log_format(line, sizeof line, wall, level, msg, fields, n);
    ssize_t w = write(lg->fd, line, len);
    (void)w; /* a log line that cannot be written is lost, by design */
}

void log_line(const char *fmt, ...)
{
    char msg[LOG_LINE_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct log lg = log_init(STDERR_FILENO, LOG_LEVEL_INFO);
    log_write(&lg, LOG_LEVEL_INFO, msg, NULL, 0);
}

struct log log_init(int fd, enum log_level level)
{
    return (struct log){.fd = fd, .level = level};
}

bool log_enabled(const struct log *lg, enum log_level level)
{
    return lg && level >= lg->level;
}

void log_set_level(struct log *lg, enum log_level level)
{
    lg->level = level;
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};

const char *log_level_name(enum log_level level)
{
    return level <= LOG_LEVEL_ERROR ? level_names[level] : "error";
}

bool log_level_parse(const char *name, size_t len, enum log_level *out)
{
    for (int i = LOG_LEVEL_DEBUG; i <= LOG_LEVEL_ERROR; i++) {
        if (strlen(level_names[i]) == len && !memcmp(level_names[i], name, len)) {
            *out = (enum log_level)i;
            return true;
        }
    }
    if (len == 7 && !memcmp(name, "warning", 7)) {
        *out = LOG_LEVEL_WARN;
        return true;
    }
    return false;
}

/* auth: bearer tokens from a file, roles, per-caller state (see auth.h). */
#include "auth.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define DIGEST_LEN     32
#define LINE_MAX_BYTES 1024

struct auth_entry {
    uint8_t digest[DIGEST_LEN];
    struct auth_caller *caller;
    unsigned roles;
};

struct auth {
    char *path;
    struct auth_defaults defaults;
    struct auth_entry *entries;
    size_t nentries;
    struct auth_caller **callers; /* every caller ever named, never freed early */
    size_t ncallers;
    struct stat seen; /* what the table in force was read from */
};

/* A table being read; becomes the one in force only if the whole file parses. */
struct table {
    struct auth_entry *entries;
    size_t n, cap;
};

struct line_options {
    uint32_t rate, burst, waiters;
};

static void digest(const char *s, size_t len, uint8_t out[DIGEST_LEN])
{
    unsigned int n = DIGEST_LEN;
    if (!EVP_Digest(s, len, out, &n, EVP_sha256(), NULL))
        abort(); /* only on allocation failure inside OpenSSL */
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= AUTH_NAME_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static bool token_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < AUTH_TOKEN_MIN || n > AUTH_TOKEN_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~')
            return false;
    return true;
}

static int parse_roles(const char *s, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned bit;
    } roles[] = {{"read", AUTH_ROLE_READ}, {"claim", AUTH_ROLE_CLAIM}, {"admin", AUTH_ROLE_ADMIN}};
    *out = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        unsigned bit = 0;
        for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
            if (strlen(roles[i].name) == n && !memcmp(roles[i].name, s, n))
                bit = roles[i].bit;
        if (!bit)
            return -1;
        *out |= bit;
        s += n + (s[n] == ',');
    }
    return *out ? 0 : -1;
}

static int parse_option(const char *s, struct line_options *o)
{
    uint32_t *dst = !strncmp(s, "rate=", 5)      ? &o->rate
                    : !strncmp(s, "burst=", 6)   ? &o->burst
                    : !strncmp(s, "waiters=", 8) ? &o->waiters
                                                 : NULL;
    if (!dst)
        return -1;
    const char *v = strchr(s, '=') + 1;
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || end == v || *end || *v == '-' || n > 10000000)
        return -1;
    *dst = (uint32_t)n;
    return 0;
}

static struct auth_caller *caller_get(struct auth *a, const char *name)
{
    for (size_t i = 0; i < a->ncallers; i++)
        if (!strcmp(a->callers[i]->name, name))
            return a->callers[i];
    struct auth_caller **v = realloc(a->callers, (a->ncallers + 1) * sizeof *v);
    struct auth_caller *c = calloc(1, sizeof *c);
    if (!v || !c)
        abort();
    a->callers = v;
    snprintf(c->name, sizeof c->name, "%s", name);
    a->callers[a->ncallers++] = c;
    return c;
}

/* Parses one line's fields; the message says what is wrong. */
static const char *parse_line(struct auth *a, char *line, struct table *t, uint64_t now_ns)
{
    char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);
    if (!tok || tok[0] == '#')
        return NULL;
    char *caller = strtok_r(NULL, " \t\r\n", &save), *roles = strtok_r(NULL, " \t\r\n", &save);
    struct line_options o = {a->defaults.claim_rate, a->defaults.claim_burst,
                             a->defaults.max_waiters};
    unsigned bits;
    if (!token_ok(tok))
        return "the token must be 16-256 printable ASCII bytes";
    if (!caller || !name_ok(caller))
        return "the caller name must be 1-32 of [A-Za-z0-9._-]";
    if (!roles || parse_roles(roles, &bits))
        return "roles must be a comma list of read, claim, admin";
    for (char *opt; (opt = strtok_r(NULL, " \t\r\n", &save));)
        if (parse_option(opt, &o))
            return "options are rate=N, burst=N, waiters=N";
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 8;
        if (!(t->entries = realloc(t->entries, t->cap * sizeof *t->entries)))
            abort();
    }
    struct auth_entry *e = &t->entries[t->n++];
    digest(tok, strlen(tok), e->digest);
    e->roles = bits;
    e->caller = caller_get(a, caller);
    struct auth_caller *c = e->caller;
    uint32_t burst = o.burst ? o.burst : o.rate;
    if (!c->initialised)
        ratelimit_init(&c->claims, o.rate, burst, now_ns);
    else
        ratelimit_configure(&c->claims, o.rate, burst, now_ns);
    c->initialised = true;
    c->max_waiters = o.waiters;
    c->present = true;
    return NULL;
}

static int read_table(struct auth *a, FILE *f, struct table *t, uint64_t now_ns, char *err,
                      size_t err_len)
{
    char line[LINE_MAX_BYTES];
    for (size_t i = 0; i < a->ncallers; i++)
        a->callers[i]->present = false;
    for (unsigned no = 1; fgets(line, sizeof line, f); no++) {
        const char *msg = strlen(line) == sizeof line - 1 && !strchr(line, '\n')
                              ? "line longer than 1023 bytes"
                              : parse_line(a, line, t, now_ns);
        if (msg) {
            snprintf(err, err_len, "%s:%u: %s", a->path, no, msg);
            return -1;
        }
    }
    if (ferror(f)) {
        snprintf(err, err_len, "%s: read error", a->path);
        return -1;
    }
    return 0;
}

/* Reads the file into a new table; on success it replaces the one in force. */
static int load(struct auth *a, const struct stat *st, uint64_t now_ns, char *err, size_t err_len)
{
    struct table t = {0};
    FILE *f = fopen(a->path, "re");
    if (!f) {
        snprintf(err, err_len, "%s: %s", a->path, strerror(errno));
        return -1;
    }
    int rc = read_table(a, f, &t, now_ns, err, err_len);
    fclose(f);
    if (rc) {
        /* The old table stays; its callers are the present ones again. */
        for (size_t i = 0; i < a->nentries; i++)
            a->entries[i].caller->present = true;
        if (t.entries)
            OPENSSL_cleanse(t.entries, t.cap * sizeof *t.entries);
        free(t.entries);
        return -1;
    }
    if (a->entries)
        OPENSSL_cleanse(a->entries, a->nentries * sizeof *a->entries);
    free(a->entries);
    a->entries = t.entries;
    a->nentries = t.n;
    a->seen = *st;
    return 0;
}

int auth_reload(struct auth *a, bool force, uint64_t now_ns, char *err, size_t err_len)
{
    struct stat st;
    if (stat(a->path, &st)) {
        snprintf(err, err_len, "%s: %s", a->path, strerror(errno));
        return -1;
    }
    if (!force && st.st_dev == a->seen.st_dev && st.st_ino == a->seen.st_ino &&
        st.st_size == a->seen.st_size && st.st_mtim.tv_sec == a->seen.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == a->seen.st_mtim.tv_nsec)
        return 0;
    return load(a, &st, now_ns, err, err_len) ? -1 : 1;
}

int auth_new(const char *path, const struct auth_defaults *defaults, uint64_t now_ns,
             struct auth **out, char *err, size_t err_len)
{
    struct auth *a = calloc(1, sizeof *a);
    if (!a || !(a->path = strdup(path)))
        abort();
    a->defaults = *defaults;
    if (auth_reload(a, true, now_ns, err, err_len) < 0) {
        auth_free(a);
        return -1;
    }
    *out = a;
    return 0;
}

enum auth_result auth_check(const struct auth *a, const char *header, size_t len,
                            struct auth_identity *out)
{
    static const char scheme[] = "Bearer ";
    const size_t sl = sizeof scheme - 1;
    if (!header || len <= sl || strncasecmp(header, scheme, sl))
        return AUTH_MISSING;
    const char *tok = header + sl;
    size_t n = len - sl;
    while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
        n--;
    uint8_t d[DIGEST_LEN];
    digest(tok, n, d);
    const struct auth_entry *hit = NULL;
    for (size_t i = 0; i < a->nentries; i++) {
        /* No early exit: every entry is compared. */
        bool eq = CRYPTO_memcmp(d, a->entries[i].digest, DIGEST_LEN) == 0;
        hit = eq && !hit ? &a->entries[i] : hit;
    }
    if (!hit)
        return AUTH_INVALID;
    out->caller = hit->caller;
    out->roles = hit->roles;
    return AUTH_OK;
}

bool auth_allows(unsigned roles, unsigned need)
{
    return (roles & AUTH_ROLE_ADMIN) || (roles & need) == need;
}

size_t auth_token_count(const struct auth *a)
{
    return a->nentries;
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    if (a->entries)
        OPENSSL_cleanse(a->entries, a->nentries * sizeof *a->entries);
    free(a->entries);
    for (size_t i = 0; i < a->ncallers; i++)
        free(a->callers[i]);
    free(a->callers);
    free(a->path);
    free(a);
}

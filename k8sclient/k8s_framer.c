#include "k8s_framer.h"

#include <stdlib.h>
#include <string.h>

void k8s_framer_init(struct k8s_framer *f, size_t max_line)
{
    f->buf = NULL;
    f->len = f->cap = 0;
    f->max_line = max_line;
}

void k8s_framer_free(struct k8s_framer *f)
{
    free(f->buf);
    k8s_framer_init(f, f->max_line);
}

void k8s_framer_reset(struct k8s_framer *f)
{
    f->len = 0;
}

int k8s_framer_pending(const struct k8s_framer *f)
{
    return f->len > 0;
}

static enum k8s_status carry(struct k8s_framer *f, const char *data, size_t len)
{
    if (len > f->max_line - f->len)
        return K8S_ETOOBIG;
    if (f->len + len > f->cap) {
        size_t cap = f->cap ? f->cap : 4096;
        while (cap < f->len + len)
            cap *= 2;
        if (cap > f->max_line)
            cap = f->max_line;
        char *p = realloc(f->buf, cap);
        if (!p)
            return K8S_ENOMEM;
        f->buf = p;
        f->cap = cap;
    }
    memcpy(f->buf + f->len, data, len);
    f->len += len;
    return K8S_OK;
}

static enum k8s_status emit(const char *line, size_t len, k8s_line_fn *cb, void *arg)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return K8S_OK;
    return cb(arg, line, len);
}

enum k8s_status k8s_framer_feed(struct k8s_framer *f, const char *data, size_t len, k8s_line_fn *cb,
                                void *arg)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        if (!nl)
            return carry(f, data, len);
        size_t n = (size_t)(nl - data);
        enum k8s_status st;
        if (f->len == 0) {
            if (n > f->max_line)
                return K8S_ETOOBIG;
            st = emit(data, n, cb, arg);
        } else {
            st = carry(f, data, n);
            if (st == K8S_OK) {
                size_t total = f->len;
                f->len = 0;
                st = emit(f->buf, total, cb, arg);
            }
        }
        if (st != K8S_OK)
            return st;
        data = nl + 1;
        len -= n + 1;
    }
    return K8S_OK;
}

static const char *const type_names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};

const char *k8s_event_type_name(enum k8s_event_type t)
{
    return (unsigned)t < sizeof type_names / sizeof type_names[0] ? type_names[t] : "?";
}

static int parse_type(const char *s, enum k8s_event_type *t)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
        if (strcmp(s, type_names[i]) == 0) {
            *t = (enum k8s_event_type)i;
            return 0;
        }
    }
    return -1;
}

enum k8s_status k8s_event_decode(const char *line, size_t len, struct k8s_event *ev)
{
    memset(ev, 0, sizeof *ev);
    cJSON *root = cJSON_ParseWithLength(line, len);
    if (!root)
        return K8S_EPROTO;
    cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "object");
    if (!cJSON_IsString(type) || !cJSON_IsObject(obj) || parse_type(type->valuestring, &ev->type))
        goto fail;
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    cJSON *rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
    ev->root = root;
    ev->object = obj;
    ev->resource_version = cJSON_IsString(rv) ? rv->valuestring : NULL;
    return K8S_OK;
fail:
    cJSON_Delete(root);
    memset(ev, 0, sizeof *ev);
    return K8S_EPROTO;
}

void k8s_event_free(struct k8s_event *ev)
{
    cJSON_Delete(ev->root);
    memset(ev, 0, sizeof *ev);
}

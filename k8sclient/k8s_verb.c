/* k8s_verb: request verbs and answer slots (see k8s_verb.h). */
#include "k8s_verb.h"

#include <string.h>

static const char *const verb_names[K8S_VERB_COUNT] = {
    "get", "list", "watch", "create", "update", "patch", "delete", "other",
};

/* Codes with a slot of their own, then the classes, then "error". */
static const struct {
    long code;
    const char *label;
} answers[K8S_ANSWER_SLOTS] = {
    {200, "200"}, {201, "201"}, {202, "202"}, {204, "204"}, {400, "400"}, {401, "401"},
    {403, "403"}, {404, "404"}, {405, "405"}, {409, "409"}, {410, "410"}, {413, "413"},
    {422, "422"}, {429, "429"}, {500, "500"}, {502, "502"}, {503, "503"}, {504, "504"},
    {2, "2xx"},   {3, "3xx"},   {4, "4xx"},   {5, "5xx"},   {0, "error"},
};

/* Segments of path after the API prefix, or -1 when it has none. */
static int resource_segments(const char *path)
{
    int skip;
    if (!strncmp(path, "/api/", 5))
        skip = 2; /* api, VERSION */
    else if (!strncmp(path, "/apis/", 6))
        skip = 3; /* apis, GROUP, VERSION */
    else
        return -1;
    int n = 0;
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        n++;
        p += strcspn(p, "/");
    }
    return n - skip;
}

enum k8s_verb k8s_verb_of(const char *method, const char *path, bool watch)
{
    if (!strcmp(method, "GET")) {
        if (watch)
            return K8S_VERB_WATCH;
        int n = resource_segments(path);
        return n > 0 && n % 2 == 0 ? K8S_VERB_GET : K8S_VERB_LIST;
    }
    static const struct {
        const char *method;
        enum k8s_verb verb;
    } writes[] = {
        {"POST", K8S_VERB_CREATE},
        {"PUT", K8S_VERB_UPDATE},
        {"PATCH", K8S_VERB_PATCH},
        {"DELETE", K8S_VERB_DELETE},
    };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++)
        if (!strcmp(method, writes[i].method))
            return writes[i].verb;
    return K8S_VERB_OTHER;
}

const char *k8s_verb_name(enum k8s_verb v)
{
    return (unsigned)v < K8S_VERB_COUNT ? verb_names[v] : "other";
}

size_t k8s_answer_slot(long http_code)
{
    if (http_code < 200 || http_code > 599)
        return K8S_ANSWER_SLOTS - 1;
    for (size_t i = 0; i < K8S_ANSWER_SLOTS; i++)
        if (answers[i].code == http_code || answers[i].code == http_code / 100)
            return i;
    return K8S_ANSWER_SLOTS - 1;
}

const char *k8s_answer_label(size_t slot)
{
    return slot < K8S_ANSWER_SLOTS ? answers[slot].label : NULL;
}

/*
 * k8s_verb: what a request is, in the Kubernetes API's own words, and its
 * answer as a bounded label, for the client's per-verb counters
 * (k8s_client_stats.answers).
 *
 * The verb follows the API server's request info (apiserver_request_total):
 * a GET of a named object is "get", of a collection "list", with the watch
 * flag "watch"; POST is "create", PUT "update", PATCH "patch", DELETE
 * "delete". A path names an object when it has a name after its resource:
 * after "/api/VERSION" or "/apis/GROUP/VERSION" the segments alternate
 * resource, name ("namespaces/ns/pods/x": an object; "namespaces/ns/pods":
 * a collection).
 *
 * The answer is a slot: each common status code has its own, any other code
 * its class ("2xx"...), and "error" is an attempt that got no HTTP answer
 * (refused, reset, timed out, TLS). So a metrics label made from it has a
 * fixed, small set of values.
 */
#ifndef K8S_VERB_H
#define K8S_VERB_H

#include <stdbool.h>
#include <stddef.h>

enum k8s_verb {
    K8S_VERB_GET,
    K8S_VERB_LIST,
    K8S_VERB_WATCH,
    K8S_VERB_CREATE,
    K8S_VERB_UPDATE,
    K8S_VERB_PATCH,
    K8S_VERB_DELETE,
    K8S_VERB_OTHER, /* any other method */
    K8S_VERB_COUNT
};

#define K8S_ANSWER_SLOTS 23

/* method as sent ("GET"...), path without the query. */
enum k8s_verb k8s_verb_of(const char *method, const char *path, bool watch);
/* "get", "list", ... "other". */
const char *k8s_verb_name(enum k8s_verb v);
/* The slot of an HTTP status; 0 (no answer) and codes outside 200-599 are
 * "error". */
size_t k8s_answer_slot(long http_code);
/* The slot's label: "200", "404", "4xx", "error"...; NULL past the end. */
const char *k8s_answer_label(size_t slot);

#endif

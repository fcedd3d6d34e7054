/*
 * k8s_yaml: converts one YAML (or JSON, which is YAML) document into a cJSON
 * tree, for pod templates written by users. Plain scalars resolve like YAML
 * 1.2's core schema (null, true/false, integers, floats); quoted scalars stay
 * strings. Nesting is limited to 64 levels (aliases cannot loop forever).
 *
 * Ownership: the caller frees *out with cJSON_Delete. No global state.
 */
#ifndef K8S_YAML_H
#define K8S_YAML_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "k8s_error.h"

/* K8S_EINVAL (with "line:col: problem" in err) for bad or empty YAML,
 * K8S_ENOMEM when memory runs out. */
enum k8s_status k8s_yaml_to_json(const char *text, size_t len, cJSON **out, struct k8s_error *err);

#endif

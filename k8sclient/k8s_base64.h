/*
 * k8s_base64: standard base64 (RFC 4648, '+' '/' with '=' padding), the
 * encoding of kubeconfig "*-data" fields and ExecCredential cluster info.
 *
 * Decoding follows Go's base64.StdEncoding as used by client-go's YAML/JSON
 * decoding of []byte: padding is required, '\r' and '\n' are skipped, any
 * other byte outside the alphabet is an error. Results are heap strings
 * with a trailing NUL (not counted in *out_len) that the caller frees.
 * No global state. Callers: k8s_kubeconfig, k8s_exec.
 */
#ifndef K8S_BASE64_H
#define K8S_BASE64_H

#include <stddef.h>

#include "k8s_error.h"

/* K8S_EINVAL on malformed input, K8S_ENOMEM on OOM; *out untouched on error. */
enum k8s_status k8s_base64_decode(const char *in, size_t len, char **out, size_t *out_len);
/* Returns a new NUL-terminated string or NULL on OOM. */
char *k8s_base64_encode(const void *in, size_t len);

#endif

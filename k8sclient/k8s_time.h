/*
 * k8s_time: RFC 3339 timestamps as Kubernetes writes them.
 *
 * Kubernetes uses two forms: `Time` ("2026-11-25T14:33:24Z", whole seconds)
 * and `MicroTime` ("2024-06-11T04:19:37.976706Z", exactly 6 fractional
 * digits, used by Lease acquireTime/renewTime). Times are carried as signed
 * nanoseconds since the Unix epoch (int64_t covers years 1678..2262).
 *
 * Parsing accepts either form, any number of fractional digits (extra
 * digits beyond 9 are truncated), 'Z'/'z' or a "+hh:mm"/"-hh:mm" offset, and
 * 't' as the separator; it rejects everything else (no leading/trailing
 * spaces). Formatting always writes UTC with 'Z'.
 *
 * Pure functions, no allocation, no global state (timegm-free arithmetic).
 * Callers: k8s_exec (expirationTimestamp), the lease code, the informer.
 */
#ifndef K8S_TIME_H
#define K8S_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "k8s_error.h"

#define K8S_TIME_BUFSZ 32

/* Parses `len` bytes of `s` (need not be NUL-terminated). K8S_EINVAL on bad input. */
enum k8s_status k8s_time_parse(const char *s, size_t len, int64_t *unix_ns);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" (seconds truncated). Returns the length written. */
size_t k8s_time_format(int64_t unix_ns, char out[K8S_TIME_BUFSZ]);

/* Writes MicroTime "YYYY-MM-DDTHH:MM:SS.ffffffZ". Returns the length written. */
size_t k8s_time_format_micro(int64_t unix_ns, char out[K8S_TIME_BUFSZ]);

/* Convenience: CLOCK_REALTIME / CLOCK_MONOTONIC in nanoseconds (for callers that own a clock). */
int64_t k8s_time_wall_now_ns(void);
uint64_t k8s_time_mono_now_ns(void);

#endif

/*
 * metrics_process: the process and build families every Prometheus
 * exporter is expected to have, read from /proc on each scrape.
 *
 *   process_cpu_seconds_total          counter  user + system CPU time
 *   process_resident_memory_bytes      gauge
 *   process_virtual_memory_bytes       gauge
 *   process_open_fds, process_max_fds  gauges   (/proc/self/fd, RLIMIT_NOFILE)
 *   process_start_time_seconds         gauge    Unix time the process started
 *   prewarm_build_info{version,revision} gauge  always 1
 *
 * The names are the ones Prometheus' own client libraries use, so stock
 * dashboards and alerts work. A value /proc does not give is left out of
 * that scrape rather than written as 0.
 *
 * metrics_process_collect is a metrics_collect_fn; ctx is a
 * struct metrics_build (static strings).
 */
#ifndef PREWARM_METRICS_PROCESS_H
#define PREWARM_METRICS_PROCESS_H

#include "metrics.h"

struct metrics_build {
    const char *version;  /* "0.1.0" */
    const char *revision; /* git commit, "unknown" outside a checkout */
};

void metrics_process_collect(void *ctx, struct metrics_writer *w);

#endif

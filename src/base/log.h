/*
 * log: prewarmd's log lines, one per event, on stderr:
 *
 *     prewarmd: pod local-3 ready pool=demo
 *
 * Lifecycle lines (pods, sessions) are written only when the daemon runs
 * verbose (the default; --quiet turns them off); errors and start/stop lines
 * always. Nothing else in src/ prints: modules return errors and the daemon
 * decides what to log. The format is stable text, key=value after the
 * message, so a structured (JSON) sink can replace this one module.
 */
#ifndef PREWARM_LOG_H
#define PREWARM_LOG_H

/* Writes "prewarmd: <formatted>\n" to stderr in one write. */
void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

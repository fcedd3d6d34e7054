/*
 * helper_cfgtest: small file-system helpers for the config, credential and
 * exec tests (fixtures, temporary directories, files, scripts). Test-only;
 * every function aborts the test (Criterion assert) on failure.
 */
#ifndef HELPER_CFGTEST_H
#define HELPER_CFGTEST_H

#include <stddef.h>

/* Reads $PREWARM_FIXTURES/rel into a heap buffer (caller frees). */
char *cfgt_fixture(const char *rel, size_t *len);
/* Absolute path of a fixture (heap string). */
char *cfgt_fixture_path(const char *rel);
/* Creates a fresh directory under $TMPDIR (heap string); remove with cfgt_rmrf. */
char *cfgt_tmpdir(void);
void cfgt_rmrf(const char *dir);
/* Writes text to dir/name with the given mode; returns the heap path. */
char *cfgt_write(const char *dir, const char *name, const char *text, int mode);
/* Reads a whole file (heap, NUL-terminated) or NULL if it cannot be read. */
char *cfgt_read(const char *path, size_t *len);

#endif

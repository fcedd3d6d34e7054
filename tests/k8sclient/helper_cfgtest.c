/* helper_cfgtest: see helper_cfgtest.h. */
#include "helper_cfgtest.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *cfgt_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1024, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    cr_assert_not_null(buf);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *cfgt_fixture_path(const char *rel)
{
    const char *root = getenv("PREWARM_FIXTURES");
    cr_assert_not_null(root, "PREWARM_FIXTURES is not set");
    char *path = NULL;
    cr_assert_geq(asprintf(&path, "%s/%s", root, rel), 0);
    return path;
}

char *cfgt_fixture(const char *rel, size_t *len)
{
    char *path = cfgt_fixture_path(rel);
    char *data = cfgt_read(path, len);
    cr_assert_not_null(data, "cannot read fixture %s", path);
    free(path);
    return data;
}

char *cfgt_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *dir = NULL;
    cr_assert_geq(asprintf(&dir, "%s/k8scfg-XXXXXX", base && base[0] ? base : "/tmp"), 0);
    cr_assert_not_null(mkdtemp(dir));
    return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void cfgt_rmrf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *cfgt_write(const char *dir, const char *name, const char *text, int mode)
{
    char *path = NULL;
    cr_assert_geq(asprintf(&path, "%s/%s", dir, name), 0);
    char *tmp = NULL;
    cr_assert_geq(asprintf(&tmp, "%s.tmp", path), 0);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    cr_assert_geq(fd, 0, "open %s", tmp);
    size_t n = strlen(text);
    cr_assert_eq(write(fd, text, n), (ssize_t)n);
    close(fd);
    cr_assert_eq(chmod(tmp, (mode_t)mode), 0);
    cr_assert_eq(rename(tmp, path), 0); /* atomic, like the kubelet's token swap */
    free(tmp);
    return path;
}

/* metrics_process: process_* and build info families (see metrics_process.h). */
#include "metrics_process.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct proc_stat {
    double cpu_seconds;
    double start_ticks; /* since boot */
    double vsize, rss_pages;
};

/* Fields 14-15 (utime, stime), 22 (starttime), 23 (vsize), 24 (rss) of
 * /proc/self/stat, counted after the ")" that ends the command name. */
static bool read_stat(struct proc_stat *st)
{
    char line[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return false;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    const char *p = strrchr(line, ')');
    unsigned long long utime, stime, start, vsize;
    long long rss;
    if (!p || sscanf(p + 2,
                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d "
                     "%*d %llu %llu %lld",
                     &utime, &stime, &start, &vsize, &rss) != 5)
        return false;
    double hz = (double)sysconf(_SC_CLK_TCK);
    st->cpu_seconds = (double)(utime + stime) / hz;
    st->start_ticks = (double)start / hz;
    st->vsize = (double)vsize;
    st->rss_pages = (double)rss;
    return true;
}

/* Boot time (Unix seconds) from the btime line of /proc/stat; 0 if absent. */
static double boot_time(void)
{
    char line[256];
    double btime = 0;
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "btime %lf", &btime) == 1)
            break;
    fclose(f);
    return btime;
}

static long open_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    long n = 0;
    if (!dir)
        return -1;
    for (struct dirent *e; (e = readdir(dir));)
        n += e->d_name[0] != '.';
    closedir(dir);
    return n - 1; /* the directory's own descriptor */
}

static void gauge(struct metrics_writer *w, const char *name, const char *help, double v)
{
    metrics_family(w, name, METRICS_GAUGE, help);
    metrics_sample(w, name, NULL, 0, v);
}

void metrics_process_collect(void *ctx, struct metrics_writer *w)
{
    const struct metrics_build *b = ctx;
    struct proc_stat st;
    if (read_stat(&st)) {
        metrics_family(w, "process_cpu_seconds_total", METRICS_COUNTER,
                       "Total user and system CPU time spent in seconds.");
        metrics_sample(w, "process_cpu_seconds_total", NULL, 0, st.cpu_seconds);
        gauge(w, "process_resident_memory_bytes", "Resident memory size in bytes.",
              st.rss_pages * (double)sysconf(_SC_PAGESIZE));
        gauge(w, "process_virtual_memory_bytes", "Virtual memory size in bytes.", st.vsize);
        double boot = boot_time();
        if (boot > 0)
            gauge(w, "process_start_time_seconds",
                  "Start time of the process since unix epoch in seconds.", boot + st.start_ticks);
    }
    long fds = open_fds();
    if (fds >= 0)
        gauge(w, "process_open_fds", "Number of open file descriptors.", (double)fds);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        gauge(w, "process_max_fds", "Maximum number of open file descriptors.",
              (double)rl.rlim_cur);
    metrics_family(w, "prewarm_build_info", METRICS_GAUGE,
                   "Always 1; the labels name the running build.");
    const char *l[] = {"version", b->version, "revision", b->revision};
    metrics_sample(w, "prewarm_build_info", l, 2, 1);
}

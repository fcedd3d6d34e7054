/* k8s_time: RFC 3339 parse and format (see k8s_time.h). */
#include "k8s_time.h"

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#define NS_PER_S 1000000000LL

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Reads exactly n digits at s[*i]. */
static bool digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return false;
        v = v * 10 + (s[*i] - '0');
    }
    *out = v;
    return true;
}

static bool expect(const char *s, size_t len, size_t *i, const char *any)
{
    if (*i >= len)
        return false;
    for (; *any; any++) {
        if (s[*i] == *any) {
            (*i)++;
            return true;
        }
    }
    return false;
}

/* Fraction after '.', at least one digit; keeps 9 digits. */
static bool fraction(const char *s, size_t len, size_t *i, int64_t *ns)
{
    int64_t v = 0;
    int n = 0;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        if (n < 9) {
            v = v * 10 + (s[*i] - '0');
            n++;
        }
        (*i)++;
    }
    if (n == 0)
        return false;
    for (; n < 9; n++)
        v *= 10;
    *ns = v;
    return true;
}

/* "Z" or "+hh:mm" / "-hh:mm" -> offset seconds east of UTC. */
static bool zone(const char *s, size_t len, size_t *i, int *offset)
{
    if (expect(s, len, i, "Zz")) {
        *offset = 0;
        return true;
    }
    if (*i >= len || (s[*i] != '+' && s[*i] != '-'))
        return false;
    int sign = s[(*i)++] == '-' ? -1 : 1;
    int hh, mm;
    if (!digits(s, len, i, 2, &hh) || !expect(s, len, i, ":") || !digits(s, len, i, 2, &mm))
        return false;
    if (hh > 23 || mm > 59)
        return false;
    *offset = sign * (hh * 3600 + mm * 60);
    return true;
}

enum k8s_status k8s_time_parse(const char *s, size_t len, int64_t *unix_ns)
{
    size_t i = 0;
    int y, mo, d, h, mi, se, off = 0;
    int64_t frac = 0;
    if (!s || !digits(s, len, &i, 4, &y) || !expect(s, len, &i, "-") ||
        !digits(s, len, &i, 2, &mo) || !expect(s, len, &i, "-") || !digits(s, len, &i, 2, &d) ||
        !expect(s, len, &i, "Tt") || !digits(s, len, &i, 2, &h) || !expect(s, len, &i, ":") ||
        !digits(s, len, &i, 2, &mi) || !expect(s, len, &i, ":") || !digits(s, len, &i, 2, &se))
        return K8S_EINVAL;
    if (i < len && s[i] == '.') {
        i++;
        if (!fraction(s, len, &i, &frac))
            return K8S_EINVAL;
    }
    if (!zone(s, len, &i, &off) || i != len)
        return K8S_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59)
        return K8S_EINVAL;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    /* int64 nanoseconds cover about +-292 years around 1970. */
    if (secs > INT64_MAX / NS_PER_S - 1 || secs < INT64_MIN / NS_PER_S + 1)
        return K8S_EINVAL;
    *unix_ns = secs * NS_PER_S + frac;
    return K8S_OK;
}

static void split(int64_t unix_ns, int64_t *secs, int64_t *frac)
{
    *secs = unix_ns / NS_PER_S;
    *frac = unix_ns % NS_PER_S;
    if (*frac < 0) {
        *frac += NS_PER_S;
        (*secs)--;
    }
}

static size_t format(int64_t unix_ns, char out[K8S_TIME_BUFSZ], bool micro)
{
    int64_t secs, frac, y;
    int m, d;
    split(unix_ns, &secs, &frac);
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    int n;
    if (micro)
        n = snprintf(out, K8S_TIME_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", (int)y, m, d,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)(frac / 1000));
    else
        n = snprintf(out, K8S_TIME_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    return n < 0 ? 0 : (size_t)n;
}

size_t k8s_time_format(int64_t unix_ns, char out[K8S_TIME_BUFSZ])
{
    return format(unix_ns, out, false);
}

size_t k8s_time_format_micro(int64_t unix_ns, char out[K8S_TIME_BUFSZ])
{
    return format(unix_ns, out, true);
}

int64_t k8s_time_wall_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

uint64_t k8s_time_mono_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * (uint64_t)NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* json_out: typed JSON value writers (see json_out.h). */
#include "json_out.h"

#include <math.h>
#include <time.h>

void json_str(struct buf *b, const char *s)
{
    buf_append_json_string(b, s);
}

void json_str_or_null(struct buf *b, const char *s)
{
    if (s && *s)
        buf_append_json_string(b, s);
    else
        JSON_LIT(b, "null");
}

void json_uint(struct buf *b, uint64_t v)
{
    buf_append_uint(b, v);
}

void json_double(struct buf *b, double v)
{
    if (isfinite(v))
        buf_appendf(b, "%.6g", v); /* not on the claim path */
    else
        JSON_LIT(b, "null");
}

void json_bool(struct buf *b, bool v)
{
    if (v)
        JSON_LIT(b, "true");
    else
        JSON_LIT(b, "false");
}

static void put_digits(char *out, unsigned v, int width)
{
    while (width-- > 0) {
        out[width] = (char)('0' + v % 10);
        v /= 10;
    }
}

void json_time(struct buf *b, int64_t wall_ns)
{
    time_t sec = (time_t)(wall_ns / 1000000000);
    struct tm tm;
    char out[26] = "\"0000-00-00T00:00:00.000Z\"";
    gmtime_r(&sec, &tm);
    put_digits(out + 1, (unsigned)(tm.tm_year + 1900), 4);
    put_digits(out + 6, (unsigned)tm.tm_mon + 1, 2);
    put_digits(out + 9, (unsigned)tm.tm_mday, 2);
    put_digits(out + 12, (unsigned)tm.tm_hour, 2);
    put_digits(out + 15, (unsigned)tm.tm_min, 2);
    put_digits(out + 18, (unsigned)tm.tm_sec, 2);
    put_digits(out + 21, (unsigned)((wall_ns / 1000000) % 1000), 3);
    buf_append(b, out, sizeof out);
}

void json_array(struct buf *b, size_t n, json_item_fn *item, const void *ctx)
{
    JSON_LIT(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            JSON_LIT(b, ",");
        item(b, ctx, i);
    }
    JSON_LIT(b, "]");
}

/* libFuzzer target: the YAML config parser must never crash or leak, a
 * success has at least one pool, and every failure comes with a message
 * that names the file ("fuzz.yaml:LINE:COL: field: what"). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config *cfg = NULL;
    char err[256];
    enum config_status rc =
        config_load_string("fuzz.yaml", (const char *)data, size, &cfg, err, sizeof err);
    if (rc == CONFIG_OK && (!cfg || !cfg->npools))
        abort();
    if (rc != CONFIG_OK && (cfg || strncmp(err, "fuzz.yaml:", 10) != 0))
        abort();
    config_free(cfg);
    return 0;
}

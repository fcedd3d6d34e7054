/* libFuzzer target: the claim body parser (src/api/api_claim.c). Any input must
 * parse or give a 400/422 with a message, and accepted fields must be in
 * their documented ranges. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_claim.h"
#include "pool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *root;
    struct api_claim_args a;
    struct api_claim_error err;
    int st = api_claim_parse((const char *)data, size, &root, &a, &err);
    if (st) {
        if ((st != 400 && st != 422) || !err.message[0] || !err.reason)
            abort();
    } else {
        if (a.wait_ms > API_WAIT_MS_MAX)
            abort();
        if ((a.key && strlen(a.key) > POOL_KEY_MAX) ||
            (a.request_id && strlen(a.request_id) > POOL_KEY_MAX))
            abort();
    }
    cJSON_Delete(root);
    return 0;
}

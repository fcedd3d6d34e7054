/* libFuzzer target: the claim body parser (src/api/api_claim.c, with the
 * strict checks of json_strict.c). Any input must parse or give a 400/422
 * with a message, and accepted fields must be in their documented ranges
 * and valid UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_claim.h"
#include "pool.h"
#include "utf8.h"

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
        if ((a.key && strlen(a.key) > API_KEY_MAX) ||
            (a.request_id && strlen(a.request_id) > API_KEY_MAX))
            abort();
        /* What prewarm acts on is what was sent: valid UTF-8, no NUL cut. */
        if ((a.key && !utf8_valid(a.key, strlen(a.key))) ||
            (a.request_id && !utf8_valid(a.request_id, strlen(a.request_id))))
            abort();
    }
    cJSON_Delete(root);
    return 0;
}

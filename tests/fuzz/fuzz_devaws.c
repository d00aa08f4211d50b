/*
 * Fuzz target for nw-devaws's parsers of untrusted input: policy documents
 * (nw_dv_policy_validate, nw_dv_policy_eval) and ciphertext blobs (nw_dv_blob_key_id,
 * nw_dv_blob_open). The first byte picks the mode. Properties checked, not just crashes:
 *  - policy: eval succeeds exactly when validate does, and never reports an effect on error;
 *  - blob: opening arbitrary bytes fails with a blob error and leaves no output; sealing the
 *    input as plaintext then opening it gives the input back, and a changed context fails.
 */
#include <stdlib.h>
#include <string.h>

#include <nw/mem.h>

#include "devaws/devaws_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); // NOLINT

static const uint8_t key32[32] = {7};
static const char id36[] = "01234567-89ab-4cde-8f01-23456789abcd";

static void fuzz_policy(const uint8_t *data, size_t size)
{
    json_t *p = json_loadb((const char *)data, size, 0, NULL);
    if (p == NULL)
        return;
    json_t *ec = json_pack("{s:s}", "app", "wallet");
    struct nw_dv_attest_facts facts;
    memset(&facts, 0, sizeof(facts));
    facts.present = true;
    memset(facts.image_sha384, 'a', 96);
    struct nw_dv_policy_ctx ctx = {"kms:Decrypt",
                                   "arn:aws:kms:us-east-1:111122223333:key/x",
                                   "arn:aws:iam::111122223333:role/r",
                                   "111122223333",
                                   ec,
                                   "secretsmanager.us-east-1.amazonaws.com",
                                   &facts};
    nw_err v = nw_dv_policy_validate(p);
    for (int resource = 0; resource < 2; resource++) {
        enum nw_dv_effect e = NW_DV_ALLOW;
        bool via_root = true;
        nw_err r = nw_dv_policy_eval(&e, &via_root, p, &ctx, resource != 0);
        if (v != NW_OK && r != NW_ERR_DEVAWS_POLICY_SYNTAX)
            abort();
        if (r != NW_OK && e != NW_DV_NONE)
            abort();
        if (!resource && r != v)
            abort();
    }
    json_decref(p);
    json_decref(ec);
}

static void fuzz_blob(const uint8_t *data, size_t size)
{
    struct nw_buf out, blob;
    char id[NW_DV_KEY_ID_LEN + 1];
    nw_buf_init(&out, 1 << 20, true);
    nw_buf_init(&blob, 1 << 20, false);
    nw_err e = nw_dv_blob_open(&out, key32, NULL, nw_cur_of(data, size));
    if (e == NW_OK
            ? nw_dv_blob_key_id(id, nw_cur_of(data, size)) != NW_OK
            : (out.len != 0 || (e != NW_ERR_DEVAWS_BLOB_FORMAT && e != NW_ERR_DEVAWS_BLOB_AUTH)))
        abort();
    nw_buf_clear(&out);
    json_t *ctx = json_pack("{s:s#}", "k", (const char *)data, (int)(size < 16 ? size : 16));
    if (ctx != NULL) { /* NULL when the bytes are not UTF-8 */
        if (nw_dv_blob_seal(&blob, key32, id36, ctx, nw_cur_of(data, size)) != NW_OK ||
            nw_dv_blob_open(&out, key32, ctx, nw_buf_cur(&blob)) != NW_OK || out.len != size ||
            (size > 0 && memcmp(out.ptr, data, size) != 0))
            abort();
        nw_buf_clear(&out);
        if (nw_dv_blob_open(&out, key32, NULL, nw_buf_cur(&blob)) != NW_ERR_DEVAWS_BLOB_AUTH)
            abort();
    }
    json_decref(ctx);
    nw_buf_clear(&out);
    nw_buf_clear(&blob);
}

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 65536)
        return 0;
    if (data[0] & 1)
        fuzz_blob(data + 1, size - 1);
    else
        fuzz_policy(data + 1, size - 1);
    return 0;
}

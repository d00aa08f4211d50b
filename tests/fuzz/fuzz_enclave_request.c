/*
 * Fuzz target: the nw-enclave request decoder (src/enclave/request.c: nw_enc_req_parse,
 * nw_enc_check_fields, the field getters) and the answer encoder (nw_enc_answer_ok/_err).
 * Properties: any input is either a request or a refusal with a code of the API table (never a
 * crash); the answer to it is valid JSON within a frame and echoes the request's id exactly
 * (null when it could not be read); an accepted op name is [a-z0-9_]{1,31}; the deadline never
 * exceeds the server's maximum. Deterministic: the clock is passed in.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nw/wire.h>

#include "enclave/enclave_int.h"

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_answer(const struct nw_buf *out, const json_t *id)
{
    json_t *a = json_loadb((const char *)out->ptr, out->len, 0, NULL);
    if (a == NULL || out->len == 0 || out->len > NW_WIRE_MAX_FRAME)
        abort();
    json_t *aid = json_object_get(a, "id");
    if (aid == NULL || (id == NULL ? !json_is_null(aid) : !json_equal(aid, id)))
        abort();
    json_decref(a);
}

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const fields[] = {"transaction_payload", "encrypted_key", "credential",
                                         NULL};
    struct nw_enc_req r;
    struct nw_diag diag = {0};
    struct nw_buf out;
    if (size > NW_WIRE_MAX_FRAME)
        return 0;
    nw_buf_init(&out, NW_WIRE_MAX_FRAME, true);
    nw_err err = nw_enc_req_parse(&r, &diag, nw_cur_of(data, size), 1000, 30000);
    if (err == NW_OK) {
        size_t n = strlen(r.op);
        if (n == 0 || n > NW_ENC_OP_MAX ||
            strspn(r.op, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
            abort();
        if (r.deadline_ms <= 1000 || r.deadline_ms > 1000 + 30000 || r.id == NULL)
            abort();
        const char *s = NULL;
        int64_t x = 0;
        bool b = false;
        nw_err e[4] = {nw_enc_check_fields(r.root, &diag, fields),
                       nw_enc_get_str(r.root, &diag, "encrypted_key", 16384, &s, false),
                       nw_enc_get_int(r.root, &diag, "limit", 1, 1000, &x, NULL),
                       nw_enc_get_bool(r.root, &diag, "include_disabled", &b, NULL)};
        for (size_t i = 0; i < 4; i++)
            if (e[i] != NW_OK && e[i] != NW_ERR_BAD_REQUEST)
                abort();
        if (e[1] == NW_OK && s != NULL && (strlen(s) == 0 || strlen(s) > 16384))
            abort();
        json_t *res = json_deep_copy(r.root);
        if (nw_enc_answer_ok(&out, r.id, res) == NW_OK)
            check_answer(&out, r.id);
        out.len = 0;
    } else if (err != NW_ERR_BAD_REQUEST && err != NW_ERR_JSON_NUMBER_TOO_BIG &&
               err != NW_ERR_JSON_DUPLICATE_KEY) {
        abort();
    }
    if (nw_enc_answer_err(&out, r.id, err == NW_OK ? NW_ERR_UNKNOWN_OP : err, diag.msg) != NW_OK)
        abort();
    check_answer(&out, r.id);
    nw_enc_req_clear(&r);
    nw_buf_clear(&out);
    return 0;
}

/*
 * Fuzz target kms_relay: the relay's request gate on arbitrary frames.
 * Target function: nw_kms_relay_check (the check nw_kms_relay_handle runs before anything is
 * signed or sent). Deterministic.
 * Properties checked beyond "no crash": a refused request leaves no output and no op; an
 * accepted one has one of the three allowed operations and a body that is a JSON object holding
 * a Recipient with KeyEncryptionAlgorithm RSAES_OAEP_SHA_256 and a non-empty document and only
 * members the target allows; re-wrapping the forwarded body passes the gate again unchanged.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nw/kms.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); // NOLINT

static void check(int cond)
{
    if (!cond)
        abort();
}

static void check_body(enum nw_kms_op op, const struct nw_buf *body)
{
    json_t *b = json_loadb((const char *)body->ptr, body->len, JSON_REJECT_DUPLICATES, NULL);
    check(json_is_object(b));
    json_t *r = json_object_get(b, "Recipient");
    check(json_is_object(r));
    check(json_is_string(json_object_get(r, "KeyEncryptionAlgorithm")) &&
          strcmp(json_string_value(json_object_get(r, "KeyEncryptionAlgorithm")),
                 "RSAES_OAEP_SHA_256") == 0);
    check(json_string_length(json_object_get(r, "AttestationDocument")) > 0);
    check(json_object_get(b, "Plaintext") == NULL);
    if (op == NW_KMS_GENERATE_RANDOM)
        check(json_object_get(b, "KeyId") == NULL && json_object_get(b, "CiphertextBlob") == NULL);
    json_decref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nw_buf body, again, wrapped;
    struct nw_kms_relay_info info;
    enum nw_kms_op op = 0, op2 = 0;
    nw_buf_init(&body, NW_KMS_RELAY_MAX_REQUEST, false);
    nw_buf_init(&again, NW_KMS_RELAY_MAX_REQUEST, false);
    nw_buf_init(&wrapped, 2 * NW_KMS_RELAY_MAX_REQUEST, false);
    nw_err err = nw_kms_relay_check(&op, &body, &info, nw_cur_of(data, size));
    check(info.code == err);
    if (err != NW_OK) {
        check(op == 0 && body.len == 0 && info.op == 0);
        check(err != NW_ERR_INTERNAL);
        goto out;
    }
    check(op == NW_KMS_DECRYPT || op == NW_KMS_GENERATE_DATA_KEY || op == NW_KMS_GENERATE_RANDOM);
    check(info.op == op);
    check_body(op, &body);
    /* The forwarded body, wrapped again, passes unchanged. */
    check(nw_buf_appendf(
              &wrapped, "{\"v\":1,\"id\":1,\"op\":\"kms\",\"target\":\"TrentService.%s\",\"body\":",
              nw_kms_op_name(op)) == NW_OK);
    check(nw_buf_append(&wrapped, body.ptr, body.len) == NW_OK);
    check(nw_buf_append_byte(&wrapped, '}') == NW_OK);
    if (wrapped.len <= NW_KMS_RELAY_MAX_REQUEST) {
        check(nw_kms_relay_check(&op2, &again, NULL, nw_buf_cur(&wrapped)) == NW_OK);
        check(op2 == op && again.len == body.len && memcmp(again.ptr, body.ptr, body.len) == 0);
    }
out:
    nw_buf_clear(&body);
    nw_buf_clear(&again);
    nw_buf_clear(&wrapped);
    return 0;
}

/*
 * KMS cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
 * GenerateDataKeyWithoutPlaintext, GenerateRandom. Blobs are blob.c's authenticated format;
 * plaintexts live in secret buffers and are wiped on every path. With a Recipient, the answer
 * goes through the attestation hook (recipient.c) instead of carrying Plaintext.
 */
#include <string.h>

#include <nw/mem.h>

#include "kms_int.h"

static bool algorithm_ok(struct nw_dv_kctx *k, const char *member)
{
    const char *alg;
    if (!nw_dv_kms_str(k, &alg, member, false, 1, 64))
        return false;
    if (alg != NULL && strcmp(alg, "SYMMETRIC_DEFAULT") != 0) {
        nw_dv_error(k->resp, 400, "InvalidKeyUsageException", "message",
                    "Unsupported encryption algorithm %s for a symmetric key", alg);
        return false;
    }
    return true;
}

/* Seal plaintext under key and answer base64 in o[member]. */
static bool seal_into(struct nw_dv_kctx *k,
                      json_t *o,
                      const char *member,
                      const json_t *key,
                      const char *id,
                      const json_t *enc_ctx,
                      struct nw_cur plaintext)
{
    uint8_t mat[32];
    struct nw_buf blob, b64;
    bool ok = false;
    nw_buf_init(&blob, NW_DV_KMS_CIPHERTEXT_MAX + 64, false);
    nw_buf_init(&b64, (size_t)2 * NW_DV_KMS_CIPHERTEXT_MAX, false);
    if (nw_dv_kms_material(key, mat) &&
        nw_dv_blob_seal(&blob, mat, id, enc_ctx, plaintext) == NW_OK &&
        nw_base64_encode(&b64, nw_cur_of(blob.ptr, blob.len)) == NW_OK &&
        nw_buf_cstr(&b64) == NW_OK) {
        json_object_set_new(o, member, json_string((const char *)b64.ptr));
        ok = true;
    } else {
        nw_dv_error(k->resp, 500, "KMSInternalException", "message", "encryption failed");
    }
    nw_wipe(mat, sizeof(mat));
    nw_buf_clear(&blob);
    nw_buf_clear(&b64);
    return ok;
}

/* Base64 of a secret into o[member] (the text is wiped after jansson copies it). */
static bool secret_into(struct nw_dv_kctx *k, json_t *o, const char *member, struct nw_cur data)
{
    struct nw_buf b64;
    bool ok = false;
    nw_buf_init(&b64, (size_t)2 * NW_DV_KMS_CIPHERTEXT_MAX, true);
    if (nw_base64_encode(&b64, nw_cur_of(data.ptr, data.len)) == NW_OK &&
        nw_buf_cstr(&b64) == NW_OK) {
        json_object_set_new(o, member, json_string((const char *)b64.ptr));
        ok = true;
    } else {
        nw_dv_error(k->resp, 500, "KMSInternalException", "message", "encoding failed");
    }
    nw_buf_clear(&b64);
    return ok;
}

void nw_dv_kms_encrypt(struct nw_dv_kctx *k)
{
    const char *ref;
    const json_t *ec;
    char id[37], arn[NW_DV_ARN_MAX];
    struct nw_buf pt;
    nw_buf_init(&pt, NW_DV_KMS_PLAINTEXT_MAX + 8, true);
    if (!nw_dv_kms_str(k, &ref, "KeyId", true, 1, 2048) ||
        !nw_dv_kms_blob(k, &pt, "Plaintext", true, NW_DV_KMS_PLAINTEXT_MAX) ||
        !nw_dv_kms_ctx(k, &ec, "EncryptionContext") || !algorithm_ok(k, "EncryptionAlgorithm"))
        goto out;
    json_t *key = nw_dv_kms_resolve(k, id, ref);
    if (key == NULL || !nw_dv_kms_allowed(k, key, id, "Encrypt", ec, NULL) ||
        !nw_dv_kms_usable(k, key, id) || nw_dv_kms_dry_run(k))
        goto out;
    nw_dv_kms_arn(k, arn, id);
    json_t *o = json_pack("{s:s, s:s}", "KeyId", arn, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    if (seal_into(k, o, "CiphertextBlob", key, id, ec, nw_buf_cur(&pt)))
        nw_dv_json_ok(k->resp, o);
    json_decref(o);
out:
    nw_buf_clear(&pt);
}

/*
 * Open a ciphertext blob: find its key (and check it against want_ref when given), authorise
 * op, check the key state, decrypt into pt. Answers the error and returns NULL on failure.
 */
static json_t *open_blob(struct nw_dv_kctx *k,
                         struct nw_buf *pt,
                         char id[37],
                         const char *op,
                         struct nw_cur blob,
                         const json_t *ec,
                         const char *want_ref,
                         const struct nw_dv_attest_facts *attest)
{
    char want[37];
    uint8_t mat[32];
    if (nw_dv_blob_key_id(id, blob) != NW_OK) {
        nw_dv_error(k->resp, 400, "InvalidCiphertextException", "message", "%s", "");
        return NULL;
    }
    if (want_ref != NULL) {
        if (nw_dv_kms_resolve(k, want, want_ref) == NULL)
            return NULL;
        if (strcmp(want, id) != 0) {
            nw_dv_error(k->resp, 400, "IncorrectKeyException", "message",
                        "The key ID in the request does not identify a CMK that can perform this "
                        "operation.");
            return NULL;
        }
    }
    json_t *key = nw_dv_kms_resolve(k, id, id);
    if (key == NULL || !nw_dv_kms_allowed(k, key, id, op, ec, attest) ||
        !nw_dv_kms_usable(k, key, id))
        return NULL;
    nw_err err =
        nw_dv_kms_material(key, mat) ? nw_dv_blob_open(pt, mat, ec, blob) : NW_ERR_INTERNAL;
    nw_wipe(mat, sizeof(mat));
    if (err != NW_OK) {
        nw_dv_error(k->resp, 400, "InvalidCiphertextException", "message", "%s", "");
        return NULL;
    }
    return key;
}

void nw_dv_kms_decrypt(struct nw_dv_kctx *k)
{
    const char *ref;
    const json_t *ec;
    char id[37], arn[NW_DV_ARN_MAX];
    struct nw_buf blob, pt;
    struct nw_dv_attest_facts facts;
    memset(&facts, 0, sizeof(facts));
    nw_buf_init(&blob, NW_DV_KMS_CIPHERTEXT_MAX + 8, false);
    nw_buf_init(&pt, NW_DV_KMS_CIPHERTEXT_MAX, true);
    if (!nw_dv_kms_blob(k, &blob, "CiphertextBlob", true, NW_DV_KMS_CIPHERTEXT_MAX) ||
        !nw_dv_kms_ctx(k, &ec, "EncryptionContext") ||
        !nw_dv_kms_str(k, &ref, "KeyId", false, 1, 2048) || !algorithm_ok(k, "EncryptionAlgorithm"))
        goto out;
    const json_t *recipient = json_object_get(k->in, "Recipient");
    if (recipient != NULL && !nw_dv_recipient_check(k->resp, &facts, recipient))
        goto out;
    if (open_blob(k, &pt, id, "Decrypt", nw_buf_cur(&blob), ec, ref, &facts) == NULL ||
        nw_dv_kms_dry_run(k))
        goto out;
    nw_dv_kms_arn(k, arn, id);
    json_t *o = json_pack("{s:s, s:s}", "KeyId", arn, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    bool ok = recipient != NULL ? nw_dv_recipient_seal(k->resp, o, recipient, nw_buf_cur(&pt))
                                : secret_into(k, o, "Plaintext", nw_buf_cur(&pt));
    if (ok)
        nw_dv_json_ok(k->resp, o);
    json_decref(o);
out:
    nw_buf_clear(&blob);
    nw_buf_clear(&pt);
}

void nw_dv_kms_reencrypt(struct nw_dv_kctx *k)
{
    const char *src_ref, *dst_ref;
    const json_t *src_ec, *dst_ec;
    char src[37], dst[37], src_arn[NW_DV_ARN_MAX], dst_arn[NW_DV_ARN_MAX];
    struct nw_buf blob, pt;
    nw_buf_init(&blob, NW_DV_KMS_CIPHERTEXT_MAX + 8, false);
    nw_buf_init(&pt, NW_DV_KMS_CIPHERTEXT_MAX, true);
    if (!nw_dv_kms_blob(k, &blob, "CiphertextBlob", true, NW_DV_KMS_CIPHERTEXT_MAX) ||
        !nw_dv_kms_ctx(k, &src_ec, "SourceEncryptionContext") ||
        !nw_dv_kms_ctx(k, &dst_ec, "DestinationEncryptionContext") ||
        !nw_dv_kms_str(k, &src_ref, "SourceKeyId", false, 1, 2048) ||
        !nw_dv_kms_str(k, &dst_ref, "DestinationKeyId", true, 1, 2048) ||
        !algorithm_ok(k, "SourceEncryptionAlgorithm") ||
        !algorithm_ok(k, "DestinationEncryptionAlgorithm"))
        goto out;
    if (open_blob(k, &pt, src, "ReEncryptFrom", nw_buf_cur(&blob), src_ec, src_ref, NULL) == NULL)
        goto out;
    json_t *dkey = nw_dv_kms_resolve(k, dst, dst_ref);
    if (dkey == NULL || !nw_dv_kms_allowed(k, dkey, dst, "ReEncryptTo", dst_ec, NULL) ||
        !nw_dv_kms_usable(k, dkey, dst) || nw_dv_kms_dry_run(k))
        goto out;
    nw_dv_kms_arn(k, src_arn, src);
    nw_dv_kms_arn(k, dst_arn, dst);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "SourceKeyId", src_arn, "KeyId", dst_arn,
                          "SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT",
                          "DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    if (seal_into(k, o, "CiphertextBlob", dkey, dst, dst_ec, nw_buf_cur(&pt)))
        nw_dv_json_ok(k->resp, o);
    json_decref(o);
out:
    nw_buf_clear(&blob);
    nw_buf_clear(&pt);
}

/* GenerateDataKey and GenerateDataKeyWithoutPlaintext. */
static void generate_data_key(struct nw_dv_kctx *k, bool with_plaintext)
{
    const char *ref, *spec;
    const json_t *ec;
    long nbytes = 0;
    bool has_n;
    char id[37], arn[NW_DV_ARN_MAX];
    uint8_t dk[1024];
    struct nw_dv_attest_facts facts;
    memset(&facts, 0, sizeof(facts));
    if (!nw_dv_kms_str(k, &ref, "KeyId", true, 1, 2048) ||
        !nw_dv_kms_ctx(k, &ec, "EncryptionContext") ||
        !nw_dv_kms_int(k, &nbytes, "NumberOfBytes", 1, 1024, &has_n) ||
        !nw_dv_kms_str(k, &spec, "KeySpec", false, 1, 16))
        return;
    if (has_n == (spec != NULL) ||
        (spec != NULL && strcmp(spec, "AES_256") != 0 && strcmp(spec, "AES_128") != 0)) {
        nw_dv_error(k->resp, 400, "ValidationException", "message",
                    "Please specify either number of bytes or key spec.");
        return;
    }
    if (spec != NULL)
        nbytes = strcmp(spec, "AES_256") == 0 ? 32 : 16;
    const json_t *recipient = with_plaintext ? json_object_get(k->in, "Recipient") : NULL;
    if (recipient != NULL && !nw_dv_recipient_check(k->resp, &facts, recipient))
        return;
    json_t *key = nw_dv_kms_resolve(k, id, ref);
    const char *op = with_plaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext";
    if (key == NULL || !nw_dv_kms_allowed(k, key, id, op, ec, &facts) ||
        !nw_dv_kms_usable(k, key, id) || nw_dv_kms_dry_run(k))
        return;
    if (nw_dv_random(dk, (size_t)nbytes) != NW_OK) {
        nw_wipe(dk, sizeof(dk)); /* a partial fill is still key material */
        nw_dv_error(k->resp, 500, "KMSInternalException", "message", "randomness failed");
        return;
    }
    nw_dv_kms_arn(k, arn, id);
    json_t *o = json_pack("{s:s}", "KeyId", arn);
    struct nw_cur pt = nw_cur_of(dk, (size_t)nbytes);
    bool ok = seal_into(k, o, "CiphertextBlob", key, id, ec, pt);
    if (ok && recipient != NULL)
        ok = nw_dv_recipient_seal(k->resp, o, recipient, pt);
    else if (ok && with_plaintext)
        ok = secret_into(k, o, "Plaintext", pt);
    if (ok)
        nw_dv_json_ok(k->resp, o);
    json_decref(o);
    nw_wipe(dk, sizeof(dk));
}

void nw_dv_kms_gdk(struct nw_dv_kctx *k)
{
    generate_data_key(k, true);
}

void nw_dv_kms_gdk_np(struct nw_dv_kctx *k)
{
    generate_data_key(k, false);
}

void nw_dv_kms_random(struct nw_dv_kctx *k)
{
    long n = 0;
    bool has;
    uint8_t r[1024];
    struct nw_dv_attest_facts facts;
    memset(&facts, 0, sizeof(facts));
    if (!nw_dv_kms_int(k, &n, "NumberOfBytes", 1, 1024, &has))
        return;
    if (!has) {
        nw_dv_error(k->resp, 400, "ValidationException", "message",
                    "1 validation error detected: Value null at 'numberOfBytes' failed to satisfy "
                    "constraint: Member must not be null");
        return;
    }
    const json_t *recipient = json_object_get(k->in, "Recipient");
    if (recipient != NULL && !nw_dv_recipient_check(k->resp, &facts, recipient))
        return;
    if (!nw_dv_kms_allowed(k, NULL, NULL, "GenerateRandom", NULL, &facts))
        return;
    if (nw_dv_random(r, (size_t)n) != NW_OK) {
        nw_dv_error(k->resp, 500, "KMSInternalException", "message", "randomness failed");
        return;
    }
    json_t *o = json_object();
    bool ok = recipient != NULL
                  ? nw_dv_recipient_seal(k->resp, o, recipient, nw_cur_of(r, (size_t)n))
                  : secret_into(k, o, "Plaintext", nw_cur_of(r, (size_t)n));
    if (ok)
        nw_dv_json_ok(k->resp, o);
    json_decref(o);
    nw_wipe(r, sizeof(r));
}

/*
 * Where a signing key comes from: the seed's `encrypted_key` (a KMS CiphertextBlob of the key's
 * hex text, no encryption context; `credential` forwarded for direct KMS mode), or a stored key
 * named by `key_id` or `address` (decrypted under {"nw:key_id": id} and checked against the
 * row's address, DESIGN.md section 6; an imported seed ciphertext, marked by an empty
 * kms_key_arn, has no context and is bound to its row by the address check alone).
 */
#include <stdio.h>
#include <string.h>

#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/mem.h>

#include "enclave_int.h"

#define CIPHERTEXT_B64_MAX 16384

json_t *nw_enc_json_hex(const uint8_t *p, size_t n)
{
    size_t len = 2 * n + 3;
    char *s = nw_malloc(len);
    if (s == NULL)
        return NULL;
    json_t *j = nw_hex_encode(s, len, p, n, true) == NW_OK ? json_string(s) : NULL;
    nw_free(s);
    return j;
}

json_t *nw_enc_json_addr(const uint8_t addr20[20])
{
    char a[NW_ETHADDR_TEXT_LEN];
    nw_ethaddr_format(a, addr20);
    return json_string(a);
}

bool nw_enc_json_set(json_t *obj, const char *key, json_t *value)
{
    return value != NULL && json_object_set_new(obj, key, value) == 0;
}

nw_err nw_enc_creds_parse(struct nw_enc_op_ctx *c, struct nw_aws_creds *creds, bool *have)
{
    const json_t *cr = json_object_get(c->req->root, "credential");
    const char *akid = NULL, *secret = NULL, *token = NULL;
    static const char *const fields[] = {"access_key_id", "secret_access_key", "token", NULL};
    *have = false;
    if (cr == NULL || json_is_null(cr))
        return NW_OK;
    if (!json_is_object(cr))
        return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field 'credential' must be an object");
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)cr, key, val)
    {
        bool ok = false;
        for (size_t i = 0; fields[i] != NULL && !ok; i++)
            ok = strcmp(fields[i], key) == 0;
        if (!ok)
            return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "unknown field in 'credential'");
    }
    NW_TRY(nw_enc_get_str(cr, c->diag, "access_key_id", NW_AWS_AKID_MAX, &akid, true));
    NW_TRY(nw_enc_get_str(cr, c->diag, "secret_access_key", NW_AWS_SECRET_MAX, &secret, true));
    /* The seed sends "token" always; an empty one means long-term keys. */
    const json_t *tok = json_object_get(cr, "token");
    if (tok != NULL && json_is_string(tok) && json_string_length(tok) == 0)
        token = NULL;
    else
        NW_TRY(nw_enc_get_str(cr, c->diag, "token", NW_AWS_TOKEN_MAX, &token, false));
    if (nw_aws_creds_set(creds, akid, secret, token, 0) != NW_OK)
        return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST,
                           "field 'credential' holds an invalid access key, secret or token");
    *have = true;
    return NW_OK;
}

void nw_enc_key_clear(struct nw_enc_key *k)
{
    nw_wipe(k, sizeof(*k));
}

static nw_err from_ciphertext(struct nw_enc_op_ctx *c, struct nw_enc_key *k, const char *b64)
{
    struct nw_aws_creds *creds = NULL;
    struct nw_buf ct;
    bool have = false;
    nw_err err;

    nw_buf_init(&ct, CIPHERTEXT_B64_MAX, false);
    creds = nw_calloc(1, sizeof(*creds));
    NW_CHECK_COND(creds != NULL, NW_ERR_NOMEM);
    NW_CHECK(nw_enc_creds_parse(c, creds, &have));
    if (c->cfg->kms_mode == NW_KMS_MODE_DIRECT && !have) {
        err = nw_diag_set(c->diag, NW_ERR_CREDENTIALS_REQUIRED,
                          "direct KMS mode needs field 'credential'");
        goto out;
    }
    if (nw_enc_b64_decode(&ct, nw_cur_str(b64)) != NW_OK || ct.len == 0) {
        err = nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field 'encrypted_key' is not base64");
        goto out;
    }
    NW_CHECK(nw_vault_decrypt_key(c->cfg->vault, &k->key, k->addr20, &k->cache_hit, nw_buf_cur(&ct),
                                  NULL, NULL, have ? creds : NULL, c->req->deadline_ms, c->diag));
out:
    nw_buf_clear(&ct);
    if (creds != NULL)
        nw_aws_creds_clear(creds);
    nw_free(creds);
    return err;
}

nw_err
nw_enc_key_from_row(struct nw_enc_op_ctx *c, struct nw_enc_key *k, const struct nw_key_row *row)
{
    struct nw_aws_creds *creds = NULL;
    uint8_t expect[20];
    bool have = false;
    nw_err err;

    (void)snprintf(k->key_id, sizeof(k->key_id), "%s", row->id);
    if (row->disabled_ms != 0)
        return nw_diag_set(c->diag, NW_ERR_KEY_DISABLED, "key %s is disabled", row->id);
    if (nw_ethaddr_parse(expect, nw_cur_str(row->address)) != NW_OK)
        return nw_diag_set(c->diag, NW_ERR_KEY_MISMATCH, "stored address of key %s is malformed",
                           row->id);
    creds = nw_calloc(1, sizeof(*creds));
    NW_CHECK_COND(creds != NULL, NW_ERR_NOMEM);
    NW_CHECK(nw_enc_creds_parse(c, creds, &have));
    if (c->cfg->kms_mode == NW_KMS_MODE_DIRECT && !have) {
        err = nw_diag_set(c->diag, NW_ERR_CREDENTIALS_REQUIRED,
                          "direct KMS mode needs field 'credential'");
        goto out;
    }
    NW_CHECK(nw_vault_decrypt_key(c->cfg->vault, &k->key, k->addr20, &k->cache_hit,
                                  nw_cur_of(row->ciphertext, row->ciphertext_len),
                                  row->kms_key_arn[0] != '\0' ? row->id : NULL, expect,
                                  have ? creds : NULL, c->req->deadline_ms, c->diag));
out:
    if (creds != NULL)
        nw_aws_creds_clear(creds);
    nw_free(creds);
    return err;
}

static nw_err
lookup(struct nw_enc_op_ctx *c, struct nw_key_row *row, const char *key_id, const char *address)
{
    if (c->cfg->store == NULL)
        return nw_diag_set(c->diag, NW_ERR_NO_DATABASE, "stored keys need a configured database");
    nw_err err;
    if (key_id != NULL) {
        if (strlen(key_id) != NW_KEY_ID_LEN)
            return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field 'key_id' is not a key id");
        if (nw_enc_rows_get(c->cfg->rows, row, key_id, NULL))
            return NW_OK;
        err = nw_store_key_get(c->cfg->store, row, key_id, c->req->deadline_ms);
    } else {
        uint8_t a[20];
        if (nw_ethaddr_parse(a, nw_cur_str(address)) != NW_OK)
            return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field 'address' is not an address");
        char lower[NW_ETHADDR_TEXT_LEN];
        lower[0] = '0';
        lower[1] = 'x';
        if (nw_hex_encode(lower + 2, sizeof(lower) - 2, a, 20, false) != NW_OK)
            return NW_ERR_INTERNAL;
        if (nw_enc_rows_get(c->cfg->rows, row, NULL, lower))
            return NW_OK;
        err = nw_store_key_by_address(c->cfg->store, row, lower, c->req->deadline_ms);
    }
    if (err == NW_OK)
        nw_enc_rows_put(c->cfg->rows, row);
    if (err == NW_ERR_INVALID_ARG)
        return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field '%s' is malformed",
                           key_id != NULL ? "key_id" : "address");
    if (err == NW_ERR_KEY_NOT_FOUND)
        return nw_diag_set(c->diag, err, "no key with this %s", key_id != NULL ? "id" : "address");
    return err;
}

nw_err nw_enc_key_resolve(struct nw_enc_op_ctx *c, struct nw_enc_key *k)
{
    const char *b64 = NULL, *key_id = NULL, *address = NULL;
    struct nw_key_row row;
    const json_t *o = c->req->root;

    memset(k, 0, sizeof(*k));
    NW_TRY(nw_enc_get_str(o, c->diag, "encrypted_key", CIPHERTEXT_B64_MAX, &b64, false));
    NW_TRY(nw_enc_get_str(o, c->diag, "key_id", 64, &key_id, false));
    NW_TRY(nw_enc_get_str(o, c->diag, "address", 64, &address, false));
    int n = (b64 != NULL) + (key_id != NULL) + (address != NULL);
    if (n != 1)
        return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST,
                           "give exactly one of 'encrypted_key', 'key_id', 'address'");
    if (b64 != NULL)
        return from_ciphertext(c, k, b64);
    memset(&row, 0, sizeof(row));
    nw_err err = lookup(c, &row, key_id, address);
    if (err == NW_OK)
        err = nw_enc_key_from_row(c, k, &row);
    else if (key_id != NULL)
        (void)snprintf(k->key_id, sizeof(k->key_id), "%.36s", key_id);
    nw_key_row_clear(&row);
    return err;
}

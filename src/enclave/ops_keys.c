/*
 * Key lifecycle ops (DESIGN.md section 6): generate_key, import_key, list_keys, get_key,
 * disable_key.
 *
 * generate_key chooses the row id first, then asks KMS GenerateDataKey (through the vault, with
 * Recipient) under the encryption context {"nw:key_id": id}, so the ciphertext can only ever be
 * opened as that row. import_key takes a ciphertext made by the seed's set_key (no encryption
 * context), decrypts it once to learn its address, and registers it; such rows are marked by an
 * empty kms_key_arn and are decrypted without a context. Every decrypt of a stored key is also
 * checked against the row's address, so a ciphertext moved to another row is refused either way
 * (a generated one by KMS, an imported one by the address check).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <nw/base64.h>
#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/mem.h>
#include <nw/wire.h>

#include "enclave_int.h"

#define LIST_DEFAULT 1000
#define B64_CT_MAX   16384

static int64_t unix_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static nw_err need_store(struct nw_enc_op_ctx *c)
{
    if (c->cfg->store == NULL)
        return nw_diag_set(c->diag, NW_ERR_NO_DATABASE, "key store ops need a configured database");
    return NW_OK;
}

static void lower_addr(char out[NW_ETHADDR_TEXT_LEN], const uint8_t addr20[20])
{
    out[0] = '0';
    out[1] = 'x';
    if (nw_hex_encode(out + 2, NW_ETHADDR_TEXT_LEN - 2, addr20, 20, false) != NW_OK)
        out[0] = '\0';
}

static json_t *row_json(const struct nw_key_row *row)
{
    uint8_t a[20];
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    bool ok = json_object_set_new(o, "key_id", json_string(row->id)) == 0;
    if (ok && nw_ethaddr_parse(a, nw_cur_str(row->address)) == NW_OK)
        ok = nw_enc_json_set(o, "address", nw_enc_json_addr(a));
    ok =
        ok && nw_enc_json_set(o, "label", json_string(row->label)) &&
        nw_enc_json_set(o, "kms_key_id", json_string(row->kms_key_arn)) &&
        nw_enc_json_set(o, "source", json_string(row->kms_key_arn[0] ? "generated" : "imported")) &&
        nw_enc_json_set(o, "created_ms", json_integer(row->created_ms)) &&
        nw_enc_json_set(o, "enabled", json_boolean(row->disabled_ms == 0)) &&
        nw_enc_json_set(o, "disabled_ms",
                        row->disabled_ms ? json_integer(row->disabled_ms) : json_null());
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static nw_err new_key_id(struct nw_enc_op_ctx *c, char id[NW_KEY_ID_LEN + 1])
{
    uint8_t rnd[16];
    nw_err err = nw_vault_random(c->cfg->vault, rnd, sizeof(rnd));
    if (err == NW_OK)
        nw_uuid4_format(id, rnd);
    nw_wipe(rnd, sizeof(rnd));
    return err;
}

static nw_err label_of(struct nw_enc_op_ctx *c, struct nw_key_row *row)
{
    const char *label = NULL;
    NW_TRY(nw_enc_get_str(c->req->root, c->diag, "label", NW_KEY_LABEL_MAX, &label, false));
    (void)snprintf(row->label, sizeof(row->label), "%s", label != NULL ? label : "");
    return NW_OK;
}

static nw_err key_answer(json_t **result, const struct nw_key_row *row, bool with_ciphertext)
{
    *result = row_json(row);
    if (*result == NULL)
        return NW_ERR_NOMEM;
    if (!with_ciphertext)
        return NW_OK;
    struct nw_buf b64;
    nw_buf_init(&b64, B64_CT_MAX, false);
    nw_err err = nw_enc_b64_encode(&b64, nw_cur_of(row->ciphertext, row->ciphertext_len));
    if (err == NW_OK)
        err = nw_buf_cstr(&b64);
    if (err == NW_OK && !nw_enc_json_set(*result, "ciphertext", json_string((char *)b64.ptr)))
        err = NW_ERR_NOMEM;
    nw_buf_clear(&b64);
    return err;
}

nw_err nw_enc_op_generate_key(struct nw_enc_op_ctx *c, json_t **result)
{
    static const char *const fields[] = {"kms_key_id", "label", "credential", NULL};
    struct nw_aws_creds *creds = NULL;
    struct nw_seckey key;
    struct nw_key_row row;
    struct nw_buf ct;
    uint8_t addr[20];
    const char *kms_key = NULL;
    bool have = false;
    nw_err err;

    memset(&row, 0, sizeof(row));
    memset(&key, 0, sizeof(key));
    nw_buf_init(&ct, B64_CT_MAX, false);
    NW_CHECK(nw_enc_check_fields(c->req->root, c->diag, fields));
    NW_CHECK(need_store(c));
    NW_CHECK(label_of(c, &row));
    NW_CHECK(nw_enc_get_str(c->req->root, c->diag, "kms_key_id", sizeof(row.kms_key_arn) - 1,
                            &kms_key, false));
    if (kms_key == NULL)
        kms_key = c->cfg->kms_key_id[0] != '\0' ? c->cfg->kms_key_id : NULL;
    if (kms_key == NULL) {
        err = nw_diag_set(c->diag, NW_ERR_NO_KMS_KEY,
                          "give 'kms_key_id' or configure a default kms_key_id");
        goto out;
    }
    creds = nw_calloc(1, sizeof(*creds));
    NW_CHECK_COND(creds != NULL, NW_ERR_NOMEM);
    NW_CHECK(nw_enc_creds_parse(c, creds, &have));
    if (c->cfg->kms_mode == NW_KMS_MODE_DIRECT && !have) {
        err = nw_diag_set(c->diag, NW_ERR_CREDENTIALS_REQUIRED,
                          "direct KMS mode needs field 'credential'");
        goto out;
    }
    NW_CHECK(new_key_id(c, row.id));
    NW_CHECK(nw_vault_generate_key(c->cfg->vault, &key, addr, &ct, kms_key, row.id,
                                   have ? creds : NULL, c->req->deadline_ms, c->diag));
    lower_addr(row.address, addr);
    row.created_ms = unix_ms();
    (void)snprintf(row.kms_key_arn, sizeof(row.kms_key_arn), "%s", kms_key);
    row.ciphertext = ct.ptr;
    row.ciphertext_len = ct.len;
    NW_CHECK(nw_store_key_insert(c->cfg->store, &row, c->req->deadline_ms));
    NW_CHECK(key_answer(result, &row, true));
out:
    row.ciphertext = NULL; /* owned by ct */
    if (err != NW_OK && row.id[0] != '\0')
        nw_vault_forget(c->cfg->vault, nw_buf_cur(&ct), row.id);
    nw_buf_clear(&ct);
    nw_seckey_clear(&key);
    if (creds != NULL)
        nw_aws_creds_clear(creds);
    nw_free(creds);
    return err;
}

nw_err nw_enc_op_import_key(struct nw_enc_op_ctx *c, json_t **result)
{
    static const char *const fields[] = {"encrypted_key", "credential", "label", "address", NULL};
    struct nw_enc_key k;
    struct nw_key_row row;
    struct nw_buf ct;
    const char *b64 = NULL, *expect = NULL;
    nw_err err;

    memset(&k, 0, sizeof(k));
    memset(&row, 0, sizeof(row));
    nw_buf_init(&ct, B64_CT_MAX, false);
    NW_CHECK(nw_enc_check_fields(c->req->root, c->diag, fields));
    NW_CHECK(need_store(c));
    NW_CHECK(label_of(c, &row));
    NW_CHECK(nw_enc_get_str(c->req->root, c->diag, "encrypted_key", B64_CT_MAX, &b64, true));
    NW_CHECK(nw_enc_get_str(c->req->root, c->diag, "address", 64, &expect, false));
    uint8_t want[20];
    if (expect != NULL && nw_ethaddr_parse(want, nw_cur_str(expect)) != NW_OK) {
        err = nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field 'address' is not an address");
        goto out;
    }
    if (nw_enc_b64_decode(&ct, nw_cur_str(b64)) != NW_OK || ct.len == 0) {
        err = nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field 'encrypted_key' is not base64");
        goto out;
    }
    /* Decrypt once (no context: a seed ciphertext) to learn the address. */
    {
        struct nw_aws_creds *creds = nw_calloc(1, sizeof(*creds));
        bool have = false;
        NW_CHECK_COND(creds != NULL, NW_ERR_NOMEM);
        err = nw_enc_creds_parse(c, creds, &have);
        if (err == NW_OK && c->cfg->kms_mode == NW_KMS_MODE_DIRECT && !have)
            err = nw_diag_set(c->diag, NW_ERR_CREDENTIALS_REQUIRED,
                              "direct KMS mode needs field 'credential'");
        if (err == NW_OK)
            err = nw_vault_decrypt_key(c->cfg->vault, &k.key, k.addr20, NULL, nw_buf_cur(&ct), NULL,
                                       expect != NULL ? want : NULL, have ? creds : NULL,
                                       c->req->deadline_ms, c->diag);
        nw_aws_creds_clear(creds);
        nw_free(creds);
        NW_CHECK(err);
    }
    NW_CHECK(new_key_id(c, row.id));
    lower_addr(row.address, k.addr20);
    row.created_ms = unix_ms();
    row.ciphertext = ct.ptr;
    row.ciphertext_len = ct.len;
    err = nw_store_key_insert(c->cfg->store, &row, c->req->deadline_ms);
    if (err == NW_ERR_EXISTS)
        (void)nw_diag_set(c->diag, err, "a key with address %s is already stored", row.address);
    NW_CHECK(err);
    NW_CHECK(key_answer(result, &row, false));
out:
    row.ciphertext = NULL;
    nw_enc_key_clear(&k);
    nw_buf_clear(&ct);
    return err;
}

nw_err nw_enc_op_list_keys(struct nw_enc_op_ctx *c, json_t **result)
{
    static const char *const fields[] = {"include_disabled", "limit", NULL};
    struct nw_key_row *rows = NULL;
    size_t n = 0;
    bool incl = false;
    int64_t limit = LIST_DEFAULT;
    nw_err err;

    NW_TRY(nw_enc_check_fields(c->req->root, c->diag, fields));
    NW_TRY(need_store(c));
    NW_TRY(nw_enc_get_bool(c->req->root, c->diag, "include_disabled", &incl, NULL));
    NW_TRY(nw_enc_get_int(c->req->root, c->diag, "limit", 1, LIST_DEFAULT, &limit, NULL));
    NW_TRY(nw_store_key_list(c->cfg->store, &rows, &n, incl, (size_t)limit, c->req->deadline_ms));
    json_t *arr = json_array();
    err = arr != NULL ? NW_OK : NW_ERR_NOMEM;
    for (size_t i = 0; i < n && err == NW_OK; i++)
        if (json_array_append_new(arr, row_json(&rows[i])) != 0)
            err = NW_ERR_NOMEM;
    nw_key_rows_free(rows, n);
    if (err == NW_OK) {
        *result = json_pack("{s:o}", "keys", arr);
        return *result != NULL ? NW_OK : NW_ERR_NOMEM;
    }
    json_decref(arr);
    return err;
}

/* The row named by key_id or address (exactly one). */
static nw_err find_row(struct nw_enc_op_ctx *c, struct nw_key_row *row)
{
    const char *id = NULL, *address = NULL;
    NW_TRY(nw_enc_get_str(c->req->root, c->diag, "key_id", 64, &id, false));
    NW_TRY(nw_enc_get_str(c->req->root, c->diag, "address", 64, &address, false));
    if ((id != NULL) == (address != NULL))
        return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "give exactly one of 'key_id', 'address'");
    NW_TRY(need_store(c));
    nw_err err;
    if (id != NULL) {
        if (strlen(id) != NW_KEY_ID_LEN)
            return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field 'key_id' is not a key id");
        err = nw_store_key_get(c->cfg->store, row, id, c->req->deadline_ms);
    } else {
        uint8_t a[20];
        char lower[NW_ETHADDR_TEXT_LEN];
        if (nw_ethaddr_parse(a, nw_cur_str(address)) != NW_OK)
            return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field 'address' is not an address");
        lower_addr(lower, a);
        err = nw_store_key_by_address(c->cfg->store, row, lower, c->req->deadline_ms);
    }
    if (err == NW_ERR_INVALID_ARG)
        return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field '%s' is malformed",
                           id != NULL ? "key_id" : "address");
    if (err == NW_ERR_KEY_NOT_FOUND)
        return nw_diag_set(c->diag, err, "no such key");
    return err;
}

nw_err nw_enc_op_get_key(struct nw_enc_op_ctx *c, json_t **result)
{
    static const char *const fields[] = {"key_id", "address", NULL};
    struct nw_key_row row;
    memset(&row, 0, sizeof(row));
    nw_err err = nw_enc_check_fields(c->req->root, c->diag, fields);
    if (err == NW_OK)
        err = find_row(c, &row);
    if (err == NW_OK)
        err = key_answer(result, &row, true);
    nw_key_row_clear(&row);
    return err;
}

nw_err nw_enc_op_disable_key(struct nw_enc_op_ctx *c, json_t **result)
{
    static const char *const fields[] = {"key_id", "address", NULL};
    struct nw_key_row row;
    memset(&row, 0, sizeof(row));
    nw_err err = nw_enc_check_fields(c->req->root, c->diag, fields);
    if (err == NW_OK)
        err = find_row(c, &row);
    if (err == NW_OK)
        err = nw_store_key_disable(c->cfg->store, row.id, c->req->deadline_ms);
    if (err == NW_OK) {
        /* Wipe it from the caches of this configuration (other instances expire it by TTL:
         * their key rows within key_row_ttl_ms, their decrypted keys at the next row read). */
        nw_enc_rows_forget(c->cfg->rows, row.id);
        nw_vault_forget(c->cfg->vault, nw_cur_of(row.ciphertext, row.ciphertext_len), row.id);
        *result = json_pack("{s:s,s:b}", "key_id", row.id, "disabled", 1);
        if (*result == NULL)
            err = NW_ERR_NOMEM;
    }
    nw_key_row_clear(&row);
    return err;
}

/*
 * The signing ops. Each one: check fields, parse what is to be signed (before any KMS call, so a
 * bad payload costs nothing), resolve and decrypt the key, sign with core, record the audit row,
 * and only then release the signature (a refusal is recorded too).
 *
 *   sign_transaction   transaction_payload (web3 dict, DESIGN.md section 4)
 *                      -> transaction_signed, transaction_hash, address
 *   sign_message       message (UTF-8 text) | message_hex (0x-hex bytes): EIP-191
 *                      -> signature, address, hash
 *   sign_typed_data    typed_data (eth_signTypedData_v4 object): EIP-712 -> signature, address,
 *                      hash
 *   sign_authorization authorization {chainId, address, nonce}: EIP-7702
 *                      -> chainId, address, nonce, yParity, r, s, authorizationHash, signer
 * and the key as one of encrypted_key (+ credential) | key_id | address.
 */
#include <stdio.h>
#include <string.h>

#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/mem.h>
#include <nw/msg.h>
#include <nw/tx.h>
#include <nw/u256.h>
#include <nw/wire.h>

#include "enclave_int.h"

#define KEY_FIELDS "encrypted_key", "credential", "key_id", "address"

/* JSON text of a sub-object (a payload is not secret, but its buffer is wiped anyway). */
static nw_err member_text(struct nw_enc_op_ctx *c, const char *name, bool allow_string,
                          char **text, size_t *len)
{
    const json_t *v = json_object_get(c->req->root, name);
    *text = NULL;
    *len = 0;
    if (v == NULL || json_is_null(v))
        return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field '%s' is missing", name);
    if (allow_string && json_is_string(v)) {
        *len = json_string_length(v);
        *text = nw_malloc(*len + 1);
        if (*text == NULL)
            return NW_ERR_NOMEM;
        memcpy(*text, json_string_value(v), *len + 1);
        return NW_OK;
    }
    if (!json_is_object(v))
        return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field '%s' must be an object", name);
    size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (n == 0 || n > NW_WIRE_MAX_FRAME)
        return NW_ERR_NOMEM;
    *text = nw_malloc(n + 1);
    if (*text == NULL)
        return NW_ERR_NOMEM;
    if (json_dumpb(v, *text, n, JSON_COMPACT | JSON_REAL_PRECISION(17)) != n) {
        nw_free_secret(*text, n + 1);
        *text = NULL;
        return NW_ERR_NOMEM;
    }
    (*text)[n] = '\0';
    *len = n;
    return NW_OK;
}

static void text_free(char *text, size_t len)
{
    if (text != NULL)
        nw_free_secret(text, len + 1);
}

static void audit_key(struct nw_audit_row *row, const struct nw_enc_key *k, bool have_key)
{
    (void)snprintf(row->key_id, sizeof(row->key_id), "%s", k->key_id);
    if (have_key) {
        row->address[0] = '0';
        row->address[1] = 'x';
        if (nw_hex_encode(row->address + 2, sizeof(row->address) - 2, k->addr20, 20, false) !=
            NW_OK)
            row->address[0] = '\0';
    }
}

static void audit_tx(struct nw_audit_row *row, const struct nw_tx *tx)
{
    if (tx->has_chain_id)
        nw_u256_to_dec(row->chain_id, &tx->chain_id);
    nw_u256_to_dec(row->nonce, &tx->nonce);
    nw_u256_to_dec(row->value_wei, &tx->value);
    if (tx->has_to) {
        row->to_addr[0] = '0';
        row->to_addr[1] = 'x';
        if (nw_hex_encode(row->to_addr + 2, sizeof(row->to_addr) - 2, tx->to, 20, false) != NW_OK)
            row->to_addr[0] = '\0';
    }
}

static void audit_hash(struct nw_audit_row *row, const uint8_t hash32[32])
{
    if (nw_hex_encode(row->tx_hash, sizeof(row->tx_hash), hash32, 32, true) != NW_OK)
        row->tx_hash[0] = '\0';
}

/* End of every signing op: audit (the row decides whether a success may leave), tidy up. */
static nw_err finish(struct nw_enc_op_ctx *c, struct nw_audit_row *row, nw_err err,
                     json_t **result)
{
    nw_err aerr = nw_enc_audit_finish(c, row, err);
    if (err == NW_OK && aerr != NW_OK)
        err = aerr;
    if (err != NW_OK) {
        json_decref(*result);
        *result = NULL;
    }
    return err;
}

static nw_err tx_result(json_t **result, const struct nw_tx_signed *st, const uint8_t addr20[20])
{
    *result = json_object();
    if (*result == NULL ||
        !nw_enc_json_set(*result, "transaction_signed", nw_enc_json_hex(st->raw.ptr, st->raw.len)) ||
        !nw_enc_json_set(*result, "transaction_hash", nw_enc_json_hex(st->hash32, 32)) ||
        !nw_enc_json_set(*result, "address", nw_enc_json_addr(addr20)))
        return NW_ERR_NOMEM;
    return NW_OK;
}

nw_err nw_enc_op_sign_transaction(struct nw_enc_op_ctx *c, json_t **result)
{
    static const char *const fields[] = {"transaction_payload", KEY_FIELDS, NULL};
    struct nw_audit_row row;
    struct nw_enc_key k;
    struct nw_tx tx;
    struct nw_tx_signed st;
    char *text = NULL;
    size_t len = 0;
    bool have_key = false;
    nw_err err;

    memset(&k, 0, sizeof(k));
    nw_tx_init(&tx);
    nw_tx_signed_init(&st);
    nw_enc_audit_init(c, &row);
    NW_CHECK(nw_enc_check_fields(c->req->root, c->diag, fields));
    NW_CHECK(member_text(c, "transaction_payload", false, &text, &len));
    NW_CHECK(nw_tx_from_json(&tx, c->diag, nw_cur_of(text, len)));
    audit_tx(&row, &tx);
    err = nw_enc_key_resolve(c, &k);
    (void)snprintf(row.key_id, sizeof(row.key_id), "%s", k.key_id);
    NW_CHECK(err);
    have_key = true;
    err = nw_tx_sign(c->e->secp, &st, &tx, &k.key);
    if (err == NW_ERR_TX_FIELD_NOT_ALLOWED && c->diag->msg[0] == '\0')
        (void)nw_diag_set(c->diag, err, "field 'from' does not match the signing key");
    NW_CHECK(err);
    audit_hash(&row, st.hash32);
    NW_CHECK(tx_result(result, &st, k.addr20));
out:
    audit_key(&row, &k, have_key);
    err = finish(c, &row, err, result);
    nw_enc_key_clear(&k);
    text_free(text, len);
    nw_tx_clear(&tx);
    nw_tx_signed_clear(&st);
    return err;
}

static nw_err sig_result(json_t **result, const uint8_t sig65[65], const uint8_t hash32[32],
                         const uint8_t addr20[20])
{
    *result = json_object();
    if (*result == NULL || !nw_enc_json_set(*result, "signature", nw_enc_json_hex(sig65, 65)) ||
        !nw_enc_json_set(*result, "address", nw_enc_json_addr(addr20)) ||
        !nw_enc_json_set(*result, "hash", nw_enc_json_hex(hash32, 32)))
        return NW_ERR_NOMEM;
    return NW_OK;
}

/* message (text) or message_hex (0x-hex bytes) into msg. */
static nw_err message_bytes(struct nw_enc_op_ctx *c, struct nw_buf *msg)
{
    const json_t *o = c->req->root;
    const json_t *t = json_object_get(o, "message");
    const json_t *h = json_object_get(o, "message_hex");
    if ((t != NULL) == (h != NULL))
        return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST,
                           "give exactly one of 'message', 'message_hex'");
    if (t != NULL) {
        if (!json_is_string(t))
            return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field 'message' must be a string");
        return nw_buf_append(msg, json_string_value(t), json_string_length(t));
    }
    if (!json_is_string(h))
        return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field 'message_hex' must be a string");
    if (nw_hex_decode_buf(msg, nw_cur_of(json_string_value(h), json_string_length(h)), true) !=
        NW_OK)
        return nw_diag_set(c->diag, NW_ERR_BAD_REQUEST, "field 'message_hex' is not 0x-hex");
    return NW_OK;
}

nw_err nw_enc_op_sign_message(struct nw_enc_op_ctx *c, json_t **result)
{
    static const char *const fields[] = {"message", "message_hex", KEY_FIELDS, NULL};
    struct nw_audit_row row;
    struct nw_enc_key k;
    struct nw_buf msg;
    uint8_t sig[65], hash[32];
    bool have_key = false;
    nw_err err;

    memset(&k, 0, sizeof(k));
    nw_buf_init(&msg, NW_WIRE_MAX_FRAME, true);
    nw_enc_audit_init(c, &row);
    NW_CHECK(nw_enc_check_fields(c->req->root, c->diag, fields));
    NW_CHECK(message_bytes(c, &msg));
    err = nw_enc_key_resolve(c, &k);
    (void)snprintf(row.key_id, sizeof(row.key_id), "%s", k.key_id);
    NW_CHECK(err);
    have_key = true;
    NW_CHECK(nw_msg191_sign(c->e->secp, sig, hash, nw_buf_cur(&msg), &k.key));
    audit_hash(&row, hash);
    NW_CHECK(sig_result(result, sig, hash, k.addr20));
out:
    audit_key(&row, &k, have_key);
    err = finish(c, &row, err, result);
    nw_enc_key_clear(&k);
    nw_buf_clear(&msg);
    return err;
}

nw_err nw_enc_op_sign_typed_data(struct nw_enc_op_ctx *c, json_t **result)
{
    static const char *const fields[] = {"typed_data", KEY_FIELDS, NULL};
    struct nw_audit_row row;
    struct nw_enc_key k;
    uint8_t sig[65], hash[32];
    char *text = NULL;
    size_t len = 0;
    bool have_key = false;
    nw_err err;

    memset(&k, 0, sizeof(k));
    nw_enc_audit_init(c, &row);
    NW_CHECK(nw_enc_check_fields(c->req->root, c->diag, fields));
    NW_CHECK(member_text(c, "typed_data", true, &text, &len));
    NW_CHECK(nw_eip712_hash(hash, c->diag, nw_cur_of(text, len)));
    err = nw_enc_key_resolve(c, &k);
    (void)snprintf(row.key_id, sizeof(row.key_id), "%s", k.key_id);
    NW_CHECK(err);
    have_key = true;
    NW_CHECK(nw_eip712_sign(c->e->secp, sig, hash, c->diag, nw_cur_of(text, len), &k.key));
    audit_hash(&row, hash);
    NW_CHECK(sig_result(result, sig, hash, k.addr20));
out:
    audit_key(&row, &k, have_key);
    err = finish(c, &row, err, result);
    nw_enc_key_clear(&k);
    text_free(text, len);
    return err;
}

static json_t *quantity_json(const struct nw_u256 *v)
{
    char q[67];
    nw_u256_to_quantity(q, v);
    return json_string(q);
}

static nw_err auth_result(json_t **result, const struct nw_auth *auth, const struct nw_sig *sig,
                          const uint8_t hash32[32], const uint8_t signer20[20])
{
    struct nw_u256 nonce = nw_u256_from_u64(auth->nonce), y = nw_u256_from_u64(sig->b[64]), r, s;
    if (nw_u256_from_be(&r, nw_cur_of(sig->b, 32)) != NW_OK ||
        nw_u256_from_be(&s, nw_cur_of(sig->b + 32, 32)) != NW_OK)
        return NW_ERR_INTERNAL;
    *result = json_object();
    if (*result == NULL || !nw_enc_json_set(*result, "chainId", quantity_json(&auth->chain_id)) ||
        !nw_enc_json_set(*result, "address", nw_enc_json_addr(auth->address)) ||
        !nw_enc_json_set(*result, "nonce", quantity_json(&nonce)) ||
        !nw_enc_json_set(*result, "yParity", quantity_json(&y)) ||
        !nw_enc_json_set(*result, "r", quantity_json(&r)) ||
        !nw_enc_json_set(*result, "s", quantity_json(&s)) ||
        !nw_enc_json_set(*result, "authorizationHash", nw_enc_json_hex(hash32, 32)) ||
        !nw_enc_json_set(*result, "signer", nw_enc_json_addr(signer20)))
        return NW_ERR_NOMEM;
    return NW_OK;
}

nw_err nw_enc_op_sign_authorization(struct nw_enc_op_ctx *c, json_t **result)
{
    static const char *const fields[] = {"authorization", KEY_FIELDS, NULL};
    struct nw_audit_row row;
    struct nw_enc_key k;
    struct nw_auth auth;
    struct nw_sig sig;
    uint8_t hash[32];
    char *text = NULL;
    size_t len = 0;
    bool have_key = false;
    nw_err err;

    memset(&k, 0, sizeof(k));
    memset(&sig, 0, sizeof(sig));
    nw_enc_audit_init(c, &row);
    NW_CHECK(nw_enc_check_fields(c->req->root, c->diag, fields));
    NW_CHECK(member_text(c, "authorization", false, &text, &len));
    NW_CHECK(nw_auth_from_json(&auth, c->diag, nw_cur_of(text, len)));
    nw_u256_to_dec(row.chain_id, &auth.chain_id);
    (void)snprintf(row.nonce, sizeof(row.nonce), "%llu", (unsigned long long)auth.nonce);
    row.to_addr[0] = '0';
    row.to_addr[1] = 'x';
    if (nw_hex_encode(row.to_addr + 2, sizeof(row.to_addr) - 2, auth.address, 20, false) != NW_OK)
        row.to_addr[0] = '\0';
    err = nw_enc_key_resolve(c, &k);
    (void)snprintf(row.key_id, sizeof(row.key_id), "%s", k.key_id);
    NW_CHECK(err);
    have_key = true;
    NW_CHECK(nw_auth_sign(c->e->secp, &sig, hash, &auth, &k.key));
    audit_hash(&row, hash);
    NW_CHECK(auth_result(result, &auth, &sig, hash, k.addr20));
out:
    audit_key(&row, &k, have_key);
    err = finish(c, &row, err, result);
    nw_enc_key_clear(&k);
    nw_wipe(&sig, sizeof(sig));
    text_free(text, len);
    return err;
}

/*
 * A decoded transaction as JSON (nw_tx_to_json). Integers are 0x quantities as in Ethereum
 * JSON-RPC; value is in wei; lists are expanded back from their RLP form.
 */
#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/mem.h>
#include <nw/rlp.h>
#include <nw/tx.h>

#include "core_int.h"

static json_t *quantity(const struct nw_u256 *v)
{
    char q[67];
    nw_u256_to_quantity(q, v);
    return json_string(q);
}

static json_t *hex_bytes(struct nw_cur b)
{
    size_t n = 2 * b.len + 3;
    char *s = nw_malloc(n);
    if (s == NULL)
        return NULL;
    json_t *j = NULL;
    if (nw_hex_encode(s, n, b.ptr, b.len, true) == NW_OK)
        j = json_stringn(s, n - 1);
    nw_free(s);
    return j;
}

static json_t *address(const uint8_t addr20[20])
{
    char a[NW_ETHADDR_TEXT_LEN];
    nw_ethaddr_format(a, addr20);
    return json_string(a);
}

/* Set key to v (stealing the reference); a NULL v (allocation failure) is reported. */
static nw_err put(json_t *obj, const char *key, json_t *v)
{
    NW_ENSURE(v != NULL, NW_ERR_NOMEM);
    NW_ENSURE(json_object_set_new(obj, key, v) == 0, NW_ERR_NOMEM);
    return NW_OK;
}

static nw_err append(json_t *arr, json_t *v)
{
    NW_ENSURE(v != NULL, NW_ERR_NOMEM);
    NW_ENSURE(json_array_append_new(arr, v) == 0, NW_ERR_NOMEM);
    return NW_OK;
}

/* The lists were validated when decoded or built, so a malformed one is an internal error. */
static nw_err access_list(json_t *arr, struct nw_cur list)
{
    struct nw_cur entries, e, a, keys, k;
    if (list.len == 0)
        return NW_OK;
    NW_TRY(nw_rlp_next_list(&list, &entries));
    while (entries.len > 0) {
        NW_TRY(nw_rlp_next_list(&entries, &e));
        NW_TRY(nw_rlp_next_bytes(&e, &a));
        NW_TRY(nw_rlp_next_list(&e, &keys));
        NW_ENSURE(a.len == 20, NW_ERR_INTERNAL);
        json_t *o = json_object(), *ks = json_array();
        nw_err err = (o && ks) ? NW_OK : NW_ERR_NOMEM;
        while (err == NW_OK && keys.len > 0) {
            err = nw_rlp_next_bytes(&keys, &k);
            if (err == NW_OK)
                err = append(ks, hex_bytes(k));
        }
        if (err == NW_OK)
            err = put(o, "address", address(a.ptr));
        if (err == NW_OK) {
            err = put(o, "storageKeys", ks);
            ks = NULL;
        }
        json_decref(ks);
        if (err == NW_OK)
            err = append(arr, o);
        else
            json_decref(o);
        NW_TRY(err);
    }
    return NW_OK;
}

static nw_err hash_list(json_t *arr, struct nw_cur list)
{
    struct nw_cur entries, k;
    if (list.len == 0)
        return NW_OK;
    NW_TRY(nw_rlp_next_list(&list, &entries));
    while (entries.len > 0) {
        NW_TRY(nw_rlp_next_bytes(&entries, &k));
        NW_TRY(append(arr, hex_bytes(k)));
    }
    return NW_OK;
}

static nw_err auth_entry(json_t *o, struct nw_cur e)
{
    static const char *const names[] = {"chainId", "address", "nonce", "yParity", "r", "s"};
    for (size_t i = 0; i < NW_ARRAY_LEN(names); i++) {
        if (i == 1) {
            struct nw_cur a;
            NW_TRY(nw_rlp_next_bytes(&e, &a));
            NW_ENSURE(a.len == 20, NW_ERR_INTERNAL);
            NW_TRY(put(o, names[i], address(a.ptr)));
        } else {
            struct nw_u256 u;
            NW_TRY(nw_rlp_next_u256(&e, &u));
            NW_TRY(put(o, names[i], quantity(&u)));
        }
    }
    return NW_OK;
}

static nw_err auth_list(json_t *arr, struct nw_cur list)
{
    struct nw_cur entries, e;
    if (list.len == 0)
        return NW_OK;
    NW_TRY(nw_rlp_next_list(&list, &entries));
    while (entries.len > 0) {
        NW_TRY(nw_rlp_next_list(&entries, &e));
        json_t *o = json_object();
        NW_ENSURE(o != NULL, NW_ERR_NOMEM);
        nw_err err = auth_entry(o, e);
        if (err == NW_OK)
            err = append(arr, o);
        else
            json_decref(o);
        NW_TRY(err);
    }
    return NW_OK;
}

static nw_err put_list(json_t *obj,
                       const char *key,
                       const struct nw_tx *tx,
                       struct nw_tx_span s,
                       nw_err (*fill)(json_t *, struct nw_cur))
{
    json_t *arr = json_array();
    NW_ENSURE(arr != NULL, NW_ERR_NOMEM);
    nw_err err = fill(arr, nw_tx_span_cur(tx, s));
    if (err != NW_OK) {
        json_decref(arr);
        return err == NW_ERR_NOMEM ? err : NW_ERR_INTERNAL;
    }
    return put(obj, key, arr);
}

/* data_key: "data" (nw_tx_to_json, web3's name) or "input" (the RPC object's). */
static nw_err fill_fields(json_t *o, const struct nw_tx *tx, const char *data_key)
{
    struct nw_u256 type = nw_u256_from_u64((uint64_t)tx->type);
    NW_TRY(put(o, "type", quantity(&type)));
    if (tx->has_chain_id)
        NW_TRY(put(o, "chainId", quantity(&tx->chain_id)));
    NW_TRY(put(o, "nonce", quantity(&tx->nonce)));
    if (tx->type <= NW_TX_ACCESS_LIST) {
        NW_TRY(put(o, "gasPrice", quantity(&tx->gas_price)));
    } else {
        NW_TRY(put(o, "maxPriorityFeePerGas", quantity(&tx->max_priority_fee)));
        NW_TRY(put(o, "maxFeePerGas", quantity(&tx->max_fee)));
    }
    NW_TRY(put(o, "gas", quantity(&tx->gas)));
    NW_TRY(put(o, "to", tx->has_to ? address(tx->to) : json_null()));
    NW_TRY(put(o, "value", quantity(&tx->value)));
    NW_TRY(put(o, data_key, hex_bytes(nw_tx_span_cur(tx, tx->data))));
    if (tx->type != NW_TX_LEGACY)
        NW_TRY(put_list(o, "accessList", tx, tx->access_list, access_list));
    if (tx->type == NW_TX_BLOB) {
        NW_TRY(put(o, "maxFeePerBlobGas", quantity(&tx->max_fee_blob)));
        NW_TRY(put_list(o, "blobVersionedHashes", tx, tx->blob_hashes, hash_list));
    }
    if (tx->type == NW_TX_SET_CODE)
        NW_TRY(put_list(o, "authorizationList", tx, tx->auth_list, auth_list));
    return NW_OK;
}

static nw_err fill_signature(json_t *o, const struct nw_tx_signed *st, const uint8_t *sender20)
{
    struct nw_u256 r, s, y = nw_u256_from_u64(st->sig.b[64]);
    NW_TRY(nw_u256_from_be(&r, nw_cur_of(st->sig.b, 32)));
    NW_TRY(nw_u256_from_be(&s, nw_cur_of(st->sig.b + 32, 32)));
    NW_TRY(put(o, "v", quantity(&st->v)));
    NW_TRY(put(o, "r", quantity(&r)));
    NW_TRY(put(o, "s", quantity(&s)));
    NW_TRY(put(o, "yParity", quantity(&y)));
    NW_TRY(put(o, "hash", hex_bytes(nw_cur_of(st->hash32, 32))));
    NW_TRY(put(o, "signingHash", hex_bytes(nw_cur_of(st->signing_hash32, 32))));
    if (sender20 != NULL)
        NW_TRY(put(o, "from", address(sender20)));
    return NW_OK;
}

nw_err nw_tx_to_json(struct nw_buf *out,
                     const struct nw_tx *tx,
                     const struct nw_tx_signed *signed_tx,
                     const uint8_t *sender20)
{
    json_t *o = json_object();
    char *text = NULL;
    nw_err err;
    NW_CHECK_COND(o != NULL, NW_ERR_NOMEM);
    NW_CHECK(fill_fields(o, tx, "data"));
    NW_CHECK(fill_signature(o, signed_tx, sender20));
    text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    NW_CHECK_COND(text != NULL, NW_ERR_NOMEM);
    NW_CHECK(nw_buf_append_str(out, text));
out:
    nw_json_free_text(text);
    json_decref(o);
    return err;
}

nw_err nw_tx_to_rpc_json(struct nw_buf *out, const struct nw_tx *tx, const uint8_t *from20)
{
    json_t *o = json_object();
    char *text = NULL;
    nw_err err;
    NW_CHECK_COND(o != NULL, NW_ERR_NOMEM);
    NW_CHECK(fill_fields(o, tx, "input"));
    if (from20 != NULL)
        NW_CHECK(put(o, "from", address(from20)));
    text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    NW_CHECK_COND(text != NULL, NW_ERR_NOMEM);
    NW_CHECK(nw_buf_append_str(out, text));
out:
    nw_json_free_text(text);
    json_decref(o);
    return err;
}

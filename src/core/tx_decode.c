/*
 * Decoding raw signed transactions (EIP-2718 envelopes and legacy lists) and describing them
 * as JSON. The RLP decoder is strict, so re-encoding the decoded fields gives back the same
 * bytes: the signing hash is computed by the same code that signs.
 */
#include <stdio.h>

#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/keccak.h>
#include <nw/rlp.h>
#include <nw/tx.h>

#include "core_int.h"
#include "tx_int.h"

static nw_err map_buf_err(nw_err e)
{
    return e == NW_ERR_BUF_FULL ? NW_ERR_TX_LIMIT : e;
}

static nw_err next_fixed(struct nw_cur *c, uint8_t *out, size_t n)
{
    struct nw_cur b;
    NW_TRY(nw_rlp_next_bytes(c, &b));
    NW_ENSURE(b.len == n, NW_ERR_TX_BYTES_LENGTH);
    memcpy(out, b.ptr, n);
    return NW_OK;
}

/* Copy a list item into tx->mem after checking its shape with check(). */
static nw_err next_list_span(struct nw_cur *c,
                             struct nw_tx *tx,
                             struct nw_tx_span *span,
                             nw_err (*check)(struct nw_cur entries))
{
    const uint8_t *start = c->ptr;
    struct nw_cur payload;
    NW_TRY(nw_rlp_next_list(c, &payload));
    NW_TRY(check(payload));
    span->off = tx->mem.len;
    span->len = (size_t)(c->ptr - start);
    return map_buf_err(nw_buf_append(&tx->mem, start, span->len));
}

/* [[address20, [key32, ...]], ...] */
static nw_err check_access_list(struct nw_cur entries)
{
    while (entries.len > 0) {
        struct nw_cur e, keys, k;
        uint8_t a[20];
        NW_TRY(nw_rlp_next_list(&entries, &e));
        NW_TRY(next_fixed(&e, a, 20));
        NW_TRY(nw_rlp_next_list(&e, &keys));
        NW_ENSURE(e.len == 0, NW_ERR_TX_FIELD_COUNT);
        while (keys.len > 0) {
            NW_TRY(nw_rlp_next_bytes(&keys, &k));
            NW_ENSURE(k.len == 32, NW_ERR_TX_BYTES_LENGTH);
        }
    }
    return NW_OK;
}

/* [hash32, ...] */
static nw_err check_hashes(struct nw_cur entries)
{
    while (entries.len > 0) {
        struct nw_cur k;
        NW_TRY(nw_rlp_next_bytes(&entries, &k));
        NW_ENSURE(k.len == 32, NW_ERR_TX_BYTES_LENGTH);
    }
    return NW_OK;
}

/* [[chain_id, address, nonce, y_parity, r, s], ...] */
static nw_err check_auth_list(struct nw_cur entries)
{
    while (entries.len > 0) {
        struct nw_cur e;
        struct nw_u256 u;
        uint64_t n;
        uint8_t a[20];
        NW_TRY(nw_rlp_next_list(&entries, &e));
        NW_TRY(nw_rlp_next_u256(&e, &u));
        NW_TRY(next_fixed(&e, a, 20));
        /* A nonce above 2^64-1 decodes; nw_tx_validate flags it (EIP-2681). */
        NW_TRY(nw_rlp_next_u256(&e, &u));
        NW_TRY(nw_rlp_next_u64(&e, &n));
        NW_ENSURE(n <= 1, NW_ERR_TX_SIG_V);
        NW_TRY(nw_rlp_next_u256(&e, &u));
        NW_TRY(nw_rlp_next_u256(&e, &u));
        NW_ENSURE(e.len == 0, NW_ERR_TX_FIELD_COUNT);
    }
    return NW_OK;
}

static nw_err next_to(struct nw_cur *c, struct nw_tx *tx)
{
    struct nw_cur b;
    NW_TRY(nw_rlp_next_bytes(c, &b));
    NW_ENSURE(b.len == 0 || b.len == 20, NW_ERR_TX_BYTES_LENGTH);
    tx->has_to = b.len == 20;
    if (tx->has_to)
        memcpy(tx->to, b.ptr, 20);
    return NW_OK;
}

static nw_err next_data(struct nw_cur *c, struct nw_tx *tx)
{
    struct nw_cur b;
    NW_TRY(nw_rlp_next_bytes(c, &b));
    tx->data.off = tx->mem.len;
    tx->data.len = b.len;
    return map_buf_err(nw_buf_append(&tx->mem, b.ptr, b.len));
}

/* r and s: canonical integers of at most 32 bytes, left-padded into sig. */
static nw_err next_rs(struct nw_cur *c, struct nw_tx_signed *out)
{
    struct nw_u256 r, s;
    NW_TRY(nw_rlp_next_u256(c, &r));
    NW_TRY(nw_rlp_next_u256(c, &s));
    nw_u256_to_be32(out->sig.b, &r);
    nw_u256_to_be32(out->sig.b + 32, &s);
    return NW_OK;
}

/* Legacy v: 27/28, or EIP-155 v = 35 + 2 chainId + parity, so chainId = (v - 35) / 2. */
static nw_err legacy_v(struct nw_tx *tx, struct nw_tx_signed *out)
{
    const struct nw_u256 *v = &out->v;
    uint64_t small;
    if (nw_u256_to_u64(v, &small) && (small == 27 || small == 28)) {
        out->sig.b[64] = (uint8_t)(small - 27);
        return NW_OK;
    }
    struct nw_u256 c35 = nw_u256_from_u64(35);
    NW_ENSURE(nw_u256_cmp(v, &c35) >= 0, NW_ERR_TX_SIG_V);
    /* v - 35, by limbs with borrow. */
    struct nw_u256 d = *v;
    uint64_t borrow = 35;
    for (int i = 0; i < 4 && borrow != 0; i++) {
        uint64_t before = d.w[i];
        d.w[i] -= borrow;
        borrow = before < borrow ? 1 : 0;
    }
    out->sig.b[64] = (uint8_t)(d.w[0] & 1);
    for (int i = 0; i < 4; i++)
        d.w[i] = d.w[i] >> 1 | (i < 3 ? d.w[i + 1] << 63 : 0);
    tx->has_chain_id = true;
    tx->chain_id = d;
    return NW_OK;
}

/* Number of items in a (validated) list payload. */
static size_t count_items(struct nw_cur f)
{
    size_t n = 0;
    struct nw_rlp_item it;
    while (f.len > 0 && nw_rlp_next(&f, &it) == NW_OK)
        n++;
    return n;
}

/* Fields of a signed transaction per type: legacy 9; EIP-2930 11; 1559 12; 4844 14; 7702 13. */
static const size_t field_counts[5] = {9, 11, 12, 14, 13};

static nw_err decode_legacy(struct nw_tx *tx, struct nw_tx_signed *out, struct nw_cur f)
{
    tx->type = NW_TX_LEGACY;
    NW_ENSURE(count_items(f) == field_counts[NW_TX_LEGACY], NW_ERR_TX_FIELD_COUNT);
    NW_TRY(nw_rlp_next_u256(&f, &tx->nonce));
    NW_TRY(nw_rlp_next_u256(&f, &tx->gas_price));
    NW_TRY(nw_rlp_next_u256(&f, &tx->gas));
    NW_TRY(next_to(&f, tx));
    NW_TRY(nw_rlp_next_u256(&f, &tx->value));
    NW_TRY(next_data(&f, tx));
    NW_TRY(nw_rlp_next_u256(&f, &out->v));
    NW_TRY(next_rs(&f, out));
    NW_ENSURE(f.len == 0, NW_ERR_TX_FIELD_COUNT);
    return legacy_v(tx, out);
}

static nw_err decode_typed(struct nw_tx *tx, struct nw_tx_signed *out, struct nw_cur f)
{
    uint64_t y;
    NW_ENSURE(count_items(f) == field_counts[tx->type], NW_ERR_TX_FIELD_COUNT);
    NW_TRY(nw_rlp_next_u256(&f, &tx->chain_id));
    tx->has_chain_id = true;
    NW_TRY(nw_rlp_next_u256(&f, &tx->nonce));
    if (tx->type == NW_TX_ACCESS_LIST) {
        NW_TRY(nw_rlp_next_u256(&f, &tx->gas_price));
    } else {
        NW_TRY(nw_rlp_next_u256(&f, &tx->max_priority_fee));
        NW_TRY(nw_rlp_next_u256(&f, &tx->max_fee));
    }
    NW_TRY(nw_rlp_next_u256(&f, &tx->gas));
    NW_TRY(next_to(&f, tx));
    NW_TRY(nw_rlp_next_u256(&f, &tx->value));
    NW_TRY(next_data(&f, tx));
    NW_TRY(next_list_span(&f, tx, &tx->access_list, check_access_list));
    if (tx->type == NW_TX_BLOB) {
        NW_TRY(nw_rlp_next_u256(&f, &tx->max_fee_blob));
        NW_TRY(next_list_span(&f, tx, &tx->blob_hashes, check_hashes));
    }
    if (tx->type == NW_TX_SET_CODE)
        NW_TRY(next_list_span(&f, tx, &tx->auth_list, check_auth_list));
    NW_TRY(nw_rlp_next_u64(&f, &y));
    NW_ENSURE(y <= 1, NW_ERR_TX_SIG_V);
    out->v = nw_u256_from_u64(y);
    out->sig.b[64] = (uint8_t)y;
    NW_TRY(next_rs(&f, out));
    NW_ENSURE(f.len == 0, NW_ERR_TX_FIELD_COUNT);
    return NW_OK;
}

/*
 * The body to hash and decode. For type 3 the network form (EIP-4844 "PooledTransactions")
 * wraps the transaction as [tx_payload_body, blobs, commitments, proofs]; the transaction hash
 * covers only 0x03 || rlp(tx_payload_body).
 */
static nw_err typed_body(struct nw_cur *fields, uint8_t hash32[32], struct nw_cur raw)
{
    struct nw_rlp_item top, first;
    struct nw_cur body = nw_cur_of(raw.ptr + 1, raw.len - 1);
    NW_TRY(nw_rlp_decode(&top, body, NW_RLP_MAX_DEPTH));
    NW_ENSURE(top.is_list, NW_ERR_RLP_TYPE);
    struct nw_cur inner = top.payload;
    const uint8_t *start = inner.ptr;
    if (raw.ptr[0] == NW_TX_BLOB && inner.len > 0 && inner.ptr[0] >= 0xc0) {
        NW_TRY(nw_rlp_next(&inner, &first));
        struct nw_cur blobs;
        for (int i = 0; i < 3; i++)
            NW_TRY(nw_rlp_next_list(&inner, &blobs));
        NW_ENSURE(inner.len == 0, NW_ERR_TX_FIELD_COUNT);
        struct nw_keccak k;
        uint8_t t = NW_TX_BLOB;
        size_t item_len = (size_t)(first.payload.ptr + first.payload.len - start);
        nw_keccak_init(&k);
        nw_keccak_update(&k, &t, 1);
        nw_keccak_update(&k, start, item_len);
        nw_keccak_final(&k, hash32);
        *fields = first.payload;
        return NW_OK;
    }
    nw_keccak256(hash32, raw.ptr, raw.len);
    *fields = top.payload;
    return NW_OK;
}

static nw_err decode_inner(struct nw_tx *tx, struct nw_tx_signed *out, struct nw_cur raw)
{
    struct nw_cur fields;
    struct nw_buf enc;
    NW_ENSURE(raw.len > 0, NW_ERR_TX_RAW_EMPTY);
    if (raw.ptr[0] >= 0xc0) {
        struct nw_rlp_item top;
        NW_TRY(nw_rlp_decode(&top, raw, NW_RLP_MAX_DEPTH));
        NW_TRY(decode_legacy(tx, out, top.payload));
        nw_keccak256(out->hash32, raw.ptr, raw.len);
    } else {
        NW_ENSURE(raw.ptr[0] >= NW_TX_ACCESS_LIST && raw.ptr[0] <= NW_TX_SET_CODE, NW_ERR_TX_TYPE);
        tx->type = (enum nw_tx_type)raw.ptr[0];
        NW_TRY(typed_body(&fields, out->hash32, raw));
        NW_TRY(decode_typed(tx, out, fields));
    }
    NW_TRY(map_buf_err(nw_buf_append(&out->raw, raw.ptr, raw.len)));
    /* Re-encode the unsigned fields: canonical decoding makes this the signed payload. */
    nw_buf_init(&enc, NW_TX_MAX_BYTES + 4096, false);
    nw_err err = map_buf_err(nw_tx_encode_fields(&enc, tx));
    if (err == NW_OK)
        nw_tx_hash_fields(out->signing_hash32, tx, nw_buf_cur(&enc));
    nw_buf_clear(&enc);
    return err;
}

nw_err nw_tx_decode(struct nw_tx *tx, struct nw_tx_signed *out, struct nw_cur raw)
{
    nw_tx_clear(tx);
    nw_tx_signed_clear(out);
    nw_err err = decode_inner(tx, out, raw);
    if (err != NW_OK) {
        nw_tx_clear(tx);
        nw_tx_signed_clear(out);
    }
    return err;
}

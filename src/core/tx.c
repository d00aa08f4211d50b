/*
 * Transaction encoding and signing (EIP-155, EIP-2718, EIP-2930, EIP-1559, EIP-4844,
 * EIP-7702).
 *
 * The fields that precede the signature are RLP-encoded once, straight into the output buffer
 * at an offset that leaves room for the type byte and the list header. The signing hash is
 * then streamed into Keccak (type byte, a header for the unsigned list, those field bytes, and
 * for EIP-155 legacy the chainId, 0, 0 trailer) without a second copy; after signing, v, r and s
 * are appended and the real header is written in front. One allocation per signature.
 */
#include <nw/keccak.h>
#include <nw/mem.h>
#include <nw/rlp.h>
#include <nw/tx.h>

#include "tx_int.h"

void nw_tx_init(struct nw_tx *tx)
{
    memset(tx, 0, sizeof(*tx));
    nw_buf_init(&tx->mem, NW_TX_MAX_BYTES, false);
}

void nw_tx_clear(struct nw_tx *tx)
{
    nw_buf_clear(&tx->mem);
    nw_tx_init(tx);
}

void nw_tx_signed_init(struct nw_tx_signed *out)
{
    memset(out, 0, sizeof(*out));
    nw_buf_init(&out->raw, NW_TX_MAX_BYTES + 4096, false);
}

void nw_tx_signed_clear(struct nw_tx_signed *out)
{
    nw_buf_clear(&out->raw);
    nw_tx_signed_init(out);
}

static nw_err put_list_span(struct nw_buf *b, const struct nw_tx *tx, struct nw_tx_span s)
{
    if (s.len == 0)
        return nw_buf_append_byte(b, 0xc0);
    return nw_buf_append(b, tx->mem.ptr + s.off, s.len);
}

nw_err nw_tx_encode_fields(struct nw_buf *b, const struct nw_tx *tx)
{
    bool typed = tx->type != NW_TX_LEGACY;
    if (typed)
        NW_TRY(nw_rlp_put_u256(b, &tx->chain_id));
    NW_TRY(nw_rlp_put_u256(b, &tx->nonce));
    if (tx->type == NW_TX_LEGACY || tx->type == NW_TX_ACCESS_LIST) {
        NW_TRY(nw_rlp_put_u256(b, &tx->gas_price));
    } else {
        NW_TRY(nw_rlp_put_u256(b, &tx->max_priority_fee));
        NW_TRY(nw_rlp_put_u256(b, &tx->max_fee));
    }
    NW_TRY(nw_rlp_put_u256(b, &tx->gas));
    NW_TRY(nw_rlp_put_bytes(b, nw_cur_of(tx->to, tx->has_to ? 20 : 0)));
    NW_TRY(nw_rlp_put_u256(b, &tx->value));
    NW_TRY(nw_rlp_put_bytes(b, nw_tx_span_cur(tx, tx->data)));
    if (typed)
        NW_TRY(put_list_span(b, tx, tx->access_list));
    if (tx->type == NW_TX_BLOB) {
        NW_TRY(nw_rlp_put_u256(b, &tx->max_fee_blob));
        NW_TRY(put_list_span(b, tx, tx->blob_hashes));
    }
    if (tx->type == NW_TX_SET_CODE)
        NW_TRY(put_list_span(b, tx, tx->auth_list));
    return NW_OK;
}

/* The EIP-155 trailer of a legacy signing payload: rlp(chainId) 0x80 0x80. */
static size_t eip155_trailer(uint8_t out[36], const struct nw_tx *tx)
{
    uint8_t be[32];
    size_t n = nw_u256_to_be_min(be, &tx->chain_id), o = 0;
    if (n == 1 && be[0] < 0x80) {
        out[o++] = be[0];
    } else {
        out[o++] = (uint8_t)(0x80 + n);
        memcpy(out + o, be, n);
        o += n;
    }
    out[o++] = 0x80;
    out[o++] = 0x80;
    return o;
}

void nw_tx_hash_fields(uint8_t hash32[32], const struct nw_tx *tx, struct nw_cur fields)
{
    struct nw_keccak k;
    uint8_t trailer[36], hdr[NW_RLP_MAX_HEADER];
    size_t tn = 0;
    if (tx->type == NW_TX_LEGACY && tx->has_chain_id)
        tn = eip155_trailer(trailer, tx);
    size_t hn = nw_rlp_header(hdr, fields.len + tn, true);
    nw_keccak_init(&k);
    if (tx->type != NW_TX_LEGACY) {
        uint8_t t = (uint8_t)tx->type;
        nw_keccak_update(&k, &t, 1);
    }
    nw_keccak_update(&k, hdr, hn);
    nw_keccak_update(&k, fields.ptr, fields.len);
    nw_keccak_update(&k, trailer, tn);
    nw_keccak_final(&k, hash32);
}

static nw_err map_buf_err(nw_err e)
{
    return e == NW_ERR_BUF_FULL ? NW_ERR_TX_LIMIT : e;
}

nw_err nw_tx_signing_hash(uint8_t hash32[32], const struct nw_tx *tx)
{
    struct nw_buf b;
    nw_buf_init(&b, NW_TX_MAX_BYTES + 4096, false);
    nw_err err = map_buf_err(nw_tx_encode_fields(&b, tx));
    if (err == NW_OK)
        nw_tx_hash_fields(hash32, tx, nw_buf_cur(&b));
    else
        memset(hash32, 0, 32);
    nw_buf_clear(&b);
    return err;
}

/* v as encoded: yParity for typed transactions, 27/28, or EIP-155's recid + 35 + 2 chainId. */
static nw_err compute_v(struct nw_u256 *v, const struct nw_tx *tx, uint8_t recid)
{
    struct nw_u256 t;
    if (tx->type != NW_TX_LEGACY) {
        *v = nw_u256_from_u64(recid);
        return NW_OK;
    }
    if (!tx->has_chain_id) {
        *v = nw_u256_from_u64(27u + recid);
        return NW_OK;
    }
    struct nw_u256 add = nw_u256_from_u64(35u + recid);
    NW_TRY(nw_u256_mul_u64(&t, &tx->chain_id, 2));
    return nw_u256_add(v, &t, &add);
}

/* A 32-byte big-endian integer as an RLP integer (leading zero bytes dropped). */
static nw_err put_be32_int(struct nw_buf *b, const uint8_t be[32])
{
    size_t z = 0;
    while (z < 32 && be[z] == 0)
        z++;
    return nw_rlp_put_bytes(b, nw_cur_of(be + z, 32 - z));
}

/* Append v, r, s (r and s as integers, i.e. without leading zero bytes). */
static nw_err put_signature(struct nw_buf *b, const struct nw_u256 *v, const struct nw_sig *sig)
{
    NW_TRY(nw_rlp_put_u256(b, v));
    NW_TRY(put_be32_int(b, sig->b));
    return put_be32_int(b, sig->b + 32);
}

/* Room kept in front of the fields for the type byte and the longest list header. */
#define FRONT (1 + NW_RLP_MAX_HEADER)

/* Write the type byte and list header in front of raw[FRONT..] and slide the whole down. */
static void finish_envelope(struct nw_buf *raw, enum nw_tx_type type)
{
    uint8_t hdr[NW_RLP_MAX_HEADER];
    size_t payload = raw->len - FRONT;
    size_t hn = nw_rlp_header(hdr, payload, true);
    size_t o = 0;
    if (type != NW_TX_LEGACY)
        raw->ptr[o++] = (uint8_t)type;
    memcpy(raw->ptr + o, hdr, hn);
    o += hn;
    memmove(raw->ptr + o, raw->ptr + FRONT, payload);
    raw->len = o + payload;
}

/* Encode fields into out->raw after FRONT bytes of room. */
static nw_err begin_raw(struct nw_tx_signed *out, const struct nw_tx *tx)
{
    out->raw.len = 0;
    NW_TRY(nw_buf_reserve(&out->raw, FRONT + 256 + tx->mem.len));
    memset(out->raw.ptr, 0, FRONT);
    out->raw.len = FRONT;
    return nw_tx_encode_fields(&out->raw, tx);
}

static nw_err end_raw(struct nw_tx_signed *out, const struct nw_tx *tx, const struct nw_sig *sig)
{
    NW_TRY(compute_v(&out->v, tx, sig->b[64]));
    NW_TRY(put_signature(&out->raw, &out->v, sig));
    finish_envelope(&out->raw, tx->type);
    out->sig = *sig;
    nw_keccak256(out->hash32, out->raw.ptr, out->raw.len);
    return NW_OK;
}

nw_err
nw_tx_encode_signed(struct nw_tx_signed *out, const struct nw_tx *tx, const struct nw_sig *sig)
{
    nw_err err = begin_raw(out, tx);
    if (err == NW_OK)
        err = end_raw(out, tx, sig);
    if (err != NW_OK) {
        out->raw.len = 0;
        memset(out->hash32, 0, 32);
    }
    return map_buf_err(err);
}

static nw_err
check_from(const struct nw_secp *ctx, const struct nw_tx *tx, const struct nw_seckey *key)
{
    uint8_t addr[20];
    if (!tx->has_from)
        return NW_OK;
    NW_TRY(nw_address_from_seckey(ctx, addr, key));
    NW_ENSURE(memcmp(addr, tx->from, 20) == 0, NW_ERR_TX_FROM_MISMATCH);
    return NW_OK;
}

nw_err nw_tx_sign(const struct nw_secp *ctx,
                  struct nw_tx_signed *out,
                  const struct nw_tx *tx,
                  const struct nw_seckey *key)
{
    struct nw_sig sig;
    nw_err err;

    NW_CHECK(nw_tx_check(tx, NULL));
    NW_CHECK(check_from(ctx, tx, key));
    NW_CHECK(begin_raw(out, tx));
    nw_tx_hash_fields(out->signing_hash32, tx,
                      nw_cur_of(out->raw.ptr + FRONT, out->raw.len - FRONT));
    NW_CHECK(nw_sign_hash(ctx, &sig, out->signing_hash32, key));
    NW_CHECK(end_raw(out, tx, &sig));
out:
    nw_wipe(&sig, sizeof(sig));
    if (err != NW_OK) {
        out->raw.len = 0;
        memset(out->hash32, 0, 32);
        memset(out->signing_hash32, 0, 32);
        memset(&out->sig, 0, sizeof(out->sig));
        out->v = nw_u256_from_u64(0);
    }
    return map_buf_err(err);
}

nw_err nw_tx_recover_sender(const struct nw_secp *ctx,
                            uint8_t addr20[20],
                            const struct nw_tx_signed *signed_tx)
{
    return nw_recover_address(ctx, addr20, signed_tx->signing_hash32, &signed_tx->sig);
}

void nw_auth_hash(uint8_t hash32[32], const struct nw_auth *auth)
{
    /* EIP-7702: keccak256(MAGIC 0x05 || rlp([chain_id, address, nonce])). At most 33 + 21 + 9
     * payload bytes, so the list fits a fixed buffer. */
    uint8_t buf[128];
    struct nw_buf b = {buf, 0, sizeof(buf), sizeof(buf) - 1, false};
    struct nw_keccak k;
    uint8_t hdr[NW_RLP_MAX_HEADER], magic = 0x05;
    /* Writing into a fixed, large-enough buffer cannot fail. */
    nw_err e1 = nw_rlp_put_u256(&b, &auth->chain_id);
    nw_err e2 = nw_rlp_put_bytes(&b, nw_cur_of(auth->address, 20));
    nw_err e3 = nw_rlp_put_u64(&b, auth->nonce);
    NW_ASSERT(e1 == NW_OK && e2 == NW_OK && e3 == NW_OK);
    (void)e1;
    (void)e2;
    (void)e3;
    size_t hn = nw_rlp_header(hdr, b.len, true);
    nw_keccak_init(&k);
    nw_keccak_update(&k, &magic, 1);
    nw_keccak_update(&k, hdr, hn);
    nw_keccak_update(&k, buf, b.len);
    nw_keccak_final(&k, hash32);
}

nw_err nw_auth_sign(const struct nw_secp *ctx,
                    struct nw_sig *sig,
                    uint8_t hash32[32],
                    const struct nw_auth *auth,
                    const struct nw_seckey *key)
{
    nw_auth_hash(hash32, auth);
    return nw_sign_hash(ctx, sig, hash32, key);
}

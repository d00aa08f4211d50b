/*
 * Rules a transaction must meet for the network to accept it, beyond its shape: what
 * nw_tx_sign refuses and what nw_tx_validate reports for a decoded transaction.
 *
 *  - EIP-2681: a nonce (of the transaction or of an EIP-7702 authorization) is at most 2^64-1.
 *  - EIP-4844: a blob transaction has a recipient and at least one versioned hash, each
 *    starting with the KZG version byte 0x01.
 *  - EIP-7702: a set-code transaction has a recipient and a non-empty authorization list.
 *  - EIP-2: s at most secp256k1n/2 (the transaction's signature and each authorization's).
 *  - Ours: a transaction with no recipient and no data would create an empty contract and
 *    burn its value; contract creation needs code.
 */
#include <stdarg.h>
#include <stdio.h>

#include <nw/rlp.h>
#include <nw/tx.h>

#include "tx_int.h"

/* secp256k1n / 2, big-endian limbs as struct nw_u256 holds them (w[0] least significant). */
static const struct nw_u256 half_n = {
    {0xDFE92F46681B20A0ull, 0x5D576E7357A4501Dull, 0xFFFFFFFFFFFFFFFFull, 0x7FFFFFFFFFFFFFFFull}};

bool nw_sig_s_is_high(const struct nw_u256 *s)
{
    return nw_u256_cmp(s, &half_n) > 0;
}

/* Where reasons go: the first one only (check), or a list (validate). */
struct sink {
    struct nw_diag *first;      /* nw_tx_check: stop at the first */
    struct nw_tx_validity *all; /* nw_tx_validate: keep up to NW_TX_MAX_REASONS */
    nw_err code;                /* the first code seen */
};

static bool reason(struct sink *k, nw_err code, const char *fmt, ...) NW_PRINTF(3, 4);

/* Record a reason; returns false when the walk should stop. */
static bool reason(struct sink *k, nw_err code, const char *fmt, ...)
{
    struct nw_diag d;
    va_list ap;
    va_start(ap, fmt);
    /* The analyzer loses va_start across the inlined callers (same code as nw_diag_set). */
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
    int n = vsnprintf(d.msg, sizeof(d.msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        d.msg[0] = '\0';
    d.code = code;
    d.sys_errno = 0;
    if (k->code == NW_OK)
        k->code = code;
    if (k->all == NULL) {
        if (k->first != NULL)
            *k->first = d;
        return false;
    }
    k->all->valid = false;
    if (k->all->count < NW_TX_MAX_REASONS)
        k->all->reasons[k->all->count] = d;
    k->all->count++;
    return true;
}

static bool check_blobs(struct sink *k, const struct nw_tx *tx)
{
    struct nw_cur list = nw_tx_span_cur(tx, tx->blob_hashes), entries, h;
    size_t i = 0;
    if (list.len == 0 || nw_rlp_next_list(&list, &entries) != NW_OK || entries.len == 0)
        return reason(k, NW_ERR_TX_NO_BLOB_HASHES, "field 'blobVersionedHashes' is empty");
    for (; entries.len > 0; i++) {
        if (nw_rlp_next_bytes(&entries, &h) != NW_OK || h.len != 32)
            return reason(k, NW_ERR_INTERNAL, "blobVersionedHashes[%zu] is malformed", i);
        if (h.ptr[0] != 0x01 &&
            !reason(k, NW_ERR_TX_BLOB_HASH_VERSION, "field 'blobVersionedHashes[%zu]'", i))
            return false;
    }
    return true;
}

/* [chain_id, address, nonce, y_parity, r, s] (shape checked when parsed or decoded). */
static bool check_auth_entry(struct sink *k, struct nw_cur e, size_t i)
{
    struct nw_u256 chain_id, nonce, y, r, s;
    struct nw_cur a;
    uint64_t n64;
    if (nw_rlp_next_u256(&e, &chain_id) != NW_OK || nw_rlp_next_bytes(&e, &a) != NW_OK ||
        nw_rlp_next_u256(&e, &nonce) != NW_OK || nw_rlp_next_u256(&e, &y) != NW_OK ||
        nw_rlp_next_u256(&e, &r) != NW_OK || nw_rlp_next_u256(&e, &s) != NW_OK)
        return reason(k, NW_ERR_INTERNAL, "authorizationList[%zu] is malformed", i);
    if (!nw_u256_to_u64(&nonce, &n64) &&
        !reason(k, NW_ERR_TX_NONCE_RANGE, "field 'authorizationList[%zu].nonce'", i))
        return false;
    if (nw_sig_s_is_high(&s) && !reason(k, NW_ERR_TX_HIGH_S, "field 'authorizationList[%zu].s'", i))
        return false;
    return true;
}

static bool check_auths(struct sink *k, const struct nw_tx *tx)
{
    struct nw_cur list = nw_tx_span_cur(tx, tx->auth_list), entries, e;
    if (list.len == 0 || nw_rlp_next_list(&list, &entries) != NW_OK || entries.len == 0)
        return reason(k, NW_ERR_TX_EMPTY_AUTH_LIST, "field 'authorizationList' is empty");
    for (size_t i = 0; entries.len > 0; i++) {
        if (nw_rlp_next_list(&entries, &e) != NW_OK)
            return reason(k, NW_ERR_INTERNAL, "authorizationList[%zu] is malformed", i);
        if (!check_auth_entry(k, e, i))
            return false;
    }
    return true;
}

static bool check_recipient(struct sink *k, const struct nw_tx *tx)
{
    if (tx->has_to)
        return true;
    if (tx->type == NW_TX_BLOB || tx->type == NW_TX_SET_CODE)
        return reason(k, NW_ERR_TX_CREATE_NOT_ALLOWED, "field 'to' (type %d)", (int)tx->type);
    if (tx->data.len == 0)
        return reason(k, NW_ERR_TX_MISSING_TO,
                      "field 'to' is absent and 'data' is empty (give 'to' to send, 'data' "
                      "to deploy)");
    return true;
}

static void walk(struct sink *k, const struct nw_tx *tx, const struct nw_tx_signed *signed_tx)
{
    uint64_t n64;
    if (!nw_u256_to_u64(&tx->nonce, &n64) && !reason(k, NW_ERR_TX_NONCE_RANGE, "field 'nonce'"))
        return;
    if (!check_recipient(k, tx))
        return;
    if (tx->type == NW_TX_BLOB && !check_blobs(k, tx))
        return;
    if (tx->type == NW_TX_SET_CODE && !check_auths(k, tx))
        return;
    if (signed_tx != NULL) {
        struct nw_u256 s;
        if (nw_u256_from_be(&s, nw_cur_of(signed_tx->sig.b + 32, 32)) == NW_OK &&
            nw_sig_s_is_high(&s))
            (void)reason(k, NW_ERR_TX_HIGH_S, "field 's' of the signature");
    }
}

nw_err nw_tx_check(const struct nw_tx *tx, struct nw_diag *diag)
{
    struct sink k = {diag, NULL, NW_OK};
    walk(&k, tx, NULL);
    return k.code;
}

void nw_tx_validate(struct nw_tx_validity *out,
                    const struct nw_tx *tx,
                    const struct nw_tx_signed *signed_tx)
{
    struct sink k = {NULL, out, NW_OK};
    memset(out, 0, sizeof(*out));
    out->valid = true;
    walk(&k, tx, signed_tx);
}

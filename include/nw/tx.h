/*
 * Ethereum transactions: parsing web3.py-style request dicts, encoding, signing, and decoding
 * signed raw transactions of every type (legacy with and without EIP-155, EIP-2930, EIP-1559,
 * EIP-4844 without blobs, EIP-7702), plus EIP-7702 authorization signing.
 *
 * Signing a request, in full:
 *
 *     struct nw_tx tx;
 *     struct nw_tx_signed out;
 *     struct nw_diag diag;
 *     nw_tx_init(&tx);
 *     nw_tx_signed_init(&out);
 *     err = nw_tx_from_json(&tx, &diag, nw_cur_of(json, json_len));   // diag.msg names the field
 *     if (err == NW_OK)
 *         err = nw_tx_sign(secp, &out, &tx, &key);
 *     // out.raw: the signed transaction bytes; out.hash32: its hash
 *     nw_tx_clear(&tx);
 *     nw_tx_signed_clear(&out);
 *
 * The request dict (DESIGN.md section 4), field by field:
 *  - type: 0..4, JSON integer or 0x-hex; when absent it is inferred as eth-account's
 *    set_transaction_type_if_needed does: gasPrice with accessList -> 1; maxFeePerGas or
 *    maxPriorityFeePerGas -> 2, or 3 with maxFeePerBlobGas/blobVersionedHashes, or 4 with
 *    authorizationList; otherwise 0 (legacy, which then refuses any typed-only field).
 *  - chainId, nonce, gas, gasPrice, maxFeePerGas, maxPriorityFeePerGas, maxFeePerBlobGas:
 *    integers (JSON integer or 0x-hex string, see <nw/quantity.h>). nonce and gas are always
 *    required; chainId is required for types 1-4 and optional for type 0 (absent = pre-EIP-155,
 *    v = 27/28; present = EIP-155, v = recid + 35 + 2 * chainId).
 *  - to: address (mixed case must be EIP-55); absent, null or "" = contract creation, which
 *    types 3 and 4 do not allow.
 *  - value: in ETHER (JSON integer, JSON float or decimal string), converted exactly to wei.
 *  - data: "0x"-hex bytes, "" or "0x" for none.
 *  - accessList: [{"address": ..., "storageKeys": ["0x" + 64 hex, ...]}, ...] (types 1-4).
 *  - blobVersionedHashes: ["0x" + 64 hex, ...] (type 3, required with maxFeePerBlobGas).
 *  - authorizationList: non-empty [{chainId, address, nonce, yParity (or v: 0/1/27/28), r, s}]
 *    of already-signed EIP-7702 tuples (type 4, required).
 *  - from: optional; when present it must be the signing key's address.
 * Any other field, a field not used by the chosen type, or a value of the wrong JSON type is an
 * error whose message (struct nw_diag) names the field. Messages never quote request values.
 *
 * Integers are held exactly (struct nw_u256); variable-length parts (data, the lists) are kept
 * in one buffer per transaction, the lists already RLP-encoded.
 * Nothing in struct nw_tx is secret; nw_tx_sign handles the key.
 */
#ifndef NW_TX_H
#define NW_TX_H

#include <stdbool.h>

#include <nw/buf.h>
#include <nw/sign.h>
#include <nw/u256.h>

/* Transaction types (EIP-2718 type byte; 0 is the untyped legacy form). */
enum nw_tx_type {
    NW_TX_LEGACY = 0,
    NW_TX_ACCESS_LIST = 1, /* EIP-2930 */
    NW_TX_DYNAMIC_FEE = 2, /* EIP-1559 */
    NW_TX_BLOB = 3,        /* EIP-4844 */
    NW_TX_SET_CODE = 4,    /* EIP-7702 */
};

/* Upper bound on a transaction's variable-length parts (data plus encoded lists). */
#define NW_TX_MAX_BYTES ((size_t)1024 * 1024)

/* A byte range inside struct nw_tx's mem. */
struct nw_tx_span {
    size_t off;
    size_t len;
};

struct nw_tx {
    enum nw_tx_type type;
    bool has_chain_id; /* always true for types 1-4 */
    bool has_to;       /* false: contract creation */
    bool has_from;
    struct nw_u256 chain_id;
    struct nw_u256 nonce;
    struct nw_u256 gas;
    struct nw_u256 gas_price;        /* types 0, 1 */
    struct nw_u256 max_fee;          /* maxFeePerGas: types 2-4 */
    struct nw_u256 max_priority_fee; /* maxPriorityFeePerGas: types 2-4 */
    struct nw_u256 max_fee_blob;     /* maxFeePerBlobGas: type 3 */
    struct nw_u256 value;            /* in wei */
    uint8_t to[20];
    uint8_t from[20];
    struct nw_buf mem;             /* owns the bytes below */
    struct nw_tx_span data;        /* raw bytes */
    struct nw_tx_span access_list; /* RLP list item (empty span = the empty list) */
    struct nw_tx_span blob_hashes; /* RLP list item */
    struct nw_tx_span auth_list;   /* RLP list item */
};

/* Initialise an empty legacy transaction (allocates nothing). */
void nw_tx_init(struct nw_tx *tx) NW_NONNULL(1);

/* Free what tx owns and re-initialise it. */
void nw_tx_clear(struct nw_tx *tx) NW_NONNULL(1);

/* A view of one span of tx (data, access_list, blob_hashes, auth_list). */
static inline struct nw_cur nw_tx_span_cur(const struct nw_tx *tx, struct nw_tx_span s)
{
    return nw_cur_of(s.len ? tx->mem.ptr + s.off : NULL, s.len);
}

/*
 * Parse a request dict given as JSON text (an object) into tx, strictly (see above).
 * Out: tx (cleared on failure; it must have been initialised), diag (optional: the code and a
 * message naming the field, e.g. "field 'gas'").
 * Returns: NW_OK; JSON errors (NW_ERR_JSON, NW_ERR_JSON_NUMBER_TOO_BIG,
 * NW_ERR_JSON_DUPLICATE_KEY, NW_ERR_TX_NOT_OBJECT); field errors (NW_ERR_TX_UNKNOWN_FIELD,
 * NW_ERR_TX_MISSING_FIELD, NW_ERR_TX_FIELD_TYPE, NW_ERR_TX_FIELD_NOT_ALLOWED, NW_ERR_TX_TYPE,
 * NW_ERR_TX_EMPTY_AUTH_LIST, NW_ERR_TX_BYTES_LENGTH, NW_ERR_TX_SIG_V); value errors from
 * <nw/quantity.h> and <nw/ethaddr.h>; hex errors for data; NW_ERR_TX_LIMIT; NW_ERR_NOMEM.
 */
nw_err nw_tx_from_json(struct nw_tx *tx, struct nw_diag *diag, struct nw_cur json)
    NW_MUST_USE NW_NONNULL(1);

/*
 * The hash a signer signs: keccak256(rlp(unsigned fields)) for legacy (with chainId, 0, 0
 * appended under EIP-155), keccak256(type || rlp(fields)) for typed transactions.
 * Returns: NW_OK, NW_ERR_NOMEM, NW_ERR_TX_LIMIT.
 */
nw_err nw_tx_signing_hash(uint8_t hash32[32], const struct nw_tx *tx) NW_MUST_USE NW_NONNULL(1, 2);

/* A signed transaction. */
struct nw_tx_signed {
    struct nw_buf raw;  /* the raw signed transaction (typed: type byte || rlp) */
    uint8_t hash32[32]; /* keccak256(raw): the transaction hash */
    uint8_t signing_hash32[32];
    struct nw_sig sig; /* r || s || y-parity */
    struct nw_u256 v;  /* the v field as encoded: yParity, 27/28 or EIP-155's */
};

void nw_tx_signed_init(struct nw_tx_signed *out) NW_NONNULL(1);
void nw_tx_signed_clear(struct nw_tx_signed *out) NW_NONNULL(1);

/*
 * Sign tx with key (RFC 6979, low-S). When tx->has_from, the key's address must equal it.
 * Out: out (raw, hashes, signature; emptied on failure). Secret-handling: the key is only
 * passed to nw_sign_hash; no copy is made.
 * Returns: NW_OK, NW_ERR_KEY_INVALID, NW_ERR_CRYPTO, NW_ERR_TX_FIELD_NOT_ALLOWED (from does not
 * match the key), NW_ERR_INT_OVERFLOW (EIP-155 v past 2^256-1), NW_ERR_NOMEM, NW_ERR_TX_LIMIT.
 */
nw_err nw_tx_sign(const struct nw_secp *ctx,
                  struct nw_tx_signed *out,
                  const struct nw_tx *tx,
                  const struct nw_seckey *key) NW_MUST_USE NW_NONNULL(1, 2, 3, 4);

/*
 * Encode tx with a given signature (sig's y-parity; v is derived from tx's type and chain id).
 * Out: out->raw, out->hash32, out->sig, out->v; signing_hash32 is left as is.
 * Returns: as nw_tx_sign, without the key errors.
 */
nw_err nw_tx_encode_signed(struct nw_tx_signed *out,
                           const struct nw_tx *tx,
                           const struct nw_sig *sig) NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * Decode a raw signed transaction of any type (a typed envelope 0x01..0x04, or a legacy RLP
 * list), in strict canonical RLP. Legacy v must be 27, 28 or >= 35 (EIP-155); typed yParity 0 or
 * 1; r and s must be at most 32 bytes (high-S is accepted: old transactions carry it). An
 * EIP-4844 network wrapper (type 3 with blobs, commitments and proofs) is accepted; its hash is
 * the transaction's, not the wrapper's.
 * Out: tx (cleared on failure), out (raw is a copy of the input; hash32, signing_hash32, sig, v).
 * Returns: NW_OK, NW_ERR_TX_RAW_EMPTY, NW_ERR_TX_TYPE, NW_ERR_RLP_* (malformed or
 * non-canonical), NW_ERR_TX_FIELD_COUNT, NW_ERR_TX_BYTES_LENGTH (address, hash or r/s of the wrong
 * size), NW_ERR_TX_SIG_V, NW_ERR_INT_OVERFLOW, NW_ERR_NOMEM, NW_ERR_TX_LIMIT.
 */
nw_err nw_tx_decode(struct nw_tx *tx, struct nw_tx_signed *out, struct nw_cur raw)
    NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Recover the sender of a decoded transaction (from out->signing_hash32 and out->sig).
 * Returns: NW_OK, NW_ERR_SIG_INVALID, NW_ERR_RECOVER_FAILED.
 */
nw_err nw_tx_recover_sender(const struct nw_secp *ctx,
                            uint8_t addr20[20],
                            const struct nw_tx_signed *signed_tx) NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * Describe a decoded transaction as a JSON object (web3-style camelCase names; every integer as
 * a 0x quantity, value in wei; to is null for contract creation; lists expanded), with "type",
 * "hash", "signingHash", "v", "r", "s", "yParity" and, when sender20 is non-NULL, "from"
 * (EIP-55).
 * Out: text appended to out (no NUL counted).
 * Returns: NW_OK, NW_ERR_NOMEM, NW_ERR_BUF_FULL, NW_ERR_INTERNAL.
 */
nw_err nw_tx_to_json(struct nw_buf *out,
                     const struct nw_tx *tx,
                     const struct nw_tx_signed *signed_tx,
                     const uint8_t *sender20) NW_MUST_USE NW_NONNULL(1, 2, 3);

/* An EIP-7702 authorization to sign: [chain_id, address, nonce]. */
struct nw_auth {
    struct nw_u256 chain_id;
    uint8_t address[20];
    uint64_t nonce; /* EIP-7702 bounds the nonce to 2^64-1 */
};

/*
 * Parse {"chainId", "address", "nonce"} JSON text (strict like nw_tx_from_json).
 * Out: auth (zeroed on failure), diag (optional). Returns: as nw_tx_from_json's field errors.
 */
nw_err nw_auth_from_json(struct nw_auth *auth, struct nw_diag *diag, struct nw_cur json)
    NW_MUST_USE NW_NONNULL(1);

/* The EIP-7702 authorization hash: keccak256(0x05 || rlp([chain_id, address, nonce])). */
void nw_auth_hash(uint8_t hash32[32], const struct nw_auth *auth) NW_NONNULL(1, 2);

/*
 * Sign an authorization. Out: sig (r || s || yParity; zeroed on failure), hash32 (the
 * authorization hash). Secret-handling: as nw_tx_sign.
 * Returns: NW_OK, NW_ERR_KEY_INVALID, NW_ERR_CRYPTO.
 */
nw_err nw_auth_sign(const struct nw_secp *ctx,
                    struct nw_sig *sig,
                    uint8_t hash32[32],
                    const struct nw_auth *auth,
                    const struct nw_seckey *key) NW_MUST_USE NW_NONNULL(1, 2, 3, 4, 5);

#endif /* NW_TX_H */

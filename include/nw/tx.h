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
 *    types 3 and 4 do not allow (NW_ERR_TX_CREATE_NOT_ALLOWED) and which needs non-empty data
 *    (NW_ERR_TX_MISSING_TO: no `to` and no data would burn the value into an empty contract).
 *  - value: in ETHER (JSON integer, JSON float or decimal string), converted exactly to wei. A
 *    JSON float must be exactly the decimal its double reproduces ("value": 0.01 is fine;
 *    1.000000000000000001 is NW_ERR_ETHER_IMPRECISE: send such amounts as strings).
 *  - data: "0x"-hex bytes, "" or "0x" for none.
 *  - accessList: [{"address": ..., "storageKeys": ["0x" + 64 hex, ...]}, ...] (types 1-4).
 *  - blobVersionedHashes: ["0x" + 64 hex, ...] (type 3, required with maxFeePerBlobGas), at
 *    least one, each starting with 0x01 (EIP-4844 KZG version).
 *  - authorizationList: non-empty [{chainId, address, nonce, yParity (or v: 0/1/27/28), r, s}]
 *    of already-signed EIP-7702 tuples (type 4, required); nonce <= 2^64-1, s low (EIP-2).
 *  - from: optional; when present it must be the signing key's address
 *    (NW_ERR_TX_FROM_MISMATCH from nw_tx_sign).
 * Integer literals are exact up to 2^256-1 (the JSON is read by yajl, keeping number text);
 * a nonce above 2^64-1 is NW_ERR_TX_NONCE_RANGE (EIP-2681).
 *
 * The JSON-RPC transaction object (eth_signTransaction, `nw sign-tx --format rpc`,
 * nw_tx_from_rpc_json) is the same with two differences: `value` is in WEI (a quantity like
 * every other integer: "0x" hex string or JSON integer), and the data may be given as `input`
 * (its current name) or `data`; both present must carry the same bytes
 * (NW_ERR_TX_INPUT_MISMATCH).
 *
 * Legacy chainId 0 follows eth-account: present and 0 means EIP-155 with v = 35/36 (ethers v6
 * reads chainId 0 as "no EIP-155" and signs v = 27/28 instead); absent means pre-EIP-155.
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
 * Returns: NW_OK; JSON errors (NW_ERR_JSON, NW_ERR_JSON_NUMBER_TOO_BIG (a float beyond a
 * double), NW_ERR_JSON_DUPLICATE_KEY, NW_ERR_JSON_DEPTH, NW_ERR_TX_NOT_OBJECT, NW_ERR_TOO_LARGE);
 * field errors (NW_ERR_TX_UNKNOWN_FIELD, NW_ERR_TX_MISSING_FIELD, NW_ERR_TX_FIELD_TYPE,
 * NW_ERR_TX_FIELD_NOT_ALLOWED, NW_ERR_TX_TYPE, NW_ERR_TX_BYTES_LENGTH, NW_ERR_TX_SIG_V,
 * NW_ERR_ETHER_IMPRECISE); value errors from <nw/quantity.h> and <nw/ethaddr.h>; hex errors for
 * data; the rules of nw_tx_check (NW_ERR_TX_MISSING_TO, NW_ERR_TX_CREATE_NOT_ALLOWED,
 * NW_ERR_TX_NO_BLOB_HASHES, NW_ERR_TX_BLOB_HASH_VERSION, NW_ERR_TX_EMPTY_AUTH_LIST,
 * NW_ERR_TX_NONCE_RANGE, NW_ERR_TX_HIGH_S); NW_ERR_TX_LIMIT; NW_ERR_NOMEM.
 */
nw_err nw_tx_from_json(struct nw_tx *tx, struct nw_diag *diag, struct nw_cur json)
    NW_MUST_USE NW_NONNULL(1);

/*
 * As nw_tx_from_json, for the request dict that is the value of `member` in the top-level object
 * of json (e.g. "tx" in a {"key": "0x..", "tx": {...}} line). Use it rather than re-serialising
 * the member through another JSON library: jansson prints 922.2 as 922.20000000000005, which is
 * then (rightly) refused as NW_ERR_ETHER_IMPRECISE. Other members are not looked at.
 * Returns: as nw_tx_from_json; NW_ERR_TX_MISSING_FIELD (no such member); NW_ERR_TX_NOT_OBJECT.
 */
nw_err nw_tx_from_json_member(struct nw_tx *tx,
                              struct nw_diag *diag,
                              struct nw_cur json,
                              const char *member) NW_MUST_USE NW_NONNULL(1, 4);

/*
 * Parse a JSON-RPC transaction object (eth_signTransaction's parameter; see above: value in
 * wei, `input` or `data`), with every check of nw_tx_from_json.
 * Out: tx (cleared on failure; initialised before), diag (optional; names the field).
 * Returns: as nw_tx_from_json, plus NW_ERR_TX_INPUT_MISMATCH.
 */
nw_err nw_tx_from_rpc_json(struct nw_tx *tx, struct nw_diag *diag, struct nw_cur json)
    NW_MUST_USE NW_NONNULL(1);

/*
 * Check the rules the network applies beyond a transaction's shape (see the list at the top:
 * EIP-2681 nonces, EIP-4844 blob hashes and recipient, EIP-7702 recipient and non-empty list,
 * EIP-2 low s in authorizations, and no contract creation without data). The parsers and
 * nw_tx_sign call it; call it yourself on a struct nw_tx built by hand.
 * Out: diag (optional): the first failing rule, naming the field.
 * Returns: NW_OK or the first rule's code: NW_ERR_TX_NONCE_RANGE, NW_ERR_TX_MISSING_TO,
 * NW_ERR_TX_CREATE_NOT_ALLOWED, NW_ERR_TX_NO_BLOB_HASHES, NW_ERR_TX_BLOB_HASH_VERSION,
 * NW_ERR_TX_EMPTY_AUTH_LIST, NW_ERR_TX_HIGH_S.
 */
nw_err nw_tx_check(const struct nw_tx *tx, struct nw_diag *diag) NW_MUST_USE NW_NONNULL(1);

struct nw_tx_signed;

/* At most this many reasons are kept by nw_tx_validate (count has them all). */
#define NW_TX_MAX_REASONS 8

/* Whether a (decoded) transaction would be accepted by the network, and why not. */
struct nw_tx_validity {
    bool valid;
    size_t count;                              /* reasons found (may exceed the kept ones) */
    struct nw_diag reasons[NW_TX_MAX_REASONS]; /* code and message of each, in order */
};

/*
 * Every rule of nw_tx_check, plus EIP-2's low s for the transaction's own signature when
 * signed_tx is given (nw_tx_decode accepts high s, as old transactions carry it). For
 * `decode-tx`'s "valid": false and its reasons.
 * Out: out (valid, count, reasons).
 */
void nw_tx_validate(struct nw_tx_validity *out,
                    const struct nw_tx *tx,
                    const struct nw_tx_signed *signed_tx) NW_NONNULL(1, 2);

/* Whether s exceeds secp256k1n/2 (a high-S signature, invalid since EIP-2). */
bool nw_sig_s_is_high(const struct nw_u256 *s) NW_NONNULL(1);

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
 * Sign tx with key (RFC 6979, low-S). When tx->has_from, the key's address must equal it. The
 * rules of nw_tx_check are applied first (a transaction the network would refuse is not
 * signed).
 * Out: out (raw, hashes, signature; emptied on failure). Secret-handling: the key is only
 * passed to nw_sign_hash; no copy is made.
 * Returns: NW_OK, NW_ERR_KEY_INVALID, NW_ERR_CRYPTO, NW_ERR_TX_FROM_MISMATCH (from does not
 * match the key), nw_tx_check's codes, NW_ERR_INT_OVERFLOW (EIP-155 v past 2^256-1),
 * NW_ERR_NOMEM, NW_ERR_TX_LIMIT.
 */
nw_err nw_tx_sign(const struct nw_secp *ctx,
                  struct nw_tx_signed *out,
                  const struct nw_tx *tx,
                  const struct nw_seckey *key) NW_MUST_USE NW_NONNULL(1, 2, 3, 4);

/*
 * Encode tx with a given signature (sig's y-parity; v is derived from tx's type and chain id).
 * An encoder only: it applies none of nw_tx_check's rules (decoded transactions re-encode).
 * Out: out->raw, out->hash32, out->sig, out->v; signing_hash32 is left as is.
 * Returns: as nw_tx_sign, without the key errors.
 */
nw_err nw_tx_encode_signed(struct nw_tx_signed *out,
                           const struct nw_tx *tx,
                           const struct nw_sig *sig) NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * Decode a raw signed transaction of any type (a typed envelope 0x01..0x04, or a legacy RLP
 * list), in strict canonical RLP. Legacy v must be 27, 28 or >= 35 (EIP-155); typed yParity 0 or
 * 1; r and s must be at most 32 bytes (high-S is accepted: old transactions carry it). What the
 * network would refuse (nw_tx_validate: high s, empty blob or authorization lists, nonces above
 * 2^64-1, ...) still decodes, so that it can be shown and flagged. An
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

/*
 * Describe tx as a JSON-RPC transaction object, exactly what nw_tx_from_rpc_json reads back to
 * the same transaction (so signing it again with the same key gives the same bytes): "type",
 * "chainId" (absent for a pre-EIP-155 legacy transaction), "nonce", the fee fields of the type,
 * "gas", "to" (null for contract creation), "value" (wei), "input", and per type "accessList",
 * "maxFeePerBlobGas", "blobVersionedHashes", "authorizationList" ({chainId, address, nonce,
 * yParity, r, s}). Integers are 0x quantities, addresses EIP-55. "from" (EIP-55) is added when
 * from20 is non-NULL.
 * Out: text appended to out (no NUL counted).
 * Returns: NW_OK, NW_ERR_NOMEM, NW_ERR_BUF_FULL, NW_ERR_INTERNAL.
 */
nw_err nw_tx_to_rpc_json(struct nw_buf *out, const struct nw_tx *tx, const uint8_t *from20)
    NW_MUST_USE NW_NONNULL(1, 2);

/* An EIP-7702 authorization to sign: [chain_id, address, nonce]. */
struct nw_auth {
    struct nw_u256 chain_id;
    uint8_t address[20];
    uint64_t nonce; /* EIP-7702 bounds the nonce to 2^64-1 */
};

/*
 * Parse {"chainId", "address", "nonce"} JSON text (strict like nw_tx_from_json).
 * Out: auth (zeroed on failure), diag (optional). Returns: as nw_tx_from_json's field errors;
 * a nonce above 2^64-1 is NW_ERR_TX_NONCE_RANGE (EIP-2681, as EIP-7702 bounds it).
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

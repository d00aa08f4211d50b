/*
 * Message signing: EIP-191 `personal_sign` messages and EIP-712 typed structured data
 * (`eth_signTypedData_v4` JSON). Signatures are 65 bytes r || s || v with v = 27 or 28, the
 * form eth-account, ethers and wallets print (`0x` + 130 hex digits).
 *
 * Hashing is public computation; the signing functions handle a secret (the private key) and
 * make no copy of it outside libsecp256k1's wiped stack (see <nw/sign.h>).
 */
#ifndef NW_MSG_H
#define NW_MSG_H

#include <nw/buf.h>
#include <nw/sign.h>

/* Largest typed-data JSON text nw_eip712_hash accepts (the enclave's frame limit). */
#define NW_EIP712_MAX_JSON_BYTES ((size_t)1024 * 1024)
/* Most struct types in `types` (EIP712Domain included). */
#define NW_EIP712_MAX_TYPES 256u
/* Most fields in one struct type. */
#define NW_EIP712_MAX_FIELDS 1024u
/* Most nesting of structs and array dimensions below the primary type. */
#define NW_EIP712_MAX_DEPTH 64u
/* Longest encodeType string of one struct type (its own definition plus its dependencies). */
#define NW_EIP712_MAX_ENCODED_TYPE ((size_t)65536)

/*
 * EIP-191 version 0x45 ("personal_sign") hash of a message:
 *   keccak256("\x19Ethereum Signed Message:\n" || decimal(len) || message).
 * The message is raw bytes: text is hashed as its UTF-8 bytes, exactly as given (a "0x..."
 * string is text here; decode hex first to sign bytes).
 * Out: hash32. In: msg (any length, may be empty).
 */
void nw_msg191_hash(uint8_t hash32[32], struct nw_cur msg) NW_NONNULL(1);

/*
 * Sign a message with EIP-191 personal_sign.
 * Returns: NW_OK; NW_ERR_KEY_INVALID; NW_ERR_CRYPTO.
 * Out: sig65 = r || s || v (v = 27 or 28); hash32 = the signed hash (may be NULL).
 *      Both are zeroed on failure.
 * In:  ctx, msg, key (secret; not modified, not copied).
 */
nw_err nw_msg191_sign(const struct nw_secp *ctx,
                      uint8_t sig65[65],
                      uint8_t *hash32,
                      struct nw_cur msg,
                      const struct nw_seckey *key) NW_MUST_USE NW_NONNULL(1, 2, 5);

/*
 * EIP-712 hash of typed data given as `eth_signTypedData_v4` JSON text:
 *   {"types": {"EIP712Domain": [...], "T": [{"name": "...", "type": "..."}, ...], ...},
 *    "primaryType": "T", "domain": {...}, "message": {...}}
 * The result is keccak256(0x19 0x01 || hashStruct(EIP712Domain, domain) || hashStruct(T, message));
 * when primaryType is "EIP712Domain" the message part is left out (as eth-sig-util does).
 *
 * Types: uint8..uint256, int8..int256 (width a multiple of 8; bare "uint"/"int" mean 256 bits,
 * as in ethers), bool, address, bytes1..bytes32, bytes, string, struct names, and arrays of any of
 * these, fixed `T[n]` or dynamic `T[]`, nested (`T[2][]`). Struct and field names must be
 * identifiers ([A-Za-z_$][A-Za-z0-9_$]*). A struct may not reach itself (ethers refuses cycles
 * too), every referenced type must be defined, field names are unique per struct, and every
 * struct in `types` is checked even if unused. When `types` has no EIP712Domain, the domain type
 * is derived from the domain's non-null keys in the order name, version, chainId,
 * verifyingContract, salt (as ethers and viem do); other keys are then an error.
 *
 * Values (the choices mirror ethers v6 TypedDataEncoder, made stricter where it is lax):
 *   - integers: a JSON integer (exact: literals the JSON parser cannot hold are refused with
 *     NW_ERR_EIP712_INT_LITERAL, never rounded), a JSON real only if it is integral and within
 *     +-(2^53-1), or a string: optional '-', then decimal digits or 0x/0X + hex digits. Range is
 *     checked against the type; ints are encoded in two's complement. Whitespace, "0b"/"0o"
 *     forms and fractions are refused (BigInt() would read some of them).
 *   - bool: JSON true or false only (ethers takes any truthy value, so "false" would sign
 *     true, and signs a missing bool as false).
 *   - address: 40 hex digits with optional 0x; a mixed-case address must carry a valid EIP-55
 *     checksum (ethers getAddress). ICAP forms are not accepted.
 *   - bytesN: 0x-hex of exactly N bytes; bytes: 0x-hex of any even length ("0x" is empty).
 *   - string: any JSON string, hashed as UTF-8.
 *   - struct: a JSON object with exactly the fields of its type. A missing field is an error (as
 *     in ethers, except that ethers lets a missing bool or field-less struct pass); an extra
 *     field is also an error (ethers silently ignores it; we refuse so that nothing the user
 *     sees goes unsigned). A key whose value is JSON null counts as absent.
 *   - arrays: JSON arrays; fixed arrays must have exactly n elements.
 * Top-level keys other than types, primaryType, domain and message are refused.
 *
 * Returns: NW_OK; NW_ERR_JSON (not JSON); NW_ERR_TOO_LARGE (text or a limit above);
 *   NW_ERR_NOMEM; NW_ERR_EIP712_* (see <nw/err_core_msg.h>).
 * Out: hash32 (zeroed on failure); diag (may be NULL): a message naming the type and field at
 *      fault. The message never contains values.
 * In:  json: the typed-data JSON text (UTF-8; not secret).
 */
nw_err nw_eip712_hash(uint8_t hash32[32], struct nw_diag *diag, struct nw_cur json)
    NW_MUST_USE NW_NONNULL(1);

/*
 * Hash typed data as nw_eip712_hash does, then sign the hash.
 * Returns: as nw_eip712_hash, plus NW_ERR_KEY_INVALID and NW_ERR_CRYPTO.
 * Out: sig65 = r || s || v (v = 27 or 28); hash32 (may be NULL); diag (may be NULL).
 *      sig65 and hash32 are zeroed on failure.
 * In:  ctx, json (typed-data JSON text), key (secret; not modified, not copied).
 */
nw_err nw_eip712_sign(const struct nw_secp *ctx,
                      uint8_t sig65[65],
                      uint8_t *hash32,
                      struct nw_diag *diag,
                      struct nw_cur json,
                      const struct nw_seckey *key) NW_MUST_USE NW_NONNULL(1, 2, 6);

#endif /* NW_MSG_H */

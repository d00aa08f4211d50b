/*
 * Error codes of one area: transactions, RLP, addresses, integers parsed from JSON (core: 113-169).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 */
#ifndef NW_ERR_CORE_TX_H
#define NW_ERR_CORE_TX_H

/* clang-format off */
#define NW_ERRORS_CORE_TX(X) \
    X(NW_ERR_TX_UNKNOWN_FIELD,     113, "unknown transaction field") \
    X(NW_ERR_TX_MISSING_FIELD,     114, "missing required transaction field") \
    X(NW_ERR_TX_FIELD_TYPE,        115, "transaction field has the wrong JSON type") \
    X(NW_ERR_TX_TYPE,              116, "unsupported transaction type") \
    X(NW_ERR_TX_FIELD_NOT_ALLOWED, 117, "field not allowed for this transaction type") \
    X(NW_ERR_INT_AMBIGUOUS,        118, "integer string without 0x prefix is ambiguous") \
    X(NW_ERR_INT_NEGATIVE,         119, "negative integer") \
    X(NW_ERR_INT_FLOAT,            120, "fractional number where an integer is required") \
    X(NW_ERR_JSON_NUMBER_TOO_BIG,  121, "JSON number literal too large to hold exactly") \
    X(NW_ERR_VALUE_FRACTION_WEI,   122, "ether amount has a fraction of a wei") \
    X(NW_ERR_VALUE_FORMAT,         123, "malformed ether amount") \
    X(NW_ERR_ADDR_FORMAT,          124, "address is not 0x followed by 40 hex digits") \
    X(NW_ERR_ADDR_CHECKSUM,        125, "mixed-case address fails its EIP-55 checksum") \
    X(NW_ERR_TX_NOT_OBJECT,        126, "transaction is not a JSON object") \
    X(NW_ERR_JSON_DUPLICATE_KEY,   127, "duplicate key in JSON object") \
    X(NW_ERR_TX_BYTES_LENGTH,      128, "byte string has the wrong length") \
    X(NW_ERR_TX_EMPTY_AUTH_LIST,   129, "authorizationList must not be empty") \
    X(NW_ERR_TX_FIELD_COUNT,       130, "raw transaction has the wrong number of fields") \
    X(NW_ERR_TX_SIG_V,             131, "invalid signature v / yParity") \
    X(NW_ERR_TX_RAW_EMPTY,         132, "raw transaction is empty") \
    X(NW_ERR_TX_LIMIT,             133, "transaction exceeds a size or count limit") \
    X(NW_ERR_TX_MISSING_TO,        134, "no 'to' and no data: contract creation needs data") \
    X(NW_ERR_ETHER_IMPRECISE,      135, "JSON number is not exactly the amount its double holds; send it as a string") \
    X(NW_ERR_TX_FROM_MISMATCH,     136, "'from' is not the signing key's address") \
    X(NW_ERR_TX_NO_BLOB_HASHES,    137, "type-3 transaction without blob versioned hashes") \
    X(NW_ERR_TX_BLOB_HASH_VERSION, 138, "blob versioned hash does not start with 0x01 (EIP-4844)") \
    X(NW_ERR_TX_CREATE_NOT_ALLOWED, 139, "this transaction type cannot create a contract") \
    X(NW_ERR_TX_NONCE_RANGE,       140, "nonce above 2^64-1 (EIP-2681)") \
    X(NW_ERR_TX_HIGH_S,            141, "signature s above secp256k1n/2 (EIP-2)") \
    X(NW_ERR_TX_INPUT_MISMATCH,    142, "'input' and 'data' both given and different") \
    X(NW_ERR_JSON_DEPTH,           143, "JSON nested too deeply or with too many values")
/* clang-format on */

#endif /* NW_ERR_CORE_TX_H */

/*
 * Error codes of one area: EIP-191, EIP-712, EIP-7702 messages (core: 170-199).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 */
#ifndef NW_ERR_CORE_MSG_H
#define NW_ERR_CORE_MSG_H

/* clang-format off */
#define NW_ERRORS_CORE_MSG(X) \
    X(NW_ERR_EIP712_SCHEMA,        170, "typed data lacks types, primaryType, domain or message, or has other keys") \
    X(NW_ERR_EIP712_TYPE_NAME,     171, "invalid typed-data type or field name") \
    X(NW_ERR_EIP712_UNKNOWN_TYPE,  172, "typed data refers to an undefined type") \
    X(NW_ERR_EIP712_CYCLE,         173, "typed-data struct type refers to itself") \
    X(NW_ERR_EIP712_DUP_FIELD,     174, "typed-data struct type has a duplicate field name") \
    X(NW_ERR_EIP712_MISSING_FIELD, 175, "typed-data value lacks a field of its type") \
    X(NW_ERR_EIP712_EXTRA_FIELD,   176, "typed-data value has a field its type does not declare") \
    X(NW_ERR_EIP712_VALUE_TYPE,    177, "typed-data value has the wrong JSON type") \
    X(NW_ERR_EIP712_INT_RANGE,     178, "typed-data integer out of range for its type") \
    X(NW_ERR_EIP712_INT_FORMAT,    179, "typed-data integer is malformed or not whole") \
    X(NW_ERR_EIP712_INT_LITERAL,   180, "JSON integer literal too big to hold exactly; pass it as a string") \
    X(NW_ERR_EIP712_BYTES,         181, "typed-data bytes value is not 0x-prefixed hex of the right length") \
    X(NW_ERR_EIP712_ADDRESS,       182, "typed-data address is not 20 bytes of hex") \
    X(NW_ERR_EIP712_CHECKSUM,      183, "typed-data address fails its EIP-55 checksum") \
    X(NW_ERR_EIP712_ARRAY_LEN,     184, "typed-data array length differs from its fixed size") \
    X(NW_ERR_EIP712_DEPTH,         185, "typed-data nesting too deep") \
    X(NW_ERR_EIP712_DOMAIN,        186, "typed-data domain has a key with no EIP712Domain type")
/* clang-format on */

#endif /* NW_ERR_CORE_MSG_H */

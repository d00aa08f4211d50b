/*
 * Unsigned 256-bit integers, exact: parsing from 0x-hex and decimal text, minimal big-endian
 * bytes for RLP, and the little arithmetic quantity and ether conversion need.
 * Limbs are little-endian 64-bit words: w[0] is the least significant.
 */
#ifndef NW_U256_H
#define NW_U256_H

#include <stdbool.h>

#include <nw/buf.h>

struct nw_u256 {
    uint64_t w[4];
};

static inline struct nw_u256 nw_u256_from_u64(uint64_t v)
{
    struct nw_u256 r = {{v, 0, 0, 0}};
    return r;
}

bool nw_u256_is_zero(const struct nw_u256 *a) NW_NONNULL(1);
/* -1, 0 or 1 as a < b, a == b, a > b. */
int nw_u256_cmp(const struct nw_u256 *a, const struct nw_u256 *b) NW_NONNULL(1, 2);
/* True (and *out set) when a fits in 64 bits. */
bool nw_u256_to_u64(const struct nw_u256 *a, uint64_t *out) NW_NONNULL(1, 2);

/* r = a + b. Returns NW_ERR_INT_OVERFLOW past 2^256-1 (r is then zero). r may alias a or b. */
nw_err nw_u256_add(struct nw_u256 *r, const struct nw_u256 *a, const struct nw_u256 *b)
    NW_MUST_USE NW_NONNULL(1, 2, 3);
/* r = a * m. Returns NW_ERR_INT_OVERFLOW past 2^256-1 (r is then zero). r may alias a. */
nw_err nw_u256_mul_u64(struct nw_u256 *r, const struct nw_u256 *a, uint64_t m)
    NW_MUST_USE NW_NONNULL(1, 2);

/* 32 big-endian bytes. */
void nw_u256_to_be32(uint8_t out32[32], const struct nw_u256 *a) NW_NONNULL(1, 2);
/* From 0..32 big-endian bytes. Returns NW_ERR_INT_OVERFLOW when longer than 32. */
nw_err nw_u256_from_be(struct nw_u256 *r, struct nw_cur be) NW_MUST_USE NW_NONNULL(1);
/*
 * Minimal big-endian bytes (no leading zeros; zero is 0 bytes), as RLP encodes integers,
 * written at out32[0..n). Returns n.
 */
size_t nw_u256_to_be_min(uint8_t out32[32], const struct nw_u256 *a) NW_NONNULL(1, 2);

/*
 * Parse "0x..." hex (1..64 digits after 0x; leading zeros allowed; "0x" alone is an error).
 * Returns: NW_ERR_HEX_PREFIX (no 0x), NW_ERR_INT_FORMAT (empty), NW_ERR_HEX_CHAR,
 * NW_ERR_INT_OVERFLOW. r is zero on failure.
 */
nw_err nw_u256_parse_hex(struct nw_u256 *r, struct nw_cur text) NW_MUST_USE NW_NONNULL(1);

/*
 * Parse decimal digits only (no sign, no spaces, at least one digit; leading zeros allowed).
 * Returns: NW_ERR_INT_FORMAT, NW_ERR_INT_OVERFLOW. r is zero on failure.
 */
nw_err nw_u256_parse_dec(struct nw_u256 *r, struct nw_cur text) NW_MUST_USE NW_NONNULL(1);

/* Decimal text (up to 78 digits + NUL: out must hold 79 bytes). */
void nw_u256_to_dec(char out[79], const struct nw_u256 *a) NW_NONNULL(1, 2);
/* Ethereum quantity text "0x0", "0x1f" (minimal, lower case; out must hold 67 bytes). */
void nw_u256_to_quantity(char out[67], const struct nw_u256 *a) NW_NONNULL(1, 2);

#endif /* NW_U256_H */

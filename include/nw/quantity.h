/*
 * Integers and ether amounts as they arrive in JSON requests (DESIGN.md section 4).
 *
 * Integer fields are JSON integers or "0x"-hex strings, exact up to 2^256-1. An un-prefixed
 * string such as "21000" is refused as ambiguous (eth-account would read it as hex), negative
 * numbers and fractions are refused. `value` is in ether and is converted to wei exactly, the
 * way web3's toWei(value, "ether") does: decimal text with optional fraction and exponent
 * ("0.01", "1e-3", "2.5E+2", ".5"), or a binary double read as its shortest round-trip decimal
 * (0.01 -> "0.01" -> 10^16 wei). A fraction of a wei is an error, never rounded.
 * Nothing here handles secrets.
 */
#ifndef NW_QUANTITY_H
#define NW_QUANTITY_H

#include <nw/u256.h>

/*
 * Parse an integer string field: "0x" then 1..64 hex digits (leading zeros allowed).
 * Out: v (zero on failure).
 * Returns: NW_OK; NW_ERR_INT_AMBIGUOUS (decimal digits without 0x); NW_ERR_INT_NEGATIVE (a
 * leading '-'); NW_ERR_INT_FORMAT (empty, "0x" alone, anything else); NW_ERR_HEX_CHAR;
 * NW_ERR_INT_OVERFLOW.
 */
nw_err nw_quantity_parse(struct nw_u256 *v, struct nw_cur text) NW_MUST_USE NW_NONNULL(1);

/*
 * Convert decimal ether text to wei: digits with at most one '.', at least one digit, then an
 * optional exponent (e or E, optional sign, digits). No sign, no spaces, no "0x".
 * Out: wei (zero on failure).
 * Returns: NW_OK; NW_ERR_INT_NEGATIVE (leading '-'); NW_ERR_VALUE_FORMAT;
 * NW_ERR_VALUE_FRACTION_WEI (not a whole number of wei); NW_ERR_INT_OVERFLOW (past 2^256-1 wei).
 */
nw_err nw_ether_text_to_wei(struct nw_u256 *wei, struct nw_cur text) NW_MUST_USE NW_NONNULL(1);

/*
 * Convert a binary double (a JSON float) in ether to wei, through its shortest round-trip
 * decimal text (the first of %.1g .. %.17g that strtod reads back as the same double).
 * Out: wei (zero on failure).
 * Returns: as nw_ether_text_to_wei; NW_ERR_VALUE_FORMAT for NaN or infinity; -0.0 is zero.
 */
nw_err nw_ether_double_to_wei(struct nw_u256 *wei, double ether) NW_MUST_USE NW_NONNULL(1);

/*
 * The shortest decimal text that reads back as d (as above), e.g. "0.01", "1e-05", "1.5e+20".
 * Out: out (NUL-terminated; 32 bytes are always enough).
 */
void nw_double_shortest(char out[32], double d) NW_NONNULL(1);

/*
 * Convert a JSON number literal (its text as it appears in the JSON, e.g. "0.01", "5", "1e-3")
 * in ether to wei, refusing what web3 would silently change. An integer literal is exact at any
 * size (up to 2^256-1 wei). A literal with a fraction or exponent is read by web3 as a double
 * and then as that double's shortest decimal; it is accepted only when that decimal has exactly
 * the literal's value ("0.01", "1.5", "2.5e2", "0.1000"), so 1.000000000000000001 or
 * 0.123456789123456789 are refused rather than rounded.
 * Out: wei (zero on failure).
 * Returns: NW_OK; NW_ERR_ETHER_IMPRECISE (send the amount as a decimal string instead);
 * NW_ERR_JSON_NUMBER_TOO_BIG (beyond a double's range); NW_ERR_INT_NEGATIVE (-0 is zero);
 * the codes of nw_ether_text_to_wei.
 */
nw_err nw_ether_json_number_to_wei(struct nw_u256 *wei, struct nw_cur literal)
    NW_MUST_USE NW_NONNULL(1);

/*
 * Render wei as decimal ether: "0", "0.01", "1", "1234.000000000000000001" (no exponent, no
 * trailing zeros in the fraction, no trailing point).
 * Out: out (NUL-terminated; 78 digits, a point and a leading "0" fit in 82 bytes).
 */
void nw_wei_to_ether_text(char out[82], const struct nw_u256 *wei) NW_NONNULL(1, 2);

#endif /* NW_QUANTITY_H */

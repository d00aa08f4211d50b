/*
 * Helpers shared inside libnwcore only: jansson-facing parsing of JSON requests. Jansson types
 * stay out of include/nw; binaries pass JSON text to the public functions.
 */
#ifndef NW_CORE_INT_H
#define NW_CORE_INT_H

#include <jansson.h>

#include <nw/buf.h>
#include <nw/err.h>
#include <nw/u256.h>

/* Largest JSON request text the core parses (the wire frame limit). */
#define NW_JSON_MAX_BYTES ((size_t)1024 * 1024)

/*
 * Parse JSON text whose top level must be an object, rejecting duplicate keys. jansson's own
 * error text quotes the input, so diag gets only the line and column.
 * Out: *out (a new reference, NULL on failure), diag (optional).
 * Returns: NW_ERR_JSON, NW_ERR_JSON_NUMBER_TOO_BIG (an integer literal beyond what jansson can
 * hold exactly, or a real that overflows), NW_ERR_JSON_DUPLICATE_KEY, NW_ERR_TX_NOT_OBJECT,
 * NW_ERR_TOO_LARGE.
 */
nw_err nw_json_parse_object(json_t **out, struct nw_diag *diag, struct nw_cur text) NW_MUST_USE;

/*
 * An integer field: a non-negative JSON integer or a string for nw_quantity_parse.
 * Returns: NW_ERR_INT_NEGATIVE, NW_ERR_INT_FLOAT (a JSON real), NW_ERR_TX_FIELD_TYPE (any
 * other JSON type), or nw_quantity_parse's codes.
 */
nw_err nw_json_quantity(struct nw_u256 *v, const json_t *j) NW_MUST_USE;

/* As nw_json_quantity, but the value must fit in 64 bits (NW_ERR_INT_OVERFLOW). */
nw_err nw_json_u64(uint64_t *v, const json_t *j) NW_MUST_USE;

/*
 * An ether amount converted to wei: a JSON integer, a JSON real or decimal text.
 * Returns: NW_ERR_TX_FIELD_TYPE or the codes of <nw/quantity.h>'s ether functions.
 */
nw_err nw_json_ether(struct nw_u256 *wei, const json_t *j) NW_MUST_USE;

/*
 * A field name fit to show in an error message: the name itself when it is short and made of
 * letters, digits and '_', else "(name not shown)" (a misplaced key must never be echoed).
 */
const char *nw_json_safe_name(const char *name);

/*
 * Sign a 32-byte message hash h as personal_sign and eth_signTypedData do: r || s || v with
 * v = 27 + y-parity. Out: sig65, hash32 (a copy of h, when not NULL); both zeroed on failure.
 * Returns: nw_sign_hash's codes.
 */
struct nw_secp;
struct nw_seckey;
nw_err nw_msg_sign_v27(const struct nw_secp *ctx,
                       uint8_t sig65[65],
                       uint8_t *hash32,
                       const uint8_t h[32],
                       const struct nw_seckey *key) NW_MUST_USE;

/* Free text returned by json_dumps through jansson's own (possibly hooked) allocator. */
void nw_json_free_text(char *text);

#endif /* NW_CORE_INT_H */

/*
 * Helpers shared inside libnwcore only: jansson-facing parsing of JSON requests. Jansson types
 * stay out of include/nw; binaries pass JSON text to the public functions.
 */
#ifndef NW_CORE_INT_H
#define NW_CORE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

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

/*
 * A parsed JSON document for the transaction path (jdoc.c, over yajl): numbers keep their
 * literal text, so integers are exact to 2^256-1 and an ether float can be checked against the
 * double it becomes. Read-only after parsing; struct nw_jdoc owns every node.
 */
enum nw_jv_kind {
    NW_JV_NULL,
    NW_JV_FALSE,
    NW_JV_TRUE,
    NW_JV_NUMBER,
    NW_JV_STRING,
    NW_JV_ARRAY,
    NW_JV_OBJECT,
};

struct nw_jv {
    enum nw_jv_kind kind;
    const char *text; /* string bytes (unescaped) or number literal; not NUL-terminated */
    size_t len;       /* text length, or the number of members/elements */
    const char *key;  /* the member name when inside an object (not NUL-terminated) */
    size_t key_len;
    struct nw_jv *child; /* first member/element */
    struct nw_jv *next;  /* next sibling */
};

#define NW_JDOC_MAX_DEPTH  32
#define NW_JDOC_MAX_VALUES ((size_t)200000)

struct nw_jblock;
struct nw_jdoc {
    struct nw_jv *root;
    struct nw_jblock *blocks;
    size_t first_used;
    _Alignas(16) unsigned char first[2048]; /* the arena's first block: no malloc for small docs */
};

void nw_jdoc_init(struct nw_jdoc *doc);
void nw_jdoc_clear(struct nw_jdoc *doc);

/*
 * Parse text whose top level must be an object (duplicate keys and NUL in strings refused).
 * Out: doc (cleared on failure), diag (a position, never input bytes).
 * Returns: NW_OK, NW_ERR_JSON, NW_ERR_JSON_DUPLICATE_KEY, NW_ERR_JSON_DEPTH,
 * NW_ERR_TX_NOT_OBJECT, NW_ERR_TOO_LARGE, NW_ERR_NOMEM.
 */
nw_err nw_jdoc_parse_object(struct nw_jdoc *doc, struct nw_diag *diag, struct nw_cur text)
    NW_MUST_USE;

/* The member of obj named key, or NULL. */
const struct nw_jv *nw_jv_get(const struct nw_jv *obj, const char *key);

/* Whether an object member is named key. */
bool nw_jv_key_is(const struct nw_jv *member, const char *key);

/* A member's name fit for an error message (nw_json_safe_name), copied into buf. */
const char *nw_jv_safe_key(const struct nw_jv *member, char buf[32]);

/*
 * As nw_json_quantity (a JSON integer literal, exact to 2^256-1, or a string for
 * nw_quantity_parse), and nw_json_u64, nw_json_ether (a number through
 * nw_ether_json_number_to_wei) over struct nw_jv.
 */
nw_err nw_jv_quantity(struct nw_u256 *v, const struct nw_jv *j) NW_MUST_USE;
nw_err nw_jv_u64(uint64_t *v, const struct nw_jv *j) NW_MUST_USE;
nw_err nw_jv_ether(struct nw_u256 *wei, const struct nw_jv *j) NW_MUST_USE;

#endif /* NW_CORE_INT_H */

/*
 * Internals shared by the attest library: strict CBOR loading on top of libcbor, small CBOR
 * builders, COSE_Sign1 pieces and OpenSSL helpers. Not part of the public API; tests include it
 * to build deliberately malformed documents.
 */
#ifndef NW_ATTEST_INT_H
#define NW_ATTEST_INT_H

#include <cbor.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <nw/attest.h>
#include <nw/buf.h>

/* Deepest container nesting accepted anywhere (documents nest 3 deep, NSM messages 3). */
#define NW_CBOR_MAX_DEPTH 8

/*
 * Load exactly one CBOR item from in, strictly: definite lengths only, nesting at most
 * NW_CBOR_MAX_DEPTH, at most one tag and only on the outermost item, declared container sizes
 * bounded by the input length (so no huge allocation from a short input), no trailing bytes.
 * Returns: NW_OK and *out (caller cbor_decref's), or NW_ERR_CBOR_MALFORMED / NW_ERR_NOMEM.
 */
nw_err nw_cbor_load(cbor_item_t **out, struct nw_cur in) NW_MUST_USE;

/* Serialize item into b (appended). NW_ERR_NOMEM, NW_ERR_BUF_FULL. */
nw_err nw_cbor_serialize(struct nw_buf *b, const cbor_item_t *item) NW_MUST_USE;

/* An unsigned integer item in the smallest width (libcbor keeps the width it was built with). */
cbor_item_t *nw_cbor_uint(uint64_t v);

/* Add key (text) -> value to a definite map, taking ownership of value (even on failure). */
bool nw_cbor_map_put(cbor_item_t *map, const char *key, cbor_item_t *value);

/* A bytestring item of cur, or null when cur.ptr is NULL. */
cbor_item_t *nw_cbor_bytes_or_null(struct nw_cur cur);

/*
 * Null and boolean tests that are safe on any item. libcbor 0.8's cbor_is_null/cbor_is_bool
 * assert (abort) when given a float, so untrusted items go through these.
 */
bool nw_cbor_is_null(const cbor_item_t *item);
bool nw_cbor_is_bool(const cbor_item_t *item);

/* True when item is a definite text string equal to s. */
bool nw_cbor_text_eq(const cbor_item_t *item, const char *s);

/* The bytes of a definite byte string as a view (valid while item lives). */
struct nw_cur nw_cbor_bytes(const cbor_item_t *item);

/* The parts of a COSE_Sign1 (RFC 8152 section 4.2), copied out of the CBOR. */
struct nw_cose_sign1 {
    bool tagged;
    struct nw_buf protected_hdr; /* bstr contents, e.g. a1 01 38 22 */
    struct nw_buf payload;
    uint8_t signature[96]; /* raw r || s for ES384 */
};

void nw_cose_sign1_init(struct nw_cose_sign1 *c);
void nw_cose_sign1_clear(struct nw_cose_sign1 *c);

/*
 * Decode a COSE_Sign1 (tag 18 optional) whose protected header is exactly {1: -35} (ES384),
 * unprotected header a map, payload 1..16383 bytes and signature 96 bytes.
 * Returns: NW_ERR_CBOR_MALFORMED, NW_ERR_COSE_FORMAT, NW_ERR_COSE_ALG, NW_ERR_NOMEM.
 */
nw_err nw_cose_sign1_decode(struct nw_cose_sign1 *out, struct nw_cur doc) NW_MUST_USE;

/* Sig_structure ["Signature1", protected, h'', payload] (RFC 8152 section 4.4). */
nw_err nw_cose_sig_structure(struct nw_buf *out, struct nw_cur protected_hdr, struct nw_cur payload)
    NW_MUST_USE;

/* Verify an ES384 COSE signature (raw r||s) over the Sig_structure with pub. */
nw_err nw_cose_verify_es384(const struct nw_cose_sign1 *c, EVP_PKEY *pub) NW_MUST_USE;

/* Sign payload with key (P-384) and encode an untagged (or tagged) COSE_Sign1 into out. */
nw_err nw_cose_sign1_es384(struct nw_buf *out, EVP_PKEY *key, struct nw_cur payload, bool tagged)
    NW_MUST_USE;

/* Parse the payload map of an attestation document into doc (schema of nitro-protocols 2.3). */
nw_err nw_attest_payload_parse(struct nw_attest_doc *doc, struct nw_cur payload) NW_MUST_USE;

/* SHA-384 of a || b into out48 (either may be empty). */
nw_err nw_sha384_2(uint8_t out48[48], struct nw_cur a, struct nw_cur b) NW_MUST_USE;

#endif /* NW_ATTEST_INT_H */

/*
 * Nitro attestation documents: decoding and verification.
 *
 * A document is a COSE_Sign1 (RFC 8152), tagged (18) or untagged as real NSMs emit it, signed
 * with ES384 by a leaf certificate that chains to the AWS Nitro Enclaves root through the
 * document's cabundle (nitro-protocols.md section 2). The payload is parsed as a schema: exact
 * types and ranges, optional fields present as CBOR null or absent, unknown or duplicate keys
 * rejected.
 *
 * Trust: cabundle[0] is never trusted by itself. The anchor is either the pinned AWS Nitro
 * Root G1 (by the SHA-256 of its DER, NW_ATTEST_AWS_ROOT_G1_SHA256) or a root the caller gives
 * (the development root of the NSM simulator, for instance), which cabundle[0] must equal byte
 * for byte. The chain is checked at a time the caller gives: the library never reads the clock.
 *
 * Nothing here is secret: documents are public. Not thread-unsafe: no global state.
 */
#ifndef NW_ATTEST_H
#define NW_ATTEST_H

#include <stdbool.h>

#include <nw/buf.h>

/* SHA-256 of the DER of AWS Nitro Enclaves Root-G1 (nitro-protocols.md 2.4), lower-case hex. */
#define NW_ATTEST_AWS_ROOT_G1_SHA256 \
 "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b"

#define NW_ATTEST_DOC_MAX       32768 /* largest document accepted (NSM emits < 12288) */
#define NW_ATTEST_PAYLOAD_MAX   16383 /* AWS attestation_process.md */
#define NW_ATTEST_MODULE_ID_MAX 256
#define NW_ATTEST_FIELD_MAX     1024 /* certificate, cabundle entries, public_key, user_data, nonce */
#define NW_ATTEST_CABUNDLE_MAX  8
#define NW_ATTEST_PCR_COUNT     32
#define NW_ATTEST_PCR_LEN       48 /* SHA384 */

/* The decoded fields of a document. Plain storage, no pointers: copy or zero it freely. */
struct nw_attest_doc {
    bool tagged; /* COSE tag 18 present */
    char module_id[NW_ATTEST_MODULE_ID_MAX + 1];
    char digest[8]; /* always "SHA384" */
    uint64_t timestamp_ms;
    uint32_t pcr_present; /* bit i set when pcrs has index i */
    uint8_t pcrs[NW_ATTEST_PCR_COUNT][NW_ATTEST_PCR_LEN];
    uint8_t certificate[NW_ATTEST_FIELD_MAX];
    size_t certificate_len;
    size_t cabundle_count;
    uint8_t cabundle[NW_ATTEST_CABUNDLE_MAX][NW_ATTEST_FIELD_MAX];
    size_t cabundle_len[NW_ATTEST_CABUNDLE_MAX];
    bool has_public_key, has_user_data, has_nonce; /* false when null or absent */
    uint8_t public_key[NW_ATTEST_FIELD_MAX];
    size_t public_key_len;
    uint8_t user_data[NW_ATTEST_FIELD_MAX];
    size_t user_data_len;
    uint8_t nonce[NW_ATTEST_FIELD_MAX];
    size_t nonce_len;
    bool debug_mode; /* PCR0 present and all zero: nitro-cli --debug-mode */
};

/* One PCR the caller demands. */
struct nw_attest_pcr_expect {
    unsigned index; /* 0..31 */
    uint8_t value[NW_ATTEST_PCR_LEN];
};

/* Verification options. Zero-initialise, then set what you need. */
struct nw_attest_opts {
    /*
     * Check time in seconds since the epoch (certificate validity, freshness). Required: 0 means
     * 1970-01-01, where every real chain is not yet valid. Pass time(NULL) for "now".
     */
    int64_t time_s;
    /*
     * Trust anchor as DER or PEM. Empty (ptr NULL): the pinned AWS Nitro Root G1, matched by
     * the SHA-256 of cabundle[0]. Otherwise cabundle[0] must equal this certificate exactly.
     */
    struct nw_cur root;
    /* PCRs that must be present with exactly these values. */
    const struct nw_attest_pcr_expect *pcrs;
    size_t pcr_count;
    /* When non-zero: reject documents whose timestamp is older than time_s*1000 - max_age_ms,
     * or newer than time_s*1000 + max_age_ms (clock skew). */
    uint64_t max_age_ms;
    /* When ptr is non-NULL: the document nonce must be present and equal. */
    struct nw_cur nonce;
    /* When ptr is non-NULL: the document public_key must be present and equal. */
    struct nw_cur public_key;
    /*
     * Debug-mode documents (PCR0 all zero) are rejected (NW_ERR_ATTEST_DEBUG_MODE) unless
     * allow_debug is set: a debug enclave's memory is open to its parent instance.
     */
    bool allow_debug;
    /* Obsolete (rejecting is now the default); still honoured: set, it overrides allow_debug. */
    bool reject_debug;
};

/*
 * Decode a document without any check of signature, chain, time or policy (for `describe`).
 * Returns: NW_OK; NW_ERR_TOO_LARGE (over NW_ATTEST_DOC_MAX); NW_ERR_CBOR_MALFORMED;
 *          NW_ERR_COSE_FORMAT; NW_ERR_COSE_ALG; NW_ERR_ATTEST_PAYLOAD; NW_ERR_NOMEM.
 *          On failure *out is zeroed.
 * Out: out: the fields.
 * In:  doc: the COSE_Sign1 bytes.
 */
nw_err nw_attest_parse(struct nw_attest_doc *out, struct nw_cur doc) NW_MUST_USE NW_NONNULL(1);

/*
 * Decode and verify a document: structure, certificate chain to the anchor at opts->time_s,
 * leaf key and usage, COSE ES384 signature, then the policy in opts (PCRs, freshness, nonce,
 * public key, debug mode), in that order.
 * Returns: NW_OK; any nw_attest_parse error; NW_ERR_ATTEST_ROOT_INVALID (opts->root unusable);
 *          NW_ERR_ATTEST_CERT_PARSE; NW_ERR_ATTEST_ROOT_MISMATCH; NW_ERR_ATTEST_CERT_EXPIRED;
 *          NW_ERR_ATTEST_CERT_NOT_YET_VALID; NW_ERR_ATTEST_CHAIN; NW_ERR_ATTEST_LEAF;
 *          NW_ERR_COSE_SIGNATURE; NW_ERR_ATTEST_PCR_MISSING; NW_ERR_ATTEST_PCR_MISMATCH;
 *          NW_ERR_ATTEST_STALE; NW_ERR_ATTEST_FUTURE; NW_ERR_ATTEST_NONCE_MISMATCH;
 *          NW_ERR_ATTEST_KEY_MISMATCH; NW_ERR_ATTEST_DEBUG_MODE; NW_ERR_CRYPTO; NW_ERR_NOMEM.
 *          On failure *out is zeroed: a caller cannot use fields of a rejected document.
 * Out: out: the verified fields.
 * In:  opts: check time, anchor and policy (see struct nw_attest_opts).
 *      doc: the COSE_Sign1 bytes.
 */
nw_err nw_attest_verify(struct nw_attest_doc *out,
                        const struct nw_attest_opts *opts,
                        struct nw_cur doc) NW_MUST_USE NW_NONNULL(1, 2);

/*
 * As nw_attest_verify, with detail in diag (optional): which PCR index is missing or differs
 * ("PCR4 differs"), that --at exists when a certificate has expired at the check time, that
 * --allow-debug exists for a debug-mode document. Never quotes document bytes.
 */
nw_err nw_attest_verify_diag(struct nw_attest_doc *out,
                             struct nw_diag *diag,
                             const struct nw_attest_opts *opts,
                             struct nw_cur doc) NW_MUST_USE NW_NONNULL(1, 3);

/*
 * Parse a check time for --at: seconds since the epoch ("1700000000") or an RFC 3339
 * date-time ("2024-05-01T12:00:00Z", "2024-05-01t12:00:00.5+02:00", "2024-05-01 12:00:00Z";
 * fractions are truncated; leap second 60 is read as 59).
 * Out: *time_s (0 on failure).
 * Returns: NW_OK or NW_ERR_ATTEST_TIME_FORMAT.
 */
nw_err nw_attest_time_parse(int64_t *time_s, const char *text) NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Accept a document as given by a user: raw COSE_Sign1 bytes (first byte 0xd2, the CBOR tag
 * 18, or 0x84, an untagged 4-array) are copied as they are; anything else is read as base64
 * (standard or URL-safe alphabet, padding optional, ASCII whitespace and newlines ignored), as
 * `aws kms` and most tools print documents.
 * Out: out (the CBOR bytes appended; reset to empty on failure).
 * Returns: NW_OK, NW_ERR_ATTEST_DOC_ENCODING, NW_ERR_TOO_LARGE (over NW_ATTEST_DOC_MAX),
 * NW_ERR_NOMEM, NW_ERR_BUF_FULL.
 */
nw_err nw_attest_doc_from_input(struct nw_buf *out, struct nw_cur in) NW_MUST_USE NW_NONNULL(1);

/*
 * The document as one line of JSON: {"module_id","timestamp","digest","pcrs":{"0":hex,...},
 * "public_key","user_data","nonce" (hex or null),"debug_mode","tagged"} (appended to out).
 * Returns: NW_OK, NW_ERR_BUF_FULL, NW_ERR_NOMEM.
 */
nw_err nw_attest_doc_json(struct nw_buf *out, const struct nw_attest_doc *doc)
    NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Parse "N=HEX" (N in 0..31, HEX 96 digits, optional 0x) into *out, as for --pcr options.
 * Returns: NW_OK or NW_ERR_INVALID_ARG.
 */
nw_err nw_attest_pcr_expect_parse(struct nw_attest_pcr_expect *out, const char *text)
    NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Evaluate one KMS key-policy condition on a verified document, as KMS does for Recipient
 * requests (nitro-protocols.md 3.7): key "kms:RecipientAttestation:ImageSha384" (PCR0) or
 * "kms:RecipientAttestation:PCR<n>" (n in 0..31; the key name is matched case-insensitively),
 * value the PCR as hex, compared case-insensitively (StringEqualsIgnoreCase).
 * Returns: NW_OK (condition holds); NW_ERR_ATTEST_PCR_MISMATCH (different value, or a value that
 *          is not 96 hex digits); NW_ERR_ATTEST_PCR_MISSING (PCR absent from the document);
 *          NW_ERR_UNSUPPORTED (not a RecipientAttestation key).
 */
nw_err nw_attest_kms_condition(const struct nw_attest_doc *doc, const char *key, const char *value)
    NW_MUST_USE NW_NONNULL(1, 2, 3);

#endif /* NW_ATTEST_H */

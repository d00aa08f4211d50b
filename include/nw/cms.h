/*
 * KMS Recipient flow, client and emulator sides (nitro-protocols.md 3.5):
 *
 *   - struct nw_recipient: the enclave's ephemeral RSA-2048 key pair (e = 65537). Its public
 *     key, as DER SubjectPublicKeyInfo, goes into the attestation request (public_key); KMS
 *     answers CiphertextForRecipient, which only this key opens. The private key never leaves
 *     the opaque struct; it lives in OpenSSL's heap and is freed (cleansed) by nw_recipient_free.
 *     A recipient has a creation time so callers can bound its lifetime.
 *   - nw_recipient_decrypt: opens CiphertextForRecipient, a CMS ContentInfo(EnvelopedData) in
 *     BER with indefinite lengths: one KeyTransRecipientInfo (version 2, subjectKeyIdentifier)
 *     with RSAES-OAEP (SHA-256, MGF1-SHA-256, empty label), content AES-256-CBC, either as
 *     constructed [0] chunks or primitive. Parsing and decryption are OpenSSL's CMS code.
 *   - nw_cms_envelope: the emulator's producer of the same shape: streamed BER, KTRI version 2
 *     with a 32-byte subject key identifier = SHA-256(recipient SPKI DER) (how real KMS derives
 *     its 32 bytes is unknown: nitro-protocols.md 8.1), explicit NULL hash parameters, and the
 *     encrypted content in 1000-byte OCTET STRING chunks as real KMS emits it.
 *   - nw_cms_inspect: the structure of a CiphertextForRecipient, for tests and diagnostics.
 */
#ifndef NW_CMS_H
#define NW_CMS_H

#include <stdbool.h>

#include <nw/buf.h>

#define NW_CMS_MAX         ((size_t)64 * 1024) /* KMS limits CiphertextForRecipient to 6144 bytes */
#define NW_CMS_CHUNK_BYTES 1000                /* KMS's encrypted-content chunk size */

struct nw_recipient;

/*
 * Generate an RSA-2048 key pair with e = 65537.
 * Returns: NW_OK and *out (free with nw_recipient_free); NW_ERR_CRYPTO; NW_ERR_NOMEM.
 * In: created_s: creation time (seconds since the epoch) for nw_recipient_check_age.
 * Secret: the private key stays inside *out.
 */
nw_err nw_recipient_new(struct nw_recipient **out, int64_t created_s) NW_MUST_USE NW_NONNULL(1);

/* Free the key pair (OpenSSL cleanses the private key). NULL does nothing. */
void nw_recipient_free(struct nw_recipient *r);

/*
 * Bound the key pair's lifetime: NW_ERR_RECIPIENT_EXPIRED when now_s is at or past
 * created_s + lifetime_s, or before created_s (a clock jump); NW_OK otherwise.
 */
nw_err nw_recipient_check_age(const struct nw_recipient *r, int64_t now_s, int64_t lifetime_s)
    NW_MUST_USE NW_NONNULL(1);

/*
 * The public key as DER SubjectPublicKeyInfo (RFC 5280), appended to out: the attestation
 * document's public_key for KMS. Returns: NW_OK, NW_ERR_CRYPTO, NW_ERR_NOMEM, NW_ERR_BUF_FULL.
 */
nw_err nw_recipient_spki(const struct nw_recipient *r, struct nw_buf *out)
    NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Decrypt CiphertextForRecipient into plaintext (appended; pass a secret buffer). The structure
 * is checked first (nw_cms_inspect's rules: enveloped data, exactly one KTRI, OAEP-SHA-256,
 * AES-256-CBC); every intermediate key is OpenSSL's and is cleansed when freed. On failure
 * nothing is appended (partial output is wiped).
 * Returns: NW_OK; NW_ERR_TOO_LARGE; NW_ERR_CMS_PARSE; NW_ERR_CMS_FORMAT; NW_ERR_CMS_KEY_ALG;
 *          NW_ERR_CMS_CONTENT_ALG; NW_ERR_CMS_DECRYPT (another key, or corrupted data);
 *          NW_ERR_BUF_FULL; NW_ERR_NOMEM.
 * Secret: plaintext.
 */
nw_err nw_recipient_decrypt(struct nw_recipient *r, struct nw_buf *plaintext, struct nw_cur cms)
    NW_MUST_USE NW_NONNULL(1, 2);

/* What nw_cms_inspect reports. */
struct nw_cms_info {
    long enveloped_version; /* 2 for KMS */
    size_t recipient_count;
    long ktri_version; /* 2 for the subjectKeyIdentifier form */
    bool rid_is_ski;
    uint8_t ski[64];
    size_t ski_len;           /* 32 for KMS */
    bool key_alg_oaep_sha256; /* RSAES-OAEP, SHA-256, MGF1-SHA-256, empty label */
    size_t encrypted_key_len; /* 256 for RSA-2048 */
    bool content_aes256cbc;
    uint8_t iv[16];
    size_t encrypted_content_len; /* chunks joined */
};

/*
 * Parse a CMS ContentInfo(EnvelopedData) with KeyTransRecipientInfos (BER or DER) and report
 * its structure. Only the content type and decodability are enforced here.
 * Returns: NW_OK; NW_ERR_TOO_LARGE; NW_ERR_CMS_PARSE (not BER, not enveloped data, trailing
 *          bytes); NW_ERR_CMS_FORMAT (a recipient that is not key transport); NW_ERR_NOMEM.
 */
nw_err nw_cms_inspect(struct nw_cms_info *out, struct nw_cur cms) NW_MUST_USE NW_NONNULL(1);

/*
 * Check that spki is a DER SubjectPublicKeyInfo of an RSA-2048 key with e = 65537, the only
 * recipient key KMS documents. Returns: NW_OK or NW_ERR_RECIPIENT_KEY.
 */
nw_err nw_cms_check_recipient_spki(struct nw_cur spki) NW_MUST_USE;

/*
 * Emulator side: encrypt plaintext for the holder of spki in KMS's CiphertextForRecipient shape
 * (see the header comment), appended to out.
 * Returns: NW_OK; NW_ERR_RECIPIENT_KEY; NW_ERR_INVALID_ARG (empty plaintext); NW_ERR_CRYPTO;
 *          NW_ERR_NOMEM; NW_ERR_BUF_FULL.
 * Secret: plaintext (not retained).
 */
nw_err nw_cms_envelope(struct nw_buf *out, struct nw_cur spki, struct nw_cur plaintext)
    NW_MUST_USE NW_NONNULL(1);

struct nw_nsm;
struct nw_attest_doc;
struct nw_attest_opts;

/*
 * Client side: ask the NSM for an attestation document whose public_key is this recipient's
 * SPKI (user_data and nonce sent as null when their ptr is NULL), appended to doc. That document
 * goes into KMS's Recipient.AttestationDocument.
 * Returns: NW_OK; the codes of nw_recipient_spki and nw_nsm_attestation.
 */
nw_err nw_recipient_attest(struct nw_recipient *r,
                           struct nw_nsm *nsm,
                           struct nw_buf *doc,
                           struct nw_cur user_data,
                           struct nw_cur nonce) NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * KMS (emulator) side: verify a Recipient.AttestationDocument as KMS does: nw_attest_verify with
 * opts (the development root as opts->root for the simulator), then require public_key to be
 * an RSA-2048, e = 65537 DER SubjectPublicKeyInfo. Evaluate key-policy conditions on *out with
 * nw_attest_kms_condition, then encrypt for out->public_key with nw_cms_envelope.
 * Returns: NW_OK; every nw_attest_verify code; NW_ERR_RECIPIENT_KEY.
 */
nw_err nw_recipient_doc_verify(struct nw_attest_doc *out,
                               const struct nw_attest_opts *opts,
                               struct nw_cur doc) NW_MUST_USE NW_NONNULL(1, 2);

#endif /* NW_CMS_H */

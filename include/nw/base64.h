/*
 * Standard base64 with padding (RFC 4648 section 4), the form AWS JSON protocols, KMS blobs,
 * attestation documents in transit and the CLI use. One codec for every library and binary.
 *
 * Both directions run without branches or table look-ups indexed by the data, so encoding a
 * key or a KMS plaintext leaks nothing through timing. Outputs that hold encoded or decoded
 * secrets are the caller's to wipe (pass a secret nw_buf).
 */
#ifndef NW_BASE64_H
#define NW_BASE64_H

#include <stdbool.h>

#include <nw/buf.h>

/* Length of the padded encoding of n bytes (without a NUL); SIZE_MAX if it would overflow. */
size_t nw_base64_encoded_len(size_t n);

/*
 * Append the padded base64 of in to out (no NUL).
 * Returns: NW_OK; NW_ERR_TOO_LARGE (length overflow); NW_ERR_BUF_FULL; NW_ERR_NOMEM (out is
 * unchanged on failure).
 * Secrets: in may be secret; then out holds a secret too.
 */
nw_err nw_base64_encode(struct nw_buf *out, struct nw_cur in) NW_MUST_USE NW_NONNULL(1);

/*
 * Decode padded base64 and append the bytes to out. Strict: the length must be a multiple of
 * 4, '=' only as the last one or two characters, the unused bits of the last character zero
 * (one text per byte string). With skip_space, ASCII space, tab, CR and LF anywhere are
 * ignored first (pasted or line-wrapped text); otherwise they are errors.
 * Returns: NW_OK; NW_ERR_BASE64 (malformed); NW_ERR_BUF_FULL; NW_ERR_NOMEM. On failure out's
 * length is unchanged and the bytes written past it are wiped.
 */
nw_err nw_base64_decode(struct nw_buf *out, struct nw_cur in, bool skip_space)
    NW_MUST_USE NW_NONNULL(1);

/*
 * Format a random (version 4, RFC 9562 section 5.4) UUID from 16 random bytes, in lower case:
 * "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" and a NUL (37 bytes).
 * Out: out. In: random16, from the caller's generator (core draws no randomness).
 */
void nw_uuid4_format(char out[37], const uint8_t random16[16]) NW_NONNULL(1, 2);

#endif /* NW_BASE64_H */

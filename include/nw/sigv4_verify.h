/*
 * SigV4 verification for servers that receive signed AWS requests: the emulator nw-devaws and
 * the tests. Library: libnwsim (development only; no daemon links it). It reuses libnwaws's
 * canonicalisation (<nw/sigv4.h>), the same code the client signs with.
 */
#ifndef NW_SIGV4_VERIFY_H
#define NW_SIGV4_VERIFY_H

#include <nw/sigv4.h>

/*
 * A parsed Authorization header (or the X-Amz-* parameters of a presigned query):
 * "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b,
 * Signature=hex". All fields NUL-terminated.
 */
struct nw_sigv4_auth {
    char access_key_id[NW_AWS_AKID_MAX + 1];
    char date8[9];
    char region[64];
    char service[64];
    char scope[160]; /* date8/region/service/aws4_request */
    char signed_headers[2048];
    char signature[65];
};

/*
 * Parse an Authorization header value. Components may come in any order, separated by ","
 * with optional spaces. Returns: NW_OK; NW_ERR_SIGV4_AUTH_SYNTAX (wrong algorithm, missing or
 * repeated component, bad scope, signature not 64 lower-case hex digits, field too long).
 */
nw_err nw_sigv4_parse_authorization(struct nw_sigv4_auth *out, struct nw_cur value)
    NW_MUST_USE NW_NONNULL(1);

/*
 * Parse the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders
 * and X-Amz-Signature parameters of a presigned query (raw, %-encoded as received).
 * Out: out, amz_date (17 bytes), expires_s. Returns: NW_OK; NW_ERR_SIGV4_AUTH_SYNTAX.
 */
nw_err nw_sigv4_parse_presigned(struct nw_sigv4_auth *out,
                                char amz_date[17],
                                uint32_t *expires_s,
                                struct nw_cur query) NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * Verify a received request against a parsed Authorization (or presigned parameters): rebuild
 * the canonical request with auth->signed_headers, the string to sign with amz_date and
 * auth->scope, derive the key from secret, and compare signatures in constant time.
 * The caller checks everything else: that the access key is known (and secret is its key),
 * the date skew, that auth->date8 is the date part of amz_date, that region/service are its
 * own, that host (and x-amz-date, x-amz-security-token if sent) are among the signed headers.
 * A presigned query whose X-Amz-Security-Token was added after signing (omit_session_token)
 * is accepted: when the full query does not match, it is retried without that parameter.
 * Handles secrets: derived keys are wiped.
 * Returns: NW_OK; NW_ERR_SIGV4_MISMATCH; NW_ERR_SIGV4_INPUT; NW_ERR_NOMEM; NW_ERR_CRYPTO.
 */
nw_err nw_sigv4_verify(const struct nw_sigv4_request *req,
                       const struct nw_sigv4_auth *auth,
                       const char *amz_date,
                       struct nw_cur secret,
                       bool normalize_path) NW_MUST_USE NW_NONNULL(1, 2, 3);

#endif /* NW_SIGV4_VERIFY_H */

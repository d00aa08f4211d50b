/*
 * AWS Signature Version 4 (AWS General Reference, "Signature Version 4 signing process"):
 * canonical request, string to sign, signing key and signature, in the header form
 * (Authorization header) and the query form (presigned URL), with the time passed in.
 *
 * Two audiences:
 *  - clients sign outgoing requests with nw_sigv4_sign() / nw_sigv4_presign();
 *  - servers (nw-devaws) VERIFY incoming requests with the same canonicalisation, through
 *    <nw/sigv4_verify.h> (libnwsim, development only) or stage by stage with
 *    nw_sigv4_canonical_request(), nw_sigv4_string_to_sign(), nw_sigv4_signing_key() and
 *    nw_sigv4_signature().
 *
 * Canonicalisation rules implemented (they pass every case of the aws-c-auth v4 suite):
 *  - URI: the path exactly as it appears on the request line (already %-encoded on the wire) is
 *    optionally normalised (dot segments removed, empty segments collapsed, a trailing "/" kept)
 *    and then %-encoded once more, keeping "/" and the unreserved set A-Z a-z 0-9 - . _ ~.
 *    This is the "double encoding" every AWS service except S3 uses. An empty path is "/".
 *  - Query: split on "&", each item on its first "="; names and values are %-decoded and
 *    re-encoded (upper-case hex, unreserved kept, "+" is a literal plus); pairs are sorted by
 *    encoded name then value; a parameter named X-Amz-Signature is always left out, so a server
 *    can pass the raw query of a presigned request as received.
 *  - Headers: names lower-cased; values trimmed and every run of whitespace (SP, HT, CR, LF)
 *    collapsed to one space; repeated names joined with "," in request order; lines sorted by
 *    name. Only names in the signed-header list appear.
 *  - Default signed headers when signing: every header present except user-agent,
 *    x-amzn-trace-id, connection, expect, upgrade, transfer-encoding, authorization and
 *    sec-websocket-*, plus the ones the signer adds (x-amz-date, x-amz-security-token,
 *    x-amz-content-sha256) as aws-c-auth (the AWS C SDK) does.
 *
 * Secrets: the secret key, the derived keys (wiped on every path) and the session token (it
 * appears in canonical requests and presigned queries, so those buffers are secret buffers).
 */
#ifndef NW_SIGV4_H
#define NW_SIGV4_H

#include <stdbool.h>

#include <nw/aws.h>
#include <nw/buf.h>

#define NW_SIGV4_ALGORITHM    "AWS4-HMAC-SHA256"
#define NW_SIGV4_MAX_HEADERS  64         /* headers in one request description */
#define NW_SIGV4_MAX_PARAMS   128        /* query parameters */
#define NW_SIGV4_MAX_TEXT     (1u << 20) /* cap of every text the signer builds */
#define NW_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* One header as received or to be sent: name and value as bytes (not NUL-terminated). */
struct nw_sigv4_header {
    struct nw_cur name;
    struct nw_cur value;
};

/*
 * An HTTP request as the signer sees it. Nothing is owned; all views must outlive the call.
 *  method:       "GET", "POST", ... (NUL-terminated)
 *  path:         the path on the request line, without "?query" (may be empty: "/")
 *  query:        the raw query without "?" (may be empty)
 *  headers:      n_headers entries (must include Host); names in any case
 *  payload_hash: 64 lower-case hex digits of SHA-256(body), or NULL to compute it from body
 *  body:         the payload (ignored when payload_hash is set)
 */
struct nw_sigv4_request {
    const char *method;
    struct nw_cur path;
    struct nw_cur query;
    const struct nw_sigv4_header *headers;
    size_t n_headers;
    const char *payload_hash;
    struct nw_cur body;
};

/*
 * Signing parameters.
 *  region, service:    credential scope, e.g. "us-east-1", "kms"
 *  time_s:             the signing time, Unix seconds (UTC); never read from the clock here
 *  normalize_path:     normalise the URI path (true for every service except S3)
 *  omit_session_token: do not sign the session token: it is added after signing (header form:
 *                      an X-Amz-Security-Token header; query form: a parameter) as some STS-era
 *                      clients do. Default false: the token is signed, as aws-c-auth does.
 *  sign_body:          header form only: add and sign x-amz-content-sha256 (the payload hash)
 *  expires_s:          query form only: X-Amz-Expires (1..604800)
 */
struct nw_sigv4_params {
    const char *region;
    const char *service;
    int64_t time_s;
    bool normalize_path;
    bool omit_session_token;
    bool sign_body;
    uint32_t expires_s;
};

/*
 * What signing produced. Initialise with nw_sigv4_result_init, free with nw_sigv4_result_clear
 * (wipes: canonical_request and query can hold the session token).
 *  canonical_request, string_to_sign: the intermediate stages (for tests and diagnostics; never
 *                      log them: the canonical request can hold the session token)
 *  signed_headers:     the ";"-joined list that was signed
 *  authorization:      header form: the Authorization header value
 *  query:              query form: the complete query string to send (original parameters,
 *                      the X-Amz-* parameters and X-Amz-Signature), without "?"
 *  amz_date:           "YYYYMMDDTHHMMSSZ" (send as X-Amz-Date in the header form)
 *  payload_hash:       hex SHA-256 of the payload (send as x-amz-content-sha256 if sign_body)
 *  signature:          64 lower-case hex digits
 *  add_token_header:   header form: the caller must send X-Amz-Security-Token: <token>
 *                      (signed or, with omit_session_token, unsigned)
 */
struct nw_sigv4_result {
    struct nw_buf canonical_request;
    struct nw_buf string_to_sign;
    struct nw_buf signed_headers;
    struct nw_buf authorization;
    struct nw_buf query;
    char amz_date[17];
    char payload_hash[65];
    char signature[65];
    bool add_token_header;
};

void nw_sigv4_result_init(struct nw_sigv4_result *r) NW_NONNULL(1);
void nw_sigv4_result_clear(struct nw_sigv4_result *r) NW_NONNULL(1);

/*
 * Sign a request in the header form. The request must not already carry Authorization,
 * X-Amz-Date, X-Amz-Security-Token or X-Amz-Content-Sha256 (the signer adds them).
 * After success the caller sends the request with these extra headers:
 *   X-Amz-Date: r->amz_date; Authorization: r->authorization;
 *   X-Amz-Security-Token: creds->session_token if r->add_token_header;
 *   x-amz-content-sha256: r->payload_hash if params->sign_body.
 * Handles secrets: the secret key and derived keys are wiped before returning.
 * Returns: NW_OK; NW_ERR_SIGV4_INPUT (bad header name, too many headers, bad %-escape, a header
 * the signer owns already present); NW_ERR_SIGV4_TIME; NW_ERR_AWS_CREDS_INVALID; NW_ERR_NOMEM;
 * NW_ERR_BUF_FULL. On failure r is cleared.
 * Out: r.  In: creds, req, params.
 */
nw_err nw_sigv4_sign(struct nw_sigv4_result *r,
                     const struct nw_aws_creds *creds,
                     const struct nw_sigv4_request *req,
                     const struct nw_sigv4_params *params) NW_MUST_USE NW_NONNULL(1, 2, 3, 4);

/*
 * Sign a request in the query form (presigned URL): r->query is the full query string to send.
 * The payload hash is that of the body (or req->payload_hash, e.g. "UNSIGNED-PAYLOAD").
 * Returns/Out/In: as nw_sigv4_sign; NW_ERR_SIGV4_INPUT also when expires_s is 0 or > 604800.
 */
nw_err nw_sigv4_presign(struct nw_sigv4_result *r,
                        const struct nw_aws_creds *creds,
                        const struct nw_sigv4_request *req,
                        const struct nw_sigv4_params *params) NW_MUST_USE NW_NONNULL(1, 2, 3, 4);

/*
 * Stage 1, for signers and verifiers: the canonical request of req, with the headers named in
 * signed_headers (";"-joined, lower case, sorted; copied verbatim into the request's
 * signed-headers line) and the payload hash hex (req->payload_hash, else SHA-256 of req->body).
 * Out: out (appended; pass a secret buffer: it can hold a session token).
 * Returns: NW_OK; NW_ERR_SIGV4_INPUT; NW_ERR_NOMEM; NW_ERR_BUF_FULL.
 */
nw_err nw_sigv4_canonical_request(struct nw_buf *out,
                                  const struct nw_sigv4_request *req,
                                  const char *signed_headers,
                                  bool normalize_path) NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * Stage 2: "AWS4-HMAC-SHA256\n" amz_date "\n" scope "\n" hex(SHA-256(canonical_request)).
 * scope is "YYYYMMDD/region/service/aws4_request" (nw_sigv4_scope).
 * Out: out (appended).  Returns: NW_OK; NW_ERR_NOMEM; NW_ERR_BUF_FULL; NW_ERR_CRYPTO.
 */
nw_err nw_sigv4_string_to_sign(struct nw_buf *out,
                               const char *amz_date,
                               const char *scope,
                               struct nw_cur canonical_request) NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * The credential scope "date8/region/service/aws4_request" into out (out_len bytes with NUL).
 * Returns: NW_OK; NW_ERR_SIGV4_INPUT if a part is empty, has "/" or whitespace, or out is short.
 */
nw_err nw_sigv4_scope(char *out,
                      size_t out_len,
                      const char *date8,
                      const char *region,
                      const char *service) NW_MUST_USE NW_NONNULL(1, 3, 4, 5);

/*
 * Stage 3: the signing key HMAC(HMAC(HMAC(HMAC("AWS4" secret, date8), region), service),
 * "aws4_request"). Handles secrets: out32 is a secret (wipe it); intermediates are wiped;
 * out32 is zeroed on failure.
 * Returns: NW_OK; NW_ERR_AWS_CREDS_INVALID (secret empty or longer than NW_AWS_SECRET_MAX);
 * NW_ERR_CRYPTO.
 */
nw_err nw_sigv4_signing_key(uint8_t out32[32],
                            struct nw_cur secret,
                            const char *date8,
                            const char *region,
                            const char *service) NW_MUST_USE NW_NONNULL(1, 3, 4, 5);

/*
 * Stage 4: hex(HMAC(key32, string_to_sign)) into out_hex (65 bytes with NUL).
 * Returns: NW_OK; NW_ERR_CRYPTO (out_hex is then "").
 */
nw_err nw_sigv4_signature(char out_hex[65], const uint8_t key32[32], struct nw_cur string_to_sign)
    NW_MUST_USE NW_NONNULL(1, 2);

/* Format time_s as "YYYYMMDDTHHMMSSZ". Returns NW_ERR_SIGV4_TIME outside years 1970..9999. */
nw_err nw_sigv4_amz_date(char out[17], int64_t time_s) NW_MUST_USE NW_NONNULL(1);

/* Parse "YYYYMMDDTHHMMSSZ" (strictly: 16 characters, valid calendar date). */
nw_err nw_sigv4_parse_amz_date(int64_t *time_s, struct nw_cur text) NW_MUST_USE NW_NONNULL(1);

/* SHA-256 of data as 64 lower-case hex digits. Returns NW_ERR_CRYPTO on library failure. */
nw_err nw_sigv4_sha256_hex(char out[65], struct nw_cur data) NW_MUST_USE NW_NONNULL(1);

#endif /* NW_SIGV4_H */

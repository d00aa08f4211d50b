/*
 * AWS credentials, service errors and the shared client configuration of libnwaws.
 *
 * Credentials are secrets: they live in struct nw_aws_creds (fixed storage, no heap), which
 * nw_aws_creds_clear() wipes. Nothing in libnwaws logs; error texts never hold a secret.
 */
#ifndef NW_AWS_H
#define NW_AWS_H

#include <stdbool.h>

#include <nw/buf.h>

#define NW_AWS_AKID_MAX   128  /* access key id, characters */
#define NW_AWS_SECRET_MAX 128  /* secret access key, characters */
#define NW_AWS_TOKEN_MAX  4096 /* session token, characters */

/*
 * One set of AWS credentials (secret). Strings are NUL-terminated; session_token is "" when the
 * credentials are long-term keys. expiration_s is the Unix time they expire, 0 for never.
 * Owner: the caller's storage; wipe with nw_aws_creds_clear() on every path.
 */
struct nw_aws_creds {
    char access_key_id[NW_AWS_AKID_MAX + 1];
    char secret_access_key[NW_AWS_SECRET_MAX + 1];
    char session_token[NW_AWS_TOKEN_MAX + 1];
    int64_t expiration_s;
};

/* Wipe every byte of c (the secret key and token included). c may be NULL. */
void nw_aws_creds_clear(struct nw_aws_creds *c);

/*
 * Fill c from strings (static credentials). token may be NULL or "" (no session token).
 * Handles secrets: copies them into c; on failure c is wiped.
 * Returns: NW_OK; NW_ERR_AWS_CREDS_INVALID if a field is empty, too long or holds a control
 * character or space.
 * Out: c.  In: akid, secret, token, expiration_s (0 = never).
 */
nw_err nw_aws_creds_set(struct nw_aws_creds *c,
                        const char *akid,
                        const char *secret,
                        const char *token,
                        int64_t expiration_s) NW_MUST_USE NW_NONNULL(1);

/*
 * Fill c from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the optional AWS_SESSION_TOKEN.
 * Returns: NW_OK; NW_ERR_AWS_CREDS_MISSING when the id or secret is unset or empty;
 * NW_ERR_AWS_CREDS_INVALID as nw_aws_creds_set.
 */
nw_err nw_aws_creds_from_env(struct nw_aws_creds *c) NW_MUST_USE NW_NONNULL(1);

/*
 * True if c holds credentials that are still valid at now_s with margin_s to spare.
 */
bool nw_aws_creds_valid(const struct nw_aws_creds *c, int64_t now_s, int64_t margin_s)
    NW_NONNULL(1);

/*
 * The outcome of one AWS call beyond its nw_err: the HTTP status, the AWS error name (the
 * JSON "__type" with any "namespace#" prefix and ":suffix" stripped, or the x-amzn-ErrorType
 * header), the service's message ("message" or "Message", truncated) and the request id.
 * It never holds request bodies, plaintexts or credentials; a server-supplied message is
 * untrusted text (printable ASCII only is kept).
 */
struct nw_aws_error {
    nw_err code;       /* the same code the call returned */
    int http_status;   /* 0 when no HTTP response arrived */
    char name[96];     /* e.g. "NotFoundException"; "" when none */
    char message[256]; /* service message, or a transport detail */
    char request_id[96];
    int attempts; /* HTTP attempts made (retries + 1) */
};

/* Reset e to "no error" (all fields empty). e may be NULL. */
void nw_aws_error_reset(struct nw_aws_error *e);

/*
 * The stable nitro-wallet code for an AWS error name (already stripped) and HTTP status:
 * e.g. "NotFoundException" -> NW_ERR_AWS_NOT_FOUND, "ThrottlingException" -> NW_ERR_AWS_THROTTLED.
 * An unknown name maps by status: 5xx -> NW_ERR_AWS_UNAVAILABLE, 429 -> NW_ERR_AWS_THROTTLED,
 * else NW_ERR_AWS_OTHER.
 */
nw_err nw_aws_error_code(const char *name, int http_status) NW_NONNULL(1);

/*
 * Parse an AWS JSON error response into e (name, message, code), given the HTTP status and the
 * x-amzn-ErrorType header value (may be NULL). The body may be empty or not JSON, in which case
 * the header or the status decides. Never fails: e->code is always an error code.
 * Returns: e->code.
 */
nw_err nw_aws_parse_error(struct nw_aws_error *e,
                          int http_status,
                          struct nw_cur body,
                          const char *error_type_header) NW_NONNULL(1);

/*
 * Strip an AWS error type to its bare name: "com.amazonaws.kms#NotFoundException" and
 * "NotFoundException:http://internal.amazon.com/coral/..." both give "NotFoundException".
 * Out: out (NUL-terminated, truncated to out_len - 1).  In: type.
 */
void nw_aws_error_name(char *out, size_t out_len, struct nw_cur type) NW_NONNULL(1);

#endif /* NW_AWS_H */

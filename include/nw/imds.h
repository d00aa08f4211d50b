/*
 * EC2 instance metadata service, IMDSv2 only (session tokens; no v1 fallback):
 *   PUT  /latest/api/token  (X-aws-ec2-metadata-token-ttl-seconds: ttl) -> token
 *   GET  /latest/meta-data/iam/security-credentials/         -> role name
 *   GET  /latest/meta-data/iam/security-credentials/<role>   -> JSON AccessKeyId,
 *        SecretAccessKey, Token, Expiration
 *   GET  /latest/dynamic/instance-identity/document          -> JSON region, accountId, ...
 * every GET with X-aws-ec2-metadata-token: <token>. The token is cached until shortly before its
 * TTL runs out and fetched again after a 401. It grants access to credentials, so it is
 * treated as a secret (wiped when dropped).
 */
#ifndef NW_IMDS_H
#define NW_IMDS_H

#include <nw/aws.h>

#define NW_IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"

/*
 * Options; zero/NULL fields take defaults.
 *  endpoint:    base URL; NULL: AWS_EC2_METADATA_SERVICE_ENDPOINT, else NW_IMDS_DEFAULT_ENDPOINT
 *  connect_to:  transport address as in <nw/http.h> (NULL: the endpoint's host)
 *  token_ttl_s: requested token lifetime, 1..21600 (default 21600)
 *  timeout_ms:  per request (default 2000)
 *  clock:       time source for token expiry (NULL: time())
 */
struct nw_imds_opts {
    const char *endpoint;
    const char *connect_to;
    int token_ttl_s;
    int timeout_ms;
    int64_t (*clock)(void *arg);
    void *clock_arg;
};

struct nw_imds;

/* Create a client (strings copied). Returns: NW_OK; NW_ERR_NOMEM; NW_ERR_HTTP_URL; NW_ERR_CONFIG.
 */
nw_err nw_imds_new(struct nw_imds **out, const struct nw_imds_opts *opts) NW_MUST_USE NW_NONNULL(1);
/* Free (wipes the cached token). NULL is a no-op. Not thread-safe: one user at a time. */
void nw_imds_free(struct nw_imds *m);

/*
 * GET path (e.g. "/latest/meta-data/instance-id") with a session token; the body (at most
 * 64 KiB) is appended to out. Returns: NW_OK; NW_ERR_IMDS_TOKEN (token PUT refused or
 * failed); NW_ERR_NOT_FOUND (404); NW_ERR_HTTP_STATUS (other non-200); HTTP errors.
 */
nw_err
nw_imds_get(struct nw_imds *m, struct nw_buf *out, const char *path, struct nw_aws_error *err)
    NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * The instance role's credentials (role name, then the role's JSON). Handles secrets: out is
 * wiped on failure; the JSON text is wiped.
 * Returns: NW_OK; NW_ERR_IMDS_NO_ROLE (no role attached: 404 or empty list);
 * NW_ERR_AWS_RESPONSE (malformed JSON, Code other than "Success", bad Expiration);
 * NW_ERR_AWS_CREDS_INVALID; errors of nw_imds_get.
 */
nw_err nw_imds_role_credentials(struct nw_imds *m,
                                struct nw_aws_creds *out,
                                struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2);

/* The parts of the instance identity document that nitro-wallet uses. */
struct nw_imds_identity {
    char region[64];
    char account_id[32];
    char instance_id[64];
    char availability_zone[64];
};

/* Returns: NW_OK; NW_ERR_AWS_RESPONSE; errors of nw_imds_get. */
nw_err nw_imds_identity(struct nw_imds *m, struct nw_imds_identity *out, struct nw_aws_error *err)
    NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Parse the role-credentials JSON (exposed for tests and fuzzing). Handles secrets.
 * Returns: as nw_imds_role_credentials for the parsing part.
 */
nw_err nw_imds_parse_credentials(struct nw_aws_creds *out, struct nw_cur text)
    NW_MUST_USE NW_NONNULL(1);

#endif /* NW_IMDS_H */

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

/* ---- credential providers ------------------------------------------------------------- */

struct nw_imds_opts; /* <nw/imds.h> */
struct nw_aws_creds_provider;

/*
 * Providers hand out credentials on demand: static (a copy of the given set), environment
 * (read at each call, so a rotated environment is seen), IMDSv2 (the instance role's
 * credentials, cached and refreshed refresh_ahead_s before their Expiration; 0 = 300 s).
 * A provider is thread-safe. Owner: the caller; nw_aws_creds_provider_free wipes the cache.
 * Returns: NW_OK; NW_ERR_NOMEM; NW_ERR_AWS_CREDS_INVALID (static); errors of nw_imds_new.
 */
nw_err nw_aws_creds_provider_static(struct nw_aws_creds_provider **out,
                                    const struct nw_aws_creds *creds) NW_MUST_USE NW_NONNULL(1, 2);
nw_err nw_aws_creds_provider_env(struct nw_aws_creds_provider **out) NW_MUST_USE NW_NONNULL(1);
nw_err nw_aws_creds_provider_imds(struct nw_aws_creds_provider **out,
                                  const struct nw_imds_opts *opts,
                                  int64_t refresh_ahead_s) NW_MUST_USE NW_NONNULL(1);
void nw_aws_creds_provider_free(struct nw_aws_creds_provider *p);

/*
 * Current credentials into out (a copy; the caller wipes it with nw_aws_creds_clear).
 * now_s is the current time (passed in so tests can move the clock).
 * Handles secrets. On failure out is wiped and err (may be NULL) says why.
 * Returns: NW_OK; NW_ERR_AWS_CREDS_MISSING; NW_ERR_AWS_CREDS_INVALID; NW_ERR_AWS_CREDS_EXPIRED
 * (static credentials past their expiration); IMDS and HTTP errors (IMDS provider).
 */
nw_err nw_aws_creds_provider_get(struct nw_aws_creds_provider *p,
                                 struct nw_aws_creds *out,
                                 int64_t now_s,
                                 struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2);

/* ---- service clients (KMS, Secrets Manager) ------------------------------------------- */

/*
 * Configuration of a service client, resolved the way the AWS SDKs do when a field is NULL/0:
 *  region:       AWS_REGION, else AWS_DEFAULT_REGION (required)
 *  endpoint_url: AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL_SECRETS_MANAGER, else
 *                AWS_ENDPOINT_URL, else https://<service>.<region>.amazonaws.com
 *                (amazonaws.com.cn for cn-* regions). Host header and TLS name come from it.
 *  connect_to:   transport address (<nw/http.h>): where to connect instead of the URL's host,
 *                e.g. "vsock:3:8000" in the enclave or "unix:/run/kms.sock"
 *  ca_file:      AWS_CA_BUNDLE, else the system store
 *  creds:        required; not owned
 *  max_attempts: total attempts for idempotent calls (default 3; 1 disables retries); retried
 *                on transport errors, timeouts, HTTP 429 and 5xx, and throttling errors, with
 *                "full jitter" backoff: sleep uniform(0, min(backoff_max_ms, base * 2^n)).
 *  clock:        signing time source (NULL: time()); tests move it to provoke skew
 *  allow_http:   a plain http:// endpoint is refused (NW_ERR_AWS_INSECURE_ENDPOINT: the session
 *                token and request bodies, KMS plaintexts included, would travel in clear)
 *                unless it stays on this machine (its host is loopback: localhost,
 *                127.0.0.0/8, ::1; or connect_to is a unix: socket or a tcp: loopback
 *                address), or this is set (--allow-http)
 */
struct nw_aws_config {
    const char *region;
    const char *endpoint_url;
    const char *connect_to;
    const char *ca_file;
    struct nw_aws_creds_provider *creds;
    int connect_timeout_ms;
    int timeout_ms;
    size_t max_response_bytes;
    int max_attempts;
    int backoff_base_ms; /* default 100 */
    int backoff_max_ms;  /* default 5000 */
    int64_t (*clock)(void *arg);
    void *clock_arg;
    bool allow_http;
};

enum nw_aws_service { NW_AWS_KMS = 1, NW_AWS_SECRETS_MANAGER = 2 };

/*
 * A service client holds one HTTP connection (kept alive between calls) and is not
 * thread-safe: use one client per thread, or serialise calls. Credential providers are
 * thread-safe and may be shared by clients.
 */
struct nw_aws_client;

/*
 * Create a client for one service. Strings of cfg are copied; cfg->creds must outlive it.
 * Returns: NW_OK; NW_ERR_CONFIG (no region, no credentials provider); NW_ERR_HTTP_URL;
 * NW_ERR_AWS_INSECURE_ENDPOINT (http:// to a non-loopback host without allow_http);
 * NW_ERR_NOMEM; transport address errors. diag (may be NULL) says which setting failed.
 */
nw_err nw_aws_client_new(struct nw_aws_client **out,
                         enum nw_aws_service service,
                         const struct nw_aws_config *cfg,
                         struct nw_diag *diag) NW_MUST_USE NW_NONNULL(1, 3);
void nw_aws_client_free(struct nw_aws_client *c);

/* The resolved endpoint URL and region of a client (static strings owned by it). */
const char *nw_aws_client_endpoint(const struct nw_aws_client *c) NW_NONNULL(1);
const char *nw_aws_client_region(const struct nw_aws_client *c) NW_NONNULL(1);

/*
 * One signed awsJson1_1 call: POST / with X-Amz-Target: <prefix>.<op> (TrentService for KMS,
 * secretsmanager for Secrets Manager), SigV4-signed with the session token signed in.
 * Retries as configured when idempotent. On HTTP 200, out holds the response body (a secret
 * buffer; the caller clears it). Otherwise the AWS error is parsed into err.
 * Returns: NW_OK; the nw_aws_error_code() of the service error; HTTP and credential errors.
 */
nw_err nw_aws_json_call(struct nw_aws_client *c,
                        struct nw_buf *out,
                        const char *op,
                        struct nw_cur body,
                        bool idempotent,
                        struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2, 3);

/* Whether an URL host is loopback: "localhost", "::1" (bracketed or not), 127.0.0.0/8. */
bool nw_aws_host_is_loopback(const char *host) NW_NONNULL(1);

/* ---- configuration as the AWS CLI reads it ------------------------------------------------ */

/*
 * What a command line says (each NULL when not given). An explicit profile (--profile) makes
 * the environment's credentials ignored, as the AWS CLI does (AWS_PROFILE does not).
 */
struct nw_aws_cli_opts {
    const char *profile;             /* --profile; else AWS_PROFILE, else "default" */
    const char *region;              /* --region */
    const char *endpoint_url;        /* --endpoint-url */
    const char *ca_bundle;           /* --ca-bundle */
    bool allow_http;                 /* --allow-http (see struct nw_aws_config) */
    bool no_imds;                    /* do not fall back to instance credentials (tests, laptops) */
    const struct nw_imds_opts *imds; /* for the IMDS fallback (NULL: defaults) */
};

/* Where each setting came from, for messages ("environment", "config file", ...). */
struct nw_aws_resolved {
    char profile[128];
    char config_file[1024]; /* the paths looked at */
    char credentials_file[1024];
    char region[64];
    char endpoint_url[1024]; /* "" when none: the client then uses the service default */
    char ca_bundle[1024];    /* "" when none */
    bool allow_http;
    const char *creds_source; /* "environment", "credentials file", "config file", "imds" */
    struct nw_aws_creds_provider *creds; /* owned: freed by nw_aws_resolved_clear */
};

/*
 * Resolve region, endpoint, CA bundle and credentials in the AWS CLI's order:
 *  - files: AWS_CONFIG_FILE (default ~/.aws/config, sections [default] and [profile NAME]) and
 *    AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials, sections [NAME]); keys
 *    region, endpoint_url, ca_bundle, aws_access_key_id, aws_secret_access_key,
 *    aws_session_token; '#' and ';' comment lines; "key = value".
 *  - region: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region.
 *  - endpoint: --endpoint-url, AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL (read by
 *    nw_aws_client_new), the profile's endpoint_url (used only when none of those is set).
 *  - CA bundle: --ca-bundle, AWS_CA_BUNDLE, the profile's ca_bundle.
 *  - credentials: the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *    AWS_SESSION_TOKEN; skipped with an explicit --profile), the credentials file, the config
 *    file, then IMDSv2 (unless no_imds).
 * A named profile (--profile or AWS_PROFILE, not "default") must exist in one of the files.
 * Out: out (cleared first; on failure cleared again), diag (optional): a missing region says
 * where it looked. Secret-handling: the files' text is wiped after parsing; keys go into the
 * provider only.
 * Returns: NW_OK, NW_ERR_AWS_NO_REGION, NW_ERR_AWS_PROFILE_NOT_FOUND, NW_ERR_AWS_CONFIG_FILE,
 * NW_ERR_AWS_CREDS_MISSING (none anywhere and no_imds), NW_ERR_NOMEM.
 */
nw_err nw_aws_resolve(struct nw_aws_resolved *out,
                      struct nw_diag *diag,
                      const struct nw_aws_cli_opts *opts) NW_MUST_USE NW_NONNULL(1, 3);

/* Free the provider and clear out. */
void nw_aws_resolved_clear(struct nw_aws_resolved *r) NW_NONNULL(1);

/*
 * Fill cfg's region, endpoint_url, ca_file, allow_http and creds from r (pointers into r: r
 * must outlive the client). Other fields of cfg are left as they are.
 */
void nw_aws_resolved_apply(struct nw_aws_config *cfg, const struct nw_aws_resolved *r)
    NW_NONNULL(1, 2);

#endif /* NW_AWS_H */

/*
 * nw-devaws internals: a local emulator of KMS, Secrets Manager and IMDSv2 for development and
 * tests. Shared between the files of src/devaws only (see docs/devaws.md for the outside view).
 *
 * Every request runs the same way: lock the state directory (flock on DIR/lock), load the JSON
 * collections it needs, authenticate (SigV4), authorise (IAM-style policies), act, write back
 * the collections it changed (temp + fsync + rename), unlock. Nothing is cached between
 * requests, so the admin subcommands (`nw-devaws admin ...`) can edit the same state while the
 * server runs, and a restart keeps everything.
 */
#ifndef NW_DEVAWS_INT_H
#define NW_DEVAWS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include <nw/base64.h>
#include <nw/buf.h>
#include <nw/err.h>

#define NW_DV_BODY_MAX    ((size_t)1024 * 1024)
#define NW_DV_REGION_MAX  32
#define NW_DV_ACCOUNT_LEN 12
#define NW_DV_NAME_MAX    64
#define NW_DV_ARN_MAX     512
#define NW_DV_MSG_MAX     512

/* Settings of one emulator process (and of the admin subcommands). */
struct nw_dv_config {
    char state_dir[256];
    char region[NW_DV_REGION_MAX];
    char account[NW_DV_ACCOUNT_LEN + 1];
    char instance_role[NW_DV_NAME_MAX];
    char instance_id[32];
    long cred_lifetime_s; /* IMDS session credentials live this long */
    long skew_s;          /* SigV4 clock-skew window */
    uint8_t imds_key[32]; /* HMAC key for IMDSv2 tokens (random per process) */
    int record_fd;        /* --record: exchanges appended as JSON lines, or -1 */
};

/* ---- state.c: the JSON collections in DIR, under an exclusive flock ---- */

enum nw_dv_coll { NW_DV_IAM = 0, NW_DV_KMS = 1, NW_DV_SM = 2, NW_DV_NCOLL = 3 };

struct nw_dv_state {
    const struct nw_dv_config *cfg;
    int lock_fd;
    json_t *coll[NW_DV_NCOLL]; /* loaded lazily; NULL until nw_dv_state_get */
    bool dirty[NW_DV_NCOLL];
};

/* Lock DIR/lock (blocking) and start with nothing loaded. Returns NW_ERR_IO. */
nw_err nw_dv_state_open(struct nw_dv_state *st, const struct nw_dv_config *cfg) NW_MUST_USE;
/* The collection, loaded on first use (an empty object when the file does not exist yet). */
json_t *nw_dv_state_get(struct nw_dv_state *st, enum nw_dv_coll c);
/* Mark a collection as changed. */
void nw_dv_state_touch(struct nw_dv_state *st, enum nw_dv_coll c);
/* Write back every changed collection atomically (mode 0600). */
nw_err nw_dv_state_commit(struct nw_dv_state *st) NW_MUST_USE;
/* Free the loaded collections and unlock. */
void nw_dv_state_close(struct nw_dv_state *st);
/* Write text to DIR/name atomically with the given mode. */
nw_err nw_dv_write_file(const char *dir, const char *name, const void *p, size_t n, int mode)
    NW_MUST_USE;

/* ---- util.c ---- */

/* Current time (seconds) and with a fraction (epoch seconds as double). */
double nw_dv_now(void);
/* "2026-11-27T08:00:00Z" for an epoch second. */
void nw_dv_iso8601(char out[32], time_t t);
/* Random bytes from OpenSSL; NW_ERR_CRYPTO. */
nw_err nw_dv_random(uint8_t *out, size_t n) NW_MUST_USE;
/* A random version-4 UUID in lower-case text (37 bytes with the NUL). */
nw_err nw_dv_uuid(char out[37]) NW_MUST_USE;
/* n random characters from alphabet into out (NUL-terminated, out holds n+1). */
nw_err nw_dv_random_text(char *out, size_t n, const char *alphabet) NW_MUST_USE;
/* Dump a JSON value (compact) into b. */
nw_err nw_dv_json_dump(struct nw_buf *b, const json_t *v) NW_MUST_USE;
/* obj[key] as a string or NULL. */
const char *nw_dv_jstr(const json_t *obj, const char *key);

/* ---- http-level request and response, independent of libmicrohttpd ---- */

struct nw_dv_hdr {
    const char *name;
    const char *value;
};

#define NW_DV_HDR_MAX 64

struct nw_dv_req {
    const char *method;
    const char *path;     /* URL path, decoded (for routing) */
    const char *raw_path; /* the path as sent (for SigV4) */
    const char *query;    /* the raw query string as sent ("" if none) */
    struct nw_dv_hdr hdr[NW_DV_HDR_MAX];
    size_t nhdr;
    struct nw_cur body;
    char request_id[37];
};

struct nw_dv_resp {
    unsigned status;
    const char *content_type;
    struct nw_buf body;  /* secret: responses carry plaintexts, credentials, secret values */
    char error_type[64]; /* for the x-amzn-ErrorType header and the log; "" on success */
    char extra_name[64]; /* one more response header (IMDS token TTL), "" if none */
    char extra_value[64];
};

/* First header value by case-insensitive name, or NULL. */
const char *nw_dv_req_header(const struct nw_dv_req *rq, const char *name);
/* Fill resp with an AWS JSON error {"__type":type, msg_key:message} and the status. */
void nw_dv_error(struct nw_dv_resp *resp,
                 unsigned status,
                 const char *type,
                 const char *msg_key,
                 const char *fmt,
                 ...) NW_PRINTF(5, 6);
/*
 * Test aid (--record FILE): append {"target", "status", "request", "response"} as one JSON line.
 * The lines hold plaintexts and secret values, like the state files; off by default.
 */
void nw_dv_record(const struct nw_dv_config *cfg,
                  const struct nw_dv_req *rq,
                  const struct nw_dv_resp *resp);
/* Fill resp with a JSON body (status 200, application/x-amz-json-1.1). */
void nw_dv_json_ok(struct nw_dv_resp *resp, const json_t *v);

/* ---- input.c: request members (each answers the error and returns false when bad) ---- */

/* A string member, required or optional (NULL when absent), length lo..hi. */
bool nw_dv_in_str(struct nw_dv_resp *resp,
                  const char **out,
                  const json_t *in,
                  const char *m,
                  bool req,
                  size_t lo,
                  size_t hi);
/* A base64 blob member decoded into b (1..hi bytes). */
bool nw_dv_in_blob(struct nw_dv_resp *resp,
                   struct nw_buf *b,
                   const json_t *in,
                   const char *m,
                   bool req,
                   size_t hi);
/* An optional map of strings (borrowed, NULL when absent). */
bool nw_dv_in_map(struct nw_dv_resp *resp, const json_t **out, const json_t *in, const char *m);
/* An optional integer member in lo..hi. */
bool nw_dv_in_int(struct nw_dv_resp *resp,
                  long *out,
                  bool *present,
                  const json_t *in,
                  const char *m,
                  long lo,
                  long hi);

/* ---- iam.c: principals, access keys, session credentials ---- */

struct nw_dv_caller {
    char arn[NW_DV_ARN_MAX];        /* the principal's ARN: role or user (aws:PrincipalArn) */
    char caller_arn[NW_DV_ARN_MAX]; /* what messages show (assumed-role ARN for sessions) */
    char akid[32];
    bool is_admin;
    bool is_session;
};

/* Create the administrator and the instance role if absent (on every start). */
nw_err nw_dv_iam_bootstrap(struct nw_dv_state *st) NW_MUST_USE;
/* ARN of role NAME in this account. */
void nw_dv_role_arn(const struct nw_dv_config *cfg, char out[NW_DV_ARN_MAX], const char *name);
/* Create role NAME (idempotent). */
nw_err nw_dv_iam_create_role(struct nw_dv_state *st, const char *name) NW_MUST_USE;
/* Attach (replace) the identity policy of a principal (role name or "admin"). */
nw_err nw_dv_iam_put_policy(struct nw_dv_state *st, const char *principal, json_t *policy)
    NW_MUST_USE;
/*
 * Issue access keys for principal (role name, or "admin"): long-term (AKIA..., lifetime_s 0)
 * or session credentials (ASIA... + token, expiring after lifetime_s). *out is a new object
 * {AccessKeyId, SecretAccessKey, Token?, Expiration?}; the caller owns it (holds secrets).
 */
nw_err nw_dv_iam_issue(struct nw_dv_state *st, json_t **out, const char *principal, long lifetime_s)
    NW_MUST_USE;
/* The administrator's long-term key (creating it once). *out as for nw_dv_iam_issue. */
nw_err nw_dv_iam_admin_key(struct nw_dv_state *st, json_t **out) NW_MUST_USE;
/*
 * The instance role's current session credentials, rotated when less than half their lifetime
 * remains (so a client polling IMDS sees new keys before the old ones expire).
 */
nw_err nw_dv_iam_instance_creds(struct nw_dv_state *st, json_t **out, double *last_updated)
    NW_MUST_USE;
/* Identity policy of the principal with this ARN (borrowed), or NULL. */
json_t *nw_dv_iam_identity_policy(struct nw_dv_state *st, const char *arn);
/* The key entry of an access key id (borrowed), or NULL. */
const json_t *nw_dv_iam_key(struct nw_dv_state *st, const char *akid);
/* Fill a caller from an access key id and its entry. */
void nw_dv_iam_caller(const struct nw_dv_config *cfg,
                      struct nw_dv_caller *c,
                      const char *akid,
                      const json_t *k);

/* ---- sigv4v.c: request authentication ---- */

/*
 * Verify the request's SigV4 signature for service ("kms", "secretsmanager") against the
 * credentials in state. On success fills caller and returns true; otherwise fills resp with the
 * error AWS answers and returns false.
 */
bool nw_dv_authenticate(struct nw_dv_state *st,
                        struct nw_dv_caller *caller,
                        struct nw_dv_resp *resp,
                        const struct nw_dv_req *rq,
                        const char *service);

/* ---- policy.c: IAM policy evaluation ---- */

/* What a policy can say about a request. */
enum nw_dv_effect { NW_DV_NONE = 0, NW_DV_ALLOW = 1, NW_DV_DENY = 2 };

/*
 * Attestation facts of a request with a verified KMS Recipient (filled by the attestation
 * integration; absent otherwise). Hex is lower case.
 */
struct nw_dv_attest_facts {
    bool present;
    char image_sha384[97];
    char pcr[32][97];
    bool pcr_set[32];
};

struct nw_dv_policy_ctx {
    const char *action;        /* "kms:Decrypt" */
    const char *resource;      /* key or secret ARN */
    const char *principal_arn; /* aws:PrincipalArn */
    const char *account;       /* the emulator's account: root = arn:aws:iam::ACCOUNT:root */
    const json_t *enc_ctx;     /* the request's EncryptionContext object, or NULL */
    const char *via_service;   /* kms:ViaService, or NULL */
    const struct nw_dv_attest_facts *attest; /* or NULL */
};

/*
 * Value of condition key `key` for the request (one string), in buf (cap bytes). Returns false
 * when the request has no such key. This is the one place that knows condition keys: adding
 * kms:RecipientAttestation:* was one case.
 */
bool nw_dv_policy_cond_value(const struct nw_dv_policy_ctx *ctx,
                             const char *key,
                             char *buf,
                             size_t cap);

/*
 * Evaluate a policy document. With resource_policy, statements must name a Principal matching
 * ctx->principal_arn; *via_root is set when an Allow matched only through the account root
 * principal (which delegates to identity policies). Returns the strongest effect
 * (Deny > Allow > None). NW_ERR_DEVAWS_POLICY_SYNTAX on a malformed document.
 */
nw_err nw_dv_policy_eval(enum nw_dv_effect *effect,
                         bool *via_root,
                         const json_t *policy,
                         const struct nw_dv_policy_ctx *ctx,
                         bool resource_policy) NW_MUST_USE;

/* Check a policy document's shape (Version, Statement, Effect, Action...). */
nw_err nw_dv_policy_validate(const json_t *policy) NW_MUST_USE;

/* ---- blob.c: KMS ciphertext blobs ---- */

#define NW_DV_KEY_ID_LEN   36
#define NW_DV_BLOB_MAGIC   "NWKB"
#define NW_DV_BLOB_VERSION 1
#define NW_DV_BLOB_IV      12
#define NW_DV_BLOB_TAG     16
#define NW_DV_BLOB_HDR     (4 + 1 + 1 + NW_DV_KEY_ID_LEN)
#define NW_DV_BLOB_MIN     (NW_DV_BLOB_HDR + NW_DV_BLOB_IV + NW_DV_BLOB_TAG)

/* Canonical encryption context (sorted keys, length-prefixed) appended to b. */
nw_err nw_dv_blob_context(struct nw_buf *b, const json_t *enc_ctx) NW_MUST_USE;
/* The key id a blob names (no decryption). NW_ERR_DEVAWS_BLOB_FORMAT. */
nw_err nw_dv_blob_key_id(char out[NW_DV_KEY_ID_LEN + 1], struct nw_cur blob) NW_MUST_USE;
/* Seal plaintext under key32 for key_id, binding enc_ctx (may be NULL). Appends to out. */
nw_err nw_dv_blob_seal(struct nw_buf *out,
                       const uint8_t key32[32],
                       const char *key_id,
                       const json_t *enc_ctx,
                       struct nw_cur plaintext) NW_MUST_USE;
/* Open a blob; NW_ERR_DEVAWS_BLOB_FORMAT, NW_ERR_DEVAWS_BLOB_AUTH. Appends to out (secret). */
nw_err nw_dv_blob_open(struct nw_buf *out,
                       const uint8_t key32[32],
                       const json_t *enc_ctx,
                       struct nw_cur blob) NW_MUST_USE;

/* ---- recipient.c: the KMS Recipient hook (attestation) ---- */

/*
 * Where Recipient documents must chain to: DIR/nsm-root.pem, the development root of the NSM
 * simulator (libnwattest) run with state directory DIR. Call once before serving.
 */
void nw_dv_recipient_setup(const struct nw_dv_config *cfg);

/*
 * Check a request's Recipient {KeyEncryptionAlgorithm, AttestationDocument}: the document is
 * verified (chain to the simulator root, now, RSA-2048 public key) and its PCRs fill facts for
 * policy conditions. Answers the error and returns false when it cannot.
 */
bool nw_dv_recipient_check(struct nw_dv_resp *resp,
                           struct nw_dv_attest_facts *facts,
                           const json_t *recipient);
/* Put CiphertextForRecipient (CMS EnvelopedData to the document's key) of plaintext into o. */
bool nw_dv_recipient_seal(struct nw_dv_resp *resp,
                          json_t *o,
                          const json_t *recipient,
                          struct nw_cur plaintext);

/* ---- tls.c: the development CA and server certificate ---- */

/* Make DIR/ca.pem (+ key) once, and a fresh server certificate for the names. */
nw_err nw_dv_tls_setup(const struct nw_dv_config *cfg,
                       struct nw_buf *cert_pem,
                       struct nw_buf *key_pem) NW_MUST_USE;

/* ---- services ---- */

/* Handle one KMS / Secrets Manager JSON 1.1 request (authenticated inside). */
void nw_dv_handle_aws(const struct nw_dv_config *cfg,
                      struct nw_dv_resp *resp,
                      const struct nw_dv_req *rq);
void nw_dv_kms_dispatch(struct nw_dv_state *st,
                        struct nw_dv_resp *resp,
                        const struct nw_dv_caller *caller,
                        const char *op,
                        const json_t *in);
void nw_dv_sm_dispatch(struct nw_dv_state *st,
                       struct nw_dv_resp *resp,
                       const struct nw_dv_caller *caller,
                       const char *op,
                       const json_t *in);
/* Handle one IMDS request. */
void nw_dv_handle_imds(const struct nw_dv_config *cfg,
                       struct nw_dv_resp *resp,
                       const struct nw_dv_req *rq);

/* Shared by kms.c and secrets.c: allowed? (fills resp with AccessDeniedException if not). */
bool nw_dv_authorize(struct nw_dv_state *st,
                     struct nw_dv_resp *resp,
                     const struct nw_dv_caller *caller,
                     const struct nw_dv_policy_ctx *ctx,
                     const json_t *resource_policy);

#endif /* NW_DEVAWS_INT_H */

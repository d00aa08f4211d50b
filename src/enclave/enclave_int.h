/*
 * nw-enclave internals shared by the server, the request codec and the ops (not a library API).
 *
 * Shape: main.c parses options and calls nw_enc_run(). server.c accepts connections (one reader
 * thread per connection, capped), reads frames, and hands each request to a fixed pool of worker
 * threads through a bounded queue; answers go back in request order per connection. request.c
 * decodes a frame into struct nw_enc_req and encodes answers. configure.c owns the runtime
 * settings (a refcounted snapshot, replaced whole by a later configure). ops_*.c implement the
 * operations of DESIGN.md section 3.
 */
#ifndef NW_ENCLAVE_INT_H
#define NW_ENCLAVE_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <nw/aws.h>
#include <nw/buf.h>
#include <nw/sign.h>
#include <nw/store.h>
#include <nw/vault.h>

#define NW_ENC_VERSION        "0.1.0"
#define NW_ENC_ID_MAX         64 /* longest request id (string form) */
#define NW_ENC_OP_MAX         31 /* longest op name */
#define NW_ENC_DEFAULT_LISTEN "vsock:any:5000"
#define NW_ENC_DEFAULT_KMS    "vsock:3:8000"
#define NW_ENC_MAX_CONNS      256
#define NW_ENC_FRAME_TIMEOUT  30000 /* ms for the rest of a frame once its header arrived */
#define NW_ENC_WRITE_TIMEOUT  30000 /* ms to write one answer */
#define NW_ENC_LIST_MAX       10000 /* most keys list_keys / attest handle */
#define NW_ENC_ROW_TTL_MS     1000  /* default key_row_ttl_ms: how stale a cached key row may be */
#define NW_ENC_ROW_SLOTS      256   /* key rows cached per configuration */

/* Options from the command line. */
struct nw_enc_opts {
    const char *listen;
    bool bring_up_loopback;
    int workers;     /* default 8 */
    int queue;       /* default 256 */
    int deadline_ms; /* default and maximum per-request deadline; default 30000 */
    bool db_demo;
    bool log_json;
    const char *log_level;
};

/* One configure's worth of runtime state. Refcounted: ops hold a reference while they run. */
struct nw_enc_cfg {
    atomic_int refs;
    struct nw_vault *vault;
    struct nw_store *store;   /* NULL: no database configured */
    struct nw_enc_rows *rows; /* cached key rows; NULL: key_row_ttl_ms 0 or no database */
    enum nw_kms_mode kms_mode;
    enum nw_audit_mode audit_mode;
    char region[64];
    char kms_key_id[2048]; /* default KMS key for generate_key ("" = none) */
    int64_t configured_ms;
};

/* Counters (health). */
struct nw_enc_stats {
    atomic_uint_fast64_t requests;
    atomic_uint_fast64_t errors;
    atomic_uint_fast64_t overloaded;
    atomic_uint_fast64_t deadline_exceeded;
    atomic_uint_fast64_t bad_frames;
    atomic_uint_fast64_t audit_rows;
    atomic_uint_fast64_t audit_failures;
    atomic_uint_fast64_t configures;
    atomic_uint_fast64_t connections;
};

/* The process-wide server state. */
struct nw_enclave {
    struct nw_enc_opts opts;
    struct nw_secp *secp; /* randomised; shared read-only by the workers */
    pthread_mutex_t cfg_lock;
    struct nw_enc_cfg *cfg;         /* NULL until configured */
    pthread_mutex_t configure_lock; /* one configure at a time */
    char instance[40];              /* random name in audit rows */
    int64_t started_ms;
    struct nw_enc_stats stats;
    atomic_int queue_depth;
    atomic_bool demo_done; /* --db-demo ran */
};

/* A decoded request. root owns the JSON (which may hold secrets: jansson runs on the wiping
 * allocator). */
struct nw_enc_req {
    json_t *root;
    json_t *id;                      /* borrowed from root; NULL: unknown (answered as null) */
    char id_text[NW_ENC_ID_MAX + 3]; /* id for logs and audit rows ("" when unknown) */
    char op[NW_ENC_OP_MAX + 1];
    int64_t deadline_ms; /* absolute, monotonic */
};

/* ---- request.c ---- */

/*
 * Decode one frame payload. Fills r (r->root owned: nw_enc_req_clear). On failure r->id is the
 * request's id when it could be read (else NULL) and diag says which field was wrong.
 * Returns: NW_OK; NW_ERR_BAD_REQUEST.
 */
nw_err nw_enc_req_parse(struct nw_enc_req *r,
                        struct nw_diag *diag,
                        struct nw_cur payload,
                        int64_t received_ms,
                        int max_deadline_ms) NW_MUST_USE;
void nw_enc_req_clear(struct nw_enc_req *r);

/* Encode an answer for id (NULL: "id":null). result is stolen (NULL: {}). Out: out (appended). */
nw_err nw_enc_answer_ok(struct nw_buf *out, const json_t *id, json_t *result) NW_MUST_USE;
nw_err nw_enc_answer_err(struct nw_buf *out, const json_t *id, nw_err code, const char *msg)
    NW_MUST_USE;

/*
 * Check that obj has only the fields listed (NULL-terminated) plus the envelope fields
 * v, id, op, deadline_ms. Returns NW_ERR_BAD_REQUEST naming the first unknown field.
 */
nw_err nw_enc_check_fields(const json_t *obj, struct nw_diag *diag, const char *const *allowed)
    NW_MUST_USE;

/* Field getters: each returns NW_ERR_BAD_REQUEST with a message naming the field when the type is
 * wrong; *present (may be NULL) says whether the field was there (JSON null counts as absent). */
nw_err nw_enc_get_str(const json_t *obj,
                      struct nw_diag *diag,
                      const char *name,
                      size_t max_len,
                      const char **out,
                      bool required) NW_MUST_USE;
nw_err nw_enc_get_int(const json_t *obj,
                      struct nw_diag *diag,
                      const char *name,
                      int64_t min,
                      int64_t max,
                      int64_t *out,
                      bool *present) NW_MUST_USE;
nw_err
nw_enc_get_bool(const json_t *obj, struct nw_diag *diag, const char *name, bool *out, bool *present)
    NW_MUST_USE;

/* base64 (padded, standard alphabet, strict): core's nw_base64 with the request conventions. */
nw_err nw_enc_b64_encode(struct nw_buf *out, struct nw_cur in) NW_MUST_USE;
nw_err nw_enc_b64_decode(struct nw_buf *out, struct nw_cur in) NW_MUST_USE;

/* ---- dispatch.c ---- */

/* Run one decoded request and encode its answer into out. Logs one line. */
void nw_enc_dispatch(struct nw_enclave *e, struct nw_enc_req *r, struct nw_buf *out);

/* Answer a frame that could not be decoded (bad_request) and log it. */
void nw_enc_answer_bad(
    struct nw_enclave *e, struct nw_buf *out, const json_t *id, nw_err code, const char *msg);

/* ---- configure.c ---- */

/* A reference to the current settings (NULL: not configured). Release with nw_enc_cfg_put. */
struct nw_enc_cfg *nw_enc_cfg_get(struct nw_enclave *e);
void nw_enc_cfg_put(struct nw_enc_cfg *c);
/* Drop the current settings (exit). */
void nw_enc_cfg_shutdown(struct nw_enclave *e);

/* ---- ops ---- */

/* What every op gets. */
struct nw_enc_op_ctx {
    struct nw_enclave *e;
    struct nw_enc_cfg *cfg; /* NULL for ops that run unconfigured */
    const struct nw_enc_req *req;
    struct nw_diag *diag;
};

typedef nw_err (*nw_enc_op_fn)(struct nw_enc_op_ctx *c, json_t **result);

nw_err nw_enc_op_health(struct nw_enc_op_ctx *c, json_t **result);
nw_err nw_enc_op_configure(struct nw_enc_op_ctx *c, json_t **result);
nw_err nw_enc_op_sign_transaction(struct nw_enc_op_ctx *c, json_t **result);
nw_err nw_enc_op_sign_message(struct nw_enc_op_ctx *c, json_t **result);
nw_err nw_enc_op_sign_typed_data(struct nw_enc_op_ctx *c, json_t **result);
nw_err nw_enc_op_sign_authorization(struct nw_enc_op_ctx *c, json_t **result);
nw_err nw_enc_op_generate_key(struct nw_enc_op_ctx *c, json_t **result);
nw_err nw_enc_op_import_key(struct nw_enc_op_ctx *c, json_t **result);
nw_err nw_enc_op_list_keys(struct nw_enc_op_ctx *c, json_t **result);
nw_err nw_enc_op_get_key(struct nw_enc_op_ctx *c, json_t **result);
nw_err nw_enc_op_disable_key(struct nw_enc_op_ctx *c, json_t **result);
nw_err nw_enc_op_attest(struct nw_enc_op_ctx *c, json_t **result);

/* ---- rowcache.c: key rows read by signing requests, kept key_row_ttl_ms ---- */
struct nw_enc_rows;
/* ttl_ms <= 0: *out = NULL (no cache; every function below accepts NULL). */
nw_err nw_enc_rows_new(struct nw_enc_rows **out, int64_t ttl_ms) NW_MUST_USE;
void nw_enc_rows_free(struct nw_enc_rows *r);
/* A fresh row by id or, when id is NULL, by lower-case address: a copy in *row (caller clears). */
bool nw_enc_rows_get(struct nw_enc_rows *r,
                     struct nw_key_row *row,
                     const char *id,
                     const char *addr);
void nw_enc_rows_put(struct nw_enc_rows *r, const struct nw_key_row *row);
void nw_enc_rows_forget(struct nw_enc_rows *r, const char *id);

/* ---- keysrc.c: where a signing key comes from ---- */

/* The key a signing request names, decrypted, with what the audit row needs. */
struct nw_enc_key {
    struct nw_seckey key; /* secret */
    uint8_t addr20[20];
    char key_id[NW_KEY_ID_LEN + 1]; /* "" for a seed ciphertext */
    bool cache_hit;
};

/*
 * Resolve and decrypt the key of a signing request: exactly one of `encrypted_key` (+ optional
 * `credential`), `key_id`, `address`. Out: *k (wipe with nw_enc_key_clear on every path).
 * Returns: NW_ERR_BAD_REQUEST; NW_ERR_KEY_NOT_FOUND; NW_ERR_KEY_DISABLED; NW_ERR_NO_DATABASE;
 * the vault's and the store's errors.
 */
nw_err nw_enc_key_resolve(struct nw_enc_op_ctx *c, struct nw_enc_key *k) NW_MUST_USE;
void nw_enc_key_clear(struct nw_enc_key *k);

/* Decrypt a stored row's key: the context binds it to the row, its address must match the row.
 * Returns: NW_ERR_KEY_DISABLED; NW_ERR_KEY_MISMATCH; the vault's errors. */
nw_err nw_enc_key_from_row(struct nw_enc_op_ctx *c,
                           struct nw_enc_key *k,
                           const struct nw_key_row *row) NW_MUST_USE;

/* Read the optional `credential` object into creds (wiped on failure). *have says if present. */
nw_err nw_enc_creds_parse(struct nw_enc_op_ctx *c, struct nw_aws_creds *creds, bool *have)
    NW_MUST_USE;

/* ---- audit.c ---- */

/* Prepare a row for this request (time, request id, op). */
void nw_enc_audit_init(struct nw_enc_op_ctx *c, struct nw_audit_row *row);

/*
 * Record the row with outcome (NW_OK: "ok"). A failure of a successful op in required mode is
 * returned (the caller then withholds the signature); for refusals the op's own error wins.
 * No store or audit off: NW_OK.
 */
nw_err nw_enc_audit_finish(struct nw_enc_op_ctx *c, struct nw_audit_row *row, nw_err outcome)
    NW_MUST_USE;

/* ---- json helpers (ops_util.c) ---- */
json_t *nw_enc_json_hex(const uint8_t *p, size_t n);
json_t *nw_enc_json_addr(const uint8_t addr20[20]);
/* Set key to value (stolen) in obj; false on allocation failure. */
bool nw_enc_json_set(json_t *obj, const char *key, json_t *value);

/* ---- server.c ---- */

/* Listen on opts.listen and serve until SIGINT/SIGTERM. Returns the exit status. */
int nw_enc_serve(struct nw_enclave *e);

/* ---- loopback.c ---- */

/* Set interface lo up (SIOCSIFFLAGS). Returns 0 or an errno value. */
int nw_enc_loopback_up(void);

#endif /* NW_ENCLAVE_INT_H */

/*
 * nw-host internals (libnwhost: everything but main.c, so tests reach it). The parent-side
 * daemon of DESIGN.md section 7: HTTPS API (libnwhttpd) in front of a pool of framed enclave
 * connections (section 3), Secrets Manager reads with a short cache, IMDSv2 credentials, the
 * KMS relay (section 5) and Prometheus metrics.
 */
#ifndef NW_HOST_H
#define NW_HOST_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <nw/aws.h>
#include <nw/buf.h>
#include <nw/log.h>

/* ---- configuration (config.c) ---------------------------------------------------------- */

struct nw_host_config {
    char *listen;   /* HTTPS listener, default tcp:0.0.0.0:443 */
    char *tls_cert; /* PEM files (required) */
    char *tls_key;
    char *client_ca;    /* optional: require client certificates signed by this CA */
    char *enclave;      /* enclave address, default vsock:16:5000 */
    char *kms_relay;    /* KMS relay listener (production vsock:any:8000); NULL: none */
    unsigned pool_size; /* persistent enclave connections (default 8) */
    unsigned threads;   /* HTTP threads (default 4) */
    unsigned max_connections;
    size_t max_body_bytes;
    unsigned idle_timeout_s;
    unsigned request_timeout_ms;
    int enclave_timeout_ms; /* deadline of one enclave call (default 10000) */
    int connect_timeout_ms; /* enclave connect (default 1000) */
    int secret_ttl_ms;      /* Secrets Manager cache TTL (default 500; 0 disables) */
    int secret_stale_s;     /* serve a cached secret this long when Secrets Manager is down */
    char *aws_credentials;  /* "imds" (default) or "env" */
    char *region;           /* NULL: AWS_REGION, else IMDS */
    /* What configure tells the enclave. */
    char *kms_mode;         /* relay (default) | direct */
    char *enclave_kms_addr; /* where the enclave reaches KMS; NULL: its default vsock:3:8000 */
    char *enclave_kms_host; /* direct mode: KMS TLS name; NULL: the enclave's default */
    char *enclave_kms_ca;   /* direct mode: CA bundle path in the enclave; NULL: its default */
    char *kms_key_id;       /* KMS key for generate_key */
    char *enclave_nsm;      /* NSM for the enclave; NULL: its default /dev/nsm */
    char *db_secret_id;     /* RDS secret: JSON username/password/host/port/dbname */
    char *db_host, *db_hostaddr, *db_name, *db_user, *db_password_file, *db_sslmode,
        *db_sslrootcert;
    int db_port;         /* 0: the secret's port, else 5432 */
    char *audit;         /* required | best_effort | off; NULL: the enclave's default */
    int key_cache_ttl_s; /* -1: the enclave's default */
    int key_row_ttl_ms;  /* -1: the enclave's default */
    char *rpc_upstream;  /* JSON-RPC node for eth_sendTransaction and proxied methods; NULL: none */
    char *rpc_listen;    /* plain-HTTP /rpc listener (loopback tcp: or unix: only); NULL: none */
    enum nw_log_level log_level;
    bool log_json;
};

/*
 * Parse argv and --config FILE (a JSON object whose keys are the long option names without
 * "--"; flags win over it), by the conventions of <nw/opt.h>. --help, --version and every
 * error (an unknown option with a suggestion, a bad value or file, a missing --tls-cert) are
 * printed here, on stdout or stderr.
 * Returns: -1 to run with cfg; else the exit status (0 after --help/--version, 2 on a usage
 * error, 1 out of memory). cfg's strings need nw_host_config_clear either way.
 */
int nw_host_config_parse(struct nw_host_config *cfg, int argc, char **argv) NW_MUST_USE;
void nw_host_config_clear(struct nw_host_config *cfg);

/* ---- metrics (metrics.c) ------------------------------------------------------------- */

struct nw_host_metrics;
nw_err nw_host_metrics_new(struct nw_host_metrics **out) NW_MUST_USE;
void nw_host_metrics_free(struct nw_host_metrics *m);
/* One finished HTTP request: route name ("sign_transaction", "seed", "healthz"...), outcome
 * code ("ok" or an error code), duration. */
void nw_host_metrics_request(struct nw_host_metrics *m,
                             const char *route,
                             const char *code,
                             int64_t duration_us);
/* A KMS relay call: target ("Decrypt", ...) and outcome ("ok", "kms_denied", ...). */
void nw_host_metrics_relay(struct nw_host_metrics *m, const char *target, const char *outcome);
/* Secrets cache outcome: "hit", "miss", "stale", "error". */
void nw_host_metrics_secret(struct nw_host_metrics *m, const char *outcome);
/* Append the Prometheus text of the counters to out. */
nw_err nw_host_metrics_render(struct nw_host_metrics *m, struct nw_buf *out) NW_MUST_USE;

/* ---- enclave connection pool (pool.c) ------------------------------------------------ */

struct nw_host_pool;

struct nw_host_pool_stats {
    unsigned size;
    unsigned open;
    unsigned busy;
    uint64_t connects;
    uint64_t connect_failures;
    uint64_t configures;
    uint64_t configure_failures;
    uint64_t calls;
    uint64_t io_errors;
    uint64_t retries;
};

struct nw_host_ctx;

/* Create the pool (connections are made lazily, and again after any failure). */
nw_err nw_host_pool_new(struct nw_host_pool **out, struct nw_host_ctx *ctx) NW_MUST_USE;
void nw_host_pool_free(struct nw_host_pool *p);

/*
 * One enclave call: req is the request object without v/id/op (borrowed; this function adds
 * them to a copy). On NW_OK *result holds the answer's "result" (new reference); on an enclave
 * error the function returns its code (looked up by name; unknown names are NW_ERR_INTERNAL) and
 * copies its message into diag. Transport failures are NW_ERR_HOST_ENCLAVE_UNAVAILABLE.
 */
nw_err nw_host_pool_call(struct nw_host_pool *p,
                         json_t **result,
                         const char *op,
                         json_t *req,
                         const char *request_id,
                         struct nw_diag *diag) NW_MUST_USE;
void nw_host_pool_stats(struct nw_host_pool *p, struct nw_host_pool_stats *out);

/*
 * The configure request (without v/id/op) sent on every new enclave connection: region, KMS
 * mode and addresses, NSM, audit, cache TTL, and the database settings (the RDS secret read now,
 * overridden by --db-* options). Holds the DB password: the caller json_decref's it (jansson
 * frees through the wiping allocator).
 */
nw_err nw_host_configure_request(struct nw_host_ctx *ctx, json_t **out, struct nw_diag *diag)
    NW_MUST_USE;

/* ---- secrets (secret.c): Secrets Manager with a short cache --------------------------- */

struct nw_host_secrets;
nw_err nw_host_secrets_new(struct nw_host_secrets **out, struct nw_host_ctx *ctx) NW_MUST_USE;
void nw_host_secrets_free(struct nw_host_secrets *s);
/*
 * The SecretString of secret_id (appended to out, a secret buffer), from the cache when younger
 * than the TTL, else from Secrets Manager; a stale copy when Secrets Manager is unavailable and
 * the copy is younger than secret_stale_s. fresh forces a read.
 */
nw_err nw_host_secret_get(struct nw_host_secrets *s,
                          struct nw_buf *out,
                          const char *secret_id,
                          bool fresh,
                          struct nw_diag *diag) NW_MUST_USE;
/* Forget a cached secret (after the enclave refused what it held). */
void nw_host_secret_forget(struct nw_host_secrets *s, const char *secret_id);
/* Current AWS credentials (for the direct KMS mode); wiped by the caller. */
nw_err nw_host_credentials(struct nw_host_ctx *ctx, struct nw_aws_creds *out, struct nw_diag *diag)
    NW_MUST_USE;

/* ---- KMS relay (relay.c) ------------------------------------------------------------- */

struct nw_host_relay;
nw_err nw_host_relay_start(struct nw_host_relay **out, struct nw_host_ctx *ctx, int listen_fd)
    NW_MUST_USE;
void nw_host_relay_stop(struct nw_host_relay *r);

/* ---- the daemon (api.c, host.c) ------------------------------------------------------- */

struct nw_host_ctx {
    const struct nw_host_config *cfg;
    char region[64];
    struct nw_aws_creds_provider *creds;
    struct nw_host_metrics *metrics;
    struct nw_host_pool *pool;
    struct nw_host_secrets *secrets;
    pthread_mutex_t mu;
    int64_t started_ms;
};

/* Set up ctx from cfg (credentials provider, region, pool, secrets, metrics). */
nw_err nw_host_ctx_init(struct nw_host_ctx *ctx,
                        const struct nw_host_config *cfg,
                        struct nw_diag *diag) NW_MUST_USE;
void nw_host_ctx_clear(struct nw_host_ctx *ctx);
/* A KMS or Secrets Manager client with the instance credentials. */
nw_err nw_host_aws_client(struct nw_host_ctx *ctx,
                          struct nw_aws_client **out,
                          enum nw_aws_service svc,
                          struct nw_diag *diag) NW_MUST_USE;

struct nw_httpd_request;
struct nw_httpd_response;
/* The HTTP handler (libnwhttpd) of the whole API: ctx is struct nw_host_ctx. */
void nw_host_handle(void *ctx, struct nw_httpd_response *resp, const struct nw_httpd_request *req);

/* The same handler for the plain-HTTP --rpc-listen socket: only POST /rpc is served. */
void nw_host_handle_rpc_only(void *ctx,
                             struct nw_httpd_response *resp,
                             const struct nw_httpd_request *req);

/* ---- JSON-RPC (rpc.c) ------------------------------------------------------------------ */

/*
 * Answer one POST /rpc body (a call or a batch). Out: *answer, the JSON-RPC response (a new
 * reference), NULL when every call was a notification. JSON-RPC errors are answers, not failures.
 * Returns: NW_OK; NW_ERR_NOMEM.
 */
nw_err nw_host_rpc(struct nw_host_ctx *ctx, json_t **answer, struct nw_cur body, const char *rid)
    NW_MUST_USE;
/* NW_OK when text is a loopback tcp: or a unix: address; else NW_ERR_RPC_LISTEN_NOT_LOCAL. */
nw_err nw_host_rpc_listen_check(const char *text, struct nw_diag *diag) NW_MUST_USE;

/* The nw_err whose snake_case code is name (NW_ERR_INTERNAL when unknown). */
nw_err nw_host_err_by_code(const char *name);

#endif /* NW_HOST_H */

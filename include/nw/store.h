/*
 * The enclave's key store and audit log in PostgreSQL (DESIGN.md section 6). Library: libnwstore
 * (libpq; no libpq type appears here).
 *
 * Connection: libpq `hostaddr` is where bytes go (the local nw-proxy relay, 127.0.0.1) while
 * `host` keeps the RDS name, so `sslmode=verify-full` checks the RDS certificate against the
 * bundled CA. A lost connection is re-made with backoff by the store itself; callers see
 * NW_ERR_DB_UNAVAILABLE until it is back, and never block longer than their deadline.
 *
 * Tables (versioned, idempotent migrations, serialized between instances by an advisory lock):
 *   nw_schema_version (version int)
 *   nw_keys  (id uuid primary key, address text unique (0x + 40 lower-case hex), ciphertext bytea,
 *             kms_key_arn text, label text, created_at timestamptz, disabled_at timestamptz null)
 *   nw_audit (seq bigserial primary key, at timestamptz, instance text, request_id text, op text,
 *             key_id uuid null, address text null, chain_id numeric null, nonce numeric null,
 *             to_addr text null, value_wei numeric null, tx_hash text null, outcome text)
 * nw_audit is append-only (a trigger refuses UPDATE and DELETE). Rows are made to be chained
 * later by the policy engine: `seq` orders them totally, and nw_audit_row_canonical() gives the
 * exact bytes a chain hash will cover.
 *
 * Deadlines (every deadline_ms below) are absolute milliseconds on CLOCK_MONOTONIC, the clock of
 * nw_now_ms() in <nw/wire.h>. Any operation may also return NW_ERR_STORE_QUERY when the server
 * refuses a statement for a reason the caller cannot fix (a schema changed behind our back).
 *
 * Thread safety: one struct nw_store is shared by every worker thread; all functions may be
 * called concurrently. Secrets: the password in the config is copied into wiped memory and
 * never logged or put in a diag message.
 */
#ifndef NW_STORE_H
#define NW_STORE_H

#include <stdbool.h>

#include <nw/buf.h>

enum nw_audit_mode {
    NW_AUDIT_REQUIRED = 0,    /* default: a signature is returned only after its row commits */
    NW_AUDIT_BEST_EFFORT = 1, /* rows buffered in order (bounded), flushed in the background */
    NW_AUDIT_OFF = 2,         /* no rows; only when the operator asks */
};

/* Parse "required", "best_effort", "off". Returns NW_ERR_INVALID_ARG otherwise. */
nw_err nw_audit_mode_parse(enum nw_audit_mode *out, const char *text) NW_MUST_USE NW_NONNULL(1, 2);

struct nw_store_config {
    const char *host;        /* name for TLS verification (the RDS endpoint); required */
    const char *hostaddr;    /* numeric address to connect to (the relay); NULL: resolve host */
    uint16_t port;           /* default 5432 when 0 */
    const char *dbname;      /* required */
    const char *user;        /* required */
    const char *password;    /* secret; may be NULL */
    const char *sslmode;     /* NULL: "verify-full" */
    const char *sslrootcert; /* CA bundle path; required for verify-ca/verify-full */
    int connect_timeout_ms;  /* 0: 5000 */
    enum nw_audit_mode audit_mode;
    size_t audit_buffer_rows; /* best_effort queue bound; 0: 10000 */
    const char *instance;     /* this enclave's name in audit rows (e.g. a random id); required */
};

struct nw_store;

/*
 * Create a store from cfg (copied; the caller may wipe its strings afterwards). Connects and
 * migrates before returning. Out: *out (NULL on failure). diag gets libpq's message with any
 * password removed.
 * Returns: NW_OK; NW_ERR_INVALID_ARG (missing field); NW_ERR_DB_UNAVAILABLE (cannot connect or
 * TLS verification failed; the message says which); NW_ERR_STORE_MIGRATE; NW_ERR_NOMEM.
 */
nw_err nw_store_open(struct nw_store **out, const struct nw_store_config *cfg, struct nw_diag *diag)
    NW_MUST_USE NW_NONNULL(1, 2);

/* Flush what can be flushed within a short bound, close, wipe the password, free. NULL is a no-op.
 */
void nw_store_free(struct nw_store *s);

/* A key row. ciphertext is owned by the row (nw_key_row_clear frees it). */
#define NW_KEY_ID_LEN    36 /* canonical lower-case UUID text */
#define NW_KEY_LABEL_MAX 128
struct nw_key_row {
    char id[NW_KEY_ID_LEN + 1];
    char address[43]; /* "0x" + 40 lower-case hex */
    uint8_t *ciphertext;
    size_t ciphertext_len;
    char kms_key_arn[2048];
    char label[NW_KEY_LABEL_MAX + 1];
    int64_t created_ms;  /* Unix ms */
    int64_t disabled_ms; /* 0: enabled */
};

void nw_key_row_clear(struct nw_key_row *row);

/*
 * Insert a new key. In: row->id (UUID, any case; stored lower-case), row->address (0x + 40 hex,
 * any case; stored lower-case), ciphertext (1..64 KiB), created_ms (0: the server's now()).
 * Returns: NW_OK; NW_ERR_EXISTS (id or address already stored);
 * NW_ERR_DB_UNAVAILABLE; NW_ERR_INVALID_ARG.
 */
nw_err nw_store_key_insert(struct nw_store *s, const struct nw_key_row *row, int64_t deadline_ms)
    NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Look a key up by id (UUID text) or by address (0x-hex, any case). Out: *row (cleared first).
 * Returns: NW_OK; NW_ERR_KEY_NOT_FOUND; NW_ERR_DB_UNAVAILABLE; NW_ERR_INVALID_ARG (bad id text).
 * A disabled key is returned with disabled_ms set: the caller decides.
 */
nw_err
nw_store_key_get(struct nw_store *s, struct nw_key_row *row, const char *id, int64_t deadline_ms)
    NW_MUST_USE NW_NONNULL(1, 2, 3);
nw_err nw_store_key_by_address(struct nw_store *s,
                               struct nw_key_row *row,
                               const char *address,
                               int64_t deadline_ms) NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * All keys (enabled first when include_disabled), ordered by created time, at most max rows.
 * Out: *rows (array owned by the caller: nw_key_rows_free), *n.
 */
nw_err nw_store_key_list(struct nw_store *s,
                         struct nw_key_row **rows,
                         size_t *n,
                         bool include_disabled,
                         size_t max,
                         int64_t deadline_ms) NW_MUST_USE NW_NONNULL(1, 2, 3);
void nw_key_rows_free(struct nw_key_row *rows, size_t n);

/* Mark a key disabled (idempotent). Returns: NW_OK; NW_ERR_KEY_NOT_FOUND; NW_ERR_DB_UNAVAILABLE. */
nw_err nw_store_key_disable(struct nw_store *s, const char *id, int64_t deadline_ms)
    NW_MUST_USE NW_NONNULL(1, 2);

/*
 * One audit row: every signing request gets one, refused ones too. Never a key, credential or
 * payload body. Empty strings mean SQL NULL. Integers are decimal text (they can be 2^256-1).
 * Stored exactly as given, so the canonical bytes can be rebuilt from the table; hence the
 * rules (else NW_ERR_INVALID_ARG, checked before the row can join a shared transaction):
 * every field NUL-terminated; op and outcome non-empty; request_id, op, outcome printable
 * ASCII; key_id empty or lower-case UUID; address/to_addr empty or 0x + 40 hex (any case);
 * tx_hash empty or 0x + 64 hex; chain_id/nonce/value_wei empty or canonical decimal (no sign,
 * no leading zero, at most 78 digits); at_ms >= 0.
 */
struct nw_audit_row {
    int64_t at_ms; /* Unix ms */
    char request_id[80];
    char op[32];
    char key_id[NW_KEY_ID_LEN + 1];
    char address[43];
    char chain_id[80];
    char nonce[80];
    char to_addr[43];
    char value_wei[80];
    char tx_hash[67];
    char outcome[48]; /* "ok" or the nw_err_code() of the refusal */
};

/*
 * Record a row according to the audit mode:
 *   required    return only after the row (with those of concurrent callers: group commit)
 *               has committed; NW_ERR_DB_UNAVAILABLE (or NW_ERR_DEADLINE_EXCEEDED) if it cannot
 *               commit before deadline_ms; the caller must then not release the signature;
 *   best_effort queue it (in order) and return NW_OK; a full queue drops the row and counts it;
 *   off         return NW_OK.
 */
nw_err nw_store_audit(struct nw_store *s, const struct nw_audit_row *row, int64_t deadline_ms)
    NW_MUST_USE NW_NONNULL(1, 2);

/*
 * The canonical bytes of a row for a future hash chain (docs/store.md): seq as 8 bytes big-endian,
 * then the instance name and each field in struct order, each as a 4-byte big-endian length then
 * its bytes; at_ms is 8 bytes big-endian (length 8), strings are their bytes without the NUL (an
 * empty string, i.e. SQL NULL, has length 0). Out: *out replaced (len 0 on failure).
 * Returns: NW_OK; NW_ERR_INVALID_ARG (a field not NUL-terminated); NW_ERR_BUF_FULL; NW_ERR_NOMEM.
 */
nw_err nw_audit_row_canonical(struct nw_buf *out,
                              uint64_t seq,
                              const char *instance,
                              const struct nw_audit_row *row) NW_MUST_USE NW_NONNULL(1, 3, 4);

struct nw_store_stats {
    bool connected;
    uint64_t reconnects;
    uint64_t audit_committed; /* rows */
    uint64_t audit_commits;   /* transactions (rows / commits = group commit factor) */
    uint64_t audit_dropped;   /* best_effort rows dropped on a full queue */
    uint64_t audit_queued;    /* best_effort rows waiting now */
};
void nw_store_stats(struct nw_store *s, struct nw_store_stats *out) NW_NONNULL(1, 2);

/*
 * The seed's start-up demo (--db-demo): create table key_storage_NNNN (random 4-digit suffix;
 * key_id SERIAL PRIMARY KEY, key_name VARCHAR(50) UNIQUE NOT NULL, key_description VARCHAR(100)
 * NOT NULL), insert master_key / secondary_key / backup_key with the seed's descriptions, select
 * them, and hand each row to print as "(1, 'master_key', 'Super important key')".
 * The table is key_storage_(1000 + random_suffix % 9000) and is left in place, as the seed does.
 * Returns: NW_OK; NW_ERR_EXISTS (that table exists already); NW_ERR_DB_UNAVAILABLE.
 */
nw_err nw_store_demo(struct nw_store *s,
                     void (*print)(void *ctx, const char *line),
                     void *ctx,
                     uint32_t random_suffix) NW_MUST_USE NW_NONNULL(1, 2);

#endif /* NW_STORE_H */

/*
 * libnwstore internals: the store object, its connection pool and the audit writer.
 *
 * Locks: `mu` guards the key-operation pool, the reconnect backoff and the connection stats;
 * `amu` guards the audit queue and the audit stats. No lock is held while talking to the
 * database. When both are needed, amu is taken first.
 */
#ifndef NW_STORE_INT_H
#define NW_STORE_INT_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>

#include <nw/store.h>

#define STORE_POOL        4    /* connections for key operations */
#define STORE_BACKOFF_MIN 50   /* ms after the first failed connect */
#define STORE_BACKOFF_MAX 2000 /* ms: the longest a recovered database goes unnoticed */
#define AUDIT_BATCH_MAX   256  /* rows per INSERT (12 parameters each) */
#define AUDIT_FLUSH_MS    2000 /* nw_store_free: how long best_effort rows may take to flush */
#define AUDIT_COMMIT_MS   5000 /* one batch transaction's bound */

/* One libpq connection. pg is NULL when not connected. */
struct store_conn {
    PGconn *pg;
    bool busy;
};

/* A queued audit row. Required-mode entries are waited on by their caller. */
struct audit_entry {
    struct audit_entry *next;
    struct nw_audit_row row;
    bool taken;     /* the writer has it in a transaction */
    bool done;      /* result is final */
    bool abandoned; /* the caller's deadline passed while taken: the writer frees it */
    nw_err result;
};

struct nw_store {
    /* Configuration (copies). The password lives in locked, wiped pages. */
    char *host, *hostaddr, *dbname, *user, *sslmode, *sslrootcert, *instance, *appname;
    char port_text[8];
    char timeout_text[16];
    char *password;
    size_t password_alloc;
    int connect_timeout_ms;
    enum nw_audit_mode audit_mode;
    size_t audit_cap;

    /* Key-operation pool, backoff, connection stats. */
    pthread_mutex_t mu;
    pthread_cond_t pool_cv;
    struct store_conn pool[STORE_POOL];
    int64_t retry_at_ms;
    int backoff_ms;
    bool down;
    bool ever_connected;
    uint64_t reconnects;

    /* Audit queue and writer. */
    pthread_mutex_t amu;
    pthread_cond_t a_work;
    pthread_cond_t a_done;
    struct audit_entry *a_head, *a_tail;
    size_t a_count;
    uint64_t a_committed, a_commits, a_dropped;
    bool a_stopping;
    int64_t a_stop_deadline;
    bool a_writer_started;
    pthread_t a_writer;
    struct store_conn a_conn;
};

/* conn.c */
int64_t nw_store_now_ms(void);
/* Deadline for pthread_cond_timedwait on a CLOCK_MONOTONIC condition variable. */
void nw_store_abstime(struct timespec *ts, int64_t deadline_ms);
nw_err nw_store_cond_init(pthread_cond_t *cv);
nw_err nw_store_connect(struct nw_store *s,
                        struct store_conn *c,
                        int64_t deadline_ms,
                        struct nw_diag *diag) NW_MUST_USE;
void nw_store_disconnect(struct store_conn *c);
/* Whether an idle connection is still usable (reads what the server sent meanwhile). */
bool nw_store_conn_alive(struct store_conn *c);
/*
 * Run one statement (params NULL: simple protocol, several statements allowed) before
 * deadline_ms. Out: *res, the last result (the caller PQclear()s it), also on a server error.
 * Returns: NW_OK; NW_ERR_STORE_QUERY (the server refused it: look at *res); NW_ERR_DB_UNAVAILABLE
 * (connection lost or deadline passed: the connection is dropped, *res NULL).
 */
nw_err nw_store_exec(struct store_conn *c,
                     PGresult **res,
                     const char *sql,
                     int nparams,
                     const char *const *values,
                     const int *lengths,
                     const int *formats,
                     int result_format,
                     int64_t deadline_ms) NW_MUST_USE;
/*
 * Run n statements as one pipeline ending in a Sync: one round trip, one implicit transaction
 * (all or nothing), committed when the Sync is processed. Out: *sent tells whether the whole
 * pipeline left for the server (false: nothing can have committed). Returns as nw_store_exec,
 * without results.
 */
struct store_stmt {
    const char *sql;
    int nparams;
    const char *const *values;
};
nw_err nw_store_exec_pipeline(struct store_conn *c,
                              const struct store_stmt *stmts,
                              int n,
                              int64_t deadline_ms,
                              bool *sent) NW_MUST_USE;
/* SQLSTATE of a failed result ("" when none). */
const char *nw_store_sqlstate(const PGresult *res);
/* Copy msg into diag with the password replaced by "***" and line breaks folded. */
nw_err nw_store_diag(
    struct nw_store *s, struct nw_diag *diag, nw_err code, const char *prefix, const char *msg);

/* Key-operation pool: a connected connection (made or re-made as needed) or an error. */
nw_err
nw_store_acquire(struct nw_store *s, struct store_conn **out, bool *reused, int64_t deadline_ms)
    NW_MUST_USE;
void nw_store_release(struct nw_store *s, struct store_conn *c);
/*
 * Run fn on a pooled connection. A reused connection found dead by fn (the server restarted
 * since its last use) is replaced and fn runs once more, within the same deadline.
 */
typedef nw_err (*store_op_fn)(struct store_conn *c, void *ctx, int64_t deadline_ms);
nw_err nw_store_with_conn(struct nw_store *s, store_op_fn fn, void *ctx, int64_t deadline_ms)
    NW_MUST_USE;

/* migrate.c */
nw_err nw_store_migrate(struct nw_store *s,
                        struct store_conn *c,
                        int64_t deadline_ms,
                        struct nw_diag *diag) NW_MUST_USE;

/* audit.c */
nw_err nw_store_audit_start(struct nw_store *s) NW_MUST_USE;
void nw_store_audit_stop(struct nw_store *s);

#endif /* NW_STORE_INT_H */

/*
 * libpq connections with deadlines: non-blocking connect (PQconnectStartParams/PQconnectPoll)
 * and query (PQsendQueryParams, PQflush, PQconsumeInput) driven by poll(2), so no caller waits
 * past its deadline whatever the network does. A connection that fails or outlives a deadline
 * is dropped; the next use makes a new one, no sooner than the shared backoff allows.
 *
 * Keywords, never a conninfo string: the password is passed as a value pointing into locked
 * pages and never formatted into text (libpq wipes its own copy in PQfinish since PG 13).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <nw/mem.h>

#include "store_int.h"

int64_t nw_store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void nw_store_abstime(struct timespec *ts, int64_t deadline_ms)
{
    if (deadline_ms > INT64_MAX / 2)
        deadline_ms = INT64_MAX / 2;
    ts->tv_sec = (time_t)(deadline_ms / 1000);
    ts->tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
}

nw_err nw_store_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t a;
    if (pthread_condattr_init(&a) != 0)
        return NW_ERR_NOMEM;
    int rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
    return rc == 0 ? NW_OK : NW_ERR_NOMEM;
}

/* libpq prints notices (e.g. "relation already exists, skipping") on stderr by default. */
static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

nw_err nw_store_diag(
    struct nw_store *s, struct nw_diag *diag, nw_err code, const char *prefix, const char *msg)
{
    char text[sizeof(diag->msg)];
    size_t n = 0;

    if (diag == NULL)
        return code;
    if (msg == NULL)
        msg = "";
    /* Fold lines, stop at the end of text, and replace the password wherever it appears. */
    size_t plen = s->password ? strlen(s->password) : 0;
    for (size_t i = 0; msg[i] != '\0' && n + 4 < sizeof(text);) {
        if (plen > 0 && strncmp(msg + i, s->password, plen) == 0) {
            memcpy(text + n, "***", 3);
            n += 3;
            i += plen;
            continue;
        }
        char ch = msg[i++];
        if (ch == '\n' || ch == '\r' || ch == '\t')
            ch = ' ';
        text[n++] = ch;
    }
    while (n > 0 && text[n - 1] == ' ')
        n--;
    text[n] = '\0';
    nw_diag_set(diag, code, "%s%s", prefix, text);
    nw_wipe(text, sizeof(text));
    return code;
}

/* After a failed connect: wait before the next attempt, doubling up to STORE_BACKOFF_MAX. */
static void note_failure(struct nw_store *s)
{
    pthread_mutex_lock(&s->mu);
    s->backoff_ms = s->backoff_ms == 0 ? STORE_BACKOFF_MIN : s->backoff_ms * 2;
    if (s->backoff_ms > STORE_BACKOFF_MAX)
        s->backoff_ms = STORE_BACKOFF_MAX;
    s->retry_at_ms = nw_store_now_ms() + s->backoff_ms;
    s->down = true;
    pthread_mutex_unlock(&s->mu);
}

static void note_success(struct nw_store *s)
{
    pthread_mutex_lock(&s->mu);
    if (s->ever_connected && s->down)
        s->reconnects++;
    s->ever_connected = true;
    s->down = false;
    s->backoff_ms = 0;
    s->retry_at_ms = 0;
    pthread_mutex_unlock(&s->mu);
}

/* Wait until fd is ready for events or the deadline passes. Returns false on timeout or error. */
static bool wait_fd(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - nw_store_now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = events};
        int rc = poll(&p, 1, left > 1000 ? 1000 : (int)left);
        if (rc > 0)
            return true;
        if (rc < 0 && errno != EINTR)
            return false;
    }
}

static nw_err poll_connect(PGconn *pg, int64_t deadline_ms)
{
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    for (;;) {
        if (st == PGRES_POLLING_OK)
            return NW_OK;
        if (st == PGRES_POLLING_FAILED)
            return NW_ERR_DB_UNAVAILABLE;
        short ev = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        if (!wait_fd(PQsocket(pg), ev, deadline_ms))
            return NW_ERR_TIMEOUT;
        st = PQconnectPoll(pg);
    }
}

/* Whether libpq's message is about the server's certificate (a TLS verification failure). */
static bool tls_failure(const char *msg)
{
    return strstr(msg, "certificate") != NULL || strstr(msg, "SSL") != NULL;
}

nw_err nw_store_connect(struct nw_store *s,
                        struct store_conn *c,
                        int64_t deadline_ms,
                        struct nw_diag *diag)
{
    const char *kw[16];
    const char *val[16];
    int n = 0;

    nw_store_disconnect(c);
    pthread_mutex_lock(&s->mu);
    int64_t wait = s->retry_at_ms - nw_store_now_ms();
    pthread_mutex_unlock(&s->mu);
    if (wait > 0)
        return nw_diag_set(diag, NW_ERR_DB_UNAVAILABLE,
                           "database unavailable; next connection attempt in %lld ms",
                           (long long)wait);

#define KW(k, v) (kw[n] = (k), val[n] = (v), n++)
    KW("host", s->host);
    if (s->hostaddr)
        KW("hostaddr", s->hostaddr);
    KW("port", s->port_text);
    KW("dbname", s->dbname);
    KW("user", s->user);
    if (s->password)
        KW("password", s->password);
    KW("sslmode", s->sslmode);
    if (s->sslrootcert)
        KW("sslrootcert", s->sslrootcert);
    KW("connect_timeout", s->timeout_text);
    KW("application_name", s->appname);
    /* Nothing from the environment or ~/.pgpass: only what the caller configured. */
    KW("passfile", "/dev/null");
    KW("target_session_attrs", "read-write");
#undef KW
    kw[n] = NULL;
    val[n] = NULL;

    int64_t limit = nw_store_now_ms() + s->connect_timeout_ms;
    if (deadline_ms < limit)
        limit = deadline_ms;
    PGconn *pg = PQconnectStartParams(kw, val, 0);
    if (pg == NULL)
        return nw_diag_set(diag, NW_ERR_NOMEM, "libpq: out of memory");
    nw_err err = PQstatus(pg) == CONNECTION_BAD ? NW_ERR_DB_UNAVAILABLE : poll_connect(pg, limit);
    if (err == NW_OK && PQsetnonblocking(pg, 1) != 0)
        err = NW_ERR_DB_UNAVAILABLE;
    if (err != NW_OK) {
        char where[160];
        const char *msg = PQerrorMessage(pg);
        /* libpq starts with "connection to server at "ADDR", port N failed: ": we say that. */
        const char *cut =
            strncmp(msg, "connection to server", 20) == 0 ? strstr(msg, "failed: ") : NULL;
        if (cut != NULL)
            msg = cut + 8;
        /* A message prefix: a very long host name may be cut. */
        (void)snprintf(where, sizeof(where), "%s %s (%s port %s): ",
                       err == NW_ERR_TIMEOUT ? "connection timed out:"
                       : tls_failure(msg)    ? "TLS verification failed:"
                                             : "cannot connect:",
                       s->host, s->hostaddr ? s->hostaddr : s->host, s->port_text);
        nw_store_diag(s, diag, NW_ERR_DB_UNAVAILABLE, where, err == NW_ERR_TIMEOUT ? "" : msg);
        PQfinish(pg);
        note_failure(s);
        return NW_ERR_DB_UNAVAILABLE;
    }
    PQsetNoticeProcessor(pg, quiet_notice, NULL);
    c->pg = pg;
    note_success(s);
    return NW_OK;
}

void nw_store_disconnect(struct store_conn *c)
{
    if (c->pg != NULL)
        PQfinish(c->pg);
    c->pg = NULL;
}

bool nw_store_conn_alive(struct store_conn *c)
{
    if (c->pg == NULL)
        return false;
    if (PQconsumeInput(c->pg) == 0 || PQstatus(c->pg) != CONNECTION_OK) {
        nw_store_disconnect(c);
        return false;
    }
    /* Anything left unread on an idle connection (a termination notice) makes it suspect. */
    if (PQisBusy(c->pg) == 0) {
        PGresult *r = PQgetResult(c->pg);
        if (r != NULL) {
            PQclear(r);
            nw_store_disconnect(c);
            return false;
        }
    }
    return true;
}

static bool flush_all(PGconn *pg, int64_t deadline_ms)
{
    for (;;) {
        int rc = PQflush(pg);
        if (rc == 0)
            return true;
        if (rc < 0 || !wait_fd(PQsocket(pg), POLLOUT | POLLIN, deadline_ms))
            return false;
        if (PQconsumeInput(pg) == 0)
            return false;
    }
}

/* Collect every result of the query; keep the first failed one, else the last. */
static nw_err collect(PGconn *pg, PGresult **res, int64_t deadline_ms)
{
    nw_err err = NW_OK;
    for (;;) {
        while (PQisBusy(pg)) {
            if (!wait_fd(PQsocket(pg), POLLIN, deadline_ms) || PQconsumeInput(pg) == 0)
                return NW_ERR_DB_UNAVAILABLE;
        }
        PGresult *r = PQgetResult(pg);
        if (r == NULL)
            return err;
        ExecStatusType st = PQresultStatus(r);
        bool bad = st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK;
        if (err == NW_OK) {
            PQclear(*res);
            *res = r;
            if (bad)
                err = NW_ERR_STORE_QUERY;
        } else {
            PQclear(r);
        }
    }
}

nw_err nw_store_exec(struct store_conn *c,
                     PGresult **res,
                     const char *sql,
                     int nparams,
                     const char *const *values,
                     const int *lengths,
                     const int *formats,
                     int result_format,
                     int64_t deadline_ms)
{
    *res = NULL;
    if (c->pg == NULL)
        return NW_ERR_DB_UNAVAILABLE;
    int sent =
        values == NULL && nparams == 0 && result_format == 0
            ? PQsendQuery(c->pg, sql)
            : PQsendQueryParams(c->pg, sql, nparams, NULL, values, lengths, formats, result_format);
    nw_err err = NW_ERR_DB_UNAVAILABLE;
    if (sent == 1 && flush_all(c->pg, deadline_ms))
        err = collect(c->pg, res, deadline_ms);
    if (err == NW_ERR_STORE_QUERY && PQstatus(c->pg) != CONNECTION_OK)
        err = NW_ERR_DB_UNAVAILABLE;
    /* A server shutting down answers with class 57 (operator intervention) then closes. */
    if (err == NW_ERR_STORE_QUERY && strncmp(nw_store_sqlstate(*res), "57", 2) == 0)
        err = NW_ERR_DB_UNAVAILABLE;
    if (err == NW_ERR_DB_UNAVAILABLE) {
        PQclear(*res);
        *res = NULL;
        nw_store_disconnect(c);
    }
    return err;
}

const char *nw_store_sqlstate(const PGresult *res)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return st ? st : "";
}

nw_err
nw_store_acquire(struct nw_store *s, struct store_conn **out, bool *reused, int64_t deadline_ms)
{
    struct store_conn *c = NULL;
    struct timespec ts;

    *out = NULL;
    nw_store_abstime(&ts, deadline_ms);
    pthread_mutex_lock(&s->mu);
    for (;;) {
        /* Prefer a connected idle connection. */
        for (int i = 0; i < STORE_POOL && (c == NULL || c->pg == NULL); i++) {
            if (!s->pool[i].busy)
                c = &s->pool[i];
        }
        if (c != NULL)
            break;
        if (pthread_cond_timedwait(&s->pool_cv, &s->mu, &ts) != 0) {
            pthread_mutex_unlock(&s->mu);
            return NW_ERR_DB_UNAVAILABLE;
        }
    }
    c->busy = true;
    pthread_mutex_unlock(&s->mu);

    *reused = nw_store_conn_alive(c);
    if (!*reused) {
        nw_err err = nw_store_connect(s, c, deadline_ms, NULL);
        if (err != NW_OK) {
            nw_store_release(s, c);
            return err;
        }
    }
    *out = c;
    return NW_OK;
}

void nw_store_release(struct nw_store *s, struct store_conn *c)
{
    pthread_mutex_lock(&s->mu);
    c->busy = false;
    pthread_cond_signal(&s->pool_cv);
    pthread_mutex_unlock(&s->mu);
}

nw_err nw_store_with_conn(struct nw_store *s, store_op_fn fn, void *ctx, int64_t deadline_ms)
{
    for (int attempt = 0;; attempt++) {
        struct store_conn *c = NULL;
        bool reused = false;
        NW_TRY(nw_store_acquire(s, &c, &reused, deadline_ms));
        nw_err err = fn(c, ctx, deadline_ms);
        nw_store_release(s, c);
        if (err != NW_ERR_DB_UNAVAILABLE || !reused || attempt > 0 ||
            nw_store_now_ms() >= deadline_ms)
            return err;
    }
}

/* The next result of a pipeline (NULL between statements). Returns false on a lost connection. */
static bool next_result(PGconn *pg, PGresult **r, int64_t deadline_ms)
{
    while (PQisBusy(pg)) {
        if (!wait_fd(PQsocket(pg), POLLIN, deadline_ms) || PQconsumeInput(pg) == 0)
            return false;
    }
    *r = PQgetResult(pg);
    return true;
}

/* Read each statement's results then the Sync; the first failure decides. */
static nw_err read_pipeline(PGconn *pg, int n, int64_t deadline_ms)
{
    nw_err err = NW_OK;
    PGresult *r = NULL;
    for (int i = 0; i < n; i++) {
        for (;;) {
            if (!next_result(pg, &r, deadline_ms))
                return NW_ERR_DB_UNAVAILABLE;
            if (r == NULL)
                break;
            ExecStatusType st = PQresultStatus(r);
            if (err == NW_OK && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
                err = strncmp(nw_store_sqlstate(r), "57", 2) == 0 ? NW_ERR_DB_UNAVAILABLE
                                                                  : NW_ERR_STORE_QUERY;
            PQclear(r);
        }
    }
    if (!next_result(pg, &r, deadline_ms) || r == NULL)
        return NW_ERR_DB_UNAVAILABLE;
    bool synced = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    PQclear(r);
    return synced ? err : NW_ERR_DB_UNAVAILABLE;
}

nw_err nw_store_exec_pipeline(
    struct store_conn *c, const struct store_stmt *stmts, int n, int64_t deadline_ms, bool *sent)
{
    *sent = false;
    if (c->pg == NULL)
        return NW_ERR_DB_UNAVAILABLE;
    bool ok = PQenterPipelineMode(c->pg) == 1;
    for (int i = 0; ok && i < n; i++)
        ok = PQsendQueryParams(c->pg, stmts[i].sql, stmts[i].nparams, NULL, stmts[i].values, NULL,
                               NULL, 0) == 1;
    ok = ok && PQpipelineSync(c->pg) == 1 && flush_all(c->pg, deadline_ms);
    nw_err err = NW_ERR_DB_UNAVAILABLE;
    if (ok) {
        *sent = true;
        err = read_pipeline(c->pg, n, deadline_ms);
    }
    if (err == NW_ERR_DB_UNAVAILABLE || PQstatus(c->pg) != CONNECTION_OK ||
        PQexitPipelineMode(c->pg) != 1) {
        nw_store_disconnect(c);
        return NW_ERR_DB_UNAVAILABLE;
    }
    return err;
}

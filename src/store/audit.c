/*
 * The audit log: one writer thread per store drains a FIFO of rows into nw_audit.
 *
 * required (group commit): a caller queues its row and sleeps until the writer reports its
 * transaction committed. The writer takes everything queued at once (up to AUDIT_BATCH_MAX
 * rows) into one multi-row INSERT and one COMMIT, so while one fsync is under way the next
 * batch gathers: N concurrent signers cost about one commit per round, not N. A caller whose
 * deadline passes leaves: its row is withdrawn if the writer has not taken it yet, else the
 * writer frees it after the transaction (the caller then withholds its signature either way).
 *
 * best_effort: the caller appends (bounded by audit_buffer_rows, else the row is dropped and
 * counted) and returns. The writer commits from the head and pops only what committed, so rows
 * reach the table in arrival order, and a database outage just lets the queue fill.
 *
 * Each batch takes a transaction-scoped advisory lock, then inserts (both pipelined: one round
 * trip, committed at the Sync), so batches from several instances commit one at a time and
 * `seq` order is commit order: a reader never sees seq N committed while a smaller seq is
 * still in flight (what a hash chain over seq order needs).
 */
#include <stdio.h>
#include <string.h>

#include <nw/mem.h>

#include "store_int.h"

/* pg_advisory_xact_lock key for audit appends: "nwauditq" as a big-endian 64-bit integer. */
#define AUDIT_LOCK_KEY "7959938023224341617"
#define AUDIT_FIELDS   11 /* per row, besides the shared instance ($1) */

nw_err nw_audit_mode_parse(enum nw_audit_mode *out, const char *text)
{
    if (strcmp(text, "required") == 0)
        *out = NW_AUDIT_REQUIRED;
    else if (strcmp(text, "best_effort") == 0)
        *out = NW_AUDIT_BEST_EFFORT;
    else if (strcmp(text, "off") == 0)
        *out = NW_AUDIT_OFF;
    else
        return NW_ERR_INVALID_ARG;
    return NW_OK;
}

/* ---- validation: a row that the database would refuse must not poison a shared batch ---- */

static bool terminated(const char *f, size_t cap)
{
    return strnlen(f, cap) < cap;
}

static bool printable(const char *f)
{
    for (; *f != '\0'; f++) {
        if ((unsigned char)*f < 0x20 || (unsigned char)*f > 0x7e)
            return false;
    }
    return true;
}

/* Empty, or prefix + exactly ndigits hex digits (lower case only when lower). */
static bool hexfield(const char *f, size_t ndigits, bool lower)
{
    if (*f == '\0')
        return true;
    if (strlen(f) != 2 + ndigits || f[0] != '0' || f[1] != 'x')
        return false;
    for (size_t i = 2; f[i] != '\0'; i++) {
        char ch = f[i];
        bool ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
                  (!lower && ch >= 'A' && ch <= 'F');
        if (!ok)
            return false;
    }
    return true;
}

/* Empty, or canonical decimal (no sign, no leading zero) of at most 78 digits (2^256-1). */
static bool decimal(const char *f)
{
    size_t n = strlen(f);
    if (n == 0)
        return true;
    if (n > 78 || (f[0] == '0' && n > 1))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (f[i] < '0' || f[i] > '9')
            return false;
    }
    return true;
}

static bool uuid_lower(const char *f)
{
    if (*f == '\0')
        return true;
    if (strlen(f) != NW_KEY_ID_LEN)
        return false;
    for (size_t i = 0; i < NW_KEY_ID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char ch = f[i];
        bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
        if (dash ? ch != '-' : !hex)
            return false;
    }
    return true;
}

#define TERM(f) terminated(row->f, sizeof(row->f))
static nw_err validate(const struct nw_audit_row *row)
{
    NW_ENSURE(TERM(request_id) && TERM(op) && TERM(key_id) && TERM(address) && TERM(chain_id) &&
                  TERM(nonce) && TERM(to_addr) && TERM(value_wei) && TERM(tx_hash) && TERM(outcome),
              NW_ERR_INVALID_ARG);
    NW_ENSURE(row->at_ms >= 0, NW_ERR_INVALID_ARG);
    NW_ENSURE(row->op[0] != '\0' && row->outcome[0] != '\0', NW_ERR_INVALID_ARG);
    NW_ENSURE(printable(row->request_id) && printable(row->op) && printable(row->outcome),
              NW_ERR_INVALID_ARG);
    NW_ENSURE(uuid_lower(row->key_id), NW_ERR_INVALID_ARG);
    NW_ENSURE(hexfield(row->address, 40, false) && hexfield(row->to_addr, 40, false),
              NW_ERR_INVALID_ARG);
    NW_ENSURE(hexfield(row->tx_hash, 64, false), NW_ERR_INVALID_ARG);
    NW_ENSURE(decimal(row->chain_id) && decimal(row->nonce) && decimal(row->value_wei),
              NW_ERR_INVALID_ARG);
    return NW_OK;
}
#undef TERM

/* ---- canonical bytes ---- */

static nw_err put_be(struct nw_buf *out, uint64_t v, size_t n)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return nw_buf_append(out, b, n);
}

static nw_err put_field(struct nw_buf *out, const char *f, size_t cap)
{
    size_t n = strnlen(f, cap);
    NW_ENSURE(n < cap, NW_ERR_INVALID_ARG);
    NW_TRY(put_be(out, n, 4));
    return nw_buf_append(out, f, n);
}

nw_err nw_audit_row_canonical(struct nw_buf *out,
                              uint64_t seq,
                              const char *instance,
                              const struct nw_audit_row *row)
{
    nw_err err = NW_OK;
    out->len = 0;
    NW_CHECK(put_be(out, seq, 8));
    NW_CHECK(put_field(out, instance, strlen(instance) + 1));
    NW_CHECK(put_be(out, 8, 4));
    NW_CHECK(put_be(out, (uint64_t)row->at_ms, 8));
#define F(f) NW_CHECK(put_field(out, row->f, sizeof(row->f)))
    F(request_id);
    F(op);
    F(key_id);
    F(address);
    F(chain_id);
    F(nonce);
    F(to_addr);
    F(value_wei);
    F(tx_hash);
    F(outcome);
#undef F
out:
    if (err != NW_OK)
        out->len = 0;
    return err;
}

/* ---- the writer ---- */

/* The INSERT for n rows: $1 is the instance, then AUDIT_FIELDS parameters per row. */
static nw_err build_insert(struct nw_buf *sql, size_t n)
{
    NW_TRY(nw_buf_append_str(sql, "INSERT INTO nw_audit (at, instance, request_id, op, key_id,"
                                  " address, chain_id, nonce, to_addr, value_wei, tx_hash,"
                                  " outcome) VALUES "));
    for (size_t i = 0; i < n; i++) {
        size_t p = 2 + i * AUDIT_FIELDS;
        NW_TRY(nw_buf_appendf(sql,
                              "%s('epoch'::timestamptz + $%zu::int8 * interval '1 millisecond',"
                              " $1, $%zu, $%zu, $%zu::uuid, $%zu, $%zu::numeric, $%zu::numeric,"
                              " $%zu, $%zu::numeric, $%zu, $%zu)",
                              i ? "," : "", p, p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7,
                              p + 8, p + 9, p + 10));
    }
    return nw_buf_cstr(sql);
}

static const char *or_null(const char *f)
{
    return *f == '\0' ? NULL : f;
}

/*
 * One transaction for n rows, in one round trip: the lock and the INSERT pipelined, committed
 * at the Sync. *sent false means nothing reached the server, so nothing can have committed.
 */
static nw_err
commit_batch(struct nw_store *s, struct audit_entry **e, size_t n, int64_t deadline, bool *sent)
{
    struct nw_buf sql;
    char at[AUDIT_BATCH_MAX][24];
    const char *v[1 + AUDIT_BATCH_MAX * AUDIT_FIELDS];

    *sent = false;
    nw_buf_init(&sql, 1 << 20, false);
    nw_err err = build_insert(&sql, n);
    v[0] = s->instance;
    for (size_t i = 0; i < n && err == NW_OK; i++) {
        const struct nw_audit_row *r = &e[i]->row;
        const char **p = &v[1 + i * AUDIT_FIELDS];
        (void)snprintf(at[i], sizeof(at[i]), "%lld", (long long)r->at_ms); /* fits */
        p[0] = at[i];
        p[1] = or_null(r->request_id);
        p[2] = r->op;
        p[3] = or_null(r->key_id);
        p[4] = or_null(r->address);
        p[5] = or_null(r->chain_id);
        p[6] = or_null(r->nonce);
        p[7] = or_null(r->to_addr);
        p[8] = or_null(r->value_wei);
        p[9] = or_null(r->tx_hash);
        p[10] = r->outcome;
    }
    if (err == NW_OK) {
        const struct store_stmt stmts[2] = {
            {"SELECT pg_advisory_xact_lock(" AUDIT_LOCK_KEY ")", 0, NULL},
            {(const char *)sql.ptr, (int)(1 + n * AUDIT_FIELDS), v},
        };
        err = nw_store_exec_pipeline(&s->a_conn, stmts, 2, deadline, sent);
    }
    nw_buf_clear(&sql);
    return err;
}

/* Called with amu held: pop the first n entries and settle them with result. */
static void settle(struct nw_store *s, size_t n, nw_err result)
{
    for (size_t i = 0; i < n && s->a_head != NULL; i++) {
        struct audit_entry *e = s->a_head;
        s->a_head = e->next;
        if (s->a_head == NULL)
            s->a_tail = NULL;
        s->a_count--;
        if (s->audit_mode == NW_AUDIT_BEST_EFFORT || e->abandoned) {
            if (result != NW_OK)
                s->a_dropped += s->audit_mode == NW_AUDIT_BEST_EFFORT;
            nw_free(e);
        } else {
            e->result = result;
            e->done = true;
        }
    }
    pthread_cond_broadcast(&s->a_done);
}

static int64_t writer_deadline(struct nw_store *s, int64_t bound_ms)
{
    int64_t d = nw_store_now_ms() + bound_ms;
    return s->a_stopping && s->a_stop_deadline < d ? s->a_stop_deadline : d;
}

/* Called with amu held; drops it while talking to the database. */
static void write_once(struct nw_store *s)
{
    struct audit_entry *batch[AUDIT_BATCH_MAX];
    size_t n = 0;
    int64_t deadline = writer_deadline(s, AUDIT_COMMIT_MS);
    int64_t cdeadline = writer_deadline(s, s->connect_timeout_ms);

    for (struct audit_entry *e = s->a_head; e != NULL && n < AUDIT_BATCH_MAX; e = e->next) {
        e->taken = true;
        batch[n++] = e;
    }
    pthread_mutex_unlock(&s->amu);
    nw_err err = NW_OK;
    bool sent = false;
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = nw_store_conn_alive(&s->a_conn);
        err = reused ? NW_OK : nw_store_connect(s, &s->a_conn, cdeadline, NULL);
        if (err == NW_OK)
            err = commit_batch(s, batch, n, deadline, &sent);
        /* Only a dead reused connection that sent nothing is worth an immediate retry. */
        if (err != NW_ERR_DB_UNAVAILABLE || !reused || sent)
            break;
    }
    pthread_mutex_lock(&s->amu);
    if (err == NW_OK) {
        s->a_committed += n;
        s->a_commits++;
        settle(s, n, NW_OK);
        return;
    }
    if (s->audit_mode == NW_AUDIT_REQUIRED || err != NW_ERR_DB_UNAVAILABLE) {
        settle(s, n, err == NW_ERR_DB_UNAVAILABLE ? err : NW_ERR_STORE_QUERY);
        return;
    }
    /* best_effort and the database is away: keep the rows, wait for the next attempt. */
    for (size_t i = 0; i < n; i++)
        batch[i]->taken = false;
    pthread_mutex_lock(&s->mu);
    int64_t retry = s->retry_at_ms;
    pthread_mutex_unlock(&s->mu);
    int64_t wake = nw_store_now_ms() + STORE_BACKOFF_MIN;
    if (retry > wake)
        wake = retry;
    if (s->a_stopping && wake > s->a_stop_deadline)
        wake = s->a_stop_deadline;
    struct timespec ts;
    nw_store_abstime(&ts, wake);
    while (!s->a_stopping && nw_store_now_ms() < wake)
        pthread_cond_timedwait(&s->a_work, &s->amu, &ts);
}

static void *writer_main(void *arg)
{
    struct nw_store *s = arg;
    pthread_mutex_lock(&s->amu);
    for (;;) {
        while (s->a_head == NULL && !s->a_stopping)
            pthread_cond_wait(&s->a_work, &s->amu);
        if (s->a_head == NULL || (s->a_stopping && nw_store_now_ms() >= s->a_stop_deadline))
            break;
        write_once(s);
    }
    /* Stopping with rows left (the database stayed away past the flush bound). */
    size_t left = s->a_count;
    settle(s, left, NW_ERR_DB_UNAVAILABLE);
    pthread_mutex_unlock(&s->amu);
    nw_store_disconnect(&s->a_conn);
    return NULL;
}

nw_err nw_store_audit_start(struct nw_store *s)
{
    if (s->audit_mode == NW_AUDIT_OFF)
        return NW_OK;
    if (pthread_create(&s->a_writer, NULL, writer_main, s) != 0)
        return NW_ERR_NOMEM;
    s->a_writer_started = true;
    return NW_OK;
}

void nw_store_audit_stop(struct nw_store *s)
{
    if (!s->a_writer_started)
        return;
    pthread_mutex_lock(&s->amu);
    s->a_stopping = true;
    s->a_stop_deadline = nw_store_now_ms() + AUDIT_FLUSH_MS;
    pthread_cond_broadcast(&s->a_work);
    pthread_mutex_unlock(&s->amu);
    pthread_join(s->a_writer, NULL);
    s->a_writer_started = false;
}

/* ---- callers ---- */

static void unlink_entry(struct nw_store *s, struct audit_entry *e)
{
    struct audit_entry **pp = &s->a_head;
    struct audit_entry *prev = NULL;
    while (*pp != NULL && *pp != e) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp == NULL)
        return;
    *pp = e->next;
    if (s->a_tail == e)
        s->a_tail = prev;
    s->a_count--;
}

static void enqueue(struct nw_store *s, struct audit_entry *e)
{
    if (s->a_tail != NULL)
        s->a_tail->next = e;
    else
        s->a_head = e;
    s->a_tail = e;
    s->a_count++;
    pthread_cond_signal(&s->a_work);
}

static nw_err audit_required(struct nw_store *s, struct audit_entry *e, int64_t deadline_ms)
{
    struct timespec ts;
    nw_store_abstime(&ts, deadline_ms);
    pthread_mutex_lock(&s->amu);
    if (s->a_stopping) {
        pthread_mutex_unlock(&s->amu);
        nw_free(e);
        return NW_ERR_DB_UNAVAILABLE;
    }
    enqueue(s, e);
    while (!e->done && nw_store_now_ms() < deadline_ms)
        pthread_cond_timedwait(&s->a_done, &s->amu, &ts);
    nw_err err = e->result;
    bool own = true;
    if (!e->done) {
        pthread_mutex_lock(&s->mu);
        err = s->down ? NW_ERR_DB_UNAVAILABLE : NW_ERR_DEADLINE_EXCEEDED;
        pthread_mutex_unlock(&s->mu);
        if (e->taken) {
            e->abandoned = true;
            own = false;
        } else {
            unlink_entry(s, e);
        }
    }
    pthread_mutex_unlock(&s->amu);
    if (own)
        nw_free(e);
    return err;
}

nw_err nw_store_audit(struct nw_store *s, const struct nw_audit_row *row, int64_t deadline_ms)
{
    NW_TRY(validate(row));
    if (s->audit_mode == NW_AUDIT_OFF)
        return NW_OK;
    struct audit_entry *e = nw_calloc(1, sizeof(*e));
    if (e == NULL)
        return NW_ERR_NOMEM;
    e->row = *row;
    if (s->audit_mode == NW_AUDIT_REQUIRED)
        return audit_required(s, e, deadline_ms);

    pthread_mutex_lock(&s->amu);
    if (s->a_count >= s->audit_cap || s->a_stopping) {
        s->a_dropped++;
        pthread_mutex_unlock(&s->amu);
        nw_free(e);
        return NW_OK;
    }
    enqueue(s, e);
    pthread_mutex_unlock(&s->amu);
    return NW_OK;
}

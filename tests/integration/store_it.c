/*
 * libnwstore against a real PostgreSQL 15 with TLS (started by tests/lib/pgtest.sh through
 * store_run.sh, which exports NW_PG_*). One case per run: store_it CASE.
 *
 * The nw role's password is replaced by a canary at the start of every case; every diag message
 * the library produces is checked for it.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nw/buf.h>
#include <nw/store.h>

#define CANARY "CanaryPw-7f3e9b21d4c85a60-nitro"

static int failures;

#define CHECK(cond)                                                         \
 do {                                                                       \
  if (!(cond)) {                                                            \
   fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
   failures++;                                                              \
  }                                                                         \
 } while (0)
#define CHECK_ERR(expr, want)                                                     \
 do {                                                                             \
  nw_err got_ = (expr);                                                           \
  if (got_ != (want)) {                                                           \
   fprintf(stderr, "%s:%d: %s returned %s, want %s\n", __FILE__, __LINE__, #expr, \
           nw_err_name(got_), nw_err_name(want));                                 \
   failures++;                                                                    \
  }                                                                               \
 } while (0)

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL) {
        fprintf(stderr, "%s not set (run through store_run.sh)\n", name);
        exit(1);
    }
    return v;
}

/* Every diag the library gave us goes through here. */
static void check_diag(const struct nw_diag *d)
{
    if (d->msg[0] != '\0')
        fprintf(stderr, "  diag: %s: %s\n", nw_err_name(d->code), d->msg);
    CHECK(strstr(d->msg, CANARY) == NULL);
    CHECK(strstr(d->msg, "CanaryPw") == NULL);
}

static void pgtest(const char *cmd)
{
    char line[1024];
    snprintf(line, sizeof(line), "'%s' %s '%s' >/dev/null", env("NW_PGTEST"), cmd,
             env("NW_PG_DIR"));
    if (system(line) != 0) {
        fprintf(stderr, "pgtest.sh %s failed\n", cmd);
        exit(1);
    }
}

static struct nw_store_config base_config(enum nw_audit_mode mode, const char *instance)
{
    struct nw_store_config c = {
        .host = env("NW_PG_HOST"),
        .hostaddr = env("NW_PG_HOSTADDR"),
        .port = (uint16_t)atoi(env("NW_PG_PORT")),
        .dbname = env("NW_PG_DB"),
        .user = env("NW_PG_USER"),
        .password = CANARY,
        .sslrootcert = env("NW_PG_CA"),
        .connect_timeout_ms = 3000,
        .audit_mode = mode,
        .instance = instance,
    };
    return c;
}

static struct nw_store *open_store(enum nw_audit_mode mode, const char *instance)
{
    struct nw_store_config c = base_config(mode, instance);
    struct nw_store *s = NULL;
    struct nw_diag d = {0};
    nw_err err = nw_store_open(&s, &c, &d);
    check_diag(&d);
    if (err != NW_OK) {
        fprintf(stderr, "nw_store_open: %s\n", nw_err_name(err));
        exit(1);
    }
    return s;
}

/* A direct connection as the nw role (TLS verify-full), for checks behind the library's back. */
static PGconn *direct(void)
{
    const char *kw[] = {"host",     "hostaddr", "port",        "dbname", "user",
                        "password", "sslmode",  "sslrootcert", NULL};
    const char *val[] = {env("NW_PG_HOST"), env("NW_PG_HOSTADDR"), env("NW_PG_PORT"),
                         env("NW_PG_DB"),   env("NW_PG_USER"),     CANARY,
                         "verify-full",     env("NW_PG_CA"),       NULL};
    PGconn *pg = PQconnectdbParams(kw, val, 0);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "direct connection failed\n");
        exit(1);
    }
    return pg;
}

static long query_long(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    long v = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    else
        fprintf(stderr, "query failed: %s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    return v;
}

static void fill_row(struct nw_audit_row *r, const char *op, const char *request_id)
{
    memset(r, 0, sizeof(*r));
    r->at_ms = wall_ms();
    snprintf(r->request_id, sizeof(r->request_id), "%s", request_id);
    snprintf(r->op, sizeof(r->op), "%s", op);
    snprintf(r->chain_id, sizeof(r->chain_id), "1");
    snprintf(r->nonce, sizeof(r->nonce), "7");
    snprintf(r->to_addr, sizeof(r->to_addr), "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    snprintf(r->value_wei, sizeof(r->value_wei),
             "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    snprintf(r->outcome, sizeof(r->outcome), "ok");
}

/* ---- cases ---- */

static int child_open(void)
{
    struct nw_store_config c = base_config(NW_AUDIT_OFF, "child");
    struct nw_store *s = NULL;
    struct nw_diag d = {0};
    nw_err err = nw_store_open(&s, &c, &d);
    if (err != NW_OK)
        fprintf(stderr, "child %d: %s: %s\n", (int)getpid(), nw_err_name(err), d.msg);
    nw_store_free(s);
    return err == NW_OK ? 0 : 1;
}

static void case_migrate(void)
{
    /* Two processes migrate the fresh database at the same moment. */
    int64_t go = wall_ms() + 300;
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            while (wall_ms() < go)
                usleep(1000);
            _exit(child_open());
        }
    }
    for (int i = 0; i < 2; i++) {
        int st = 0;
        CHECK(waitpid(kids[i], &st, 0) == kids[i]);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    PGconn *pg = direct();
    CHECK(query_long(pg, "SELECT count(*) FROM nw_schema_version") == 2);
    CHECK(query_long(pg, "SELECT max(version) FROM nw_schema_version") == 2);
    /* Idempotent: opening again migrates nothing and changes nothing. */
    struct nw_store *s = open_store(NW_AUDIT_OFF, "again");
    nw_store_free(s);
    CHECK(query_long(pg, "SELECT count(*) FROM nw_schema_version") == 2);
    CHECK(query_long(pg, "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'nw_%'") == 3);
    /* A database newer than this build is refused with the migrate code. */
    PQclear(PQexec(pg, "INSERT INTO nw_schema_version VALUES (999)"));
    struct nw_store_config c = base_config(NW_AUDIT_OFF, "old");
    struct nw_diag d = {0};
    CHECK_ERR(nw_store_open(&s, &c, &d), NW_ERR_STORE_MIGRATE);
    check_diag(&d);
    CHECK(s == NULL);
    PQfinish(pg);
}

static void make_key(struct nw_key_row *k, int i)
{
    static uint8_t ct[3][40];
    memset(k, 0, sizeof(*k));
    snprintf(k->id, sizeof(k->id), "0000000%d-1111-4222-8333-44444444444%d", i, i);
    snprintf(k->address, sizeof(k->address), "0x%040d", i);
    for (size_t j = 0; j < sizeof(ct[i]); j++)
        ct[i][j] = (uint8_t)(j * 7 + (size_t)i); /* includes 0x00 bytes */
    k->ciphertext = ct[i];
    k->ciphertext_len = sizeof(ct[i]);
    snprintf(k->kms_key_arn, sizeof(k->kms_key_arn), "arn:aws:kms:us-east-1:111122223333:key/k%d",
             i);
    snprintf(k->label, sizeof(k->label), "label %d", i);
    k->created_ms = i == 2 ? 0 : wall_ms() - 10000 + i;
}

static void case_keys(void)
{
    struct nw_store *s = open_store(NW_AUDIT_OFF, "keys");
    int64_t dl = now_ms() + 10000;
    struct nw_key_row k[3], got = {0};
    for (int i = 0; i < 3; i++) {
        make_key(&k[i], i);
        CHECK_ERR(nw_store_key_insert(s, &k[i], dl), NW_OK);
    }
    /* Duplicate id; duplicate address under another id. */
    CHECK_ERR(nw_store_key_insert(s, &k[0], dl), NW_ERR_EXISTS);
    struct nw_key_row dup = k[1];
    snprintf(dup.id, sizeof(dup.id), "99999999-1111-4222-8333-444444444444");
    CHECK_ERR(nw_store_key_insert(s, &dup, dl), NW_ERR_EXISTS);
    /* Bad input. */
    dup = k[1];
    snprintf(dup.id, sizeof(dup.id), "not-a-uuid");
    CHECK_ERR(nw_store_key_insert(s, &dup, dl), NW_ERR_INVALID_ARG);
    dup = k[1];
    snprintf(dup.address, sizeof(dup.address), "0x12");
    CHECK_ERR(nw_store_key_insert(s, &dup, dl), NW_ERR_INVALID_ARG);

    CHECK_ERR(nw_store_key_get(s, &got, "00000001-1111-4222-8333-444444444441", dl), NW_OK);
    CHECK(strcmp(got.address, k[1].address) == 0);
    CHECK(got.ciphertext_len == k[1].ciphertext_len &&
          memcmp(got.ciphertext, k[1].ciphertext, got.ciphertext_len) == 0);
    CHECK(strcmp(got.kms_key_arn, k[1].kms_key_arn) == 0 && strcmp(got.label, "label 1") == 0);
    CHECK(got.created_ms == k[1].created_ms && got.disabled_ms == 0);
    nw_key_row_clear(&got);
    /* Upper-case id and address are found too. */
    CHECK_ERR(nw_store_key_get(s, &got, "00000001-1111-4222-8333-444444444441", dl), NW_OK);
    nw_key_row_clear(&got);
    const char *upper = "0X0000000000000000000000000000000000000002";
    CHECK_ERR(nw_store_key_by_address(s, &got, upper, dl), NW_ERR_INVALID_ARG);
    upper = "0x000000000000000000000000000000000000000A";
    struct nw_key_row ka = k[2];
    snprintf(ka.id, sizeof(ka.id), "AAAAAAAA-1111-4222-8333-44444444444A");
    snprintf(ka.address, sizeof(ka.address), "0x000000000000000000000000000000000000000a");
    CHECK_ERR(nw_store_key_insert(s, &ka, dl), NW_OK);
    CHECK_ERR(nw_store_key_by_address(s, &got, upper, dl), NW_OK);
    CHECK(strcmp(got.id, "aaaaaaaa-1111-4222-8333-44444444444a") == 0);
    CHECK(got.created_ms > 0);
    nw_key_row_clear(&got);
    CHECK_ERR(nw_store_key_get(s, &got, "AAAAAAAA-1111-4222-8333-44444444444A", dl), NW_OK);
    nw_key_row_clear(&got);

    /* Not found, bad id. */
    CHECK_ERR(nw_store_key_get(s, &got, "12345678-1111-4222-8333-444444444444", dl),
              NW_ERR_KEY_NOT_FOUND);
    CHECK(got.ciphertext == NULL);
    CHECK_ERR(nw_store_key_by_address(s, &got, "0x00000000000000000000000000000000000000ff", dl),
              NW_ERR_KEY_NOT_FOUND);
    CHECK_ERR(nw_store_key_get(s, &got, "1234", dl), NW_ERR_INVALID_ARG);
    CHECK_ERR(nw_store_key_get(s, &got, "12345678-1111-4222-8333-44444444444g", dl),
              NW_ERR_INVALID_ARG);
    CHECK_ERR(nw_store_key_disable(s, "12345678-1111-4222-8333-444444444444", dl),
              NW_ERR_KEY_NOT_FOUND);

    /* Disable (idempotent), list with and without disabled keys. */
    CHECK_ERR(nw_store_key_disable(s, k[0].id, dl), NW_OK);
    CHECK_ERR(nw_store_key_get(s, &got, k[0].id, dl), NW_OK);
    int64_t first = got.disabled_ms;
    CHECK(first > 0);
    nw_key_row_clear(&got);
    CHECK_ERR(nw_store_key_disable(s, k[0].id, dl), NW_OK);
    CHECK_ERR(nw_store_key_get(s, &got, k[0].id, dl), NW_OK);
    CHECK(got.disabled_ms == first);
    nw_key_row_clear(&got);

    struct nw_key_row *rows = NULL;
    size_t n = 0;
    CHECK_ERR(nw_store_key_list(s, &rows, &n, false, 100, dl), NW_OK);
    CHECK(n == 3);
    for (size_t i = 0; i < n; i++)
        CHECK(rows[i].disabled_ms == 0 && strcmp(rows[i].id, k[0].id) != 0);
    if (n == 3)
        CHECK(strcmp(rows[0].id, k[1].id) == 0); /* by created time: k1 (old), then k2, ka */
    nw_key_rows_free(rows, n);
    CHECK_ERR(nw_store_key_list(s, &rows, &n, true, 100, dl), NW_OK);
    CHECK(n == 4);
    if (n == 4)
        CHECK(strcmp(rows[3].id, k[0].id) == 0 && rows[3].disabled_ms > 0); /* disabled last */
    nw_key_rows_free(rows, n);
    CHECK_ERR(nw_store_key_list(s, &rows, &n, true, 2, dl), NW_OK);
    CHECK(n == 2);
    nw_key_rows_free(rows, n);
    nw_store_free(s);
}

struct worker {
    struct nw_store *s;
    int id;
    int rows;
    int errors;
};

static void *audit_worker(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < w->rows; i++) {
        struct nw_audit_row r;
        char rid[40];
        snprintf(rid, sizeof(rid), "t%02d-%04d", w->id, i);
        fill_row(&r, "sign_transaction", rid);
        if (nw_store_audit(w->s, &r, now_ms() + 10000) != NW_OK)
            w->errors++;
    }
    return NULL;
}

static double run_threads(struct nw_store *s, int nthreads, int per_thread, int *errors)
{
    pthread_t t[64];
    struct worker w[64];
    int64_t t0 = now_ms();
    for (int i = 0; i < nthreads; i++) {
        w[i] = (struct worker){s, i, per_thread, 0};
        pthread_create(&t[i], NULL, audit_worker, &w[i]);
    }
    *errors = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(t[i], NULL);
        *errors += w[i].errors;
    }
    int64_t dt = now_ms() - t0;
    return (double)nthreads * per_thread * 1000.0 / (double)(dt > 0 ? dt : 1);
}

static void case_audit_required(void)
{
    struct nw_store *s = open_store(NW_AUDIT_REQUIRED, "req");
    int errors = 0;
    double rate = run_threads(s, 16, 100, &errors);
    struct nw_store_stats st;
    nw_store_stats(s, &st);
    fprintf(stderr,
            "required, 16 threads: %llu rows in %llu commits (%.1f rows/commit), %.0f rows/s\n",
            (unsigned long long)st.audit_committed, (unsigned long long)st.audit_commits,
            st.audit_commits ? (double)st.audit_committed / (double)st.audit_commits : 0.0, rate);
    CHECK(errors == 0);
    CHECK(st.audit_committed == 1600);
    CHECK(st.audit_commits > 0 && st.audit_commits < st.audit_committed);
    CHECK(st.connected);
    PGconn *pg = direct();
    CHECK(query_long(pg, "SELECT count(*) FROM nw_audit WHERE instance = 'req'") == 1600);
    CHECK(query_long(pg, "SELECT count(DISTINCT request_id) FROM nw_audit") == 1600);
    /* Per thread, rows appear in call order (seq increases with i). */
    CHECK(query_long(pg, "SELECT count(*) FROM (SELECT request_id, seq, lag(request_id) OVER"
                         " (PARTITION BY substr(request_id, 1, 3) ORDER BY seq) AS prev FROM"
                         " nw_audit) x WHERE prev > request_id") == 0);
    /* Values survive exactly, NULLs stay NULL. */
    CHECK(query_long(pg, "SELECT count(*) FROM nw_audit WHERE value_wei = 2::numeric ^ 256 - 1"
                         " AND key_id IS NULL AND tx_hash IS NULL AND chain_id = 1") == 1600);

    /* Invalid rows are refused before they can spoil a shared batch. */
    struct nw_audit_row r;
    fill_row(&r, "sign_transaction", "bad");
    snprintf(r.nonce, sizeof(r.nonce), "007");
    CHECK_ERR(nw_store_audit(s, &r, now_ms() + 1000), NW_ERR_INVALID_ARG);
    fill_row(&r, "sign_transaction", "bad");
    snprintf(r.key_id, sizeof(r.key_id), "not-a-uuid");
    CHECK_ERR(nw_store_audit(s, &r, now_ms() + 1000), NW_ERR_INVALID_ARG);
    fill_row(&r, "sign_transaction", "bad\n");
    CHECK_ERR(nw_store_audit(s, &r, now_ms() + 1000), NW_ERR_INVALID_ARG);
    fill_row(&r, "", "bad");
    CHECK_ERR(nw_store_audit(s, &r, now_ms() + 1000), NW_ERR_INVALID_ARG);
    fill_row(&r, "sign_transaction", "bad");
    memset(r.tx_hash, 'a', sizeof(r.tx_hash));
    CHECK_ERR(nw_store_audit(s, &r, now_ms() + 1000), NW_ERR_INVALID_ARG);

    /* The canonical bytes of a stored row can be rebuilt from the table. */
    fill_row(&r, "sign_message", "canon-1");
    snprintf(r.key_id, sizeof(r.key_id), "00000001-1111-4222-8333-444444444441");
    snprintf(r.tx_hash, sizeof(r.tx_hash), "0x%064d", 5);
    CHECK_ERR(nw_store_audit(s, &r, now_ms() + 5000), NW_OK);
    long seq = query_long(pg, "SELECT seq FROM nw_audit WHERE request_id = 'canon-1'");
    long at = query_long(pg, "SELECT floor(extract(epoch FROM at) * 1000)::int8 FROM nw_audit"
                             " WHERE request_id = 'canon-1'");
    CHECK(seq > 1600 && at == r.at_ms);
    struct nw_buf b;
    nw_buf_init(&b, 4096, false);
    CHECK_ERR(nw_audit_row_canonical(&b, (uint64_t)seq, "req", &r), NW_OK);
    CHECK(b.len == 8 + 4 + 3 + 4 + 8 + 10 * 4 + strlen("canon-1") + strlen("sign_message") + 36 +
                       0 + 1 + 1 + 42 + 78 + 66 + 2);
    nw_buf_clear(&b);
    PQfinish(pg);
    nw_store_free(s);
}

static void case_db_down(void)
{
    struct nw_store *s = open_store(NW_AUDIT_REQUIRED, "down");
    struct nw_key_row k, got = {0};
    make_key(&k, 1);
    CHECK_ERR(nw_store_key_insert(s, &k, now_ms() + 5000), NW_OK);
    struct nw_audit_row r;
    fill_row(&r, "sign_transaction", "before");
    CHECK_ERR(nw_store_audit(s, &r, now_ms() + 5000), NW_OK);

    pgtest("down");
    for (int i = 0; i < 3; i++) {
        int64_t t0 = now_ms();
        nw_err err = nw_store_key_get(s, &got, k.id, t0 + 1500);
        int64_t dt = now_ms() - t0;
        CHECK_ERR(err, NW_ERR_DB_UNAVAILABLE);
        CHECK(dt <= 1500 + 200);
        t0 = now_ms();
        fill_row(&r, "sign_transaction", "during");
        err = nw_store_audit(s, &r, t0 + 1500);
        dt = now_ms() - t0;
        CHECK(err == NW_ERR_DB_UNAVAILABLE || err == NW_ERR_DEADLINE_EXCEEDED);
        CHECK(dt <= 1500 + 200);
        fprintf(stderr, "  down: audit answered %s in %lld ms\n", nw_err_name(err), (long long)dt);
    }
    struct nw_store_stats st;
    nw_store_stats(s, &st);
    CHECK(!st.connected);
    /* Opening while the database is down: a clear error, the canary nowhere. */
    struct nw_store_config c = base_config(NW_AUDIT_REQUIRED, "x");
    struct nw_store *s2 = NULL;
    struct nw_diag d = {0};
    CHECK_ERR(nw_store_open(&s2, &c, &d), NW_ERR_DB_UNAVAILABLE);
    check_diag(&d);
    CHECK(strstr(d.msg, "cannot connect") != NULL);

    pgtest("up");
    /* Back by itself, same store object, within the backoff bound. */
    int64_t t0 = now_ms();
    nw_err err = NW_ERR_DB_UNAVAILABLE;
    while (err != NW_OK && now_ms() - t0 < 15000) {
        err = nw_store_key_get(s, &got, k.id, now_ms() + 2000);
        if (err != NW_OK)
            usleep(100 * 1000);
    }
    CHECK_ERR(err, NW_OK);
    fprintf(stderr, "  recovered %lld ms after the server was up\n", (long long)(now_ms() - t0));
    nw_key_row_clear(&got);
    fill_row(&r, "sign_transaction", "after");
    CHECK_ERR(nw_store_audit(s, &r, now_ms() + 5000), NW_OK);
    nw_store_stats(s, &st);
    CHECK(st.connected && st.reconnects >= 1);
    PGconn *pg = direct();
    CHECK(query_long(pg, "SELECT count(*) FROM nw_audit WHERE request_id IN ('before','after')") ==
          2);
    PQfinish(pg);
    nw_store_free(s);
}

static void wait_queued_zero(struct nw_store *s, int64_t bound_ms)
{
    struct nw_store_stats st;
    int64_t t0 = now_ms();
    do {
        nw_store_stats(s, &st);
        if (st.audit_queued == 0)
            return;
        usleep(50 * 1000);
    } while (now_ms() - t0 < bound_ms);
}

static void case_best_effort(void)
{
    struct nw_store_config c = base_config(NW_AUDIT_BEST_EFFORT, "be");
    c.audit_buffer_rows = 100;
    struct nw_store *s = NULL;
    struct nw_diag d = {0};
    CHECK_ERR(nw_store_open(&s, &c, &d), NW_OK);
    check_diag(&d);
    if (s == NULL)
        return;
    struct nw_audit_row r;
    char rid[32];
    fill_row(&r, "sign_transaction", "warm");
    CHECK_ERR(nw_store_audit(s, &r, now_ms() + 1000), NW_OK);
    wait_queued_zero(s, 5000);

    pgtest("down");
    for (int i = 0; i < 150; i++) {
        snprintf(rid, sizeof(rid), "r%03d", i);
        fill_row(&r, "sign_transaction", rid);
        int64_t t0 = now_ms();
        CHECK_ERR(nw_store_audit(s, &r, t0 + 1000), NW_OK);
        CHECK(now_ms() - t0 < 100); /* never waits for the database */
    }
    struct nw_store_stats st;
    nw_store_stats(s, &st);
    fprintf(stderr, "  down: queued %llu dropped %llu\n", (unsigned long long)st.audit_queued,
            (unsigned long long)st.audit_dropped);
    CHECK(st.audit_dropped == 50);
    CHECK(st.audit_queued == 100);
    pgtest("up");
    wait_queued_zero(s, 15000);
    nw_store_stats(s, &st);
    CHECK(st.audit_queued == 0 && st.audit_committed == 101);

    /* In order: r000..r099, by seq. */
    PGconn *pg = direct();
    PGresult *res = PQexec(pg, "SELECT request_id FROM nw_audit WHERE request_id LIKE 'r%'"
                               " ORDER BY seq");
    CHECK(PQntuples(res) == 100);
    for (int i = 0; i < PQntuples(res); i++) {
        snprintf(rid, sizeof(rid), "r%03d", i);
        CHECK(strcmp(PQgetvalue(res, i, 0), rid) == 0);
    }
    PQclear(res);

    /* Flush on free: rows queued just before nw_store_free all land. */
    for (int i = 0; i < 60; i++) {
        snprintf(rid, sizeof(rid), "f%03d", i);
        fill_row(&r, "sign_message", rid);
        CHECK_ERR(nw_store_audit(s, &r, now_ms() + 1000), NW_OK);
    }
    nw_store_free(s);
    CHECK(query_long(pg, "SELECT count(*) FROM nw_audit WHERE request_id LIKE 'f%'") == 60);
    PQfinish(pg);
}

static void case_off(void)
{
    struct nw_store *s = open_store(NW_AUDIT_OFF, "off");
    struct nw_audit_row r;
    for (int i = 0; i < 20; i++) {
        fill_row(&r, "sign_transaction", "off");
        CHECK_ERR(nw_store_audit(s, &r, now_ms() + 1000), NW_OK);
    }
    struct nw_store_stats st;
    nw_store_stats(s, &st);
    CHECK(st.audit_committed == 0 && st.audit_queued == 0 && st.audit_dropped == 0);
    nw_store_free(s);
    PGconn *pg = direct();
    CHECK(query_long(pg, "SELECT count(*) FROM nw_audit") == 0);
    PQfinish(pg);
}

static void expect_refused(PGconn *pg, const char *sql)
{
    PGresult *res = PQexec(pg, sql);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    CHECK(PQresultStatus(res) == PGRES_FATAL_ERROR);
    CHECK(state != NULL && strcmp(state, "42501") == 0);
    CHECK(strstr(PQresultErrorMessage(res), "append-only") != NULL);
    PQclear(res);
}

static void case_append_only(void)
{
    struct nw_store *s = open_store(NW_AUDIT_REQUIRED, "ao");
    struct nw_audit_row r;
    fill_row(&r, "sign_transaction", "keep");
    CHECK_ERR(nw_store_audit(s, &r, now_ms() + 5000), NW_OK);
    nw_store_free(s);
    PGconn *pg = direct();
    expect_refused(pg, "UPDATE nw_audit SET outcome = 'forged'");
    expect_refused(pg, "DELETE FROM nw_audit");
    expect_refused(pg, "TRUNCATE nw_audit");
    CHECK(query_long(pg, "SELECT count(*) FROM nw_audit WHERE outcome = 'ok'") == 1);
    PQfinish(pg);
}

static void expect_open_fails(struct nw_store_config *c, const char *needle)
{
    struct nw_store *s = NULL;
    struct nw_diag d = {0};
    int64_t t0 = now_ms();
    CHECK_ERR(nw_store_open(&s, c, &d), NW_ERR_DB_UNAVAILABLE);
    CHECK(now_ms() - t0 < 5000);
    check_diag(&d);
    CHECK(s == NULL);
    if (strstr(d.msg, needle) == NULL) {
        fprintf(stderr, "diag lacks \"%s\"\n", needle);
        failures++;
    }
}

static void case_tls(void)
{
    /* verify-full, hostaddr 127.0.0.1, certificate for the fake RDS name: succeeds. */
    struct nw_store *s = open_store(NW_AUDIT_OFF, "tls");
    nw_store_free(s);

    struct nw_store_config c = base_config(NW_AUDIT_OFF, "tls");
    c.sslrootcert = env("NW_PG_OTHER_CA");
    expect_open_fails(&c, "TLS verification failed");
    c = base_config(NW_AUDIT_OFF, "tls");
    c.host = "nw-other.cluster-abc.us-east-1.rds.amazonaws.com";
    expect_open_fails(&c, "does not match host name");
    c = base_config(NW_AUDIT_OFF, "tls");
    c.password = "CanaryPw-wrong-password-0123456789";
    expect_open_fails(&c, "password authentication failed");
    /* The server only accepts TLS: sslmode=disable is refused (pg_hba hostssl). */
    c = base_config(NW_AUDIT_OFF, "tls");
    c.sslmode = "disable";
    expect_open_fails(&c, "no pg_hba.conf entry");

    /* Configuration errors. */
    struct nw_diag d = {0};
    c = base_config(NW_AUDIT_OFF, "tls");
    c.sslrootcert = NULL;
    CHECK_ERR(nw_store_open(&s, &c, &d), NW_ERR_INVALID_ARG);
    check_diag(&d);
    c = base_config(NW_AUDIT_OFF, NULL);
    CHECK_ERR(nw_store_open(&s, &c, &d), NW_ERR_INVALID_ARG);
    check_diag(&d);
    c = base_config(NW_AUDIT_OFF, "tls");
    c.sslmode = "verify-sometimes";
    CHECK_ERR(nw_store_open(&s, &c, &d), NW_ERR_INVALID_ARG);
    check_diag(&d);
}

static void print_line(void *ctx, const char *line)
{
    struct nw_buf *b = ctx;
    if (nw_buf_append_str(b, line) != NW_OK || nw_buf_append_byte(b, '\n') != NW_OK)
        failures++;
    printf("%s\n", line);
}

static void case_demo(void)
{
    struct nw_store *s = open_store(NW_AUDIT_OFF, "demo");
    struct nw_buf out;
    nw_buf_init(&out, 4096, false);
    CHECK_ERR(nw_store_demo(s, print_line, &out, 4242), NW_OK);
    CHECK_ERR(nw_buf_cstr(&out), NW_OK);
    CHECK(out.ptr != NULL &&
          strcmp((const char *)out.ptr, "(1, 'master_key', 'Super important key')\n"
                                        "(2, 'secondary_key', 'Less important key')\n"
                                        "(3, 'backup_key', 'Somehow important key')\n") == 0);
    nw_buf_clear(&out);
    PGconn *pg = direct();
    CHECK(query_long(pg, "SELECT count(*) FROM key_storage_5242") == 3);
    PQfinish(pg);
    /* The same suffix twice: the table exists. */
    CHECK_ERR(nw_store_demo(s, print_line, &out, 4242), NW_ERR_EXISTS);
    nw_buf_clear(&out);
    nw_store_free(s);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {
        {"migrate", case_migrate},
        {"keys", case_keys},
        {"audit_required", case_audit_required},
        {"db_down", case_db_down},
        {"best_effort", case_best_effort},
        {"off", case_off},
        {"append_only", case_append_only},
        {"tls", case_tls},
        {"demo", case_demo},
    };
    if (argc != 2) {
        fprintf(stderr, "usage: store_it CASE\n");
        return 2;
    }
    /* The canary becomes the nw role's password for this cluster. */
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "'%s' psql '%s' -q -c \"ALTER ROLE nw PASSWORD '" CANARY "'\"",
             env("NW_PGTEST"), env("NW_PG_DIR"));
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot set the canary password\n");
        return 1;
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (strcmp(argv[1], cases[i].name) == 0) {
            cases[i].fn();
            fprintf(stderr, "%s: %s (%d failures)\n", cases[i].name, failures ? "FAIL" : "ok",
                    failures);
            return failures ? 1 : 0;
        }
    }
    fprintf(stderr, "unknown case %s\n", argv[1]);
    return 2;
}

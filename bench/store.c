/*
 * bench_store: audit rows per second through libnwstore against the PostgreSQL in NW_PG_*
 * (bench/store.sh starts one). Not a test.
 *   bench_store MODE THREADS SECONDS     MODE: required | best_effort | off
 * Prints one line: mode, threads, rows, rows/s, commits, rows per commit.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nw/store.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct worker {
    struct nw_store *s;
    int id;
    int64_t stop_ms;
    long rows;
    long errors;
};

static void *run(void *arg)
{
    struct worker *w = arg;
    struct nw_audit_row r;
    memset(&r, 0, sizeof(r));
    snprintf(r.op, sizeof(r.op), "sign_transaction");
    snprintf(r.chain_id, sizeof(r.chain_id), "1");
    snprintf(r.to_addr, sizeof(r.to_addr), "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
    snprintf(r.value_wei, sizeof(r.value_wei), "10000000000000000");
    snprintf(r.outcome, sizeof(r.outcome), "ok");
    while (now_ms() < w->stop_ms) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r.at_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        snprintf(r.request_id, sizeof(r.request_id), "b%d-%ld", w->id, w->rows);
        snprintf(r.nonce, sizeof(r.nonce), "%ld", w->rows);
        if (nw_store_audit(w->s, &r, now_ms() + 5000) == NW_OK)
            w->rows++;
        else
            w->errors++;
    }
    return NULL;
}

static const char *env(const char *n)
{
    const char *v = getenv(n);
    if (v == NULL) {
        fprintf(stderr, "bench_store: %s not set\n", n);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    enum nw_audit_mode mode;
    if (argc != 4 || nw_audit_mode_parse(&mode, argv[1]) != NW_OK) {
        fprintf(stderr, "usage: bench_store required|best_effort|off THREADS SECONDS\n");
        return 2;
    }
    int threads = (int)strtol(argv[2], NULL, 10);
    int secs = (int)strtol(argv[3], NULL, 10);
    if (threads < 1 || threads > 64 || secs < 1 || secs > 600)
        return 2;
    struct nw_store_config c = {
        .host = env("NW_PG_HOST"),
        .hostaddr = env("NW_PG_HOSTADDR"),
        .port = (uint16_t)strtol(env("NW_PG_PORT"), NULL, 10),
        .dbname = env("NW_PG_DB"),
        .user = env("NW_PG_USER"),
        .password = env("NW_PG_PASSWORD"),
        .sslrootcert = env("NW_PG_CA"),
        .audit_mode = mode,
        .audit_buffer_rows = 1000000,
        .instance = "bench",
    };
    struct nw_store *s = NULL;
    struct nw_diag d = {0};
    nw_err err = nw_store_open(&s, &c, &d);
    if (err != NW_OK) {
        fprintf(stderr, "bench_store: %s: %s\n", nw_err_name(err), d.msg);
        return 1;
    }
    pthread_t t[64];
    struct worker w[64];
    int64_t t0 = now_ms();
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){.s = s, .id = i, .stop_ms = t0 + secs * 1000};
        pthread_create(&t[i], NULL, run, &w[i]);
    }
    long rows = 0, errors = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        rows += w[i].rows;
        errors += w[i].errors;
    }
    /* best_effort: wait for the queue to drain, so the rate counts committed rows. */
    struct nw_store_stats st = {0};
    for (nw_store_stats(s, &st); st.audit_queued > 0; nw_store_stats(s, &st)) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    double dt = (double)(now_ms() - t0) / 1000.0;
    nw_store_free(s);
    double per = st.audit_commits ? (double)st.audit_committed / (double)st.audit_commits : 0.0;
    printf("%-11s threads=%-2d rows=%-8ld rows/s=%-9.0f commits=%-7llu rows/commit=%-6.1f "
           "dropped=%llu errors=%ld\n",
           argv[1], threads, rows, (double)rows / dt, (unsigned long long)st.audit_commits, per,
           (unsigned long long)st.audit_dropped, errors);
    return errors ? 1 : 0;
}

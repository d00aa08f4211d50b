/*
 * The store object: configuration, open (connect, migrate, start the audit writer), free,
 * statistics, and the seed's start-up demo.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nw/mem.h>

#include "store_int.h"

#define MIGRATE_WAIT_MS 30000 /* another instance may hold the migration lock meanwhile */

static nw_err dup_str(char **out, const char *s)
{
    *out = NULL;
    if (s == NULL)
        return NW_OK;
    size_t n = strlen(s) + 1;
    *out = nw_malloc(n);
    if (*out == NULL)
        return NW_ERR_NOMEM;
    memcpy(*out, s, n);
    return NW_OK;
}

static bool empty(const char *s)
{
    return s == NULL || *s == '\0';
}

static nw_err check_config(const struct nw_store_config *cfg, struct nw_diag *diag)
{
    const char *missing = empty(cfg->host)       ? "host"
                          : empty(cfg->dbname)   ? "dbname"
                          : empty(cfg->user)     ? "user"
                          : empty(cfg->instance) ? "instance"
                                                 : NULL;
    if (missing != NULL)
        return nw_diag_set(diag, NW_ERR_INVALID_ARG, "store: %s is required", missing);
    const char *mode = cfg->sslmode ? cfg->sslmode : "verify-full";
    bool verify = strcmp(mode, "verify-full") == 0 || strcmp(mode, "verify-ca") == 0;
    if (verify && empty(cfg->sslrootcert))
        return nw_diag_set(diag, NW_ERR_INVALID_ARG, "store: sslmode %s needs sslrootcert", mode);
    if (!verify && strcmp(mode, "require") != 0 && strcmp(mode, "prefer") != 0 &&
        strcmp(mode, "allow") != 0 && strcmp(mode, "disable") != 0)
        return nw_diag_set(diag, NW_ERR_INVALID_ARG, "store: unknown sslmode");
    if (cfg->connect_timeout_ms < 0 || (unsigned)cfg->audit_mode > NW_AUDIT_OFF)
        return nw_diag_set(diag, NW_ERR_INVALID_ARG, "store: bad connect timeout or audit mode");
    return NW_OK;
}

static nw_err copy_config(struct nw_store *s, const struct nw_store_config *cfg)
{
    NW_TRY(dup_str(&s->host, cfg->host));
    NW_TRY(dup_str(&s->hostaddr, empty(cfg->hostaddr) ? NULL : cfg->hostaddr));
    NW_TRY(dup_str(&s->dbname, cfg->dbname));
    NW_TRY(dup_str(&s->user, cfg->user));
    NW_TRY(dup_str(&s->sslmode, cfg->sslmode ? cfg->sslmode : "verify-full"));
    NW_TRY(dup_str(&s->sslrootcert, empty(cfg->sslrootcert) ? NULL : cfg->sslrootcert));
    NW_TRY(dup_str(&s->instance, cfg->instance));
    size_t an = strlen(cfg->instance) + 4;
    s->appname = nw_malloc(an);
    if (s->appname == NULL)
        return NW_ERR_NOMEM;
    (void)snprintf(s->appname, an, "nw:%s", cfg->instance); /* an is exactly its length */
    if (cfg->password != NULL) {
        size_t n = strlen(cfg->password) + 1;
        int locked = 0;
        s->password = nw_locked_alloc(n, &locked);
        if (s->password == NULL)
            return NW_ERR_NOMEM;
        s->password_alloc = n;
        memcpy(s->password, cfg->password, n);
    }
    s->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 5000;
    /* Neither can be cut: port is a uint16_t, the timeout an int. */
    (void)snprintf(s->port_text, sizeof(s->port_text), "%u",
                   cfg->port ? (unsigned)cfg->port : 5432u);
    (void)snprintf(s->timeout_text, sizeof(s->timeout_text), "%d",
                   (s->connect_timeout_ms + 999) / 1000);
    s->audit_mode = cfg->audit_mode;
    s->audit_cap = cfg->audit_buffer_rows ? cfg->audit_buffer_rows : 10000;
    return NW_OK;
}

static nw_err init_sync(struct nw_store *s)
{
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        return NW_ERR_NOMEM;
    if (pthread_mutex_init(&s->amu, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        return NW_ERR_NOMEM;
    }
    nw_err err = nw_store_cond_init(&s->pool_cv);
    if (err == NW_OK) {
        err = nw_store_cond_init(&s->a_work);
        if (err == NW_OK) {
            err = nw_store_cond_init(&s->a_done);
            if (err != NW_OK)
                pthread_cond_destroy(&s->a_work);
        }
        if (err != NW_OK)
            pthread_cond_destroy(&s->pool_cv);
    }
    if (err != NW_OK) {
        pthread_mutex_destroy(&s->mu);
        pthread_mutex_destroy(&s->amu);
    }
    return err;
}

static void free_config(struct nw_store *s)
{
    nw_free(s->host);
    nw_free(s->hostaddr);
    nw_free(s->dbname);
    nw_free(s->user);
    nw_free(s->sslmode);
    nw_free(s->sslrootcert);
    nw_free(s->instance);
    nw_free(s->appname);
    if (s->password != NULL)
        nw_locked_free(s->password, s->password_alloc);
    s->password = NULL;
}

nw_err nw_store_open(struct nw_store **out, const struct nw_store_config *cfg, struct nw_diag *diag)
{
    *out = NULL;
    NW_TRY(check_config(cfg, diag));
    struct nw_store *s = nw_calloc(1, sizeof(*s));
    if (s == NULL)
        return nw_diag_set(diag, NW_ERR_NOMEM, "store: out of memory");
    nw_err err = copy_config(s, cfg);
    if (err != NW_OK) {
        free_config(s);
        nw_free(s);
        return nw_diag_set(diag, err, "store: out of memory");
    }
    err = init_sync(s);
    if (err != NW_OK) {
        free_config(s);
        nw_free(s);
        return nw_diag_set(diag, err, "store: cannot create locks");
    }
    err = nw_store_connect(s, &s->pool[0], nw_store_now_ms() + s->connect_timeout_ms, diag);
    if (err == NW_OK)
        err = nw_store_migrate(s, &s->pool[0], nw_store_now_ms() + MIGRATE_WAIT_MS, diag);
    if (err == NW_OK) {
        err = nw_store_audit_start(s);
        if (err != NW_OK)
            nw_diag_set(diag, err, "store: cannot start the audit writer");
    }
    if (err != NW_OK) {
        nw_store_free(s);
        return err;
    }
    *out = s;
    return NW_OK;
}

void nw_store_free(struct nw_store *s)
{
    if (s == NULL)
        return;
    nw_store_audit_stop(s);
    nw_store_disconnect(&s->a_conn);
    for (int i = 0; i < STORE_POOL; i++)
        nw_store_disconnect(&s->pool[i]);
    pthread_cond_destroy(&s->pool_cv);
    pthread_cond_destroy(&s->a_work);
    pthread_cond_destroy(&s->a_done);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->amu);
    free_config(s);
    nw_free(s);
}

void nw_store_stats(struct nw_store *s, struct nw_store_stats *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&s->amu);
    out->audit_committed = s->a_committed;
    out->audit_commits = s->a_commits;
    out->audit_dropped = s->a_dropped;
    out->audit_queued = s->a_count;
    pthread_mutex_unlock(&s->amu);
    pthread_mutex_lock(&s->mu);
    out->connected = s->ever_connected && !s->down;
    out->reconnects = s->reconnects;
    pthread_mutex_unlock(&s->mu);
}

/* ---- the seed's demo ---- */

struct demo_ctx {
    char table[24];
    void (*print)(void *ctx, const char *line);
    void *print_ctx;
};

/* Python's repr() of a str, as the seed's print(row) shows it (ASCII input). */
static void py_repr(char *out, size_t cap, const char *v)
{
    char q = (strchr(v, '\'') != NULL && strchr(v, '"') == NULL) ? '"' : '\'';
    size_t n = 0;
    out[n++] = q;
    for (; *v != '\0' && n + 6 < cap; v++) {
        if (*v == '\\' || *v == q)
            out[n++] = '\\';
        out[n++] = *v;
    }
    out[n++] = q;
    out[n] = '\0';
}

static nw_err demo_run(struct store_conn *c, void *ctx, int64_t deadline_ms)
{
    struct demo_ctx *d = ctx;
    char sql[512];
    PGresult *res = NULL;

    /* A cut statement would be different SQL: refuse rather than run it. */
    int n = snprintf(
        sql, sizeof(sql),
        "CREATE TABLE %s (key_id SERIAL PRIMARY KEY, key_name VARCHAR(50) UNIQUE NOT NULL,"
        " key_description VARCHAR(100) NOT NULL); INSERT INTO %s (key_name, key_description)"
        " VALUES ('master_key', 'Super important key'), ('secondary_key', 'Less important"
        " key'), ('backup_key', 'Somehow important key')",
        d->table, d->table);
    if (n < 0 || (size_t)n >= sizeof(sql))
        return NW_ERR_INTERNAL;
    nw_err err = nw_store_exec(c, &res, sql, 0, NULL, NULL, NULL, 0, deadline_ms);
    if (err == NW_ERR_STORE_QUERY && strcmp(nw_store_sqlstate(res), "42P07") == 0)
        err = NW_ERR_EXISTS;
    PQclear(res);
    if (err != NW_OK)
        return err;
    n = snprintf(sql, sizeof(sql),
                 "SELECT key_id, key_name, key_description FROM %s ORDER BY key_id", d->table);
    if (n < 0 || (size_t)n >= sizeof(sql))
        return NW_ERR_INTERNAL;
    err = nw_store_exec(c, &res, sql, 0, NULL, NULL, NULL, 0, deadline_ms);
    for (int r = 0; err == NW_OK && r < PQntuples(res); r++) {
        char name[120], desc[220], line[360];
        py_repr(name, sizeof(name), PQgetvalue(res, r, 1));
        py_repr(desc, sizeof(desc), PQgetvalue(res, r, 2));
        /* Display only: sized for the longest name and description py_repr makes. */
        (void)snprintf(line, sizeof(line), "(%s, %s, %s)", PQgetvalue(res, r, 0), name, desc);
        d->print(d->print_ctx, line);
    }
    PQclear(res);
    return err;
}

nw_err nw_store_demo(struct nw_store *s,
                     void (*print)(void *ctx, const char *line),
                     void *ctx,
                     uint32_t random_suffix)
{
    struct demo_ctx d = {.print = print, .print_ctx = ctx};
    (void)snprintf(d.table, sizeof(d.table), "key_storage_%u", 1000u + random_suffix % 9000u);
    return nw_store_with_conn(s, demo_run, &d, nw_store_now_ms() + 30000);
}

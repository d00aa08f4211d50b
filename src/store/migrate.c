/*
 * Versioned, idempotent schema migrations (docs/store.md).
 *
 * Every instance migrates at start. Two instances starting at once on a fresh database would
 * race on CREATE TABLE (even IF NOT EXISTS can fail on the catalog's unique index), so the whole
 * run holds a session advisory lock: the second instance waits, then finds nothing to do. Each
 * version runs in its own transaction together with its nw_schema_version row, so a crash leaves
 * either all of a version or none of it. Versions are never edited once released: a change is a
 * new version appended to the list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* pg_advisory_lock key for migrations: "nwmigrat" as a big-endian 64-bit integer. */
#define MIGRATE_LOCK_KEY "7959951165875183988"

static const char *const migrations[] = {
    /* 1: keys and the append-only audit log. */
    "CREATE TABLE nw_keys ("
    " id uuid PRIMARY KEY,"
    " address text NOT NULL UNIQUE CHECK (address ~ '^0x[0-9a-f]{40}$'),"
    " ciphertext bytea NOT NULL,"
    " kms_key_arn text NOT NULL,"
    " label text NOT NULL DEFAULT '',"
    " created_at timestamptz NOT NULL DEFAULT now(),"
    " disabled_at timestamptz NULL);"
    "CREATE TABLE nw_audit ("
    " seq bigserial PRIMARY KEY,"
    " at timestamptz NOT NULL,"
    " instance text NOT NULL,"
    " request_id text NULL,"
    " op text NOT NULL,"
    " key_id uuid NULL,"
    " address text NULL,"
    " chain_id numeric NULL,"
    " nonce numeric NULL,"
    " to_addr text NULL,"
    " value_wei numeric NULL,"
    " tx_hash text NULL,"
    " outcome text NOT NULL);"
    "CREATE FUNCTION nw_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $f$"
    " BEGIN RAISE EXCEPTION 'nw_audit is append-only: % refused', TG_OP"
    " USING ERRCODE = 'insufficient_privilege'; END $f$;"
    "CREATE TRIGGER nw_audit_append_only BEFORE UPDATE OR DELETE ON nw_audit"
    " FOR EACH ROW EXECUTE FUNCTION nw_audit_refuse();"
    "CREATE TRIGGER nw_audit_no_truncate BEFORE TRUNCATE ON nw_audit"
    " FOR EACH STATEMENT EXECUTE FUNCTION nw_audit_refuse();",
    /* 2: the lookups the enclave and an auditor make. */
    "CREATE INDEX nw_keys_created ON nw_keys (created_at, id);"
    "CREATE INDEX nw_audit_key ON nw_audit (key_id, seq) WHERE key_id IS NOT NULL;",
};

static nw_err
fail(struct nw_store *s, struct nw_diag *diag, nw_err err, const char *what, PGresult *res)
{
    char prefix[96];
    if (err == NW_ERR_DB_UNAVAILABLE)
        return nw_diag_set(diag, err, "migration: database connection lost during %s", what);
    (void)snprintf(prefix, sizeof(prefix), "migration: %s failed: ", what); /* a message */
    nw_store_diag(s, diag, NW_ERR_STORE_MIGRATE, prefix, res ? PQresultErrorMessage(res) : "");
    return NW_ERR_STORE_MIGRATE;
}

static nw_err run(struct nw_store *s,
                  struct store_conn *c,
                  const char *sql,
                  const char *what,
                  int64_t deadline_ms,
                  struct nw_diag *diag)
{
    PGresult *res = NULL;
    nw_err err = nw_store_exec(c, &res, sql, 0, NULL, NULL, NULL, 0, deadline_ms);
    if (err != NW_OK)
        err = fail(s, diag, err, what, res);
    PQclear(res);
    return err;
}

static nw_err current_version(struct store_conn *c, int *version, int64_t deadline_ms)
{
    PGresult *res = NULL;
    nw_err err = nw_store_exec(c, &res, "SELECT coalesce(max(version), 0) FROM nw_schema_version",
                               0, NULL, NULL, NULL, 0, deadline_ms);
    if (err == NW_OK && PQntuples(res) == 1)
        *version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
    else if (err == NW_OK)
        err = NW_ERR_STORE_MIGRATE;
    PQclear(res);
    return err;
}

static nw_err
apply(struct nw_store *s, struct store_conn *c, int v, int64_t deadline_ms, struct nw_diag *diag)
{
    char what[48];
    char record[96];
    (void)snprintf(what, sizeof(what), "version %d", v); /* holds any int */
    int n =
        snprintf(record, sizeof(record), "INSERT INTO nw_schema_version (version) VALUES (%d)", v);
    if (n < 0 || (size_t)n >= sizeof(record)) /* a cut statement would be different SQL */
        return nw_diag_set(diag, NW_ERR_STORE_MIGRATE, "migration: %s: statement too long", what);

    NW_TRY(run(s, c, "BEGIN", what, deadline_ms, diag));
    nw_err err = run(s, c, migrations[v - 1], what, deadline_ms, diag);
    if (err == NW_OK)
        err = run(s, c, record, what, deadline_ms, diag);
    if (err == NW_OK)
        return run(s, c, "COMMIT", what, deadline_ms, diag);
    if (c->pg != NULL) {
        PGresult *res = NULL;
        if (nw_store_exec(c, &res, "ROLLBACK", 0, NULL, NULL, NULL, 0, deadline_ms) != NW_OK)
            nw_store_disconnect(c);
        PQclear(res);
    }
    return err;
}

nw_err nw_store_migrate(struct nw_store *s,
                        struct store_conn *c,
                        int64_t deadline_ms,
                        struct nw_diag *diag)
{
    int version = 0;

    /* Waits for another instance's run; the lock goes with the session if we are cut off. */
    NW_TRY(run(s, c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "taking the lock",
               deadline_ms, diag));
    nw_err err = run(s, c, "CREATE TABLE IF NOT EXISTS nw_schema_version (version int PRIMARY KEY)",
                     "creating nw_schema_version", deadline_ms, diag);
    if (err == NW_OK) {
        err = current_version(c, &version, deadline_ms);
        if (err != NW_OK)
            err = fail(s, diag, err, "reading the version", NULL);
    }
    if (err == NW_OK && version > (int)NW_ARRAY_LEN(migrations))
        err = nw_diag_set(diag, NW_ERR_STORE_MIGRATE,
                          "migration: database schema version %d is newer than this build (%d)",
                          version, (int)NW_ARRAY_LEN(migrations));
    for (int v = version + 1; err == NW_OK && v <= (int)NW_ARRAY_LEN(migrations); v++)
        err = apply(s, c, v, deadline_ms, diag);
    if (c->pg != NULL) {
        PGresult *res = NULL;
        if (nw_store_exec(c, &res, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", 0, NULL, NULL,
                          NULL, 0, deadline_ms) != NW_OK)
            nw_store_disconnect(c);
        PQclear(res);
    }
    return err;
}

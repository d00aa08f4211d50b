/*
 * The `configure` request nw-host sends on every new enclave connection (DESIGN.md section 3):
 * non-secret runtime settings plus the database connection. The database settings come from the
 * RDS secret (Secrets Manager JSON: username, password, host, port, dbname: what RDS writes for a
 * managed secret) read at that moment, so a rotated password reaches an enclave at its next
 * connection; any --db-* option overrides the secret's field (the port in particular: the
 * enclave reaches the database through its local nw-proxy, not at the RDS port).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nw/mem.h>

#include "host.h"

/* Set key to a string when v is not NULL. */
static nw_err set_str(json_t *o, const char *key, const char *v)
{
    if (v == NULL)
        return NW_OK;
    return json_object_set_new(o, key, json_string(v)) == 0 ? NW_OK : NW_ERR_NOMEM;
}

/* The password file's first line (secret), into a jansson string set on db. */
static nw_err password_from_file(json_t *db, const char *path, struct nw_diag *d)
{
    char pw[1024];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return nw_diag_set(d, NW_ERR_CONFIG, "--db-password-file: cannot open");
    size_t n = fread(pw, 1, sizeof(pw) - 1, f);
    (void)fclose(f);
    while (n > 0 && (pw[n - 1] == '\n' || pw[n - 1] == '\r'))
        n--;
    pw[n] = '\0';
    nw_err err =
        json_object_set_new(db, "password", json_stringn(pw, n)) == 0 ? NW_OK : NW_ERR_NOMEM;
    nw_wipe(pw, sizeof(pw));
    return err;
}

/* A port given as a JSON string: the whole string a decimal number (0 when it is not one). */
static long long port_from_text(const char *text)
{
    char *end = NULL;
    errno = 0;
    long long p = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0')
        return 0;
    return p;
}

/* db fields from the RDS secret (JSON). */
static nw_err from_secret(struct nw_host_ctx *ctx, json_t *db, struct nw_diag *d)
{
    struct nw_buf v;
    nw_buf_init(&v, (size_t)64 * 1024, true);
    nw_err err = nw_host_secret_get(ctx->secrets, &v, ctx->cfg->db_secret_id, false, d);
    json_t *s = NULL;
    if (err == NW_OK) {
        json_error_t je;
        s = json_loadb((const char *)v.ptr, v.len, 0, &je);
        const json_t *port = json_object_get(s, "port");
        if (!json_is_object(s) || !json_is_string(json_object_get(s, "username")) ||
            !json_is_string(json_object_get(s, "password")) ||
            !json_is_string(json_object_get(s, "host")) ||
            !(port == NULL || json_is_integer(port) || json_is_string(port)))
            err = nw_diag_set(d, NW_ERR_DB_SECRET_FORMAT,
                              "the RDS secret lacks username, password or host");
    }
    if (err == NW_OK) {
        const json_t *port = json_object_get(s, "port");
        long long p = json_is_integer(port) ? json_integer_value(port) : 5432;
        if (json_is_string(port))
            p = port_from_text(json_string_value(port));
        if (p < 1 || p > 65535)
            err = nw_diag_set(d, NW_ERR_DB_SECRET_FORMAT, "the RDS secret's port is invalid");
        else if (json_object_set(db, "user", json_object_get(s, "username")) != 0 ||
                 json_object_set(db, "password", json_object_get(s, "password")) != 0 ||
                 json_object_set(db, "host", json_object_get(s, "host")) != 0 ||
                 json_object_set_new(db, "port", json_integer(p)) != 0)
            err = NW_ERR_NOMEM;
        const json_t *name = json_object_get(s, "dbname");
        if (err == NW_OK && json_is_string(name) &&
            json_object_set(db, "dbname", (json_t *)name) != 0)
            err = NW_ERR_NOMEM;
    }
    json_decref(s);
    nw_buf_clear(&v);
    return err;
}

static nw_err db_settings(struct nw_host_ctx *ctx, json_t *db, struct nw_diag *d)
{
    const struct nw_host_config *c = ctx->cfg;
    if (c->db_secret_id != NULL)
        NW_TRY(from_secret(ctx, db, d));
    NW_TRY(set_str(db, "host", c->db_host));
    NW_TRY(set_str(db, "hostaddr", c->db_hostaddr));
    NW_TRY(set_str(db, "dbname", c->db_name));
    NW_TRY(set_str(db, "user", c->db_user));
    NW_TRY(set_str(db, "sslmode", c->db_sslmode));
    NW_TRY(set_str(db, "sslrootcert", c->db_sslrootcert));
    if (c->db_port > 0 && json_object_set_new(db, "port", json_integer(c->db_port)) != 0)
        return NW_ERR_NOMEM;
    if (c->db_password_file != NULL)
        NW_TRY(password_from_file(db, c->db_password_file, d));
    return NW_OK;
}

nw_err nw_host_configure_request(struct nw_host_ctx *ctx, json_t **out, struct nw_diag *d)
{
    const struct nw_host_config *c = ctx->cfg;
    nw_err err = NW_ERR_NOMEM;
    json_t *o = json_object(), *db = json_object();
    *out = NULL;
    if (o == NULL || db == NULL)
        goto out;
    NW_CHECK(set_str(o, "region", ctx->region));
    NW_CHECK(set_str(o, "kms_mode", c->kms_mode));
    NW_CHECK(set_str(o, "kms_addr", c->enclave_kms_addr));
    NW_CHECK(set_str(o, "kms_host", c->enclave_kms_host));
    NW_CHECK(set_str(o, "kms_ca_bundle", c->enclave_kms_ca));
    NW_CHECK(set_str(o, "kms_key_id", c->kms_key_id));
    NW_CHECK(set_str(o, "nsm", c->enclave_nsm));
    NW_CHECK(set_str(o, "audit", c->audit));
    if (c->key_cache_ttl_s >= 0 &&
        json_object_set_new(o, "cache_ttl_s", json_integer(c->key_cache_ttl_s)) != 0)
        goto out;
    if (c->key_row_ttl_ms >= 0 &&
        json_object_set_new(o, "key_row_ttl_ms", json_integer(c->key_row_ttl_ms)) != 0)
        goto out;
    if (c->db_secret_id != NULL || c->db_host != NULL) {
        NW_CHECK(db_settings(ctx, db, d));
        if (json_object_set(o, "database", db) != 0)
            goto out;
    }
    *out = o;
    o = NULL;
    err = NW_OK;
out:
    json_decref(db);
    json_decref(o);
    return err;
}

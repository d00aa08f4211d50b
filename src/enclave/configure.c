/*
 * configure: the host hands the enclave its runtime settings (DESIGN.md section 3, replacing the
 * seed's build-time RDS endpoint). The settings are built whole (a vault, and a store when a
 * database is given), then swapped in under a lock; requests already running keep the snapshot
 * they started with (refcount), so a later configure never pulls a vault from under a signature.
 *
 * Request fields (all but region optional):
 *   region, kms_mode ("relay"|"direct"), kms_addr (default vsock:3:8000), kms_host, kms_ca_bundle,
 *   kms_key_id (default KMS key of generate_key), kms_timeout_ms, nsm ("/dev/nsm" | "unix:PATH"),
 *   recipient_rotate_s, cache_ttl_s (0 disables), cache_max_keys,
 *   audit ("required" default | "best_effort" | "off"), audit_buffer_rows,
 *   key_row_ttl_ms (how long a key row read for signing is reused; default 1000, 0 disables),
 *   database {host, hostaddr, port, dbname, user, password, sslmode, sslrootcert,
 *             connect_timeout_ms}.
 * Without a database, audit must be "off" (said explicitly): no signature goes unrecorded by
 * accident.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <nw/log.h>
#include <nw/mem.h>
#include <nw/wire.h>

#include "enclave_int.h"

static const char *const cfg_fields[] = {"region",
                                         "kms_mode",
                                         "kms_addr",
                                         "kms_host",
                                         "kms_ca_bundle",
                                         "kms_key_id",
                                         "kms_timeout_ms",
                                         "nsm",
                                         "recipient_rotate_s",
                                         "cache_ttl_s",
                                         "cache_max_keys",
                                         "audit",
                                         "audit_buffer_rows",
                                         "key_row_ttl_ms",
                                         "database",
                                         NULL};

static const char *const db_fields[] = {
    "host",        "hostaddr",           "port", "dbname", "user", "password", "sslmode",
    "sslrootcert", "connect_timeout_ms", NULL};

struct nw_enc_cfg *nw_enc_cfg_get(struct nw_enclave *e)
{
    (void)pthread_mutex_lock(&e->cfg_lock);
    struct nw_enc_cfg *c = e->cfg;
    if (c != NULL)
        atomic_fetch_add(&c->refs, 1);
    (void)pthread_mutex_unlock(&e->cfg_lock);
    return c;
}

void nw_enc_cfg_put(struct nw_enc_cfg *c)
{
    if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    nw_enc_rows_free(c->rows);
    nw_store_free(c->store);
    nw_vault_free(c->vault);
    nw_free_secret(c, sizeof(*c));
}

void nw_enc_cfg_shutdown(struct nw_enclave *e)
{
    (void)pthread_mutex_lock(&e->cfg_lock);
    struct nw_enc_cfg *c = e->cfg;
    e->cfg = NULL;
    (void)pthread_mutex_unlock(&e->cfg_lock);
    nw_enc_cfg_put(c);
}

static nw_err
parse_vault(const json_t *o, struct nw_diag *d, struct nw_vault_config *vc, struct nw_enc_cfg *cfg)
{
    const char *s = NULL;
    int64_t x = 0;
    bool have = false;

    NW_TRY(nw_enc_get_str(o, d, "region", sizeof(cfg->region) - 1, &vc->region, true));
    NW_TRY(nw_enc_get_str(o, d, "kms_mode", 16, &s, false));
    vc->kms_mode = NW_KMS_MODE_RELAY;
    if (s != NULL && nw_kms_mode_parse(&vc->kms_mode, s) != NW_OK)
        return nw_diag_set(d, NW_ERR_BAD_REQUEST, "field 'kms_mode' must be relay or direct");
    NW_TRY(nw_enc_get_str(o, d, "kms_addr", NW_ADDR_TEXT_MAX, &vc->kms_addr, false));
    if (vc->kms_addr == NULL)
        vc->kms_addr = NW_ENC_DEFAULT_KMS;
    struct nw_addr a;
    if (nw_addr_parse(&a, vc->kms_addr) != NW_OK)
        return nw_diag_set(d, NW_ERR_BAD_REQUEST, "field 'kms_addr' is not an address");
    NW_TRY(nw_enc_get_str(o, d, "kms_host", 253, &vc->kms_host, false));
    NW_TRY(nw_enc_get_str(o, d, "kms_ca_bundle", 4096, &vc->ca_bundle, false));
    NW_TRY(nw_enc_get_str(o, d, "nsm", NW_ADDR_TEXT_MAX, &vc->nsm, false));
    if (vc->nsm == NULL)
        vc->nsm = "/dev/nsm";
    NW_TRY(nw_enc_get_int(o, d, "kms_timeout_ms", 1, 600000, &x, &have));
    vc->kms_timeout_ms = have ? (int)x : 0;
    NW_TRY(nw_enc_get_int(o, d, "recipient_rotate_s", 1, 86400, &x, &have));
    vc->recipient_rotate_s = have ? (int)x : 0;
    NW_TRY(nw_enc_get_int(o, d, "cache_ttl_s", 0, 86400, &x, &have));
    vc->cache_ttl_s = have ? (int)x : -1;
    NW_TRY(nw_enc_get_int(o, d, "cache_max_keys", 1, 1000000, &x, &have));
    vc->cache_max_keys = have ? (size_t)x : 0;
    NW_TRY(nw_enc_get_str(o, d, "kms_key_id", sizeof(cfg->kms_key_id) - 1, &s, false));
    if (s != NULL)
        (void)snprintf(cfg->kms_key_id, sizeof(cfg->kms_key_id), "%s", s);
    (void)snprintf(cfg->region, sizeof(cfg->region), "%s", vc->region);
    cfg->kms_mode = vc->kms_mode;
    return NW_OK;
}

static nw_err parse_db(const json_t *db, struct nw_diag *d, struct nw_store_config *sc)
{
    int64_t x = 0;
    bool have = false;
    if (!json_is_object(db))
        return nw_diag_set(d, NW_ERR_BAD_REQUEST, "field 'database' must be an object");
    const char *const *f = db_fields;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)db, key, val)
    {
        bool ok = false;
        for (size_t i = 0; f[i] != NULL && !ok; i++)
            ok = strcmp(f[i], key) == 0;
        if (!ok)
            return nw_diag_set(d, NW_ERR_BAD_REQUEST, "unknown field in 'database'");
    }
    NW_TRY(nw_enc_get_str(db, d, "host", 253, &sc->host, true));
    NW_TRY(nw_enc_get_str(db, d, "hostaddr", 64, &sc->hostaddr, false));
    NW_TRY(nw_enc_get_int(db, d, "port", 1, 65535, &x, &have));
    sc->port = have ? (uint16_t)x : 0;
    NW_TRY(nw_enc_get_str(db, d, "dbname", 63, &sc->dbname, true));
    NW_TRY(nw_enc_get_str(db, d, "user", 63, &sc->user, true));
    NW_TRY(nw_enc_get_str(db, d, "password", 1024, &sc->password, false));
    NW_TRY(nw_enc_get_str(db, d, "sslmode", 16, &sc->sslmode, false));
    NW_TRY(nw_enc_get_str(db, d, "sslrootcert", 4096, &sc->sslrootcert, false));
    NW_TRY(nw_enc_get_int(db, d, "connect_timeout_ms", 1, 600000, &x, &have));
    sc->connect_timeout_ms = have ? (int)x : 0;
    return NW_OK;
}

static nw_err
parse_audit(const json_t *o, struct nw_diag *d, struct nw_store_config *sc, bool have_db)
{
    const char *s = NULL;
    int64_t x = 0;
    bool have = false;
    NW_TRY(nw_enc_get_str(o, d, "audit", 16, &s, false));
    sc->audit_mode = NW_AUDIT_REQUIRED;
    if (s != NULL && nw_audit_mode_parse(&sc->audit_mode, s) != NW_OK)
        return nw_diag_set(d, NW_ERR_BAD_REQUEST,
                           "field 'audit' must be required, best_effort or off");
    if (!have_db && sc->audit_mode != NW_AUDIT_OFF)
        return nw_diag_set(d, NW_ERR_BAD_REQUEST,
                           "audit '%s' needs a database (send audit \"off\" to run without one)",
                           s != NULL ? "best_effort" : "required");
    NW_TRY(nw_enc_get_int(o, d, "audit_buffer_rows", 1, 1000000, &x, &have));
    sc->audit_buffer_rows = have ? (size_t)x : 0;
    return NW_OK;
}

static json_t *describe(const struct nw_enclave *e, const struct nw_enc_cfg *cfg)
{
    return json_pack("{s:b,s:s,s:s,s:b,s:s,s:s}", "configured", 1, "region", cfg->region,
                     "kms_mode", cfg->kms_mode == NW_KMS_MODE_DIRECT ? "direct" : "relay",
                     "database", cfg->store != NULL, "audit",
                     cfg->audit_mode == NW_AUDIT_REQUIRED      ? "required"
                     : cfg->audit_mode == NW_AUDIT_BEST_EFFORT ? "best_effort"
                                                               : "off",
                     "instance", e->instance);
}

static void demo_print(void *ctx, const char *line)
{
    (void)ctx;
    (void)fprintf(stdout, "%s\n", line);
    (void)fflush(stdout);
}

/* --db-demo: the seed's start-up demo, once, on the first configure with a database. */
static void run_demo(struct nw_enclave *e, struct nw_enc_cfg *cfg)
{
    uint32_t rnd = 0;
    if (!e->opts.db_demo || cfg->store == NULL || atomic_exchange(&e->demo_done, true))
        return;
    nw_err err = nw_vault_random(cfg->vault, (uint8_t *)&rnd, sizeof(rnd));
    if (err == NW_OK)
        err = nw_store_demo(cfg->store, demo_print, NULL, rnd % 9000 + 1000);
    nw_log(err == NW_OK ? NW_LOG_INFO : NW_LOG_WARN, "db_demo", "outcome",
           err == NW_OK ? "ok" : nw_err_code(err), NULL);
}

static nw_err build(struct nw_enc_op_ctx *c, struct nw_enc_cfg *cfg)
{
    const json_t *o = c->req->root;
    struct nw_vault_config vc = {0};
    struct nw_store_config sc = {0};
    struct nw_diag *d = c->diag;

    NW_TRY(nw_enc_check_fields(o, d, cfg_fields));
    NW_TRY(parse_vault(o, d, &vc, cfg));
    json_t *db = json_object_get(o, "database");
    bool have_db = db != NULL && !json_is_null(db);
    if (have_db)
        NW_TRY(parse_db(db, d, &sc));
    NW_TRY(parse_audit(o, d, &sc, have_db));
    cfg->audit_mode = sc.audit_mode;
    sc.instance = c->e->instance;
    int64_t row_ttl = 0;
    bool have = false;
    NW_TRY(nw_enc_get_int(o, d, "key_row_ttl_ms", 0, 60000, &row_ttl, &have));
    row_ttl = have ? row_ttl : NW_ENC_ROW_TTL_MS;

    nw_err err = nw_vault_new(&cfg->vault, &vc, d);
    if (err != NW_OK)
        return err;
    if (have_db) {
        err = nw_store_open(&cfg->store, &sc, d);
        if (err != NW_OK)
            return err;
        err = nw_enc_rows_new(&cfg->rows, row_ttl);
    }
    return err;
}

nw_err nw_enc_op_configure(struct nw_enc_op_ctx *c, json_t **result)
{
    struct nw_enclave *e = c->e;
    struct nw_enc_cfg *cfg = nw_calloc(1, sizeof(*cfg));
    if (cfg == NULL)
        return NW_ERR_NOMEM;
    atomic_init(&cfg->refs, 1);
    cfg->configured_ms = nw_now_ms();

    (void)pthread_mutex_lock(&e->configure_lock);
    nw_err err = build(c, cfg);
    if (err == NW_OK)
        run_demo(e, cfg); /* cfg is still private here */
    if (err == NW_OK) {
        *result = describe(e, cfg);
        if (*result == NULL)
            err = NW_ERR_NOMEM;
    }
    if (err != NW_OK) {
        (void)pthread_mutex_unlock(&e->configure_lock);
        nw_enc_cfg_put(cfg);
        return err;
    }
    (void)pthread_mutex_lock(&e->cfg_lock);
    struct nw_enc_cfg *old = e->cfg;
    e->cfg = cfg;
    (void)pthread_mutex_unlock(&e->cfg_lock);
    (void)pthread_mutex_unlock(&e->configure_lock);
    nw_enc_cfg_put(old);
    atomic_fetch_add(&e->stats.configures, 1);
    nw_log(NW_LOG_INFO, "configured", "kms_mode",
           cfg->kms_mode == NW_KMS_MODE_DIRECT ? "direct" : "relay", "database",
           cfg->store != NULL ? "yes" : "no", NULL);
    return NW_OK;
}

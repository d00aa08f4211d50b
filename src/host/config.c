/*
 * nw-host options: one table drives the command line (through <nw/opt.h>: --name VALUE or
 * --name=VALUE, --help, --version, usage errors with a suggestion), the optional JSON config
 * file (--config FILE: {"name": value, ...}, same names) and the help text. The file is applied
 * first, wherever --config appears, so flags win.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nw/mem.h>
#include <nw/opt.h>

#include "host.h"

enum kind {
    NW_HOST_K_STR,
    NW_HOST_K_UINT,
    NW_HOST_K_INT,
    NW_HOST_K_SIZE,
    NW_HOST_K_BOOL,
    NW_HOST_K_LEVEL,
    NW_HOST_K_CONFIG
};

struct opt {
    const char *name;
    enum kind kind;
    size_t off;
    const char *arg;
    const char *help;
};

#define F(field) offsetof(struct nw_host_config, field)

static const struct opt opts[] = {
    {"listen", NW_HOST_K_STR, F(listen), "ADDR", "HTTPS listener (default tcp:0.0.0.0:443)"},
    {"tls-cert", NW_HOST_K_STR, F(tls_cert), "FILE", "server certificate chain, PEM (required)"},
    {"tls-key", NW_HOST_K_STR, F(tls_key), "FILE", "server private key, PEM (required)"},
    {"client-ca", NW_HOST_K_STR, F(client_ca), "FILE",
     "require client certificates signed by these CAs (PEM)"},
    {"enclave", NW_HOST_K_STR, F(enclave), "ADDR", "nw-enclave address (default vsock:16:5000)"},
    {"pool-size", NW_HOST_K_UINT, F(pool_size), "N", "persistent enclave connections (default 8)"},
    {"kms-relay", NW_HOST_K_STR, F(kms_relay), "ADDR",
     "serve the enclave's KMS relay here (production vsock:any:8000)"},
    {"threads", NW_HOST_K_UINT, F(threads), "N", "HTTP server threads (default 4)"},
    {"max-connections", NW_HOST_K_UINT, F(max_connections), "N",
     "open HTTP connections (default 1024)"},
    {"max-body-bytes", NW_HOST_K_SIZE, F(max_body_bytes), "N",
     "request body limit (default 262144)"},
    {"idle-timeout-s", NW_HOST_K_UINT, F(idle_timeout_s), "S",
     "close idle connections (default 30)"},
    {"request-timeout-ms", NW_HOST_K_UINT, F(request_timeout_ms), "MS",
     "a request body must arrive within this (default 10000)"},
    {"enclave-timeout-ms", NW_HOST_K_INT, F(enclave_timeout_ms), "MS",
     "deadline of one enclave call (default 10000)"},
    {"connect-timeout-ms", NW_HOST_K_INT, F(connect_timeout_ms), "MS",
     "enclave connect timeout (default 1000)"},
    {"secret-ttl-ms", NW_HOST_K_INT, F(secret_ttl_ms), "MS",
     "reuse a Secrets Manager value this long (default 500; 0: read every time)"},
    {"secret-stale-s", NW_HOST_K_INT, F(secret_stale_s), "S",
     "when Secrets Manager is unreachable, use a cached value up to this old (default 900; 0: "
     "never)"},
    {"aws-credentials", NW_HOST_K_STR, F(aws_credentials), "imds|env",
     "instance role from IMDSv2 (default) or AWS_* variables"},
    {"region", NW_HOST_K_STR, F(region), "R", "AWS region (default AWS_REGION, else IMDS)"},
    {"kms-mode", NW_HOST_K_STR, F(kms_mode), "relay|direct",
     "how the enclave reaches KMS (default relay)"},
    {"enclave-kms-addr", NW_HOST_K_STR, F(enclave_kms_addr), "ADDR",
     "KMS address as the enclave sees it (enclave default vsock:3:8000)"},
    {"enclave-kms-host", NW_HOST_K_STR, F(enclave_kms_host), "NAME",
     "direct mode: the KMS name the enclave's TLS checks (enclave default "
     "kms.REGION.amazonaws.com)"},
    {"enclave-kms-ca", NW_HOST_K_STR, F(enclave_kms_ca), "PATH",
     "direct mode: CA bundle path inside the enclave image for KMS (the image has "
     "/etc/nw/ca/kms.pem)"},
    {"kms-key-id", NW_HOST_K_STR, F(kms_key_id), "ID", "KMS key for generated keys"},
    {"enclave-nsm", NW_HOST_K_STR, F(enclave_nsm), "PATH",
     "NSM device of the enclave (/dev/nsm, or unix:PATH to the simulator)"},
    {"db-secret-id", NW_HOST_K_STR, F(db_secret_id), "ID",
     "RDS secret (JSON username, password, host, port, dbname), read at every (re)connect"},
    {"db-host", NW_HOST_K_STR, F(db_host), "NAME",
     "database host name for TLS (overrides the secret)"},
    {"db-hostaddr", NW_HOST_K_STR, F(db_hostaddr), "IP",
     "where the enclave connects: its local nw-proxy (default 127.0.0.1)"},
    {"db-port", NW_HOST_K_INT, F(db_port), "N", "database port as the enclave reaches it"},
    {"db-name", NW_HOST_K_STR, F(db_name), "NAME", "database name (overrides the secret)"},
    {"db-user", NW_HOST_K_STR, F(db_user), "NAME", "database user (overrides the secret)"},
    {"db-password-file", NW_HOST_K_STR, F(db_password_file), "FILE",
     "database password (overrides the secret)"},
    {"db-sslmode", NW_HOST_K_STR, F(db_sslmode), "MODE",
     "libpq sslmode (enclave default verify-full)"},
    {"db-sslrootcert", NW_HOST_K_STR, F(db_sslrootcert), "FILE",
     "CA bundle path inside the enclave for the database certificate"},
    {"audit", NW_HOST_K_STR, F(audit), "required|best_effort|off",
     "audit mode (enclave default required)"},
    {"key-cache-ttl-s", NW_HOST_K_INT, F(key_cache_ttl_s), "S",
     "enclave key cache TTL (enclave default 900; 0 disables)"},
    {"key-row-ttl-ms", NW_HOST_K_INT, F(key_row_ttl_ms), "MS",
     "how long the enclave reuses a key row before reading it again (enclave default 1000; 0 "
     "reads every time: a disable on another instance then applies at once)"},
    {"rpc-upstream", NW_HOST_K_STR, F(rpc_upstream), "URL",
     "Ethereum node for eth_sendTransaction and every other JSON-RPC method (proxied)"},
    {"rpc-listen", NW_HOST_K_STR, F(rpc_listen), "ADDR",
     "also serve POST /rpc as plain HTTP here: loopback tcp: or unix: only"},
    {"log-level", NW_HOST_K_LEVEL, F(log_level), "L", "debug|info|warn|error (default info)"},
    {"log-json", NW_HOST_K_BOOL, F(log_json), NULL, "log JSON lines instead of text"},
    {"config", NW_HOST_K_CONFIG, 0, "FILE",
     "JSON file of these options ({\"listen\": \"tcp:...\", ...})"},
};

/* The <nw/opt.h> view of opts (id = index + 1), filled by build_table before parsing. */
static struct nw_opt table[NW_ARRAY_LEN(opts) + 1];

static const struct nw_opt_cmd cmd = {
    "nw-host",
    "--tls-cert FILE --tls-key FILE [options]",
    "The parent-side daemon of nitro-wallet: HTTPS API (POST / as the seed's server, /v1/ REST,\n"
    "/healthz, /readyz, /metrics, POST /rpc JSON-RPC) in front of nw-enclave, with Secrets\n"
    "Manager, IMDSv2 credentials and the enclave's KMS relay.\n"
    "ADDR is tcp:HOST:PORT, unix:/PATH or vsock:CID:PORT.",
    table,
    "Every option is also a key of the --config JSON file ({\"listen\": \"tcp:...\",\n"
    "\"pool-size\": 8, \"log-json\": true}); the file is applied first, so flags win.\n"
    "signals: TERM/INT stop.",
};

static void build_table(void)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(opts); i++)
        table[i] = (struct nw_opt){opts[i].name, 0, opts[i].arg, (int)i + 1, opts[i].help};
}

static const struct opt *find_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(opts); i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

static bool parse_num(const char *v, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi)
        return false;
    *out = n;
    return true;
}

static nw_err
set_opt(struct nw_host_config *cfg, const struct opt *o, const char *v, struct nw_diag *d)
{
    char *base = (char *)cfg;
    long long n = 0;
    switch (o->kind) {
        case NW_HOST_K_STR: {
            char **slot = (char **)(void *)(base + o->off);
            size_t len = strlen(v);
            char *copy = nw_malloc(len + 1);
            if (copy == NULL)
                return NW_ERR_NOMEM;
            memcpy(copy, v, len + 1);
            nw_free(*slot);
            *slot = copy;
            return NW_OK;
        }
        case NW_HOST_K_UINT:
            if (!parse_num(v, 0, UINT32_MAX, &n))
                break;
            *(unsigned *)(void *)(base + o->off) = (unsigned)n;
            return NW_OK;
        case NW_HOST_K_INT:
            if (!parse_num(v, -1, INT32_MAX, &n))
                break;
            *(int *)(void *)(base + o->off) = (int)n;
            return NW_OK;
        case NW_HOST_K_SIZE:
            if (!parse_num(v, 1, (long long)1 << 30, &n))
                break;
            *(size_t *)(void *)(base + o->off) = (size_t)n;
            return NW_OK;
        case NW_HOST_K_BOOL:
            if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
                break;
            *(bool *)(void *)(base + o->off) = strcmp(v, "true") == 0;
            return NW_OK;
        case NW_HOST_K_LEVEL:
            if (!nw_log_level_parse(v, (enum nw_log_level *)(void *)(base + o->off)))
                break;
            return NW_OK;
        case NW_HOST_K_CONFIG:
            return NW_OK;
    }
    return nw_diag_set(d, NW_ERR_CONFIG, "--%s: invalid value", o->name);
}

/* Apply the JSON config file: strings, integers and booleans, by option name. */
static nw_err load_file(struct nw_host_config *cfg, const char *path, struct nw_diag *d)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return nw_diag_set(d, NW_ERR_CONFIG, "--config %s: not a JSON object (line %d)", path,
                           je.line);
    }
    nw_err err = NW_OK;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        char text[32];
        const char *value = text;
        const struct opt *o = find_opt(key, strlen(key));
        if (o == NULL || o->kind == NW_HOST_K_CONFIG) {
            err = nw_diag_set(d, NW_ERR_CONFIG, "--config %s: unknown option \"%.64s\"", path, key);
            break;
        }
        if (json_is_string(v))
            value = json_string_value(v);
        else if (json_is_integer(v))
            (void)snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_boolean(v))
            (void)snprintf(text, sizeof(text), "%s", json_is_true(v) ? "true" : "false");
        else {
            err =
                nw_diag_set(d, NW_ERR_CONFIG, "--config %s: \"%s\" has the wrong type", path, key);
            break;
        }
        if ((err = set_opt(cfg, o, value, d)) != NW_OK)
            break;
    }
    json_decref(root);
    return err;
}

static void defaults(struct nw_host_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->pool_size = 8;
    cfg->threads = 4;
    cfg->max_connections = 1024;
    cfg->max_body_bytes = (size_t)256 * 1024;
    cfg->idle_timeout_s = 30;
    cfg->request_timeout_ms = 10000;
    cfg->enclave_timeout_ms = 10000;
    cfg->connect_timeout_ms = 1000;
    cfg->secret_ttl_ms = 500;
    cfg->secret_stale_s = 900;
    cfg->key_cache_ttl_s = -1;
    cfg->key_row_ttl_ms = -1;
    cfg->log_level = NW_LOG_INFO;
}

static nw_err set_default_str(char **slot, const char *v)
{
    if (*slot != NULL)
        return NW_OK;
    size_t n = strlen(v);
    *slot = nw_malloc(n + 1);
    if (*slot == NULL)
        return NW_ERR_NOMEM;
    memcpy(*slot, v, n + 1);
    return NW_OK;
}

static nw_err check(struct nw_host_config *cfg, struct nw_diag *d)
{
    NW_TRY(set_default_str(&cfg->listen, "tcp:0.0.0.0:443"));
    NW_TRY(set_default_str(&cfg->enclave, "vsock:16:5000"));
    NW_TRY(set_default_str(&cfg->aws_credentials, "imds"));
    NW_TRY(set_default_str(&cfg->kms_mode, "relay"));
    NW_TRY(set_default_str(&cfg->db_hostaddr, "127.0.0.1"));
    if (cfg->tls_cert == NULL || cfg->tls_key == NULL)
        return nw_diag_set(d, NW_ERR_CONFIG, "--tls-cert and --tls-key are required");
    if (strcmp(cfg->aws_credentials, "imds") != 0 && strcmp(cfg->aws_credentials, "env") != 0)
        return nw_diag_set(d, NW_ERR_CONFIG, "--aws-credentials: imds or env");
    if (strcmp(cfg->kms_mode, "relay") != 0 && strcmp(cfg->kms_mode, "direct") != 0)
        return nw_diag_set(d, NW_ERR_CONFIG, "--kms-mode: relay or direct");
    if (cfg->pool_size == 0 || cfg->pool_size > 256 || cfg->threads == 0 || cfg->threads > 256)
        return nw_diag_set(d, NW_ERR_CONFIG, "--pool-size and --threads: 1..256");
    if (cfg->db_port < 0 || cfg->db_port > 65535)
        return nw_diag_set(d, NW_ERR_CONFIG, "--db-port: 1..65535");
    if (cfg->rpc_listen != NULL)
        NW_TRY(nw_host_rpc_listen_check(cfg->rpc_listen, d));
    if (cfg->rpc_upstream != NULL && strncmp(cfg->rpc_upstream, "http://", 7) != 0 &&
        strncmp(cfg->rpc_upstream, "https://", 8) != 0)
        return nw_diag_set(d, NW_ERR_CONFIG, "--rpc-upstream: an http:// or https:// URL");
    return NW_OK;
}

/* A value or file error: a usage error (2) when the configuration is wrong, else 1. */
static int report(nw_err err, const struct nw_diag *d)
{
    if (err == NW_ERR_CONFIG || err == NW_ERR_RPC_LISTEN_NOT_LOCAL)
        return nw_opt_usage_error(&cmd, "%s", d->msg);
    (void)fprintf(stderr, "nw-host: %s\n", nw_err_str(err));
    return 1;
}

int nw_host_config_parse(struct nw_host_config *cfg, int argc, char **argv)
{
    struct nw_opt_parser p;
    struct nw_diag d;
    const char *v = NULL;
    nw_err err;
    int id;
    memset(&d, 0, sizeof(d));
    defaults(cfg);
    build_table();
    /* Pass 1: the --config files (and every usage error, --help, --version). */
    nw_opt_init(&p, &cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0)
        if (opts[id - 1].kind == NW_HOST_K_CONFIG && (err = load_file(cfg, v, &d)) != NW_OK)
            return report(err, &d);
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (p.optind < argc)
        return nw_opt_usage_error(&cmd, "unexpected argument '%.64s'", argv[p.optind]);
    /* Pass 2: the flags, over the file's values. */
    nw_opt_init(&p, &cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0)
        if ((err = set_opt(cfg, &opts[id - 1], v != NULL ? v : "true", &d)) != NW_OK)
            return report(err, &d);
    if ((err = check(cfg, &d)) != NW_OK)
        return report(err, &d);
    return -1;
}

void nw_host_config_clear(struct nw_host_config *cfg)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(opts); i++)
        if (opts[i].kind == NW_HOST_K_STR) {
            char **slot = (char **)(void *)((char *)cfg + opts[i].off);
            nw_free(*slot);
            *slot = NULL;
        }
}

/*
 * The HTTP API of nw-host (DESIGN.md section 7): one route table, one handler.
 *
 *   POST /                            the seed's parent server: {"transaction_payload",
 * "secret_id"}
 *                                     -> {"transaction_signed", "transaction_hash"}
 *   POST /v1/transactions/sign        sign_transaction   (key_id | address | secret_id)
 *   POST /v1/messages/sign            sign_message
 *   POST /v1/typed-data/sign          sign_typed_data
 *   POST /v1/authorizations/sign      sign_authorization
 *   GET  /v1/keys                     list_keys
 *   POST /v1/keys                     generate_key
 *   POST /v1/keys/import              import_key         (encrypted_key | secret_id)
 *   GET  /v1/keys/{id}                get_key            ({id}: a key id or a 0x address)
 *   POST /v1/keys/{id}/disable        disable_key
 *   POST /v1/attestation              attest             ({"nonce": ...})
 *   GET  /v1/health                   the enclave's health answer
 *   GET  /healthz  /readyz  /metrics  process up; enclave answers and is configured; Prometheus
 *
 * /v1 bodies are the enclave op's fields (section 3) and answers are its result; nw-host adds
 * what only it has: the ciphertext behind a secret_id, and in direct KMS mode the instance
 * credentials. Errors are {"error":{"code","message"}} with the status of the code's class.
 * POST /rpc (JSON-RPC 2.0, rpc.c) answers JSON-RPC bodies (status 200, errors inside).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <nw/httpd.h>
#include <nw/mem.h>
#include <nw/wire.h>

#include "host.h"

enum {
    NW_HOST_R_BODY = 1,   /* a JSON object body is required */
    NW_HOST_R_SECRET = 2, /* secret_id -> encrypted_key from Secrets Manager */
    NW_HOST_R_CREDS = 4,  /* direct KMS mode: forward the instance credentials */
    NW_HOST_R_ID = 8,     /* the path's {id} becomes key_id (or address) */
};

struct call {
    struct nw_host_ctx *ctx;
    const struct nw_httpd_request *req;
    char rid[33];
    const char *id_segment; /* {id} from the path, NUL-terminated copy */
    json_t *body;
    json_t *answer; /* success body */
    struct nw_diag diag;
};

typedef nw_err (*route_fn)(struct call *c, const char *op, unsigned flags);

struct route {
    const char *method;
    const char *path; /* "{id}" matches one segment */
    const char *name; /* metrics/log label */
    const char *op;   /* enclave op, or NULL */
    unsigned flags;
    route_fn fn;
};

static nw_err do_healthz(struct call *c, const char *op, unsigned flags);
static nw_err do_readyz(struct call *c, const char *op, unsigned flags);
static nw_err do_metrics(struct call *c, const char *op, unsigned flags);
static nw_err do_seed(struct call *c, const char *op, unsigned flags);
static nw_err do_op(struct call *c, const char *op, unsigned flags);
static nw_err do_rpc(struct call *c, const char *op, unsigned flags);

static const struct route routes[] = {
    {"GET", "/healthz", "healthz", NULL, 0, do_healthz},
    {"GET", "/readyz", "readyz", NULL, 0, do_readyz},
    {"GET", "/metrics", "metrics", NULL, 0, do_metrics},
    {"POST", "/", "seed", "sign_transaction", NW_HOST_R_BODY, do_seed},
    {"POST", "/v1/transactions/sign", "sign_transaction", "sign_transaction",
     NW_HOST_R_BODY | NW_HOST_R_SECRET | NW_HOST_R_CREDS, do_op},
    {"POST", "/v1/messages/sign", "sign_message", "sign_message",
     NW_HOST_R_BODY | NW_HOST_R_SECRET | NW_HOST_R_CREDS, do_op},
    {"POST", "/v1/typed-data/sign", "sign_typed_data", "sign_typed_data",
     NW_HOST_R_BODY | NW_HOST_R_SECRET | NW_HOST_R_CREDS, do_op},
    {"POST", "/v1/authorizations/sign", "sign_authorization", "sign_authorization",
     NW_HOST_R_BODY | NW_HOST_R_SECRET | NW_HOST_R_CREDS, do_op},
    {"GET", "/v1/keys", "list_keys", "list_keys", 0, do_op},
    {"POST", "/v1/keys", "generate_key", "generate_key", NW_HOST_R_BODY | NW_HOST_R_CREDS, do_op},
    {"POST", "/v1/keys/import", "import_key", "import_key",
     NW_HOST_R_BODY | NW_HOST_R_SECRET | NW_HOST_R_CREDS, do_op},
    {"GET", "/v1/keys/{id}", "get_key", "get_key", NW_HOST_R_ID, do_op},
    {"POST", "/v1/keys/{id}/disable", "disable_key", "disable_key", NW_HOST_R_ID, do_op},
    {"POST", "/v1/attestation", "attest", "attest", NW_HOST_R_BODY, do_op},
    {"GET", "/v1/health", "health", "health", 0, do_op},
    {"POST", "/rpc", "rpc", NULL, 0, do_rpc},
};

/* Match path against pattern; a "{id}" segment matches one non-empty segment (copied to id). */
static bool path_match(const char *pattern, const char *path, char *id, size_t id_len)
{
    while (*pattern != '\0') {
        if (strncmp(pattern, "{id}", 4) == 0) {
            size_t n = strcspn(path, "/");
            if (n == 0 || n >= id_len)
                return false;
            memcpy(id, path, n);
            id[n] = '\0';
            path += n;
            pattern += 4;
            continue;
        }
        if (*pattern != *path)
            return false;
        pattern++;
        path++;
    }
    return *path == '\0';
}

/* The route for method+path; *wrong_method when only the method differs. */
static const struct route *
find_route(const char *method, const char *path, char *id, size_t id_len, bool *wrong_method)
{
    *wrong_method = false;
    for (size_t i = 0; i < NW_ARRAY_LEN(routes); i++) {
        if (!path_match(routes[i].path, path, id, id_len))
            continue;
        if (strcmp(routes[i].method, method) == 0)
            return &routes[i];
        *wrong_method = true;
    }
    return NULL;
}

nw_err nw_host_err_by_code(const char *name)
{
#define NW_HOST_LOOKUP_(sym, num, desc)             \
 if (strcmp(nw_err_code((nw_err)(num)), name) == 0) \
  return (nw_err)(num);
    NW_ERRORS(NW_HOST_LOOKUP_)
#undef NW_HOST_LOOKUP_
    return NW_ERR_INTERNAL;
}

static nw_err reply(struct call *c, json_t *v)
{
    json_decref(c->answer);
    c->answer = v;
    return v != NULL ? NW_OK : NW_ERR_NOMEM;
}

static nw_err do_healthz(struct call *c, const char *op, unsigned flags)
{
    (void)op;
    (void)flags;
    return reply(c, json_pack("{s:s, s:s, s:I}", "status", "ok", "version", NW_VERSION_STRING,
                              "uptime_s", (json_int_t)((nw_now_ms() - c->ctx->started_ms) / 1000)));
}

static nw_err do_readyz(struct call *c, const char *op, unsigned flags)
{
    json_t *r = NULL;
    (void)op;
    (void)flags;
    NW_TRY(nw_host_pool_call(c->ctx->pool, &r, "health", json_object(), c->rid, &c->diag));
    /* The enclave's health answer says whether configure succeeded ("configured"). */
    if (json_is_false(json_object_get(r, "configured"))) {
        json_decref(r);
        return nw_diag_set(&c->diag, NW_ERR_NOT_CONFIGURED, "the enclave is not configured yet");
    }
    return reply(c, json_pack("{s:s, s:o}", "status", "ready", "enclave", r));
}

/* The enclave's numeric health fields as gauges (key cache hits, audit counters, ...). */
static nw_err render_enclave(struct nw_buf *out, const json_t *v, const char *prefix, int depth)
{
    const char *key;
    const json_t *x;
    json_object_foreach((json_t *)v, key, x)
    {
        char name[128];
        size_t n = (size_t)snprintf(name, sizeof(name), "%s_%s", prefix, key);
        if (n >= sizeof(name))
            continue;
        for (size_t i = 0; i < n; i++)
            if (!isalnum((unsigned char)name[i]))
                name[i] = '_';
        if (json_is_integer(x))
            NW_TRY(nw_buf_appendf(out, "%s %lld\n", name, (long long)json_integer_value(x)));
        else if (json_is_real(x))
            NW_TRY(nw_buf_appendf(out, "%s %g\n", name, json_real_value(x)));
        else if (json_is_boolean(x))
            NW_TRY(nw_buf_appendf(out, "%s %d\n", name, json_is_true(x) ? 1 : 0));
        else if (json_is_object(x) && depth < 2)
            NW_TRY(render_enclave(out, x, name, depth + 1));
    }
    return NW_OK;
}

static nw_err render_pool(struct nw_buf *out, const struct nw_host_pool_stats *s)
{
    return nw_buf_appendf(
        out,
        "# TYPE nw_host_enclave_pool_size gauge\nnw_host_enclave_pool_size %u\n"
        "# TYPE nw_host_enclave_pool_open gauge\nnw_host_enclave_pool_open %u\n"
        "# TYPE nw_host_enclave_pool_busy gauge\nnw_host_enclave_pool_busy %u\n"
        "# TYPE nw_host_enclave_connects_total counter\nnw_host_enclave_connects_total %llu\n"
        "# TYPE nw_host_enclave_connect_failures_total counter\n"
        "nw_host_enclave_connect_failures_total %llu\n"
        "# TYPE nw_host_enclave_configures_total counter\nnw_host_enclave_configures_total %llu\n"
        "# TYPE nw_host_enclave_configure_failures_total counter\n"
        "nw_host_enclave_configure_failures_total %llu\n"
        "# TYPE nw_host_enclave_calls_total counter\nnw_host_enclave_calls_total %llu\n"
        "# TYPE nw_host_enclave_io_errors_total counter\nnw_host_enclave_io_errors_total %llu\n"
        "# TYPE nw_host_enclave_retries_total counter\nnw_host_enclave_retries_total %llu\n",
        s->size, s->open, s->busy, (unsigned long long)s->connects,
        (unsigned long long)s->connect_failures, (unsigned long long)s->configures,
        (unsigned long long)s->configure_failures, (unsigned long long)s->calls,
        (unsigned long long)s->io_errors, (unsigned long long)s->retries);
}

static nw_err do_metrics(struct call *c, const char *op, unsigned flags)
{
    (void)op;
    (void)flags;
    struct nw_buf b;
    struct nw_host_pool_stats st;
    json_t *health = NULL;
    struct nw_diag d;
    nw_buf_init(&b, (size_t)1024 * 1024, false);
    nw_err err = nw_host_metrics_render(c->ctx->metrics, &b);
    nw_host_pool_stats(c->ctx->pool, &st);
    if (err == NW_OK)
        err = render_pool(&b, &st);
    bool up =
        nw_host_pool_call(c->ctx->pool, &health, "health", json_object(), c->rid, &d) == NW_OK;
    if (err == NW_OK)
        err = nw_buf_appendf(&b, "# TYPE nw_enclave_up gauge\nnw_enclave_up %d\n", up ? 1 : 0);
    if (err == NW_OK && up)
        err = render_enclave(&b, health, "nw_enclave", 0);
    json_decref(health);
    if (err == NW_OK)
        err = reply(c, json_stringn((const char *)b.ptr, b.len)); /* sent as text by the caller */
    nw_buf_clear(&b);
    return err;
}

/* secret_id -> encrypted_key (the seed's SecretString: base64 of the KMS CiphertextBlob). */
static nw_err resolve_secret(struct call *c, json_t *req)
{
    json_t *sid = json_object_get(req, "secret_id");
    if (sid == NULL)
        return NW_OK;
    if (!json_is_string(sid) || json_string_length(sid) == 0 || json_string_length(sid) > 2048)
        return nw_diag_set(&c->diag, NW_ERR_BAD_REQUEST, "secret_id: a non-empty string");
    if (json_object_get(req, "encrypted_key") != NULL)
        return nw_diag_set(&c->diag, NW_ERR_BAD_REQUEST,
                           "give secret_id or encrypted_key, not both");
    struct nw_buf v;
    nw_buf_init(&v, (size_t)64 * 1024, true);
    nw_err err = nw_host_secret_get(c->ctx->secrets, &v, json_string_value(sid), false, &c->diag);
    size_t a = 0, z = v.len;
    while (err == NW_OK && a < z && isspace(v.ptr[a]))
        a++;
    while (err == NW_OK && z > a && isspace(v.ptr[z - 1]))
        z--;
    for (size_t i = a; err == NW_OK && i < z; i++)
        if (!isalnum(v.ptr[i]) && v.ptr[i] != '+' && v.ptr[i] != '/' && v.ptr[i] != '=')
            err = nw_diag_set(&c->diag, NW_ERR_SECRET_FORMAT,
                              "the secret's value is not base64 (a KMS ciphertext)");
    if (err == NW_OK && a == z)
        err = nw_diag_set(&c->diag, NW_ERR_SECRET_FORMAT, "the secret's value is empty");
    if (err == NW_OK && (json_object_set_new(req, "encrypted_key",
                                             json_stringn((const char *)v.ptr + a, z - a)) != 0 ||
                         json_object_del(req, "secret_id") != 0))
        err = NW_ERR_NOMEM;
    nw_buf_clear(&v);
    return err;
}

/* Direct KMS mode: the enclave signs its own KMS calls with the instance credentials. */
static nw_err add_credentials(struct call *c, json_t *req)
{
    if (strcmp(c->ctx->cfg->kms_mode, "direct") != 0)
        return NW_OK;
    struct nw_aws_creds cr;
    nw_err err = nw_host_credentials(c->ctx, &cr, &c->diag);
    if (err == NW_OK) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "access_key_id", cr.access_key_id,
                              "secret_access_key", cr.secret_access_key, "token", cr.session_token);
        if (o == NULL || json_object_set_new(req, "credential", o) != 0)
            err = NW_ERR_NOMEM;
    }
    nw_aws_creds_clear(&cr);
    return err;
}

static nw_err prepare(struct call *c, json_t *req, unsigned flags)
{
    static const char *const reserved[] = {"v", "id", "op", "credential"};
    for (size_t i = 0; i < NW_ARRAY_LEN(reserved); i++)
        if (json_object_get(req, reserved[i]) != NULL)
            return nw_diag_set(&c->diag, NW_ERR_BAD_REQUEST, "field \"%s\" is set by nw-host",
                               reserved[i]);
    if ((flags & NW_HOST_R_ID) != 0) {
        const char *k = c->id_segment[0] == '0' && c->id_segment[1] == 'x' ? "address" : "key_id";
        if (json_object_set_new(req, k, json_string(c->id_segment)) != 0)
            return NW_ERR_NOMEM;
    }
    if ((flags & NW_HOST_R_SECRET) != 0)
        NW_TRY(resolve_secret(c, req));
    if ((flags & NW_HOST_R_CREDS) != 0)
        NW_TRY(add_credentials(c, req));
    return NW_OK;
}

static nw_err do_op(struct call *c, const char *op, unsigned flags)
{
    json_t *req = c->body != NULL ? json_copy(c->body) : json_object();
    json_t *r = NULL;
    if (req == NULL)
        return NW_ERR_NOMEM;
    nw_err err = prepare(c, req, flags);
    if (err == NW_OK)
        err = nw_host_pool_call(c->ctx->pool, &r, op, req, c->rid, &c->diag);
    json_decref(req); /* may hold credentials: freed through the wiping allocator */
    if (err == NW_OK)
        err = reply(c, r);
    return err;
}

/* POST /rpc: the body is JSON-RPC (an object or a batch array); answered with status 200. */
static nw_err do_rpc(struct call *c, const char *op, unsigned flags)
{
    (void)op;
    (void)flags;
    json_t *a = NULL;
    NW_TRY(nw_host_rpc(c->ctx, &a, c->req->body, c->rid));
    json_decref(c->answer);
    c->answer = a; /* NULL (notifications only): an empty 200 */
    return NW_OK;
}

/* POST / exactly as the seed's parent server (server/app.py). */
static nw_err do_seed(struct call *c, const char *op, unsigned flags)
{
    const char *key;
    json_t *v, *r = NULL;
    (void)flags;
    json_object_foreach(c->body, key, v)
    {
        if (strcmp(key, "transaction_payload") != 0 && strcmp(key, "secret_id") != 0)
            return nw_diag_set(&c->diag, NW_ERR_BAD_REQUEST,
                               "unknown field \"%.64s\" (expected transaction_payload, secret_id)",
                               key);
    }
    if (!json_is_object(json_object_get(c->body, "transaction_payload")))
        return nw_diag_set(&c->diag, NW_ERR_BAD_REQUEST, "transaction_payload: a JSON object");
    if (!json_is_string(json_object_get(c->body, "secret_id")))
        return nw_diag_set(&c->diag, NW_ERR_BAD_REQUEST, "secret_id: a string");
    json_t *req = json_copy(c->body);
    if (req == NULL)
        return NW_ERR_NOMEM;
    nw_err err = resolve_secret(c, req);
    if (err == NW_OK)
        err = add_credentials(c, req);
    if (err == NW_OK)
        err = nw_host_pool_call(c->ctx->pool, &r, op, req, c->rid, &c->diag);
    json_decref(req);
    if (err == NW_OK) {
        err = reply(c, json_pack("{s:O, s:O}", "transaction_signed",
                                 json_object_get(r, "transaction_signed"), "transaction_hash",
                                 json_object_get(r, "transaction_hash")));
        if (err != NW_OK)
            err = nw_diag_set(&c->diag, NW_ERR_ENCLAVE_PROTOCOL,
                              "the enclave's answer lacks "
                              "transaction_signed");
    }
    json_decref(r);
    return err;
}

static bool is_json_type(const char *ct)
{
    if (ct == NULL)
        return false;
    size_t n = strcspn(ct, ";");
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    return n == strlen("application/json") && strncasecmp(ct, "application/json", n) == 0;
}

/* Checks before a route runs: time, size, content type, a JSON object body. */
static nw_err read_body(struct call *c, const struct route *rt)
{
    const struct nw_httpd_request *rq = c->req;
    if (rq->timed_out)
        return nw_diag_set(&c->diag, NW_ERR_REQUEST_TIMEOUT, "request body too slow");
    if (rq->body_too_large)
        return nw_diag_set(&c->diag, NW_ERR_BODY_TOO_LARGE, "request body over %zu bytes",
                           c->ctx->cfg->max_body_bytes);
    if ((rt->flags & NW_HOST_R_BODY) == 0)
        return NW_OK;
    if (!is_json_type(nw_httpd_header(rq, "Content-Type")))
        return nw_diag_set(&c->diag, NW_ERR_CONTENT_TYPE, "Content-Type must be application/json");
    json_error_t je;
    c->body = json_loadb((const char *)rq->body.ptr, rq->body.len, JSON_REJECT_DUPLICATES, &je);
    if (c->body == NULL)
        return nw_diag_set(&c->diag, NW_ERR_BAD_REQUEST, "body is not JSON (line %d column %d)",
                           je.line, je.column);
    if (!json_is_object(c->body))
        return nw_diag_set(&c->diag, NW_ERR_BAD_REQUEST, "body must be a JSON object");
    return NW_OK;
}

static void new_request_id(char out[33])
{
    uint8_t r[16];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        memset(r, 0, sizeof(r));
    for (size_t i = 0; i < sizeof(r); i++)
        (void)snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static void write_body(struct nw_httpd_response *resp, struct call *c, nw_err err)
{
    json_t *v = c->answer;
    json_t *e = NULL;
    if (err != NW_OK) {
        const char *msg = c->diag.msg[0] != '\0' ? c->diag.msg : nw_err_str(err);
        e = json_pack("{s:{s:s, s:s}}", "error", "code", nw_err_code(err), "message", msg);
        v = e;
    }
    resp->status = (unsigned)nw_err_class_http_status(nw_err_class(err));
    if (v != NULL && json_is_string(v)) { /* /metrics: text */
        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
        if (nw_buf_append(&resp->body, json_string_value(v), json_string_length(v)) != NW_OK)
            resp->status = 500;
    } else if (v != NULL) {
        size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT);
        if (nw_buf_reserve(&resp->body, n + 1) == NW_OK &&
            json_dumpb(v, (char *)resp->body.ptr, n, JSON_COMPACT) == n) {
            resp->body.len = n;
            if (nw_buf_append_byte(&resp->body, '\n') != NW_OK)
                resp->status = 500;
        } else {
            resp->status = 500;
        }
    }
    json_decref(e);
}

static void handle(void *ctxp,
                   struct nw_httpd_response *resp,
                   const struct nw_httpd_request *req,
                   bool rpc_only)
{
    struct call c;
    char id[128];
    bool wrong_method = false;
    struct timespec ts0;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts0);
    memset(&c, 0, sizeof(c));
    c.ctx = ctxp;
    c.req = req;
    c.id_segment = id;
    new_request_id(c.rid);
    const struct route *rt = find_route(req->method, req->path, id, sizeof(id), &wrong_method);
    if (rpc_only && rt != NULL && strcmp(rt->path, "/rpc") != 0)
        rt = NULL;
    nw_err err;
    if (rt == NULL && wrong_method)
        err = nw_diag_set(&c.diag, NW_ERR_METHOD_NOT_ALLOWED, "%.8s not allowed on this path",
                          req->method);
    else if (rt == NULL)
        err = nw_diag_set(&c.diag, NW_ERR_ROUTE_NOT_FOUND, "no route for this path");
    else if ((err = read_body(&c, rt)) == NW_OK)
        err = rt->fn(&c, rt->op, rt->flags);
    write_body(resp, &c, err);
    (void)nw_httpd_response_header(resp, "X-Request-Id", c.rid);
    json_decref(c.body);
    json_decref(c.answer);
    struct timespec ts1;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts1);
    int64_t us = (int64_t)(ts1.tv_sec - ts0.tv_sec) * 1000000 + (ts1.tv_nsec - ts0.tv_nsec) / 1000;
    const char *name = rt != NULL ? rt->name : "none";
    const char *code = err == NW_OK ? "ok" : nw_err_code(err);
    nw_host_metrics_request(c.ctx->metrics, name, code, us);
    char status[8], ms[24];
    (void)snprintf(status, sizeof(status), "%u", resp->status);
    (void)snprintf(ms, sizeof(ms), "%.3f", (double)us / 1000.0);
    nw_log(err == NW_OK ? NW_LOG_INFO : NW_LOG_WARN, "request", "id", c.rid, "route", name,
           "status", status, "code", code, "ms", ms, "peer", req->peer, NULL);
}

void nw_host_handle(void *ctxp, struct nw_httpd_response *resp, const struct nw_httpd_request *req)
{
    handle(ctxp, resp, req, false);
}

void nw_host_handle_rpc_only(void *ctxp,
                             struct nw_httpd_response *resp,
                             const struct nw_httpd_request *req)
{
    handle(ctxp, resp, req, true);
}

/*
 * The operations of nw-lambda. The seed's three events keep their exact shapes and answers:
 *
 *   {"operation":"set_key","eth_key":"<hex>"}   KMS Encrypt of the key text under KEY_ARN, its
 *        CiphertextBlob base64-encoded into SECRET_ARN with UpdateSecret; answers the
 *        UpdateSecret result {"ARN","Name","VersionId"}
 *   {"operation":"get_key"}                      answers the stored SecretString (a JSON string)
 *   {"operation":"sign_transaction","transaction_payload":{...}}
 *        HTTPS POST / to nw-host with {"transaction_payload", "secret_id": SECRET_ARN}; answers
 *        nw-host's JSON
 *
 * and the key-store operations go to nw-host's /v1 API (see ops[] below). Unlike the seed, the
 * host's certificate is always verified (NITRO_CA_CERT_PATH or the system store), and a key
 * given to set_key must be a valid secp256k1 key before it is encrypted and stored.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nw/base64.h>
#include <nw/kms.h>
#include <nw/mem.h>
#include <nw/secrets.h>
#include <nw/sign.h>

#include "lambda.h"

static nw_err fail_set(struct nw_lambda_fail *f, nw_err err, const char *type, const char *fmt, ...)
    NW_PRINTF(4, 5);

static nw_err fail_set(struct nw_lambda_fail *f, nw_err err, const char *type, const char *fmt, ...)
{
    va_list ap;
    (void)snprintf(f->type, sizeof(f->type), "%s", type);
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, va_start above
    int n = vsnprintf(f->message, sizeof(f->message), fmt, ap);
    va_end(ap);
    if (n < 0)
        f->message[0] = '\0';
    return err;
}

nw_err nw_lambda_json_dump(struct nw_buf *out, const void *json)
{
    const json_t *j = json;
    size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    NW_ENSURE(n > 0, NW_ERR_NOMEM);
    NW_TRY(nw_buf_reserve(out, n));
    size_t k = json_dumpb(j, (char *)out->ptr + out->len, n,
                          JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    NW_ENSURE(k == n, NW_ERR_INTERNAL);
    out->len += n;
    return NW_OK;
}

/* ---- configuration --------------------------------------------------------------------- */

static bool env_copy(char *dst, size_t n, const char *name, bool required, struct nw_lambda_fail *f)
{
    const char *v = getenv(name);
    dst[0] = '\0';
    if (v == NULL || v[0] == '\0') {
        if (required)
            fail_set(f, NW_ERR_CONFIG, "ValueError",
                     "NITRO_INSTANCE_PRIVATE_DNS, SECRET_ARN and KEY_ARN environment variables "
                     "need to be set (%s is missing)",
                     name);
        return !required;
    }
    if (strlen(v) >= n) {
        fail_set(f, NW_ERR_CONFIG, "ValueError", "%s is too long", name);
        return false;
    }
    memcpy(dst, v, strlen(v) + 1);
    return true;
}

/* NITRO_INSTANCE_PRIVATE_DNS is a host name, optionally with :PORT (default 443). */
static nw_err host_url(struct nw_lambda_config *c, struct nw_lambda_fail *f)
{
    char dns[512];
    if (!env_copy(dns, sizeof(dns), "NITRO_INSTANCE_PRIVATE_DNS", true, f))
        return NW_ERR_CONFIG;
    if (strpbrk(dns, "/?#@ \t\r\n") != NULL)
        return fail_set(f, NW_ERR_CONFIG, "ValueError",
                        "NITRO_INSTANCE_PRIVATE_DNS must be HOST or HOST:PORT");
    int n = snprintf(c->host_url, sizeof(c->host_url), "https://%s/", dns);
    if (n < 0 || (size_t)n >= sizeof(c->host_url))
        return fail_set(f, NW_ERR_CONFIG, "ValueError", "NITRO_INSTANCE_PRIVATE_DNS too long");
    struct nw_http_url u;
    if (nw_http_url_parse(&u, c->host_url) != NW_OK)
        return fail_set(f, NW_ERR_CONFIG, "ValueError",
                        "NITRO_INSTANCE_PRIVATE_DNS is not a valid HOST[:PORT]");
    return NW_OK;
}

static nw_err read_config(struct nw_lambda_config *c, struct nw_lambda_fail *f)
{
    char tmo[32];
    memset(c, 0, sizeof(*c));
    if (!env_copy(c->key_arn, sizeof(c->key_arn), "KEY_ARN", true, f) ||
        !env_copy(c->secret_arn, sizeof(c->secret_arn), "SECRET_ARN", true, f))
        return NW_ERR_CONFIG;
    NW_TRY(host_url(c, f));
    if (!env_copy(c->host_ca, sizeof(c->host_ca), "NITRO_CA_CERT_PATH", false, f) ||
        !env_copy(c->client_cert, sizeof(c->client_cert), "NW_CLIENT_CERT", false, f) ||
        !env_copy(c->client_key, sizeof(c->client_key), "NW_CLIENT_KEY", false, f) ||
        !env_copy(tmo, sizeof(tmo), "NW_HOST_TIMEOUT_MS", false, f))
        return NW_ERR_CONFIG;
    c->host_timeout_ms = 10000;
    if (tmo[0] != '\0') {
        char *end = NULL;
        long v = strtol(tmo, &end, 10);
        if (end == tmo || *end != '\0' || v < 100 || v > 900000)
            return fail_set(f, NW_ERR_CONFIG, "ValueError",
                            "NW_HOST_TIMEOUT_MS must be 100..900000");
        c->host_timeout_ms = (int)v;
    }
    return NW_OK;
}

nw_err nw_lambda_init(struct nw_lambda *l, struct nw_lambda_fail *fail)
{
    struct nw_diag d = {0};
    memset(l, 0, sizeof(*l));
    NW_TRY(read_config(&l->cfg, fail));
    /* Lambda hands the function role's credentials in the environment. */
    if (nw_aws_creds_provider_env(&l->creds) != NW_OK)
        return fail_set(fail, NW_ERR_AWS_CREDS_MISSING, "NoCredentialsError",
                        "no AWS credentials in the environment");
    struct nw_aws_config ac = {.creds = l->creds};
    nw_err err = nw_aws_client_new(&l->kms, NW_AWS_KMS, &ac, &d);
    if (err == NW_OK)
        err = nw_aws_client_new(&l->sm, NW_AWS_SECRETS_MANAGER, &ac, &d);
    if (err != NW_OK)
        return fail_set(fail, err, "ValueError", "AWS client: %s",
                        d.msg[0] ? d.msg : nw_err_str(err));
    struct nw_http_opts ho = {
        .ca_file = l->cfg.host_ca[0] ? l->cfg.host_ca : NULL,
        .cert_file = l->cfg.client_cert[0] ? l->cfg.client_cert : NULL,
        .key_file = l->cfg.client_key[0] ? l->cfg.client_key : NULL,
        .timeout_ms = l->cfg.host_timeout_ms,
    };
    err = nw_http_new(&l->host, &ho);
    if (err != NW_OK)
        return fail_set(fail, err, "ValueError", "HTTPS client: %s", nw_err_str(err));
    return NW_OK;
}

void nw_lambda_clear(struct nw_lambda *l)
{
    nw_http_free(l->host);
    nw_aws_client_free(l->kms);
    nw_aws_client_free(l->sm);
    nw_aws_creds_provider_free(l->creds);
    memset(l, 0, sizeof(*l));
}

/* ---- operations ------------------------------------------------------------------------ */

static nw_err
aws_fail(struct nw_lambda_fail *f, nw_err err, const char *what, const struct nw_aws_error *ae)
{
    /* The AWS error name and message (no request data); the type names the service error as
     * botocore's ClientError would. */
    if (ae->name[0] != '\0')
        return fail_set(f, err, "ClientError", "exception happened %s: %s: %s", what, ae->name,
                        ae->message);
    return fail_set(f, err, "Exception", "exception happened %s: %s", what, nw_err_str(err));
}

static nw_err
op_set_key(struct nw_lambda *l, struct nw_buf *answer, struct nw_lambda_fail *f, json_t *ev)
{
    nw_err err = NW_OK;
    struct nw_kms_result kr;
    struct nw_sm_result sr;
    struct nw_aws_error ae;
    struct nw_buf b64;
    struct nw_seckey key;
    struct nw_secp *secp = NULL;
    json_t *out = NULL;
    nw_kms_result_init(&kr);
    nw_sm_result_init(&sr);
    nw_aws_error_reset(&ae);
    nw_buf_init(&b64, 16384, false);
    memset(&key, 0, sizeof(key));

    const json_t *k = json_object_get(ev, "eth_key");
    if (!json_is_string(k)) {
        err = fail_set(f, NW_ERR_INVALID_ARG, "ValueError", "set_key requires eth_key (a string)");
        goto out;
    }
    struct nw_cur text = nw_cur_of(json_string_value(k), json_string_length(k));
    /* Refuse what the enclave could never sign with, before it is stored. */
    secp = nw_secp_new();
    NW_CHECK_COND(secp != NULL, NW_ERR_NOMEM);
    if (nw_seckey_parse(secp, &key, text) != NW_OK) {
        err = fail_set(f, NW_ERR_KEY_INVALID, "ValueError",
                       "eth_key is not a valid secp256k1 private key (64 hex digits)");
        goto out;
    }
    struct nw_kms_request kq = {.key_id = l->cfg.key_arn, .plaintext = text};
    err = nw_kms_encrypt(l->kms, &kr, &kq, &ae);
    if (err != NW_OK) {
        aws_fail(f, err, "sending encryption request to KMS", &ae);
        goto out;
    }
    NW_CHECK(nw_base64_encode(&b64, nw_buf_cur(&kr.ciphertext_blob)));
    nw_aws_error_reset(&ae);
    struct nw_sm_request sq = {.secret_id = l->cfg.secret_arn, .secret_string = nw_buf_cur(&b64)};
    err = nw_sm_update_secret(l->sm, &sr, &sq, &ae);
    if (err != NW_OK) {
        aws_fail(f, err, "updating secret", &ae);
        goto out;
    }
    out = json_pack("{s:s, s:s, s:s}", "ARN", sr.arn, "Name", sr.name, "VersionId", sr.version_id);
    NW_CHECK_COND(out != NULL, NW_ERR_NOMEM);
    NW_CHECK(nw_lambda_json_dump(answer, out));
out:
    json_decref(out);
    nw_seckey_clear(&key);
    nw_secp_free(secp);
    nw_buf_clear(&b64);
    nw_kms_result_clear(&kr);
    nw_sm_result_clear(&sr);
    if (err != NW_OK && f->type[0] == '\0')
        fail_set(f, err, "Exception", "set_key failed: %s", nw_err_str(err));
    return err;
}

static nw_err op_get_key(struct nw_lambda *l, struct nw_buf *answer, struct nw_lambda_fail *f)
{
    struct nw_sm_result sr;
    struct nw_aws_error ae;
    nw_sm_result_init(&sr);
    nw_aws_error_reset(&ae);
    struct nw_sm_request sq = {.secret_id = l->cfg.secret_arn};
    nw_err err = nw_sm_get_secret_value(l->sm, &sr, &sq, &ae);
    if (err != NW_OK) {
        aws_fail(f, err, "reading secret from secrets manager", &ae);
    } else if (!sr.has_string) {
        err = fail_set(f, NW_ERR_NOT_FOUND, "Exception", "the secret has no SecretString");
    } else {
        json_t *s = json_stringn((const char *)sr.secret_string.ptr, sr.secret_string.len);
        err = s != NULL ? nw_lambda_json_dump(answer, s) : NW_ERR_INVALID_ARG;
        json_decref(s);
        if (err != NW_OK)
            fail_set(f, err, "Exception", "the SecretString is not UTF-8 text");
    }
    nw_sm_result_clear(&sr);
    return err;
}

/*
 * One call to nw-host: method, path and a JSON body; the answer is the host's JSON when the
 * status is 2xx, else a HostError carrying the host's error code and message.
 */
/* Time kept back from the invocation's deadline to post an error to the Runtime API. */
#define DEADLINE_MARGIN_MS 300

/*
 * The timeout of a call to nw-host: the configured one, cut to what is left of the invocation
 * (less the margin). Returns: > 0; 0 when nothing is left.
 */
static int host_timeout(const struct nw_lambda *l)
{
    if (l->deadline_ms <= 0)
        return l->cfg.host_timeout_ms;
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    int64_t left = l->deadline_ms - now - DEADLINE_MARGIN_MS;
    if (left <= 0)
        return 0;
    return left < l->cfg.host_timeout_ms ? (int)left : l->cfg.host_timeout_ms;
}

static nw_err host_call(struct nw_lambda *l,
                        struct nw_buf *answer,
                        struct nw_lambda_fail *f,
                        const char *method,
                        const char *path,
                        const json_t *body)
{
    char url[1200];
    struct nw_buf req_body;
    struct nw_http_response resp;
    struct nw_diag d = {0};
    nw_err err = NW_OK;
    json_t *parsed = NULL;
    nw_buf_init(&req_body, (size_t)1 << 20, true);
    nw_http_response_init(&resp);

    /* host_url ends in '/'; path starts with '/'. */
    int n = snprintf(url, sizeof(url), "%.*s%s", (int)strlen(l->cfg.host_url) - 1, l->cfg.host_url,
                     path);
    NW_CHECK_COND(n > 0 && (size_t)n < sizeof(url), NW_ERR_INVALID_ARG);
    if (body != NULL)
        NW_CHECK(nw_lambda_json_dump(&req_body, body));
    int timeout_ms = host_timeout(l);
    if (timeout_ms == 0) {
        err = fail_set(f, NW_ERR_DEADLINE_EXCEEDED, "TimeoutError",
                       "the invocation's deadline leaves no time to call the Nitro instance");
        goto out;
    }
    struct nw_http_header hd[] = {{"Content-Type", "application/json"}};
    struct nw_http_request rq = {.method = method,
                                 .url = url,
                                 .headers = hd,
                                 .n_headers = body != NULL ? 1 : 0,
                                 .body = nw_buf_cur(&req_body),
                                 .timeout_ms = timeout_ms};
    err = nw_http_perform(l->host, &resp, &rq, &d);
    if (err != NW_OK) {
        fail_set(f, err, "Exception",
                 "exception happened sending request to the Nitro instance: %s", d.msg);
        goto out;
    }
    json_error_t je;
    parsed = json_loadb((const char *)resp.body.ptr, resp.body.len, JSON_DECODE_ANY, &je);
    if (resp.status < 200 || resp.status > 299) {
        const json_t *e = json_object_get(json_object_get(parsed, "error"), "code");
        const json_t *m = json_object_get(json_object_get(parsed, "error"), "message");
        err = fail_set(f, NW_ERR_HTTP_STATUS, "HostError", "nw-host answered HTTP %ld: %s: %s",
                       resp.status, json_is_string(e) ? json_string_value(e) : "unknown",
                       json_is_string(m) ? json_string_value(m) : "no message");
        goto out;
    }
    if (parsed == NULL) {
        err = fail_set(f, NW_ERR_JSON, "Exception", "nw-host answered text that is not JSON");
        goto out;
    }
    NW_CHECK(nw_lambda_json_dump(answer, parsed));
out:
    json_decref(parsed);
    nw_buf_clear(&req_body);
    nw_http_response_clear(&resp);
    if (err != NW_OK && f->type[0] == '\0')
        fail_set(f, err, "Exception", "request to nw-host failed: %s", nw_err_str(err));
    return err;
}

static nw_err op_sign_transaction(struct nw_lambda *l,
                                  struct nw_buf *answer,
                                  struct nw_lambda_fail *f,
                                  json_t *ev)
{
    json_t *p = json_object_get(ev, "transaction_payload");
    if (!json_is_object(p) || json_object_size(p) == 0)
        return fail_set(f, NW_ERR_INVALID_ARG, "Exception",
                        "sign_transaction requires transaction_payload and secret_id optionally");
    json_t *body =
        json_pack("{s:O, s:s}", "transaction_payload", p, "secret_id", l->cfg.secret_arn);
    if (body == NULL)
        return fail_set(f, NW_ERR_NOMEM, "Exception", "out of memory");
    nw_err err = host_call(l, answer, f, "POST", "/", body);
    json_decref(body);
    return err;
}

/*
 * Key-store operations: the event minus "operation" is the body of nw-host's /v1 call. The
 * path may name a key by the event's "key_id".
 */
struct v1_op {
    const char *operation;
    const char *method;
    const char *path; /* "%s" is replaced by key_id */
};

static const struct v1_op v1_ops[] = {
    {"generate_key", "POST", "/v1/keys"},
    {"import_key", "POST", "/v1/keys/import"},
    {"list_keys", "GET", "/v1/keys"},
    {"get_key_info", "GET", "/v1/keys/%s"},
    {"disable_key", "POST", "/v1/keys/%s/disable"},
    {"sign_transaction_v1", "POST", "/v1/transactions/sign"},
    {"sign_message", "POST", "/v1/messages/sign"},
    {"sign_typed_data", "POST", "/v1/typed-data/sign"},
    {"sign_authorization", "POST", "/v1/authorizations/sign"},
};

static bool key_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
              c == '-' || c == 'x' || c == 'X'))
            return false;
    }
    return true;
}

static nw_err op_v1(struct nw_lambda *l,
                    struct nw_buf *answer,
                    struct nw_lambda_fail *f,
                    const struct v1_op *op,
                    json_t *ev)
{
    char path[256];
    if (strstr(op->path, "%s") != NULL) {
        const json_t *id = json_object_get(ev, "key_id");
        if (!json_is_string(id) || !key_id_ok(json_string_value(id)))
            return fail_set(f, NW_ERR_INVALID_ARG, "ValueError",
                            "%s requires key_id (a key id or address)", op->operation);
        const char *pct = strstr(op->path, "%s");
        int n = snprintf(path, sizeof(path), "%.*s%s%s", (int)(pct - op->path), op->path,
                         json_string_value(id), pct + 2);
        if (n < 0 || (size_t)n >= sizeof(path))
            return fail_set(f, NW_ERR_INVALID_ARG, "ValueError", "key_id too long");
    } else {
        (void)snprintf(path, sizeof(path), "%s", op->path);
    }
    json_t *body = json_deep_copy(ev);
    if (body == NULL)
        return fail_set(f, NW_ERR_NOMEM, "Exception", "out of memory");
    json_object_del(body, "operation");
    bool get = strcmp(op->method, "GET") == 0;
    nw_err err = host_call(l, answer, f, op->method, path, get ? NULL : body);
    json_decref(body);
    return err;
}

nw_err nw_lambda_handle(struct nw_lambda *l,
                        struct nw_buf *answer,
                        struct nw_lambda_fail *f,
                        struct nw_cur event,
                        int64_t deadline_ms)
{
    json_error_t je;
    l->deadline_ms = deadline_ms;
    memset(f, 0, sizeof(*f));
    json_t *ev = json_loadb((const char *)event.ptr, event.len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(ev)) {
        json_decref(ev);
        return fail_set(f, NW_ERR_JSON, "ValueError", "the event must be a JSON object");
    }
    const json_t *opj = json_object_get(ev, "operation");
    const char *op = json_is_string(opj) ? json_string_value(opj) : NULL;
    nw_err err;
    if (op == NULL) {
        err = fail_set(f, NW_ERR_INVALID_ARG, "ValueError", "request needs to define operation");
    } else if (strcmp(op, "set_key") == 0) {
        err = op_set_key(l, answer, f, ev);
    } else if (strcmp(op, "get_key") == 0) {
        err = op_get_key(l, answer, f);
    } else if (strcmp(op, "sign_transaction") == 0 && json_object_get(ev, "key_id") == NULL &&
               json_object_get(ev, "address") == NULL) {
        err = op_sign_transaction(l, answer, f, ev);
    } else {
        const struct v1_op *hit = NULL;
        for (size_t i = 0; i < NW_ARRAY_LEN(v1_ops); i++) {
            if (strcmp(op, v1_ops[i].operation) == 0)
                hit = &v1_ops[i];
        }
        if (hit == NULL && strcmp(op, "sign_transaction") == 0)
            hit = &v1_ops[5]; /* by key_id or address: the /v1 form */
        if (hit != NULL)
            err = op_v1(l, answer, f, hit, ev);
        else
            err = fail_set(f, NW_ERR_UNKNOWN_OP, "ValueError",
                           "operation: %.64s not supported right now", op);
    }
    /* The event may hold a private key (set_key): jansson's copies are wiped by the hooked
     * allocator when freed. */
    json_decref(ev);
    return err;
}

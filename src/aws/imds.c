/*
 * IMDSv2 client (nitro-protocols.md 5.4): session token PUT, then token-authenticated GETs for
 * the role name, the role's credentials and the instance identity document.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nw/http.h>
#include <nw/imds.h>
#include <nw/mem.h>

#include "aws_int.h"

#define IMDS_MAX_BODY  ((size_t)64 * 1024)
#define IMDS_TOKEN_MAX 1024
#define CREDS_PATH     "/latest/meta-data/iam/security-credentials/"

struct nw_imds {
    struct nw_http *http;
    char base[512];
    int ttl_s;
    int64_t (*clock)(void *arg);
    void *clock_arg;
    char token[IMDS_TOKEN_MAX + 1];
    int64_t token_expires_s;
};

static int64_t now_s(const struct nw_imds *m)
{
    return m->clock != NULL ? m->clock(m->clock_arg) : (int64_t)time(NULL);
}

nw_err nw_imds_new(struct nw_imds **out, const struct nw_imds_opts *opts)
{
    nw_err err = NW_OK;
    struct nw_imds_opts none = {0};
    *out = NULL;
    if (opts == NULL)
        opts = &none;
    struct nw_imds *m = nw_calloc(1, sizeof(*m));
    if (m == NULL)
        return NW_ERR_NOMEM;
    const char *ep = opts->endpoint;
    if (ep == NULL || ep[0] == '\0')
        ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (ep == NULL || ep[0] == '\0')
        ep = NW_IMDS_DEFAULT_ENDPOINT;
    size_t n = strlen(ep);
    while (n > 0 && ep[n - 1] == '/') /* paths are appended with their own "/" */
        n--;
    NW_CHECK_COND(n > 0 && n < sizeof(m->base), NW_ERR_HTTP_URL);
    memcpy(m->base, ep, n);
    m->base[n] = '\0';
    struct nw_http_url u;
    NW_CHECK(nw_http_url_parse(&u, m->base));
    m->ttl_s = opts->token_ttl_s > 0 ? opts->token_ttl_s : 21600;
    NW_CHECK_COND(m->ttl_s <= 21600, NW_ERR_CONFIG);
    m->clock = opts->clock;
    m->clock_arg = opts->clock_arg;
    struct nw_http_opts ho = {
        .connect_to = opts->connect_to,
        .timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 2000,
        .connect_timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 2000,
        .max_response_bytes = IMDS_MAX_BODY,
    };
    NW_CHECK(nw_http_new(&m->http, &ho));
    *out = m;
    return NW_OK;
out:
    nw_imds_free(m);
    return err;
}

void nw_imds_free(struct nw_imds *m)
{
    if (m == NULL)
        return;
    nw_http_free(m->http);
    nw_free_secret(m, sizeof(*m));
}

static void drop_token(struct nw_imds *m)
{
    nw_wipe(m->token, sizeof(m->token));
    m->token_expires_s = 0;
}

static nw_err set_url(char *url, size_t len, const struct nw_imds *m, const char *path)
{
    int n = snprintf(url, len, "%s%s", m->base, path);
    return (n > 0 && (size_t)n < len) ? NW_OK : NW_ERR_HTTP_URL;
}

static nw_err fetch_token(struct nw_imds *m, struct nw_aws_error *aerr)
{
    nw_err err = NW_OK;
    char url[1024], ttl[16];
    struct nw_http_response r;
    nw_http_response_init(&r);
    struct nw_diag d = {0};
    (void)snprintf(ttl, sizeof(ttl), "%d", m->ttl_s);
    struct nw_http_header h[] = {{"X-aws-ec2-metadata-token-ttl-seconds", ttl}};
    NW_CHECK(set_url(url, sizeof(url), m, "/latest/api/token"));
    struct nw_http_request req = {.method = "PUT", .url = url, .headers = h, .n_headers = 1};
    int64_t t0 = now_s(m);
    err = nw_http_perform(m->http, &r, &req, &d);
    if (err != NW_OK) {
        if (aerr != NULL)
            nw_aws_copy_printable(aerr->message, sizeof(aerr->message), nw_cur_str(d.msg));
        goto out;
    }
    if (aerr != NULL)
        aerr->http_status = (int)r.status;
    NW_CHECK_COND(r.status == 200, NW_ERR_IMDS_TOKEN);
    size_t n = r.body.len;
    while (n > 0 && (r.body.ptr[n - 1] == '\n' || r.body.ptr[n - 1] == '\r'))
        n--;
    NW_CHECK_COND(n > 0 && n <= IMDS_TOKEN_MAX, NW_ERR_IMDS_TOKEN);
    for (size_t i = 0; i < n; i++)
        NW_CHECK_COND(r.body.ptr[i] > 0x20 && r.body.ptr[i] < 0x7f, NW_ERR_IMDS_TOKEN);
    drop_token(m);
    memcpy(m->token, r.body.ptr, n);
    m->token[n] = '\0';
    m->token_expires_s = t0 + m->ttl_s;
out:
    nw_http_response_clear(&r);
    return err;
}

static bool token_fresh(const struct nw_imds *m)
{
    /* Renew a minute early (or at the last moment for very short test TTLs). */
    int64_t margin = m->ttl_s >= 120 ? 60 : 0;
    return m->token[0] != '\0' && now_s(m) + margin < m->token_expires_s;
}

nw_err
nw_imds_get(struct nw_imds *m, struct nw_buf *out, const char *path, struct nw_aws_error *aerr)
{
    nw_err err = NW_OK;
    char url[1024];
    struct nw_http_response r;
    nw_http_response_init(&r);
    nw_aws_error_reset(aerr);
    NW_CHECK(set_url(url, sizeof(url), m, path));
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!token_fresh(m))
            NW_CHECK(fetch_token(m, aerr));
        struct nw_http_header h[] = {{"X-aws-ec2-metadata-token", m->token}};
        struct nw_http_request req = {.method = "GET", .url = url, .headers = h, .n_headers = 1};
        struct nw_diag d = {0};
        err = nw_http_perform(m->http, &r, &req, &d);
        if (err != NW_OK) {
            if (aerr != NULL)
                nw_aws_copy_printable(aerr->message, sizeof(aerr->message), nw_cur_str(d.msg));
            goto out;
        }
        if (aerr != NULL)
            aerr->http_status = (int)r.status;
        if (r.status != 401)
            break;
        drop_token(m); /* the token expired or was revoked: fetch a new one once */
    }
    NW_CHECK_COND(r.status != 404, NW_ERR_NOT_FOUND);
    NW_CHECK_COND(r.status == 200, NW_ERR_HTTP_STATUS);
    NW_CHECK(nw_buf_append(out, r.body.ptr, r.body.len));
out:
    if (aerr != NULL)
        aerr->code = err;
    nw_http_response_clear(&r);
    return err;
}

static nw_err copy_json_str(char *dst, size_t dst_len, json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return NW_ERR_AWS_RESPONSE;
    size_t n = json_string_length(v);
    if (n == 0 || n >= dst_len)
        return NW_ERR_AWS_RESPONSE;
    memcpy(dst, json_string_value(v), n + 1);
    return NW_OK;
}

nw_err nw_imds_parse_credentials(struct nw_aws_creds *out, struct nw_cur text)
{
    nw_err err = NW_OK;
    int64_t exp = 0;
    nw_aws_creds_clear(out);
    json_t *root = json_loadb((const char *)text.ptr, text.len, JSON_REJECT_DUPLICATES, NULL);
    NW_CHECK_COND(json_is_object(root), NW_ERR_AWS_RESPONSE);
    json_t *code = json_object_get(root, "Code");
    NW_CHECK_COND(code == NULL ||
                      (json_is_string(code) && strcmp(json_string_value(code), "Success") == 0),
                  NW_ERR_AWS_RESPONSE);
    json_t *id = json_object_get(root, "AccessKeyId");
    json_t *sk = json_object_get(root, "SecretAccessKey");
    json_t *tok = json_object_get(root, "Token");
    json_t *ex = json_object_get(root, "Expiration");
    NW_CHECK_COND(json_is_string(id) && json_is_string(sk) && json_is_string(tok) &&
                      json_is_string(ex),
                  NW_ERR_AWS_RESPONSE);
    NW_CHECK_COND(nw_aws_parse_iso8601(&exp, json_string_value(ex)), NW_ERR_AWS_RESPONSE);
    NW_CHECK(nw_aws_creds_set(out, json_string_value(id), json_string_value(sk),
                              json_string_value(tok), exp));
out:
    json_decref(root);
    if (err != NW_OK)
        nw_aws_creds_clear(out);
    return err;
}

static bool role_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("+=,.@_-", c) != NULL);
}

nw_err
nw_imds_role_credentials(struct nw_imds *m, struct nw_aws_creds *out, struct nw_aws_error *aerr)
{
    nw_err err = NW_OK;
    char role[129], path[256];
    struct nw_buf body;
    nw_buf_init(&body, IMDS_MAX_BODY, true);
    nw_aws_creds_clear(out);

    err = nw_imds_get(m, &body, CREDS_PATH, aerr);
    if (err == NW_ERR_NOT_FOUND)
        err = NW_ERR_IMDS_NO_ROLE;
    NW_CHECK(err);
    /* The first line is the role name. */
    size_t n = 0;
    while (n < body.len && body.ptr[n] != '\n' && body.ptr[n] != '\r')
        n++;
    NW_CHECK_COND(n > 0, NW_ERR_IMDS_NO_ROLE);
    NW_CHECK_COND(n < sizeof(role), NW_ERR_AWS_RESPONSE);
    memcpy(role, body.ptr, n);
    role[n] = '\0';
    for (size_t i = 0; i < n; i++)
        NW_CHECK_COND(role_char(role[i]), NW_ERR_AWS_RESPONSE);
    (void)snprintf(path, sizeof(path), CREDS_PATH "%s", role);
    nw_buf_clear(&body);
    err = nw_imds_get(m, &body, path, aerr);
    if (err == NW_ERR_NOT_FOUND)
        err = NW_ERR_IMDS_NO_ROLE;
    NW_CHECK(err);
    NW_CHECK(nw_imds_parse_credentials(out, nw_buf_cur(&body)));
out:
    nw_buf_clear(&body); /* the JSON text held the secret key and token */
    if (err != NW_OK)
        nw_aws_creds_clear(out);
    if (aerr != NULL)
        aerr->code = err;
    return err;
}

nw_err nw_imds_identity(struct nw_imds *m, struct nw_imds_identity *out, struct nw_aws_error *aerr)
{
    nw_err err = NW_OK;
    json_t *root = NULL;
    struct nw_buf body;
    nw_buf_init(&body, IMDS_MAX_BODY, false);
    memset(out, 0, sizeof(*out));
    NW_CHECK(nw_imds_get(m, &body, "/latest/dynamic/instance-identity/document", aerr));
    root = json_loadb((const char *)body.ptr, body.len, JSON_REJECT_DUPLICATES, NULL);
    NW_CHECK_COND(json_is_object(root), NW_ERR_AWS_RESPONSE);
    NW_CHECK(copy_json_str(out->region, sizeof(out->region), root, "region"));
    NW_CHECK(copy_json_str(out->account_id, sizeof(out->account_id), root, "accountId"));
    NW_CHECK(copy_json_str(out->instance_id, sizeof(out->instance_id), root, "instanceId"));
    if (json_object_get(root, "availabilityZone") != NULL)
        NW_CHECK(copy_json_str(out->availability_zone, sizeof(out->availability_zone), root,
                               "availabilityZone"));
out:
    json_decref(root);
    nw_buf_clear(&body);
    if (err != NW_OK)
        memset(out, 0, sizeof(*out));
    if (aerr != NULL)
        aerr->code = err;
    return err;
}

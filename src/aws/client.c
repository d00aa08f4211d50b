/*
 * Service clients for the awsJson1_1 services (KMS, Secrets Manager): endpoint and region
 * resolution as the AWS SDKs do it, SigV4 signing of each attempt, retries with full-jitter
 * exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter") for idempotent
 * calls on throttling, 5xx and transport failures.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nw/aws.h>
#include <nw/http.h>
#include <nw/mem.h>
#include <nw/sigv4.h>

#include "aws_int.h"

struct service_info {
    const char *signing_name;
    const char *target_prefix;
    const char *endpoint_env;
};

static const struct service_info SERVICES[] = {
    [NW_AWS_KMS] = {"kms", "TrentService", "AWS_ENDPOINT_URL_KMS"},
    [NW_AWS_SECRETS_MANAGER] = {"secretsmanager", "secretsmanager",
                                "AWS_ENDPOINT_URL_SECRETS_MANAGER"},
};

struct nw_aws_client {
    const struct service_info *svc;
    char region[64];
    char endpoint[1024];
    struct nw_http_url url;
    struct nw_http *http;
    struct nw_aws_creds_provider *creds;
    int max_attempts;
    int backoff_base_ms;
    int backoff_max_ms;
    int64_t (*clock)(void *arg);
    void *clock_arg;
};

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return (v != NULL && v[0] != '\0') ? v : NULL;
}

static bool region_ok(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n >= 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
            return false;
    return true;
}

/* Where bytes really go: a unix: socket or a tcp: address on loopback stays on the machine. */
static bool connect_to_is_local(const char *to)
{
    char host[256];
    if (strncmp(to, "unix:", 5) == 0)
        return true;
    if (strncmp(to, "tcp:", 4) != 0)
        return false;
    const char *h = to + 4, *colon = strrchr(h, ':');
    size_t n = colon != NULL ? (size_t)(colon - h) : strlen(h);
    if (n == 0 || n >= sizeof(host))
        return false;
    memcpy(host, h, n);
    host[n] = '\0';
    return nw_aws_host_is_loopback(host);
}

static nw_err
resolve_endpoint(struct nw_aws_client *c, const struct nw_aws_config *cfg, struct nw_diag *diag)
{
    const char *ep = cfg->endpoint_url;
    if (ep == NULL)
        ep = env_nonempty(c->svc->endpoint_env);
    if (ep == NULL)
        ep = env_nonempty("AWS_ENDPOINT_URL");
    int n;
    if (ep != NULL)
        n = snprintf(c->endpoint, sizeof(c->endpoint), "%s", ep);
    else
        n = snprintf(c->endpoint, sizeof(c->endpoint), "https://%s.%s.%s", c->svc->signing_name,
                     c->region,
                     strncmp(c->region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com");
    if (n < 0 || (size_t)n >= sizeof(c->endpoint))
        return nw_diag_set(diag, NW_ERR_HTTP_URL, "aws: endpoint URL too long");
    if (nw_http_url_parse(&c->url, c->endpoint) != NW_OK)
        return nw_diag_set(diag, NW_ERR_HTTP_URL, "aws: malformed endpoint URL for %s",
                           c->svc->signing_name);
    bool local = cfg->connect_to != NULL ? connect_to_is_local(cfg->connect_to)
                                         : nw_aws_host_is_loopback(c->url.host);
    if (!c->url.https && !local && !cfg->allow_http)
        return nw_diag_set(diag, NW_ERR_AWS_INSECURE_ENDPOINT,
                           "aws: endpoint %s is plain http:// to a host that is not loopback: "
                           "credentials and request bodies would travel in clear (use https, or "
                           "--allow-http)",
                           c->endpoint);
    return NW_OK;
}

bool nw_aws_host_is_loopback(const char *host)
{
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0)
        return true;
    /* 127.0.0.0/8 as a dotted quad: "127." then digits and dots only. */
    if (strncmp(host, "127.", 4) != 0)
        return false;
    return host[4] != '\0' && strspn(host + 4, "0123456789.") == strlen(host + 4);
}

nw_err nw_aws_client_new(struct nw_aws_client **out,
                         enum nw_aws_service service,
                         const struct nw_aws_config *cfg,
                         struct nw_diag *diag)
{
    nw_err err = NW_OK;
    *out = NULL;
    if (service != NW_AWS_KMS && service != NW_AWS_SECRETS_MANAGER)
        return nw_diag_set(diag, NW_ERR_CONFIG, "aws: unknown service");
    if (cfg->creds == NULL)
        return nw_diag_set(diag, NW_ERR_CONFIG, "aws: no credentials provider");
    struct nw_aws_client *c = nw_calloc(1, sizeof(*c));
    if (c == NULL)
        return NW_ERR_NOMEM;
    c->svc = &SERVICES[service];
    const char *region = cfg->region;
    if (region == NULL)
        region = env_nonempty("AWS_REGION");
    if (region == NULL)
        region = env_nonempty("AWS_DEFAULT_REGION");
    if (region == NULL || !region_ok(region)) {
        err = nw_diag_set(diag, NW_ERR_CONFIG, "aws: region missing or malformed");
        goto out;
    }
    memcpy(c->region, region, strlen(region) + 1);
    NW_CHECK(resolve_endpoint(c, cfg, diag));
    struct nw_http_opts ho = {
        .connect_to = cfg->connect_to,
        .ca_file = cfg->ca_file != NULL ? cfg->ca_file : env_nonempty("AWS_CA_BUNDLE"),
        .connect_timeout_ms = cfg->connect_timeout_ms,
        .timeout_ms = cfg->timeout_ms,
        .max_response_bytes = cfg->max_response_bytes,
    };
    err = nw_http_new(&c->http, &ho);
    if (err != NW_OK) {
        nw_diag_set(diag, err, "aws: transport set-up failed (%s)", nw_err_name(err));
        goto out;
    }
    c->creds = cfg->creds;
    c->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 3;
    c->backoff_base_ms = cfg->backoff_base_ms > 0 ? cfg->backoff_base_ms : 100;
    c->backoff_max_ms = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms : 5000;
    c->clock = cfg->clock;
    c->clock_arg = cfg->clock_arg;
    *out = c;
    return NW_OK;
out:
    nw_aws_client_free(c);
    return err;
}

void nw_aws_client_free(struct nw_aws_client *c)
{
    if (c == NULL)
        return;
    nw_http_free(c->http);
    nw_free(c);
}

const char *nw_aws_client_endpoint(const struct nw_aws_client *c)
{
    return c->endpoint;
}

const char *nw_aws_client_region(const struct nw_aws_client *c)
{
    return c->region;
}

/* Full jitter: uniform in [0, min(max, base * 2^attempt)] milliseconds. */
static void backoff_sleep(const struct nw_aws_client *c, int attempt)
{
    long cap = c->backoff_base_ms;
    for (int i = 0; i < attempt && cap < c->backoff_max_ms; i++)
        cap *= 2;
    if (cap > c->backoff_max_ms)
        cap = c->backoff_max_ms;
    uint32_t r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = 0x7fffffffu; /* no randomness: sleep half the cap */
    long ms = (long)(r % (uint32_t)(cap + 1));
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static bool retryable(nw_err err, long status)
{
    if (err == NW_ERR_HTTP_TRANSPORT || err == NW_ERR_TIMEOUT)
        return true;
    return status == 429 || (status >= 500 && status <= 599) || err == NW_ERR_AWS_THROTTLED;
}

/* Sign and send one attempt. */
static nw_err attempt_once(struct nw_aws_client *c,
                           struct nw_http_response *resp,
                           const char *target,
                           struct nw_cur body,
                           struct nw_aws_error *aerr)
{
    nw_err err = NW_OK;
    struct nw_aws_creds creds;
    struct nw_sigv4_result sig;
    char clen[24];
    struct nw_diag d = {0};
    int64_t now = c->clock != NULL ? c->clock(c->clock_arg) : (int64_t)time(NULL);
    nw_sigv4_result_init(&sig);

    err = nw_aws_creds_provider_get(c->creds, &creds, now, aerr);
    if (err != NW_OK)
        goto out;
    (void)snprintf(clen, sizeof(clen), "%zu", body.len);
    const char *ctype = "application/x-amz-json-1.1";
    struct nw_sigv4_header sh[] = {
        {nw_cur_str("Host"), nw_cur_str(c->url.host_header)},
        {nw_cur_str("Content-Type"), nw_cur_str(ctype)},
        {nw_cur_str("Content-Length"), nw_cur_str(clen)},
        {nw_cur_str("X-Amz-Target"), nw_cur_str(target)},
    };
    struct nw_sigv4_request sreq = {
        .method = "POST",
        .path = nw_cur_str(c->url.path),
        .query = nw_cur_str(c->url.query),
        .headers = sh,
        .n_headers = NW_ARRAY_LEN(sh),
        .body = body,
    };
    struct nw_sigv4_params p = {
        .region = c->region,
        .service = c->svc->signing_name,
        .time_s = now,
        .normalize_path = true,
        .sign_body = true, /* as aws-c-auth does for these services */
    };
    NW_CHECK(nw_sigv4_sign(&sig, &creds, &sreq, &p));
    struct nw_http_header hh[] = {
        {"Host", c->url.host_header},
        {"Content-Type", ctype},
        {"Content-Length", clen},
        {"X-Amz-Target", target},
        {"X-Amz-Date", sig.amz_date},
        {"X-Amz-Content-Sha256", sig.payload_hash},
        {"Authorization", (const char *)sig.authorization.ptr},
        {"User-Agent", "nitro-wallet/0.1"},
        {"X-Amz-Security-Token", creds.session_token},
    };
    struct nw_http_request hreq = {
        .method = "POST",
        .url = c->endpoint,
        .headers = hh,
        .n_headers = NW_ARRAY_LEN(hh) - (sig.add_token_header ? 0 : 1),
        .body = body,
    };
    err = nw_http_perform(c->http, resp, &hreq, &d);
    if (err != NW_OK && aerr != NULL)
        nw_aws_copy_printable(aerr->message, sizeof(aerr->message), nw_cur_str(d.msg));
out:
    nw_sigv4_result_clear(&sig);
    nw_aws_creds_clear(&creds);
    return err;
}

nw_err nw_aws_json_call(struct nw_aws_client *c,
                        struct nw_buf *out,
                        const char *op,
                        struct nw_cur body,
                        bool idempotent,
                        struct nw_aws_error *aerr)
{
    nw_err err = NW_OK;
    char target[128];
    struct nw_aws_error local;
    struct nw_http_response resp;
    nw_http_response_init(&resp);
    if (aerr == NULL)
        aerr = &local;
    nw_aws_error_reset(aerr);
    int n = snprintf(target, sizeof(target), "%s.%s", c->svc->target_prefix, op);
    NW_CHECK_COND(n > 0 && (size_t)n < sizeof(target), NW_ERR_INVALID_ARG);

    for (int attempt = 1;; attempt++) {
        aerr->message[0] = '\0';
        err = attempt_once(c, &resp, target, body, aerr);
        aerr->attempts = attempt;
        aerr->http_status = (int)resp.status;
        memcpy(aerr->request_id, resp.request_id, sizeof(aerr->request_id));
        if (err == NW_OK && resp.status == 200) {
            out->len = 0;
            err = nw_buf_append(out, resp.body.ptr, resp.body.len);
            break;
        }
        if (err == NW_OK)
            err = nw_aws_parse_error(aerr, (int)resp.status, nw_buf_cur(&resp.body),
                                     resp.error_type[0] ? resp.error_type : NULL);
        bool again = idempotent && attempt < c->max_attempts && retryable(err, resp.status);
        if (!again)
            break;
        backoff_sleep(c, attempt - 1);
    }
out:
    aerr->code = err;
    nw_http_response_clear(&resp);
    return err;
}

/*
 * The HTTP client, the AWS service client (signing on the wire, retries with backoff, error
 * parsing, size caps, timeouts), the unix: and own-socket transports, and the IMDSv2 client
 * and credential provider, against a small libmicrohttpd server on loopback (port 0) or a unix
 * socket in a temp dir. The server verifies each request's SigV4 signature with the library's
 * own verifier. Canary credentials are used throughout and must never surface in any error
 * text (a CTest wrapper also greps this program's output for them).
 */
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nw/addr.h>
#include <nw/aws.h>
#include <nw/http.h>
#include <nw/imds.h>
#include <nw/kms.h>
#include <nw/mem.h>
#include <nw/secrets.h>
#include <nw/sigv4_verify.h>

#include "nwtest.h"

#define CANARY_AKID   "AKIANWCANARY0000"
#define CANARY_SECRET "nwCanarySecretKey/7f3a9c1e5b+QqZ0wXyYvU"
#define CANARY_TOKEN  "nwCanarySessionToken//AQoDYXdzEJr+9f8e7d6c5b4a3"

/* ---- scripted fake server --------------------------------------------------------------- */

struct reply {
    int status;
    const char *body;
    const char *error_type; /* x-amzn-ErrorType header, or NULL */
    int delay_ms;
    bool chunked;
};

#define MAX_REPLIES 8

static struct {
    pthread_mutex_t mu;
    struct reply script[MAX_REPLIES];
    size_t n_script;
    int hits;
    int sig_ok;  /* requests whose SigV4 verified */
    int sig_bad; /* requests whose SigV4 did not */
    char last_target[128];
    char last_host[256];
    char last_token[512];
    char last_body[4096];
    /* IMDS mode */
    bool imds;
    int token_puts;
    int cred_gets;
    char token[64];
    int64_t now;
    int64_t cred_lifetime_s;
    bool no_role;
    bool refuse_token;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void script(const struct reply *r, size_t n)
{
    pthread_mutex_lock(&S.mu);
    memcpy(S.script, r, n * sizeof(*r));
    S.n_script = n;
    S.hits = S.sig_ok = S.sig_bad = 0;
    pthread_mutex_unlock(&S.mu);
}

struct conn {
    char body[1 << 16];
    size_t len;
    bool too_big;
};

struct hdr_list {
    struct nw_sigv4_header h[NW_SIGV4_MAX_HEADERS];
    size_t n;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
    struct hdr_list *l = cls;
    (void)kind;
    if (l->n < NW_ARRAY_LEN(l->h)) {
        l->h[l->n].name = nw_cur_str(k);
        l->h[l->n].value = nw_cur_str(v ? v : "");
        l->n++;
    }
    return MHD_YES;
}

static void verify_sig(struct MHD_Connection *c, const char *url, const struct conn *cs)
{
    struct hdr_list l = {.n = 0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect, &l);
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    const char *date = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Date");
    struct nw_sigv4_auth a;
    struct nw_sigv4_request rq = {.method = "POST",
                                  .path = nw_cur_str(url),
                                  .headers = l.h,
                                  .n_headers = l.n,
                                  .body = nw_cur_of(cs->body, cs->len)};
    bool ok = auth != NULL && date != NULL &&
              nw_sigv4_parse_authorization(&a, nw_cur_str(auth)) == NW_OK &&
              strcmp(a.access_key_id, CANARY_AKID) == 0 &&
              strstr(a.signed_headers, "x-amz-security-token") != NULL &&
              strstr(a.signed_headers, "host") != NULL &&
              nw_sigv4_verify(&rq, &a, date, nw_cur_str(CANARY_SECRET), true) == NW_OK;
    if (ok)
        S.sig_ok++;
    else
        S.sig_bad++;
}

static ssize_t chunk_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    const char *body = cls;
    size_t n = strlen(body);
    if (pos >= n)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t k = n - (size_t)pos < max ? n - (size_t)pos : max;
    if (k > 100)
        k = 100; /* several chunks */
    memcpy(buf, body + pos, k);
    return (ssize_t)k;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, const struct reply *r)
{
    struct MHD_Response *resp;
    if (r->chunked)
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, chunk_cb, (void *)r->body,
                                                 NULL);
    else
        resp = MHD_create_response_from_buffer(strlen(r->body), (void *)r->body,
                                               MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/x-amz-json-1.1");
    MHD_add_response_header(resp, "x-amzn-RequestId", "req-0001");
    if (r->error_type != NULL)
        MHD_add_response_header(resp, "x-amzn-ErrorType", r->error_type);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, int status, const char *text)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void iso8601(char out[32], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static enum MHD_Result imds_handler(struct MHD_Connection *c, const char *url, const char *method)
{
    char buf[1024];
    if (strcmp(method, "PUT") == 0 && strcmp(url, "/latest/api/token") == 0) {
        const char *ttl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-aws-ec2-metadata-token-ttl-seconds");
        if (ttl == NULL || S.refuse_token)
            return send_text(c, S.refuse_token ? 403 : 400, "");
        S.token_puts++;
        snprintf(S.token, sizeof(S.token), "imds-token-%d", S.token_puts);
        return send_text(c, 200, S.token);
    }
    const char *tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-aws-ec2-metadata-token");
    if (tok == NULL || strcmp(tok, S.token) != 0)
        return send_text(c, 401, "");
    if (strcmp(url, "/latest/meta-data/iam/security-credentials/") == 0)
        return S.no_role ? send_text(c, 404, "") : send_text(c, 200, "nw-role\n");
    if (strcmp(url, "/latest/meta-data/iam/security-credentials/nw-role") == 0) {
        char exp[32];
        S.cred_gets++;
        iso8601(exp, S.now + S.cred_lifetime_s);
        snprintf(buf, sizeof(buf),
                 "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIAIMDS%04d\","
                 "\"SecretAccessKey\":\"" CANARY_SECRET "\",\"Token\":\"" CANARY_TOKEN "\","
                 "\"Expiration\":\"%s\"}",
                 S.cred_gets, exp);
        return send_text(c, 200, buf);
    }
    if (strcmp(url, "/latest/dynamic/instance-identity/document") == 0)
        return send_text(c, 200,
                         "{\"accountId\":\"111122223333\",\"region\":\"eu-west-2\",\"instanceId\":"
                         "\"i-0123456789abcdef0\",\"availabilityZone\":\"eu-west-2a\"}");
    if (strcmp(url, "/latest/meta-data/broken") == 0)
        return send_text(c, 500, "oops");
    return send_text(c, 404, "");
}

static enum MHD_Result handler(void *cls,
                               struct MHD_Connection *c,
                               const char *url,
                               const char *method,
                               const char *version,
                               const char *upload,
                               size_t *upload_len,
                               void **con_cls)
{
    (void)cls;
    (void)version;
    struct conn *cs = *con_cls;
    if (cs == NULL) {
        cs = calloc(1, sizeof(*cs));
        *con_cls = cs;
        return MHD_YES;
    }
    if (*upload_len > 0) {
        if (cs->len + *upload_len < sizeof(cs->body)) {
            memcpy(cs->body + cs->len, upload, *upload_len);
            cs->len += *upload_len;
        } else {
            cs->too_big = true;
        }
        *upload_len = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&S.mu);
    if (S.imds) {
        enum MHD_Result r = imds_handler(c, url, method);
        pthread_mutex_unlock(&S.mu);
        return r;
    }
    verify_sig(c, url, cs);
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Target");
    snprintf(S.last_target, sizeof(S.last_target), "%s", v ? v : "");
    v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    snprintf(S.last_host, sizeof(S.last_host), "%s", v ? v : "");
    v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Security-Token");
    snprintf(S.last_token, sizeof(S.last_token), "%s", v ? v : "");
    snprintf(S.last_body, sizeof(S.last_body), "%.*s", (int)cs->len, cs->body);
    size_t i = (size_t)S.hits < S.n_script ? (size_t)S.hits : S.n_script - 1;
    struct reply r = S.script[i];
    S.hits++;
    pthread_mutex_unlock(&S.mu);
    if (r.delay_ms > 0)
        usleep((useconds_t)r.delay_ms * 1000u);
    return send_reply(c, &r);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

struct server {
    struct MHD_Daemon *d;
    unsigned port;
    char unix_path[108];
    char dir[64];
};

static void server_start(struct server *sv, bool unix_sock)
{
    memset(sv, 0, sizeof(*sv));
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
    if (unix_sock) {
        snprintf(sv->dir, sizeof(sv->dir), "/tmp/nw-aws-http-XXXXXX");
        assert_non_null(mkdtemp(sv->dir));
        snprintf(sv->unix_path, sizeof(sv->unix_path), "%s/s.sock", sv->dir);
        char text[200];
        snprintf(text, sizeof(text), "unix:%s", sv->unix_path);
        struct nw_addr a;
        int fd = -1;
        assert_int_equal(nw_addr_parse(&a, text), NW_OK);
        assert_int_equal(nw_net_listen(&a, 16, &fd), NW_OK);
        sv->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
                                 MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    } else {
        sv->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_NOTIFY_COMPLETED,
                                 completed, NULL, MHD_OPTION_END);
        assert_non_null(sv->d);
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(sv->d, MHD_DAEMON_INFO_BIND_PORT);
        sv->port = info->port;
    }
    assert_non_null(sv->d);
}

static void server_stop(struct server *sv)
{
    MHD_stop_daemon(sv->d);
    if (sv->unix_path[0]) {
        unlink(sv->unix_path);
        rmdir(sv->dir);
    }
}

/* ---- helpers ---------------------------------------------------------------------------- */

static void no_canary(const char *text)
{
    assert_null(strstr(text, CANARY_SECRET));
    assert_null(strstr(text, "nwCanarySecretKey"));
    assert_null(strstr(text, "nwCanarySessionToken"));
    assert_null(strstr(text, "bndDYW5hcnlTZWNyZXRLZX")); /* base64 of the secret's prefix */
}

static void check_error_clean(const struct nw_aws_error *e)
{
    no_canary(e->name);
    no_canary(e->message);
    no_canary(e->request_id);
}

static struct nw_aws_creds_provider *canary_provider(void)
{
    struct nw_aws_creds c;
    struct nw_aws_creds_provider *p;
    assert_int_equal(nw_aws_creds_set(&c, CANARY_AKID, CANARY_SECRET, CANARY_TOKEN, 0), NW_OK);
    assert_int_equal(nw_aws_creds_provider_static(&p, &c), NW_OK);
    nw_aws_creds_clear(&c);
    return p;
}

static struct nw_aws_client *make_client(enum nw_aws_service svc,
                                         struct nw_aws_creds_provider *p,
                                         const char *connect_to,
                                         int timeout_ms,
                                         size_t max_resp)
{
    struct nw_aws_config cfg = {
        .region = "us-east-1",
        .endpoint_url = svc == NW_AWS_KMS ? "http://kms.us-east-1.amazonaws.com"
                                          : "http://secretsmanager.us-east-1.amazonaws.com",
        .connect_to = connect_to,
        .creds = p,
        .timeout_ms = timeout_ms,
        .max_response_bytes = max_resp,
        .backoff_base_ms = 5,
        .backoff_max_ms = 20,
    };
    struct nw_aws_client *c = NULL;
    struct nw_diag d = {0};
    assert_int_equal(nw_aws_client_new(&c, svc, &cfg, &d), NW_OK);
    return c;
}

static char *tcp_addr(const struct server *sv)
{
    static char a[64];
    snprintf(a, sizeof(a), "tcp:127.0.0.1:%u", sv->port);
    return a;
}

/* ---- tests ------------------------------------------------------------------------------ */

/* Encrypt through connect_to: the request is signed on the wire with the service host name. */
static void test_kms_roundtrip_signed(void **state)
{
    (void)state;
    struct server sv;
    server_start(&sv, false);
    struct reply ok[] = {
        {200, "{\"CiphertextBlob\":\"AQID\",\"KeyId\":\"arn:k\"}", NULL, 0, false}};
    script(ok, 1);
    struct nw_aws_creds_provider *p = canary_provider();
    struct nw_aws_client *c = make_client(NW_AWS_KMS, p, tcp_addr(&sv), 0, 0);
    struct nw_kms_result r;
    nw_kms_result_init(&r);
    struct nw_aws_error e;
    struct nw_kms_kv ctx[] = {{"nw:address", "0xab"}};
    struct nw_kms_request q = {
        .key_id = "alias/k", .plaintext = nw_cur_str("hello"), .context = ctx, .n_context = 1};
    assert_int_equal(nw_kms_encrypt(c, &r, &q, &e), NW_OK);
    assert_int_equal(r.ciphertext_blob.len, 3);
    assert_int_equal(S.sig_ok, 1);
    assert_int_equal(S.sig_bad, 0);
    assert_string_equal(S.last_target, "TrentService.Encrypt");
    assert_string_equal(S.last_host, "kms.us-east-1.amazonaws.com");
    assert_string_equal(S.last_token, CANARY_TOKEN);
    assert_string_equal(S.last_body, "{\"KeyId\":\"alias/k\",\"Plaintext\":\"aGVsbG8=\","
                                     "\"EncryptionContext\":{\"nw:address\":\"0xab\"}}");
    assert_int_equal(e.attempts, 1);
    assert_string_equal(e.request_id, "req-0001");

    /* Every other KMS op goes out signed with its target. */
    struct reply any[] = {{200,
                           "{\"Plaintext\":\"AQID\",\"CiphertextBlob\":\"AQID\",\"KeyId\":\"k\","
                           "\"KeyMetadata\":{\"KeyId\":\"k\"}}",
                           NULL, 0, false}};
    script(any, 1);
    struct nw_kms_request dq = {.ciphertext_blob = nw_cur_str("\x01\x02")};
    assert_int_equal(nw_kms_decrypt(c, &r, &dq, &e), NW_OK);
    assert_string_equal(S.last_target, "TrentService.Decrypt");
    struct nw_kms_request gq = {.key_id = "k"};
    assert_int_equal(nw_kms_generate_data_key(c, &r, &gq, &e), NW_OK);
    assert_string_equal(S.last_target, "TrentService.GenerateDataKey");
    struct nw_kms_request rq = {.number_of_bytes = 3};
    assert_int_equal(nw_kms_generate_random(c, &r, &rq, &e), NW_OK);
    assert_string_equal(S.last_target, "TrentService.GenerateRandom");
    assert_int_equal(nw_kms_describe_key(c, &r, &gq, &e), NW_OK);
    assert_string_equal(S.last_target, "TrentService.DescribeKey");
    assert_int_equal(S.sig_ok, 4);
    nw_kms_result_clear(&r);
    nw_aws_client_free(c);

    /* Secrets Manager ops. */
    c = make_client(NW_AWS_SECRETS_MANAGER, p, tcp_addr(&sv), 0, 0);
    struct reply sm[] = {
        {200, "{\"ARN\":\"arn:s\",\"Name\":\"n\",\"SecretString\":\"v\"}", NULL, 0, false}};
    script(sm, 1);
    struct nw_sm_result sr;
    nw_sm_result_init(&sr);
    struct nw_sm_request cq = {.name = "n", .secret_string = nw_cur_str("v")};
    assert_int_equal(nw_sm_create_secret(c, &sr, &cq, &e), NW_OK);
    assert_string_equal(S.last_target, "secretsmanager.CreateSecret");
    assert_string_equal(S.last_host, "secretsmanager.us-east-1.amazonaws.com");
    struct nw_sm_request gs = {.secret_id = "n"};
    assert_int_equal(nw_sm_get_secret_value(c, &sr, &gs, &e), NW_OK);
    assert_int_equal(sr.secret_string.len, 1);
    struct nw_sm_request ps = {.secret_id = "n", .secret_string = nw_cur_str("w")};
    assert_int_equal(nw_sm_put_secret_value(c, &sr, &ps, &e), NW_OK);
    assert_int_equal(nw_sm_update_secret(c, &sr, &ps, &e), NW_OK);
    assert_int_equal(nw_sm_describe_secret(c, &sr, &gs, &e), NW_OK);
    assert_string_equal(S.last_target, "secretsmanager.DescribeSecret");
    assert_int_equal(S.sig_ok, 5);
    nw_sm_result_clear(&sr);
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);
    server_stop(&sv);
}

static void test_retries(void **state)
{
    (void)state;
    struct server sv;
    server_start(&sv, false);
    struct nw_aws_creds_provider *p = canary_provider();
    struct nw_aws_client *c = make_client(NW_AWS_KMS, p, tcp_addr(&sv), 0, 0);
    struct nw_kms_result r;
    nw_kms_result_init(&r);
    struct nw_aws_error e;
    struct nw_kms_request q = {.number_of_bytes = 3};
    const char *ok = "{\"Plaintext\":\"AQID\"}";

    struct reply s1[] = {{500, "{\"__type\":\"KMSInternalException\"}", NULL, 0, false},
                         {200, ok, NULL, 0, false}};
    script(s1, 2);
    assert_int_equal(nw_kms_generate_random(c, &r, &q, &e), NW_OK);
    assert_int_equal(e.attempts, 2);
    assert_int_equal(S.hits, 2);

    struct reply s2[] = {{429, "", NULL, 0, false}};
    script(s2, 1);
    assert_int_equal(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_AWS_THROTTLED);
    assert_int_equal(e.attempts, 3);
    assert_int_equal(S.hits, 3);
    check_error_clean(&e);

    struct reply s3[] = {
        {400, "{\"__type\":\"ThrottlingException\",\"message\":\"slow down\"}", NULL, 0, false},
        {200, ok, NULL, 0, false}};
    script(s3, 2);
    assert_int_equal(nw_kms_generate_random(c, &r, &q, &e), NW_OK);
    assert_int_equal(S.hits, 2);

    /* Client errors are not retried; the AWS name, message and status are reported. */
    struct reply s4[] = {
        {400, "{\"__type\":\"com.amazonaws.kms#NotFoundException\",\"message\":\"no key\"}", NULL,
         0, false}};
    script(s4, 1);
    assert_int_equal(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_AWS_NOT_FOUND);
    assert_int_equal(S.hits, 1);
    assert_string_equal(e.name, "NotFoundException");
    assert_string_equal(e.message, "no key");
    assert_int_equal(e.http_status, 400);

    /* Non-idempotent calls are sent once. */
    struct nw_buf out;
    nw_buf_init(&out, 4096, true);
    script(s1, 2);
    assert_int_equal(nw_aws_json_call(c, &out, "GenerateRandom", nw_cur_str("{}"), false, &e),
                     NW_ERR_AWS_UNAVAILABLE);
    assert_int_equal(S.hits, 1);
    /* Error type from the header only. */
    struct reply s5[] = {{400, "", "AccessDeniedException:http://internal", 0, false}};
    script(s5, 1);
    assert_int_equal(nw_aws_json_call(c, &out, "GenerateRandom", nw_cur_str("{}"), false, &e),
                     NW_ERR_AWS_ACCESS_DENIED);
    assert_string_equal(e.name, "AccessDeniedException");
    /* A 200 that is not the operation's shape. */
    struct reply s6[] = {{200, "{\"Nothing\":1}", NULL, 0, false}};
    script(s6, 1);
    assert_int_equal(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_AWS_RESPONSE);
    nw_buf_clear(&out);
    nw_kms_result_clear(&r);
    nw_aws_client_free(c);

    /* Connection refused: retried, then reported as a transport error. */
    struct nw_addr a;
    int fd = -1;
    assert_int_equal(nw_addr_parse(&a, "tcp:127.0.0.1:0"), NW_OK);
    assert_int_equal(nw_net_listen(&a, 1, &fd), NW_OK);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
    char dead[NW_ADDR_TEXT_MAX];
    nw_sockaddr_format(dead, &ss, sl);
    close(fd); /* nothing listens there now */
    c = make_client(NW_AWS_KMS, p, dead, 1000, 0);
    assert_int_equal(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_HTTP_TRANSPORT);
    assert_int_equal(e.attempts, 3);
    assert_int_equal(e.http_status, 0);
    check_error_clean(&e);
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);
    server_stop(&sv);
}

static void test_caps_and_timeouts(void **state)
{
    (void)state;
    struct server sv;
    server_start(&sv, false);
    struct nw_aws_creds_provider *p = canary_provider();
    struct nw_aws_client *c = make_client(NW_AWS_KMS, p, tcp_addr(&sv), 400, 1000);
    struct nw_kms_result r;
    nw_kms_result_init(&r);
    struct nw_aws_error e;
    struct nw_kms_request q = {.number_of_bytes = 3};
    static char big[3000];
    memset(big, 'A', sizeof(big) - 1);
    big[0] = '{';

    struct reply s1[] = {{200, big, NULL, 0, false}}; /* Content-Length over the cap */
    script(s1, 1);
    assert_int_equal(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_TOO_LARGE);
    assert_int_equal(S.hits, 1);                     /* not retried */
    struct reply s2[] = {{200, big, NULL, 0, true}}; /* chunked, no length: the write cap */
    script(s2, 1);
    assert_int_equal(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_TOO_LARGE);
    struct reply s3[] = {{200, "{\"Plaintext\":\"AQID\"}", NULL, 1500, false}};
    script(s3, 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(e.attempts, 3);
    assert_true(t1.tv_sec - t0.tv_sec < 5); /* bounded: 3 x 400 ms plus small backoffs */
    check_error_clean(&e);
    nw_kms_result_clear(&r);
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);
    server_stop(&sv);
}

/* Per-request timeouts (longer, none) and captured response headers. */
static void test_request_options(void **state)
{
    (void)state;
    struct server sv;
    server_start(&sv, false);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", sv.port);
    struct nw_http_opts o = {.timeout_ms = 400};
    struct nw_http *h = NULL;
    assert_int_equal(nw_http_new(&h, &o), NW_OK);
    struct nw_http_response resp;
    nw_http_response_init(&resp);
    static const char *const want[] = {"X-Amzn-RequestID", "content-type", "X-Nope"};
    struct nw_http_request rq = {.method = "POST",
                                 .url = url,
                                 .body = nw_cur_str("{}"),
                                 .capture = want,
                                 .n_capture = NW_ARRAY_LEN(want)};
    struct reply slow[] = {{200, "{}", NULL, 1200, false}};

    script(slow, 1);
    assert_int_equal(nw_http_perform(h, &resp, &rq, NULL), NW_ERR_TIMEOUT); /* the client's 400 */
    script(slow, 1);
    rq.timeout_ms = 5000; /* this request may take longer */
    assert_int_equal(nw_http_perform(h, &resp, &rq, NULL), NW_OK);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.captured[0], "req-0001");
    assert_string_equal(resp.captured[1], "application/x-amz-json-1.1");
    assert_string_equal(resp.captured[2], "");
    script(slow, 1);
    rq.timeout_ms = -1; /* a long poll: no overall limit */
    assert_int_equal(nw_http_perform(h, &resp, &rq, NULL), NW_OK);
    assert_string_equal(resp.captured[0], "req-0001");

    rq.n_capture = NW_HTTP_MAX_CAPTURE + 1;
    assert_int_equal(nw_http_perform(h, &resp, &rq, NULL), NW_ERR_INVALID_ARG);
    static const char *const holes[] = {"A", NULL};
    rq.capture = holes;
    rq.n_capture = 2;
    assert_int_equal(nw_http_perform(h, &resp, &rq, NULL), NW_ERR_INVALID_ARG);
    /* A client certificate that cannot be loaded fails the TLS set-up, never silently. */
    nw_http_free(h);
    struct nw_http_opts oc = {.cert_file = "/nonexistent/cert.pem", .timeout_ms = 2000};
    assert_int_equal(nw_http_new(&h, &oc), NW_OK);
    char surl[128];
    snprintf(surl, sizeof(surl), "https://127.0.0.1:%u/", sv.port);
    struct nw_http_request sq = {.method = "GET", .url = surl};
    nw_err e = nw_http_perform(h, &resp, &sq, NULL);
    assert_true(e == NW_ERR_HTTP_TLS || e == NW_ERR_HTTP_TRANSPORT);
    nw_http_response_clear(&resp);
    nw_http_free(h);
    server_stop(&sv);
}

/* Accept one connection on *arg (a non-blocking listener), answer with bytes that are not TLS. */
static void *garbage_server(void *arg)
{
    int lfd = *(int *)arg;
    int fd = -1;
    for (int i = 0; i < 2000 && fd < 0; i++) { /* up to 20 s */
        fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            usleep(10000);
    }
    if (fd >= 0) {
        static const char junk[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        if (write(fd, junk, sizeof(junk) - 1) < 0)
            perror("garbage_server");
        usleep(200000);
        close(fd);
    }
    return NULL;
}

/* unix: transport, and the own-socket path that vsock uses, exercised on loopback tcp. */
static void test_transports(void **state)
{
    (void)state;
    struct server sv;
    server_start(&sv, true);
    struct nw_aws_creds_provider *p = canary_provider();
    char addr[200];
    snprintf(addr, sizeof(addr), "unix:%s", sv.unix_path);
    struct nw_aws_client *c = make_client(NW_AWS_KMS, p, addr, 0, 0);
    struct reply ok[] = {{200, "{\"Plaintext\":\"AQID\"}", NULL, 0, false}};
    script(ok, 1);
    struct nw_kms_result r;
    nw_kms_result_init(&r);
    struct nw_aws_error e;
    struct nw_kms_request q = {.number_of_bytes = 3};
    assert_int_equal(nw_kms_generate_random(c, &r, &q, &e), NW_OK);
    assert_int_equal(S.sig_ok, 1);
    assert_string_equal(S.last_host, "kms.us-east-1.amazonaws.com");
    nw_aws_client_free(c);
    server_stop(&sv);

    server_start(&sv, false);
    struct nw_http *h;
    struct nw_http_opts ho = {.connect_to = tcp_addr(&sv), .own_socket = true};
    assert_int_equal(nw_http_new(&h, &ho), NW_OK);
    struct nw_http_response resp;
    nw_http_response_init(&resp);
    script(ok, 1);
    struct nw_http_header hd[] = {{"X-Amz-Target", "x"}};
    struct nw_http_request rq = {.method = "POST",
                                 .url = "http://kms.nowhere.invalid/",
                                 .headers = hd,
                                 .n_headers = 1,
                                 .body = nw_cur_str("{}")};
    assert_int_equal(nw_http_perform(h, &resp, &rq, NULL), NW_OK);
    assert_int_equal(resp.status, 200);
    assert_string_equal(S.last_host, "kms.nowhere.invalid");
    assert_string_equal(resp.request_id, "req-0001");
    rq.url = "ftp://x/";
    assert_int_equal(nw_http_perform(h, &resp, &rq, NULL), NW_ERR_HTTP_URL);
    struct nw_http_header bad[] = {{"X-Bad", "a\r\nInjected: 1"}};
    rq.url = "http://kms.nowhere.invalid/";
    rq.headers = bad;
    assert_int_equal(nw_http_perform(h, &resp, &rq, NULL), NW_ERR_INVALID_ARG);
    nw_http_response_clear(&resp);
    nw_http_free(h);
    nw_kms_result_clear(&r);
    nw_aws_creds_provider_free(p);
    server_stop(&sv);

    /* https through our own socket to a peer that answers with non-TLS bytes: the socket is
     * ours (no DNS for the made-up name), then the handshake fails. */
    struct nw_addr la;
    int lfd = -1;
    assert_int_equal(nw_addr_parse(&la, "tcp:127.0.0.1:0"), NW_OK);
    assert_int_equal(nw_net_listen(&la, 4, &lfd), NW_OK);
    struct sockaddr_storage lss;
    socklen_t lsl = sizeof(lss);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&lss, &lsl), 0);
    char laddr[NW_ADDR_TEXT_MAX];
    nw_sockaddr_format(laddr, &lss, lsl);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, garbage_server, &lfd), 0);
    struct nw_http_opts go = {
        .connect_to = laddr, .own_socket = true, .connect_timeout_ms = 20000, .timeout_ms = 20000};
    assert_int_equal(nw_http_new(&h, &go), NW_OK);
    nw_http_response_init(&resp);
    struct nw_http_request tq = {.method = "POST",
                                 .url = "https://kms.nowhere.invalid:8443/",
                                 .headers = hd,
                                 .n_headers = 1,
                                 .body = nw_cur_str("{}")};
    assert_int_equal(nw_http_perform(h, &resp, &tq, NULL), NW_ERR_HTTP_TLS);
    nw_http_response_clear(&resp);
    nw_http_free(h);
    pthread_join(th, NULL);
    close(lfd);

    struct nw_http_opts bo = {.connect_to = "tcp:no-port"};
    assert_int_equal(nw_http_new(&h, &bo), NW_ERR_ADDR_SYNTAX);
}

static int64_t fake_clock(void *arg)
{
    (void)arg;
    return S.now;
}

static void test_imds(void **state)
{
    (void)state;
    struct server sv;
    server_start(&sv, false);
    pthread_mutex_lock(&S.mu);
    S.imds = true;
    S.now = 1700000000;
    S.cred_lifetime_s = 600;
    S.token[0] = '\0';
    S.token_puts = S.cred_gets = 0;
    pthread_mutex_unlock(&S.mu);
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%u", sv.port);
    struct nw_imds_opts o = {.endpoint = ep, .token_ttl_s = 60, .clock = fake_clock};
    struct nw_aws_creds_provider *p;
    assert_int_equal(nw_aws_creds_provider_imds(&p, &o, 300), NW_OK);
    struct nw_aws_creds c;
    struct nw_aws_error e;
    assert_int_equal(nw_aws_creds_provider_get(p, &c, S.now, &e), NW_OK);
    assert_string_equal(c.access_key_id, "ASIAIMDS0001");
    assert_string_equal(c.session_token, CANARY_TOKEN);
    assert_int_equal(c.expiration_s, S.now + 600);
    assert_int_equal(S.token_puts, 1);
    /* Cached while more than refresh_ahead_s remain. */
    assert_int_equal(nw_aws_creds_provider_get(p, &c, S.now + 200, &e), NW_OK);
    assert_string_equal(c.access_key_id, "ASIAIMDS0001");
    assert_int_equal(S.cred_gets, 1);
    /* Within 300 s of Expiration: refreshed (the 60 s token has expired too: a new PUT). */
    pthread_mutex_lock(&S.mu);
    S.now += 400;
    pthread_mutex_unlock(&S.mu);
    assert_int_equal(nw_aws_creds_provider_get(p, &c, S.now, &e), NW_OK);
    assert_string_equal(c.access_key_id, "ASIAIMDS0002");
    assert_int_equal(S.token_puts, 2);
    /* A token revoked server-side: 401, one new PUT, success. */
    pthread_mutex_lock(&S.mu);
    snprintf(S.token, sizeof(S.token), "revoked");
    S.now += 500;
    pthread_mutex_unlock(&S.mu);
    assert_int_equal(nw_aws_creds_provider_get(p, &c, S.now, &e), NW_OK);
    assert_string_equal(c.access_key_id, "ASIAIMDS0003");
    assert_int_equal(S.token_puts, 3);
    /* IMDS down while cached credentials are still valid: keep them; once expired: fail. */
    pthread_mutex_lock(&S.mu);
    S.refuse_token = true;
    S.token[0] = '\0';
    S.now += 400; /* 200 s left: refresh wanted, fails, cached set still valid */
    pthread_mutex_unlock(&S.mu);
    assert_int_equal(nw_aws_creds_provider_get(p, &c, S.now, &e), NW_OK);
    assert_string_equal(c.access_key_id, "ASIAIMDS0003");
    pthread_mutex_lock(&S.mu);
    S.now += 300;
    pthread_mutex_unlock(&S.mu);
    assert_int_equal(nw_aws_creds_provider_get(p, &c, S.now, &e), NW_ERR_IMDS_TOKEN);
    assert_int_equal(c.secret_access_key[0], 0);
    check_error_clean(&e);
    nw_aws_creds_provider_free(p);

    /* No role attached; identity document. */
    pthread_mutex_lock(&S.mu);
    S.refuse_token = false;
    S.no_role = true;
    pthread_mutex_unlock(&S.mu);
    struct nw_imds *m;
    assert_int_equal(nw_imds_new(&m, &o), NW_OK);
    assert_int_equal(nw_imds_role_credentials(m, &c, &e), NW_ERR_IMDS_NO_ROLE);
    struct nw_imds_identity id;
    assert_int_equal(nw_imds_identity(m, &id, &e), NW_OK);
    assert_string_equal(id.region, "eu-west-2");
    assert_string_equal(id.instance_id, "i-0123456789abcdef0");
    struct nw_buf b;
    nw_buf_init(&b, 1024, false);
    assert_int_equal(nw_imds_get(m, &b, "/latest/meta-data/nothing", &e), NW_ERR_NOT_FOUND);
    assert_int_equal(nw_imds_get(m, &b, "/latest/meta-data/broken", &e), NW_ERR_HTTP_STATUS);
    assert_int_equal(e.http_status, 500);
    nw_buf_clear(&b);
    nw_imds_free(m);
    /* The endpoint from AWS_EC2_METADATA_SERVICE_ENDPOINT (with a trailing slash). */
    char ep_slash[80];
    snprintf(ep_slash, sizeof(ep_slash), "%s/", ep);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", ep_slash, 1);
    struct nw_imds_opts envo = {.clock = fake_clock};
    assert_int_equal(nw_imds_new(&m, &envo), NW_OK);
    assert_int_equal(nw_imds_identity(m, &id, &e), NW_OK);
    assert_string_equal(id.account_id, "111122223333");
    nw_imds_free(m);
    unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    struct nw_imds_opts bad = {.endpoint = ep, .token_ttl_s = 99999};
    assert_int_equal(nw_imds_new(&m, &bad), NW_ERR_CONFIG);
    pthread_mutex_lock(&S.mu);
    S.imds = false;
    S.no_role = false;
    pthread_mutex_unlock(&S.mu);
    server_stop(&sv);
}

static void test_client_config(void **state)
{
    (void)state;
    struct nw_aws_creds_provider *p = canary_provider();
    struct nw_aws_client *c;
    struct nw_diag d;
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_KMS");
    unsetenv("AWS_ENDPOINT_URL_SECRETS_MANAGER");
    struct nw_aws_config cfg = {.creds = p};
    assert_int_equal(nw_aws_client_new(&c, NW_AWS_KMS, &cfg, &d), NW_ERR_CONFIG);
    setenv("AWS_REGION", "eu-central-1", 1);
    assert_int_equal(nw_aws_client_new(&c, NW_AWS_KMS, &cfg, &d), NW_OK);
    assert_string_equal(nw_aws_client_endpoint(c), "https://kms.eu-central-1.amazonaws.com");
    nw_aws_client_free(c);
    cfg.region = "cn-north-1";
    assert_int_equal(nw_aws_client_new(&c, NW_AWS_SECRETS_MANAGER, &cfg, &d), NW_OK);
    assert_string_equal(nw_aws_client_endpoint(c),
                        "https://secretsmanager.cn-north-1.amazonaws.com.cn");
    nw_aws_client_free(c);
    cfg.region = NULL;
    setenv("AWS_ENDPOINT_URL", "https://all.example:4443", 1);
    setenv("AWS_ENDPOINT_URL_KMS", "https://kms.example:4443", 1);
    assert_int_equal(nw_aws_client_new(&c, NW_AWS_KMS, &cfg, &d), NW_OK);
    assert_string_equal(nw_aws_client_endpoint(c), "https://kms.example:4443");
    assert_string_equal(nw_aws_client_region(c), "eu-central-1");
    nw_aws_client_free(c);
    assert_int_equal(nw_aws_client_new(&c, NW_AWS_SECRETS_MANAGER, &cfg, &d), NW_OK);
    assert_string_equal(nw_aws_client_endpoint(c), "https://all.example:4443");
    nw_aws_client_free(c);
    setenv("AWS_ENDPOINT_URL_KMS", "not a url", 1);
    assert_int_equal(nw_aws_client_new(&c, NW_AWS_KMS, &cfg, &d), NW_ERR_HTTP_URL);
    cfg.region = "Bad Region";
    assert_int_equal(nw_aws_client_new(&c, NW_AWS_KMS, &cfg, &d), NW_ERR_CONFIG);
    struct nw_aws_config nocreds = {.region = "us-east-1"};
    assert_int_equal(nw_aws_client_new(&c, NW_AWS_KMS, &nocreds, &d), NW_ERR_CONFIG);
    unsetenv("AWS_REGION");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_KMS");
    no_canary(d.msg);

    struct nw_http_url u;
    assert_int_equal(nw_http_url_parse(&u, "https://[::1]:8443/a?b=c"), NW_OK);
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.host_header, "[::1]:8443");
    assert_string_equal(u.path, "/a");
    assert_string_equal(u.query, "b=c");
    assert_int_equal(nw_http_url_parse(&u, "https://kms.us-east-1.amazonaws.com"), NW_OK);
    assert_string_equal(u.host_header, "kms.us-east-1.amazonaws.com");
    assert_string_equal(u.path, "/");
    assert_int_equal(u.port, 443);
    assert_int_equal(nw_http_url_parse(&u, "gopher://x/"), NW_ERR_HTTP_URL);
    nw_aws_creds_provider_free(p);

    /* Expired static credentials never reach the wire. */
    struct nw_aws_creds cr;
    assert_int_equal(nw_aws_creds_set(&cr, CANARY_AKID, CANARY_SECRET, NULL, 10), NW_OK);
    assert_int_equal(nw_aws_creds_provider_static(&p, &cr), NW_OK);
    nw_aws_creds_clear(&cr);
    struct nw_aws_config c2 = {
        .region = "us-east-1", .endpoint_url = "http://127.0.0.1:1", .creds = p};
    assert_int_equal(nw_aws_client_new(&c, NW_AWS_KMS, &c2, &d), NW_OK);
    struct nw_kms_result r;
    nw_kms_result_init(&r);
    struct nw_kms_request q = {.number_of_bytes = 3};
    struct nw_aws_error e;
    assert_int_equal(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_AWS_CREDS_EXPIRED);
    assert_int_equal(e.attempts, 1);
    nw_kms_result_clear(&r);
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);
}

/* Without a configured bundle the client takes the first system bundle that exists: Amazon
 * Linux's path when Debian's (libcurl's built-in default) is absent. */
static void test_system_ca(void **state)
{
    (void)state;
    char dir[] = "/tmp/nw-ca-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char debian[64], al2023[64];
    (void)snprintf(debian, sizeof(debian), "%s/ca-certificates.crt", dir);
    (void)snprintf(al2023, sizeof(al2023), "%s/ca-bundle.crt", dir);
    const char *const list[] = {debian, al2023, NULL};
    assert_null(nw_http_system_ca(list));
    FILE *f = fopen(al2023, "w");
    assert_non_null(f);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(nw_http_system_ca(list), al2023);
    f = fopen(debian, "w");
    assert_non_null(f);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(nw_http_system_ca(list), debian);
    assert_int_equal(unlink(debian), 0);
    assert_int_equal(unlink(al2023), 0);
    assert_int_equal(rmdir(dir), 0);
    /* The built-in list finds this machine's bundle (Debian's, installed by scripts/deps). */
    if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0)
        assert_string_equal(nw_http_system_ca(NULL), "/etc/ssl/certs/ca-certificates.crt");
}

int main(void)
{
    assert_int_equal(nw_http_global_init(true), NW_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kms_roundtrip_signed), cmocka_unit_test(test_retries),
        cmocka_unit_test(test_caps_and_timeouts),    cmocka_unit_test(test_request_options),
        cmocka_unit_test(test_transports),           cmocka_unit_test(test_imds),
        cmocka_unit_test(test_client_config),        cmocka_unit_test(test_system_ca),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

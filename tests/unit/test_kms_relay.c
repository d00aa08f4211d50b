/*
 * The KMS relay's host half (nw_kms_relay_check, nw_kms_relay_handle): every refusal with its
 * exact code and the answer frame around it; the forwarding of an accepted request (signed,
 * the checked body, the target's operation) to a scripted libmicrohttpd KMS on loopback; the
 * wrapping of KMS answers (200, AccessDeniedException 400, 5xx, a 200 that is not JSON) and of
 * an unreachable KMS.
 */
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nw/aws.h>
#include <nw/kms.h>

#include "nwtest.h"

/* ---- scripted KMS ----------------------------------------------------------------------- */

static struct {
    pthread_mutex_t mu;
    int status;
    const char *body;
    int hits;
    char target[128];
    char auth[16];
    char req_body[1 << 16];
} K = {.mu = PTHREAD_MUTEX_INITIALIZER};

struct upload {
    char body[1 << 16];
    size_t len;
};

static enum MHD_Result handler(void *cls,
                               struct MHD_Connection *c,
                               const char *url,
                               const char *method,
                               const char *version,
                               const char *data,
                               size_t *data_len,
                               void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version;
    struct upload *u = *con_cls;
    if (u == NULL) {
        *con_cls = calloc(1, sizeof(*u));
        return MHD_YES;
    }
    if (*data_len > 0) {
        size_t n = *data_len < sizeof(u->body) - 1 - u->len ? *data_len : 0;
        memcpy(u->body + u->len, data, n);
        u->len += n;
        *data_len = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&K.mu);
    K.hits++;
    const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Target");
    snprintf(K.target, sizeof(K.target), "%s", t ? t : "");
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    snprintf(K.auth, sizeof(K.auth), "%.15s", a ? a : "");
    memcpy(K.req_body, u->body, u->len + 1);
    int status = K.status;
    const char *body = K.body;
    pthread_mutex_unlock(&K.mu);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/x-amz-json-1.1");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static struct MHD_Daemon *kms_d;
static unsigned kms_port;
static struct nw_aws_creds_provider *prov;

static struct nw_aws_client *client_to(unsigned port)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
    struct nw_aws_config cfg = {.region = "eu-west-2",
                                .endpoint_url = url,
                                .creds = prov,
                                .max_attempts = 1,
                                .timeout_ms = 3000};
    struct nw_aws_client *c = NULL;
    assert_int_equal(nw_aws_client_new(&c, NW_AWS_KMS, &cfg, NULL), NW_OK);
    return c;
}

static void script(int status, const char *body)
{
    pthread_mutex_lock(&K.mu);
    K.status = status;
    K.body = body;
    K.hits = 0;
    pthread_mutex_unlock(&K.mu);
}

static int setup(void **st)
{
    (void)st;
    kms_d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                             NULL, NULL, handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed,
                             NULL, MHD_OPTION_END);
    assert_non_null(kms_d);
    kms_port = MHD_get_daemon_info(kms_d, MHD_DAEMON_INFO_BIND_PORT)->port;
    struct nw_aws_creds cr;
    assert_int_equal(nw_aws_creds_set(&cr, "AKIARELAYTEST0000", "relaySecret/abc+def", NULL, 0),
                     NW_OK);
    assert_int_equal(nw_aws_creds_provider_static(&prov, &cr), NW_OK);
    nw_aws_creds_clear(&cr);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    MHD_stop_daemon(kms_d);
    nw_aws_creds_provider_free(prov);
    return 0;
}

/* ---- requests ----------------------------------------------------------------------------- */

#define DOC_B64 "hEShATgioFkBAGRvYw=="
#define RCP                                                                                  \
 "\"Recipient\":{\"KeyEncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\",\"AttestationDocument\":" \
 "\"" DOC_B64 "\"}"
#define ENV(t) "{\"v\":1,\"id\":7,\"op\":\"kms\",\"target\":\"TrentService." t "\",\"body\":"
#define DEC_OK  \
 ENV("Decrypt") \
 "{\"CiphertextBlob\":\"AQIDBA==\",\"EncryptionContext\":{\"nw:key_id\":\"k1\"}," RCP "}}"

struct refusal_case {
    const char *request;
    nw_err code;
};

/* clang-format off */
static const struct refusal_case REFUSALS[] = {
    {"not json", NW_ERR_BAD_REQUEST},
    {"[1,2]", NW_ERR_BAD_REQUEST},
    {"{\"v\":1,\"id\":1,\"op\":\"kms\"", NW_ERR_BAD_REQUEST},
    {"{\"v\":1,\"op\":\"kms\",\"target\":\"TrentService.Decrypt\",\"body\":{" RCP "}}", NW_ERR_BAD_REQUEST},
    {"{\"v\":1,\"id\":{},\"op\":\"kms\",\"target\":\"TrentService.Decrypt\",\"body\":{" RCP "}}", NW_ERR_BAD_REQUEST},
    {"{\"v\":1,\"id\":\"12345678901234567890123456789012345678901234567890123456789012345\",\"op\":\"kms\"}", NW_ERR_KMS_RELAY_TOO_LARGE},
    {"{\"v\":2,\"id\":1,\"op\":\"kms\",\"target\":\"TrentService.Decrypt\",\"body\":{" RCP "}}", NW_ERR_KMS_RELAY_VERSION},
    {"{\"v\":\"1\",\"id\":1,\"op\":\"kms\",\"target\":\"TrentService.Decrypt\",\"body\":{" RCP "}}", NW_ERR_BAD_REQUEST},
    {"{\"id\":1,\"op\":\"kms\",\"target\":\"TrentService.Decrypt\",\"body\":{" RCP "}}", NW_ERR_BAD_REQUEST},
    {"{\"v\":1,\"id\":1,\"op\":\"sign_transaction\",\"target\":\"TrentService.Decrypt\",\"body\":{" RCP "}}", NW_ERR_UNKNOWN_OP},
    {"{\"v\":1,\"id\":1,\"target\":\"TrentService.Decrypt\",\"body\":{" RCP "}}", NW_ERR_BAD_REQUEST},
    {ENV("Encrypt") "{\"KeyId\":\"k\",\"Plaintext\":\"AAAA\"}}", NW_ERR_KMS_RELAY_TARGET},
    {ENV("DescribeKey") "{\"KeyId\":\"k\"}}", NW_ERR_KMS_RELAY_TARGET},
    {ENV("ScheduleKeyDeletion") "{\"KeyId\":\"k\"}}", NW_ERR_KMS_RELAY_TARGET},
    {"{\"v\":1,\"id\":1,\"op\":\"kms\",\"target\":\"Decrypt\",\"body\":{" RCP "}}", NW_ERR_KMS_RELAY_TARGET},
    {"{\"v\":1,\"id\":1,\"op\":\"kms\",\"target\":5,\"body\":{" RCP "}}", NW_ERR_BAD_REQUEST},
    {"{\"v\":1,\"id\":1,\"op\":\"kms\",\"target\":\"TrentService.Decrypt\"}", NW_ERR_BAD_REQUEST},
    {"{\"v\":1,\"id\":1,\"op\":\"kms\",\"target\":\"TrentService.Decrypt\",\"body\":[]}", NW_ERR_BAD_REQUEST},
    {"{\"v\":1,\"id\":1,\"op\":\"kms\",\"target\":\"TrentService.Decrypt\",\"body\":{" RCP "},\"x\":1}", NW_ERR_BAD_REQUEST},
    {"{\"v\":1,\"v\":1,\"id\":1,\"op\":\"kms\",\"target\":\"TrentService.Decrypt\",\"body\":{" RCP "}}", NW_ERR_BAD_REQUEST},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\"}}", NW_ERR_KMS_RELAY_RECIPIENT},
    {ENV("GenerateDataKey") "{\"KeyId\":\"k\",\"NumberOfBytes\":32}}", NW_ERR_KMS_RELAY_RECIPIENT},
    {ENV("GenerateRandom") "{\"NumberOfBytes\":32}}", NW_ERR_KMS_RELAY_RECIPIENT},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"Recipient\":{\"KeyEncryptionAlgorithm\":\"RSAES_OAEP_SHA_1\",\"AttestationDocument\":\"" DOC_B64 "\"}}}", NW_ERR_KMS_RELAY_RECIPIENT},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"Recipient\":{\"KeyEncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\",\"AttestationDocument\":\"\"}}}", NW_ERR_KMS_RELAY_RECIPIENT},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"Recipient\":{\"KeyEncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\",\"AttestationDocument\":\"not base64!\"}}}", NW_ERR_KMS_RELAY_RECIPIENT},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"Recipient\":{\"KeyEncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\"}}}", NW_ERR_KMS_RELAY_RECIPIENT},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"Recipient\":{\"KeyEncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\",\"AttestationDocument\":\"" DOC_B64 "\",\"x\":1}}}", NW_ERR_KMS_RELAY_RECIPIENT},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"Recipient\":\"yes\"}}", NW_ERR_KMS_RELAY_RECIPIENT},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"Plaintext\":\"AAAA\"," RCP "}}", NW_ERR_KMS_RELAY_FIELD},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"GrantTokens\":[\"t\"]," RCP "}}", NW_ERR_KMS_RELAY_FIELD},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"DryRun\":true," RCP "}}", NW_ERR_KMS_RELAY_FIELD},
    {ENV("Decrypt") "{\"CiphertextBlob\":5," RCP "}}", NW_ERR_KMS_RELAY_FIELD},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQ=\"," RCP "}}", NW_ERR_KMS_RELAY_FIELD},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"EncryptionContext\":{\"a\":1}," RCP "}}", NW_ERR_KMS_RELAY_FIELD},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"EncryptionContext\":[]," RCP "}}", NW_ERR_KMS_RELAY_FIELD},
    {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"KeyId\":\"\"," RCP "}}", NW_ERR_KMS_RELAY_FIELD},
    {ENV("GenerateDataKey") "{\"KeyId\":\"k\",\"NumberOfBytes\":0," RCP "}}", NW_ERR_KMS_RELAY_FIELD},
    {ENV("GenerateDataKey") "{\"KeyId\":\"k\",\"NumberOfBytes\":1025," RCP "}}", NW_ERR_KMS_RELAY_FIELD},
    {ENV("GenerateDataKey") "{\"KeyId\":\"k\",\"NumberOfBytes\":\"32\"," RCP "}}", NW_ERR_KMS_RELAY_FIELD},
    {ENV("GenerateRandom") "{\"NumberOfBytes\":32,\"KeyId\":\"k\"," RCP "}}", NW_ERR_KMS_RELAY_FIELD},
};
/* clang-format on */

/* Parse an answer and check its error code and echoed id (JSON text). */
static void check_error_answer(const struct nw_buf *ans, nw_err code, const char *id_json)
{
    json_error_t je;
    json_t *a = json_loadb((const char *)ans->ptr, ans->len, 0, &je);
    assert_non_null(a);
    assert_true(json_is_false(json_object_get(a, "ok")));
    json_t *e = json_object_get(a, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), nw_err_code(code));
    assert_non_null(json_string_value(json_object_get(e, "message")));
    char *id = json_dumps(json_object_get(a, "id"), JSON_ENCODE_ANY | JSON_COMPACT);
    assert_string_equal(id, id_json);
    free(id);
    json_decref(a);
}

/* The id an answer should echo: the request's when it parses and the id is usable, else null. */
static const char *expected_id(const char *request)
{
    static char out[80];
    json_t *r = json_loads(request, JSON_REJECT_DUPLICATES, NULL);
    json_t *id = json_object_get(r, "id");
    snprintf(out, sizeof(out), "null");
    if (json_is_integer(id))
        snprintf(out, sizeof(out), "%lld", (long long)json_integer_value(id));
    else if (json_is_string(id) && json_string_length(id) <= NW_KMS_RELAY_MAX_ID)
        snprintf(out, sizeof(out), "\"%s\"", json_string_value(id));
    json_decref(r);
    return out;
}

static void refusals(void **st)
{
    (void)st;
    struct nw_aws_client *c = client_to(kms_port);
    struct nw_buf ans, body;
    nw_buf_init(&ans, NW_KMS_RELAY_MAX_ANSWER, false);
    nw_buf_init(&body, NW_KMS_RELAY_MAX_REQUEST, false);
    script(200, "{}");
    for (size_t i = 0; i < NW_ARRAY_LEN(REFUSALS); i++) {
        const struct refusal_case *rc = &REFUSALS[i];
        struct nw_kms_relay_info info;
        enum nw_kms_op op = 9;
        nw_err err = nw_kms_relay_check(&op, &body, &info, nw_cur_str(rc->request));
        if (err != rc->code)
            fprintf(stderr, "case %zu: %s, want %s\n", i, nw_err_name(err), nw_err_name(rc->code));
        assert_int_equal(err, rc->code);
        assert_int_equal(op, 0);
        assert_int_equal(body.len, 0);
        ans.len = 0;
        assert_int_equal(nw_kms_relay_handle(c, &ans, &info, nw_cur_str(rc->request)), NW_OK);
        assert_int_equal(info.code, rc->code);
        check_error_answer(&ans, rc->code, expected_id(rc->request));
    }
    assert_int_equal(K.hits, 0); /* nothing refused ever reached KMS */
    /* Sizes: the whole request, the attestation document, a ciphertext, a key id, a context. */
    struct nw_buf big;
    nw_buf_init(&big, 1 << 20, false);
    assert_int_equal(nw_buf_append_str(&big, ENV("Decrypt") "{\"KeyId\":\""), NW_OK);
    for (int i = 0; i < 70000; i++)
        assert_int_equal(nw_buf_append_byte(&big, 'k'), NW_OK);
    assert_int_equal(nw_buf_append_str(&big, "\"," RCP "}}"), NW_OK);
    ans.len = 0;
    assert_int_equal(nw_kms_relay_handle(c, &ans, NULL, nw_buf_cur(&big)), NW_OK);
    check_error_answer(&ans, NW_ERR_KMS_RELAY_TOO_LARGE, "null");
    struct {
        const char *pre, *post;
        size_t n;
        char fill;
    } sized[] = {
        {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"Recipient\":{"
                        "\"KeyEncryptionAlgorithm\":"
                        "\"RSAES_OAEP_SHA_256\",\"AttestationDocument\":\"",
         "\"}}}", 24000, 'A'},
        {ENV("Decrypt") "{\"CiphertextBlob\":\"", "\"," RCP "}}", 8200, 'A'},
        {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"KeyId\":\"", "\"," RCP "}}", 2049, 'k'},
        {ENV("Decrypt") "{\"CiphertextBlob\":\"AQIDBA==\",\"EncryptionContext\":{\"k\":\"",
         "\"}," RCP "}}", 2049, 'v'},
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(sized); i++) {
        big.len = 0;
        assert_int_equal(nw_buf_append_str(&big, sized[i].pre), NW_OK);
        for (size_t j = 0; j < sized[i].n; j++)
            assert_int_equal(nw_buf_append_byte(&big, (uint8_t)sized[i].fill), NW_OK);
        assert_int_equal(nw_buf_append_str(&big, sized[i].post), NW_OK);
        enum nw_kms_op op;
        body.len = 0;
        assert_int_equal(nw_kms_relay_check(&op, &body, NULL, nw_buf_cur(&big)),
                         NW_ERR_KMS_RELAY_TOO_LARGE);
    }
    assert_int_equal(K.hits, 0);
    nw_buf_clear(&big);
    nw_buf_clear(&ans);
    nw_buf_clear(&body);
    nw_aws_client_free(c);
}

/* An accepted request: the re-serialised body equals what nw_kms_build_request makes. */
static void accepted(void **st)
{
    (void)st;
    static const uint8_t blob[4] = {1, 2, 3, 4};
    static const uint8_t doc[13] = {0x84, 0x44, 0xa1, 0x01, 0x38, 0x22, 0xa0,
                                    0x59, 0x01, 0x00, 'd',  'o',  'c'};
    struct nw_kms_kv ctx = {"nw:key_id", "k1"};
    struct nw_kms_request q = {.ciphertext_blob = nw_cur_of(blob, 4),
                               .context = &ctx,
                               .n_context = 1,
                               .recipient_attestation = nw_cur_of(doc, sizeof(doc))};
    struct nw_buf built, body;
    nw_buf_init(&built, 1 << 16, false);
    nw_buf_init(&body, 1 << 16, false);
    assert_int_equal(nw_kms_build_request(&built, NW_KMS_DECRYPT, &q), NW_OK);
    assert_int_equal(nw_buf_cstr(&built), NW_OK);
    char req[4096];
    snprintf(req, sizeof(req),
             "{\"v\":1,\"id\":\"abc-1\",\"op\":\"kms\",\"target\":"
             "\"TrentService.Decrypt\",\"body\":%s}",
             (const char *)built.ptr);
    enum nw_kms_op op = 0;
    struct nw_kms_relay_info info;
    assert_int_equal(nw_kms_relay_check(&op, &body, &info, nw_cur_str(req)), NW_OK);
    assert_int_equal(op, NW_KMS_DECRYPT);
    assert_string_equal(info.id, "abc-1");
    assert_int_equal(body.len, built.len);
    assert_memory_equal(body.ptr, built.ptr, built.len);
    /* The other two targets. */
    const char *gdk = ENV("GenerateDataKey") "{\"KeyId\":\"alias/k\",\"EncryptionContext\":{\"a\":"
                                             "\"b\"},\"NumberOfBytes\":32," RCP "}}";
    const char *rnd = ENV("GenerateRandom") "{\"NumberOfBytes\":64," RCP "}}";
    body.len = 0;
    assert_int_equal(nw_kms_relay_check(&op, &body, &info, nw_cur_str(gdk)), NW_OK);
    assert_int_equal(op, NW_KMS_GENERATE_DATA_KEY);
    assert_string_equal(info.id, "7");
    body.len = 0;
    assert_int_equal(nw_kms_relay_check(&op, &body, NULL, nw_cur_str(rnd)), NW_OK);
    assert_int_equal(op, NW_KMS_GENERATE_RANDOM);
    nw_buf_clear(&built);
    nw_buf_clear(&body);
}

static json_t *handle_ok(struct nw_aws_client *c, const char *req, struct nw_kms_relay_info *info)
{
    struct nw_buf ans;
    nw_buf_init(&ans, NW_KMS_RELAY_MAX_ANSWER, false);
    assert_int_equal(nw_kms_relay_handle(c, &ans, info, nw_cur_str(req)), NW_OK);
    json_t *a = json_loadb((const char *)ans.ptr, ans.len, 0, NULL);
    assert_non_null(a);
    assert_int_equal(json_integer_value(json_object_get(a, "id")), 7);
    nw_buf_clear(&ans);
    return a;
}

static void wrapping(void **st)
{
    (void)st;
    struct nw_aws_client *c = client_to(kms_port);
    struct nw_kms_relay_info info;

    /* 200: forwarded signed, with the target's operation and the checked body. */
    script(200,
           "{\"CiphertextForRecipient\":\"MIAGCSqGSIb3DQEHA6CAMIACAQIx\",\"KeyId\":\"arn:k\"}");
    json_t *a = handle_ok(c, DEC_OK, &info);
    assert_int_equal(K.hits, 1);
    assert_string_equal(K.target, "TrentService.Decrypt");
    assert_string_equal(K.auth, "AWS4-HMAC-SHA25");
    assert_non_null(strstr(K.req_body, "\"Recipient\""));
    assert_non_null(strstr(K.req_body, "\"nw:key_id\":\"k1\""));
    assert_true(json_is_true(json_object_get(a, "ok")));
    json_t *r = json_object_get(a, "result");
    assert_int_equal(json_integer_value(json_object_get(r, "status")), 200);
    assert_true(json_is_null(json_object_get(r, "error_type")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "body"), "KeyId")),
                        "arn:k");
    assert_int_equal(info.code, NW_OK);
    assert_int_equal(info.op, NW_KMS_DECRYPT);
    assert_int_equal(info.http_status, 200);
    assert_string_equal(info.id, "7");
    json_decref(a);

    /* AccessDeniedException: status 400 with error_type, as KMS said it. */
    script(400, "{\"__type\":\"AccessDeniedException\",\"message\":\"PCR0 does not match\"}");
    a = handle_ok(c, DEC_OK, &info);
    r = json_object_get(a, "result");
    assert_true(json_is_true(json_object_get(a, "ok")));
    assert_int_equal(json_integer_value(json_object_get(r, "status")), 400);
    assert_string_equal(json_string_value(json_object_get(r, "error_type")),
                        "AccessDeniedException");
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "body"), "__type")),
                        "AccessDeniedException");
    assert_int_equal(info.code, NW_OK);
    assert_int_equal(info.http_status, 400);
    assert_string_equal(info.error_type, "AccessDeniedException");
    json_decref(a);

    /* A namespaced InvalidCiphertextException, and a 500 without a body. */
    script(400, "{\"__type\":\"com.amazonaws.kms#InvalidCiphertextException\"}");
    a = handle_ok(c, DEC_OK, &info);
    r = json_object_get(a, "result");
    assert_string_equal(json_string_value(json_object_get(r, "error_type")),
                        "InvalidCiphertextException");
    json_decref(a);
    script(500, "");
    a = handle_ok(c, DEC_OK, &info);
    r = json_object_get(a, "result");
    assert_int_equal(json_integer_value(json_object_get(r, "status")), 500);
    json_decref(a);

    /* A 200 that is not a JSON object: kms_unavailable. */
    script(200, "<html>");
    a = handle_ok(c, DEC_OK, &info);
    assert_true(json_is_false(json_object_get(a, "ok")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "error"), "code")),
                        "kms_unavailable");
    json_decref(a);
    nw_aws_client_free(c);

    /* KMS unreachable (a port nobody listens on). */
    c = client_to(1);
    a = handle_ok(c, DEC_OK, &info);
    assert_true(json_is_false(json_object_get(a, "ok")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "error"), "code")),
                        "kms_unavailable");
    assert_int_equal(info.code, NW_ERR_KMS_UNAVAILABLE);
    assert_int_equal(info.http_status, 0);
    json_decref(a);
    nw_aws_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refusals),
        cmocka_unit_test(accepted),
        cmocka_unit_test(wrapping),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

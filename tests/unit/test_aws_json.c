/*
 * KMS and Secrets Manager request bodies (exact JSON), response parsing (valid, malformed,
 * oversize), AWS error parsing and the error-name -> code table, base64, credentials.
 */
#include <stdlib.h>
#include <string.h>

#include <nw/aws.h>
#include <nw/base64.h>
#include <nw/imds.h>
#include <nw/kms.h>
#include <nw/mem.h>
#include <nw/secrets.h>
#include <nw/sigv4.h>

#include "aws/aws_int.h"
#include "nwtest.h"

static void expect_kms_body(enum nw_kms_op op, const struct nw_kms_request *q, const char *want)
{
    struct nw_buf b;
    nw_buf_init(&b, 1 << 20, true);
    assert_int_equal(nw_kms_build_request(&b, op, q), NW_OK);
    assert_int_equal(nw_buf_cstr(&b), NW_OK);
    assert_string_equal((char *)b.ptr, want);
    nw_buf_clear(&b);
}

static void expect_kms_reject(enum nw_kms_op op, const struct nw_kms_request *q)
{
    struct nw_buf b;
    nw_buf_init(&b, 1 << 20, true);
    assert_int_equal(nw_kms_build_request(&b, op, q), NW_ERR_INVALID_ARG);
    nw_buf_clear(&b);
}

static void test_kms_bodies(void **state)
{
    (void)state;
    struct nw_kms_kv ctx[] = {{"nw:address", "0xab"}, {"purpose", "test"}};
    struct nw_kms_request q = {.key_id = "alias/1", .plaintext = nw_cur_str("foobar")};
    expect_kms_body(NW_KMS_ENCRYPT, &q, "{\"KeyId\":\"alias/1\",\"Plaintext\":\"Zm9vYmFy\"}");
    q.context = ctx;
    q.n_context = 2;
    q.encryption_algorithm = "SYMMETRIC_DEFAULT";
    expect_kms_body(NW_KMS_ENCRYPT, &q,
                    "{\"KeyId\":\"alias/1\",\"Plaintext\":\"Zm9vYmFy\",\"EncryptionContext\":{"
                    "\"nw:address\":\"0xab\",\"purpose\":\"test\"},\"EncryptionAlgorithm\":"
                    "\"SYMMETRIC_DEFAULT\"}");

    uint8_t att[4] = {0x84, 0x44, 0xa1, 0x01};
    struct nw_kms_request d = {.ciphertext_blob = nw_cur_str("\x01\x02\x03"),
                               .context = ctx,
                               .n_context = 1,
                               .recipient_attestation = nw_cur_of(att, 4)};
    expect_kms_body(NW_KMS_DECRYPT, &d,
                    "{\"CiphertextBlob\":\"AQID\",\"EncryptionContext\":{\"nw:address\":\"0xab\"},"
                    "\"Recipient\":{\"KeyEncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\","
                    "\"AttestationDocument\":\"hEShAQ==\"}}");
    d.key_id = "arn:aws:kms:us-east-1:111122223333:key/k";
    d.recipient_attestation = nw_cur_of(NULL, 0);
    d.n_context = 0;
    expect_kms_body(NW_KMS_DECRYPT, &d,
                    "{\"CiphertextBlob\":\"AQID\",\"KeyId\":\"arn:aws:kms:us-east-1:111122223333:"
                    "key/k\"}");

    struct nw_kms_request g = {.key_id = "k1", .context = ctx, .n_context = 1};
    expect_kms_body(NW_KMS_GENERATE_DATA_KEY, &g,
                    "{\"KeyId\":\"k1\",\"EncryptionContext\":{\"nw:address\":\"0xab\"},"
                    "\"KeySpec\":\"AES_256\"}");
    g.number_of_bytes = 32;
    g.recipient_attestation = nw_cur_of(att, 4);
    expect_kms_body(NW_KMS_GENERATE_DATA_KEY, &g,
                    "{\"KeyId\":\"k1\",\"EncryptionContext\":{\"nw:address\":\"0xab\"},"
                    "\"NumberOfBytes\":32,\"Recipient\":{\"KeyEncryptionAlgorithm\":"
                    "\"RSAES_OAEP_SHA_256\",\"AttestationDocument\":\"hEShAQ==\"}}");
    struct nw_kms_request r = {.number_of_bytes = 16};
    expect_kms_body(NW_KMS_GENERATE_RANDOM, &r, "{\"NumberOfBytes\":16}");
    struct nw_kms_request k = {.key_id = "alias/x"};
    expect_kms_body(NW_KMS_DESCRIBE_KEY, &k, "{\"KeyId\":\"alias/x\"}");

    /* Rejections: missing required, extra fields, bounds, invalid UTF-8, duplicate context. */
    struct nw_kms_request bad = {.plaintext = nw_cur_str("x")};
    expect_kms_reject(NW_KMS_ENCRYPT, &bad); /* no key */
    bad.key_id = "k";
    bad.plaintext = nw_cur_of(NULL, 0);
    expect_kms_reject(NW_KMS_ENCRYPT, &bad); /* no plaintext */
    uint8_t big[4097] = {0};
    bad.plaintext = nw_cur_of(big, sizeof(big));
    expect_kms_reject(NW_KMS_ENCRYPT, &bad);
    bad.plaintext = nw_cur_str("x");
    bad.recipient_attestation = nw_cur_of(att, 4);
    expect_kms_reject(NW_KMS_ENCRYPT, &bad); /* Encrypt has no Recipient */
    struct nw_kms_request r0 = {.number_of_bytes = 0};
    expect_kms_reject(NW_KMS_GENERATE_RANDOM, &r0);
    r0.number_of_bytes = 1025;
    expect_kms_reject(NW_KMS_GENERATE_RANDOM, &r0);
    struct nw_kms_request both = {.key_id = "k", .number_of_bytes = 32, .key_spec = "AES_256"};
    expect_kms_reject(NW_KMS_GENERATE_DATA_KEY, &both);
    struct nw_kms_request spec = {.key_id = "k", .key_spec = "AES_512"};
    expect_kms_reject(NW_KMS_GENERATE_DATA_KEY, &spec);
    struct nw_kms_kv badutf[] = {{"k", "\xff\xfe"}};
    struct nw_kms_request u = {
        .key_id = "k", .plaintext = nw_cur_str("x"), .context = badutf, .n_context = 1};
    expect_kms_reject(NW_KMS_ENCRYPT, &u);
    struct nw_kms_kv dup[] = {{"a", "1"}, {"a", "2"}};
    u.context = dup;
    u.n_context = 2;
    expect_kms_reject(NW_KMS_ENCRYPT, &u);
    expect_kms_reject((enum nw_kms_op)99, &k);
}

static void test_kms_parse(void **state)
{
    (void)state;
    struct nw_kms_result r;
    nw_kms_result_init(&r);
    /* A real KMS Encrypt response body (libmongocrypt example-response.bin, shortened blob). */
    const char *enc = "{\"CiphertextBlob\":\"AQICAHg=\",\"KeyId\":\"arn:aws:kms:us-east-1:"
                      "579766882180:key/89fcc2c4-08b0-4bd9-9f25-e30687b580d0\"}";
    assert_int_equal(nw_kms_parse_response(&r, NW_KMS_ENCRYPT, nw_cur_str(enc)), NW_OK);
    assert_int_equal(r.ciphertext_blob.len, 5);
    assert_memory_equal(r.ciphertext_blob.ptr, "\x01\x02\x02\x00\x78", 5);
    assert_string_equal(
        r.key_id, "arn:aws:kms:us-east-1:579766882180:key/89fcc2c4-08b0-4bd9-9f25-e30687b580d0");
    const char *dec = "{\"KeyId\":\"arn:k\",\"Plaintext\":\"c2VjcmV0\","
                      "\"EncryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"Unknown\":[1,2]}";
    assert_int_equal(nw_kms_parse_response(&r, NW_KMS_DECRYPT, nw_cur_str(dec)), NW_OK);
    assert_int_equal(r.plaintext.len, 6);
    assert_memory_equal(r.plaintext.ptr, "secret", 6);
    assert_true(r.plaintext.secret);
    assert_string_equal(r.encryption_algorithm, "SYMMETRIC_DEFAULT");
    const char *cfr = "{\"KeyId\":\"arn:k\",\"CiphertextForRecipient\":\"MIAGCSqGSIb3DQEHA6CA\"}";
    assert_int_equal(nw_kms_parse_response(&r, NW_KMS_DECRYPT, nw_cur_str(cfr)), NW_OK);
    assert_int_equal(r.plaintext.len, 0);
    assert_int_equal(r.ciphertext_for_recipient.len, 15);
    const char *gdk =
        "{\"CiphertextBlob\":\"AQID\",\"Plaintext\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAA=\",\"KeyId\":\"arn:k\"}";
    assert_int_equal(nw_kms_parse_response(&r, NW_KMS_GENERATE_DATA_KEY, nw_cur_str(gdk)), NW_OK);
    assert_int_equal(r.plaintext.len, 32);
    const char *rnd = "{\"Plaintext\":\"AAECAwQFBgcICQoLDA0ODw==\"}";
    assert_int_equal(nw_kms_parse_response(&r, NW_KMS_GENERATE_RANDOM, nw_cur_str(rnd)), NW_OK);
    assert_int_equal(r.plaintext.len, 16);
    const char *dk = "{\"KeyMetadata\":{\"KeyId\":\"1234\",\"Arn\":\"arn:aws:kms:r:1:key/1234\","
                     "\"Enabled\":false,\"KeyState\":\"Disabled\",\"KeyUsage\":\"ENCRYPT_DECRYPT\","
                     "\"KeySpec\":\"SYMMETRIC_DEFAULT\",\"Description\":\"d\","
                     "\"CreationDate\":1.5e9}}";
    assert_int_equal(nw_kms_parse_response(&r, NW_KMS_DESCRIBE_KEY, nw_cur_str(dk)), NW_OK);
    assert_string_equal(r.key_state, "Disabled");
    assert_false(r.enabled);
    assert_string_equal(r.arn, "arn:aws:kms:r:1:key/1234");

    const char *bad[][2] = {
        {"1", ""},
        {"1", "not json"},
        {"1", "[1]"},
        {"1", "{}"},                                        /* Encrypt without CiphertextBlob */
        {"1", "{\"CiphertextBlob\":5}"},                    /* wrong type */
        {"1", "{\"CiphertextBlob\":\"AQI\"}"},              /* bad base64 length */
        {"1", "{\"CiphertextBlob\":\"AQ=D\"}"},             /* padding inside */
        {"1", "{\"CiphertextBlob\":\"AQ\\nD\"}"},           /* whitespace */
        {"1", "{\"CiphertextBlob\":\"AQID\",\"KeyId\":7}"}, /* wrong type of an optional */
        {"1", "{\"CiphertextBlob\":\"AQID\",\"CiphertextBlob\":\"AQID\"}"}, /* duplicate */
        {"2", "{\"KeyId\":\"k\"}"},        /* Decrypt with neither result */
        {"2", "{\"Plaintext\":null}"},     /* null is absent */
        {"3", "{\"Plaintext\":\"AQID\"}"}, /* GenerateDataKey without CiphertextBlob */
        {"4", "{}"},
        {"5", "{\"KeyMetadata\":{}}"},
        {"5", "{\"KeyMetadata\":{\"KeyId\":\"k\",\"Enabled\":\"yes\"}}"},
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(bad); i++) {
        enum nw_kms_op op = (enum nw_kms_op)atoi(bad[i][0]);
        assert_int_equal(nw_kms_parse_response(&r, op, nw_cur_str(bad[i][1])), NW_ERR_AWS_RESPONSE);
        assert_int_equal(r.plaintext.len, 0);
    }
    /* Oversize: a base64 blob beyond the 64 KiB result cap. */
    size_t n = 100000;
    char *huge = malloc(n + 64);
    assert_non_null(huge);
    memcpy(huge, "{\"CiphertextBlob\":\"", 19);
    memset(huge + 19, 'A', n);
    memcpy(huge + 19 + n, "\"}", 3);
    assert_int_equal(nw_kms_parse_response(&r, NW_KMS_ENCRYPT, nw_cur_str(huge)), NW_ERR_BUF_FULL);
    free(huge);
    nw_kms_result_clear(&r);
}

static void expect_sm_body(enum nw_sm_op op, const struct nw_sm_request *q, const char *want)
{
    struct nw_buf b;
    nw_buf_init(&b, 1 << 20, true);
    assert_int_equal(nw_sm_build_request(&b, NULL, op, q), NW_OK);
    assert_int_equal(nw_buf_cstr(&b), NW_OK);
    assert_string_equal((char *)b.ptr, want);
    nw_buf_clear(&b);
}

static void test_sm_bodies(void **state)
{
    (void)state;
    const char *tok = "0123456789abcdef0123456789abcdef";
    struct nw_sm_request c = {.name = "wallet/key1",
                              .description = "d",
                              .secret_string = nw_cur_str("AQID"),
                              .client_request_token = tok};
    expect_sm_body(NW_SM_CREATE_SECRET, &c,
                   "{\"Name\":\"wallet/key1\",\"ClientRequestToken\":"
                   "\"0123456789abcdef0123456789abcdef\",\"Description\":\"d\",\"SecretString\":"
                   "\"AQID\"}");
    struct nw_sm_request g = {.secret_id = "wallet/key1", .version_stage = "AWSCURRENT"};
    expect_sm_body(NW_SM_GET_SECRET_VALUE, &g,
                   "{\"SecretId\":\"wallet/key1\",\"VersionStage\":\"AWSCURRENT\"}");
    struct nw_sm_request p = {
        .secret_id = "s", .secret_binary = nw_cur_str("\x01\x02\x03"), .client_request_token = tok};
    expect_sm_body(
        NW_SM_PUT_SECRET_VALUE, &p,
        "{\"SecretId\":\"s\",\"ClientRequestToken\":\"0123456789abcdef0123456789abcdef\","
        "\"SecretBinary\":\"AQID\"}");
    struct nw_sm_request u = {.secret_id = "s",
                              .kms_key_id = "alias/k",
                              .secret_string = nw_cur_str("v"),
                              .client_request_token = tok};
    expect_sm_body(
        NW_SM_UPDATE_SECRET, &u,
        "{\"SecretId\":\"s\",\"ClientRequestToken\":\"0123456789abcdef0123456789abcdef\","
        "\"KmsKeyId\":\"alias/k\",\"SecretString\":\"v\"}");
    struct nw_sm_request d = {.secret_id = "s"};
    expect_sm_body(NW_SM_DESCRIBE_SECRET, &d, "{\"SecretId\":\"s\"}");

    /* A generated token is a UUID v4 and is reported. */
    struct nw_buf b;
    nw_buf_init(&b, 1 << 20, true);
    char token[37];
    struct nw_sm_request p2 = {.secret_id = "s", .secret_string = nw_cur_str("v")};
    assert_int_equal(nw_sm_build_request(&b, token, NW_SM_PUT_SECRET_VALUE, &p2), NW_OK);
    assert_int_equal(strlen(token), 36);
    assert_int_equal(token[14], '4');
    assert_int_equal(nw_buf_cstr(&b), NW_OK);
    assert_non_null(strstr((char *)b.ptr, token));
    /* Rejections. */
    struct nw_sm_request bad[] = {
        {.secret_id = "s"},                             /* Create needs Name */
        {.name = "n", .secret_id = "s"},                /* Create takes no SecretId */
        {.name = "n", .client_request_token = "short"}, /* token length */
        {.name = "n", .secret_string = nw_cur_str("a"), .secret_binary = nw_cur_str("b")},
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(bad); i++)
        assert_int_equal(nw_sm_build_request(&b, NULL, NW_SM_CREATE_SECRET, &bad[i]),
                         NW_ERR_INVALID_ARG);
    struct nw_sm_request nov = {.secret_id = "s"};
    assert_int_equal(nw_sm_build_request(&b, NULL, NW_SM_PUT_SECRET_VALUE, &nov),
                     NW_ERR_INVALID_ARG);
    struct nw_sm_request gv = {.secret_id = "s", .secret_string = nw_cur_str("x")};
    assert_int_equal(nw_sm_build_request(&b, NULL, NW_SM_GET_SECRET_VALUE, &gv),
                     NW_ERR_INVALID_ARG);
    nw_buf_clear(&b);
}

static void test_sm_parse(void **state)
{
    (void)state;
    struct nw_sm_result r;
    nw_sm_result_init(&r);
    /* The botocore example for GetSecretValue. */
    const char *get =
        "{\"ARN\":\"arn:aws:secretsmanager:us-west-2:123456789012:secret:"
        "MyTestDatabaseSecret-a1b2c3\",\"CreatedDate\":1523477145.713,"
        "\"Name\":\"MyTestDatabaseSecret\",\"SecretString\":\"{\\n  \\\"username\\\":"
        "\\\"david\\\"\\n}\\n\",\"VersionId\":\"EXAMPLE1-90ab-cdef-fedc-ba987SECRET1\","
        "\"VersionStages\":[\"AWSPREVIOUS\"]}";
    assert_int_equal(nw_sm_parse_response(&r, NW_SM_GET_SECRET_VALUE, nw_cur_str(get)), NW_OK);
    assert_true(r.has_string);
    assert_false(r.has_binary);
    assert_int_equal(r.created_date, 1523477145);
    assert_string_equal(r.name, "MyTestDatabaseSecret");
    assert_string_equal(r.version_id, "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1");
    assert_int_equal(r.secret_string.len, strlen("{\n  \"username\":\"david\"\n}\n"));
    const char *bin = "{\"ARN\":\"arn:x\",\"SecretBinary\":\"AQID\"}";
    assert_int_equal(nw_sm_parse_response(&r, NW_SM_GET_SECRET_VALUE, nw_cur_str(bin)), NW_OK);
    assert_true(r.has_binary);
    assert_int_equal(r.secret_binary.len, 3);
    const char *desc = "{\"ARN\":\"arn:x\",\"Name\":\"n\",\"Description\":\"d\",\"KmsKeyId\":"
                       "\"alias/k\",\"LastChangedDate\":1523477145.713,\"CreatedDate\":1}";
    assert_int_equal(nw_sm_parse_response(&r, NW_SM_DESCRIBE_SECRET, nw_cur_str(desc)), NW_OK);
    assert_string_equal(r.kms_key_id, "alias/k");
    assert_int_equal(r.last_changed_date, 1523477145);
    const char *put = "{\"ARN\":\"arn:x\",\"Name\":\"n\",\"VersionId\":\"v1\"}";
    assert_int_equal(nw_sm_parse_response(&r, NW_SM_PUT_SECRET_VALUE, nw_cur_str(put)), NW_OK);
    assert_string_equal(r.version_id, "v1");
    const char *bad[] = {
        "{}",
        "{\"ARN\":\"arn:x\"}", /* Get with no value */
        "{\"ARN\":\"arn:x\",\"SecretString\":\"a\",\"SecretBinary\":\"AQID\"}",
        "{\"ARN\":\"arn:x\",\"SecretString\":1}",
        "{\"ARN\":\"arn:x\",\"SecretString\":\"a\",\"CreatedDate\":\"yesterday\"}",
        "{\"ARN\":\"arn:x\",\"SecretString\":\"a\",\"CreatedDate\":-1}",
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(bad); i++)
        assert_int_equal(nw_sm_parse_response(&r, NW_SM_GET_SECRET_VALUE, nw_cur_str(bad[i])),
                         NW_ERR_AWS_RESPONSE);
    nw_sm_result_clear(&r);
}

static void test_error_parse(void **state)
{
    (void)state;
    struct nw_aws_error e;
    nw_aws_error_reset(&e);
    const char *b1 = "{\"__type\":\"com.amazonaws.kms#NotFoundException\",\"message\":\"Key "
                     "'arn:k' does not exist\"}";
    assert_int_equal(nw_aws_parse_error(&e, 400, nw_cur_str(b1), NULL), NW_ERR_AWS_NOT_FOUND);
    assert_string_equal(e.name, "NotFoundException");
    assert_string_equal(e.message, "Key 'arn:k' does not exist");
    assert_int_equal(e.http_status, 400);
    const char *b2 = "{\"__type\":\"AccessDeniedException\",\"Message\":\"User: arn:aws:sts::1:"
                     "assumed-role/r is not authorized to perform: kms:Decrypt\"}";
    assert_int_equal(nw_aws_parse_error(&e, 400, nw_cur_str(b2), NULL), NW_ERR_AWS_ACCESS_DENIED);
    assert_string_equal(e.name, "AccessDeniedException");
    assert_non_null(strstr(e.message, "not authorized"));
    const char *b3 = "{\"__type\":\"InvalidSignatureException:http://internal.amazon.com/coral/"
                     "com.amazon.coral.service/\"}";
    assert_int_equal(nw_aws_parse_error(&e, 400, nw_cur_str(b3), NULL), NW_ERR_AWS_SIGNATURE);
    assert_string_equal(e.name, "InvalidSignatureException");
    assert_string_equal(e.message, "");
    /* Name from the header when the body has none; unknown names by status. */
    assert_int_equal(nw_aws_parse_error(&e, 400, nw_cur_str(""), "ThrottlingException:http://x"),
                     NW_ERR_AWS_THROTTLED);
    assert_string_equal(e.name, "ThrottlingException");
    assert_int_equal(nw_aws_parse_error(&e, 503, nw_cur_str("<html>"), NULL),
                     NW_ERR_AWS_UNAVAILABLE);
    assert_int_equal(nw_aws_parse_error(&e, 429, nw_cur_str("{}"), NULL), NW_ERR_AWS_THROTTLED);
    assert_int_equal(nw_aws_parse_error(&e, 418, nw_cur_str("{\"__type\":\"Teapot\"}"), NULL),
                     NW_ERR_AWS_OTHER);
    assert_string_equal(e.name, "Teapot");
    /* Control characters in a message are neutralised. */
    assert_int_equal(nw_aws_parse_error(
                         &e, 400, nw_cur_str("{\"__type\":\"X\",\"message\":\"a\\nb\\tc\"}"), NULL),
                     NW_ERR_AWS_OTHER);
    assert_string_equal(e.message, "a?b?c");

    /* Every mapped code, one name each (negative tests for the 21x-22x codes). */
    struct {
        const char *name;
        nw_err code;
    } map[] = {
        {"AccessDeniedException", NW_ERR_AWS_ACCESS_DENIED},
        {"IncompleteSignature", NW_ERR_AWS_SIGNATURE},
        {"ExpiredTokenException", NW_ERR_AWS_EXPIRED_TOKEN},
        {"RequestExpired", NW_ERR_AWS_CLOCK_SKEW},
        {"UnrecognizedClientException", NW_ERR_AWS_UNRECOGNIZED},
        {"ResourceNotFoundException", NW_ERR_AWS_NOT_FOUND},
        {"DisabledException", NW_ERR_AWS_DISABLED},
        {"InvalidCiphertextException", NW_ERR_AWS_INVALID_CIPHERTEXT},
        {"IncorrectKeyException", NW_ERR_AWS_INCORRECT_KEY},
        {"KMSInvalidStateException", NW_ERR_AWS_INVALID_STATE},
        {"ValidationException", NW_ERR_AWS_VALIDATION},
        {"ThrottlingException", NW_ERR_AWS_THROTTLED},
        {"KMSInternalException", NW_ERR_AWS_UNAVAILABLE},
        {"ResourceExistsException", NW_ERR_AWS_EXISTS},
        {"LimitExceededException", NW_ERR_AWS_LIMIT},
        {"InvalidKeyUsageException", NW_ERR_AWS_KEY_USAGE},
        {"SomethingNew", NW_ERR_AWS_OTHER},
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(map); i++)
        assert_int_equal(nw_aws_error_code(map[i].name, 400), map[i].code);
    char name[32];
    nw_aws_error_name(name, sizeof(name), nw_cur_str("a.b#C:d"));
    assert_string_equal(name, "C");
    nw_aws_error_name(name, 4, nw_cur_str("LongName"));
    assert_string_equal(name, "Lon");
}

static void test_b64(void **state)
{
    (void)state;
    struct nw_buf b;
    nw_buf_init(&b, 1024, false);
    const char *vec[][2] = {{"", ""},
                            {"f", "Zg=="},
                            {"fo", "Zm8="},
                            {"foo", "Zm9v"},
                            {"foob", "Zm9vYg=="},
                            {"fooba", "Zm9vYmE="},
                            {"foobar", "Zm9vYmFy"}}; /* RFC 4648 section 10 */
    for (size_t i = 0; i < NW_ARRAY_LEN(vec); i++) {
        b.len = 0;
        assert_int_equal(nw_base64_encode(&b, nw_cur_str(vec[i][0])), NW_OK);
        assert_int_equal(b.len, strlen(vec[i][1]));
        assert_memory_equal(b.ptr ? (char *)b.ptr : "", vec[i][1], b.len);
        b.len = 0;
        assert_int_equal(nw_base64_decode(&b, nw_cur_str(vec[i][1]), false), NW_OK);
        assert_int_equal(b.len, strlen(vec[i][0]));
        assert_memory_equal(b.ptr ? (char *)b.ptr : "", vec[i][0], b.len);
    }
    const char *bad[] = {"Zg", "Zg=", "Z===", "Zm9v!A==", "Zm 9v", "=Zm9"};
    for (size_t i = 0; i < NW_ARRAY_LEN(bad); i++)
        assert_int_equal(nw_base64_decode(&b, nw_cur_str(bad[i]), false), NW_ERR_BASE64);
    nw_buf_clear(&b);
}

static void test_creds(void **state)
{
    (void)state;
    struct nw_aws_creds c;
    assert_int_equal(nw_aws_creds_set(&c, "AKID", "SECRET", "TOK", 100), NW_OK);
    assert_true(nw_aws_creds_valid(&c, 50, 10));
    assert_false(nw_aws_creds_valid(&c, 95, 10));
    nw_aws_creds_clear(&c);
    for (size_t i = 0; i < sizeof(c); i++)
        assert_int_equal(((uint8_t *)&c)[i], 0);
    assert_int_equal(nw_aws_creds_set(&c, "", "S", NULL, 0), NW_ERR_AWS_CREDS_INVALID);
    assert_int_equal(nw_aws_creds_set(&c, "A/B", "S", NULL, 0), NW_ERR_AWS_CREDS_INVALID);
    assert_int_equal(nw_aws_creds_set(&c, "A", "S S", NULL, 0), NW_ERR_AWS_CREDS_INVALID);
    assert_int_equal(nw_aws_creds_set(&c, "A", "S", "T\n", 0), NW_ERR_AWS_CREDS_INVALID);

    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
    assert_int_equal(nw_aws_creds_from_env(&c), NW_ERR_AWS_CREDS_MISSING);
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    assert_int_equal(nw_aws_creds_from_env(&c), NW_OK);
    assert_string_equal(c.session_token, "envtoken");
    struct nw_aws_creds_provider *p;
    assert_int_equal(nw_aws_creds_provider_env(&p), NW_OK);
    assert_int_equal(nw_aws_creds_provider_get(p, &c, 0, NULL), NW_OK);
    assert_string_equal(c.access_key_id, "AKIAENV");
    setenv("AWS_SECRET_ACCESS_KEY", "", 1);
    assert_int_equal(nw_aws_creds_provider_get(p, &c, 0, NULL), NW_ERR_AWS_CREDS_MISSING);
    nw_aws_creds_provider_free(p);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");

    /* Static provider: expiry is enforced. */
    assert_int_equal(nw_aws_creds_set(&c, "AKID", "SECRET", NULL, 1000), NW_OK);
    assert_int_equal(nw_aws_creds_provider_static(&p, &c), NW_OK);
    struct nw_aws_creds out;
    assert_int_equal(nw_aws_creds_provider_get(p, &out, 999, NULL), NW_OK);
    struct nw_aws_error e;
    assert_int_equal(nw_aws_creds_provider_get(p, &out, 1000, &e), NW_ERR_AWS_CREDS_EXPIRED);
    assert_int_equal(e.code, NW_ERR_AWS_CREDS_EXPIRED);
    assert_int_equal(out.secret_access_key[0], 0);
    nw_aws_creds_provider_free(p);
    nw_aws_creds_clear(&c);
}

static void test_imds_parse(void **state)
{
    (void)state;
    struct nw_aws_creds c;
    const char *ok = "{\"Code\":\"Success\",\"LastUpdated\":\"2019-03-23T01:39:31Z\",\"Type\":"
                     "\"AWS-HMAC\",\"AccessKeyId\":\"ASIAEXAMPLE\",\"SecretAccessKey\":\"sk\","
                     "\"Token\":\"tok\",\"Expiration\":\"2019-03-23T08:13:35Z\"}";
    assert_int_equal(nw_imds_parse_credentials(&c, nw_cur_str(ok)), NW_OK);
    assert_string_equal(c.access_key_id, "ASIAEXAMPLE");
    assert_int_equal(c.expiration_s, 1553328815);
    const char *bad[] = {
        "{\"Code\":\"Failure\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
        "\"Expiration\":\"2019-03-23T08:13:35Z\"}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Token\":\"t\"}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Token\":\"t\",\"Expiration\":\"soon\"}",
        "{\"AccessKeyId\":1,\"SecretAccessKey\":\"s\",\"Token\":\"t\",\"Expiration\":"
        "\"2019-03-23T08:13:35Z\"}",
        "nope",
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(bad); i++) {
        assert_int_equal(nw_imds_parse_credentials(&c, nw_cur_str(bad[i])), NW_ERR_AWS_RESPONSE);
        assert_int_equal(c.secret_access_key[0], 0);
    }
    const char *badkey = "{\"AccessKeyId\":\"A B\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
                         "\"Expiration\":\"2019-03-23T08:13:35Z\"}";
    assert_int_equal(nw_imds_parse_credentials(&c, nw_cur_str(badkey)), NW_ERR_AWS_CREDS_INVALID);
}

/* Allocation failure (STYLE 3.7): fail the Nth allocation for N = 0, 1, ... until the operation
 * passes; every failing run must report NW_ERR_NOMEM (ASan checks for leaks). */
static int op_sign(int which)
{
    struct nw_aws_creds c;
    struct nw_sigv4_result r;
    struct nw_sigv4_header h[] = {{nw_cur_str("Host"), nw_cur_str("kms.us-east-1.amazonaws.com")},
                                  {nw_cur_str("X-Amz-Target"), nw_cur_str("TrentService.Encrypt")}};
    struct nw_sigv4_request q = {.method = "POST",
                                 .path = nw_cur_str("/a/../b"),
                                 .query = nw_cur_str("z=1&a=%41"),
                                 .headers = h,
                                 .n_headers = 2,
                                 .body = nw_cur_str("{}")};
    struct nw_sigv4_params p = {.region = "us-east-1",
                                .service = "kms",
                                .time_s = 1440938160,
                                .normalize_path = true,
                                .sign_body = true,
                                .expires_s = 60};
    if (nw_aws_creds_set(&c, "AKID", "SECRET", "TOKEN", 0) != NW_OK)
        return -1;
    nw_err err = which == 0 ? nw_sigv4_sign(&r, &c, &q, &p) : nw_sigv4_presign(&r, &c, &q, &p);
    if (err == NW_OK)
        nw_sigv4_result_clear(&r);
    return (int)err;
}

static int op_kms(int which)
{
    struct nw_kms_kv ctx[] = {{"a", "b"}};
    struct nw_kms_request q = {
        .key_id = "k", .context = ctx, .n_context = 1, .recipient_attestation = nw_cur_str("doc")};
    struct nw_buf b;
    nw_buf_init(&b, 1 << 20, true);
    nw_err err;
    if (which == 0) {
        err = nw_kms_build_request(&b, NW_KMS_GENERATE_DATA_KEY, &q);
    } else {
        struct nw_kms_result r;
        nw_kms_result_init(&r);
        err = nw_kms_parse_response(&r, NW_KMS_GENERATE_DATA_KEY,
                                    nw_cur_str("{\"CiphertextBlob\":\"AQID\",\"Plaintext\":"
                                               "\"AAECAwQFBgcICQoLDA0ODw==\",\"KeyId\":\"k\"}"));
        nw_kms_result_clear(&r);
    }
    nw_buf_clear(&b);
    return (int)err;
}

static int op_sm(int which)
{
    struct nw_sm_request q = {.secret_id = "s", .secret_string = nw_cur_str("value")};
    struct nw_buf b;
    nw_buf_init(&b, 1 << 20, true);
    nw_err err;
    if (which == 0) {
        err = nw_sm_build_request(&b, NULL, NW_SM_PUT_SECRET_VALUE, &q);
    } else {
        struct nw_sm_result r;
        nw_sm_result_init(&r);
        err = nw_sm_parse_response(&r, NW_SM_GET_SECRET_VALUE,
                                   nw_cur_str("{\"ARN\":\"a\",\"SecretBinary\":\"AQID\"}"));
        nw_sm_result_clear(&r);
    }
    nw_buf_clear(&b);
    return (int)err;
}

static void test_alloc_failures(void **state)
{
    (void)state;
    int (*ops[])(int) = {op_sign, op_kms, op_sm};
    for (size_t o = 0; o < NW_ARRAY_LEN(ops); o++) {
        for (int which = 0; which < 2; which++) {
            int runs = 0;
            for (long n = 0;; n++, runs++) {
                (void)nw_mem_fail_after(n);
                int err = ops[o](which);
                (void)nw_mem_fail_after(-1);
                if (err == NW_OK)
                    break;
                assert_int_equal(err, NW_ERR_NOMEM);
                assert_true(n < 1000);
            }
            assert_true(runs > 0); /* the operation allocates, so the loop really ran */
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kms_bodies),     cmocka_unit_test(test_kms_parse),
        cmocka_unit_test(test_sm_bodies),      cmocka_unit_test(test_sm_parse),
        cmocka_unit_test(test_error_parse),    cmocka_unit_test(test_b64),
        cmocka_unit_test(test_creds),          cmocka_unit_test(test_imds_parse),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

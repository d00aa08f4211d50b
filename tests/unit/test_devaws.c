/*
 * nw-devaws internals: the ciphertext blob format (blob.c) and IAM policy evaluation
 * (policy.c), including every NW_ERR_DEVAWS_* code.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nw/mem.h>

#include "devaws/devaws_int.h"
#include "nwtest.h"

static const uint8_t key_a[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const char key_id[] = "0f9e8d7c-6b5a-4948-8776-655443322110";

static json_t *ctx_of(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    return v;
}

static void seal(struct nw_buf *blob, const char *ctx_text, const char *pt)
{
    json_t *ctx = ctx_text ? ctx_of(ctx_text) : NULL;
    assert_int_equal(nw_dv_blob_seal(blob, key_a, key_id, ctx, nw_cur_str(pt)), NW_OK);
    json_decref(ctx);
}

static nw_err
open_with(struct nw_buf *out, const uint8_t key[32], const char *ctx_text, struct nw_cur blob)
{
    json_t *ctx = ctx_text ? ctx_of(ctx_text) : NULL;
    nw_err err = nw_dv_blob_open(out, key, ctx, blob);
    json_decref(ctx);
    return err;
}

static void test_blob_round_trip(void **state)
{
    (void)state;
    struct nw_buf blob, pt;
    char id[NW_DV_KEY_ID_LEN + 1];
    nw_buf_init(&blob, 8192, false);
    nw_buf_init(&pt, 8192, true);
    seal(&blob, "{\"b\":\"2\",\"a\":\"1\"}", "secret plaintext");
    assert_int_equal(blob.len, NW_DV_BLOB_MIN + strlen("secret plaintext"));
    assert_memory_equal(blob.ptr, NW_DV_BLOB_MAGIC, 4);
    assert_int_equal(nw_dv_blob_key_id(id, nw_buf_cur(&blob)), NW_OK);
    assert_string_equal(id, key_id);
    /* Context order does not matter (canonical: sorted keys). */
    assert_int_equal(open_with(&pt, key_a, "{\"a\":\"1\",\"b\":\"2\"}", nw_buf_cur(&blob)), NW_OK);
    assert_int_equal(pt.len, strlen("secret plaintext"));
    assert_memory_equal(pt.ptr, "secret plaintext", pt.len);
    /* Empty plaintext and no context. */
    nw_buf_clear(&blob);
    nw_buf_clear(&pt);
    seal(&blob, NULL, "");
    assert_int_equal(open_with(&pt, key_a, "{}", nw_buf_cur(&blob)), NW_OK);
    assert_int_equal(pt.len, 0);
    nw_buf_clear(&blob);
    nw_buf_clear(&pt);
}

static void test_blob_auth(void **state)
{
    (void)state;
    struct nw_buf blob, pt;
    uint8_t key_b[32];
    memcpy(key_b, key_a, 32);
    key_b[31] ^= 1;
    nw_buf_init(&blob, 8192, false);
    nw_buf_init(&pt, 8192, true);
    seal(&blob, "{\"nw:address\":\"0x01\"}", "k");
    assert_int_equal(open_with(&pt, key_a, "{\"nw:address\":\"0x02\"}", nw_buf_cur(&blob)),
                     NW_ERR_DEVAWS_BLOB_AUTH);
    assert_int_equal(open_with(&pt, key_a, NULL, nw_buf_cur(&blob)), NW_ERR_DEVAWS_BLOB_AUTH);
    assert_int_equal(open_with(&pt, key_b, "{\"nw:address\":\"0x01\"}", nw_buf_cur(&blob)),
                     NW_ERR_DEVAWS_BLOB_AUTH);
    /* Ambiguity: {"ab":"c"} and {"a":"bc"} must not share a canonical form. */
    nw_buf_clear(&blob);
    seal(&blob, "{\"ab\":\"c\"}", "k");
    assert_int_equal(open_with(&pt, key_a, "{\"a\":\"bc\"}", nw_buf_cur(&blob)),
                     NW_ERR_DEVAWS_BLOB_AUTH);
    /* Every single-bit flip after the header fails; in the key id it fails too (AAD). */
    for (size_t i = 6; i < blob.len; i++) {
        blob.ptr[i] ^= 0x01;
        nw_err err = open_with(&pt, key_a, "{\"ab\":\"c\"}", nw_buf_cur(&blob));
        assert_true(err == NW_ERR_DEVAWS_BLOB_AUTH || err == NW_ERR_DEVAWS_BLOB_FORMAT);
        blob.ptr[i] ^= 0x01;
    }
    assert_int_equal(pt.len, 0);
    nw_buf_clear(&blob);
    nw_buf_clear(&pt);
}

static void test_blob_format(void **state)
{
    (void)state;
    struct nw_buf blob, pt;
    char id[NW_DV_KEY_ID_LEN + 1];
    nw_buf_init(&blob, 8192, false);
    nw_buf_init(&pt, 8192, true);
    seal(&blob, NULL, "x");
    struct nw_cur c = nw_buf_cur(&blob);
    assert_int_equal(nw_dv_blob_key_id(id, nw_cur_of(c.ptr, NW_DV_BLOB_MIN - 1)),
                     NW_ERR_DEVAWS_BLOB_FORMAT);
    assert_int_equal(id[0], '\0');
    assert_int_equal(nw_dv_blob_key_id(id, nw_cur_of("junk", 4)), NW_ERR_DEVAWS_BLOB_FORMAT);
    blob.ptr[4] = 2; /* version */
    assert_int_equal(open_with(&pt, key_a, NULL, c), NW_ERR_DEVAWS_BLOB_FORMAT);
    blob.ptr[4] = NW_DV_BLOB_VERSION;
    blob.ptr[0] = 'X'; /* magic */
    assert_int_equal(nw_dv_blob_key_id(id, c), NW_ERR_DEVAWS_BLOB_FORMAT);
    blob.ptr[0] = (uint8_t)'N';
    blob.ptr[10] = 'Z'; /* key id not a UUID */
    assert_int_equal(nw_dv_blob_key_id(id, c), NW_ERR_DEVAWS_BLOB_FORMAT);
    /* A key id of the wrong length is refused at sealing. */
    assert_int_equal(nw_dv_blob_seal(&pt, key_a, "short", NULL, nw_cur_str("x")),
                     NW_ERR_INVALID_ARG);
    json_t *bad = ctx_of("{\"a\":1}");
    nw_buf_clear(&pt);
    assert_int_equal(nw_dv_blob_seal(&pt, key_a, key_id, bad, nw_cur_str("x")), NW_ERR_INVALID_ARG);
    json_decref(bad);
    nw_buf_clear(&blob);
    nw_buf_clear(&pt);
}

/* ---- policies ---- */

#define ROLE "arn:aws:iam::111122223333:role/lambda"
#define KEY  "arn:aws:kms:us-east-1:111122223333:key/0f9e8d7c-6b5a-4948-8776-655443322110"

static enum nw_dv_effect
eval(const char *policy, const char *action, const char *ctx_text, bool resource, bool *via_root)
{
    json_t *p = json_loads(policy, 0, NULL);
    json_t *ec = ctx_text ? ctx_of(ctx_text) : NULL;
    assert_non_null(p);
    struct nw_dv_policy_ctx ctx = {action, KEY, ROLE, "111122223333", ec, NULL, NULL};
    enum nw_dv_effect e;
    bool vr = false;
    assert_int_equal(nw_dv_policy_eval(&e, &vr, p, &ctx, resource), NW_OK);
    if (via_root)
        *via_root = vr;
    json_decref(p);
    json_decref(ec);
    return e;
}

static void test_policy_effects(void **state)
{
    (void)state;
    bool vr;
    const char *allow_role = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ROLE
                             "\"},\"Action\":\"kms:Decrypt*\",\"Resource\":\"*\"}}";
    assert_int_equal(eval(allow_role, "kms:Decrypt", NULL, true, &vr), NW_DV_ALLOW);
    assert_false(vr);
    assert_int_equal(eval(allow_role, "KMS:decrypt", NULL, true, NULL), NW_DV_ALLOW);
    assert_int_equal(eval(allow_role, "kms:Encrypt", NULL, true, NULL), NW_DV_NONE);
    const char *root = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                       "[\"arn:aws:iam::111122223333:root\"]},\"Action\":\"kms:*\","
                       "\"Resource\":\"*\"}]}";
    assert_int_equal(eval(root, "kms:Encrypt", NULL, true, &vr), NW_DV_ALLOW);
    assert_true(vr);
    const char *other = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                        "\"arn:aws:iam::111122223333:role/other\"},\"Action\":\"*\","
                        "\"Resource\":\"*\"}}";
    assert_int_equal(eval(other, "kms:Encrypt", NULL, true, NULL), NW_DV_NONE);
    const char *deny =
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
        "\"kms:*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Principal\":"
        "{\"AWS\":\"*\"},\"NotAction\":[\"kms:Describe*\"],\"Resource\":\"" KEY "\"}]}";
    assert_int_equal(eval(deny, "kms:Encrypt", NULL, true, NULL), NW_DV_DENY);
    assert_int_equal(eval(deny, "kms:DescribeKey", NULL, true, NULL), NW_DV_ALLOW);
    const char *identity = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                           "\"Action\":\"kms:Encrypt\",\"Resource\":\"arn:aws:kms:*:*:key/*\"}}";
    assert_int_equal(eval(identity, "kms:Encrypt", NULL, false, NULL), NW_DV_ALLOW);
    const char *wrong_res = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"kms:Encrypt\","
                            "\"Resource\":\"arn:aws:kms:*:*:key/other\"}}";
    assert_int_equal(eval(wrong_res, "kms:Encrypt", NULL, false, NULL), NW_DV_NONE);
}

static void test_policy_conditions(void **state)
{
    (void)state;
    const char *eq = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
                     "\"Condition\":{\"StringEquals\":{\"kms:EncryptionContext:app\":"
                     "[\"wallet\",\"other\"]},\"StringEqualsIgnoreCase\":"
                     "{\"aws:PrincipalArn\":\"ARN:AWS:IAM::111122223333:ROLE/LAMBDA\"}}}}";
    assert_int_equal(eval(eq, "kms:Decrypt", "{\"app\":\"wallet\"}", false, NULL), NW_DV_ALLOW);
    assert_int_equal(eval(eq, "kms:Decrypt", "{\"app\":\"other\"}", false, NULL), NW_DV_ALLOW);
    assert_int_equal(eval(eq, "kms:Decrypt", "{\"app\":\"Wallet\"}", false, NULL), NW_DV_NONE);
    assert_int_equal(eval(eq, "kms:Decrypt", "{\"App\":\"wallet\"}", false, NULL), NW_DV_NONE);
    assert_int_equal(eval(eq, "kms:Decrypt", NULL, false, NULL), NW_DV_NONE);
    const char *neg = "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\","
                      "\"Condition\":{\"StringNotEquals\":{\"kms:EncryptionContext:app\":"
                      "\"wallet\"}}}}";
    assert_int_equal(eval(neg, "kms:Decrypt", NULL, false, NULL), NW_DV_DENY); /* absent key */
    assert_int_equal(eval(neg, "kms:Decrypt", "{\"app\":\"wallet\"}", false, NULL), NW_DV_NONE);
    const char *like = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
                       "\"Condition\":{\"StringLikeIfExists\":{\"kms:EncryptionContext:addr\":"
                       "\"0x??ab*\"},\"Null\":{\"kms:ViaService\":\"true\"}}}}";
    assert_int_equal(eval(like, "kms:Decrypt", "{\"addr\":\"0x12abcdef\"}", false, NULL),
                     NW_DV_ALLOW);
    assert_int_equal(eval(like, "kms:Decrypt", "{\"addr\":\"0x123abc\"}", false, NULL), NW_DV_NONE);
    assert_int_equal(eval(like, "kms:Decrypt", NULL, false, NULL), NW_DV_ALLOW); /* IfExists */
}

static void test_policy_attestation_hook(void **state)
{
    (void)state;
    struct nw_dv_attest_facts facts;
    char buf[128];
    memset(&facts, 0, sizeof(facts));
    struct nw_dv_policy_ctx ctx = {"kms:Decrypt", KEY, ROLE, "111122223333", NULL, NULL, &facts};
    assert_false(
        nw_dv_policy_cond_value(&ctx, "kms:RecipientAttestation:ImageSha384", buf, sizeof(buf)));
    facts.present = true;
    memset(facts.image_sha384, 'a', 96);
    memset(facts.pcr[4], 'b', 96);
    facts.pcr_set[4] = true;
    assert_true(
        nw_dv_policy_cond_value(&ctx, "kms:RecipientAttestation:ImageSha384", buf, sizeof(buf)));
    assert_int_equal(strlen(buf), 96);
    assert_true(nw_dv_policy_cond_value(&ctx, "kms:recipientattestation:PCR4", buf, sizeof(buf)));
    assert_int_equal(buf[0], 'b');
    assert_false(nw_dv_policy_cond_value(&ctx, "kms:RecipientAttestation:PCR5", buf, sizeof(buf)));
    assert_false(nw_dv_policy_cond_value(&ctx, "kms:RecipientAttestation:PCR99", buf, sizeof(buf)));
    assert_true(nw_dv_policy_cond_value(&ctx, "aws:PrincipalArn", buf, sizeof(buf)));
    assert_string_equal(buf, ROLE);
}

static void test_policy_syntax(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[]",
        "{}",
        "{\"Statement\":[]}",
        "{\"Version\":\"2020-01-01\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\"}}",
        "{\"Statement\":{\"Effect\":\"Maybe\",\"Action\":\"*\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"NotAction\":\"x\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":[]}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":[1]}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
        "\"NotResource\":\"*\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Condition\":"
        "{\"NumericEquals\":{\"a\":\"1\"}}}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Condition\":"
        "{\"StringEquals\":{\"a\":1}}}}",
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(bad); i++) {
        json_t *p = json_loads(bad[i], 0, NULL);
        assert_non_null(p);
        assert_int_equal(nw_dv_policy_validate(p), NW_ERR_DEVAWS_POLICY_SYNTAX);
        struct nw_dv_policy_ctx ctx = {"kms:Decrypt", KEY, ROLE, "111122223333", NULL, NULL, NULL};
        enum nw_dv_effect e = NW_DV_ALLOW;
        bool vr;
        assert_int_equal(nw_dv_policy_eval(&e, &vr, p, &ctx, false), NW_ERR_DEVAWS_POLICY_SYNTAX);
        assert_int_equal(e, NW_DV_NONE);
        json_decref(p);
    }
    /* A resource policy statement without Principal is malformed. */
    json_t *p = json_loads("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\"}}", 0, NULL);
    struct nw_dv_policy_ctx ctx = {"kms:Decrypt", KEY, ROLE, "111122223333", NULL, NULL, NULL};
    enum nw_dv_effect e;
    bool vr;
    assert_int_equal(nw_dv_policy_eval(&e, &vr, p, &ctx, true), NW_ERR_DEVAWS_POLICY_SYNTAX);
    json_decref(p);
}

/* Write text to DIR/name. */
static void put_file(const char *dir, const char *name, const char *text)
{
    char path[600];
    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Does DIR/name exist and hold exactly text? */
static bool file_is(const char *dir, const char *name, const char *text)
{
    char path[600], got[256];
    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    size_t n = fread(got, 1, sizeof(got) - 1, f);
    (void)fclose(f);
    got[n] = '\0';
    return strcmp(got, text) == 0;
}

/* A corrupt state file is set aside; a second corruption must not replace the first copy. */
static void test_state_corrupt_kept(void **state)
{
    (void)state;
    static struct nw_dv_config cfg;
    struct nw_dv_state st;
    char dir[] = "/tmp/nwt-devaws-XXXXXX";
    assert_non_null(mkdtemp(dir));
    memset(&cfg, 0, sizeof(cfg));
    (void)snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", dir);
    cfg.record_fd = -1;

    put_file(dir, "kms.json", "first corrupt copy");
    assert_int_equal(nw_dv_state_open(&st, &cfg), NW_OK);
    json_t *kms = nw_dv_state_get(&st, NW_DV_KMS);
    assert_non_null(kms);
    assert_int_equal(json_object_size(kms), 0);
    json_object_set_new(kms, "n", json_integer(1));
    nw_dv_state_touch(&st, NW_DV_KMS);
    assert_int_equal(nw_dv_state_commit(&st), NW_OK);
    nw_dv_state_close(&st);
    assert_true(file_is(dir, "kms.json.corrupt", "first corrupt copy"));

    put_file(dir, "kms.json", "second corrupt copy");
    assert_int_equal(nw_dv_state_open(&st, &cfg), NW_OK);
    assert_non_null(nw_dv_state_get(&st, NW_DV_KMS));
    nw_dv_state_close(&st);
    assert_true(file_is(dir, "kms.json.corrupt", "first corrupt copy"));
    assert_true(file_is(dir, "kms.json.corrupt.1", "second corrupt copy"));

    const char *names[] = {"kms.json.corrupt", "kms.json.corrupt.1", "kms.json", "lock"};
    for (size_t i = 0; i < 4; i++) {
        char path[600];
        (void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        (void)unlink(path);
    }
    assert_int_equal(rmdir(dir), 0);
}

/* A symlink planted at the temp name never receives the secret (O_EXCL|O_NOFOLLOW). */
static void test_state_write_symlink(void **state)
{
    (void)state;
    char dir[] = "/tmp/nwdvsymXXXXXX", tmp[600], victim[600], real[600], buf[64] = {0};
    assert_non_null(mkdtemp(dir));
    (void)snprintf(victim, sizeof(victim), "%s/victim", dir);
    (void)snprintf(tmp, sizeof(tmp), "%s/secrets.json.tmp.%ld", dir, (long)getpid());
    (void)snprintf(real, sizeof(real), "%s/secrets.json", dir);
    int fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(symlink(victim, tmp), 0);
    static const char secret[] = "CANARY-secret-value";
    assert_int_equal(nw_dv_write_file(dir, "secrets.json", secret, sizeof(secret) - 1, 0600),
                     NW_OK);
    struct stat sb;
    assert_int_equal(stat(victim, &sb), 0);
    assert_int_equal(sb.st_size, 0); /* the symlink's target got nothing */
    fd = open(real, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof(buf) - 1), (ssize_t)(sizeof(secret) - 1));
    close(fd);
    assert_string_equal(buf, secret);
    assert_int_equal(lstat(real, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(unlink(real), 0);
    assert_int_equal(unlink(victim), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void test_state_dir_and_lock(void **state)
{
    (void)state;
    char dir[] = "/tmp/nwdvpermXXXXXX", why[640];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(nw_dv_state_dir_check(dir, why, sizeof(why)), NW_OK);
    assert_int_equal(chmod(dir, 0770), 0);
    assert_int_equal(nw_dv_state_dir_check(dir, why, sizeof(why)), NW_ERR_DEVAWS_STATE_PERMS);
    assert_non_null(strstr(why, "chmod go-w"));
    assert_int_equal(chmod(dir, 0702), 0);
    assert_int_equal(nw_dv_state_dir_check(dir, why, sizeof(why)), NW_ERR_DEVAWS_STATE_PERMS);
    assert_int_equal(chmod(dir, 0755), 0); /* readable is fine, writable is not */
    assert_int_equal(nw_dv_state_dir_check(dir, why, sizeof(why)), NW_OK);
    assert_int_equal(nw_dv_state_dir_check("/nonexistent/nw", why, sizeof(why)), NW_ERR_IO);
    /* One server per directory: a second lock (another open file description) is refused. */
    int a, b;
    assert_int_equal(nw_dv_instance_lock(dir, &a), NW_OK);
    assert_int_equal(nw_dv_instance_lock(dir, &b), NW_ERR_DEVAWS_LOCKED);
    assert_int_equal(b, -1);
    close(a);
    assert_int_equal(nw_dv_instance_lock(dir, &b), NW_OK);
    close(b);
    /* Ports of the previous run. */
    assert_int_equal(nw_dv_previous_port(dir, "api_port"), 0);
    static const char ports[] = "{\"api_port\": 40001, \"imds_port\": 70000}";
    assert_int_equal(nw_dv_write_file(dir, "ports.json", ports, sizeof(ports) - 1, 0644), NW_OK);
    assert_int_equal(nw_dv_previous_port(dir, "api_port"), 40001);
    assert_int_equal(nw_dv_previous_port(dir, "imds_port"), 0);
    char p[700];
    (void)snprintf(p, sizeof(p), "%s/ports.json", dir);
    assert_int_equal(unlink(p), 0);
    (void)snprintf(p, sizeof(p), "%s/server.lock", dir);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blob_round_trip),     cmocka_unit_test(test_blob_auth),
        cmocka_unit_test(test_blob_format),         cmocka_unit_test(test_policy_effects),
        cmocka_unit_test(test_policy_conditions),   cmocka_unit_test(test_policy_attestation_hook),
        cmocka_unit_test(test_policy_syntax),       cmocka_unit_test(test_state_corrupt_kept),
        cmocka_unit_test(test_state_write_symlink), cmocka_unit_test(test_state_dir_and_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The KMS Recipient flow end to end over the real binaries' protocols: nw-devaws runs on
 * loopback with its NSM simulator on a unix socket (PCR0 measured from a file standing in for
 * the nw-enclave binary); the "enclave" here is libnwattest + libnwaws: a recipient key, an
 * attestation document from the simulator, KMS Decrypt / GenerateDataKey / GenerateRandom with
 * Recipient through the emulator (TLS, SigV4, key policy pinned to PCR0), and decryption of
 * CiphertextForRecipient. Then the policy is pinned to another PCR0 (denied), and the emulator
 * restarts with a rebuilt "binary" (denied under the old policy; the state directory, keys and
 * the NSM root, survive the restart).
 *
 * usage: attest_kms_it PATH/TO/nw-devaws
 */
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nw/attest.h>
#include <nw/aws.h>
#include <nw/cms.h>
#include <nw/hex.h>
#include <nw/kms.h>
#include <nw/nsm.h>
#include <nw/nsm_sim.h>

#include "nwtest.h"

extern char **environ;

static const char *DEVAWS;
static char dir[128], binary[200];
static pid_t pid;
static char nsm_addr[300];

static void write_binary(const char *content)
{
    FILE *f = fopen(binary, "wb");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

/* Start nw-devaws on dir (kept across restarts) and load its env file into our environment. */
static void emu_start(void)
{
    char log[200], env[200], sock[200];
    snprintf(log, sizeof(log), "%s/server.log", dir);
    snprintf(env, sizeof(env), "%s/env", dir);
    snprintf(sock, sizeof(sock), "%s/nsm.sock", dir);
    unlink(env);
    const char *argv[] = {DEVAWS,          "--state", dir,           "--nsm-socket", sock,
                          "--nsm-measure", binary,    "--log-level", "warn",         NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    assert_int_equal(posix_spawn(&pid, DEVAWS, &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int i;
    for (i = 0; i < 400 && access(env, R_OK) != 0; i++) /* up to 20 s */
        usleep(50000);
    assert_true(i < 400);
    usleep(100000);
    FILE *f = fopen(env, "r");
    assert_non_null(f);
    char line[1024];
    while (fgets(line, sizeof(line), f) != NULL) {
        char *eq = strchr(line, '='), *q1 = eq ? strchr(eq, '\'') : NULL;
        char *q2 = q1 ? strrchr(q1 + 1, '\'') : NULL;
        if (strncmp(line, "export ", 7) != 0 || eq == NULL || q1 == NULL || q2 == NULL)
            continue;
        *eq = '\0';
        *q2 = '\0';
        setenv(line + 7, q1 + 1, 1);
    }
    fclose(f);
    unsetenv("AWS_SESSION_TOKEN");
    const char *n = getenv("NW_DEVAWS_NSM");
    assert_non_null(n);
    snprintf(nsm_addr, sizeof(nsm_addr), "%s", n);
}

static void emu_stop(void)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    int st, i;
    for (i = 0; i < 200 && waitpid(pid, &st, WNOHANG) == 0; i++)
        usleep(50000);
    if (i == 200) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    pid = 0;
}

static struct nw_aws_client *kms_client(struct nw_aws_creds_provider **p)
{
    assert_int_equal(nw_aws_creds_provider_env(p), NW_OK);
    struct nw_aws_config cfg = {.creds = *p, .max_attempts = 1};
    struct nw_aws_client *c = NULL;
    struct nw_diag d = {0};
    assert_int_equal(nw_aws_client_new(&c, NW_AWS_KMS, &cfg, &d), NW_OK);
    return c;
}

static void call_ok(struct nw_aws_client *c, const char *op, json_t *body, struct nw_buf *out)
{
    char *text = json_dumps(body, JSON_COMPACT);
    struct nw_aws_error e;
    out->len = 0;
    nw_err err = nw_aws_json_call(c, out, op, nw_cur_str(text), false, &e);
    if (err != NW_OK)
        fprintf(stderr, "%s: %s %s %s\n", op, nw_err_name(err), e.name, e.message);
    assert_int_equal(err, NW_OK);
    free(text);
    json_decref(body);
}

/* Decrypt and GenerateDataKey only with PCR0 == pcr0_hex; everything else unconditionally. */
static void put_policy(struct nw_aws_client *c, const char *key, const char *pcr0_hex)
{
    char root[64];
    snprintf(root, sizeof(root), "arn:aws:iam::%s:root", getenv("NW_DEVAWS_ACCOUNT"));
    json_t *pol = json_pack(
        "{s:s, s:[{s:s, s:{s:s}, s:[s,s], s:s}, {s:s, s:{s:s}, s:[s,s], s:s, s:{s:{s:s}}}]}",
        "Version", "2012-10-17", "Statement", "Effect", "Allow", "Principal", "AWS", root,
        "NotAction", "kms:Decrypt", "kms:GenerateDataKey", "Resource", "*", "Effect", "Allow",
        "Principal", "AWS", root, "Action", "kms:Decrypt", "kms:GenerateDataKey", "Resource", "*",
        "Condition", "StringEqualsIgnoreCase", "kms:RecipientAttestation:ImageSha384", pcr0_hex);
    char *ptext = json_dumps(pol, JSON_COMPACT);
    struct nw_buf out;
    nw_buf_init(&out, 1 << 16, false);
    call_ok(c, "PutKeyPolicy",
            json_pack("{s:s, s:s, s:s}", "KeyId", key, "PolicyName", "default", "Policy", ptext),
            &out);
    nw_buf_clear(&out);
    free(ptext);
    json_decref(pol);
}

/* An attestation document for r from the emulator's NSM simulator. */
static void attest(struct nw_recipient *r, struct nw_buf *doc)
{
    struct nw_nsm *nsm = NULL;
    assert_int_equal(nw_nsm_open(&nsm, nsm_addr), NW_OK);
    doc->len = 0;
    assert_int_equal(nw_recipient_attest(r, nsm, doc, nw_cur_of(NULL, 0), nw_cur_of(NULL, 0)),
                     NW_OK);
    nw_nsm_close(nsm);
}

static void pcr0_of(char hex[97])
{
    uint8_t p0[48], p1[48], p2[48];
    assert_int_equal(nw_nsm_measure_file(p0, p1, p2, binary), NW_OK);
    assert_int_equal(nw_hex_encode(hex, 97, p0, 48, false), NW_OK);
}

static void test_recipient_e2e(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/nw-attest-it-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(binary, sizeof(binary), "%s/nw-enclave", dir);
    write_binary("nw-enclave build 1");
    char pcr0[97];
    pcr0_of(pcr0);
    emu_start();

    struct nw_aws_creds_provider *p = NULL;
    struct nw_aws_client *c = kms_client(&p);
    struct nw_buf out, doc, pt;
    nw_buf_init(&out, 1 << 16, true);
    nw_buf_init(&doc, NW_NSM_RESPONSE_MAX, false);
    nw_buf_init(&pt, 4096, true);
    call_ok(c, "CreateKey", json_object(), &out);
    json_t *ck = json_loadb((const char *)out.ptr, out.len, 0, NULL);
    char key[64];
    snprintf(key, sizeof(key), "%s",
             json_string_value(json_object_get(json_object_get(ck, "KeyMetadata"), "KeyId")));
    json_decref(ck);
    put_policy(c, key, pcr0);

    /* Encrypt a wallet key (no Recipient needed). */
    static const uint8_t secret[32] = {0x4c, 0x0f, 0x83, 0x1d, 0x7e, 0x55, 0x21, 0x9a};
    struct nw_kms_result res, res2;
    nw_kms_result_init(&res);
    nw_kms_result_init(&res2);
    struct nw_aws_error e;
    struct nw_kms_request enc = {.key_id = key, .plaintext = nw_cur_of(secret, sizeof(secret))};
    assert_int_equal(nw_kms_encrypt(c, &res, &enc, &e), NW_OK);

    /* Decrypt with Recipient: only CiphertextForRecipient comes back, and only we open it. */
    struct nw_recipient *r = NULL;
    assert_int_equal(nw_recipient_new(&r, (int64_t)time(NULL)), NW_OK);
    attest(r, &doc);
    struct nw_kms_request dec = {.ciphertext_blob = nw_buf_cur(&res.ciphertext_blob),
                                 .recipient_attestation = nw_buf_cur(&doc)};
    nw_err err = nw_kms_decrypt(c, &res2, &dec, &e);
    if (err != NW_OK)
        fprintf(stderr, "Decrypt: %s %s %s\n", nw_err_name(err), e.name, e.message);
    assert_int_equal(err, NW_OK);
    assert_int_equal(res2.plaintext.len, 0);
    assert_true(res2.ciphertext_for_recipient.len > 0);
    struct nw_cms_info info;
    assert_int_equal(nw_cms_inspect(&info, nw_buf_cur(&res2.ciphertext_for_recipient)), NW_OK);
    assert_int_equal(info.ktri_version, 2);
    assert_int_equal(info.ski_len, 32);
    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_buf_cur(&res2.ciphertext_for_recipient)),
                     NW_OK);
    assert_int_equal(pt.len, sizeof(secret));
    assert_memory_equal(pt.ptr, secret, sizeof(secret));

    /* GenerateDataKey and GenerateRandom with Recipient. */
    struct nw_kms_request gdk = {.key_id = key, .recipient_attestation = nw_buf_cur(&doc)};
    assert_int_equal(nw_kms_generate_data_key(c, &res2, &gdk, &e), NW_OK);
    assert_int_equal(res2.plaintext.len, 0);
    pt.len = 0;
    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_buf_cur(&res2.ciphertext_for_recipient)),
                     NW_OK);
    assert_int_equal(pt.len, 32);
    struct nw_kms_request rnd = {.number_of_bytes = 64, .recipient_attestation = nw_buf_cur(&doc)};
    assert_int_equal(nw_kms_generate_random(c, &res2, &rnd, &e), NW_OK);
    pt.len = 0;
    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_buf_cur(&res2.ciphertext_for_recipient)),
                     NW_OK);
    assert_int_equal(pt.len, 64);

    /* Without Recipient the PCR0 condition cannot hold; a document that is not one fails. */
    struct nw_kms_request plain = {.ciphertext_blob = nw_buf_cur(&res.ciphertext_blob)};
    assert_int_equal(nw_kms_decrypt(c, &res2, &plain, &e), NW_ERR_AWS_ACCESS_DENIED);
    struct nw_kms_request junk = {.ciphertext_blob = nw_buf_cur(&res.ciphertext_blob),
                                  .recipient_attestation = nw_cur_str("not a document")};
    assert_int_equal(nw_kms_decrypt(c, &res2, &junk, &e), NW_ERR_AWS_VALIDATION);

    /* A policy pinned to another PCR0: AccessDeniedException. */
    char other[97];
    memcpy(other, pcr0, sizeof(other));
    other[5] = other[5] == 'a' ? 'b' : 'a';
    put_policy(c, key, other);
    assert_int_equal(nw_kms_decrypt(c, &res2, &dec, &e), NW_ERR_AWS_ACCESS_DENIED);
    assert_string_equal(e.name, "AccessDeniedException");
    put_policy(c, key, pcr0);
    assert_int_equal(nw_kms_decrypt(c, &res2, &dec, &e), NW_OK);
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);

    /* A rebuilt binary: same state, same root, new PCR0; the old policy denies it. */
    emu_stop();
    write_binary("nw-enclave build 2");
    emu_start();
    c = kms_client(&p);
    attest(r, &doc);
    dec.recipient_attestation = nw_buf_cur(&doc);
    assert_int_equal(nw_kms_decrypt(c, &res2, &dec, &e), NW_ERR_AWS_ACCESS_DENIED);
    char pcr0_new[97];
    pcr0_of(pcr0_new);
    put_policy(c, key, pcr0_new);
    assert_int_equal(nw_kms_decrypt(c, &res2, &dec, &e), NW_OK);
    pt.len = 0;
    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_buf_cur(&res2.ciphertext_for_recipient)),
                     NW_OK);
    assert_memory_equal(pt.ptr, secret, sizeof(secret));

    nw_recipient_free(r);
    nw_kms_result_clear(&res);
    nw_kms_result_clear(&res2);
    nw_buf_clear(&out);
    nw_buf_clear(&doc);
    nw_buf_clear(&pt);
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);
    emu_stop();
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: attest_kms_it PATH/TO/nw-devaws\n");
        return 2;
    }
    DEVAWS = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recipient_e2e),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop();
    return rc;
}

/*
 * libnwvault against nw-devaws (KMS with key policies pinned to PCR0) and its NSM simulator,
 * in both KMS modes: relay (frames to kms_relay_driver, which serves nw_kms_relay_handle) and
 * direct (SigV4 in the vault, TLS to kms.REGION.amazonaws.com through tcp: to the emulator).
 *
 * Cases: a seed-style hex-text ciphertext and a GenerateDataKey key; a wrong encryption
 * context and a policy pinned to another PCR0 (NW_ERR_KMS_DENIED); an unreachable and a
 * silent relay (NW_ERR_KMS_UNAVAILABLE / NW_ERR_DEADLINE_EXCEEDED within the deadline); cache
 * hits without KMS calls (the vault's stats and the emulator's own record of calls); TTL
 * expiry; the count bound; forget; Recipient rotation; key mismatch; a canary key never in a
 * diag message or the relay's log.
 *
 * usage: vault_it PATH/TO/nw-devaws PATH/TO/kms_relay_driver
 */
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nw/attest.h>
#include <nw/aws.h>
#include <nw/hex.h>
#include <nw/kms.h>
#include <nw/measure.h>
#include <nw/sign.h>
#include <nw/vault.h>
#include <nw/wire.h>

#include "nwtest.h"

extern char **environ;

/* A distinctive key: it must never appear in any diag message or log. */
#define CANARY_HEX "c0ffee5eed5ca1ab1e0ddba11c0ffee5eed5ca1ab1e0ddba11c0ffee5eed0001"
#define SEED_HEX   "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"

static const char *DEVAWS, *DRIVER;
static char dir[128], binary[200], record[200], relay_addr[300], devaws_addr[300], nsm_addr[300];
static char kms_key[64], pcr0[97];
static pid_t emu_pid, relay_pid;
static struct nw_aws_creds_provider *admin_p;
static struct nw_aws_client *admin;
static struct nw_aws_creds creds;
static struct nw_buf diags; /* every diag message seen, for the canary check */

/* ---- processes -------------------------------------------------------------------------- */

static pid_t spawn(const char *const argv[], const char *log)
{
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static void stop_pid(pid_t *pid)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGTERM);
    int st, i;
    for (i = 0; i < 200 && waitpid(*pid, &st, WNOHANG) == 0; i++)
        usleep(50000);
    if (i == 200) {
        kill(*pid, SIGKILL);
        waitpid(*pid, &st, 0);
    }
    *pid = 0;
}

static void wait_file(const char *path)
{
    int i;
    for (i = 0; i < 400 && access(path, F_OK) != 0; i++) /* up to 20 s */
        usleep(50000);
    assert_true(i < 400);
}

static void load_env(const char *path)
{
    FILE *f = fopen(path, "r");
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
}

static void emu_start(void)
{
    char log[200], env[200], sock[200];
    snprintf(log, sizeof(log), "%s/devaws.log", dir);
    snprintf(env, sizeof(env), "%s/env", dir);
    snprintf(sock, sizeof(sock), "%s/nsm.sock", dir);
    unlink(env);
    const char *argv[] = {DEVAWS, "--state",     dir,    "--nsm-socket", sock,   "--nsm-measure",
                          binary, "--log-level", "warn", "--record",     record, NULL};
    emu_pid = spawn(argv, log);
    wait_file(env);
    usleep(100000);
    load_env(env);
    snprintf(nsm_addr, sizeof(nsm_addr), "%s", getenv("NW_DEVAWS_NSM"));
    snprintf(devaws_addr, sizeof(devaws_addr), "%s", getenv("NW_DEVAWS_ADDR"));
}

static void relay_start(void)
{
    char log[200], env[200], sock[200];
    snprintf(log, sizeof(log), "%s/relay.log", dir);
    snprintf(env, sizeof(env), "%s/env", dir);
    snprintf(sock, sizeof(sock), "%s/relay.sock", dir);
    snprintf(relay_addr, sizeof(relay_addr), "unix:%s", sock);
    const char *argv[] = {DRIVER, "--listen", relay_addr, "--env", env, NULL};
    relay_pid = spawn(argv, log);
    wait_file(sock);
}

/* ---- emulator administration ------------------------------------------------------------ */

static void call_ok(const char *op, json_t *body, struct nw_buf *out)
{
    char *text = json_dumps(body, JSON_COMPACT);
    struct nw_aws_error e;
    out->len = 0;
    nw_err err = nw_aws_json_call(admin, out, op, nw_cur_str(text), false, &e);
    if (err != NW_OK)
        fprintf(stderr, "%s: %s %s %s\n", op, nw_err_name(err), e.name, e.message);
    assert_int_equal(err, NW_OK);
    free(text);
    json_decref(body);
}

/* Decrypt and GenerateDataKey only with PCR0 == pcr0_hex; everything else unconditionally. */
static void put_policy(const char *pcr0_hex)
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
    call_ok(
        "PutKeyPolicy",
        json_pack("{s:s, s:s, s:s}", "KeyId", kms_key, "PolicyName", "default", "Policy", ptext),
        &out);
    nw_buf_clear(&out);
    free(ptext);
    json_decref(pol);
}

/* Encrypt text (a seed secret: the key as hex text) without context; ciphertext into ct. */
static void encrypt_text(struct nw_buf *ct, const char *text)
{
    struct nw_kms_result r;
    struct nw_aws_error e;
    nw_kms_result_init(&r);
    struct nw_kms_request q = {.key_id = kms_key, .plaintext = nw_cur_str(text)};
    assert_int_equal(nw_kms_encrypt(admin, &r, &q, &e), NW_OK);
    ct->len = 0;
    assert_int_equal(nw_buf_append(ct, r.ciphertext_blob.ptr, r.ciphertext_blob.len), NW_OK);
    nw_kms_result_clear(&r);
}

/* KMS Decrypt calls the emulator has answered so far (its --record file). */
static int emu_decrypts(void)
{
    FILE *f = fopen(record, "r");
    if (f == NULL)
        return 0;
    int n = 0;
    static char line[1 << 17];
    while (fgets(line, sizeof(line), f) != NULL)
        if (strstr(line, "\"target\":\"TrentService.Decrypt\"") != NULL)
            n++;
    fclose(f);
    return n;
}

/* ---- vault helpers ---------------------------------------------------------------------- */

static void note(const struct nw_diag *d)
{
    assert_int_equal(nw_buf_append_str(&diags, d->msg), NW_OK);
    assert_int_equal(nw_buf_append_byte(&diags, '\n'), NW_OK);
}

static struct nw_vault *vault_open(enum nw_kms_mode mode, int ttl_s, size_t max_keys, int rotate_s)
{
    struct nw_vault_config cfg = {
        .kms_mode = mode,
        .kms_addr = mode == NW_KMS_MODE_RELAY ? relay_addr : devaws_addr,
        .region = getenv("AWS_REGION"),
        .ca_bundle = getenv("AWS_CA_BUNDLE"),
        .nsm = nsm_addr,
        .recipient_rotate_s = rotate_s,
        .cache_ttl_s = ttl_s,
        .cache_max_keys = max_keys,
        .kms_timeout_ms = 5000,
    };
    struct nw_vault *v = NULL;
    struct nw_diag d = {0};
    nw_err err = nw_vault_new(&v, &cfg, &d);
    if (err != NW_OK)
        fprintf(stderr, "vault_new: %s %s\n", nw_err_name(err), d.msg);
    assert_int_equal(err, NW_OK);
    return v;
}

static nw_err decrypt(struct nw_vault *v,
                      struct nw_seckey *key,
                      uint8_t addr[20],
                      bool *hit,
                      const struct nw_buf *ct,
                      const char *key_id,
                      const uint8_t expect[20])
{
    struct nw_diag d = {0};
    nw_err err = nw_vault_decrypt_key(v, key, addr, hit, nw_buf_cur(ct), key_id, expect, &creds,
                                      nw_deadline_ms(8000), &d);
    if (err != NW_OK) {
        note(&d);
        assert_int_equal(d.code, err);
    }
    return err;
}

static uint64_t kms_calls(struct nw_vault *v)
{
    struct nw_vault_stats s;
    nw_vault_stats(v, &s);
    return s.kms_calls;
}

static void expect_key(const struct nw_seckey *k, const char *hex, const uint8_t addr[20])
{
    uint8_t want[32], a[20];
    assert_int_equal(nw_hex_decode_fixed(want, 32, nw_cur_str(hex), false), NW_OK);
    assert_memory_equal(k->b, want, 32);
    struct nw_secp *s = nw_secp_new();
    assert_int_equal(nw_address_from_seckey(s, a, k), NW_OK);
    assert_memory_equal(a, addr, 20);
    nw_secp_free(s);
}

/* ---- cases, run once per mode ----------------------------------------------------------- */

static void seed_and_cache(enum nw_kms_mode mode)
{
    struct nw_vault *v = vault_open(mode, -1, 0, 0);
    struct nw_buf ct;
    struct nw_seckey k;
    uint8_t addr[20];
    bool hit = true;
    nw_buf_init(&ct, 8192, false);
    encrypt_text(&ct, SEED_HEX);
    int before = emu_decrypts();
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct, NULL, NULL), NW_OK);
    assert_false(hit);
    expect_key(&k, SEED_HEX, addr);
    assert_int_equal(kms_calls(v), 1);
    assert_int_equal(emu_decrypts(), before + 1);
    /* Cached: no KMS call, at the vault or at the emulator. */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(decrypt(v, &k, addr, &hit, &ct, NULL, addr), NW_OK);
        assert_true(hit);
    }
    assert_int_equal(kms_calls(v), 1);
    assert_int_equal(emu_decrypts(), before + 1);
    struct nw_vault_stats s;
    nw_vault_stats(v, &s);
    assert_int_equal(s.cache_hits, 5);
    assert_int_equal(s.cache_misses, 1);
    assert_int_equal(s.cached_keys, 1);
    /* The same ciphertext under a key_id context is another entry: KMS is asked (and refuses). */
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct, "11111111-2222-3333-4444-555555555555", NULL),
                     NW_ERR_KMS_DENIED);
    assert_int_equal(kms_calls(v), 2);
    nw_seckey_clear(&k);
    nw_buf_clear(&ct);
    nw_vault_free(v);
}

static void generate_and_context(enum nw_kms_mode mode)
{
    struct nw_vault *v = vault_open(mode, -1, 0, 0);
    struct nw_buf ct;
    struct nw_seckey k, k2;
    uint8_t addr[20], addr2[20];
    bool hit;
    struct nw_diag d = {0};
    const char *id1 = "0b6d3c52-6a43-4a8e-9d55-1f8a1b2c3d4e";
    nw_buf_init(&ct, 8192, false);
    nw_err err =
        nw_vault_generate_key(v, &k, addr, &ct, kms_key, id1, &creds, nw_deadline_ms(8000), &d);
    if (err != NW_OK)
        fprintf(stderr, "generate: %s %s\n", nw_err_name(err), d.msg);
    assert_int_equal(err, NW_OK);
    assert_true(ct.len > 0);
    /* Cached at generation: no KMS call to use it. */
    assert_int_equal(decrypt(v, &k2, addr2, &hit, &ct, id1, addr), NW_OK);
    assert_true(hit);
    assert_memory_equal(k.b, k2.b, 32);
    assert_int_equal(kms_calls(v), 1);
    /* From KMS again after forget, bound to its key id. */
    nw_vault_forget(v, nw_cur_of(NULL, 0), id1);
    assert_int_equal(decrypt(v, &k2, addr2, &hit, &ct, id1, addr), NW_OK);
    assert_false(hit);
    assert_memory_equal(k.b, k2.b, 32);
    assert_int_equal(kms_calls(v), 2);
    /* Another row's id, or none: the context does not match, KMS refuses: kms_denied. */
    assert_int_equal(
        decrypt(v, &k2, addr2, &hit, &ct, "0b6d3c52-6a43-4a8e-9d55-000000000000", NULL),
        NW_ERR_KMS_DENIED);
    assert_int_equal(decrypt(v, &k2, addr2, &hit, &ct, NULL, NULL), NW_ERR_KMS_DENIED);
    /* Key mismatch: the key does not derive the row's address; nothing is cached. */
    nw_vault_forget(v, nw_buf_cur(&ct), NULL);
    uint8_t other[20];
    memcpy(other, addr, 20);
    other[0] ^= 1;
    assert_int_equal(decrypt(v, &k2, addr2, &hit, &ct, id1, other), NW_ERR_KEY_MISMATCH);
    uint8_t zero[32] = {0};
    assert_memory_equal(k2.b, zero, 32);
    struct nw_vault_stats s;
    nw_vault_stats(v, &s);
    assert_int_equal(s.cached_keys, 0);
    nw_seckey_clear(&k);
    nw_buf_clear(&ct);
    nw_vault_free(v);
}

static void pcr0_denied(enum nw_kms_mode mode)
{
    struct nw_vault *v = vault_open(mode, -1, 0, 0);
    struct nw_buf ct;
    struct nw_seckey k;
    uint8_t addr[20];
    bool hit;
    nw_buf_init(&ct, 8192, false);
    encrypt_text(&ct, SEED_HEX);
    char other[97];
    memcpy(other, pcr0, sizeof(other));
    other[7] = other[7] == 'a' ? 'b' : 'a';
    put_policy(other);
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct, NULL, NULL), NW_ERR_KMS_DENIED);
    assert_non_null(strstr((const char *)diags.ptr, "AccessDeniedException"));
    struct nw_buf gct;
    struct nw_diag d = {0};
    nw_buf_init(&gct, 8192, false);
    assert_int_equal(
        nw_vault_generate_key(v, &k, addr, &gct, kms_key, "k", &creds, nw_deadline_ms(8000), &d),
        NW_ERR_KMS_DENIED);
    note(&d);
    assert_int_equal(gct.len, 0);
    put_policy(pcr0);
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct, NULL, NULL), NW_OK);
    nw_seckey_clear(&k);
    nw_buf_clear(&ct);
    nw_buf_clear(&gct);
    nw_vault_free(v);
}

static void ttl_bound_forget(enum nw_kms_mode mode)
{
    struct nw_vault *v = vault_open(mode, 1, 2, 0);
    struct nw_buf ct[3];
    struct nw_seckey k;
    uint8_t addr[20];
    bool hit;
    const char *keys[3] = {SEED_HEX, CANARY_HEX,
                           "0x1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988"};
    for (int i = 0; i < 3; i++) {
        nw_buf_init(&ct[i], 8192, false);
        encrypt_text(&ct[i], keys[i]);
    }
    /* Count bound 2, LRU: A, B, A (hit), C evicts B. */
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct[0], NULL, NULL), NW_OK);
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct[1], NULL, NULL), NW_OK);
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct[0], NULL, NULL), NW_OK);
    assert_true(hit);
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct[2], NULL, NULL), NW_OK);
    assert_int_equal(kms_calls(v), 3);
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct[0], NULL, NULL), NW_OK);
    assert_true(hit);
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct[1], NULL, NULL), NW_OK);
    assert_false(hit); /* B was evicted */
    assert_int_equal(kms_calls(v), 4);
    /* Forget by ciphertext. */
    nw_vault_forget(v, nw_buf_cur(&ct[1]), NULL);
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct[1], NULL, NULL), NW_OK);
    assert_false(hit);
    /* TTL 1 s: after it, a miss. */
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct[1], NULL, NULL), NW_OK);
    assert_true(hit);
    usleep(1300000);
    struct nw_vault_stats s;
    nw_vault_stats(v, &s);
    assert_int_equal(s.cached_keys, 0);
    uint64_t calls = kms_calls(v);
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct[1], NULL, NULL), NW_OK);
    assert_false(hit);
    assert_int_equal(kms_calls(v), calls + 1);
    expect_key(&k, CANARY_HEX, addr);
    nw_seckey_clear(&k);
    for (int i = 0; i < 3; i++)
        nw_buf_clear(&ct[i]);
    nw_vault_free(v);

    /* TTL 0 disables the cache. */
    v = vault_open(mode, 0, 0, 0);
    nw_buf_init(&ct[0], 8192, false);
    encrypt_text(&ct[0], SEED_HEX);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(decrypt(v, &k, addr, &hit, &ct[0], NULL, NULL), NW_OK);
        assert_false(hit);
    }
    assert_int_equal(kms_calls(v), 2);
    nw_seckey_clear(&k);
    nw_buf_clear(&ct[0]);
    nw_vault_free(v);
}

static void rotation(enum nw_kms_mode mode)
{
    struct nw_vault *v = vault_open(mode, 0, 0, 1);
    struct nw_buf ct, d1, d2;
    struct nw_seckey k;
    uint8_t addr[20];
    bool hit;
    struct nw_diag d = {0};
    nw_buf_init(&ct, 8192, false);
    nw_buf_init(&d1, 16384, false);
    nw_buf_init(&d2, 16384, false);
    encrypt_text(&ct, SEED_HEX);
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct, NULL, NULL), NW_OK);
    assert_int_equal(nw_vault_attest(v, &d1, nw_cur_str("n1"), nw_cur_of(NULL, 0), &d), NW_OK);
    usleep(2600000);
    struct nw_vault_stats s;
    nw_vault_stats(v, &s);
    assert_true(s.recipient_rotations >= 1);
    assert_int_equal(nw_vault_attest(v, &d2, nw_cur_str("n1"), nw_cur_of(NULL, 0), &d), NW_OK);
    /* The documents carry different public keys. */
    struct nw_attest_doc a1, a2;
    assert_int_equal(nw_attest_parse(&a1, nw_buf_cur(&d1)), NW_OK);
    assert_int_equal(nw_attest_parse(&a2, nw_buf_cur(&d2)), NW_OK);
    assert_true(a1.public_key_len > 0 && a2.public_key_len > 0);
    assert_false(a1.public_key_len == a2.public_key_len &&
                 memcmp(a1.public_key, a2.public_key, a1.public_key_len) == 0);
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct, NULL, NULL), NW_OK);
    expect_key(&k, SEED_HEX, addr);
    uint8_t rnd[32] = {0}, zero[32] = {0};
    assert_int_equal(nw_vault_random(v, rnd, sizeof(rnd)), NW_OK);
    assert_memory_not_equal(rnd, zero, 32);
    nw_seckey_clear(&k);
    nw_buf_clear(&ct);
    nw_buf_clear(&d1);
    nw_buf_clear(&d2);
    nw_vault_free(v);
}

#define BOTH(name)                    \
 static void relay_##name(void **st)  \
 {                                    \
  (void)st;                           \
  name(NW_KMS_MODE_RELAY);            \
 }                                    \
 static void direct_##name(void **st) \
 {                                    \
  (void)st;                           \
  name(NW_KMS_MODE_DIRECT);           \
 }

BOTH(seed_and_cache)
BOTH(generate_and_context)
BOTH(pcr0_denied)
BOTH(ttl_bound_forget)
BOTH(rotation)

/* ---- transport failures ----------------------------------------------------------------- */

static nw_err decrypt_at(const char *mode_addr, enum nw_kms_mode mode, int deadline_ms, int kms_ms)
{
    struct nw_vault_config cfg = {.kms_mode = mode,
                                  .kms_addr = mode_addr,
                                  .region = getenv("AWS_REGION"),
                                  .ca_bundle = getenv("AWS_CA_BUNDLE"),
                                  .nsm = nsm_addr,
                                  .kms_timeout_ms = kms_ms};
    struct nw_vault *v = NULL;
    struct nw_diag d = {0};
    assert_int_equal(nw_vault_new(&v, &cfg, &d), NW_OK);
    struct nw_buf ct;
    nw_buf_init(&ct, 8192, false);
    encrypt_text(&ct, SEED_HEX);
    struct nw_seckey k;
    int64_t t0 = nw_now_ms();
    nw_err err = nw_vault_decrypt_key(v, &k, NULL, NULL, nw_buf_cur(&ct), NULL, NULL, &creds,
                                      nw_deadline_ms(deadline_ms), &d);
    int64_t took = nw_now_ms() - t0;
    note(&d);
    fprintf(stderr, "  %s %s: %s in %lld ms (%s)\n", mode == NW_KMS_MODE_RELAY ? "relay" : "direct",
            mode_addr, nw_err_name(err), (long long)took, d.msg);
    assert_true(took <= (deadline_ms < kms_ms ? deadline_ms : kms_ms) + 500);
    nw_buf_clear(&ct);
    nw_vault_free(v);
    return err;
}

static void unreachable(void **st)
{
    (void)st;
    char path[300], addr[320];
    snprintf(path, sizeof(path), "%s/nobody.sock", dir);
    snprintf(addr, sizeof(addr), "unix:%s", path);
    assert_int_equal(decrypt_at(addr, NW_KMS_MODE_RELAY, 2000, 5000), NW_ERR_KMS_UNAVAILABLE);
    assert_int_equal(decrypt_at(addr, NW_KMS_MODE_DIRECT, 2000, 5000), NW_ERR_KMS_UNAVAILABLE);
    /* Direct mode without forwarded credentials. */
    struct nw_aws_creds saved = creds;
    memset(&creds, 0, sizeof(creds));
    assert_int_equal(decrypt_at(devaws_addr, NW_KMS_MODE_DIRECT, 2000, 5000),
                     NW_ERR_KMS_UNAVAILABLE);
    creds = saved;
    nw_aws_creds_clear(&saved);

    /* A relay that accepts but never answers: the caller's deadline, or the vault's own bound. */
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(path, sizeof(path), "%s/silent.sock", dir);
    assert_true(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 8), 0);
    snprintf(addr, sizeof(addr), "unix:%s", path);
    assert_int_equal(decrypt_at(addr, NW_KMS_MODE_RELAY, 600, 5000), NW_ERR_DEADLINE_EXCEEDED);
    assert_int_equal(decrypt_at(addr, NW_KMS_MODE_RELAY, 5000, 400), NW_ERR_KMS_UNAVAILABLE);
    close(lfd);
    unlink(path);
}

/* The relay going away and coming back: the vault re-makes its connection by itself. */
static void relay_restart(void **st)
{
    (void)st;
    struct nw_vault *v = vault_open(NW_KMS_MODE_RELAY, 0, 0, 0);
    struct nw_buf ct;
    struct nw_seckey k;
    uint8_t addr[20];
    bool hit;
    nw_buf_init(&ct, 8192, false);
    encrypt_text(&ct, SEED_HEX);
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct, NULL, NULL), NW_OK);
    stop_pid(&relay_pid);
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct, NULL, NULL), NW_ERR_KMS_UNAVAILABLE);
    relay_start();
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct, NULL, NULL), NW_OK);
    stop_pid(&relay_pid); /* the connection now held by the vault is dead: re-made once */
    relay_start();
    assert_int_equal(decrypt(v, &k, addr, &hit, &ct, NULL, NULL), NW_OK);
    expect_key(&k, SEED_HEX, addr);
    nw_seckey_clear(&k);
    nw_buf_clear(&ct);
    nw_vault_free(v);
}

static bool contains(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; m > 0 && i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

/* The canary key went through decrypt (ttl_bound_forget): never in a diag or the relay's log. */
static void canary(void **st)
{
    (void)st;
    uint8_t raw[32];
    assert_int_equal(nw_hex_decode_fixed(raw, 32, nw_cur_str(CANARY_HEX), false), NW_OK);
    assert_true(diags.len > 0);
    assert_false(contains(diags.ptr, diags.len, CANARY_HEX, strlen(CANARY_HEX)));
    assert_false(contains(diags.ptr, diags.len, raw, 32));
    assert_false(contains(diags.ptr, diags.len, "c0ffee5eed", 10));
    char log[200];
    snprintf(log, sizeof(log), "%s/relay.log", dir);
    size_t n = 0;
    uint8_t *text = nwt_read_file(log, &n);
    assert_non_null(text);
    assert_true(n > 0);
    assert_false(contains(text, n, CANARY_HEX, strlen(CANARY_HEX)));
    assert_false(contains(text, n, "c0ffee5eed", 10));
    assert_false(contains(text, n, raw, 32));
    free(text);
}

/* ---- set-up ----------------------------------------------------------------------------- */

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof(dir), "/tmp/nw-vault-it-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(binary, sizeof(binary), "%s/nw-enclave", dir);
    snprintf(record, sizeof(record), "%s/record.jsonl", dir);
    FILE *f = fopen(binary, "wb");
    assert_non_null(f);
    fputs("nw-enclave (vault test)", f);
    fclose(f);
    uint8_t p0[48], p1[48], p2[48];
    assert_int_equal(nw_nsm_measure_file(p0, p1, p2, binary), NW_OK);
    assert_int_equal(nw_hex_encode(pcr0, sizeof(pcr0), p0, 48, false), NW_OK);
    emu_start();
    assert_int_equal(nw_aws_creds_provider_env(&admin_p), NW_OK);
    struct nw_aws_config cfg = {.creds = admin_p, .max_attempts = 1};
    struct nw_diag d = {0};
    assert_int_equal(nw_aws_client_new(&admin, NW_AWS_KMS, &cfg, &d), NW_OK);
    assert_int_equal(nw_aws_creds_from_env(&creds), NW_OK);
    struct nw_buf out;
    nw_buf_init(&out, 1 << 16, false);
    call_ok("CreateKey", json_object(), &out);
    json_t *ck = json_loadb((const char *)out.ptr, out.len, 0, NULL);
    snprintf(kms_key, sizeof(kms_key), "%s",
             json_string_value(json_object_get(json_object_get(ck, "KeyMetadata"), "KeyId")));
    json_decref(ck);
    nw_buf_clear(&out);
    put_policy(pcr0);
    relay_start();
    nw_buf_init(&diags, 1 << 20, false);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    stop_pid(&relay_pid);
    stop_pid(&emu_pid);
    nw_aws_client_free(admin);
    nw_aws_creds_provider_free(admin_p);
    nw_aws_creds_clear(&creds);
    nw_buf_clear(&diags);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: vault_it PATH/TO/nw-devaws PATH/TO/kms_relay_driver\n");
        return 2;
    }
    DEVAWS = argv[1];
    DRIVER = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(relay_seed_and_cache),
        cmocka_unit_test(direct_seed_and_cache),
        cmocka_unit_test(relay_generate_and_context),
        cmocka_unit_test(direct_generate_and_context),
        cmocka_unit_test(relay_pcr0_denied),
        cmocka_unit_test(direct_pcr0_denied),
        cmocka_unit_test(relay_ttl_bound_forget),
        cmocka_unit_test(direct_ttl_bound_forget),
        cmocka_unit_test(relay_rotation),
        cmocka_unit_test(direct_rotation),
        cmocka_unit_test(unreachable),
        cmocka_unit_test(relay_restart),
        cmocka_unit_test(canary),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    stop_pid(&relay_pid);
    stop_pid(&emu_pid);
    return rc;
}

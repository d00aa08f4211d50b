/*
 * Cold-path latency of a key decryption through libnwvault (issue 10, benchmark): KMS Decrypt
 * with Recipient through the relay (kms_relay_driver, i.e. nw_kms_relay_handle) to nw-devaws,
 * cache disabled, Recipient key warm; then the same in direct mode (TLS per call). Against it,
 * in the same run, what the seed pays per request before it even calls KMS: one RSA-2048 key
 * generation (nw_recipient_new). Prints median and p99 of each and their ratio.
 *
 * usage: bench_vault PATH/TO/nw-devaws PATH/TO/kms_relay_driver [--n N] [--rsa N] [--quick]
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

#include <nw/aws.h>
#include <nw/cms.h>
#include <nw/hex.h>
#include <nw/kms.h>
#include <nw/log.h>
#include <nw/measure.h>
#include <nw/mem.h>
#include <nw/sign.h>
#include <nw/vault.h>
#include <nw/wire.h>

extern char **environ;

static char dir[64];
static pid_t emu, relay;

static void die(const char *what)
{
    (void)fprintf(stderr, "bench_vault: %s\n", what);
    if (relay > 0)
        kill(relay, SIGTERM);
    if (emu > 0)
        kill(emu, SIGTERM);
    exit(1);
}

static pid_t spawn(const char *const argv[], const char *log)
{
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0)
        die("spawn failed");
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static void stop(pid_t pid)
{
    int st;
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
}

static void wait_path(const char *p)
{
    for (int i = 0; i < 400; i++) {
        if (access(p, F_OK) == 0)
            return;
        usleep(50000);
    }
    die("a helper process did not start");
}

static void load_env(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    if (f == NULL)
        die("no env file");
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

static void kms(struct nw_aws_client *c, const char *op, json_t *body, struct nw_buf *out)
{
    char *text = json_dumps(body, JSON_COMPACT);
    out->len = 0;
    if (nw_aws_json_call(c, out, op, nw_cur_str(text), false, NULL) != NW_OK)
        die(op);
    nw_wiping_free(text); /* jansson allocates through the hooked, wiping allocator */
    json_decref(body);
}

/* A key whose policy admits Decrypt only for the measured PCR0; a seed-style ciphertext. */
static void make_key(struct nw_buf *ct, const char *binary)
{
    struct nw_aws_creds_provider *p = NULL;
    struct nw_aws_client *c = NULL;
    struct nw_buf out;
    char key[64], root[64], pcr0[97];
    uint8_t p0[48], p1[48], p2[48];
    if (nw_aws_creds_provider_env(&p) != NW_OK)
        die("credentials");
    struct nw_aws_config cfg = {.creds = p, .max_attempts = 1};
    if (nw_aws_client_new(&c, NW_AWS_KMS, &cfg, NULL) != NW_OK)
        die("client");
    nw_buf_init(&out, 1 << 16, true);
    kms(c, "CreateKey", json_object(), &out);
    json_t *ck = json_loadb((const char *)out.ptr, out.len, 0, NULL);
    snprintf(key, sizeof(key), "%s",
             json_string_value(json_object_get(json_object_get(ck, "KeyMetadata"), "KeyId")));
    json_decref(ck);
    if (nw_nsm_measure_file(p0, p1, p2, binary) != NW_OK ||
        nw_hex_encode(pcr0, sizeof(pcr0), p0, 48, false) != NW_OK)
        die("measure");
    snprintf(root, sizeof(root), "arn:aws:iam::%s:root", getenv("NW_DEVAWS_ACCOUNT"));
    json_t *pol =
        json_pack("{s:s, s:[{s:s, s:{s:s}, s:s, s:s}, {s:s, s:{s:s}, s:s, s:s, s:{s:{s:s}}}]}",
                  "Version", "2012-10-17", "Statement", "Effect", "Allow", "Principal", "AWS", root,
                  "NotAction", "kms:Decrypt", "Resource", "*", "Effect", "Allow", "Principal",
                  "AWS", root, "Action", "kms:Decrypt", "Resource", "*", "Condition",
                  "StringEqualsIgnoreCase", "kms:RecipientAttestation:ImageSha384", pcr0);
    char *ptext = json_dumps(pol, JSON_COMPACT);
    kms(c, "PutKeyPolicy",
        json_pack("{s:s, s:s, s:s}", "KeyId", key, "PolicyName", "default", "Policy", ptext), &out);
    nw_wiping_free(ptext);
    json_decref(pol);
    struct nw_kms_result r;
    nw_kms_result_init(&r);
    struct nw_kms_request q = {
        .key_id = key,
        .plaintext =
            nw_cur_str("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")};
    if (nw_kms_encrypt(c, &r, &q, NULL) != NW_OK ||
        nw_buf_append(ct, r.ciphertext_blob.ptr, r.ciphertext_blob.len) != NW_OK)
        die("encrypt");
    nw_kms_result_clear(&r);
    nw_buf_clear(&out);
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct stats {
    double median, p99;
};

static struct stats summarize(double *t, int n)
{
    qsort(t, (size_t)n, sizeof(double), cmp_double);
    int i99 = (int)((double)n * 0.99 + 0.5) - 1;
    struct stats s = {t[n / 2], t[i99 < 0 ? 0 : (i99 >= n ? n - 1 : i99)]};
    return s;
}

static struct stats
cold_path(enum nw_kms_mode mode, const char *addr, const struct nw_buf *ct, int n)
{
    struct nw_aws_creds creds;
    struct nw_vault_config cfg = {.kms_mode = mode,
                                  .kms_addr = addr,
                                  .region = getenv("AWS_REGION"),
                                  .ca_bundle = getenv("AWS_CA_BUNDLE"),
                                  .nsm = getenv("NW_DEVAWS_NSM"),
                                  .cache_ttl_s = 0};
    struct nw_vault *v = NULL;
    struct nw_diag d = {0};
    struct nw_seckey k;
    double *t = calloc((size_t)n, sizeof(double));
    if (t == NULL || nw_aws_creds_from_env(&creds) != NW_OK || nw_vault_new(&v, &cfg, &d) != NW_OK)
        die("vault");
    for (int i = -3; i < n; i++) { /* 3 warm-up calls: connection, TLS session, page faults */
        double t0 = now_ms();
        nw_err err = nw_vault_decrypt_key(v, &k, NULL, NULL, nw_buf_cur(ct), NULL, NULL, &creds,
                                          nw_deadline_ms(10000), &d);
        if (err != NW_OK) {
            (void)fprintf(stderr, "decrypt: %s %s\n", nw_err_name(err), d.msg);
            die("decrypt failed");
        }
        if (i >= 0)
            t[i] = now_ms() - t0;
    }
    struct nw_vault_stats s;
    nw_vault_stats(v, &s);
    if (s.cache_hits != 0 || s.kms_calls != (uint64_t)n + 3)
        die("the cache was not off");
    struct stats r = summarize(t, n);
    nw_seckey_clear(&k);
    nw_aws_creds_clear(&creds);
    nw_vault_free(v);
    free(t);
    return r;
}

static struct stats rsa_generation(int n)
{
    double *t = calloc((size_t)n, sizeof(double));
    if (t == NULL)
        die("memory");
    for (int i = 0; i < n; i++) {
        struct nw_recipient *r = NULL;
        double t0 = now_ms();
        if (nw_recipient_new(&r, 0) != NW_OK)
            die("RSA");
        t[i] = now_ms() - t0;
        nw_recipient_free(r);
    }
    struct stats s = summarize(t, n);
    free(t);
    return s;
}

int main(int argc, char **argv)
{
    int n = 200, n_rsa = 30;
    if (argc < 3)
        die("usage: bench_vault PATH/TO/nw-devaws PATH/TO/kms_relay_driver [--n N] [--rsa N] "
            "[--quick]");
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            n = 20, n_rsa = 3;
        else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
            n = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--rsa") == 0 && i + 1 < argc)
            n_rsa = (int)strtol(argv[++i], NULL, 10);
    }
    if (n < 1 || n_rsa < 1 || nw_mem_hook_libraries() != 0)
        die("bad arguments");
    char binary[128], env[128], nsm[128], relay_sock[128], relay_addr[140], log[128];
    snprintf(dir, sizeof(dir), "/tmp/nw-bench-vault-XXXXXX");
    if (mkdtemp(dir) == NULL)
        die("mkdtemp");
    snprintf(binary, sizeof(binary), "%s/nw-enclave", dir);
    snprintf(env, sizeof(env), "%s/env", dir);
    snprintf(nsm, sizeof(nsm), "%s/nsm.sock", dir);
    snprintf(relay_sock, sizeof(relay_sock), "%s/relay.sock", dir);
    snprintf(relay_addr, sizeof(relay_addr), "unix:%s", relay_sock);
    snprintf(log, sizeof(log), "%s/log", dir);
    FILE *f = fopen(binary, "wb");
    if (f == NULL || fputs("nw-enclave (bench)", f) < 0 || fclose(f) != 0)
        die("write");
    const char *ea[] = {argv[1],         "--state", dir,           "--nsm-socket", nsm,
                        "--nsm-measure", binary,    "--log-level", "error",        NULL};
    emu = spawn(ea, log);
    wait_path(env);
    usleep(100000);
    load_env(env);
    const char *ra[] = {argv[2], "--listen", relay_addr, "--env", env, NULL};
    relay = spawn(ra, log);
    wait_path(relay_sock);
    struct nw_buf ct;
    nw_buf_init(&ct, 8192, false);
    make_key(&ct, binary);

    struct stats rel = cold_path(NW_KMS_MODE_RELAY, relay_addr, &ct, n);
    struct stats dir_ = cold_path(NW_KMS_MODE_DIRECT, getenv("NW_DEVAWS_ADDR"), &ct, n / 4 + 1);
    struct stats rsa = rsa_generation(n_rsa);
    printf(
        "vault cold path, KMS Decrypt with Recipient via nw-devaws, cache off, Recipient warm\n");
    printf("  relay  (n=%d): median %.2f ms  p99 %.2f ms   (target: median < 20 ms)\n", n,
           rel.median, rel.p99);
    printf("  direct (n=%d): median %.2f ms  p99 %.2f ms   (SigV4 + a TLS handshake per call)\n",
           n / 4 + 1, dir_.median, dir_.p99);
    printf("seed per request: RSA-2048 generation (nw_recipient_new, n=%d): median %.2f ms  p99 "
           "%.2f ms\n",
           n_rsa, rsa.median, rsa.p99);
    printf("ratio relay cold path / seed's RSA generation alone: median %.3f  p99 %.3f\n",
           rel.median / rsa.median, rel.p99 / rsa.p99);
    nw_buf_clear(&ct);
    stop(relay);
    stop(emu);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}

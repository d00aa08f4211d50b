/*
 * libnwaws against the real emulator: nw-devaws is started on loopback (port 0) in a temp state
 * directory, the client is configured only from the emulator's env file (AWS_REGION,
 * AWS_ENDPOINT_URL_KMS, AWS_CA_BUNDLE, ... exactly as the AWS SDKs read them), and every KMS
 * and Secrets Manager operation and error path is exercised over TLS: bad signature, expired
 * token, clock skew, unknown key, disabled key, wrong encryption context, policy deny, missing
 * secret, oversize payloads, a wrong CA, the unix: transport, IMDSv2 credential refresh.
 *
 * usage: aws_client_it PATH/TO/nw-devaws
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nw/aws.h>
#include <nw/http.h>
#include <nw/imds.h>
#include <nw/kms.h>
#include <nw/mem.h>
#include <nw/secrets.h>

#include "nwtest.h"

extern char **environ;

static const char *DEVAWS;

/* The same canaries as tests/unit/test_aws_http.c (tests/unit/aws_canary.sh greps for them). */
#define CANARY_SECRET "nwCanarySecretKey/7f3a9c1e5b+QqZ0wXyYvU"
#define CANARY_TOKEN  "nwCanarySessionToken//AQoDYXdzEJr+9f8e7d6c5b4a3"

struct emu {
    pid_t pid;
    char dir[128];
    char env[32][2][512];
    size_t n_env;
};

static struct emu E;  /* tcp listeners, default settings */
static struct emu EU; /* unix: listeners, short credential lifetime */

static const char *emu_get(const struct emu *e, const char *k)
{
    for (size_t i = 0; i < e->n_env; i++)
        if (strcmp(e->env[i][0], k) == 0)
            return e->env[i][1];
    return NULL;
}

static void parse_env(struct emu *e, const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1200];
    while (fgets(line, sizeof(line), f) != NULL && e->n_env < 32) {
        if (strncmp(line, "export ", 7) != 0)
            continue;
        char *eq = strchr(line + 7, '=');
        if (eq == NULL || eq[1] != '\'')
            continue;
        *eq = '\0';
        char *v = eq + 2;
        char *end = strrchr(v, '\'');
        if (end == NULL)
            continue;
        *end = '\0';
        /* A name or value that does not fit is an error in the harness, not a silent cut. */
        size_t kl = strlen(line + 7), vl = strlen(v);
        assert_true(kl < sizeof(e->env[0][0]) && vl < sizeof(e->env[0][1]));
        memcpy(e->env[e->n_env][0], line + 7, kl + 1);
        memcpy(e->env[e->n_env][1], v, vl + 1);
        e->n_env++;
    }
    fclose(f);
}

static int emu_start(struct emu *e, const char *const *extra, size_t n_extra)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->dir, sizeof(e->dir), "/tmp/nw-aws-it-XXXXXX");
    if (mkdtemp(e->dir) == NULL)
        return -1;
    char log[200], env[200];
    snprintf(log, sizeof(log), "%s/server.log", e->dir);
    snprintf(env, sizeof(env), "%s/env", e->dir);
    const char *argv[16] = {DEVAWS, "--state", e->dir};
    size_t argc = 3;
    char subst[8][256];
    for (size_t i = 0; i < n_extra && argc < 15; i++) {
        /* "{D}" in an argument stands for the state directory. */
        const char *d = strstr(extra[i], "{D}");
        if (d != NULL) {
            snprintf(subst[i], sizeof(subst[i]), "%.*s%s%s", (int)(d - extra[i]), extra[i], e->dir,
                     d + 3);
            argv[argc++] = subst[i];
        } else {
            argv[argc++] = extra[i];
        }
    }
    argv[argc] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int rc = posix_spawn(&e->pid, DEVAWS, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    for (int i = 0; i < 400; i++) { /* up to 20 s */
        if (access(env, R_OK) == 0) {
            usleep(50000); /* let the writer finish */
            parse_env(e, env);
            return 0;
        }
        int st;
        if (waitpid(e->pid, &st, WNOHANG) == e->pid) {
            e->pid = 0;
            return -1;
        }
        usleep(50000);
    }
    return -1;
}

static void emu_stop(struct emu *e)
{
    if (e->pid > 0) {
        kill(e->pid, SIGTERM);
        int st;
        for (int i = 0; i < 200 && waitpid(e->pid, &st, WNOHANG) == 0; i++)
            usleep(50000);
        kill(e->pid, SIGKILL);
        waitpid(e->pid, &st, 0);
        e->pid = 0;
    }
    if (e->dir[0] != '\0') {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cleanup of %s failed\n", e->dir);
    }
}

/* Run "nw-devaws admin --state DIR ARGS" and parse its JSON output. */
static json_t *admin(const struct emu *e, const char *args, const char *stdin_text)
{
    char cmd[1024], in[200];
    if (stdin_text != NULL) {
        snprintf(in, sizeof(in), "%s/admin-in.json", e->dir);
        FILE *f = fopen(in, "w");
        assert_non_null(f);
        fputs(stdin_text, f);
        fclose(f);
        snprintf(cmd, sizeof(cmd), "'%s' admin --state '%s' %s < '%s'", DEVAWS, e->dir, args, in);
    } else {
        snprintf(cmd, sizeof(cmd), "'%s' admin --state '%s' %s", DEVAWS, e->dir, args);
    }
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[8192];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    return j;
}

/* Client set-up only from the emulator's environment, as an SDK would. */
static void use_env(const struct emu *e)
{
    const char *keys[] = {"AWS_REGION",
                          "AWS_ACCESS_KEY_ID",
                          "AWS_SECRET_ACCESS_KEY",
                          "AWS_CA_BUNDLE",
                          "AWS_ENDPOINT_URL_KMS",
                          "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                          "AWS_EC2_METADATA_SERVICE_ENDPOINT"};
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_ENDPOINT_URL");
    for (size_t i = 0; i < NW_ARRAY_LEN(keys); i++) {
        const char *v = emu_get(e, keys[i]);
        if (v != NULL)
            setenv(keys[i], v, 1);
        else
            unsetenv(keys[i]);
    }
}

static int64_t skewed_clock(void *arg)
{
    return (int64_t)time(NULL) + *(int64_t *)arg;
}

static struct nw_aws_client *
client(enum nw_aws_service svc, struct nw_aws_creds_provider *p, const struct nw_aws_config *over)
{
    struct nw_aws_config cfg = {.creds = p, .max_attempts = 2, .backoff_base_ms = 10};
    if (over != NULL) {
        cfg = *over;
        cfg.creds = p;
    }
    struct nw_aws_client *c = NULL;
    struct nw_diag d = {0};
    nw_err err = nw_aws_client_new(&c, svc, &cfg, &d);
    if (err != NW_OK)
        fprintf(stderr, "client: %s %s\n", nw_err_name(err), d.msg);
    assert_int_equal(err, NW_OK);
    return c;
}

/* CreateKey / DisableKey / PutKeyPolicy are not in the client API: raw signed calls. */
static void create_key(struct nw_aws_client *c, char out[2049])
{
    struct nw_buf b;
    nw_buf_init(&b, 1 << 20, true);
    struct nw_aws_error e;
    assert_int_equal(nw_aws_json_call(c, &b, "CreateKey", nw_cur_str("{}"), false, &e), NW_OK);
    struct nw_kms_result r;
    nw_kms_result_init(&r);
    assert_int_equal(nw_kms_parse_response(&r, NW_KMS_DESCRIBE_KEY, nw_buf_cur(&b)), NW_OK);
    memcpy(out, r.key_id, sizeof(r.key_id));
    nw_kms_result_clear(&r);
    nw_buf_clear(&b);
}

static void raw_ok(struct nw_aws_client *c, const char *op, const char *body)
{
    struct nw_buf b;
    nw_buf_init(&b, 1 << 20, true);
    struct nw_aws_error e;
    nw_err err = nw_aws_json_call(c, &b, op, nw_cur_str(body), false, &e);
    if (err != NW_OK)
        fprintf(stderr, "%s: %s %s %s\n", op, nw_err_name(err), e.name, e.message);
    assert_int_equal(err, NW_OK);
    nw_buf_clear(&b);
}

static void expect(nw_err got, nw_err want, const struct nw_aws_error *e, const char *name)
{
    if (got != want)
        fprintf(stderr, "expected %s, got %s (%s: %s)\n", nw_err_name(want), nw_err_name(got),
                e->name, e->message);
    assert_int_equal(got, want);
    assert_int_equal(e->code, want);
    if (name != NULL) {
        assert_string_equal(e->name, name);
        assert_true(e->request_id[0] != '\0');
    }
}

/* ---- KMS -------------------------------------------------------------------------------- */

static void test_kms(void **state)
{
    (void)state;
    use_env(&E);
    struct nw_aws_creds_provider *p;
    assert_int_equal(nw_aws_creds_provider_env(&p), NW_OK);
    struct nw_aws_client *c = client(NW_AWS_KMS, p, NULL);
    char key[2049], key2[2049];
    create_key(c, key);
    create_key(c, key2);
    struct nw_kms_result r, r2;
    nw_kms_result_init(&r);
    nw_kms_result_init(&r2);
    struct nw_aws_error e;

    /* Encrypt / Decrypt with an encryption context. */
    struct nw_kms_kv ctx[] = {{"nw:address", "0xabc"}, {"purpose", "it"}};
    struct nw_kms_request q = {
        .key_id = key, .plaintext = nw_cur_str("private key text"), .context = ctx, .n_context = 2};
    assert_int_equal(nw_kms_encrypt(c, &r, &q, &e), NW_OK);
    assert_non_null(strstr(r.key_id, key));
    struct nw_kms_request d = {
        .ciphertext_blob = nw_buf_cur(&r.ciphertext_blob), .context = ctx, .n_context = 2};
    assert_int_equal(nw_kms_decrypt(c, &r2, &d, &e), NW_OK);
    assert_int_equal(r2.plaintext.len, 16);
    assert_memory_equal(r2.plaintext.ptr, "private key text", 16);
    /* Wrong encryption context, no context, wrong key. */
    struct nw_kms_kv wrong[] = {{"nw:address", "0xabd"}, {"purpose", "it"}};
    d.context = wrong;
    expect(nw_kms_decrypt(c, &r2, &d, &e), NW_ERR_AWS_INVALID_CIPHERTEXT, &e,
           "InvalidCiphertextException");
    assert_int_equal(r2.plaintext.len, 0);
    d.n_context = 0;
    expect(nw_kms_decrypt(c, &r2, &d, &e), NW_ERR_AWS_INVALID_CIPHERTEXT, &e,
           "InvalidCiphertextException");
    d.context = ctx;
    d.n_context = 2;
    d.key_id = key2;
    expect(nw_kms_decrypt(c, &r2, &d, &e), NW_ERR_AWS_INCORRECT_KEY, &e, "IncorrectKeyException");

    /* GenerateDataKey round trip; NumberOfBytes; GenerateRandom; DescribeKey. */
    struct nw_kms_request g = {.key_id = key, .context = ctx, .n_context = 1};
    assert_int_equal(nw_kms_generate_data_key(c, &r, &g, &e), NW_OK);
    assert_int_equal(r.plaintext.len, 32);
    struct nw_kms_request gd = {
        .ciphertext_blob = nw_buf_cur(&r.ciphertext_blob), .context = ctx, .n_context = 1};
    assert_int_equal(nw_kms_decrypt(c, &r2, &gd, &e), NW_OK);
    assert_memory_equal(r2.plaintext.ptr, r.plaintext.ptr, 32);
    g.number_of_bytes = 64;
    assert_int_equal(nw_kms_generate_data_key(c, &r, &g, &e), NW_OK);
    assert_int_equal(r.plaintext.len, 64);
    struct nw_kms_request rnd = {.number_of_bytes = 48};
    assert_int_equal(nw_kms_generate_random(c, &r, &rnd, &e), NW_OK);
    assert_int_equal(r.plaintext.len, 48);
    struct nw_kms_request dk = {.key_id = key};
    assert_int_equal(nw_kms_describe_key(c, &r, &dk, &e), NW_OK);
    assert_string_equal(r.key_state, "Enabled");
    assert_true(r.enabled);
    assert_non_null(strstr(r.arn, key));

    /* Unknown key. */
    struct nw_kms_request unk = {.key_id = "00000000-0000-4000-8000-000000000000",
                                 .plaintext = nw_cur_str("x")};
    expect(nw_kms_encrypt(c, &r, &unk, &e), NW_ERR_AWS_NOT_FOUND, &e, "NotFoundException");
    struct nw_kms_request unk2 = {.key_id = "alias/none"};
    expect(nw_kms_describe_key(c, &r, &unk2, &e), NW_ERR_AWS_NOT_FOUND, &e, "NotFoundException");

    /* Recipient with a document that is not an attestation document. */
    struct nw_kms_request rec = {.number_of_bytes = 32,
                                 .recipient_attestation = nw_cur_str("not an attestation doc")};
    nw_err rerr = nw_kms_generate_random(c, &r, &rec, &e);
    assert_true(rerr == NW_ERR_AWS_VALIDATION || rerr == NW_ERR_AWS_ACCESS_DENIED ||
                rerr == NW_ERR_AWS_OTHER);
    assert_int_equal(r.plaintext.len, 0);

    /* Oversize: a 4097-byte plaintext is refused locally; a 6000-byte one sent raw is refused
     * by the service; an oversize response body is cut at the cap. */
    static uint8_t big[4097];
    struct nw_kms_request bq = {.key_id = key, .plaintext = nw_cur_of(big, sizeof(big))};
    assert_int_equal(nw_kms_encrypt(c, &r, &bq, &e), NW_ERR_INVALID_ARG);
    struct nw_buf body, out;
    nw_buf_init(&body, 1 << 22, false);
    nw_buf_init(&out, 1 << 20, true);
    assert_int_equal(nw_buf_appendf(&body, "{\"KeyId\":\"%s\",\"Plaintext\":\"", key), NW_OK);
    for (int i = 0; i < 2000; i++)
        assert_int_equal(nw_buf_append_str(&body, "AAAA"), NW_OK);
    assert_int_equal(nw_buf_append_str(&body, "\"}"), NW_OK);
    expect(nw_aws_json_call(c, &out, "Encrypt", nw_buf_cur(&body), true, &e), NW_ERR_AWS_VALIDATION,
           &e, "ValidationException");
    body.len = 0;
    assert_int_equal(nw_buf_append_str(&body, "{\"KeyId\":\"x\",\"Plaintext\":\""), NW_OK);
    for (int i = 0; i < 800000; i++) /* 3.2 MB: over any sane request limit */
        assert_int_equal(nw_buf_append_str(&body, "AAAA"), NW_OK);
    assert_int_equal(nw_buf_append_str(&body, "\"}"), NW_OK);
    expect(nw_aws_json_call(c, &out, "Encrypt", nw_buf_cur(&body), false, &e),
           NW_ERR_AWS_VALIDATION, &e, "RequestEntityTooLargeException");
    assert_int_equal(e.http_status, 413);
    nw_buf_clear(&body);
    nw_buf_clear(&out);
    struct nw_aws_config small = {.max_response_bytes = 64, .max_attempts = 1};
    struct nw_aws_client *cs = client(NW_AWS_KMS, p, &small);
    expect(nw_kms_describe_key(cs, &r, &dk, &e), NW_ERR_TOO_LARGE, &e, NULL);
    nw_aws_client_free(cs);

    /* Disabled key. */
    char dis[2300];
    snprintf(dis, sizeof(dis), "{\"KeyId\":\"%s\"}", key2);
    raw_ok(c, "DisableKey", dis);
    struct nw_kms_request dq = {.key_id = key2, .plaintext = nw_cur_str("x")};
    expect(nw_kms_encrypt(c, &r, &dq, &e), NW_ERR_AWS_DISABLED, &e, "DisabledException");
    struct nw_kms_request dd = {.key_id = key2};
    assert_int_equal(nw_kms_describe_key(c, &r, &dd, &e), NW_OK);
    assert_string_equal(r.key_state, "Disabled");

    nw_kms_result_clear(&r);
    nw_kms_result_clear(&r2);
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);
}

/* ---- authentication failures ------------------------------------------------------------ */

static void test_auth_failures(void **state)
{
    (void)state;
    use_env(&E);
    struct nw_aws_creds cr;
    struct nw_aws_creds_provider *p;
    struct nw_aws_error e;
    struct nw_kms_result r;
    nw_kms_result_init(&r);
    struct nw_kms_request q = {.number_of_bytes = 8};

    /* Bad signature: the right key id with a wrong (canary) secret. */
    assert_int_equal(
        nw_aws_creds_set(&cr, emu_get(&E, "AWS_ACCESS_KEY_ID"), CANARY_SECRET, NULL, 0), NW_OK);
    assert_int_equal(nw_aws_creds_provider_static(&p, &cr), NW_OK);
    struct nw_aws_client *c = client(NW_AWS_KMS, p, NULL);
    expect(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_AWS_SIGNATURE, &e,
           "InvalidSignatureException");
    assert_int_equal(e.attempts, 1); /* a 400 is not retried */
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);

    /* Unknown access key (with the canary secret and token). */
    assert_int_equal(nw_aws_creds_set(&cr, "ASIAUNKNOWN000000000", CANARY_SECRET, CANARY_TOKEN, 0),
                     NW_OK);
    assert_int_equal(nw_aws_creds_provider_static(&p, &cr), NW_OK);
    c = client(NW_AWS_KMS, p, NULL);
    expect(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_AWS_UNRECOGNIZED, &e,
           "UnrecognizedClientException");
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);

    /* Clock skew: the right credentials, signed an hour in the past. */
    assert_int_equal(nw_aws_creds_provider_env(&p), NW_OK);
    int64_t skew = -3600;
    struct nw_aws_config sk = {.clock = skewed_clock, .clock_arg = &skew};
    c = client(NW_AWS_KMS, p, &sk);
    expect(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_AWS_SIGNATURE, &e,
           "InvalidSignatureException");
    assert_non_null(strstr(e.message, "expired"));
    skew = 0;
    assert_int_equal(nw_kms_generate_random(c, &r, &q, &e), NW_OK);
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);

    /* Expired session token: a 2-second session of the instance role. */
    json_t *s = admin(&E, "create-access-key nw-instance-role --session-s 2", NULL);
    assert_int_equal(nw_aws_creds_set(&cr, json_string_value(json_object_get(s, "AccessKeyId")),
                                      json_string_value(json_object_get(s, "SecretAccessKey")),
                                      json_string_value(json_object_get(s, "Token")), 0),
                     NW_OK);
    json_decref(s);
    assert_int_equal(nw_aws_creds_provider_static(&p, &cr), NW_OK);
    c = client(NW_AWS_KMS, p, NULL);
    sleep(3);
    expect(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_AWS_EXPIRED_TOKEN, &e,
           "ExpiredTokenException");
    assert_int_equal(e.http_status, 403);
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);
    nw_aws_creds_clear(&cr);

    /* TLS against a CA that did not sign the emulator's certificate. */
    const char *wrong_ca = nwt_testdata("attestation/aws_nitro_enclaves_root_g1.pem");
    if (wrong_ca == NULL)
        wrong_ca = "/etc/ssl/certs/ca-certificates.crt";
    assert_int_equal(nw_aws_creds_provider_env(&p), NW_OK);
    struct nw_aws_config bad_ca = {.ca_file = wrong_ca, .max_attempts = 3};
    c = client(NW_AWS_KMS, p, &bad_ca);
    expect(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_HTTP_TLS, &e, NULL);
    assert_int_equal(e.attempts, 1); /* never retried */
    nw_aws_client_free(c);
    /* The service name as TLS name and Host while connecting to the emulator's address: its
     * certificate carries kms.<region>.amazonaws.com, so this verifies. */
    char ep[128], addr[128];
    snprintf(ep, sizeof(ep), "https://kms.%s.amazonaws.com", emu_get(&E, "AWS_REGION"));
    snprintf(addr, sizeof(addr), "%s", emu_get(&E, "NW_DEVAWS_ADDR"));
    struct nw_aws_config sni = {.endpoint_url = ep, .connect_to = addr};
    c = client(NW_AWS_KMS, p, &sni);
    assert_int_equal(nw_kms_generate_random(c, &r, &q, &e), NW_OK);
    nw_aws_client_free(c);
    /* ... and a name the certificate does not carry fails verification. */
    struct nw_aws_config badname = {.endpoint_url = "https://kms.example.org", .connect_to = addr};
    c = client(NW_AWS_KMS, p, &badname);
    expect(nw_kms_generate_random(c, &r, &q, &e), NW_ERR_HTTP_TLS, &e, NULL);
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);
    nw_kms_result_clear(&r);
}

/* ---- policies --------------------------------------------------------------------------- */

static void test_policy_deny(void **state)
{
    (void)state;
    use_env(&E);
    struct nw_aws_creds_provider *admin_p, *app_p;
    assert_int_equal(nw_aws_creds_provider_env(&admin_p), NW_OK);
    struct nw_aws_client *ak = client(NW_AWS_KMS, admin_p, NULL);
    char key[2049];
    create_key(ak, key);
    json_decref(admin(&E, "create-role app-role", NULL));
    json_t *k = admin(&E, "create-access-key app-role", NULL);
    struct nw_aws_creds cr;
    assert_int_equal(nw_aws_creds_set(&cr, json_string_value(json_object_get(k, "AccessKeyId")),
                                      json_string_value(json_object_get(k, "SecretAccessKey")),
                                      json_string_value(json_object_get(k, "Token")), 0),
                     NW_OK);
    json_decref(k);
    assert_int_equal(nw_aws_creds_provider_static(&app_p, &cr), NW_OK);
    nw_aws_creds_clear(&cr);
    struct nw_aws_client *app = client(NW_AWS_KMS, app_p, NULL);
    struct nw_kms_result r;
    nw_kms_result_init(&r);
    struct nw_aws_error e;
    struct nw_kms_request q = {.key_id = key, .plaintext = nw_cur_str("x")};
    expect(nw_kms_encrypt(app, &r, &q, &e), NW_ERR_AWS_ACCESS_DENIED, &e, "AccessDeniedException");
    assert_non_null(strstr(e.message, "kms:Encrypt"));
    /* Grant Encrypt through an identity policy: allowed; Decrypt is still denied. */
    json_decref(admin(&E, "put-role-policy app-role -",
                      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                      "\"Action\":[\"kms:Encrypt\",\"secretsmanager:DescribeSecret\"],"
                      "\"Resource\":\"*\"}]}"));
    assert_int_equal(nw_kms_encrypt(app, &r, &q, &e), NW_OK);
    struct nw_kms_request d = {.ciphertext_blob = nw_buf_cur(&r.ciphertext_blob)};
    struct nw_kms_result r2;
    nw_kms_result_init(&r2);
    expect(nw_kms_decrypt(app, &r2, &d, &e), NW_ERR_AWS_ACCESS_DENIED, &e, "AccessDeniedException");
    /* Secrets Manager: no GetSecretValue permission. */
    struct nw_aws_client *asm_ = client(NW_AWS_SECRETS_MANAGER, app_p, NULL);
    struct nw_sm_result sr;
    nw_sm_result_init(&sr);
    struct nw_sm_request g = {.secret_id = "nw/it/anything"};
    nw_err serr = nw_sm_get_secret_value(asm_, &sr, &g, &e);
    assert_true(serr == NW_ERR_AWS_ACCESS_DENIED || serr == NW_ERR_AWS_NOT_FOUND);
    nw_sm_result_clear(&sr);
    nw_kms_result_clear(&r);
    nw_kms_result_clear(&r2);
    nw_aws_client_free(asm_);
    nw_aws_client_free(app);
    nw_aws_client_free(ak);
    nw_aws_creds_provider_free(app_p);
    nw_aws_creds_provider_free(admin_p);
}

/* ---- Secrets Manager -------------------------------------------------------------------- */

static void test_secrets(void **state)
{
    (void)state;
    use_env(&E);
    struct nw_aws_creds_provider *p;
    assert_int_equal(nw_aws_creds_provider_env(&p), NW_OK);
    struct nw_aws_client *c = client(NW_AWS_SECRETS_MANAGER, p, NULL);
    struct nw_sm_result r;
    nw_sm_result_init(&r);
    struct nw_aws_error e;

    struct nw_sm_request cq = {
        .name = "nw/it/key1", .description = "first", .secret_string = nw_cur_str("AQIDBAUG")};
    assert_int_equal(nw_sm_create_secret(c, &r, &cq, &e), NW_OK);
    assert_non_null(strstr(r.arn, ":secret:nw/it/key1-"));
    assert_string_equal(r.name, "nw/it/key1");
    char arn[2049];
    memcpy(arn, r.arn, sizeof(arn));
    expect(nw_sm_create_secret(c, &r, &cq, &e), NW_ERR_AWS_EXISTS, &e, "ResourceExistsException");

    struct nw_sm_request gq = {.secret_id = "nw/it/key1"};
    assert_int_equal(nw_sm_get_secret_value(c, &r, &gq, &e), NW_OK);
    assert_true(r.has_string);
    assert_int_equal(r.secret_string.len, 8);
    assert_memory_equal(r.secret_string.ptr, "AQIDBAUG", 8);
    assert_string_equal(r.arn, arn);

    struct nw_sm_request pq = {.secret_id = arn, .secret_string = nw_cur_str("second value")};
    assert_int_equal(nw_sm_put_secret_value(c, &r, &pq, &e), NW_OK);
    char v2[65];
    memcpy(v2, r.version_id, sizeof(v2));
    assert_true(v2[0] != '\0');
    assert_int_equal(nw_sm_get_secret_value(c, &r, &gq, &e), NW_OK);
    assert_int_equal(r.secret_string.len, 12);
    assert_string_equal(r.version_id, v2);

    struct nw_sm_request uq = {.secret_id = "nw/it/key1",
                               .description = "updated",
                               .secret_binary = nw_cur_str("\x00\x01\x02\xff")};
    uq.secret_binary.len = 4;
    assert_int_equal(nw_sm_update_secret(c, &r, &uq, &e), NW_OK);
    assert_int_equal(nw_sm_get_secret_value(c, &r, &gq, &e), NW_OK);
    assert_true(r.has_binary);
    assert_int_equal(r.secret_binary.len, 4);
    assert_memory_equal(r.secret_binary.ptr, "\x00\x01\x02\xff", 4);
    assert_int_equal(nw_sm_describe_secret(c, &r, &gq, &e), NW_OK);
    assert_string_equal(r.description, "updated");
    assert_string_equal(r.arn, arn);
    assert_true(r.created_date > 1600000000);

    /* Missing secret; an oversize value refused locally and (sent raw) by the service. */
    struct nw_sm_request mq = {.secret_id = "nw/it/missing"};
    expect(nw_sm_get_secret_value(c, &r, &mq, &e), NW_ERR_AWS_NOT_FOUND, &e,
           "ResourceNotFoundException");
    expect(nw_sm_describe_secret(c, &r, &mq, &e), NW_ERR_AWS_NOT_FOUND, &e,
           "ResourceNotFoundException");
    struct nw_sm_request pm = {.secret_id = "nw/it/missing", .secret_string = nw_cur_str("v")};
    expect(nw_sm_put_secret_value(c, &r, &pm, &e), NW_ERR_AWS_NOT_FOUND, &e,
           "ResourceNotFoundException");
    static char huge[65537];
    memset(huge, 'v', sizeof(huge));
    struct nw_sm_request hq = {.secret_id = "nw/it/key1",
                               .secret_string = nw_cur_of(huge, sizeof(huge))};
    assert_int_equal(nw_sm_put_secret_value(c, &r, &hq, &e), NW_ERR_INVALID_ARG);
    struct nw_buf body, out;
    nw_buf_init(&body, 1 << 20, false);
    nw_buf_init(&out, 1 << 20, true);
    assert_int_equal(nw_buf_append_str(&body, "{\"SecretId\":\"nw/it/key1\",\"ClientRequestToken\":"
                                              "\"0123456789abcdef0123456789abcdef\","
                                              "\"SecretString\":\""),
                     NW_OK);
    assert_int_equal(nw_buf_append(&body, huge, sizeof(huge)), NW_OK);
    assert_int_equal(nw_buf_append_str(&body, "\"}"), NW_OK);
    nw_err herr = nw_aws_json_call(c, &out, "PutSecretValue", nw_buf_cur(&body), false, &e);
    assert_true(herr == NW_ERR_AWS_VALIDATION);
    nw_buf_clear(&body);
    nw_buf_clear(&out);

    nw_sm_result_clear(&r);
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);
}

/* ---- IMDS and the unix: transport ------------------------------------------------------- */

static void test_imds_and_unix(void **state)
{
    (void)state;
    use_env(&EU);
    /* The emulator's instance role may encrypt under this key. */
    struct nw_aws_creds_provider *admin_p;
    assert_int_equal(nw_aws_creds_provider_env(&admin_p), NW_OK);
    char addr[300];
    snprintf(addr, sizeof(addr), "%s", emu_get(&EU, "NW_DEVAWS_ADDR"));
    assert_true(strncmp(addr, "unix:", 5) == 0);
    struct nw_aws_config ux = {.endpoint_url = "https://localhost", .connect_to = addr};
    struct nw_aws_client *ak = client(NW_AWS_KMS, admin_p, &ux);
    char key[2049], pol[3000];
    create_key(ak, key);
    snprintf(
        pol, sizeof(pol),
        "{\"KeyId\":\"%s\",\"PolicyName\":\"default\",\"Policy\":\"{\\\"Version\\\":"
        "\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":"
        "{\\\"AWS\\\":\\\"arn:aws:iam::%s:root\\\"},\\\"Action\\\":\\\"kms:*\\\","
        "\\\"Resource\\\":\\\"*\\\"},{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":{"
        "\\\"AWS\\\":\\\"%s\\\"},\\\"Action\\\":\\\"kms:Encrypt\\\",\\\"Resource\\\":"
        "\\\"*\\\"}]}\"}",
        key, emu_get(&EU, "NW_DEVAWS_ACCOUNT"), emu_get(&EU, "NW_DEVAWS_INSTANCE_ROLE_ARN"));
    raw_ok(ak, "PutKeyPolicy", pol);

    /* IMDS over unix: as well; the provider refreshes ahead of Expiration. */
    char iaddr[300];
    snprintf(iaddr, sizeof(iaddr), "%s", emu_get(&EU, "NW_DEVAWS_IMDS_ADDR"));
    struct nw_imds_opts io = {.endpoint = "http://localhost", .connect_to = iaddr};
    struct nw_aws_creds_provider *ip;
    assert_int_equal(nw_aws_creds_provider_imds(&ip, &io, 8), NW_OK);
    struct nw_aws_creds a, b;
    struct nw_aws_error e;
    assert_int_equal(nw_aws_creds_provider_get(ip, &a, (int64_t)time(NULL), &e), NW_OK);
    assert_true(strncmp(a.access_key_id, "ASIA", 4) == 0);
    assert_true(a.session_token[0] != '\0');
    assert_true(a.expiration_s > (int64_t)time(NULL));
    assert_int_equal(nw_aws_creds_provider_get(ip, &b, (int64_t)time(NULL), &e), NW_OK);
    assert_string_equal(a.access_key_id, b.access_key_id); /* cached */
    struct nw_aws_client *ic = client(NW_AWS_KMS, ip, &ux);
    struct nw_kms_result r;
    nw_kms_result_init(&r);
    struct nw_kms_request q = {.key_id = key, .plaintext = nw_cur_str("x")};
    assert_int_equal(nw_kms_encrypt(ic, &r, &q, &e), NW_OK);
    sleep(7); /* lifetime 12 s: past half-life the emulator rotates; within 8 s we refresh */
    assert_int_equal(nw_aws_creds_provider_get(ip, &b, (int64_t)time(NULL), &e), NW_OK);
    assert_string_not_equal(a.access_key_id, b.access_key_id);
    assert_int_equal(nw_kms_encrypt(ic, &r, &q, &e), NW_OK);

    struct nw_imds *m;
    assert_int_equal(nw_imds_new(&m, &io), NW_OK);
    struct nw_imds_identity id;
    assert_int_equal(nw_imds_identity(m, &id, &e), NW_OK);
    assert_string_equal(id.region, emu_get(&EU, "AWS_REGION"));
    assert_string_equal(id.account_id, emu_get(&EU, "NW_DEVAWS_ACCOUNT"));
    nw_imds_free(m);

    nw_aws_creds_clear(&a);
    nw_aws_creds_clear(&b);
    nw_kms_result_clear(&r);
    nw_aws_client_free(ic);
    nw_aws_client_free(ak);
    nw_aws_creds_provider_free(ip);
    nw_aws_creds_provider_free(admin_p);
}

static int setup(void **state)
{
    (void)state;
    if (emu_start(&E, NULL, 0) != 0) {
        fprintf(stderr, "nw-devaws did not start\n");
        return -1;
    }
    const char *ux[] = {"--listen",           "unix:{D}/api.sock", "--imds-listen",
                        "unix:{D}/imds.sock", "--cred-lifetime-s", "12"};
    if (emu_start(&EU, ux, NW_ARRAY_LEN(ux)) != 0) {
        fprintf(stderr, "nw-devaws (unix) did not start\n");
        return -1;
    }
    return 0;
}

/* The emulator must not have logged the canaries either. */
static void check_log(const struct emu *e)
{
    char path[200];
    size_t n = 0;
    snprintf(path, sizeof(path), "%s/server.log", e->dir);
    char *log = (char *)nwt_read_file(path, &n);
    if (log == NULL)
        return;
    if (strstr(log, "nwCanarySecretKey") != NULL || strstr(log, "nwCanarySessionToken") != NULL) {
        fprintf(stderr, "FAIL: a canary appears in the nw-devaws log %s\n", path);
        exit(1);
    }
    free(log);
}

static int teardown(void **state)
{
    (void)state;
    check_log(&E);
    check_log(&EU);
    emu_stop(&E);
    emu_stop(&EU);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH/TO/nw-devaws\n", argv[0]);
        return 2;
    }
    DEVAWS = argv[1];
    signal(SIGPIPE, SIG_IGN);
    if (nw_http_global_init(true) != NW_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kms),           cmocka_unit_test(test_auth_failures),
        cmocka_unit_test(test_policy_deny),   cmocka_unit_test(test_secrets),
        cmocka_unit_test(test_imds_and_unix),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

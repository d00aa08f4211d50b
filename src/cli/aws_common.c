/*
 * AWS plumbing of the CLI (cli_aws.h): common options, clients, error reports, and
 * `nw keygen --kms-key-id`.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <nw/base64.h>
#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/mem.h>

#include "cli_aws.h"

void nw_cli_aws_opts_init(struct nw_cli_aws_opts *o)
{
    memset(o, 0, sizeof(*o));
}

bool nw_cli_aws_opt(struct nw_cli_aws_opts *o, int id, const char *v)
{
    switch (id) {
        case NW_CLI_O_PROFILE:
            o->profile = v;
            return true;
        case NW_CLI_O_REGION:
            o->region = v;
            return true;
        case NW_CLI_O_ENDPOINT_URL:
            o->endpoint_url = v;
            return true;
        case NW_CLI_O_CA_BUNDLE:
            o->ca_bundle = v;
            return true;
        case NW_CLI_O_ALLOW_HTTP:
            o->allow_http = true;
            return true;
        case NW_CLI_O_KMS_KEY_ID:
            o->kms_key_id = v;
            return true;
        case NW_CLI_O_FORM:
            o->form = v;
            return v != NULL && (strcmp(v, "secret") == 0 || strcmp(v, "store") == 0);
        case NW_CLI_O_SECRET_ID:
            o->secret_id = v;
            return true;
        default:
            return false;
    }
}

int nw_cli_aws_open(struct nw_cli_aws *a, enum nw_aws_service svc, const struct nw_cli_aws_opts *o)
{
    struct nw_aws_config cfg;
    struct nw_aws_cli_opts ro;
    struct nw_diag diag;
    nw_err err;
    memset(a, 0, sizeof(*a));
    memset(&cfg, 0, sizeof(cfg));
    memset(&ro, 0, sizeof(ro));
    memset(&diag, 0, sizeof(diag));
    ro.profile = o->profile;
    ro.region = o->region;
    ro.endpoint_url = o->endpoint_url;
    ro.ca_bundle = o->ca_bundle;
    ro.allow_http = o->allow_http;
    /* The SDKs' switch for the instance-metadata fallback (laptops, CI, tests). */
    const char *no_imds = getenv("AWS_EC2_METADATA_DISABLED");
    ro.no_imds = no_imds != NULL && strcasecmp(no_imds, "true") == 0;
    if ((err = nw_aws_resolve(&a->res, &diag, &ro)) != NW_OK)
        return nw_cli_fail_err(err, diag.code == err ? diag.msg : NULL);
    nw_aws_resolved_apply(&cfg, &a->res);
    const char *addr = getenv("NW_DEVAWS_ADDR");
    if (addr != NULL && strncmp(addr, "unix:", 5) == 0) {
        cfg.connect_to = addr;
        if (cfg.endpoint_url == NULL)
            cfg.endpoint_url = "https://localhost";
    }
    cfg.max_attempts = 1;
    if ((err = nw_aws_client_new(&a->client, svc, &cfg, &diag)) != NW_OK)
        return nw_cli_fail_err(err, diag.code == err ? diag.msg : NULL);
    return NW_CLI_EXIT_OK;
}

void nw_cli_aws_done(struct nw_cli_aws *a)
{
    nw_aws_client_free(a->client);
    nw_aws_resolved_clear(&a->res);
    memset(a, 0, sizeof(*a));
}

int nw_cli_aws_fail(nw_err err, const struct nw_aws_error *aerr)
{
    if (aerr != NULL && aerr->name[0] != '\0')
        return nw_cli_fail(aerr->name, aerr->message);
    return nw_cli_fail_err(err, aerr != NULL ? aerr->message : NULL);
}

/* Print a small JSON object, or write its text to out (a new file, or stdout for "-"). */
static int emit(json_t *o, const char *out)
{
    char *t = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    int rc;
    if (t == NULL)
        rc = nw_cli_fail_err(NW_ERR_NOMEM, NULL);
    else if (out == NULL)
        rc = nw_cli_print_line(nw_cur_str(t));
    else {
        size_t n = strlen(t);
        t[n] = '\n'; /* json_dumps' NUL becomes the newline; length n + 1 */
        nw_err err = nw_cli_write_new_file(out, t, n + 1);
        t[n] = '\0';
        rc = err == NW_OK
                 ? NW_CLI_EXIT_OK
                 : nw_cli_fail_errf(err, "%s %s",
                                    err == NW_ERR_EXISTS ? "refusing to overwrite" : "cannot write",
                                    out);
    }
    nw_cli_json_free(t);
    return rc;
}

/* The seed's form: base64(KMS ciphertext of the key's hex text), optionally a new secret. */
static int keygen_secret(struct nw_cli_aws *kms,
                         const struct nw_cli_aws_opts *o,
                         const char *out,
                         const char *addr,
                         const struct nw_seckey *key)
{
    struct nw_kms_result r;
    struct nw_aws_error aerr;
    struct nw_buf b64;
    char hex[65];
    int rc = NW_CLI_EXIT_ERR;
    json_t *j = NULL;
    nw_aws_error_reset(&aerr); /* read by nw_cli_aws_fail even when no AWS call was made */
    nw_kms_result_init(&r);
    nw_buf_init(&b64, 16384, false);
    nw_err err = nw_hex_encode(hex, sizeof(hex), key->b, 32, false);
    struct nw_kms_request req = {.key_id = o->kms_key_id, .plaintext = nw_cur_of(hex, 64)};
    if (err == NW_OK)
        err = nw_kms_encrypt(kms->client, &r, &req, &aerr);
    nw_wipe(hex, sizeof(hex));
    if (err != NW_OK) {
        rc = nw_cli_aws_fail(err, &aerr);
        goto out;
    }
    if ((err = nw_base64_encode(&b64, nw_buf_cur(&r.ciphertext_blob))) != NW_OK ||
        (err = nw_buf_cstr(&b64)) != NW_OK) {
        rc = nw_cli_fail_err(err, NULL);
        goto out;
    }
    j = json_pack("{s:s,s:s,s:s}", "address", addr, "kms_key_id", r.key_id, "secret_string",
                  (const char *)b64.ptr);
    if (o->secret_id != NULL) {
        struct nw_cli_aws sm;
        struct nw_sm_result s;
        struct nw_sm_request sreq = {.name = o->secret_id, .secret_string = nw_buf_cur(&b64)};
        nw_sm_result_init(&s);
        rc = nw_cli_aws_open(&sm, NW_AWS_SECRETS_MANAGER, o);
        if (rc == NW_CLI_EXIT_OK &&
            (err = nw_sm_create_secret(sm.client, &s, &sreq, &aerr)) != NW_OK)
            rc = nw_cli_aws_fail(err, &aerr);
        if (rc == NW_CLI_EXIT_OK)
            (void)json_object_set_new(j, "secret_arn", json_string(s.arn));
        nw_sm_result_clear(&s);
        nw_cli_aws_done(&sm);
        if (rc != NW_CLI_EXIT_OK)
            goto out;
    }
    if (out != NULL && strcmp(out, "-") == 0) { /* just the SecretString text */
        (void)json_object_del(j, "address");
        rc = nw_cli_print_line(nw_buf_cur(&b64));
    } else if (out != NULL) {
        nw_err e = nw_buf_append_byte(&b64, '\n');
        e = e == NW_OK ? nw_cli_write_new_file(out, b64.ptr, b64.len) : e;
        rc = e == NW_OK ? NW_CLI_EXIT_OK : nw_cli_fail_errf(e, "cannot write %s", out);
        if (rc == NW_CLI_EXIT_OK) {
            (void)json_object_del(j, "secret_string");
            (void)json_object_set_new(j, "file", json_string(out));
            rc = emit(j, NULL);
        }
    } else {
        rc = emit(j, NULL);
    }
out:
    json_decref(j);
    nw_kms_result_clear(&r);
    nw_buf_clear(&b64);
    return rc;
}

/* The key store's import form: the raw key under KMS, bound to a fresh id by its context. */
static int keygen_store(struct nw_cli_aws *kms,
                        const struct nw_cli_aws_opts *o,
                        const char *out,
                        const uint8_t addr20[20],
                        const struct nw_seckey *key)
{
    struct nw_kms_result r;
    struct nw_aws_error aerr;
    struct nw_buf b64;
    uint8_t rnd[16];
    char id[37], lower[43];
    int rc;
    nw_kms_result_init(&r);
    nw_buf_init(&b64, 16384, false);
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        rc = nw_cli_fail_err(NW_ERR_CRYPTO, "getrandom");
        goto out;
    }
    nw_uuid4_format(id, rnd);
    struct nw_kms_kv ctx = {"nw:key_id", id};
    struct nw_kms_request req = {.key_id = o->kms_key_id,
                                 .plaintext = nw_cur_of(key->b, 32),
                                 .context = &ctx,
                                 .n_context = 1};
    nw_err err = nw_kms_encrypt(kms->client, &r, &req, &aerr);
    if (err != NW_OK) {
        rc = nw_cli_aws_fail(err, &aerr);
        goto out;
    }
    if ((err = nw_base64_encode(&b64, nw_buf_cur(&r.ciphertext_blob))) != NW_OK ||
        (err = nw_buf_cstr(&b64)) != NW_OK ||
        (err = nw_hex_encode(lower, sizeof(lower), addr20, 20, true)) != NW_OK) {
        rc = nw_cli_fail_err(err, NULL);
        goto out;
    }
    json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "id", id, "address", lower, "kms_key_id", r.key_id,
                          "ciphertext", (const char *)b64.ptr);
    rc = emit(j, out);
    json_decref(j);
out:
    nw_kms_result_clear(&r);
    nw_buf_clear(&b64);
    return rc;
}

int nw_cli_keygen_kms(const struct nw_cli_aws_opts *o,
                      const char *out,
                      const uint8_t addr20[20],
                      const struct nw_seckey *key)
{
    struct nw_cli_aws kms;
    char addr[NW_ETHADDR_TEXT_LEN];
    nw_ethaddr_format(addr, addr20);
    int rc = nw_cli_aws_open(&kms, NW_AWS_KMS, o);
    if (rc == NW_CLI_EXIT_OK) {
        bool store = o->form != NULL && strcmp(o->form, "store") == 0;
        if (store && o->secret_id != NULL)
            rc = nw_cli_fail_err(NW_ERR_INVALID_ARG, "--secret-id goes with --form secret");
        else
            rc = store ? keygen_store(&kms, o, out, addr20, key)
                       : keygen_secret(&kms, o, out, addr, key);
    }
    nw_cli_aws_done(&kms);
    return rc;
}

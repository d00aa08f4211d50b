/*
 * nw commands of the aws area: KMS and Secrets Manager administration through libnwaws, the
 * way the AWS CLI drives the services (and so against nw-devaws after `. DIR/env`):
 *
 *   nw kms create-key [--description D] [--policy FILE]
 *   nw kms describe-key --key-id K
 *   nw kms create-alias --alias-name alias/N --key-id K
 *   nw kms put-key-policy --key-id K --policy FILE
 *   nw kms get-key-policy --key-id K
 *   nw kms encrypt --key-id K [--context KEY=VALUE]...    plaintext on stdin, base64 blob out
 *   nw kms decrypt [--key-id K] [--context KEY=VALUE]...  base64 blob on stdin, plaintext out
 *   nw secrets create --name N [--description D] [--value-stdin]
 *   nw secrets put --name N --value-stdin
 *   nw secrets get --name N [--version-stage S | --version-id V]   SecretString out
 *
 * Settings come from the environment as in the AWS SDKs (AWS_REGION, AWS_ENDPOINT_URL_KMS,
 * AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_CA_BUNDLE, AWS_ACCESS_KEY_ID, ...). When
 * NW_DEVAWS_ADDR names a unix: socket, requests go there (https://localhost in the URL).
 * Responses are printed as JSON, except plaintexts and secret values, printed raw.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nw/aws.h>
#include <nw/mem.h>

#include "cli.h"

#define CLI_INPUT_MAX ((size_t)64 * 1024)

struct args {
    const char *key_id, *description, *policy, *alias, *name, *stage, *version;
    bool value_stdin;
    json_t *context;
};

static bool parse_args(struct args *a, int argc, char **argv)
{
    memset(a, 0, sizeof(*a));
    a->context = json_object();
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = NULL;
        if (strcmp(o, "--value-stdin") == 0) {
            a->value_stdin = true;
            continue;
        }
        if (strcmp(o, "--key-id") == 0)
            slot = &a->key_id;
        else if (strcmp(o, "--description") == 0)
            slot = &a->description;
        else if (strcmp(o, "--policy") == 0)
            slot = &a->policy;
        else if (strcmp(o, "--alias-name") == 0)
            slot = &a->alias;
        else if (strcmp(o, "--name") == 0)
            slot = &a->name;
        else if (strcmp(o, "--version-stage") == 0)
            slot = &a->stage;
        else if (strcmp(o, "--version-id") == 0)
            slot = &a->version;
        if (v == NULL)
            return false;
        if (strcmp(o, "--context") == 0) {
            const char *eq = strchr(v, '=');
            if (eq == NULL || eq == v)
                return false;
            char k[256];
            if ((size_t)(eq - v) >= sizeof(k))
                return false;
            memcpy(k, v, (size_t)(eq - v));
            k[eq - v] = '\0';
            /* jansson refuses non-UTF-8 keys and values; never drop a pair silently */
            if (json_object_set_new(a->context, k, json_string(eq + 1)) != 0)
                return false;
        } else if (slot != NULL) {
            /* values (not the policy path) go into JSON strings: refuse what jansson would drop */
            json_t *t = slot == &a->policy ? NULL : json_string(v);
            if (slot != &a->policy && t == NULL)
                return false;
            json_decref(t);
            *slot = v;
        } else {
            return false;
        }
        i++;
    }
    return true;
}

/*
 * One JSON 1.1 call. body is consumed. On success *out is the parsed answer. Errors are
 * reported as the CLI's JSON error (AWS error name and message) and returned as an exit code.
 */
static int call(enum nw_aws_service svc, const char *op, json_t *body, json_t **out)
{
    struct nw_aws_creds_provider *prov = NULL;
    struct nw_aws_client *client = NULL;
    struct nw_aws_error aerr;
    struct nw_diag diag;
    struct nw_buf req, resp;
    int rc = NW_CLI_EXIT_ERR;
    nw_err err;
    *out = NULL;
    nw_aws_error_reset(&aerr);
    memset(&diag, 0, sizeof(diag));
    nw_buf_init(&req, (size_t)1024 * 1024, true);
    nw_buf_init(&resp, 4 * (size_t)1024 * 1024, true);
    size_t n = json_dumpb(body, NULL, 0, JSON_COMPACT);
    if (n == 0 || nw_buf_reserve(&req, n) != NW_OK) {
        rc = nw_cli_fail_err(NW_ERR_NOMEM, "request");
        goto out;
    }
    req.len = json_dumpb(body, (char *)req.ptr, n, JSON_COMPACT);
    struct nw_aws_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    const char *addr = getenv("NW_DEVAWS_ADDR");
    if (addr != NULL && strncmp(addr, "unix:", 5) == 0) {
        cfg.connect_to = addr;
        cfg.endpoint_url = "https://localhost";
    }
    if ((err = nw_aws_creds_provider_env(&prov)) != NW_OK) {
        rc = nw_cli_fail_err(err, "credentials from the environment");
        goto out;
    }
    cfg.creds = prov;
    cfg.max_attempts = 1;
    if ((err = nw_aws_client_new(&client, svc, &cfg, &diag)) != NW_OK) {
        rc = nw_cli_fail_err(err, diag.msg);
        goto out;
    }
    err = nw_aws_json_call(client, &resp, op, nw_buf_cur(&req), false, &aerr);
    if (err != NW_OK) {
        rc = aerr.name[0] ? nw_cli_fail(aerr.name, aerr.message)
                          : nw_cli_fail_err(err, aerr.message);
        goto out;
    }
    *out = json_loadb((const char *)resp.ptr, resp.len, 0, NULL);
    rc = *out != NULL ? NW_CLI_EXIT_OK : nw_cli_fail_err(NW_ERR_JSON, "response");
out:
    json_decref(body);
    nw_aws_client_free(client);
    nw_aws_creds_provider_free(prov);
    nw_buf_clear(&req);
    nw_buf_clear(&resp);
    return rc;
}

static int print_json(json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (s == NULL)
        return nw_cli_fail_err(NW_ERR_NOMEM, "output");
    (void)fprintf(stdout, "%s\n", s);
    nw_wiping_free(s);
    return NW_CLI_EXIT_OK;
}

/* Call, then print the whole answer as JSON. */
static int call_print(enum nw_aws_service svc, const char *op, json_t *body)
{
    json_t *out = NULL;
    int rc = call(svc, op, body, &out);
    if (rc == NW_CLI_EXIT_OK)
        rc = print_json(out);
    json_decref(out);
    return rc;
}

/* Read a file as a JSON string member (policies are sent as text). */
static int file_text(json_t *body, const char *member, const char *path)
{
    struct nw_buf b;
    nw_buf_init(&b, CLI_INPUT_MAX, false);
    nw_err err = nw_cli_read_file(&b, path, CLI_INPUT_MAX);
    if (err == NW_OK)
        err = nw_buf_cstr(&b);
    if (err == NW_OK &&
        json_object_set_new(body, member, json_stringn((const char *)b.ptr, b.len)) != 0)
        err = NW_ERR_INVALID_ARG; /* not UTF-8: never send the request without it */
    nw_buf_clear(&b);
    return err == NW_OK ? NW_CLI_EXIT_OK : nw_cli_fail_err(err, path);
}

/* Trim trailing whitespace (a newline after pasted base64). */
static void rtrim(struct nw_buf *b)
{
    while (b->len > 0 && strchr(" \t\r\n", b->ptr[b->len - 1]) != NULL)
        b->len--;
}

/* Write base64 text as raw bytes to stdout (the decrypted plaintext). */
static int write_b64(const char *text)
{
    size_t n = text ? strlen(text) : 0;
    int rc = NW_CLI_EXIT_OK;
    if (n == 0 || n % 4 != 0 || n > 0x7fffffff)
        return nw_cli_fail_err(NW_ERR_JSON, "Plaintext is not base64");
    uint8_t *raw = nw_malloc(n);
    if (raw == NULL)
        return nw_cli_fail_err(NW_ERR_NOMEM, "output");
    int w = EVP_DecodeBlock(raw, (const unsigned char *)text, (int)n);
    size_t pad = (size_t)(text[n - 1] == '=') + (size_t)(text[n - 2] == '=');
    if (w < 0 || (size_t)w < pad)
        rc = nw_cli_fail_err(NW_ERR_JSON, "Plaintext is not base64");
    else if (fwrite(raw, 1, (size_t)w - pad, stdout) != (size_t)w - pad)
        rc = nw_cli_fail_err(NW_ERR_IO, "stdout");
    nw_free_secret(raw, n);
    return rc;
}

/* encrypt: stdin plaintext -> CiphertextBlob (base64); decrypt: base64 blob -> plaintext. */
static int kms_crypt(json_t *body, const struct args *a, bool encrypt)
{
    struct nw_buf in, b64;
    json_t *out = NULL;
    int rc;
    nw_buf_init(&in, CLI_INPUT_MAX, true);
    nw_buf_init(&b64, 2 * CLI_INPUT_MAX, true);
    nw_err err = nw_cli_read_stdin(&in, CLI_INPUT_MAX);
    if (err != NW_OK) {
        rc = nw_cli_fail_err(err, "stdin");
        goto out;
    }
    if (!encrypt)
        rtrim(&in);
    if (encrypt) {
        if (nw_buf_reserve(&b64, 4 * ((in.len + 2) / 3) + 1) != NW_OK) {
            rc = nw_cli_fail_err(NW_ERR_NOMEM, "input");
            goto out;
        }
        b64.len = (size_t)EVP_EncodeBlock(b64.ptr, in.ptr, (int)in.len);
        json_object_set_new(body, "Plaintext", json_stringn((const char *)b64.ptr, b64.len));
    } else {
        json_object_set_new(body, "CiphertextBlob", json_stringn((const char *)in.ptr, in.len));
    }
    if (a->key_id)
        json_object_set_new(body, "KeyId", json_string(a->key_id));
    if (json_object_size(a->context) > 0)
        json_object_set(body, "EncryptionContext", a->context);
    rc = call(NW_AWS_KMS, encrypt ? "Encrypt" : "Decrypt", body, &out);
    body = NULL;
    if (rc == NW_CLI_EXIT_OK && encrypt)
        (void)fprintf(stdout, "%s\n", json_string_value(json_object_get(out, "CiphertextBlob")));
    else if (rc == NW_CLI_EXIT_OK)
        rc = write_b64(json_string_value(json_object_get(out, "Plaintext")));
out:
    json_decref(body);
    json_decref(out);
    nw_buf_clear(&in);
    nw_buf_clear(&b64);
    return rc;
}

#define KMS_USAGE                                                                     \
 "usage: nw kms create-key [--description D] [--policy FILE]\n"                       \
 "       nw kms describe-key --key-id K\n"                                            \
 "       nw kms create-alias --alias-name alias/N --key-id K\n"                       \
 "       nw kms put-key-policy --key-id K --policy FILE\n"                            \
 "       nw kms get-key-policy --key-id K\n"                                          \
 "       nw kms encrypt --key-id K [--context KEY=VALUE]...   (plaintext on stdin)\n" \
 "       nw kms decrypt [--key-id K] [--context KEY=VALUE]... (base64 blob on stdin)\n"

static int kms_cmd(int argc, char **argv)
{
    struct args a;
    int rc = NW_CLI_EXIT_USAGE;
    const char *cmd = argv[0];
    memset(&a, 0, sizeof(a));
    if (nw_cli_wants_help(argc, argv) || !parse_args(&a, argc, argv)) {
        json_decref(a.context);
        return nw_cli_usage(KMS_USAGE);
    }
    json_t *body = json_object();
    if (strcmp(cmd, "create-key") == 0) {
        if (a.description)
            json_object_set_new(body, "Description", json_string(a.description));
        if (a.policy && (rc = file_text(body, "Policy", a.policy)) != NW_CLI_EXIT_OK)
            goto out;
        rc = call_print(NW_AWS_KMS, "CreateKey", body);
        body = NULL;
    } else if (strcmp(cmd, "describe-key") == 0 && a.key_id) {
        json_object_set_new(body, "KeyId", json_string(a.key_id));
        rc = call_print(NW_AWS_KMS, "DescribeKey", body);
        body = NULL;
    } else if (strcmp(cmd, "create-alias") == 0 && a.key_id && a.alias) {
        json_object_set_new(body, "AliasName", json_string(a.alias));
        json_object_set_new(body, "TargetKeyId", json_string(a.key_id));
        rc = call_print(NW_AWS_KMS, "CreateAlias", body);
        body = NULL;
    } else if (strcmp(cmd, "put-key-policy") == 0 && a.key_id && a.policy) {
        json_object_set_new(body, "KeyId", json_string(a.key_id));
        json_object_set_new(body, "PolicyName", json_string("default"));
        if ((rc = file_text(body, "Policy", a.policy)) != NW_CLI_EXIT_OK)
            goto out;
        rc = call_print(NW_AWS_KMS, "PutKeyPolicy", body);
        body = NULL;
    } else if (strcmp(cmd, "get-key-policy") == 0 && a.key_id) {
        json_t *out = NULL;
        json_object_set_new(body, "KeyId", json_string(a.key_id));
        json_object_set_new(body, "PolicyName", json_string("default"));
        rc = call(NW_AWS_KMS, "GetKeyPolicy", body, &out);
        body = NULL;
        if (rc == NW_CLI_EXIT_OK)
            (void)fprintf(stdout, "%s\n", json_string_value(json_object_get(out, "Policy")));
        json_decref(out);
    } else if ((strcmp(cmd, "encrypt") == 0 && a.key_id) || strcmp(cmd, "decrypt") == 0) {
        rc = kms_crypt(body, &a, strcmp(cmd, "encrypt") == 0);
        body = NULL;
    }
out:
    json_decref(body);
    json_decref(a.context);
    return rc == NW_CLI_EXIT_USAGE ? nw_cli_usage(KMS_USAGE) : rc;
}

#define SM_USAGE                                                         \
 "usage: nw secrets create --name N [--description D] [--value-stdin]\n" \
 "       nw secrets put --name N --value-stdin\n"                        \
 "       nw secrets get --name N [--version-stage S | --version-id V]\n"

static int secrets_cmd(int argc, char **argv)
{
    struct args a;
    struct nw_buf val;
    json_t *body = NULL, *out = NULL;
    int rc = NW_CLI_EXIT_USAGE;
    const char *cmd = argv[0];
    memset(&a, 0, sizeof(a));
    nw_buf_init(&val, CLI_INPUT_MAX, true);
    if (nw_cli_wants_help(argc, argv) || !parse_args(&a, argc, argv) || a.name == NULL)
        goto out;
    body = json_object();
    if (a.value_stdin) {
        nw_err err = nw_cli_read_stdin(&val, CLI_INPUT_MAX);
        if (err != NW_OK) {
            rc = nw_cli_fail_err(err, "stdin");
            goto out;
        }
        if (json_object_set_new(body, "SecretString",
                                json_stringn((const char *)val.ptr, val.len)) != 0) {
            rc = nw_cli_fail_err(NW_ERR_INVALID_ARG, "the secret value must be UTF-8 text");
            goto out;
        }
    }
    if (strcmp(cmd, "create") == 0) {
        json_object_set_new(body, "Name", json_string(a.name));
        if (a.description)
            json_object_set_new(body, "Description", json_string(a.description));
        rc = call_print(NW_AWS_SECRETS_MANAGER, "CreateSecret", body);
        body = NULL;
    } else if (strcmp(cmd, "put") == 0 && a.value_stdin) {
        json_object_set_new(body, "SecretId", json_string(a.name));
        rc = call_print(NW_AWS_SECRETS_MANAGER, "PutSecretValue", body);
        body = NULL;
    } else if (strcmp(cmd, "get") == 0 && !a.value_stdin) {
        json_object_set_new(body, "SecretId", json_string(a.name));
        if (a.stage)
            json_object_set_new(body, "VersionStage", json_string(a.stage));
        if (a.version)
            json_object_set_new(body, "VersionId", json_string(a.version));
        rc = call(NW_AWS_SECRETS_MANAGER, "GetSecretValue", body, &out);
        body = NULL;
        const char *s = json_string_value(json_object_get(out, "SecretString"));
        if (rc == NW_CLI_EXIT_OK && s == NULL)
            rc = nw_cli_fail("not_a_string", "the secret holds SecretBinary");
        else if (rc == NW_CLI_EXIT_OK)
            (void)fputs(s, stdout);
    }
out:
    json_decref(body);
    json_decref(out);
    json_decref(a.context);
    nw_buf_clear(&val);
    return rc == NW_CLI_EXIT_USAGE ? nw_cli_usage(SM_USAGE) : rc;
}

const struct nw_cli_cmd nw_cli_cmds_aws[] = {
    {"kms create-key", "create a symmetric KMS key", kms_cmd},
    {"kms describe-key", "describe a KMS key", kms_cmd},
    {"kms create-alias", "name a KMS key", kms_cmd},
    {"kms put-key-policy", "replace a key's policy from a file", kms_cmd},
    {"kms get-key-policy", "print a key's policy", kms_cmd},
    {"kms encrypt", "encrypt stdin under a KMS key (base64 blob out)", kms_cmd},
    {"kms decrypt", "decrypt a base64 blob from stdin", kms_cmd},
    {"secrets create", "create a Secrets Manager secret", secrets_cmd},
    {"secrets put", "put a new secret value from stdin", secrets_cmd},
    {"secrets get", "print a secret's SecretString", secrets_cmd},
    {NULL, NULL, NULL},
};

/*
 * nw commands of the aws area: KMS and Secrets Manager administration through libnwaws's
 * nw_kms_* and nw_sm_* (no request JSON is built here), named and shaped as the AWS CLI's
 * commands are, so they work against AWS and against nw-devaws (after `. DIR/env`).
 *
 * Answers are printed as the AWS CLI prints them (the service's JSON, indented), except
 * where a command says otherwise: `kms decrypt --raw` and `secrets get-secret-value --raw`
 * print the plaintext or the secret's value alone. Settings: --profile, --region,
 * --endpoint-url (cli_aws.h), then the environment and the shared files.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <nw/base64.h>
#include <nw/mem.h>

#include "cli_aws.h"

#define INPUT_MAX ((size_t)64 * 1024)
#define MAX_CTX   16

enum {
    NW_AWO_KEY_ID = 1,
    NW_AWO_DESCRIPTION,
    NW_AWO_POLICY,
    NW_AWO_ALIAS,
    NW_AWO_CONTEXT,
    NW_AWO_RAW,
    NW_AWO_LIMIT,
    NW_AWO_MARKER,
    NW_AWO_WINDOW,
    NW_AWO_SECRET_ID,
    NW_AWO_NAME,
    NW_AWO_SECRET_STRING,
    NW_AWO_STAGE,
    NW_AWO_VERSION,
    NW_AWO_FORCE,
    NW_AWO_KEY_SPEC,
    NW_AWO_BYTES,
    NW_AWO_KMS_KEY,
};

/* Everything a command may take; each command's table says which. */
struct args {
    struct nw_cli_aws_opts aws;
    const char *key_id, *description, *policy, *alias, *marker, *secret_id, *name;
    const char *secret_string, *stage, *version, *key_spec, *kms_key_id;
    struct nw_kms_kv ctx[MAX_CTX];
    char ctx_text[MAX_CTX][512];
    size_t n_ctx;
    bool raw, force;
    uint32_t limit, window, bytes;
};

struct aws_cmd {
    const char *group; /* "kms" or "secrets" */
    struct nw_opt_cmd opt;
    int (*run)(const struct aws_cmd *c, struct args *a);
};

static bool parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end = NULL;
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    unsigned long v = strtoul(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* A text option that goes into a JSON string: refuse what jansson would drop (non-UTF-8). */
static bool utf8(const char *v)
{
    json_t *t = json_string(v);
    json_decref(t);
    return t != NULL;
}

static int add_context(const struct nw_opt_cmd *cmd, struct args *a, const char *v)
{
    const char *eq = strchr(v, '=');
    size_t n = strlen(v);
    if (eq == NULL || eq == v || a->n_ctx == MAX_CTX || n >= sizeof(a->ctx_text[0]))
        return nw_opt_usage_error(cmd, "--context wants KEY=VALUE (at most %d, %zu bytes each)",
                                  MAX_CTX, sizeof(a->ctx_text[0]) - 1);
    char *t = a->ctx_text[a->n_ctx];
    memcpy(t, v, n + 1);
    t[eq - v] = '\0';
    if (!utf8(t) || !utf8(t + (eq - v) + 1))
        return nw_opt_usage_error(cmd, "--context must be UTF-8 text");
    a->ctx[a->n_ctx++] = (struct nw_kms_kv){t, t + (eq - v) + 1};
    return 0;
}

/* Apply one option; 0 or a usage exit code. */
static int take(const struct nw_opt_cmd *cmd, struct args *a, int id, const char *v)
{
    const char **slot = id == NW_AWO_KEY_ID          ? &a->key_id
                        : id == NW_AWO_DESCRIPTION   ? &a->description
                        : id == NW_AWO_POLICY        ? &a->policy
                        : id == NW_AWO_ALIAS         ? &a->alias
                        : id == NW_AWO_MARKER        ? &a->marker
                        : id == NW_AWO_SECRET_ID     ? &a->secret_id
                        : id == NW_AWO_NAME          ? &a->name
                        : id == NW_AWO_STAGE         ? &a->stage
                        : id == NW_AWO_VERSION       ? &a->version
                        : id == NW_AWO_KEY_SPEC      ? &a->key_spec
                        : id == NW_AWO_KMS_KEY       ? &a->kms_key_id
                        : id == NW_AWO_SECRET_STRING ? &a->secret_string
                                                     : NULL;
    if (slot != NULL) {
        if (id != NW_AWO_POLICY && id != NW_AWO_SECRET_STRING && !utf8(v))
            return nw_opt_usage_error(cmd, "option values must be UTF-8 text");
        *slot = v;
        return 0;
    }
    switch (id) {
        case NW_AWO_CONTEXT:
            return add_context(cmd, a, v);
        case NW_AWO_RAW:
            a->raw = true;
            return 0;
        case NW_AWO_FORCE:
            a->force = true;
            return 0;
        case NW_AWO_LIMIT:
            return parse_u32(v, 1, 1000, &a->limit) ? 0
                                                    : nw_opt_usage_error(cmd, "--limit is 1..1000");
        case NW_AWO_WINDOW:
            return parse_u32(v, 7, 30, &a->window)
                       ? 0
                       : nw_opt_usage_error(cmd, "the window is 7..30 days");
        case NW_AWO_BYTES:
            return parse_u32(v, 1, 1024, &a->bytes)
                       ? 0
                       : nw_opt_usage_error(cmd, "--number-of-bytes is 1..1024");
        default:
            return nw_cli_aws_opt(&a->aws, id, v) ? 0 : nw_opt_usage_error(cmd, "bad option");
    }
}

/* Print a JSON text as the AWS CLI does (indented); compact text is re-indented. */
static int print_json_text(struct nw_cur text)
{
    json_t *o = json_loadb((const char *)text.ptr, text.len, 0, NULL);
    char *s = o ? json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER) : NULL;
    int rc = s ? nw_cli_print_line(nw_cur_str(s)) : nw_cli_fail_err(NW_ERR_AWS_RESPONSE, NULL);
    nw_cli_json_free(s);
    json_decref(o);
    return rc;
}

static int print_json(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER) : NULL;
    int rc = s ? nw_cli_print_line(nw_cur_str(s)) : nw_cli_fail_err(NW_ERR_NOMEM, NULL);
    nw_cli_json_free(s);
    return rc;
}

/* Read a policy file as text (it travels as a JSON string). */
static int read_policy(struct nw_buf *b, const char *path)
{
    int rc = nw_cli_read_input(b, path, INPUT_MAX, "a key policy (JSON)");
    if (rc == NW_CLI_EXIT_OK && nw_buf_cstr(b) != NW_OK)
        rc = nw_cli_fail_err(NW_ERR_TOO_LARGE, path);
    if (rc == NW_CLI_EXIT_OK && (strlen((const char *)b->ptr) != b->len || !utf8((char *)b->ptr)))
        rc = nw_cli_fail_errf(NW_ERR_INVALID_ARG, "%s is not UTF-8 text", path);
    return rc;
}

/* One KMS call whose answer is printed as the service's JSON (body). */
static int kms_call_print(const struct args *a, enum nw_kms_op op, const struct nw_kms_request *q)
{
    struct nw_cli_aws c;
    struct nw_kms_result r;
    struct nw_aws_error aerr;
    nw_kms_result_init(&r);
    int rc = nw_cli_aws_open(&c, NW_AWS_KMS, &a->aws);
    if (rc == NW_CLI_EXIT_OK) {
        nw_err err = nw_kms_call(c.client, &r, op, q, &aerr);
        if (err != NW_OK)
            rc = nw_cli_aws_fail(err, &aerr);
        else if (r.body.len > 2) /* CreateAlias and PutKeyPolicy answer {} and print nothing */
            rc = print_json_text(nw_buf_cur(&r.body));
    }
    nw_kms_result_clear(&r);
    nw_cli_aws_done(&c);
    return rc;
}

static int kms_admin(const struct aws_cmd *cmd, struct args *a)
{
    struct nw_kms_request q;
    struct nw_buf pol;
    int rc = NW_CLI_EXIT_OK;
    enum nw_kms_op op;
    memset(&q, 0, sizeof(q));
    nw_buf_init(&pol, INPUT_MAX, false);
    const char *n = cmd->opt.name + strlen("nw kms ");
    op = strcmp(n, "create-key") == 0       ? NW_KMS_CREATE_KEY
         : strcmp(n, "describe-key") == 0   ? NW_KMS_DESCRIBE_KEY
         : strcmp(n, "create-alias") == 0   ? NW_KMS_CREATE_ALIAS
         : strcmp(n, "put-key-policy") == 0 ? NW_KMS_PUT_KEY_POLICY
         : strcmp(n, "get-key-policy") == 0 ? NW_KMS_GET_KEY_POLICY
         : strcmp(n, "list-keys") == 0      ? NW_KMS_LIST_KEYS
         : strcmp(n, "list-aliases") == 0   ? NW_KMS_LIST_ALIASES
                                            : NW_KMS_SCHEDULE_KEY_DELETION;
    bool need_key = op != NW_KMS_CREATE_KEY && op != NW_KMS_LIST_KEYS && op != NW_KMS_LIST_ALIASES;
    if (need_key && a->key_id == NULL)
        return nw_opt_usage_error(&cmd->opt, "missing --key-id");
    if ((op == NW_KMS_PUT_KEY_POLICY && a->policy == NULL) ||
        (op == NW_KMS_CREATE_ALIAS && a->alias == NULL))
        return nw_opt_usage_error(&cmd->opt, "missing --%s",
                                  op == NW_KMS_CREATE_ALIAS ? "alias-name" : "policy");
    if (a->policy != NULL && (rc = read_policy(&pol, a->policy)) != NW_CLI_EXIT_OK)
        goto out;
    q.key_id = a->key_id;
    q.description = a->description;
    q.policy = a->policy != NULL ? (const char *)pol.ptr : NULL;
    q.alias_name = a->alias;
    q.limit = a->limit;
    q.marker = a->marker;
    q.pending_window_days = a->window;
    if (op == NW_KMS_GET_KEY_POLICY && a->raw) { /* the policy text alone */
        struct nw_cli_aws c;
        struct nw_kms_result r;
        struct nw_aws_error aerr;
        nw_kms_result_init(&r);
        rc = nw_cli_aws_open(&c, NW_AWS_KMS, &a->aws);
        nw_err err = rc == NW_CLI_EXIT_OK ? nw_kms_call(c.client, &r, op, &q, &aerr) : NW_OK;
        if (rc == NW_CLI_EXIT_OK && err != NW_OK)
            rc = nw_cli_aws_fail(err, &aerr);
        json_t *o =
            rc == NW_CLI_EXIT_OK ? json_loadb((const char *)r.body.ptr, r.body.len, 0, NULL) : NULL;
        if (rc == NW_CLI_EXIT_OK)
            rc = nw_cli_print_line(nw_cur_str(json_string_value(json_object_get(o, "Policy"))));
        json_decref(o);
        nw_kms_result_clear(&r);
        nw_cli_aws_done(&c);
        goto out;
    }
    rc = kms_call_print(a, op, &q);
out:
    nw_buf_clear(&pol);
    return rc;
}

/* The ciphertext on stdin: base64 text, or the JSON `nw kms encrypt` prints. */
static int read_blob(struct nw_buf *blob, const char *path)
{
    struct nw_buf in;
    nw_buf_init(&in, 2 * INPUT_MAX, false);
    int rc = nw_cli_read_input(&in, path, in.max, "a KMS ciphertext (base64 or encrypt's JSON)");
    if (rc == NW_CLI_EXIT_OK) {
        struct nw_cur t = nw_cli_trim(nw_buf_cur(&in));
        json_t *o = NULL;
        if (t.ptr[0] == '{') {
            o = json_loadb((const char *)t.ptr, t.len, 0, NULL);
            const char *s = json_string_value(json_object_get(o, "CiphertextBlob"));
            t = nw_cur_str(s);
        }
        nw_err err = t.len > 0 ? nw_base64_decode(blob, t, true) : NW_ERR_BASE64;
        if (err != NW_OK)
            rc = nw_cli_fail_err(err, "the ciphertext must be base64 (or encrypt's JSON)");
        json_decref(o);
    }
    nw_buf_clear(&in);
    return rc;
}

/* encrypt: stdin plaintext -> the AWS CLI's {"CiphertextBlob","KeyId","EncryptionAlgorithm"};
 * decrypt: a ciphertext -> {"KeyId","Plaintext" (base64),"EncryptionAlgorithm"}, or --raw. */
static int kms_crypt(const struct aws_cmd *cmd, struct args *a)
{
    bool enc = strcmp(cmd->opt.name, "nw kms encrypt") == 0;
    struct nw_buf in, b64;
    struct nw_kms_result r;
    struct nw_aws_error aerr;
    struct nw_cli_aws c;
    struct nw_kms_request q;
    json_t *o = NULL;
    int rc;
    if (enc && a->key_id == NULL)
        return nw_opt_usage_error(&cmd->opt, "missing --key-id");
    memset(&q, 0, sizeof(q));
    memset(&c, 0, sizeof(c));
    nw_buf_init(&in, INPUT_MAX, true);
    nw_buf_init(&b64, 2 * INPUT_MAX, true);
    nw_kms_result_init(&r);
    rc = enc ? nw_cli_read_input(&in, "-", 4096, "the plaintext (at most 4096 bytes)")
             : read_blob(&in, "-");
    if (rc != NW_CLI_EXIT_OK || (rc = nw_cli_aws_open(&c, NW_AWS_KMS, &a->aws)) != NW_CLI_EXIT_OK)
        goto out;
    q.key_id = a->key_id;
    q.context = a->ctx;
    q.n_context = a->n_ctx;
    if (enc)
        q.plaintext = nw_buf_cur(&in);
    else
        q.ciphertext_blob = nw_buf_cur(&in);
    nw_err err = nw_kms_call(c.client, &r, enc ? NW_KMS_ENCRYPT : NW_KMS_DECRYPT, &q, &aerr);
    if (err != NW_OK) {
        rc = nw_cli_aws_fail(err, &aerr);
        goto out;
    }
    if (!enc && a->raw) {
        (void)fflush(stdout);
        rc = nw_cli_write_new_file("-", r.plaintext.ptr, r.plaintext.len) == NW_OK
                 ? NW_CLI_EXIT_OK
                 : nw_cli_fail_err(NW_ERR_IO, "writing stdout");
        goto out;
    }
    err = nw_base64_encode(&b64, nw_buf_cur(enc ? &r.ciphertext_blob : &r.plaintext));
    if (err == NW_OK)
        err = nw_buf_cstr(&b64);
    o = err == NW_OK
            ? json_pack("{s:s,s:s,s:s}", enc ? "CiphertextBlob" : "KeyId",
                        enc ? (const char *)b64.ptr : r.key_id, enc ? "KeyId" : "Plaintext",
                        enc ? r.key_id : (const char *)b64.ptr, "EncryptionAlgorithm",
                        r.encryption_algorithm[0] ? r.encryption_algorithm : "SYMMETRIC_DEFAULT")
            : NULL;
    rc = o != NULL ? print_json(o) : nw_cli_fail_err(err != NW_OK ? err : NW_ERR_NOMEM, NULL);
out:
    json_decref(o); /* jansson's copy of a plaintext is wiped by the hooked allocator */
    nw_kms_result_clear(&r);
    nw_cli_aws_done(&c);
    nw_buf_clear(&in);
    nw_buf_clear(&b64);
    return rc;
}

static int kms_gdk(const struct aws_cmd *cmd, struct args *a)
{
    struct nw_kms_result r;
    struct nw_aws_error aerr;
    struct nw_cli_aws c;
    struct nw_buf pt, ct;
    json_t *o = NULL;
    if (a->key_id == NULL)
        return nw_opt_usage_error(&cmd->opt, "missing --key-id");
    if (a->key_spec != NULL && a->bytes != 0)
        return nw_opt_usage_error(&cmd->opt, "--key-spec or --number-of-bytes, not both");
    struct nw_kms_request q = {.key_id = a->key_id,
                               .context = a->ctx,
                               .n_context = a->n_ctx,
                               .key_spec = a->key_spec,
                               .number_of_bytes = a->bytes};
    nw_kms_result_init(&r);
    nw_buf_init(&pt, 4096, true);
    nw_buf_init(&ct, 16384, false);
    int rc = nw_cli_aws_open(&c, NW_AWS_KMS, &a->aws);
    nw_err err = rc == NW_CLI_EXIT_OK ? nw_kms_generate_data_key(c.client, &r, &q, &aerr) : NW_OK;
    if (rc == NW_CLI_EXIT_OK && err != NW_OK)
        rc = nw_cli_aws_fail(err, &aerr);
    if (rc == NW_CLI_EXIT_OK) {
        if ((err = nw_base64_encode(&ct, nw_buf_cur(&r.ciphertext_blob))) == NW_OK &&
            (err = nw_buf_cstr(&ct)) == NW_OK &&
            (err = nw_base64_encode(&pt, nw_buf_cur(&r.plaintext))) == NW_OK)
            err = nw_buf_cstr(&pt);
        o = err == NW_OK ? json_pack("{s:s,s:s,s:s}", "CiphertextBlob", (const char *)ct.ptr,
                                     "Plaintext", (const char *)pt.ptr, "KeyId", r.key_id)
                         : NULL;
        rc = o != NULL ? print_json(o) : nw_cli_fail_err(err != NW_OK ? err : NW_ERR_NOMEM, NULL);
    }
    json_decref(o);
    nw_kms_result_clear(&r);
    nw_cli_aws_done(&c);
    nw_buf_clear(&pt);
    nw_buf_clear(&ct);
    return rc;
}

/* ---- Secrets Manager ---- */

/* The value of --secret-string: the text itself, or stdin for "-". */
static int secret_value(struct nw_buf *v, const char *arg)
{
    if (strcmp(arg, "-") != 0)
        return nw_buf_append_str(v, arg) == NW_OK
                   ? NW_CLI_EXIT_OK
                   : nw_cli_fail_err(NW_ERR_TOO_LARGE, "--secret-string");
    int rc = nw_cli_read_input(v, "-", INPUT_MAX, "the secret's value");
    if (rc == NW_CLI_EXIT_OK && nw_buf_cstr(v) == NW_OK &&
        (strlen((const char *)v->ptr) != v->len || !utf8((const char *)v->ptr)))
        rc = nw_cli_fail_err(NW_ERR_INVALID_ARG, "the secret value must be UTF-8 text");
    return rc;
}

/* get-secret-value: the AWS CLI's JSON, or --raw: the SecretString alone. */
static int print_secret(const struct nw_sm_result *r, bool raw)
{
    struct nw_buf b64;
    int rc;
    if (raw && !r->has_string)
        return nw_cli_fail("not_a_string", "the secret holds SecretBinary");
    if (raw) {
        (void)fflush(stdout);
        return nw_cli_write_new_file("-", r->secret_string.ptr, r->secret_string.len) == NW_OK
                   ? NW_CLI_EXIT_OK
                   : nw_cli_fail_err(NW_ERR_IO, "writing stdout");
    }
    nw_buf_init(&b64, 2 * INPUT_MAX, true);
    json_t *o =
        json_pack("{s:s,s:s,s:s}", "ARN", r->arn, "Name", r->name, "VersionId", r->version_id);
    if (o != NULL && r->has_string)
        (void)json_object_set_new(
            o, "SecretString",
            json_stringn((const char *)r->secret_string.ptr, r->secret_string.len));
    else if (o != NULL && nw_base64_encode(&b64, nw_buf_cur(&r->secret_binary)) == NW_OK &&
             nw_buf_cstr(&b64) == NW_OK)
        (void)json_object_set_new(o, "SecretBinary", json_string((const char *)b64.ptr));
    if (o != NULL && r->created_date != 0)
        (void)json_object_set_new(o, "CreatedDate", json_integer(r->created_date));
    rc = print_json(o);
    json_decref(o);
    nw_buf_clear(&b64);
    return rc;
}

static int sm_cmd(const struct aws_cmd *cmd, struct args *a)
{
    const char *n = cmd->opt.name + strlen("nw secrets ");
    enum nw_sm_op op = strcmp(n, "create-secret") == 0      ? NW_SM_CREATE_SECRET
                       : strcmp(n, "put-secret-value") == 0 ? NW_SM_PUT_SECRET_VALUE
                       : strcmp(n, "get-secret-value") == 0 ? NW_SM_GET_SECRET_VALUE
                       : strcmp(n, "describe-secret") == 0  ? NW_SM_DESCRIBE_SECRET
                       : strcmp(n, "list-secrets") == 0     ? NW_SM_LIST_SECRETS
                                                            : NW_SM_DELETE_SECRET;
    if (op == NW_SM_CREATE_SECRET ? a->name == NULL : op != NW_SM_LIST_SECRETS && !a->secret_id)
        return nw_opt_usage_error(&cmd->opt, "missing %s",
                                  op == NW_SM_CREATE_SECRET ? "--name" : "--secret-id");
    if (op == NW_SM_PUT_SECRET_VALUE && a->secret_string == NULL)
        return nw_opt_usage_error(&cmd->opt, "missing --secret-string TEXT|-");
    if (a->force && a->window != 0)
        return nw_opt_usage_error(&cmd->opt, "--recovery-window-in-days or "
                                             "--force-delete-without-recovery, not both");
    struct nw_sm_request q = {.name = a->name,
                              .secret_id = a->secret_id,
                              .description = a->description,
                              .kms_key_id = a->kms_key_id,
                              .version_id = a->version,
                              .version_stage = a->stage,
                              .max_results = a->limit,
                              .next_token = a->marker,
                              .recovery_window_days = a->window,
                              .force_delete = a->force};
    struct nw_sm_result r;
    struct nw_aws_error aerr;
    struct nw_cli_aws c;
    struct nw_buf val;
    memset(&c, 0, sizeof(c));
    nw_sm_result_init(&r);
    nw_buf_init(&val, INPUT_MAX + 1, true);
    int rc = NW_CLI_EXIT_OK;
    if (a->secret_string != NULL && (rc = secret_value(&val, a->secret_string)) != NW_CLI_EXIT_OK)
        goto out;
    q.secret_string = nw_buf_cur(&val);
    if ((rc = nw_cli_aws_open(&c, NW_AWS_SECRETS_MANAGER, &a->aws)) != NW_CLI_EXIT_OK)
        goto out;
    nw_err err = nw_sm_call(c.client, &r, op, &q, &aerr);
    if (err != NW_OK)
        rc = nw_cli_aws_fail(err, &aerr);
    else if (op == NW_SM_GET_SECRET_VALUE)
        rc = print_secret(&r, a->raw);
    else
        rc = print_json_text(nw_buf_cur(&r.body));
out:
    nw_sm_result_clear(&r);
    nw_cli_aws_done(&c);
    nw_buf_clear(&val);
    return rc;
}

/* ---- the tables ---- */

#define AWS_EXIT "Exit: 0 ok; 1 error (the AWS error name as code, JSON on stderr); 2 usage."
#define END              \
 {                       \
  NULL, 0, NULL, 0, NULL \
 }
#define KEY_ID                                                                            \
 {                                                                                        \
  "key-id", 0, "ID", NW_AWO_KEY_ID, "key id, key ARN, alias name (alias/..) or alias ARN" \
 }
#define CONTEXT                                                              \
 {                                                                           \
  "context", 0, "K=V", NW_AWO_CONTEXT, "encryption context pair; repeatable" \
 }
#define PAGE                                                                           \
 {"limit", 0, "N", NW_AWO_LIMIT, "at most N items (1..1000)"},                         \
 {                                                                                     \
  "marker", 0, "TOKEN", NW_AWO_MARKER, "continue after a previous answer's NextMarker" \
 }

static const struct nw_opt o_create_key[] = {
    {"description", 0, "TEXT", NW_AWO_DESCRIPTION, "the key's description"},
    {"policy", 0, "FILE", NW_AWO_POLICY, "key policy JSON (default: the account's default policy)"},
    NW_CLI_AWS_OPTS,
    END};
static const struct nw_opt o_key[] = {KEY_ID, NW_CLI_AWS_OPTS, END};
static const struct nw_opt o_alias[] = {
    {"alias-name", 0, "alias/NAME", NW_AWO_ALIAS, "the new alias"}, KEY_ID, NW_CLI_AWS_OPTS, END};
static const struct nw_opt o_put_policy[] = {
    KEY_ID,
    {"policy", 0, "FILE", NW_AWO_POLICY, "key policy JSON (PolicyName default)"},
    NW_CLI_AWS_OPTS,
    END};
static const struct nw_opt o_get_policy[] = {
    KEY_ID, {"raw", 0, NULL, NW_AWO_RAW, "print the policy text alone"}, NW_CLI_AWS_OPTS, END};
static const struct nw_opt o_list_keys[] = {PAGE, NW_CLI_AWS_OPTS, END};
static const struct nw_opt o_list_aliases[] = {
    {"key-id", 0, "ID", NW_AWO_KEY_ID, "only the aliases of this key"}, PAGE, NW_CLI_AWS_OPTS, END};
static const struct nw_opt o_schedule[] = {
    KEY_ID,
    {"pending-window-in-days", 0, "N", NW_AWO_WINDOW, "7..30 (default 30)"},
    NW_CLI_AWS_OPTS,
    END};
static const struct nw_opt o_encrypt[] = {KEY_ID, CONTEXT, NW_CLI_AWS_OPTS, END};
static const struct nw_opt o_decrypt[] = {
    {"key-id", 0, "ID", NW_AWO_KEY_ID, "the key the ciphertext must belong to (optional)"},
    CONTEXT,
    {"raw", 0, NULL, NW_AWO_RAW, "print the plaintext bytes instead of the JSON"},
    NW_CLI_AWS_OPTS,
    END};
static const struct nw_opt o_gdk[] = {
    KEY_ID,
    CONTEXT,
    {"key-spec", 0, "SPEC", NW_AWO_KEY_SPEC, "AES_256 (default) or AES_128"},
    {"number-of-bytes", 0, "N", NW_AWO_BYTES, "1..1024 bytes instead of a key spec"},
    NW_CLI_AWS_OPTS,
    END};

#define SECRET_ID                                                    \
 {                                                                   \
  "secret-id", 0, "ID", NW_AWO_SECRET_ID, "the secret's name or ARN" \
 }
static const struct nw_opt o_create_secret[] = {
    {"name", 0, "NAME", NW_AWO_NAME, "the new secret's name"},
    {"description", 0, "TEXT", NW_AWO_DESCRIPTION, "its description"},
    {"kms-key-id", 0, "ID", NW_AWO_KMS_KEY, "KMS key for the secret (default aws/secretsmanager)"},
    {"secret-string", 0, "TEXT|-", NW_AWO_SECRET_STRING, "the value; - reads it from stdin"},
    NW_CLI_AWS_OPTS,
    END};
static const struct nw_opt o_put_secret[] = {
    SECRET_ID,
    {"secret-string", 0, "TEXT|-", NW_AWO_SECRET_STRING, "the value; - reads it from stdin"},
    NW_CLI_AWS_OPTS,
    END};
static const struct nw_opt o_get_secret[] = {
    SECRET_ID,
    {"version-stage", 0, "STAGE", NW_AWO_STAGE, "AWSCURRENT (default), AWSPREVIOUS, ..."},
    {"version-id", 0, "ID", NW_AWO_VERSION, "a version id"},
    {"raw", 0, NULL, NW_AWO_RAW, "print the SecretString alone (for pipes)"},
    NW_CLI_AWS_OPTS,
    END};
static const struct nw_opt o_describe_secret[] = {SECRET_ID, NW_CLI_AWS_OPTS, END};
static const struct nw_opt o_list_secrets[] = {
    {"max-results", 0, "N", NW_AWO_LIMIT, "at most N secrets (1..100)"},
    {"next-token", 0, "TOKEN", NW_AWO_MARKER, "continue after a previous answer's NextToken"},
    NW_CLI_AWS_OPTS,
    END};
static const struct nw_opt o_delete_secret[] = {
    SECRET_ID,
    {"recovery-window-in-days", 0, "N", NW_AWO_WINDOW, "7..30 (default 30)"},
    {"force-delete-without-recovery", 0, NULL, NW_AWO_FORCE, "delete now, with no recovery window"},
    NW_CLI_AWS_OPTS,
    END};

static const struct aws_cmd AWS_CMDS[] = {
    {"kms",
     {"nw kms create-key", "[--description TEXT] [--policy FILE]",
      "Create a symmetric key; "
      "print {\"KeyMetadata\":{...}}.",
      o_create_key, AWS_EXIT},
     kms_admin},
    {"kms",
     {"nw kms describe-key", "--key-id ID", "Print {\"KeyMetadata\":{...}}.", o_key, AWS_EXIT},
     kms_admin},
    {"kms",
     {"nw kms create-alias", "--alias-name alias/NAME --key-id ID", "Name a key.", o_alias,
      AWS_EXIT},
     kms_admin},
    {"kms",
     {"nw kms put-key-policy", "--key-id ID --policy FILE", "Replace a key's policy.", o_put_policy,
      AWS_EXIT},
     kms_admin},
    {"kms",
     {"nw kms get-key-policy", "--key-id ID [--raw]",
      "Print {\"Policy\":\"...\"} (--raw: "
      "the policy text).",
      o_get_policy, AWS_EXIT},
     kms_admin},
    {"kms",
     {"nw kms list-keys", "[--limit N] [--marker TOKEN]", "Print {\"Keys\":[...]}.", o_list_keys,
      AWS_EXIT},
     kms_admin},
    {"kms",
     {"nw kms list-aliases", "[--key-id ID] [--limit N] [--marker TOKEN]",
      "Print {\"Aliases\":[...]}.", o_list_aliases, AWS_EXIT},
     kms_admin},
    {"kms",
     {"nw kms schedule-key-deletion", "--key-id ID [--pending-window-in-days N]",
      "Schedule a key's deletion; print {\"KeyId\",\"DeletionDate\",...}.", o_schedule, AWS_EXIT},
     kms_admin},
    {"kms",
     {"nw kms encrypt", "--key-id ID [--context K=V]...",
      "Encrypt the plaintext on stdin "
      "(at most 4096 bytes); print\n{\"CiphertextBlob\" "
      "(base64),\"KeyId\",\"EncryptionAlgorithm\"}.",
      o_encrypt, AWS_EXIT},
     kms_crypt},
    {"kms",
     {"nw kms decrypt", "[--key-id ID] [--context K=V]... [--raw]",
      "Decrypt a ciphertext "
      "read from stdin (base64, or encrypt's JSON); print\n{\"KeyId\",\"Plaintext\" (base64),"
      "\"EncryptionAlgorithm\"}, or with --raw the plaintext bytes.",
      o_decrypt, AWS_EXIT},
     kms_crypt},
    {"kms",
     {"nw kms generate-data-key",
      "--key-id ID [--context K=V]... [--key-spec SPEC | "
      "--number-of-bytes N]",
      "Print {\"CiphertextBlob\",\"Plaintext\" (base64),\"KeyId\"}.", o_gdk, AWS_EXIT},
     kms_gdk},
    {"secrets",
     {"nw secrets create-secret",
      "--name NAME [--secret-string TEXT|-] "
      "[--description TEXT] [--kms-key-id ID]",
      "Create a secret; print {\"ARN\",\"Name\","
      "\"VersionId\"}.",
      o_create_secret, AWS_EXIT},
     sm_cmd},
    {"secrets",
     {"nw secrets put-secret-value", "--secret-id ID --secret-string TEXT|-",
      "Store a new value (it becomes AWSCURRENT).", o_put_secret, AWS_EXIT},
     sm_cmd},
    {"secrets",
     {"nw secrets get-secret-value",
      "--secret-id ID [--version-stage S | "
      "--version-id V] [--raw]",
      "Print {\"ARN\",\"Name\",\"VersionId\",\"SecretString\",...}, "
      "or with --raw the value alone.",
      o_get_secret, AWS_EXIT},
     sm_cmd},
    {"secrets",
     {"nw secrets describe-secret", "--secret-id ID", "Print the secret's metadata.",
      o_describe_secret, AWS_EXIT},
     sm_cmd},
    {"secrets",
     {"nw secrets list-secrets", "[--max-results N] [--next-token TOKEN]",
      "Print {\"SecretList\":[...]}.", o_list_secrets, AWS_EXIT},
     sm_cmd},
    {"secrets",
     {"nw secrets delete-secret",
      "--secret-id ID [--recovery-window-in-days N | "
      "--force-delete-without-recovery]",
      "Schedule (or force) a secret's deletion.", o_delete_secret, AWS_EXIT},
     sm_cmd},
};

/* argv[0] is the command's second word; main.c leaves the group word in argv[-1]. */
static int run(int argc, char **argv)
{
    const struct aws_cmd *c = NULL;
    for (size_t i = 0; i < NW_ARRAY_LEN(AWS_CMDS) && c == NULL; i++) {
        const char *w = AWS_CMDS[i].opt.name + strlen("nw ") + strlen(AWS_CMDS[i].group) + 1;
        if (strcmp(w, argv[0]) == 0 && strcmp(AWS_CMDS[i].group, argv[-1]) == 0)
            c = &AWS_CMDS[i];
    }
    if (c == NULL)
        return nw_cli_fail_err(NW_ERR_INTERNAL, "command table");
    static struct args a;
    struct nw_opt_parser p;
    const char *v;
    int id, rc;
    memset(&a, 0, sizeof(a));
    nw_opt_init(&p, &c->opt, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        if ((rc = take(&c->opt, &a, id, v)) != 0)
            return rc;
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (p.optind < argc)
        return nw_opt_usage_error(&c->opt, "unexpected argument '%.60s'", argv[p.optind]);
    return c->run(c, &a);
}

const struct nw_cli_cmd nw_cli_cmds_aws[] = {
    {"kms create-key", "create a symmetric KMS key", run},
    {"kms describe-key", "describe a KMS key", run},
    {"kms create-alias", "name a KMS key", run},
    {"kms put-key-policy", "replace a key's policy from a file", run},
    {"kms get-key-policy", "print a key's policy", run},
    {"kms list-keys", "list the KMS keys", run},
    {"kms list-aliases", "list the KMS aliases", run},
    {"kms schedule-key-deletion", "schedule a KMS key's deletion", run},
    {"kms encrypt", "encrypt stdin under a KMS key", run},
    {"kms decrypt", "decrypt a KMS ciphertext (base64 out; --raw for bytes)", run},
    {"kms generate-data-key", "a data key and its ciphertext", run},
    {"secrets create-secret", "create a Secrets Manager secret", run},
    {"secrets put-secret-value", "store a new value of a secret", run},
    {"secrets get-secret-value", "print a secret's value", run},
    {"secrets describe-secret", "print a secret's metadata", run},
    {"secrets list-secrets", "list the secrets", run},
    {"secrets delete-secret", "schedule a secret's deletion", run},
    {NULL, NULL, NULL},
};

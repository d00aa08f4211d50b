/*
 * KMS request bodies and response parsing (botocore model kms/2014-11-01; nitro-protocols.md
 * section 3). Members are emitted in model order.
 */
#include <string.h>

#include <nw/kms.h>
#include <nw/mem.h>

#include "aws_int.h"

#define KMS_MAX_BLOB ((size_t)64 * 1024)

static const char *const OP_NAMES[] = {
    [NW_KMS_ENCRYPT] = "Encrypt",
    [NW_KMS_DECRYPT] = "Decrypt",
    [NW_KMS_GENERATE_DATA_KEY] = "GenerateDataKey",
    [NW_KMS_GENERATE_RANDOM] = "GenerateRandom",
    [NW_KMS_DESCRIBE_KEY] = "DescribeKey",
    [NW_KMS_CREATE_KEY] = "CreateKey",
    [NW_KMS_CREATE_ALIAS] = "CreateAlias",
    [NW_KMS_PUT_KEY_POLICY] = "PutKeyPolicy",
    [NW_KMS_GET_KEY_POLICY] = "GetKeyPolicy",
    [NW_KMS_LIST_KEYS] = "ListKeys",
    [NW_KMS_LIST_ALIASES] = "ListAliases",
    [NW_KMS_SCHEDULE_KEY_DELETION] = "ScheduleKeyDeletion",
};

const char *nw_kms_op_name(enum nw_kms_op op)
{
    if ((int)op < NW_KMS_ENCRYPT || (int)op > NW_KMS_SCHEDULE_KEY_DELETION)
        return NULL;
    return OP_NAMES[op];
}

void nw_kms_result_init(struct nw_kms_result *r)
{
    memset(r, 0, sizeof(*r));
    nw_buf_init(&r->plaintext, KMS_MAX_BLOB, true);
    nw_buf_init(&r->ciphertext_blob, KMS_MAX_BLOB, false);
    nw_buf_init(&r->ciphertext_for_recipient, KMS_MAX_BLOB, false);
    nw_buf_init(&r->body, (size_t)4 << 20, false);
}

void nw_kms_result_clear(struct nw_kms_result *r)
{
    nw_buf_clear(&r->plaintext);
    nw_buf_clear(&r->ciphertext_blob);
    nw_buf_clear(&r->ciphertext_for_recipient);
    nw_buf_clear(&r->body);
    size_t off = offsetof(struct nw_kms_result, key_id);
    memset((uint8_t *)r + off, 0, sizeof(*r) - off);
}

/* ---- requests --------------------------------------------------------------------------- */

/* Which optional inputs each operation accepts. */
enum {
    NW_KMS_F_KEY_REQ = 1 << 0,
    NW_KMS_F_KEY_OPT = 1 << 1,
    NW_KMS_F_PLAINTEXT = 1 << 2,
    NW_KMS_F_CIPHERTEXT = 1 << 3,
    NW_KMS_F_CONTEXT = 1 << 4,
    NW_KMS_F_ALG = 1 << 5,
    NW_KMS_F_NBYTES = 1 << 6,
    NW_KMS_F_KEYSPEC = 1 << 7,
    NW_KMS_F_RECIPIENT = 1 << 8,
    NW_KMS_F_DESCRIPTION = 1 << 9,
    NW_KMS_F_POLICY_OPT = 1 << 10,
    NW_KMS_F_POLICY_REQ = 1 << 11,
    NW_KMS_F_ALIAS = 1 << 12,
    NW_KMS_F_PAGE = 1 << 13,
    NW_KMS_F_WINDOW = 1 << 14,
};

static const unsigned OP_FIELDS[] = {
    [NW_KMS_ENCRYPT] = NW_KMS_F_KEY_REQ | NW_KMS_F_PLAINTEXT | NW_KMS_F_CONTEXT | NW_KMS_F_ALG,
    [NW_KMS_DECRYPT] = NW_KMS_F_KEY_OPT | NW_KMS_F_CIPHERTEXT | NW_KMS_F_CONTEXT | NW_KMS_F_ALG |
                       NW_KMS_F_RECIPIENT,
    [NW_KMS_GENERATE_DATA_KEY] = NW_KMS_F_KEY_REQ | NW_KMS_F_CONTEXT | NW_KMS_F_NBYTES |
                                 NW_KMS_F_KEYSPEC | NW_KMS_F_RECIPIENT,
    [NW_KMS_GENERATE_RANDOM] = NW_KMS_F_NBYTES | NW_KMS_F_RECIPIENT,
    [NW_KMS_DESCRIBE_KEY] = NW_KMS_F_KEY_REQ,
    [NW_KMS_CREATE_KEY] = NW_KMS_F_DESCRIPTION | NW_KMS_F_POLICY_OPT,
    [NW_KMS_CREATE_ALIAS] = NW_KMS_F_KEY_REQ | NW_KMS_F_ALIAS,
    [NW_KMS_PUT_KEY_POLICY] = NW_KMS_F_KEY_REQ | NW_KMS_F_POLICY_REQ,
    [NW_KMS_GET_KEY_POLICY] = NW_KMS_F_KEY_REQ,
    [NW_KMS_LIST_KEYS] = NW_KMS_F_PAGE,
    [NW_KMS_LIST_ALIASES] = NW_KMS_F_KEY_OPT | NW_KMS_F_PAGE,
    [NW_KMS_SCHEDULE_KEY_DELETION] = NW_KMS_F_KEY_REQ | NW_KMS_F_WINDOW,
};

/* The administration fields (model bounds: botocore kms/2014-11-01). */
static nw_err check_admin(unsigned f, const struct nw_kms_request *q)
{
    size_t dl = q->description ? strlen(q->description) : 0;
    size_t pl = q->policy ? strlen(q->policy) : 0;
    size_t al = q->alias_name ? strlen(q->alias_name) : 0;
    NW_ENSURE((f & NW_KMS_F_DESCRIPTION) || q->description == NULL, NW_ERR_INVALID_ARG);
    NW_ENSURE(dl <= 8192, NW_ERR_INVALID_ARG);
    NW_ENSURE((f & (NW_KMS_F_POLICY_OPT | NW_KMS_F_POLICY_REQ)) || q->policy == NULL,
              NW_ERR_INVALID_ARG);
    NW_ENSURE(!(f & NW_KMS_F_POLICY_REQ) || q->policy != NULL, NW_ERR_INVALID_ARG);
    NW_ENSURE(q->policy == NULL || (pl >= 1 && pl <= 131072), NW_ERR_INVALID_ARG);
    NW_ENSURE((f & NW_KMS_F_ALIAS)
                  ? (al >= 7 && al <= 256 && strncmp(q->alias_name, "alias/", 6) == 0)
                  : q->alias_name == NULL,
              NW_ERR_INVALID_ARG);
    NW_ENSURE((f & NW_KMS_F_PAGE) || (q->limit == 0 && q->marker == NULL), NW_ERR_INVALID_ARG);
    NW_ENSURE(q->limit <= 1000, NW_ERR_INVALID_ARG);
    NW_ENSURE(q->marker == NULL || (q->marker[0] != '\0' && strlen(q->marker) <= 1024),
              NW_ERR_INVALID_ARG);
    NW_ENSURE((f & NW_KMS_F_WINDOW) || q->pending_window_days == 0, NW_ERR_INVALID_ARG);
    NW_ENSURE(q->pending_window_days == 0 ||
                  (q->pending_window_days >= 7 && q->pending_window_days <= 30),
              NW_ERR_INVALID_ARG);
    return NW_OK;
}

static nw_err check_fields(enum nw_kms_op op, const struct nw_kms_request *q)
{
    unsigned f = OP_FIELDS[op];
    bool key = q->key_id != NULL;
    NW_ENSURE(!(f & NW_KMS_F_KEY_REQ) || key, NW_ERR_INVALID_ARG);
    NW_ENSURE(!key || (f & (NW_KMS_F_KEY_REQ | NW_KMS_F_KEY_OPT)), NW_ERR_INVALID_ARG);
    NW_ENSURE(!key || (q->key_id[0] != '\0' && strlen(q->key_id) <= 2048), NW_ERR_INVALID_ARG);
    NW_ENSURE((f & NW_KMS_F_PLAINTEXT) ? (q->plaintext.len >= 1 && q->plaintext.len <= 4096)
                                       : q->plaintext.len == 0,
              NW_ERR_INVALID_ARG);
    NW_ENSURE((f & NW_KMS_F_CIPHERTEXT)
                  ? (q->ciphertext_blob.len >= 1 && q->ciphertext_blob.len <= 6144)
                  : q->ciphertext_blob.len == 0,
              NW_ERR_INVALID_ARG);
    NW_ENSURE((f & NW_KMS_F_CONTEXT) || q->n_context == 0, NW_ERR_INVALID_ARG);
    NW_ENSURE(q->n_context == 0 || q->context != NULL, NW_ERR_INVALID_ARG);
    NW_ENSURE((f & NW_KMS_F_ALG) || q->encryption_algorithm == NULL, NW_ERR_INVALID_ARG);
    NW_ENSURE((f & NW_KMS_F_NBYTES) || q->number_of_bytes == 0, NW_ERR_INVALID_ARG);
    NW_ENSURE(q->number_of_bytes <= 1024, NW_ERR_INVALID_ARG);
    NW_ENSURE((f & NW_KMS_F_KEYSPEC) || q->key_spec == NULL, NW_ERR_INVALID_ARG);
    NW_ENSURE((f & NW_KMS_F_RECIPIENT) || q->recipient_attestation.len == 0, NW_ERR_INVALID_ARG);
    NW_ENSURE(q->recipient_attestation.len <= 262144, NW_ERR_INVALID_ARG);
    NW_TRY(check_admin(f, q));
    if (op == NW_KMS_GENERATE_RANDOM)
        NW_ENSURE(q->number_of_bytes >= 1, NW_ERR_INVALID_ARG);
    if (op == NW_KMS_GENERATE_DATA_KEY) /* NumberOfBytes or KeySpec, not both */
        NW_ENSURE(q->number_of_bytes == 0 || q->key_spec == NULL, NW_ERR_INVALID_ARG);
    if (q->key_spec != NULL)
        NW_ENSURE(strcmp(q->key_spec, "AES_256") == 0 || strcmp(q->key_spec, "AES_128") == 0,
                  NW_ERR_INVALID_ARG);
    return NW_OK;
}

static nw_err set_context(json_t *root, const struct nw_kms_request *q)
{
    if (q->n_context == 0)
        return NW_OK;
    json_t *ctx = json_object();
    if (ctx == NULL)
        return NW_ERR_NOMEM;
    if (json_object_set_new(root, "EncryptionContext", ctx) != 0)
        return NW_ERR_NOMEM;
    for (size_t i = 0; i < q->n_context; i++) {
        const struct nw_kms_kv *kv = &q->context[i];
        NW_ENSURE(kv->key != NULL && kv->value != NULL && kv->key[0] != '\0', NW_ERR_INVALID_ARG);
        NW_ENSURE(json_object_get(ctx, kv->key) == NULL, NW_ERR_INVALID_ARG); /* duplicate */
        NW_TRY(nw_aws_json_set_str(ctx, kv->key, kv->value));
    }
    return NW_OK;
}

static nw_err set_recipient(json_t *root, const struct nw_kms_request *q)
{
    if (q->recipient_attestation.len == 0)
        return NW_OK;
    json_t *r = json_object();
    if (r == NULL)
        return NW_ERR_NOMEM;
    if (json_object_set_new(root, "Recipient", r) != 0)
        return NW_ERR_NOMEM;
    NW_TRY(nw_aws_json_set_str(r, "KeyEncryptionAlgorithm", "RSAES_OAEP_SHA_256"));
    return nw_aws_json_set_b64(r, "AttestationDocument", q->recipient_attestation);
}

static nw_err set_int(json_t *root, const char *key, uint32_t v)
{
    return json_object_set_new(root, key, json_integer((json_int_t)v)) == 0 ? NW_OK : NW_ERR_NOMEM;
}

static nw_err set_page(json_t *root, const struct nw_kms_request *q)
{
    if (q->limit > 0)
        NW_TRY(set_int(root, "Limit", q->limit));
    if (q->marker != NULL)
        NW_TRY(nw_aws_json_set_str(root, "Marker", q->marker));
    return NW_OK;
}

/* The administration operations, members in model order. */
static nw_err build_admin(json_t *root, enum nw_kms_op op, const struct nw_kms_request *q)
{
    switch (op) {
        case NW_KMS_CREATE_KEY:
            if (q->policy != NULL)
                NW_TRY(nw_aws_json_set_str(root, "Policy", q->policy));
            if (q->description != NULL)
                NW_TRY(nw_aws_json_set_str(root, "Description", q->description));
            return NW_OK;
        case NW_KMS_CREATE_ALIAS:
            NW_TRY(nw_aws_json_set_str(root, "AliasName", q->alias_name));
            return nw_aws_json_set_str(root, "TargetKeyId", q->key_id);
        case NW_KMS_PUT_KEY_POLICY:
            NW_TRY(nw_aws_json_set_str(root, "KeyId", q->key_id));
            NW_TRY(nw_aws_json_set_str(root, "PolicyName", "default"));
            return nw_aws_json_set_str(root, "Policy", q->policy);
        case NW_KMS_GET_KEY_POLICY:
            NW_TRY(nw_aws_json_set_str(root, "KeyId", q->key_id));
            return nw_aws_json_set_str(root, "PolicyName", "default");
        case NW_KMS_LIST_KEYS:
            return set_page(root, q);
        case NW_KMS_LIST_ALIASES:
            if (q->key_id != NULL)
                NW_TRY(nw_aws_json_set_str(root, "KeyId", q->key_id));
            return set_page(root, q);
        case NW_KMS_SCHEDULE_KEY_DELETION:
            NW_TRY(nw_aws_json_set_str(root, "KeyId", q->key_id));
            if (q->pending_window_days > 0)
                NW_TRY(set_int(root, "PendingWindowInDays", q->pending_window_days));
            return NW_OK;
        default:
            return NW_ERR_INVALID_ARG;
    }
}

/* Members in the order of the model's request shapes. */
static nw_err build(json_t *root, enum nw_kms_op op, const struct nw_kms_request *q)
{
    switch (op) {
        case NW_KMS_ENCRYPT:
            NW_TRY(nw_aws_json_set_str(root, "KeyId", q->key_id));
            NW_TRY(nw_aws_json_set_b64(root, "Plaintext", q->plaintext));
            NW_TRY(set_context(root, q));
            if (q->encryption_algorithm != NULL)
                NW_TRY(nw_aws_json_set_str(root, "EncryptionAlgorithm", q->encryption_algorithm));
            return NW_OK;
        case NW_KMS_DECRYPT:
            NW_TRY(nw_aws_json_set_b64(root, "CiphertextBlob", q->ciphertext_blob));
            NW_TRY(set_context(root, q));
            if (q->key_id != NULL)
                NW_TRY(nw_aws_json_set_str(root, "KeyId", q->key_id));
            if (q->encryption_algorithm != NULL)
                NW_TRY(nw_aws_json_set_str(root, "EncryptionAlgorithm", q->encryption_algorithm));
            return set_recipient(root, q);
        case NW_KMS_GENERATE_DATA_KEY:
            NW_TRY(nw_aws_json_set_str(root, "KeyId", q->key_id));
            NW_TRY(set_context(root, q));
            if (q->number_of_bytes > 0)
                NW_TRY(set_int(root, "NumberOfBytes", q->number_of_bytes));
            else
                NW_TRY(nw_aws_json_set_str(root, "KeySpec",
                                           q->key_spec != NULL ? q->key_spec : "AES_256"));
            return set_recipient(root, q);
        case NW_KMS_GENERATE_RANDOM:
            NW_TRY(set_int(root, "NumberOfBytes", q->number_of_bytes));
            return set_recipient(root, q);
        case NW_KMS_DESCRIBE_KEY:
            return nw_aws_json_set_str(root, "KeyId", q->key_id);
        default:
            return build_admin(root, op, q);
    }
}

nw_err nw_kms_build_request(struct nw_buf *out, enum nw_kms_op op, const struct nw_kms_request *req)
{
    nw_err err = NW_OK;
    NW_ENSURE(nw_kms_op_name(op) != NULL, NW_ERR_INVALID_ARG);
    NW_TRY(check_fields(op, req));
    json_t *root = json_object();
    NW_ENSURE(root != NULL, NW_ERR_NOMEM);
    NW_CHECK(build(root, op, req));
    NW_CHECK(nw_aws_json_dump(out, root));
out:
    json_decref(root);
    return err;
}

/* ---- responses -------------------------------------------------------------------------- */

static nw_err parse_metadata(struct nw_kms_result *r, const json_t *root)
{
    json_t *md = json_object_get(root, "KeyMetadata");
    NW_ENSURE(json_is_object(md), NW_ERR_AWS_RESPONSE);
    NW_TRY(nw_aws_json_get_str(r->key_id, sizeof(r->key_id), md, "KeyId"));
    NW_ENSURE(r->key_id[0] != '\0', NW_ERR_AWS_RESPONSE);
    NW_TRY(nw_aws_json_get_str(r->arn, sizeof(r->arn), md, "Arn"));
    NW_TRY(nw_aws_json_get_str(r->key_state, sizeof(r->key_state), md, "KeyState"));
    NW_TRY(nw_aws_json_get_str(r->key_usage, sizeof(r->key_usage), md, "KeyUsage"));
    NW_TRY(nw_aws_json_get_str(r->key_spec, sizeof(r->key_spec), md, "KeySpec"));
    NW_TRY(nw_aws_json_get_str(r->description, sizeof(r->description), md, "Description"));
    json_t *en = json_object_get(md, "Enabled");
    NW_ENSURE(en == NULL || json_is_boolean(en), NW_ERR_AWS_RESPONSE);
    r->enabled = json_is_true(en);
    return NW_OK;
}

/* The administration answers: only what each must hold is checked (body keeps the rest). */
static nw_err parse_admin(struct nw_kms_result *r, enum nw_kms_op op, const json_t *root)
{
    switch (op) {
        case NW_KMS_CREATE_KEY:
            return parse_metadata(r, root);
        case NW_KMS_GET_KEY_POLICY:
            NW_ENSURE(json_is_string(json_object_get(root, "Policy")), NW_ERR_AWS_RESPONSE);
            return NW_OK;
        case NW_KMS_LIST_KEYS:
            NW_ENSURE(json_is_array(json_object_get(root, "Keys")), NW_ERR_AWS_RESPONSE);
            return NW_OK;
        case NW_KMS_LIST_ALIASES:
            NW_ENSURE(json_is_array(json_object_get(root, "Aliases")), NW_ERR_AWS_RESPONSE);
            return NW_OK;
        case NW_KMS_SCHEDULE_KEY_DELETION:
            NW_TRY(nw_aws_json_get_str(r->key_id, sizeof(r->key_id), root, "KeyId"));
            NW_ENSURE(r->key_id[0] != '\0', NW_ERR_AWS_RESPONSE);
            return NW_OK;
        default: /* CreateAlias, PutKeyPolicy: an empty answer */
            return NW_OK;
    }
}

static nw_err parse(struct nw_kms_result *r, enum nw_kms_op op, const json_t *root)
{
    bool pt = false, cb = false, cfr = false;
    if (op == NW_KMS_DESCRIBE_KEY)
        return parse_metadata(r, root);
    if (op >= NW_KMS_CREATE_KEY)
        return parse_admin(r, op, root);
    NW_TRY(nw_aws_json_get_str(r->key_id, sizeof(r->key_id), root, "KeyId"));
    NW_TRY(nw_aws_json_get_str(r->encryption_algorithm, sizeof(r->encryption_algorithm), root,
                               "EncryptionAlgorithm"));
    NW_TRY(nw_aws_json_get_b64(&r->plaintext, root, "Plaintext", &pt));
    NW_TRY(nw_aws_json_get_b64(&r->ciphertext_blob, root, "CiphertextBlob", &cb));
    NW_TRY(nw_aws_json_get_b64(&r->ciphertext_for_recipient, root, "CiphertextForRecipient", &cfr));
    switch (op) {
        case NW_KMS_ENCRYPT:
            NW_ENSURE(cb && r->ciphertext_blob.len > 0, NW_ERR_AWS_RESPONSE);
            return NW_OK;
        case NW_KMS_GENERATE_DATA_KEY:
            NW_ENSURE(cb && r->ciphertext_blob.len > 0, NW_ERR_AWS_RESPONSE);
            NW_ENSURE(pt || cfr, NW_ERR_AWS_RESPONSE);
            return NW_OK;
        case NW_KMS_DECRYPT:
        case NW_KMS_GENERATE_RANDOM:
            NW_ENSURE(pt || cfr, NW_ERR_AWS_RESPONSE);
            return NW_OK;
        default:
            break;
    }
    return NW_ERR_AWS_RESPONSE;
}

nw_err nw_kms_parse_response(struct nw_kms_result *r, enum nw_kms_op op, struct nw_cur body)
{
    json_t *root = NULL;
    nw_kms_result_clear(r);
    nw_err err = nw_kms_op_name(op) != NULL ? NW_OK : NW_ERR_INVALID_ARG;
    NW_CHECK(err);
    NW_CHECK(nw_aws_json_parse(&root, body));
    NW_CHECK(parse(r, op, root));
    /* Keep the text of answers that hold no secret, for callers that show it. */
    if (op == NW_KMS_ENCRYPT || op == NW_KMS_DESCRIBE_KEY || op >= NW_KMS_CREATE_KEY)
        NW_CHECK(nw_buf_append(&r->body, body.ptr, body.len));
out:
    json_decref(root); /* note: jansson's copies are wiped only with nw_mem_hook_libraries() */
    if (err != NW_OK)
        nw_kms_result_clear(r);
    return err;
}

/* ---- calls ------------------------------------------------------------------------------ */

nw_err nw_kms_call(struct nw_aws_client *c,
                   struct nw_kms_result *r,
                   enum nw_kms_op op,
                   const struct nw_kms_request *req,
                   struct nw_aws_error *aerr)
{
    nw_err err = NW_OK;
    struct nw_buf body, resp;
    nw_buf_init(&body, 1u << 20, true);
    nw_buf_init(&resp, 1u << 20, true);
    nw_aws_error_reset(aerr);
    nw_kms_result_clear(r);
    NW_CHECK(nw_kms_build_request(&body, op, req));
    /* The data operations are safe to repeat (a lost answer only costs a new ciphertext), and
     * so are reads and PutKeyPolicy; a repeated CreateKey would make a second key, and
     * CreateAlias or ScheduleKeyDeletion would fail the second time. */
    bool idempotent = op < NW_KMS_CREATE_KEY || op == NW_KMS_PUT_KEY_POLICY ||
                      op == NW_KMS_GET_KEY_POLICY || op == NW_KMS_LIST_KEYS ||
                      op == NW_KMS_LIST_ALIASES;
    NW_CHECK(nw_aws_json_call(c, &resp, nw_kms_op_name(op), nw_buf_cur(&body), idempotent, aerr));
    NW_CHECK(nw_kms_parse_response(r, op, nw_buf_cur(&resp)));
out:
    if (aerr != NULL)
        aerr->code = err;
    nw_buf_clear(&body);
    nw_buf_clear(&resp);
    return err;
}

nw_err nw_kms_encrypt(struct nw_aws_client *c,
                      struct nw_kms_result *r,
                      const struct nw_kms_request *req,
                      struct nw_aws_error *err)
{
    return nw_kms_call(c, r, NW_KMS_ENCRYPT, req, err);
}

nw_err nw_kms_decrypt(struct nw_aws_client *c,
                      struct nw_kms_result *r,
                      const struct nw_kms_request *req,
                      struct nw_aws_error *err)
{
    return nw_kms_call(c, r, NW_KMS_DECRYPT, req, err);
}

nw_err nw_kms_generate_data_key(struct nw_aws_client *c,
                                struct nw_kms_result *r,
                                const struct nw_kms_request *req,
                                struct nw_aws_error *err)
{
    return nw_kms_call(c, r, NW_KMS_GENERATE_DATA_KEY, req, err);
}

nw_err nw_kms_generate_random(struct nw_aws_client *c,
                              struct nw_kms_result *r,
                              const struct nw_kms_request *req,
                              struct nw_aws_error *err)
{
    return nw_kms_call(c, r, NW_KMS_GENERATE_RANDOM, req, err);
}

nw_err nw_kms_describe_key(struct nw_aws_client *c,
                           struct nw_kms_result *r,
                           const struct nw_kms_request *req,
                           struct nw_aws_error *err)
{
    return nw_kms_call(c, r, NW_KMS_DESCRIBE_KEY, req, err);
}

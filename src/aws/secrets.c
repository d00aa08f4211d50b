/*
 * Secrets Manager request bodies and response parsing (botocore model
 * secretsmanager/2017-10-17; nitro-protocols.md section 6). Members in model order.
 */
#include <math.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include <nw/base64.h>
#include <nw/mem.h>
#include <nw/secrets.h>

#include "aws_int.h"

#define SM_MAX_VALUE 65536u

static const char *const OP_NAMES[] = {
    [NW_SM_CREATE_SECRET] = "CreateSecret",      [NW_SM_GET_SECRET_VALUE] = "GetSecretValue",
    [NW_SM_PUT_SECRET_VALUE] = "PutSecretValue", [NW_SM_UPDATE_SECRET] = "UpdateSecret",
    [NW_SM_DESCRIBE_SECRET] = "DescribeSecret",  [NW_SM_LIST_SECRETS] = "ListSecrets",
    [NW_SM_DELETE_SECRET] = "DeleteSecret",
};

const char *nw_sm_op_name(enum nw_sm_op op)
{
    if ((int)op < NW_SM_CREATE_SECRET || (int)op > NW_SM_DELETE_SECRET)
        return NULL;
    return OP_NAMES[op];
}

void nw_sm_result_init(struct nw_sm_result *r)
{
    memset(r, 0, sizeof(*r));
    nw_buf_init(&r->secret_string, SM_MAX_VALUE, true);
    nw_buf_init(&r->secret_binary, SM_MAX_VALUE, true);
    nw_buf_init(&r->body, (size_t)4 << 20, false);
}

void nw_sm_result_clear(struct nw_sm_result *r)
{
    nw_buf_clear(&r->secret_string);
    nw_buf_clear(&r->secret_binary);
    nw_buf_clear(&r->body);
    struct nw_buf s = r->secret_string, b = r->secret_binary, t = r->body;
    memset(r, 0, sizeof(*r));
    r->secret_string = s;
    r->secret_binary = b;
    r->body = t;
}

/* ---- requests --------------------------------------------------------------------------- */

static bool len_in(const char *s, size_t lo, size_t hi)
{
    size_t n = s != NULL ? strlen(s) : 0;
    return n >= lo && n <= hi;
}

static nw_err check_fields(enum nw_sm_op op, const struct nw_sm_request *q)
{
    bool create = op == NW_SM_CREATE_SECRET, get = op == NW_SM_GET_SECRET_VALUE;
    bool put = op == NW_SM_PUT_SECRET_VALUE, update = op == NW_SM_UPDATE_SECRET;
    bool write = create || put || update;
    NW_ENSURE(create ? len_in(q->name, 1, 512) : q->name == NULL, NW_ERR_INVALID_ARG);
    bool list = op == NW_SM_LIST_SECRETS, del = op == NW_SM_DELETE_SECRET;
    NW_ENSURE(create || list ? q->secret_id == NULL : len_in(q->secret_id, 1, 2048),
              NW_ERR_INVALID_ARG);
    NW_ENSURE(list || (q->max_results == 0 && q->next_token == NULL), NW_ERR_INVALID_ARG);
    NW_ENSURE(q->max_results <= 100 && (q->next_token == NULL || len_in(q->next_token, 1, 4096)),
              NW_ERR_INVALID_ARG);
    NW_ENSURE(del || (q->recovery_window_days == 0 && !q->force_delete), NW_ERR_INVALID_ARG);
    NW_ENSURE(q->recovery_window_days == 0 || (q->recovery_window_days >= 7 &&
                                               q->recovery_window_days <= 30 && !q->force_delete),
              NW_ERR_INVALID_ARG);
    NW_ENSURE(q->description == NULL || ((create || update) && len_in(q->description, 0, 2048)),
              NW_ERR_INVALID_ARG);
    NW_ENSURE(q->kms_key_id == NULL || ((create || update) && len_in(q->kms_key_id, 0, 2048)),
              NW_ERR_INVALID_ARG);
    NW_ENSURE(q->secret_string.len == 0 || (write && q->secret_string.len <= SM_MAX_VALUE),
              NW_ERR_INVALID_ARG);
    NW_ENSURE(q->secret_binary.len == 0 || (write && q->secret_binary.len <= SM_MAX_VALUE),
              NW_ERR_INVALID_ARG);
    NW_ENSURE(q->secret_string.len == 0 || q->secret_binary.len == 0, NW_ERR_INVALID_ARG);
    NW_ENSURE(!put || q->secret_string.len > 0 || q->secret_binary.len > 0, NW_ERR_INVALID_ARG);
    NW_ENSURE(q->client_request_token == NULL || (write && len_in(q->client_request_token, 32, 64)),
              NW_ERR_INVALID_ARG);
    NW_ENSURE(q->version_id == NULL || (get && len_in(q->version_id, 32, 64)), NW_ERR_INVALID_ARG);
    NW_ENSURE(q->version_stage == NULL || (get && len_in(q->version_stage, 1, 256)),
              NW_ERR_INVALID_ARG);
    return NW_OK;
}

/* A random (version 4) UUID, lower-case, 36 characters. */
static nw_err uuid4(char out[37])
{
    uint8_t b[16];
    if (RAND_bytes(b, sizeof(b)) != 1)
        return NW_ERR_CRYPTO;
    nw_uuid4_format(out, b);
    return NW_OK;
}

static nw_err set_value(json_t *root, const struct nw_sm_request *q)
{
    if (q->secret_binary.len > 0)
        NW_TRY(nw_aws_json_set_b64(root, "SecretBinary", q->secret_binary));
    if (q->secret_string.len > 0)
        NW_TRY(nw_aws_json_set_strn(root, "SecretString", q->secret_string));
    return NW_OK;
}

static nw_err build(json_t *root, char *token, enum nw_sm_op op, const struct nw_sm_request *q)
{
    const char *tok = q->client_request_token != NULL ? q->client_request_token : token;
    switch (op) {
        case NW_SM_CREATE_SECRET:
            NW_TRY(nw_aws_json_set_str(root, "Name", q->name));
            NW_TRY(nw_aws_json_set_str(root, "ClientRequestToken", tok));
            if (q->description != NULL)
                NW_TRY(nw_aws_json_set_str(root, "Description", q->description));
            if (q->kms_key_id != NULL)
                NW_TRY(nw_aws_json_set_str(root, "KmsKeyId", q->kms_key_id));
            return set_value(root, q);
        case NW_SM_GET_SECRET_VALUE:
            NW_TRY(nw_aws_json_set_str(root, "SecretId", q->secret_id));
            if (q->version_id != NULL)
                NW_TRY(nw_aws_json_set_str(root, "VersionId", q->version_id));
            if (q->version_stage != NULL)
                NW_TRY(nw_aws_json_set_str(root, "VersionStage", q->version_stage));
            return NW_OK;
        case NW_SM_PUT_SECRET_VALUE:
            NW_TRY(nw_aws_json_set_str(root, "SecretId", q->secret_id));
            NW_TRY(nw_aws_json_set_str(root, "ClientRequestToken", tok));
            return set_value(root, q);
        case NW_SM_UPDATE_SECRET:
            NW_TRY(nw_aws_json_set_str(root, "SecretId", q->secret_id));
            NW_TRY(nw_aws_json_set_str(root, "ClientRequestToken", tok));
            if (q->description != NULL)
                NW_TRY(nw_aws_json_set_str(root, "Description", q->description));
            if (q->kms_key_id != NULL)
                NW_TRY(nw_aws_json_set_str(root, "KmsKeyId", q->kms_key_id));
            return set_value(root, q);
        case NW_SM_DESCRIBE_SECRET:
            return nw_aws_json_set_str(root, "SecretId", q->secret_id);
        case NW_SM_LIST_SECRETS:
            if (q->max_results > 0 &&
                json_object_set_new(root, "MaxResults", json_integer(q->max_results)) != 0)
                return NW_ERR_NOMEM;
            return q->next_token ? nw_aws_json_set_str(root, "NextToken", q->next_token) : NW_OK;
        case NW_SM_DELETE_SECRET:
            NW_TRY(nw_aws_json_set_str(root, "SecretId", q->secret_id));
            if (q->recovery_window_days > 0 &&
                json_object_set_new(root, "RecoveryWindowInDays",
                                    json_integer(q->recovery_window_days)) != 0)
                return NW_ERR_NOMEM;
            if (q->force_delete &&
                json_object_set_new(root, "ForceDeleteWithoutRecovery", json_true()) != 0)
                return NW_ERR_NOMEM;
            return NW_OK;
    }
    return NW_ERR_INVALID_ARG;
}

nw_err nw_sm_build_request(struct nw_buf *out,
                           char *token_out,
                           enum nw_sm_op op,
                           const struct nw_sm_request *req)
{
    nw_err err = NW_OK;
    char token[37] = "";
    json_t *root = NULL;
    if (token_out != NULL)
        token_out[0] = '\0';
    NW_ENSURE(nw_sm_op_name(op) != NULL, NW_ERR_INVALID_ARG);
    NW_TRY(check_fields(op, req));
    bool write =
        op == NW_SM_CREATE_SECRET || op == NW_SM_PUT_SECRET_VALUE || op == NW_SM_UPDATE_SECRET;
    if (write && req->client_request_token == NULL) {
        NW_TRY(uuid4(token));
        if (token_out != NULL)
            memcpy(token_out, token, sizeof(token));
    }
    root = json_object();
    NW_ENSURE(root != NULL, NW_ERR_NOMEM);
    NW_CHECK(build(root, token, op, req));
    NW_CHECK(nw_aws_json_dump(out, root));
out:
    json_decref(root);
    return err;
}

/* ---- responses -------------------------------------------------------------------------- */

/* Timestamps are epoch seconds as JSON numbers (with a fraction), per awsJson1_1. */
static nw_err get_time(int64_t *out, const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    *out = 0;
    if (v == NULL || json_is_null(v))
        return NW_OK;
    NW_ENSURE(json_is_number(v), NW_ERR_AWS_RESPONSE);
    double d = json_number_value(v);
    NW_ENSURE(isfinite(d) && d >= 0 && d < 253402300800.0, NW_ERR_AWS_RESPONSE);
    *out = (int64_t)d;
    return NW_OK;
}

static nw_err parse(struct nw_sm_result *r, enum nw_sm_op op, const json_t *root)
{
    if (op == NW_SM_LIST_SECRETS) {
        NW_ENSURE(json_is_array(json_object_get(root, "SecretList")), NW_ERR_AWS_RESPONSE);
        return NW_OK;
    }
    NW_TRY(nw_aws_json_get_str(r->arn, sizeof(r->arn), root, "ARN"));
    NW_ENSURE(r->arn[0] != '\0', NW_ERR_AWS_RESPONSE);
    NW_TRY(nw_aws_json_get_str(r->name, sizeof(r->name), root, "Name"));
    NW_TRY(nw_aws_json_get_str(r->version_id, sizeof(r->version_id), root, "VersionId"));
    if (op == NW_SM_GET_SECRET_VALUE) {
        NW_TRY(nw_aws_json_get_b64(&r->secret_binary, root, "SecretBinary", &r->has_binary));
        json_t *s = json_object_get(root, "SecretString");
        if (s != NULL && !json_is_null(s)) {
            NW_ENSURE(json_is_string(s), NW_ERR_AWS_RESPONSE);
            r->has_string = true;
            NW_TRY(nw_buf_append(&r->secret_string, json_string_value(s), json_string_length(s)));
        }
        NW_ENSURE(r->has_string != r->has_binary, NW_ERR_AWS_RESPONSE);
        NW_TRY(get_time(&r->created_date, root, "CreatedDate"));
    }
    if (op == NW_SM_DESCRIBE_SECRET) {
        NW_TRY(nw_aws_json_get_str(r->description, sizeof(r->description), root, "Description"));
        NW_TRY(nw_aws_json_get_str(r->kms_key_id, sizeof(r->kms_key_id), root, "KmsKeyId"));
        NW_TRY(get_time(&r->created_date, root, "CreatedDate"));
        NW_TRY(get_time(&r->last_changed_date, root, "LastChangedDate"));
    }
    return NW_OK;
}

nw_err nw_sm_parse_response(struct nw_sm_result *r, enum nw_sm_op op, struct nw_cur body)
{
    json_t *root = NULL;
    nw_sm_result_clear(r);
    nw_err err = nw_sm_op_name(op) != NULL ? NW_OK : NW_ERR_INVALID_ARG;
    NW_CHECK(err);
    NW_CHECK(nw_aws_json_parse(&root, body));
    NW_CHECK(parse(r, op, root));
    if (op != NW_SM_GET_SECRET_VALUE) /* the only answer that holds a secret */
        NW_CHECK(nw_buf_append(&r->body, body.ptr, body.len));
out:
    json_decref(root);
    if (err != NW_OK)
        nw_sm_result_clear(r);
    return err;
}

/* ---- calls ------------------------------------------------------------------------------ */

nw_err nw_sm_call(struct nw_aws_client *c,
                  struct nw_sm_result *r,
                  enum nw_sm_op op,
                  const struct nw_sm_request *req,
                  struct nw_aws_error *aerr)
{
    nw_err err = NW_OK;
    struct nw_buf body, resp;
    nw_buf_init(&body, 1u << 20, true);
    nw_buf_init(&resp, 1u << 20, true);
    nw_aws_error_reset(aerr);
    nw_sm_result_clear(r);
    NW_CHECK(nw_sm_build_request(&body, NULL, op, req));
    /* Reads are idempotent; writes carry a ClientRequestToken, which makes a repeat a no-op;
     * a repeated DeleteSecret would fail on the secret already scheduled for deletion. */
    NW_CHECK(nw_aws_json_call(c, &resp, nw_sm_op_name(op), nw_buf_cur(&body),
                              op != NW_SM_DELETE_SECRET, aerr));
    NW_CHECK(nw_sm_parse_response(r, op, nw_buf_cur(&resp)));
out:
    if (aerr != NULL)
        aerr->code = err;
    nw_buf_clear(&body);
    nw_buf_clear(&resp);
    return err;
}

nw_err nw_sm_create_secret(struct nw_aws_client *c,
                           struct nw_sm_result *r,
                           const struct nw_sm_request *req,
                           struct nw_aws_error *err)
{
    return nw_sm_call(c, r, NW_SM_CREATE_SECRET, req, err);
}

nw_err nw_sm_get_secret_value(struct nw_aws_client *c,
                              struct nw_sm_result *r,
                              const struct nw_sm_request *req,
                              struct nw_aws_error *err)
{
    return nw_sm_call(c, r, NW_SM_GET_SECRET_VALUE, req, err);
}

nw_err nw_sm_put_secret_value(struct nw_aws_client *c,
                              struct nw_sm_result *r,
                              const struct nw_sm_request *req,
                              struct nw_aws_error *err)
{
    return nw_sm_call(c, r, NW_SM_PUT_SECRET_VALUE, req, err);
}

nw_err nw_sm_update_secret(struct nw_aws_client *c,
                           struct nw_sm_result *r,
                           const struct nw_sm_request *req,
                           struct nw_aws_error *err)
{
    return nw_sm_call(c, r, NW_SM_UPDATE_SECRET, req, err);
}

nw_err nw_sm_describe_secret(struct nw_aws_client *c,
                             struct nw_sm_result *r,
                             const struct nw_sm_request *req,
                             struct nw_aws_error *err)
{
    return nw_sm_call(c, r, NW_SM_DESCRIBE_SECRET, req, err);
}

/*
 * AWS Secrets Manager over awsJson1_1 (X-Amz-Target: secretsmanager.<Op>): CreateSecret,
 * GetSecretValue, PutSecretValue, UpdateSecret, DescribeSecret, ListSecrets, DeleteSecret. Field
 * names, types and bounds follow the botocore model secretsmanager/2017-10-17.
 *
 * Secret values are secrets: request bodies and results are wiped. Writes carry a
 * ClientRequestToken (a fresh UUID v4 unless the caller gives one, as the AWS SDKs do), which
 * makes them idempotent, so they are retried like reads.
 */
#ifndef NW_SECRETS_H
#define NW_SECRETS_H

#include <stdbool.h>

#include <nw/aws.h>

enum nw_sm_op {
    NW_SM_CREATE_SECRET = 1,
    NW_SM_GET_SECRET_VALUE = 2,
    NW_SM_PUT_SECRET_VALUE = 3,
    NW_SM_UPDATE_SECRET = 4,
    NW_SM_DESCRIBE_SECRET = 5,
    NW_SM_LIST_SECRETS = 6,
    NW_SM_DELETE_SECRET = 7,
};

/*
 * A request; fields an operation does not take must stay NULL/empty (else NW_ERR_INVALID_ARG).
 *  name:                 CreateSecret (required, 1..512)
 *  secret_id:            Get, Put, Update, Describe, Delete (required, name or ARN, 1..2048)
 *  description:          Create, Update (0..2048)
 *  kms_key_id:           Create, Update
 *  secret_string:        Create, Put, Update (1..65536 bytes of UTF-8; secret)
 *  secret_binary:        Create, Put, Update (1..65536 bytes; secret); not with secret_string
 *  client_request_token: Create, Put, Update (32..64); NULL: a fresh UUID v4
 *  version_id, version_stage: GetSecretValue (optional)
 *  max_results, next_token:   ListSecrets (optional: 1..100, and a previous NextToken)
 *  recovery_window_days:      DeleteSecret (optional: 7..30; 0: 30)
 *  force_delete:              DeleteSecret: ForceDeleteWithoutRecovery (not with a window)
 */
struct nw_sm_request {
    const char *name;
    const char *secret_id;
    const char *description;
    const char *kms_key_id;
    struct nw_cur secret_string;
    struct nw_cur secret_binary;
    const char *client_request_token;
    const char *version_id;
    const char *version_stage;
    uint32_t max_results;
    const char *next_token;
    uint32_t recovery_window_days;
    bool force_delete;
};

/*
 * A response. Initialise with nw_sm_result_init, free with nw_sm_result_clear (wipes).
 *  arn, name, version_id:        every op (version_id: Create/Put/Update when a value was given,
 * Get) secret_string/secret_binary:  GetSecretValue (exactly one is present; secret buffers)
 *  description, kms_key_id:      DescribeSecret
 *  created_date, last_changed_date: Unix seconds (fractions dropped); 0 when absent
 *  body:                         the whole response JSON of every op but GetSecretValue (the
 *                                others return no secret), for callers that show it as the
 *                                AWS CLI does
 * ListSecrets answers need SecretList (an array) instead of ARN.
 */
struct nw_sm_result {
    char arn[2049];
    char name[513];
    char version_id[65];
    struct nw_buf secret_string;
    struct nw_buf secret_binary;
    bool has_string;
    bool has_binary;
    char description[2049];
    char kms_key_id[2049];
    int64_t created_date;
    int64_t last_changed_date;
    struct nw_buf body;
};

void nw_sm_result_init(struct nw_sm_result *r) NW_NONNULL(1);
void nw_sm_result_clear(struct nw_sm_result *r) NW_NONNULL(1);

/* "CreateSecret", ...; NULL for an unknown op. */
const char *nw_sm_op_name(enum nw_sm_op op);

/*
 * Build the JSON body of op into out (appended; use a secret buffer). When
 * client_request_token is NULL for a write, token_out (37 bytes) receives the generated UUID
 * (may be NULL). Returns: NW_OK; NW_ERR_INVALID_ARG; NW_ERR_NOMEM; NW_ERR_BUF_FULL;
 * NW_ERR_CRYPTO (no randomness for the token).
 */
nw_err nw_sm_build_request(struct nw_buf *out,
                           char *token_out,
                           enum nw_sm_op op,
                           const struct nw_sm_request *req) NW_MUST_USE NW_NONNULL(1, 4);

/*
 * Parse a 200 response body of op into r (cleared first and on failure). Required: ARN (every
 * op), and for GetSecretValue exactly one of SecretString / SecretBinary.
 * Returns: NW_OK; NW_ERR_AWS_RESPONSE; NW_ERR_NOMEM.
 */
nw_err nw_sm_parse_response(struct nw_sm_result *r, enum nw_sm_op op, struct nw_cur body)
    NW_MUST_USE NW_NONNULL(1);

/*
 * Call op: build, send (signed, retried as configured), parse. err may be NULL.
 * Returns: NW_OK; e.g. NW_ERR_AWS_NOT_FOUND (ResourceNotFoundException), NW_ERR_AWS_EXISTS,
 * NW_ERR_AWS_VALIDATION, NW_ERR_AWS_ACCESS_DENIED; HTTP, credential and parse errors.
 */
nw_err nw_sm_call(struct nw_aws_client *c,
                  struct nw_sm_result *r,
                  enum nw_sm_op op,
                  const struct nw_sm_request *req,
                  struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2, 4);

nw_err nw_sm_create_secret(struct nw_aws_client *c,
                           struct nw_sm_result *r,
                           const struct nw_sm_request *req,
                           struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2, 3);
nw_err nw_sm_get_secret_value(struct nw_aws_client *c,
                              struct nw_sm_result *r,
                              const struct nw_sm_request *req,
                              struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2, 3);
nw_err nw_sm_put_secret_value(struct nw_aws_client *c,
                              struct nw_sm_result *r,
                              const struct nw_sm_request *req,
                              struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2, 3);
nw_err nw_sm_update_secret(struct nw_aws_client *c,
                           struct nw_sm_result *r,
                           const struct nw_sm_request *req,
                           struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2, 3);
nw_err nw_sm_describe_secret(struct nw_aws_client *c,
                             struct nw_sm_result *r,
                             const struct nw_sm_request *req,
                             struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2, 3);

#endif /* NW_SECRETS_H */

/*
 * AWS KMS over awsJson1_1 (X-Amz-Target: TrentService.<Op>), the operations nitro-wallet uses:
 * Encrypt, Decrypt, GenerateDataKey, GenerateRandom, DescribeKey, and the administration the
 * `nw kms` commands do: CreateKey, CreateAlias, PutKeyPolicy, GetKeyPolicy, ListKeys,
 * ListAliases, ScheduleKeyDeletion. Field names and types follow
 * the botocore model kms/2014-11-01; blobs travel as padded standard base64.
 *
 * Recipient (Decrypt, GenerateDataKey, GenerateRandom): when recipient_attestation is given,
 * the request carries {"Recipient": {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256",
 * "AttestationDocument": <base64>}} and KMS answers CiphertextForRecipient (a CMS
 * EnvelopedData for the enclave's RSA key) instead of Plaintext. libnwaws treats the document
 * and the CMS blob as opaque bytes; <nw/attest.h> builds and opens them.
 *
 * Each operation is: nw_kms_build_request (exact JSON body) -> nw_aws_json_call ->
 * nw_kms_parse_response. The builders and parsers are public for tests and fuzzing.
 */
#ifndef NW_KMS_H
#define NW_KMS_H

#include <stdbool.h>

#include <nw/aws.h>

enum nw_kms_op {
    NW_KMS_ENCRYPT = 1,
    NW_KMS_DECRYPT = 2,
    NW_KMS_GENERATE_DATA_KEY = 3,
    NW_KMS_GENERATE_RANDOM = 4,
    NW_KMS_DESCRIBE_KEY = 5,
    NW_KMS_CREATE_KEY = 6,
    NW_KMS_CREATE_ALIAS = 7,
    NW_KMS_PUT_KEY_POLICY = 8,
    NW_KMS_GET_KEY_POLICY = 9,
    NW_KMS_LIST_KEYS = 10,
    NW_KMS_LIST_ALIASES = 11,
    NW_KMS_SCHEDULE_KEY_DELETION = 12,
};

/* One encryption-context pair (NUL-terminated UTF-8). */
struct nw_kms_kv {
    const char *key;
    const char *value;
};

/*
 * A request; fields an operation does not use must be left zero/NULL (the builder refuses
 * them rather than dropping them silently). Nothing is owned.
 *  key_id:                Encrypt, GenerateDataKey, DescribeKey, PutKeyPolicy, GetKeyPolicy,
 *                         ScheduleKeyDeletion, CreateAlias (its TargetKeyId) (required);
 *                         Decrypt, ListAliases (optional)
 *  plaintext:             Encrypt (1..4096 bytes; secret)
 *  ciphertext_blob:       Decrypt (1..6144 bytes)
 *  context, n_context:    EncryptionContext: Encrypt, Decrypt, GenerateDataKey
 *  encryption_algorithm:  Encrypt, Decrypt (NULL: omitted, KMS uses SYMMETRIC_DEFAULT)
 *  number_of_bytes:       GenerateDataKey (1..1024, or 0 to use key_spec), GenerateRandom
 *  key_spec:              GenerateDataKey: "AES_256" or "AES_128" (NULL with number_of_bytes 0:
 *                         "AES_256")
 *  recipient_attestation: Decrypt, GenerateDataKey, GenerateRandom: an attestation document
 *                         (1..262144 bytes) for the Recipient field; empty: no Recipient
 *  description:           CreateKey (optional, 0..8192)
 *  policy:                CreateKey (optional), PutKeyPolicy (required): policy JSON text
 *                         (1..131072); PolicyName is always "default"
 *  alias_name:            CreateAlias ("alias/..." 7..256)
 *  limit, marker:         ListKeys, ListAliases (optional: 1..1000, and a previous NextMarker)
 *  pending_window_days:   ScheduleKeyDeletion (optional: 7..30; 0: KMS's 30)
 */
struct nw_kms_request {
    const char *key_id;
    struct nw_cur plaintext;
    struct nw_cur ciphertext_blob;
    const struct nw_kms_kv *context;
    size_t n_context;
    const char *encryption_algorithm;
    uint32_t number_of_bytes;
    const char *key_spec;
    struct nw_cur recipient_attestation;
    const char *description;
    const char *policy;
    const char *alias_name;
    uint32_t limit;
    const char *marker;
    uint32_t pending_window_days;
};

/*
 * A response. Initialise with nw_kms_result_init, free with nw_kms_result_clear (wipes).
 *  plaintext:                Decrypt, GenerateDataKey, GenerateRandom without Recipient (secret)
 *  ciphertext_blob:          Encrypt, GenerateDataKey
 *  ciphertext_for_recipient: with Recipient (the CMS EnvelopedData, BER)
 *  key_id:                   the key ARN KMS reports (Encrypt, Decrypt, GenerateDataKey,
 *                            DescribeKey: KeyMetadata.KeyId); "" when absent
 *  arn, key_state, key_usage, key_spec, description, enabled: DescribeKey (KeyMetadata)
 *  encryption_algorithm:     Encrypt, Decrypt
 *  body:                     the whole response JSON of the operations that return no secret
 *                            (Encrypt, DescribeKey and the administration ones), for callers
 *                            that show it as the AWS CLI does; empty for the others
 * Required members besides those below: CreateKey KeyMetadata.KeyId, GetKeyPolicy Policy,
 * ListKeys Keys (array), ListAliases Aliases (array), ScheduleKeyDeletion KeyId.
 */
struct nw_kms_result {
    struct nw_buf plaintext;
    struct nw_buf ciphertext_blob;
    struct nw_buf ciphertext_for_recipient;
    struct nw_buf body;
    char key_id[2049];
    char arn[2049];
    char key_state[32];
    char key_usage[32];
    char key_spec[32];
    char encryption_algorithm[32];
    char description[512];
    bool enabled;
};

void nw_kms_result_init(struct nw_kms_result *r) NW_NONNULL(1);
void nw_kms_result_clear(struct nw_kms_result *r) NW_NONNULL(1);

/* The operation name ("Encrypt", ...), or NULL for an unknown op. */
const char *nw_kms_op_name(enum nw_kms_op op);

/*
 * Build the JSON body of op into out (appended; pass a secret buffer: it can hold a
 * plaintext). Key order is fixed (model order) so bodies are reproducible.
 * Returns: NW_OK; NW_ERR_INVALID_ARG (a required field missing, a field the op does not take,
 * a size outside the model's bounds, non-UTF-8 text); NW_ERR_NOMEM; NW_ERR_BUF_FULL.
 */
nw_err nw_kms_build_request(struct nw_buf *out, enum nw_kms_op op, const struct nw_kms_request *req)
    NW_MUST_USE NW_NONNULL(1, 3);

/*
 * Parse a 200 response body of op into r (cleared first; cleared again on failure).
 * Required members per op: Encrypt CiphertextBlob; Decrypt Plaintext or
 * CiphertextForRecipient; GenerateDataKey CiphertextBlob and (Plaintext or
 * CiphertextForRecipient); GenerateRandom Plaintext or CiphertextForRecipient; DescribeKey
 * KeyMetadata.KeyId. Unknown members are ignored; a member of the wrong type is an error.
 * Returns: NW_OK; NW_ERR_AWS_RESPONSE; NW_ERR_NOMEM; NW_ERR_BUF_FULL.
 */
nw_err nw_kms_parse_response(struct nw_kms_result *r, enum nw_kms_op op, struct nw_cur body)
    NW_MUST_USE NW_NONNULL(1);

/*
 * Call op on KMS: build, send (signed; retried as configured: every KMS op here is safe to
 * repeat), parse. err (may be NULL) gets the AWS error name, message, status and request id.
 * Handles secrets: request and response bodies are wiped.
 * Returns: NW_OK; errors of the three steps, e.g. NW_ERR_AWS_NOT_FOUND, NW_ERR_AWS_DISABLED,
 * NW_ERR_AWS_INVALID_CIPHERTEXT (also a wrong encryption context), NW_ERR_AWS_ACCESS_DENIED.
 */
nw_err nw_kms_call(struct nw_aws_client *c,
                   struct nw_kms_result *r,
                   enum nw_kms_op op,
                   const struct nw_kms_request *req,
                   struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2, 4);

/* Convenience wrappers of nw_kms_call, one per operation. */
nw_err nw_kms_encrypt(struct nw_aws_client *c,
                      struct nw_kms_result *r,
                      const struct nw_kms_request *req,
                      struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2, 3);
nw_err nw_kms_decrypt(struct nw_aws_client *c,
                      struct nw_kms_result *r,
                      const struct nw_kms_request *req,
                      struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2, 3);
nw_err nw_kms_generate_data_key(struct nw_aws_client *c,
                                struct nw_kms_result *r,
                                const struct nw_kms_request *req,
                                struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2, 3);
nw_err nw_kms_generate_random(struct nw_aws_client *c,
                              struct nw_kms_result *r,
                              const struct nw_kms_request *req,
                              struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2, 3);
nw_err nw_kms_describe_key(struct nw_aws_client *c,
                           struct nw_kms_result *r,
                           const struct nw_kms_request *req,
                           struct nw_aws_error *err) NW_MUST_USE NW_NONNULL(1, 2, 3);

/* ---- the KMS relay, host half (DESIGN.md section 5) ----------------------------------- */

/*
 * In relay mode the enclave has no AWS credentials and no TLS: it sends nw-host one frame
 * (DESIGN.md section 3) per KMS call,
 *   {"v":1,"id":ID,"op":"kms","target":"TrentService.Decrypt","body":{...}}
 * with body as nw_kms_build_request makes it, and nw-host answers
 *   {"id":ID,"ok":true,"result":{"status":N,"error_type":NAME|null,"body":{...}}}
 * where status is KMS's HTTP status, error_type the bare AWS error name when status != 200
 * (null otherwise) and body KMS's JSON answer (for an error: {"__type":NAME,"message":TEXT}),
 * or, when the request is refused or KMS cannot be reached,
 *   {"id":ID,"ok":false,"error":{"code":CODE,"message":TEXT}}
 * with CODE the nw_err_code() of: NW_ERR_BAD_REQUEST (not JSON, not an object, id/v/op/target/
 * body missing or of the wrong type), NW_ERR_KMS_RELAY_VERSION (v != 1), NW_ERR_UNKNOWN_OP
 * (op != "kms"), NW_ERR_KMS_RELAY_TARGET (a target other than TrentService.Decrypt,
 * TrentService.GenerateDataKey, TrentService.GenerateRandom), NW_ERR_KMS_RELAY_RECIPIENT (no
 * Recipient object with KeyEncryptionAlgorithm "RSAES_OAEP_SHA_256" and a non-empty base64
 * AttestationDocument: without it KMS would answer a Plaintext the host must never see),
 * NW_ERR_KMS_RELAY_FIELD (a body member the target does not take, or of the wrong type),
 * NW_ERR_KMS_RELAY_TOO_LARGE (request over NW_KMS_RELAY_MAX_REQUEST, an id over 64
 * characters, a field over KMS's bounds), NW_ERR_KMS_UNAVAILABLE (no HTTP answer from KMS:
 * transport, TLS, credentials; or a 200 answer that is not a JSON object).
 * ID is echoed as sent (a JSON string or integer); it is null when the request had none.
 */
#define NW_KMS_RELAY_MAX_REQUEST ((size_t)64 * 1024) /* bytes of one request payload */
#define NW_KMS_RELAY_MAX_ID      64                  /* characters of a string id */
#define NW_KMS_RELAY_MAX_ANSWER  ((size_t)256 * 1024)

/* What happened to one relay request, for the host's log line (no bodies). */
struct nw_kms_relay_info {
    nw_err code;         /* NW_OK: forwarded and answered (whatever KMS's status); else why not */
    enum nw_kms_op op;   /* 0 until the target is known */
    int http_status;     /* KMS's HTTP status, 0 when not forwarded or no answer */
    char error_type[96]; /* KMS's error name when http_status != 200, else "" */
    char id[NW_KMS_RELAY_MAX_ID + 3]; /* the request id as text (printable ASCII), "" if none */
    int attempts;                     /* HTTP attempts made */
};

/*
 * Check one relay request payload without sending anything (the host half's gate; public for
 * the fuzz target and tests). Out: *op the KMS operation; body (appended, compact JSON) the
 * body to forward, re-serialised from the checked members; info (may be NULL) id and op.
 * Returns: NW_OK; the refusal codes listed above; NW_ERR_NOMEM; NW_ERR_BUF_FULL.
 */
nw_err nw_kms_relay_check(enum nw_kms_op *op,
                          struct nw_buf *body,
                          struct nw_kms_relay_info *info,
                          struct nw_cur request) NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Serve one relay request: check it (nw_kms_relay_check), sign it with the client's
 * credentials and forward it to KMS (nw_aws_json_call on kms, retried as configured), and
 * write the answer payload (see above) into answer (appended; at most
 * NW_KMS_RELAY_MAX_ANSWER bytes). The answer is always written, refusals included.
 * Out: answer, info (may be NULL; reset first).
 * Handles: no secrets pass through the relay (requests carry a Recipient, so KMS answers
 * CiphertextForRecipient, never a Plaintext); the client's credentials stay in libnwaws.
 * Returns: NW_OK when an answer was written (info->code says whether it was forwarded);
 * NW_ERR_NOMEM or NW_ERR_BUF_FULL when no answer could be built.
 * Thread safety: as the client (one client per thread, or serialise calls).
 */
nw_err nw_kms_relay_handle(struct nw_aws_client *kms,
                           struct nw_buf *answer,
                           struct nw_kms_relay_info *info,
                           struct nw_cur request) NW_MUST_USE NW_NONNULL(1, 2);

#endif /* NW_KMS_H */

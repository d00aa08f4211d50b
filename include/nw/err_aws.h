/*
 * Error codes of one area: SigV4, HTTP, credentials, KMS, Secrets Manager, IMDS (200s).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 *
 * AWS service errors map to the 21x-22x codes (nw_aws_error_code() in <nw/aws.h>); the AWS
 * error name itself travels beside the code in struct nw_aws_error. 250-259: the KMS relay
 * (nw_kms_relay_handle in <nw/kms.h>, DESIGN.md section 5).
 */
#ifndef NW_ERR_AWS_H
#define NW_ERR_AWS_H

/* clang-format off */
#define NW_ERRORS_AWS(X) \
    X(NW_ERR_SIGV4_INPUT,            200, "SigV4 request description invalid (header, path or query)") \
    X(NW_ERR_SIGV4_TIME,             201, "invalid SigV4 timestamp") \
    X(NW_ERR_SIGV4_AUTH_SYNTAX,      202, "malformed SigV4 Authorization header") \
    X(NW_ERR_SIGV4_MISMATCH,         203, "SigV4 signature does not match") \
    X(NW_ERR_AWS_CREDS_MISSING,      204, "no AWS credentials available") \
    X(NW_ERR_AWS_CREDS_INVALID,      205, "malformed AWS credentials") \
    X(NW_ERR_AWS_CREDS_EXPIRED,      206, "AWS credentials have expired") \
    X(NW_ERR_HTTP_TRANSPORT,         207, "HTTP transport failed (connect, send or receive)") \
    X(NW_ERR_HTTP_TLS,               208, "TLS handshake or certificate verification failed") \
    X(NW_ERR_HTTP_STATUS,            209, "unexpected HTTP status") \
    X(NW_ERR_HTTP_URL,               210, "malformed endpoint URL") \
    X(NW_ERR_AWS_RESPONSE,           211, "malformed AWS response") \
    X(NW_ERR_AWS_ACCESS_DENIED,      212, "AWS: access denied") \
    X(NW_ERR_AWS_SIGNATURE,          213, "AWS: request signature rejected") \
    X(NW_ERR_AWS_EXPIRED_TOKEN,      214, "AWS: security token expired") \
    X(NW_ERR_AWS_CLOCK_SKEW,         215, "AWS: request time outside the allowed window") \
    X(NW_ERR_AWS_UNRECOGNIZED,       216, "AWS: unrecognised access key or missing authentication") \
    X(NW_ERR_AWS_NOT_FOUND,          217, "AWS: resource not found") \
    X(NW_ERR_AWS_DISABLED,           218, "AWS: key disabled") \
    X(NW_ERR_AWS_INVALID_CIPHERTEXT, 219, "AWS: invalid ciphertext or encryption context") \
    X(NW_ERR_AWS_INCORRECT_KEY,      220, "AWS: ciphertext belongs to another key") \
    X(NW_ERR_AWS_INVALID_STATE,      221, "AWS: resource in an invalid state for the request") \
    X(NW_ERR_AWS_VALIDATION,         222, "AWS: request parameters rejected") \
    X(NW_ERR_AWS_THROTTLED,          223, "AWS: request throttled") \
    X(NW_ERR_AWS_UNAVAILABLE,        224, "AWS: service error or unavailable") \
    X(NW_ERR_AWS_EXISTS,             225, "AWS: resource already exists") \
    X(NW_ERR_AWS_LIMIT,              226, "AWS: limit exceeded") \
    X(NW_ERR_AWS_KEY_USAGE,          227, "AWS: key usage does not allow the operation") \
    X(NW_ERR_AWS_OTHER,              228, "AWS: unrecognised service error") \
    X(NW_ERR_IMDS_TOKEN,             229, "IMDSv2 token request failed") \
    X(NW_ERR_IMDS_NO_ROLE,           230, "no IAM role attached to the instance") \
    X(NW_ERR_KMS_RELAY_VERSION,      250, "KMS relay: unsupported protocol version (v must be 1)") \
    X(NW_ERR_KMS_RELAY_TARGET,       251, "KMS relay: target not allowed (TrentService.Decrypt, GenerateDataKey, GenerateRandom only)") \
    X(NW_ERR_KMS_RELAY_RECIPIENT,    252, "KMS relay: body lacks a Recipient (AttestationDocument, KeyEncryptionAlgorithm RSAES_OAEP_SHA_256)") \
    X(NW_ERR_KMS_RELAY_TOO_LARGE,    253, "KMS relay: request or one of its fields exceeds its size limit") \
    X(NW_ERR_KMS_RELAY_FIELD,        254, "KMS relay: body member unknown to the target or of the wrong type") \
    X(NW_ERR_KMS_RELAY_ANSWER,       255, "KMS relay: malformed answer frame")
/* clang-format on */

#endif /* NW_ERR_AWS_H */

/*
 * AWS JSON error responses (awsJson1_1): {"__type": "...", "message"|"Message": "..."} and the
 * x-amzn-ErrorType header, mapped to stable nitro-wallet codes. See nitro-protocols.md 3.6.
 */
#include <jansson.h>
#include <string.h>

#include <nw/aws.h>

#include "aws_int.h"

struct name_map {
    const char *name;
    nw_err code;
};

/* Error names of KMS, Secrets Manager and the common AWS authentication layer. */
static const struct name_map NAMES[] = {
    {"AccessDeniedException", NW_ERR_AWS_ACCESS_DENIED},
    {"AccessDenied", NW_ERR_AWS_ACCESS_DENIED},
    {"InvalidSignatureException", NW_ERR_AWS_SIGNATURE},
    {"SignatureDoesNotMatch", NW_ERR_AWS_SIGNATURE},
    {"IncompleteSignature", NW_ERR_AWS_SIGNATURE},
    {"IncompleteSignatureException", NW_ERR_AWS_SIGNATURE},
    {"ExpiredTokenException", NW_ERR_AWS_EXPIRED_TOKEN},
    {"ExpiredToken", NW_ERR_AWS_EXPIRED_TOKEN},
    {"RequestExpired", NW_ERR_AWS_CLOCK_SKEW},
    {"RequestTimeTooSkewed", NW_ERR_AWS_CLOCK_SKEW},
    {"UnrecognizedClientException", NW_ERR_AWS_UNRECOGNIZED},
    {"InvalidClientTokenId", NW_ERR_AWS_UNRECOGNIZED},
    {"MissingAuthenticationToken", NW_ERR_AWS_UNRECOGNIZED},
    {"MissingAuthenticationTokenException", NW_ERR_AWS_UNRECOGNIZED},
    {"NotFoundException", NW_ERR_AWS_NOT_FOUND},
    {"ResourceNotFoundException", NW_ERR_AWS_NOT_FOUND},
    {"DisabledException", NW_ERR_AWS_DISABLED},
    {"InvalidCiphertextException", NW_ERR_AWS_INVALID_CIPHERTEXT},
    {"IncorrectKeyException", NW_ERR_AWS_INCORRECT_KEY},
    {"KMSInvalidStateException", NW_ERR_AWS_INVALID_STATE},
    {"InvalidRequestException", NW_ERR_AWS_INVALID_STATE},
    {"InvalidKeyUsageException", NW_ERR_AWS_KEY_USAGE},
    {"ValidationException", NW_ERR_AWS_VALIDATION},
    {"InvalidParameterException", NW_ERR_AWS_VALIDATION},
    {"InvalidParameterValue", NW_ERR_AWS_VALIDATION},
    {"SerializationException", NW_ERR_AWS_VALIDATION},
    {"InvalidGrantTokenException", NW_ERR_AWS_VALIDATION},
    {"MalformedPolicyDocumentException", NW_ERR_AWS_VALIDATION},
    {"InvalidAction", NW_ERR_AWS_VALIDATION},
    {"RequestEntityTooLargeException", NW_ERR_AWS_VALIDATION},
    {"UnknownOperationException", NW_ERR_AWS_VALIDATION},
    {"ThrottlingException", NW_ERR_AWS_THROTTLED},
    {"Throttling", NW_ERR_AWS_THROTTLED},
    {"TooManyRequestsException", NW_ERR_AWS_THROTTLED},
    {"RequestLimitExceeded", NW_ERR_AWS_THROTTLED},
    {"KMSInternalException", NW_ERR_AWS_UNAVAILABLE},
    {"KeyUnavailableException", NW_ERR_AWS_UNAVAILABLE},
    {"DependencyTimeoutException", NW_ERR_AWS_UNAVAILABLE},
    {"InternalServiceError", NW_ERR_AWS_UNAVAILABLE},
    {"InternalFailure", NW_ERR_AWS_UNAVAILABLE},
    {"ServiceUnavailable", NW_ERR_AWS_UNAVAILABLE},
    {"ServiceUnavailableException", NW_ERR_AWS_UNAVAILABLE},
    {"ResourceExistsException", NW_ERR_AWS_EXISTS},
    {"AlreadyExistsException", NW_ERR_AWS_EXISTS},
    {"LimitExceededException", NW_ERR_AWS_LIMIT},
};

void nw_aws_error_reset(struct nw_aws_error *e)
{
    if (e != NULL)
        memset(e, 0, sizeof(*e));
}

nw_err nw_aws_error_code(const char *name, int http_status)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(NAMES); i++)
        if (strcmp(name, NAMES[i].name) == 0)
            return NAMES[i].code;
    if (http_status == 429)
        return NW_ERR_AWS_THROTTLED;
    if (http_status == 413)
        return NW_ERR_AWS_VALIDATION;
    if (http_status >= 500 && http_status <= 599)
        return NW_ERR_AWS_UNAVAILABLE;
    return NW_ERR_AWS_OTHER;
}

/* Copy printable ASCII only (server text is untrusted), truncating to out_len - 1. */
void nw_aws_copy_printable(char *out, size_t out_len, struct nw_cur in)
{
    size_t k = 0;
    if (out_len == 0)
        return;
    for (size_t i = 0; i < in.len && k + 1 < out_len; i++) {
        uint8_t c = in.ptr[i];
        out[k++] = (char)((c >= 0x20 && c < 0x7f) ? c : '?');
    }
    out[k] = '\0';
}

void nw_aws_error_name(char *out, size_t out_len, struct nw_cur type)
{
    const uint8_t *p = type.ptr;
    size_t n = type.len;
    const uint8_t *hash = n ? memchr(p, '#', n) : NULL;
    if (hash != NULL) {
        n -= (size_t)(hash + 1 - p);
        p = hash + 1;
    }
    const uint8_t *colon = n ? memchr(p, ':', n) : NULL;
    if (colon != NULL)
        n = (size_t)(colon - p);
    /* An error name is an identifier; keep [A-Za-z0-9_.] only. */
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < out_len; i++) {
        uint8_t c = p[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '.')
            out[k++] = (char)c;
        else
            break;
    }
    if (out_len > 0)
        out[k] = '\0';
}

nw_err nw_aws_parse_error(struct nw_aws_error *e,
                          int http_status,
                          struct nw_cur body,
                          const char *error_type_header)
{
    char rid[sizeof(e->request_id)];
    int attempts = e->attempts;
    memcpy(rid, e->request_id, sizeof(rid));
    memset(e, 0, sizeof(*e));
    memcpy(e->request_id, rid, sizeof(rid));
    e->attempts = attempts;
    e->http_status = http_status;

    json_t *root = NULL;
    if (body.len > 0 && body.len <= NW_AWS_MAX_ERROR_BODY)
        root = json_loadb((const char *)body.ptr, body.len, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(root)) {
        json_t *t = json_object_get(root, "__type");
        if (!json_is_string(t))
            t = json_object_get(root, "code"); /* some services use "code" */
        if (json_is_string(t))
            nw_aws_error_name(e->name, sizeof(e->name),
                              nw_cur_of(json_string_value(t), json_string_length(t)));
        json_t *m = json_object_get(root, "message");
        if (!json_is_string(m))
            m = json_object_get(root, "Message");
        if (json_is_string(m))
            nw_aws_copy_printable(e->message, sizeof(e->message),
                                  nw_cur_of(json_string_value(m), json_string_length(m)));
    }
    json_decref(root);
    if (e->name[0] == '\0' && error_type_header != NULL)
        nw_aws_error_name(e->name, sizeof(e->name), nw_cur_str(error_type_header));
    e->code = nw_aws_error_code(e->name, http_status);
    return e->code;
}

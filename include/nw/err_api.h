/*
 * Error codes of one area: enclave/host API (600s).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 *
 * These are the conditions an operator acts on (DESIGN.md section 3). Their snake_case codes
 * ("bad_request", "kms_denied", ...) are what frames, HTTP and JSON-RPC show; "internal" is the
 * generic NW_ERR_INTERNAL (4) and "db_unavailable" lives with the store (500s).
 * Ranges inside the 600s: 600-619 protocol and server, 620-639 keys and KMS, 640-699 host.
 */
#ifndef NW_ERR_API_H
#define NW_ERR_API_H

/* clang-format off */
#define NW_ERRORS_API(X) \
    X(NW_ERR_BAD_REQUEST,        600, "malformed request frame or field") \
    X(NW_ERR_UNKNOWN_OP,         601, "unknown operation") \
    X(NW_ERR_NOT_CONFIGURED,     602, "the enclave has not been configured yet") \
    X(NW_ERR_OVERLOADED,         603, "server overloaded: request queue full") \
    X(NW_ERR_DEADLINE_EXCEEDED,  604, "request deadline exceeded") \
    X(NW_ERR_NO_DATABASE,        605, "no database is configured for this operation") \
    X(NW_ERR_KEY_NOT_FOUND,      620, "no such key") \
    X(NW_ERR_KEY_DISABLED,       621, "key is disabled") \
    X(NW_ERR_KMS_DENIED,         622, "KMS refused the request (attestation or key policy)") \
    X(NW_ERR_KMS_UNAVAILABLE,    623, "KMS could not be reached or failed") \
    X(NW_ERR_KEY_MISMATCH,       624, "decrypted key does not derive the stored address") \
    X(NW_ERR_NO_KMS_KEY,         625, "no KMS key given or configured for generate_key") \
    X(NW_ERR_CREDENTIALS_REQUIRED, 626, "direct KMS mode needs the request's credential")
/* clang-format on */

#endif /* NW_ERR_API_H */

/*
 * Error codes of one area: nw-host, the parent's HTTPS front (640-669 of the API range).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules. The snake_case codes
 * ("route_not_found", "enclave_unavailable", ...) are what HTTP answers show.
 */
#ifndef NW_ERR_HOST_H
#define NW_ERR_HOST_H

/* clang-format off */
#define NW_ERRORS_HOST(X) \
    X(NW_ERR_ROUTE_NOT_FOUND,       640, "no such route") \
    X(NW_ERR_METHOD_NOT_ALLOWED,    641, "method not allowed on this route") \
    X(NW_ERR_CONTENT_TYPE,          642, "request body must be JSON (Content-Type: application/json)") \
    X(NW_ERR_BODY_TOO_LARGE,        643, "request body exceeds the configured limit") \
    X(NW_ERR_REQUEST_TIMEOUT,       644, "request body not received within the time limit") \
    X(NW_ERR_ENCLAVE_UNAVAILABLE,   645, "the enclave could not be reached") \
    X(NW_ERR_ENCLAVE_PROTOCOL,      646, "the enclave answered with a malformed frame") \
    X(NW_ERR_SECRET_FORMAT,         647, "secret value is not a base64 KMS ciphertext") \
    X(NW_ERR_CLIENT_CERT,           648, "a trusted client certificate is required") \
    X(NW_ERR_DB_SECRET_FORMAT,      649, "database secret is not JSON with username, password, host, port, dbname")
/* clang-format on */

#endif /* NW_ERR_HOST_H */

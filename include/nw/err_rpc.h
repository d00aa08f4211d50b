/*
 * Error codes of one area: the JSON-RPC signer on nw-host and the remote `nw` commands
 * (670-689 of the API range). X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 * JSON-RPC answers carry the snake_case code in error.data.code.
 */
#ifndef NW_ERR_RPC_H
#define NW_ERR_RPC_H

/* clang-format off */
#define NW_ERRORS_RPC(X) \
    X(NW_ERR_RPC_PARSE,             670, "JSON-RPC: the body is not JSON") \
    X(NW_ERR_RPC_INVALID_REQUEST,   671, "JSON-RPC: not a valid request object") \
    X(NW_ERR_RPC_METHOD_NOT_FOUND,  672, "JSON-RPC: method not found (or needs --rpc-upstream)") \
    X(NW_ERR_RPC_INVALID_PARAMS,    673, "JSON-RPC: invalid method parameters") \
    X(NW_ERR_RPC_BATCH_TOO_LARGE,   674, "JSON-RPC: batch empty or over the entry limit") \
    X(NW_ERR_RPC_UPSTREAM,          675, "JSON-RPC: the upstream node failed or answered an error") \
    X(NW_ERR_RPC_LISTEN_NOT_LOCAL,  676, "--rpc-listen must be a loopback tcp: or a unix: address") \
    X(NW_ERR_REMOTE_NO_URL,         680, "no nw-host URL (--url or NW_URL)") \
    X(NW_ERR_REMOTE_ANSWER,         681, "nw-host answered something that is not the expected JSON")
/* clang-format on */

#endif /* NW_ERR_RPC_H */

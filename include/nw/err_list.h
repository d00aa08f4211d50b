/*
 * The single table of nitro-wallet error codes, as X-macros X(NAME, NUMBER, "description").
 *
 * Ranges per layer: 1-99 generic, 100s core, 200s aws, 300s attest, 400s net/wire, 500s store,
 * 600s API. Never renumber a code; retire it as NW_ERR_OBSOLETEnnn. Each layer has its own list
 * macro so that modules add codes without touching each other's lines.
 */
#ifndef NW_ERR_LIST_H
#define NW_ERR_LIST_H

#include <nw/err_api.h>
#include <nw/err_attest.h>
#include <nw/err_aws.h>
#include <nw/err_cli.h>
#include <nw/err_core_msg.h>
#include <nw/err_core_tx.h>
#include <nw/err_devaws.h>
#include <nw/err_host.h>
#include <nw/err_net.h>
#include <nw/err_store.h>

/* clang-format off */
#define NW_ERRORS_GENERIC(X) \
    X(NW_OK,                0, "success") \
    X(NW_ERR_NOMEM,         1, "out of memory") \
    X(NW_ERR_INVALID_ARG,   2, "invalid argument") \
    X(NW_ERR_TOO_LARGE,     3, "input exceeds a size limit") \
    X(NW_ERR_INTERNAL,      4, "internal error") \
    X(NW_ERR_IO,            5, "input/output error") \
    X(NW_ERR_NOT_FOUND,     6, "not found") \
    X(NW_ERR_UNSUPPORTED,   7, "unsupported") \
    X(NW_ERR_TIMEOUT,       8, "timed out") \
    X(NW_ERR_CRYPTO,        9, "cryptographic library failure") \
    X(NW_ERR_BUF_FULL,     10, "buffer would exceed its maximum") \
    X(NW_ERR_TRUNCATED,    11, "input ended early") \
    X(NW_ERR_JSON,         12, "malformed JSON") \
    X(NW_ERR_CONFIG,       13, "invalid configuration") \
    X(NW_ERR_EXISTS,       14, "already exists") \
    X(NW_ERR_PERMISSION,   15, "permission denied")

/* 100s: core (hex, integers, keccak, RLP, addresses, signing, transactions, messages). */
#define NW_ERRORS_CORE(X) \
    X(NW_ERR_HEX_ODD,              100, "hex string has an odd number of digits") \
    X(NW_ERR_RLP_NONCANONICAL,     101, "RLP is not in canonical form") \
    X(NW_ERR_HEX_CHAR,             102, "invalid hex digit") \
    X(NW_ERR_HEX_PREFIX,           103, "missing 0x prefix") \
    X(NW_ERR_INT_OVERFLOW,         104, "integer exceeds 2^256-1") \
    X(NW_ERR_INT_FORMAT,           105, "malformed integer") \
    X(NW_ERR_KEY_INVALID,          106, "invalid secp256k1 private key") \
    X(NW_ERR_SIG_INVALID,          107, "invalid signature") \
    X(NW_ERR_RECOVER_FAILED,       108, "public key recovery failed") \
    X(NW_ERR_RLP_TRUNCATED,        109, "RLP item runs past the end of input") \
    X(NW_ERR_RLP_TRAILING,         110, "trailing bytes after RLP item") \
    X(NW_ERR_RLP_DEPTH,            111, "RLP nesting too deep") \
    X(NW_ERR_RLP_TYPE,             112, "RLP item has the wrong type (list vs string)")

/* clang-format on */

#define NW_ERRORS(X)   \
 NW_ERRORS_GENERIC(X)  \
 NW_ERRORS_CORE(X)     \
 NW_ERRORS_CORE_TX(X)  \
 NW_ERRORS_CORE_MSG(X) \
 NW_ERRORS_CLI(X)      \
 NW_ERRORS_NET(X)      \
 NW_ERRORS_AWS(X)      \
 NW_ERRORS_ATTEST(X) NW_ERRORS_STORE(X) NW_ERRORS_API(X) NW_ERRORS_DEVAWS(X) NW_ERRORS_HOST(X)

#endif /* NW_ERR_LIST_H */

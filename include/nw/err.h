/*
 * Error codes: one stable number per failure, returned by value (curl's CURLcode shape).
 * The table lives in <nw/err_list.h>; names such as "NW_ERR_RLP_TRUNCATED" are what the
 * logs and the APIs show.
 */
#ifndef NW_ERR_H
#define NW_ERR_H

#include <nw/common.h>
#include <nw/err_list.h>

#define NW_ERR_ENUM_(name, num, desc) name = (num),
// NOLINTNEXTLINE(readability-identifier-naming): NW_ERR_MAX_ is a sentinel
typedef enum nw_err { NW_ERRORS(NW_ERR_ENUM_) NW_ERR_MAX_ } nw_err;
#undef NW_ERR_ENUM_

/*
 * The symbolic name of a code ("NW_ERR_NOMEM"), or "NW_ERR_UNKNOWN" for a number not in the table.
 * Returns: a static string; never NULL.
 */
const char *nw_err_name(nw_err err);

/*
 * A short English description of a code; static; never NULL. Never contains request data.
 */
const char *nw_err_str(nw_err err);

/*
 * The snake_case form of the name without the NW_ERR_ prefix ("rlp_truncated"), for APIs
 * that show codes in lower case. Returns: a static string; never NULL.
 */
const char *nw_err_code(nw_err err);

/*
 * The class of a code (DESIGN.md section 3): it alone decides the HTTP status and the JSON-RPC
 * error a caller sees. Codes about the caller's input are INVALID; refusals by policy or KMS
 * are DENIED; missing keys or resources NOT_FOUND; duplicates CONFLICT; anything that a retry
 * later may cure (database, KMS, enclave, overload, deadline) UNAVAILABLE; the rest INTERNAL.
 */
enum nw_err_class {
    NW_ERR_CLASS_OK = 0,
    NW_ERR_CLASS_INVALID = 1,
    NW_ERR_CLASS_DENIED = 2,
    NW_ERR_CLASS_NOT_FOUND = 3,
    NW_ERR_CLASS_CONFLICT = 4,
    NW_ERR_CLASS_UNAVAILABLE = 5,
    NW_ERR_CLASS_INTERNAL = 6,
};

/* The class of err. Unknown numbers are INTERNAL. */
enum nw_err_class nw_err_class(nw_err err);

/* "ok", "invalid", "denied", "not_found", "conflict", "unavailable", "internal". */
const char *nw_err_class_name(enum nw_err_class cls);

/* 200, 400, 403, 404, 409, 503, 500: the HTTP status of a class. */
int nw_err_class_http_status(enum nw_err_class cls);

/*
 * Optional detail for a failure, in the shape of libtls's struct tls_error: a short message,
 * the code and errno. It never holds request bytes or secrets.
 */
struct nw_diag {
    nw_err code;
    int sys_errno;
    char msg[256];
};

/* Fill diag (may be NULL) with code and a printf-style message; returns code. */
nw_err nw_diag_set(struct nw_diag *diag, nw_err code, const char *fmt, ...) NW_PRINTF(3, 4);

/* Control-flow helpers (s2n SAFETY-MACROS, trimmed). */
#define NW_TRY(expr)           \
 do {                          \
  nw_err nw_try_err_ = (expr); \
  if (nw_try_err_ != NW_OK)    \
   return nw_try_err_;         \
 } while (0)

#define NW_ENSURE(cond, code) \
 do {                         \
  if (!(cond))                \
   return (code);             \
 } while (0)

/* In functions with `nw_err err` and an `out:` label that frees resources. */
#define NW_CHECK(expr) \
 do {                  \
  err = (expr);        \
  if (err != NW_OK)    \
   goto out;           \
 } while (0)

#define NW_CHECK_COND(cond, code) \
 do {                             \
  if (!(cond)) {                  \
   err = (code);                  \
   goto out;                      \
  }                               \
 } while (0)

#endif /* NW_ERR_H */

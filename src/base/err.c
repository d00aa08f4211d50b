/*
 * Error names and descriptions, generated from the one table in <nw/err_list.h>.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <nw/err.h>

struct err_entry {
    nw_err code;
    const char *name;
    const char *desc;
};

#define NW_ERR_ENTRY_(name, num, desc) {name, #name, desc},
static const struct err_entry entries[] = {NW_ERRORS(NW_ERR_ENTRY_)};
#undef NW_ERR_ENTRY_

static const struct err_entry *find(nw_err err)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(entries); i++) {
        if (entries[i].code == err)
            return &entries[i];
    }
    return NULL;
}

const char *nw_err_name(nw_err err)
{
    const struct err_entry *e = find(err);
    return e ? e->name : "NW_ERR_UNKNOWN";
}

const char *nw_err_str(nw_err err)
{
    const struct err_entry *e = find(err);
    return e ? e->desc : "unknown error";
}

/*
 * "NW_ERR_RLP_TRUNCATED" -> "rlp_truncated". The lower-case forms are computed once, under
 * pthread_once, into a table that is never written again: no shared mutable state after that.
 */
#define NW_ERR_NAME_MAX 48
static char lower[NW_ARRAY_LEN(entries)][NW_ERR_NAME_MAX];
static pthread_once_t lower_once = PTHREAD_ONCE_INIT;

static void lower_fill(void)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(entries); i++) {
        const char *n = entries[i].name;
        if (entries[i].code == NW_OK) {
            memcpy(lower[i], "ok", 3);
            continue;
        }
        n += sizeof("NW_ERR_") - 1;
        size_t j = 0;
        for (; n[j] != '\0' && j + 1 < NW_ERR_NAME_MAX; j++)
            lower[i][j] = (char)tolower((unsigned char)n[j]);
        lower[i][j] = '\0';
    }
}

const char *nw_err_code(nw_err err)
{
    const struct err_entry *e = find(err);
    if (e == NULL)
        return "unknown";
    (void)pthread_once(&lower_once, lower_fill);
    return lower[e - entries];
}

enum nw_err_class nw_err_class(nw_err err)
{
    if (find(err) == NULL)
        return NW_ERR_CLASS_INTERNAL;
    switch (err) {
        case NW_OK:
            return NW_ERR_CLASS_OK;
        /* Refusals: KMS or key policy, attestation, permissions. */
        case NW_ERR_PERMISSION:
        case NW_ERR_KMS_DENIED:
        case NW_ERR_AWS_ACCESS_DENIED:
        case NW_ERR_KEY_DISABLED:
        case NW_ERR_KEY_MISMATCH:
        case NW_ERR_PROXY_DENIED:
        case NW_ERR_CLIENT_CERT:
            return NW_ERR_CLASS_DENIED;
        case NW_ERR_NOT_FOUND:
        case NW_ERR_KEY_NOT_FOUND:
        case NW_ERR_AWS_NOT_FOUND:
        case NW_ERR_ROUTE_NOT_FOUND:
            return NW_ERR_CLASS_NOT_FOUND;
        case NW_ERR_EXISTS:
        case NW_ERR_AWS_EXISTS:
            return NW_ERR_CLASS_CONFLICT;
        /* A later retry may succeed. */
        case NW_ERR_TIMEOUT:
        case NW_ERR_IO:
        case NW_ERR_NOT_CONFIGURED:
        case NW_ERR_NO_DATABASE:
        case NW_ERR_OVERLOADED:
        case NW_ERR_DEADLINE_EXCEEDED:
        case NW_ERR_KMS_UNAVAILABLE:
        case NW_ERR_DB_UNAVAILABLE:
        case NW_ERR_HTTP_TRANSPORT:
        case NW_ERR_HTTP_TLS:
        case NW_ERR_AWS_THROTTLED:
        case NW_ERR_AWS_UNAVAILABLE:
        case NW_ERR_AWS_CREDS_MISSING:
        case NW_ERR_AWS_CREDS_EXPIRED:
        case NW_ERR_AWS_EXPIRED_TOKEN:
        case NW_ERR_IMDS_TOKEN:
        case NW_ERR_NET_CONNECT:
        case NW_ERR_WIRE_CLOSED:
        case NW_ERR_WIRE_TRUNCATED:
        case NW_ERR_NSM_UNAVAILABLE:
        case NW_ERR_NSM_IO:
        case NW_ERR_ENCLAVE_UNAVAILABLE:
            return NW_ERR_CLASS_UNAVAILABLE;
        case NW_ERR_NOMEM:
        case NW_ERR_INTERNAL:
        case NW_ERR_CRYPTO:
        case NW_ERR_CONFIG:
        case NW_ERR_STORE_MIGRATE:
        case NW_ERR_STORE_QUERY:
        case NW_ERR_AWS_RESPONSE:
        case NW_ERR_AWS_SIGNATURE:
        case NW_ERR_AWS_CLOCK_SKEW:
        case NW_ERR_AWS_UNRECOGNIZED:
        case NW_ERR_AWS_OTHER:
        case NW_ERR_HTTP_STATUS:
        case NW_ERR_NSM_RESPONSE:
        case NW_ERR_NSM_INTERNAL:
        case NW_ERR_NSM_INVALID_RESPONSE:
        case NW_ERR_ENCLAVE_PROTOCOL:
        case NW_ERR_DB_SECRET_FORMAT:
            return NW_ERR_CLASS_INTERNAL;
        default:
            break;
    }
    /* Everything else is about the caller's input (core parsing, frames, addresses, ...). */
    return NW_ERR_CLASS_INVALID;
}

const char *nw_err_class_name(enum nw_err_class cls)
{
    static const char *const names[] = {"ok",       "invalid",     "denied",  "not_found",
                                        "conflict", "unavailable", "internal"};
    return (unsigned)cls < NW_ARRAY_LEN(names) ? names[cls] : "internal";
}

int nw_err_class_http_status(enum nw_err_class cls)
{
    static const int status[] = {200, 400, 403, 404, 409, 503, 500};
    return (unsigned)cls < NW_ARRAY_LEN(status) ? status[cls] : 500;
}

nw_err nw_diag_set(struct nw_diag *diag, nw_err code, const char *fmt, ...)
{
    if (diag == NULL)
        return code;
    diag->code = code;
    diag->sys_errno = 0;
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, va_start above
    int n = vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        diag->msg[0] = '\0';
    return code;
}

/*
 * Error names and descriptions, generated from the one table in <nw/err_list.h>.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#include <nw/err.h>

struct err_entry {
    nw_err code;
    const char *name;
    const char *code_lc;
    const char *desc;
};

/* The lower-case code is derived at build time would need a generator; we derive it lazily. */
#define NW_ERR_ENTRY_(name, num, desc) {name, #name, NULL, desc},
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
 * "NW_ERR_RLP_TRUNCATED" -> "rlp_truncated". The table is small and fixed, so the lower-case
 * forms are computed once into a static array (thread-safe: every thread computes the same bytes
 * and the array is written before any pointer into it is returned by that thread).
 */
#define NW_ERR_MAX_NAME_ 48
static char lower[NW_ARRAY_LEN(entries)][NW_ERR_MAX_NAME_];

const char *nw_err_code(nw_err err)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(entries); i++) {
        if (entries[i].code != err)
            continue;
        const char *n = entries[i].name;
        if (err == NW_OK)
            return "ok";
        n += sizeof("NW_ERR_") - 1;
        size_t j = 0;
        for (; n[j] != '\0' && j + 1 < NW_ERR_MAX_NAME_; j++)
            lower[i][j] = (char)tolower((unsigned char)n[j]);
        lower[i][j] = '\0';
        return lower[i];
    }
    return "unknown";
}

nw_err nw_diag_set(struct nw_diag *diag, nw_err code, const char *fmt, ...)
{
    if (diag == NULL)
        return code;
    diag->code = code;
    diag->sys_errno = 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        diag->msg[0] = '\0';
    return code;
}

/*
 * JSON request helpers over jansson (see core_int.h).
 */
#include <string.h>

#include <nw/quantity.h>

#include "core_int.h"

nw_err nw_json_parse_object(json_t **out, struct nw_diag *diag, struct nw_cur text)
{
    json_error_t je;
    *out = NULL;
    if (text.len > NW_JSON_MAX_BYTES)
        return nw_diag_set(diag, NW_ERR_TOO_LARGE, "JSON text longer than %zu bytes",
                           NW_JSON_MAX_BYTES);
    json_t *j = json_loadb((const char *)text.ptr, text.len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        switch (json_error_code(&je)) {
            case json_error_numeric_overflow:
                return nw_diag_set(diag, NW_ERR_JSON_NUMBER_TOO_BIG,
                                   "line %d column %d (send integers above 2^63-1 as 0x-hex "
                                   "strings)",
                                   je.line, je.column);
            case json_error_duplicate_key:
                return nw_diag_set(diag, NW_ERR_JSON_DUPLICATE_KEY, "line %d column %d", je.line,
                                   je.column);
            case json_error_wrong_type:
                return nw_diag_set(diag, NW_ERR_TX_NOT_OBJECT, "top level is not an object");
            default:
                return nw_diag_set(diag, NW_ERR_JSON, "line %d column %d", je.line, je.column);
        }
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return nw_diag_set(diag, NW_ERR_TX_NOT_OBJECT, "top level is not an object");
    }
    *out = j;
    return NW_OK;
}

nw_err nw_json_quantity(struct nw_u256 *v, const json_t *j)
{
    *v = nw_u256_from_u64(0);
    if (json_is_integer(j)) {
        json_int_t i = json_integer_value(j);
        NW_ENSURE(i >= 0, NW_ERR_INT_NEGATIVE);
        *v = nw_u256_from_u64((uint64_t)i);
        return NW_OK;
    }
    if (json_is_real(j))
        return json_real_value(j) < 0 ? NW_ERR_INT_NEGATIVE : NW_ERR_INT_FLOAT;
    if (json_is_string(j))
        return nw_quantity_parse(v, nw_cur_of(json_string_value(j), json_string_length(j)));
    return NW_ERR_TX_FIELD_TYPE;
}

nw_err nw_json_u64(uint64_t *v, const json_t *j)
{
    struct nw_u256 u;
    *v = 0;
    NW_TRY(nw_json_quantity(&u, j));
    NW_ENSURE(nw_u256_to_u64(&u, v), NW_ERR_INT_OVERFLOW);
    return NW_OK;
}

nw_err nw_json_ether(struct nw_u256 *wei, const json_t *j)
{
    *wei = nw_u256_from_u64(0);
    if (json_is_integer(j)) {
        json_int_t i = json_integer_value(j);
        NW_ENSURE(i >= 0, NW_ERR_INT_NEGATIVE);
        struct nw_u256 e = nw_u256_from_u64((uint64_t)i);
        return nw_u256_mul_u64(wei, &e, 1000000000000000000u);
    }
    if (json_is_real(j))
        return nw_ether_double_to_wei(wei, json_real_value(j));
    if (json_is_string(j))
        return nw_ether_text_to_wei(wei, nw_cur_of(json_string_value(j), json_string_length(j)));
    return NW_ERR_TX_FIELD_TYPE;
}

const char *nw_json_safe_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 24)
        return "(name not shown)";
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok)
            return "(name not shown)";
    }
    return name;
}

void nw_json_free_text(char *text)
{
    json_malloc_t m;
    json_free_t f;
    if (text == NULL)
        return;
    json_get_alloc_funcs(&m, &f);
    f(text);
}

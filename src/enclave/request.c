/*
 * The request codec of DESIGN.md section 3: {"v":1,"id":..,"op":"..",...} in, and
 * {"id":..,"ok":true,"result":{..}} / {"id":..,"ok":false,"error":{"code","message"}} out.
 *
 * The id is read first so that every later complaint can be answered under it; an id that is
 * missing or not a string/integer is answered as "id":null. Messages name the field and never
 * repeat its value (a value may be a secret).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <nw/base64.h>
#include <nw/mem.h>
#include <nw/wire.h>

#include "enclave_int.h"

static const char *const envelope_fields[] = {"v", "id", "op", "deadline_ms", NULL};

static bool op_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > NW_ENC_OP_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/* The id: a string of 1..NW_ENC_ID_MAX printable ASCII characters or a JSON integer. */
static nw_err parse_id(struct nw_enc_req *r, struct nw_diag *diag)
{
    json_t *id = json_object_get(r->root, "id");
    if (id == NULL)
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field 'id' is missing");
    if (json_is_integer(id)) {
        (void)snprintf(r->id_text, sizeof(r->id_text), "%" PRId64, (int64_t)json_integer_value(id));
        r->id = id;
        return NW_OK;
    }
    if (!json_is_string(id))
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field 'id' must be a string or an integer");
    const char *s = json_string_value(id);
    size_t n = json_string_length(id);
    if (n == 0 || n > NW_ENC_ID_MAX)
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field 'id' must have 1 to %d characters",
                           NW_ENC_ID_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field 'id' must be printable ASCII");
    memcpy(r->id_text, s, n);
    r->id_text[n] = '\0';
    r->id = id;
    return NW_OK;
}

nw_err nw_enc_req_parse(struct nw_enc_req *r,
                        struct nw_diag *diag,
                        struct nw_cur payload,
                        int64_t received_ms,
                        int max_deadline_ms)
{
    json_error_t jerr;
    memset(r, 0, sizeof(*r));
    r->deadline_ms = received_ms + max_deadline_ms;
    r->root = json_loadb((const char *)payload.ptr, payload.len, JSON_REJECT_DUPLICATES, &jerr);
    if (r->root == NULL) {
        /* The finest code known (DESIGN.md section 3), as core's JSON reader gives it. */
        if (json_error_code(&jerr) == json_error_numeric_overflow)
            return nw_diag_set(diag, NW_ERR_JSON_NUMBER_TOO_BIG,
                               "line %d column %d: integer too large to read exactly (send "
                               "integers above 2^63-1 as 0x-hex strings)",
                               jerr.line, jerr.column);
        if (json_error_code(&jerr) == json_error_duplicate_key)
            return nw_diag_set(diag, NW_ERR_JSON_DUPLICATE_KEY,
                               "duplicate key at line %d column %d", jerr.line, jerr.column);
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "frame is not valid JSON (line %d column %d)",
                           jerr.line, jerr.column);
    }
    if (!json_is_object(r->root))
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "frame is not a JSON object");
    NW_TRY(parse_id(r, diag));
    json_t *v = json_object_get(r->root, "v");
    if (v == NULL)
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field 'v' is missing");
    if (!json_is_integer(v) || json_integer_value(v) != 1)
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field 'v' must be 1");
    const char *op = NULL;
    NW_TRY(nw_enc_get_str(r->root, diag, "op", NW_ENC_OP_MAX, &op, true));
    /* A required field is set whenever NW_OK comes back; said for the analyzer, which cannot
     * see that nw_diag_set returns its code. */
    if (op == NULL || !op_name_ok(op))
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field 'op' is not an operation name");
    memcpy(r->op, op, strlen(op) + 1);
    int64_t dl = 0;
    bool have_dl = false;
    NW_TRY(nw_enc_get_int(r->root, diag, "deadline_ms", 1, max_deadline_ms, &dl, &have_dl));
    if (have_dl)
        r->deadline_ms = received_ms + dl;
    return NW_OK;
}

void nw_enc_req_clear(struct nw_enc_req *r)
{
    json_decref(r->root);
    memset(r, 0, sizeof(*r));
}

static nw_err dump(struct nw_buf *out, json_t *ans)
{
    nw_err err = NW_ERR_NOMEM;
    char *text = NULL;
    if (ans == NULL)
        return NW_ERR_NOMEM;
    size_t n = json_dumpb(ans, NULL, 0, JSON_COMPACT);
    if (n == 0)
        goto out;
    if (n > NW_WIRE_MAX_FRAME) {
        err = NW_ERR_TOO_LARGE;
        goto out;
    }
    text = nw_malloc(n);
    if (text == NULL)
        goto out;
    if (json_dumpb(ans, text, n, JSON_COMPACT) != n)
        goto out;
    err = nw_buf_append(out, text, n);
out:
    if (text != NULL)
        nw_free_secret(text, n);
    json_decref(ans);
    return err;
}

static json_t *id_copy(const json_t *id)
{
    return id != NULL ? json_deep_copy(id) : json_null();
}

nw_err nw_enc_answer_ok(struct nw_buf *out, const json_t *id, json_t *result)
{
    json_t *ans = json_object();
    if (result == NULL)
        result = json_object();
    if (ans == NULL || result == NULL || json_object_set_new(ans, "id", id_copy(id)) != 0 ||
        json_object_set_new(ans, "ok", json_true()) != 0) {
        json_decref(ans);
        json_decref(result);
        return NW_ERR_NOMEM;
    }
    if (json_object_set_new(ans, "result", result) != 0) {
        json_decref(ans);
        return NW_ERR_NOMEM;
    }
    return dump(out, ans);
}

nw_err nw_enc_answer_err(struct nw_buf *out, const json_t *id, nw_err code, const char *msg)
{
    const char *m = (msg != NULL && msg[0] != '\0') ? msg : nw_err_str(code);
    json_t *ans = json_pack("{s:o,s:b,s:{s:s,s:s}}", "id", id_copy(id), "ok", 0, "error", "code",
                            nw_err_code(code), "message", m);
    return dump(out, ans);
}

nw_err nw_enc_check_fields(const json_t *obj, struct nw_diag *diag, const char *const *allowed)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        bool ok = false;
        for (size_t i = 0; envelope_fields[i] != NULL && !ok; i++)
            ok = strcmp(key, envelope_fields[i]) == 0;
        for (size_t i = 0; allowed != NULL && allowed[i] != NULL && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok) {
            char shown[48];
            size_t n = strlen(key);
            (void)snprintf(shown, sizeof(shown), "%.40s%s", key, n > 40 ? "..." : "");
            for (char *p = shown; *p != '\0'; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
                    *p = '?';
            return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "unknown field '%s'", shown);
        }
    }
    return NW_OK;
}

nw_err nw_enc_get_str(const json_t *obj,
                      struct nw_diag *diag,
                      const char *name,
                      size_t max_len,
                      const char **out,
                      bool required)
{
    json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (required)
            return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field '%s' is missing", name);
        return NW_OK;
    }
    if (!json_is_string(v))
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field '%s' must be a string", name);
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n == 0)
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field '%s' is empty", name);
    if (n > max_len)
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field '%s' is longer than %zu bytes", name,
                           max_len);
    if (memchr(s, '\0', n) != NULL)
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field '%s' holds a NUL character", name);
    *out = s;
    return NW_OK;
}

nw_err nw_enc_get_int(const json_t *obj,
                      struct nw_diag *diag,
                      const char *name,
                      int64_t min,
                      int64_t max,
                      int64_t *out,
                      bool *present)
{
    json_t *v = json_object_get(obj, name);
    if (present != NULL)
        *present = false;
    if (v == NULL || json_is_null(v))
        return NW_OK;
    if (!json_is_integer(v))
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field '%s' must be an integer", name);
    int64_t x = (int64_t)json_integer_value(v);
    if (x < min || x > max)
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST,
                           "field '%s' must be between %" PRId64 " and %" PRId64, name, min, max);
    *out = x;
    if (present != NULL)
        *present = true;
    return NW_OK;
}

nw_err
nw_enc_get_bool(const json_t *obj, struct nw_diag *diag, const char *name, bool *out, bool *present)
{
    json_t *v = json_object_get(obj, name);
    if (present != NULL)
        *present = false;
    if (v == NULL || json_is_null(v))
        return NW_OK;
    if (!json_is_boolean(v))
        return nw_diag_set(diag, NW_ERR_BAD_REQUEST, "field '%s' must be true or false", name);
    *out = json_is_true(v);
    if (present != NULL)
        *present = true;
    return NW_OK;
}

nw_err nw_enc_b64_encode(struct nw_buf *out, struct nw_cur in)
{
    return nw_base64_encode(out, in);
}

nw_err nw_enc_b64_decode(struct nw_buf *out, struct nw_cur in)
{
    return nw_base64_decode(out, in, false);
}

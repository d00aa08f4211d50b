/*
 * jansson helpers shared by the KMS and Secrets Manager request builders and response parsers.
 * Texts that carry secrets (base64 plaintexts, secret values) are built in secret buffers.
 */
#include <string.h>

#include <nw/base64.h>
#include <nw/mem.h>

#include "aws_int.h"

nw_err nw_aws_json_dump(struct nw_buf *out, const json_t *root)
{
    size_t n = json_dumpb(root, NULL, 0, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (n == 0)
        return NW_ERR_NOMEM;
    NW_TRY(nw_buf_reserve(out, n));
    if (json_dumpb(root, (char *)out->ptr + out->len, n, JSON_COMPACT | JSON_PRESERVE_ORDER) != n)
        return NW_ERR_INTERNAL;
    out->len += n;
    return NW_OK;
}

nw_err nw_aws_json_set_str(json_t *obj, const char *key, const char *value)
{
    json_t *s = json_string(value); /* NULL for invalid UTF-8 */
    if (s == NULL)
        return NW_ERR_INVALID_ARG;
    return json_object_set_new(obj, key, s) == 0 ? NW_OK : NW_ERR_NOMEM;
}

nw_err nw_aws_json_set_strn(json_t *obj, const char *key, struct nw_cur value)
{
    json_t *s = json_stringn((const char *)value.ptr, value.len);
    if (s == NULL)
        return NW_ERR_INVALID_ARG;
    return json_object_set_new(obj, key, s) == 0 ? NW_OK : NW_ERR_NOMEM;
}

nw_err nw_aws_json_set_b64(json_t *obj, const char *key, struct nw_cur data)
{
    nw_err err = NW_OK;
    struct nw_buf b;
    nw_buf_init(&b, 1u << 20, true);
    NW_CHECK(nw_base64_encode(&b, data));
    NW_CHECK(nw_aws_json_set_strn(obj, key, nw_buf_cur(&b)));
out:
    nw_buf_clear(&b);
    return err;
}

nw_err nw_aws_json_get_b64(struct nw_buf *out, const json_t *obj, const char *key, bool *present)
{
    json_t *v = json_object_get(obj, key);
    *present = false;
    if (v == NULL || json_is_null(v))
        return NW_OK;
    if (!json_is_string(v))
        return NW_ERR_AWS_RESPONSE;
    *present = true;
    out->len = 0;
    nw_err err =
        nw_base64_decode(out, nw_cur_of(json_string_value(v), json_string_length(v)), false);
    return err == NW_ERR_BASE64 ? NW_ERR_AWS_RESPONSE : err;
}

nw_err nw_aws_json_get_str(char *dst, size_t dst_len, const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    dst[0] = '\0';
    if (v == NULL || json_is_null(v))
        return NW_OK;
    if (!json_is_string(v))
        return NW_ERR_AWS_RESPONSE;
    size_t n = json_string_length(v);
    if (n >= dst_len || memchr(json_string_value(v), '\0', n) != NULL)
        return NW_ERR_AWS_RESPONSE;
    memcpy(dst, json_string_value(v), n + 1);
    return NW_OK;
}

nw_err nw_aws_json_parse(json_t **root, struct nw_cur body)
{
    *root = NULL;
    if (body.len == 0)
        return NW_ERR_AWS_RESPONSE;
    json_t *r = json_loadb((const char *)body.ptr, body.len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(r)) {
        json_decref(r);
        return NW_ERR_AWS_RESPONSE;
    }
    *root = r;
    return NW_OK;
}

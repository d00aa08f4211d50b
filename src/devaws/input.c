/*
 * Checks of JSON 1.1 request members against the model's types and constraints, answering the
 * errors the services use: SerializationException for a wrong JSON type, ValidationException
 * ("1 validation error detected: ...") for a missing required member or a broken constraint.
 */
#include <string.h>

#include "devaws_int.h"

static bool bad_type(struct nw_dv_resp *resp, const char *member)
{
    nw_dv_error(resp, 400, "SerializationException", "message",
                "Unexpected JSON type for member %s", member);
    return false;
}

/* A string member: required or optional, with length limits. */
bool nw_dv_in_str(struct nw_dv_resp *resp,
                  const char **out,
                  const json_t *in,
                  const char *m,
                  bool req,
                  size_t lo,
                  size_t hi)
{
    const json_t *v = json_object_get(in, m);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (req)
            nw_dv_error(resp, 400, "ValidationException", "message",
                        "1 validation error detected: Value null at '%s' failed to satisfy "
                        "constraint: Member must not be null",
                        m);
        return !req;
    }
    if (!json_is_string(v))
        return bad_type(resp, m);
    size_t n = json_string_length(v);
    if (n < lo || n > hi) {
        nw_dv_error(resp, 400, "ValidationException", "message",
                    "1 validation error detected: Value at '%s' failed to satisfy constraint: "
                    "Member must have length between %zu and %zu",
                    m, lo, hi);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

/* A blob member (base64), decoded into b (secret). */
bool nw_dv_in_blob(
    struct nw_dv_resp *resp, struct nw_buf *b, const json_t *in, const char *m, bool req, size_t hi)
{
    const char *s;
    if (!nw_dv_in_str(resp, &s, in, m, req, 1, 4 * ((hi + 2) / 3)))
        return false;
    if (s == NULL)
        return true;
    if (nw_base64_decode(b, nw_cur_str(s), false) != NW_OK)
        return bad_type(resp, m);
    if (b->len == 0 || b->len > hi) {
        nw_dv_error(resp, 400, "ValidationException", "message",
                    "1 validation error detected: Value at '%s' failed to satisfy constraint: "
                    "Member must have length between 1 and %zu",
                    m, hi);
        return false;
    }
    return true;
}

/* The optional EncryptionContext (a map of strings), borrowed. */
bool nw_dv_in_map(struct nw_dv_resp *resp, const json_t **out, const json_t *in, const char *m)
{
    const json_t *v = json_object_get(in, m);
    const char *key;
    const json_t *val;
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_object(v))
        return bad_type(resp, m);
    json_object_foreach((json_t *)v, key, val)
    {
        if (!json_is_string(val))
            return bad_type(resp, m);
    }
    *out = v;
    return true;
}

bool nw_dv_in_int(struct nw_dv_resp *resp,
                  long *out,
                  bool *present,
                  const json_t *in,
                  const char *m,
                  long lo,
                  long hi)
{
    const json_t *v = json_object_get(in, m);
    *present = v != NULL && !json_is_null(v);
    if (!*present)
        return true;
    if (!json_is_integer(v))
        return bad_type(resp, m);
    json_int_t n = json_integer_value(v);
    if (n < lo || n > hi) {
        nw_dv_error(resp, 400, "ValidationException", "message",
                    "1 validation error detected: Value '%lld' at '%s' failed to satisfy "
                    "constraint: Member must have value between %ld and %ld",
                    (long long)n, m, lo, hi);
        return false;
    }
    *out = (long)n;
    return true;
}

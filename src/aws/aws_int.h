/*
 * Helpers shared inside libnwaws only.
 */
#ifndef NW_AWS_INT_H
#define NW_AWS_INT_H

#include <jansson.h>
#include <stdbool.h>

#include <nw/buf.h>

/* Append the canonical form of a raw query string (sigv4.c; exposed for the fuzz target). */
nw_err nw_sigv4_append_canonical_query(struct nw_buf *out, struct nw_cur query) NW_MUST_USE;

/* UTC civil time to Unix seconds; false for an invalid date or a year outside 1970..9999. */
bool nw_aws_civil_to_unix(int64_t *out, int y, int mo, int d, int h, int mi, int s);

/* Parse an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SSZ" (optional fraction) to Unix seconds. */
bool nw_aws_parse_iso8601(int64_t *out, const char *s);

/* Largest error body parsed (bytes); larger bodies are judged by status and header only. */
#define NW_AWS_MAX_ERROR_BODY ((size_t)64 * 1024)

/* Copy printable ASCII only (other bytes become '?'), truncating; out is NUL-terminated. */
void nw_aws_copy_printable(char *out, size_t out_len, struct nw_cur in);

/* JSON helpers (json.c). Setters return NW_ERR_INVALID_ARG for text that is not UTF-8;
 * getters NW_ERR_AWS_RESPONSE for a member of the wrong type or too long. An absent or null
 * member is not an error for the getters (dst "" / *present false). */
nw_err nw_aws_json_dump(struct nw_buf *out, const json_t *root) NW_MUST_USE;
nw_err nw_aws_json_set_str(json_t *obj, const char *key, const char *value) NW_MUST_USE;
nw_err nw_aws_json_set_strn(json_t *obj, const char *key, struct nw_cur value) NW_MUST_USE;
nw_err nw_aws_json_set_b64(json_t *obj, const char *key, struct nw_cur data) NW_MUST_USE;
nw_err nw_aws_json_get_b64(struct nw_buf *out, const json_t *obj, const char *key, bool *present)
    NW_MUST_USE;
nw_err nw_aws_json_get_str(char *dst, size_t dst_len, const json_t *obj, const char *key)
    NW_MUST_USE;
/* Parse a body that must be a JSON object (NW_ERR_AWS_RESPONSE otherwise). */
nw_err nw_aws_json_parse(json_t **root, struct nw_cur body) NW_MUST_USE;

#endif /* NW_AWS_INT_H */

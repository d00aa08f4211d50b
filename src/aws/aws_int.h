/*
 * Helpers shared inside libnwaws only.
 */
#ifndef NW_AWS_INT_H
#define NW_AWS_INT_H

#include <stdbool.h>

#include <nw/buf.h>

/* Append the canonical form of a raw query string (sigv4.c; exposed for the fuzz target). */
nw_err nw_sigv4_append_canonical_query(struct nw_buf *out, struct nw_cur query) NW_MUST_USE;

/* UTC civil time to Unix seconds; false for an invalid date or a year outside 1970..9999. */
bool nw_aws_civil_to_unix(int64_t *out, int y, int mo, int d, int h, int mi, int s);

/* Parse an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SSZ" (optional fraction) to Unix seconds. */
bool nw_aws_parse_iso8601(int64_t *out, const char *s);

#endif /* NW_AWS_INT_H */

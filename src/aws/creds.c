/*
 * Credential sets: static and environment credentials, validity, ISO 8601 expiry times. The
 * providers that fetch them (IMDS among them) are in provider.c, above imds.c, so that the
 * files depend on each other in one direction: creds.c <- imds.c <- provider.c.
 */
#include <stdlib.h>
#include <string.h>

#include <nw/aws.h>
#include <nw/mem.h>

#include "aws_int.h"

void nw_aws_creds_clear(struct nw_aws_creds *c)
{
    if (c != NULL)
        nw_wipe(c, sizeof(*c));
}

/* Printable ASCII without spaces; 1..max characters. */
static bool field_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

nw_err nw_aws_creds_set(struct nw_aws_creds *c,
                        const char *akid,
                        const char *secret,
                        const char *token,
                        int64_t expiration_s)
{
    nw_aws_creds_clear(c);
    if (akid == NULL || secret == NULL || !field_ok(akid, NW_AWS_AKID_MAX) ||
        !field_ok(secret, NW_AWS_SECRET_MAX) || strchr(akid, '/') != NULL)
        return NW_ERR_AWS_CREDS_INVALID;
    if (token != NULL && token[0] != '\0' && !field_ok(token, NW_AWS_TOKEN_MAX))
        return NW_ERR_AWS_CREDS_INVALID;
    memcpy(c->access_key_id, akid, strlen(akid) + 1);
    memcpy(c->secret_access_key, secret, strlen(secret) + 1);
    if (token != NULL)
        memcpy(c->session_token, token, strlen(token) + 1);
    c->expiration_s = expiration_s;
    return NW_OK;
}

nw_err nw_aws_creds_from_env(struct nw_aws_creds *c)
{
    const char *id = getenv("AWS_ACCESS_KEY_ID");
    const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
    const char *token = getenv("AWS_SESSION_TOKEN");
    nw_aws_creds_clear(c);
    if (id == NULL || id[0] == '\0' || secret == NULL || secret[0] == '\0')
        return NW_ERR_AWS_CREDS_MISSING;
    return nw_aws_creds_set(c, id, secret, token, 0);
}

bool nw_aws_creds_valid(const struct nw_aws_creds *c, int64_t now_s, int64_t margin_s)
{
    if (c->access_key_id[0] == '\0' || c->secret_access_key[0] == '\0')
        return false;
    return c->expiration_s == 0 || now_s + margin_s < c->expiration_s;
}

static bool num(const char *s, size_t n, int *v)
{
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

bool nw_aws_parse_iso8601(int64_t *out, const char *s)
{
    int y, mo, d, h, mi, se;
    *out = 0;
    size_t n = strlen(s);
    if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return false;
    if (!num(s, 4, &y) || !num(s + 5, 2, &mo) || !num(s + 8, 2, &d) || !num(s + 11, 2, &h) ||
        !num(s + 14, 2, &mi) || !num(s + 17, 2, &se))
        return false;
    size_t i = 19;
    if (s[i] == '.') {
        i++;
        size_t start = i;
        while (s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return false;
    }
    if (s[i] != 'Z' || s[i + 1] != '\0')
        return false;
    return nw_aws_civil_to_unix(out, y, mo, d, h, mi, se);
}

/*
 * Static and environment credentials, and the credential providers (the IMDS client itself
 * lives in imds.c).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <nw/aws.h>
#include <nw/imds.h>
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

/* ---- providers -------------------------------------------------------------------------- */

enum provider_kind { NW_AWS_P_STATIC = 1, NW_AWS_P_ENV = 2, NW_AWS_P_IMDS = 3 };

struct nw_aws_creds_provider {
    enum provider_kind kind;
    pthread_mutex_t mu;
    struct nw_aws_creds cached; /* static: the set; imds: the last fetched set */
    struct nw_imds *imds;
    int64_t refresh_ahead_s;
};

static nw_err provider_new(struct nw_aws_creds_provider **out, enum provider_kind kind)
{
    struct nw_aws_creds_provider *p = nw_calloc(1, sizeof(*p));
    *out = NULL;
    if (p == NULL)
        return NW_ERR_NOMEM;
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        nw_free(p);
        return NW_ERR_INTERNAL;
    }
    p->kind = kind;
    *out = p;
    return NW_OK;
}

nw_err nw_aws_creds_provider_static(struct nw_aws_creds_provider **out,
                                    const struct nw_aws_creds *creds)
{
    NW_TRY(provider_new(out, NW_AWS_P_STATIC));
    nw_err err = nw_aws_creds_set(&(*out)->cached, creds->access_key_id, creds->secret_access_key,
                                  creds->session_token, creds->expiration_s);
    if (err != NW_OK) {
        nw_aws_creds_provider_free(*out);
        *out = NULL;
    }
    return err;
}

nw_err nw_aws_creds_provider_env(struct nw_aws_creds_provider **out)
{
    return provider_new(out, NW_AWS_P_ENV);
}

nw_err nw_aws_creds_provider_imds(struct nw_aws_creds_provider **out,
                                  const struct nw_imds_opts *opts,
                                  int64_t refresh_ahead_s)
{
    NW_TRY(provider_new(out, NW_AWS_P_IMDS));
    (*out)->refresh_ahead_s = refresh_ahead_s > 0 ? refresh_ahead_s : 300;
    nw_err err = nw_imds_new(&(*out)->imds, opts);
    if (err != NW_OK) {
        nw_aws_creds_provider_free(*out);
        *out = NULL;
    }
    return err;
}

void nw_aws_creds_provider_free(struct nw_aws_creds_provider *p)
{
    if (p == NULL)
        return;
    nw_imds_free(p->imds);
    pthread_mutex_destroy(&p->mu);
    nw_free_secret(p, sizeof(*p));
}

/* IMDS: refresh when missing or within refresh_ahead_s of Expiration; on a failed refresh
 * keep using still-valid cached credentials (the service may be briefly unreachable). */
static nw_err imds_get(struct nw_aws_creds_provider *p, int64_t now, struct nw_aws_error *err)
{
    if (nw_aws_creds_valid(&p->cached, now, p->refresh_ahead_s))
        return NW_OK;
    struct nw_aws_creds fresh;
    nw_err e = nw_imds_role_credentials(p->imds, &fresh, err);
    if (e == NW_OK) {
        memcpy(&p->cached, &fresh, sizeof(fresh));
        nw_aws_creds_clear(&fresh);
        if (!nw_aws_creds_valid(&p->cached, now, 0))
            return NW_ERR_AWS_CREDS_EXPIRED;
        return NW_OK;
    }
    nw_aws_creds_clear(&fresh);
    if (nw_aws_creds_valid(&p->cached, now, 0))
        return NW_OK;
    return e;
}

nw_err nw_aws_creds_provider_get(struct nw_aws_creds_provider *p,
                                 struct nw_aws_creds *out,
                                 int64_t now_s,
                                 struct nw_aws_error *err)
{
    nw_err e = NW_OK;
    nw_aws_creds_clear(out);
    nw_aws_error_reset(err);
    if (p->kind == NW_AWS_P_ENV) {
        e = nw_aws_creds_from_env(out);
    } else {
        pthread_mutex_lock(&p->mu);
        if (p->kind == NW_AWS_P_IMDS)
            e = imds_get(p, now_s, err);
        else if (!nw_aws_creds_valid(&p->cached, now_s, 0))
            e = NW_ERR_AWS_CREDS_EXPIRED;
        if (e == NW_OK)
            memcpy(out, &p->cached, sizeof(*out));
        pthread_mutex_unlock(&p->mu);
    }
    if (e != NW_OK) {
        nw_aws_creds_clear(out);
        if (err != NULL)
            err->code = e;
    }
    return e;
}

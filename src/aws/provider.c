/*
 * Credential providers: a static set, the environment, or IMDSv2 role credentials cached and
 * refreshed ahead of expiry (the IMDS client itself is imds.c; credential sets are creds.c).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <nw/aws.h>
#include <nw/imds.h>
#include <nw/mem.h>

#include "aws_int.h"

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

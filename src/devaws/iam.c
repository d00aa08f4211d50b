/*
 * Principals the way IAM shapes them: one administrator (an IAM user with an allow-all
 * identity policy) and named roles, each with an optional identity policy. Any principal can
 * hold long-term access keys (AKIA...) or session credentials (ASIA... with a token and an
 * expiry), as STS would issue for a role. The instance role's session credentials are what IMDS
 * serves; they rotate when half their lifetime has passed, and old ones stay valid until they
 * expire, as on EC2.
 *
 * iam.json: {"users": {NAME: {"policy": P}}, "roles": {NAME: {"policy": P|null, "created": T}},
 *            "keys": {AKID: {"secret", "principal": "user/N"|"role/N", "token"?, "expires"?,
 *                            "issued"}},
 *            "admin_key": AKID, "instance_key": AKID}
 */
#include <stdio.h>
#include <string.h>

#include <nw/mem.h>

#include "devaws_int.h"

#define ADMIN_USER      "nw-admin"
#define UPPER_ALNUM     "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define SECRET_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

static json_t *obj_child(json_t *o, const char *key)
{
    json_t *c = json_object_get(o, key);
    if (!json_is_object(c)) {
        c = json_object();
        json_object_set_new(o, key, c);
    }
    return c;
}

void nw_dv_role_arn(const struct nw_dv_config *cfg, char out[NW_DV_ARN_MAX], const char *name)
{
    (void)snprintf(out, NW_DV_ARN_MAX, "arn:aws:iam::%s:role/%s", cfg->account, name);
}

static bool valid_name(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > NW_DV_NAME_MAX - 1)
        return false;
    for (const char *p = n; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("+=,.@_-", *p) != NULL))
            return false;
    }
    return true;
}

nw_err nw_dv_iam_create_role(struct nw_dv_state *st, const char *name)
{
    if (!valid_name(name) || strcmp(name, ADMIN_USER) == 0)
        return NW_ERR_INVALID_ARG;
    json_t *roles = obj_child(nw_dv_state_get(st, NW_DV_IAM), "roles");
    if (json_object_get(roles, name) != NULL)
        return NW_OK;
    json_object_set_new(roles, name, json_pack("{s:n, s:f}", "policy", "created", nw_dv_now()));
    nw_dv_state_touch(st, NW_DV_IAM);
    return NW_OK;
}

/* The principal entry and its "user/N" or "role/N" suffix for a name ("admin" = the admin). */
static json_t *
find_principal(struct nw_dv_state *st, const char *principal, char *suffix, size_t cap)
{
    json_t *iam = nw_dv_state_get(st, NW_DV_IAM);
    if (strcmp(principal, "admin") == 0 || strcmp(principal, ADMIN_USER) == 0) {
        (void)snprintf(suffix, cap, "user/%s", ADMIN_USER);
        return json_object_get(obj_child(iam, "users"), ADMIN_USER);
    }
    (void)snprintf(suffix, cap, "role/%s", principal);
    return json_object_get(obj_child(iam, "roles"), principal);
}

nw_err nw_dv_iam_put_policy(struct nw_dv_state *st, const char *principal, json_t *policy)
{
    char suffix[NW_DV_ARN_MAX];
    json_t *p = find_principal(st, principal, suffix, sizeof(suffix));
    if (p == NULL)
        return NW_ERR_NOT_FOUND;
    NW_TRY(nw_dv_policy_validate(policy));
    json_object_set(p, "policy", policy);
    nw_dv_state_touch(st, NW_DV_IAM);
    return NW_OK;
}

nw_err nw_dv_iam_issue(struct nw_dv_state *st, json_t **out, const char *principal, long lifetime_s)
{
    char suffix[NW_DV_ARN_MAX], akid[21], secret[41], token[161], exp[32];
    nw_err err = NW_OK;
    *out = NULL;
    if (find_principal(st, principal, suffix, sizeof(suffix)) == NULL)
        return NW_ERR_NOT_FOUND;
    json_t *keys = obj_child(nw_dv_state_get(st, NW_DV_IAM), "keys");
    (void)snprintf(akid, sizeof(akid), "%s", lifetime_s > 0 ? "ASIA" : "AKIA");
    NW_CHECK(nw_dv_random_text(akid + 4, 16, UPPER_ALNUM));
    NW_CHECK(nw_dv_random_text(secret, 40, SECRET_ALPHABET));
    double now = nw_dv_now();
    json_t *k = json_pack("{s:s, s:s, s:f}", "secret", secret, "principal", suffix, "issued", now);
    *out = json_pack("{s:s, s:s}", "AccessKeyId", akid, "SecretAccessKey", secret);
    if (lifetime_s > 0) {
        NW_CHECK(nw_dv_random_text(token, 160, SECRET_ALPHABET));
        json_object_set_new(k, "token", json_string(token));
        json_object_set_new(k, "expires", json_integer((json_int_t)now + lifetime_s));
        nw_dv_iso8601(exp, (time_t)now + lifetime_s);
        json_object_set_new(*out, "Token", json_string(token));
        json_object_set_new(*out, "Expiration", json_string(exp));
    }
    json_object_set_new(keys, akid, k);
    /* Forget session keys that expired more than a day ago. */
    const char *id;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(keys, tmp, id, v)
    {
        json_t *e = json_object_get(v, "expires");
        if (json_is_integer(e) && (double)json_integer_value(e) + 86400.0 < now)
            json_object_del(keys, id);
    }
    nw_dv_state_touch(st, NW_DV_IAM);
out:
    nw_wipe(secret, sizeof(secret));
    nw_wipe(token, sizeof(token));
    if (err != NW_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return err;
}

/* The key entry as the issue functions' output object. */
static json_t *key_view(const char *akid, const json_t *k)
{
    char exp[32];
    json_t *o = json_pack("{s:s, s:s}", "AccessKeyId", akid, "SecretAccessKey",
                          nw_dv_jstr(k, "secret") ? nw_dv_jstr(k, "secret") : "");
    json_t *e = json_object_get(k, "expires");
    if (nw_dv_jstr(k, "token") != NULL && json_is_integer(e)) {
        nw_dv_iso8601(exp, (time_t)json_integer_value(e));
        json_object_set_new(o, "Token", json_string(nw_dv_jstr(k, "token")));
        json_object_set_new(o, "Expiration", json_string(exp));
    }
    return o;
}

nw_err nw_dv_iam_admin_key(struct nw_dv_state *st, json_t **out)
{
    json_t *iam = nw_dv_state_get(st, NW_DV_IAM);
    const char *akid = nw_dv_jstr(iam, "admin_key");
    json_t *k = akid ? json_object_get(obj_child(iam, "keys"), akid) : NULL;
    if (k != NULL) {
        *out = key_view(akid, k);
        return NW_OK;
    }
    NW_TRY(nw_dv_iam_issue(st, out, "admin", 0));
    json_object_set(iam, "admin_key", json_object_get(*out, "AccessKeyId"));
    return NW_OK;
}

nw_err nw_dv_iam_bootstrap(struct nw_dv_state *st)
{
    json_t *iam = nw_dv_state_get(st, NW_DV_IAM);
    json_t *users = obj_child(iam, "users");
    if (json_object_get(users, ADMIN_USER) == NULL) {
        /* AdministratorAccess, as AWS's managed policy of that name. */
        json_t *pol = json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "Version", "2012-10-17", "Statement",
                                "Effect", "Allow", "Action", "*", "Resource", "*");
        json_object_set_new(users, ADMIN_USER, json_pack("{s:o}", "policy", pol));
        nw_dv_state_touch(st, NW_DV_IAM);
    }
    if (st->cfg->instance_role[0] != '\0')
        NW_TRY(nw_dv_iam_create_role(st, st->cfg->instance_role));
    json_t *k = NULL;
    NW_TRY(nw_dv_iam_admin_key(st, &k));
    json_decref(k);
    return NW_OK;
}

nw_err nw_dv_iam_instance_creds(struct nw_dv_state *st, json_t **out, double *last_updated)
{
    json_t *iam = nw_dv_state_get(st, NW_DV_IAM);
    const char *akid = nw_dv_jstr(iam, "instance_key");
    json_t *k = akid ? json_object_get(obj_child(iam, "keys"), akid) : NULL;
    double now = nw_dv_now();
    long life = st->cfg->cred_lifetime_s;
    *out = NULL;
    if (k != NULL) {
        double exp = (double)json_integer_value(json_object_get(k, "expires"));
        if (exp - now > (double)life / 2.0) {
            *last_updated = json_real_value(json_object_get(k, "issued"));
            *out = key_view(akid, k);
            return NW_OK;
        }
    }
    NW_TRY(nw_dv_iam_issue(st, out, st->cfg->instance_role, life));
    json_object_set(iam, "instance_key", json_object_get(*out, "AccessKeyId"));
    *last_updated = now;
    return NW_OK;
}

json_t *nw_dv_iam_identity_policy(struct nw_dv_state *st, const char *arn)
{
    char prefix[64];
    json_t *iam = nw_dv_state_get(st, NW_DV_IAM);
    int n = snprintf(prefix, sizeof(prefix), "arn:aws:iam::%s:", st->cfg->account);
    if (n < 0 || strncmp(arn, prefix, (size_t)n) != 0)
        return NULL;
    const char *rest = arn + n;
    json_t *p = NULL;
    if (strncmp(rest, "user/", 5) == 0)
        p = json_object_get(json_object_get(obj_child(iam, "users"), rest + 5), "policy");
    else if (strncmp(rest, "role/", 5) == 0)
        p = json_object_get(json_object_get(obj_child(iam, "roles"), rest + 5), "policy");
    return json_is_object(p) ? p : NULL;
}

const json_t *nw_dv_iam_key(struct nw_dv_state *st, const char *akid)
{
    return json_object_get(json_object_get(nw_dv_state_get(st, NW_DV_IAM), "keys"), akid);
}

void nw_dv_iam_caller(const struct nw_dv_config *cfg,
                      struct nw_dv_caller *c,
                      const char *akid,
                      const json_t *k)
{
    const char *suffix = nw_dv_jstr(k, "principal");
    memset(c, 0, sizeof(*c));
    (void)snprintf(c->akid, sizeof(c->akid), "%s", akid);
    (void)snprintf(c->arn, sizeof(c->arn), "arn:aws:iam::%s:%s", cfg->account,
                   suffix ? suffix : "");
    c->is_session = nw_dv_jstr(k, "token") != NULL;
    c->is_admin = suffix != NULL && strcmp(suffix, "user/" ADMIN_USER) == 0;
    if (c->is_session && suffix != NULL && strncmp(suffix, "role/", 5) == 0)
        (void)snprintf(c->caller_arn, sizeof(c->caller_arn), "arn:aws:sts::%s:assumed-role/%s/%s",
                       cfg->account, suffix + 5, akid);
    else
        (void)snprintf(c->caller_arn, sizeof(c->caller_arn), "%s", c->arn);
}

/*
 * IAM policy evaluation, the subset KMS key policies and identity policies use (IAM User Guide,
 * "Policy evaluation logic" and "IAM JSON policy elements"):
 *
 *  - Statement: one object or a list; Effect Allow or Deny; Action or NotAction, Resource or
 *    NotResource, strings or lists, with * and ? wildcards (actions match case-insensitively);
 *    in resource (key) policies Principal or NotPrincipal: "*", {"AWS": "*" | ARN | account id |
 *    arn:aws:iam::ACCOUNT:root | [..]}. The account root delegates to identity policies, so such
 *    a match is reported separately (*via_root).
 *  - Condition: operators StringEquals, StringNotEquals, StringEqualsIgnoreCase,
 *    StringNotEqualsIgnoreCase, StringLike, StringNotLike, each optionally ...IfExists, and
 *    Null. Operators are ANDed, keys within an operator ANDed, values of one key ORed. A key
 *    absent from the request fails a positive operator and satisfies a negated one.
 *  - An explicit Deny beats any Allow; without an Allow the answer is an implicit deny.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "devaws_int.h"

/* Glob match with * and ? (case-insensitively when icase). */
static bool glob(const char *pat, const char *s, bool icase)
{
    const char *star = NULL, *resume = NULL;
    while (*s != '\0') {
        if (*pat == '*') {
            star = pat++;
            resume = s;
        } else if (*pat == '?' ||
                   (icase ? tolower((unsigned char)*pat) == tolower((unsigned char)*s)
                          : *pat == *s)) {
            pat++;
            s++;
        } else if (star != NULL) {
            pat = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}

/* Does any string in v (a string or a list of strings) glob-match s? */
static bool any_glob(const json_t *v, const char *s, bool icase)
{
    if (json_is_string(v))
        return glob(json_string_value(v), s, icase);
    size_t i;
    const json_t *e;
    json_array_foreach(v, i, e)
    {
        if (json_is_string(e) && glob(json_string_value(e), s, icase))
            return true;
    }
    return false;
}

bool nw_dv_policy_cond_value(const struct nw_dv_policy_ctx *ctx,
                             const char *key,
                             char *buf,
                             size_t cap)
{
    static const char ec[] = "kms:EncryptionContext:";
    static const char ra[] = "kms:RecipientAttestation:";
    const char *v = NULL;
    if (strcasecmp(key, "aws:PrincipalArn") == 0) {
        v = ctx->principal_arn;
    } else if (strcasecmp(key, "aws:PrincipalAccount") == 0 ||
               strcasecmp(key, "kms:CallerAccount") == 0) {
        v = ctx->account;
    } else if (strcasecmp(key, "aws:SecureTransport") == 0) {
        v = "true";
    } else if (strcasecmp(key, "kms:ViaService") == 0) {
        v = ctx->via_service;
    } else if (strncasecmp(key, ec, sizeof(ec) - 1) == 0) {
        /* The context key itself is case-sensitive, as in KMS. */
        v = json_string_value(json_object_get(ctx->enc_ctx, key + sizeof(ec) - 1));
    } else if (strncasecmp(key, ra, sizeof(ra) - 1) == 0) {
        const char *what = key + sizeof(ra) - 1;
        const struct nw_dv_attest_facts *a = ctx->attest;
        if (a == NULL || !a->present)
            return false;
        if (strcasecmp(what, "ImageSha384") == 0) {
            v = a->image_sha384;
        } else if (strncasecmp(what, "PCR", 3) == 0 && what[3] != '\0') {
            char *end = NULL;
            unsigned long n = strtoul(what + 3, &end, 10);
            if (*end == '\0' && n < 32 && a->pcr_set[n])
                v = a->pcr[n];
        }
    }
    if (v == NULL)
        return false;
    (void)snprintf(buf, cap, "%s", v);
    return true;
}

enum op_kind { NW_DV_OP_EQ, NW_DV_OP_EQ_ICASE, NW_DV_OP_LIKE, NW_DV_OP_NULL };

struct op_desc {
    const char *name;
    enum op_kind kind;
    bool negated;
};

static const struct op_desc ops[] = {
    {"StringEquals", NW_DV_OP_EQ, false},
    {"StringNotEquals", NW_DV_OP_EQ, true},
    {"StringEqualsIgnoreCase", NW_DV_OP_EQ_ICASE, false},
    {"StringNotEqualsIgnoreCase", NW_DV_OP_EQ_ICASE, true},
    {"StringLike", NW_DV_OP_LIKE, false},
    {"StringNotLike", NW_DV_OP_LIKE, true},
    {"Null", NW_DV_OP_NULL, false},
};

/* Find an operator by name, with an optional IfExists suffix. */
static const struct op_desc *find_op(const char *name, bool *if_exists)
{
    size_t n = strlen(name);
    *if_exists = n > 8 && strcmp(name + n - 8, "IfExists") == 0;
    if (*if_exists)
        n -= 8;
    for (size_t i = 0; i < NW_ARRAY_LEN(ops); i++) {
        if (strlen(ops[i].name) == n && strncmp(ops[i].name, name, n) == 0)
            return &ops[i];
    }
    return NULL;
}

static bool value_match(enum op_kind kind, const char *want, const char *have)
{
    switch (kind) {
        case NW_DV_OP_EQ:
            return strcmp(want, have) == 0;
        case NW_DV_OP_EQ_ICASE:
            return strcasecmp(want, have) == 0;
        case NW_DV_OP_LIKE:
            return glob(want, have, false);
        case NW_DV_OP_NULL:
            break;
    }
    return false;
}

/* One key of one operator: does the request satisfy it? */
static bool key_holds(const struct op_desc *op,
                      bool if_exists,
                      const char *key,
                      const json_t *want,
                      const struct nw_dv_policy_ctx *ctx)
{
    char have[1024];
    bool present = nw_dv_policy_cond_value(ctx, key, have, sizeof(have));
    if (op->kind == NW_DV_OP_NULL) {
        /* "Null": "true" means the key must be absent. */
        const char *w = json_string_value(want);
        bool want_absent = w != NULL && strcasecmp(w, "true") == 0;
        return want_absent != present;
    }
    if (!present)
        return op->negated || if_exists;
    bool any = false;
    if (json_is_string(want)) {
        any = value_match(op->kind, json_string_value(want), have);
    } else {
        size_t i;
        const json_t *e;
        json_array_foreach(want, i, e)
        {
            if (json_is_string(e) && value_match(op->kind, json_string_value(e), have))
                any = true;
        }
    }
    return op->negated ? !any : any;
}

static nw_err conditions_hold(bool *holds, const json_t *cond, const struct nw_dv_policy_ctx *ctx)
{
    const char *opname, *key;
    const json_t *keys, *want;
    *holds = true;
    if (cond == NULL)
        return NW_OK;
    if (!json_is_object(cond))
        return NW_ERR_DEVAWS_POLICY_SYNTAX;
    json_object_foreach((json_t *)cond, opname, keys)
    {
        bool if_exists;
        const struct op_desc *op = find_op(opname, &if_exists);
        if (op == NULL || !json_is_object(keys))
            return NW_ERR_DEVAWS_POLICY_SYNTAX;
        json_object_foreach((json_t *)keys, key, want)
        {
            if (!json_is_string(want) && !json_is_array(want))
                return NW_ERR_DEVAWS_POLICY_SYNTAX;
            if (!key_holds(op, if_exists, key, want, ctx))
                *holds = false;
        }
    }
    return NW_OK;
}

/* Principal element: 0 no match, 1 direct match, 2 match through the account root. */
static int principal_match(const json_t *p, const struct nw_dv_policy_ctx *ctx)
{
    char root[64];
    (void)snprintf(root, sizeof(root), "arn:aws:iam::%s:root", ctx->account);
    if (json_is_string(p))
        return strcmp(json_string_value(p), "*") == 0 ? 1 : 0;
    const json_t *aws = json_object_get(p, "AWS");
    const json_t *one = aws;
    size_t i = 0, n = json_is_array(aws) ? json_array_size(aws) : 1;
    int best = 0;
    for (i = 0; i < n; i++) {
        if (json_is_array(aws))
            one = json_array_get(aws, i);
        const char *s = json_string_value(one);
        if (s == NULL)
            continue;
        if (strcmp(s, "*") == 0 || strcmp(s, ctx->principal_arn) == 0)
            return 1;
        if (strcmp(s, root) == 0 || strcmp(s, ctx->account) == 0)
            best = 2;
    }
    return best;
}

static bool list_ok(const json_t *v)
{
    if (json_is_string(v))
        return true;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return false;
    size_t i;
    const json_t *e;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return false;
    }
    return true;
}

static nw_err statement_ok(const json_t *s)
{
    const char *eff = nw_dv_jstr(s, "Effect");
    const json_t *a = json_object_get(s, "Action"), *na = json_object_get(s, "NotAction");
    const json_t *r = json_object_get(s, "Resource"), *nr = json_object_get(s, "NotResource");
    if (!json_is_object(s) || eff == NULL ||
        (strcmp(eff, "Allow") != 0 && strcmp(eff, "Deny") != 0))
        return NW_ERR_DEVAWS_POLICY_SYNTAX;
    if ((a == NULL) == (na == NULL) || !list_ok(a ? a : na))
        return NW_ERR_DEVAWS_POLICY_SYNTAX;
    if ((r != NULL && nr != NULL) || ((r || nr) && !list_ok(r ? r : nr)))
        return NW_ERR_DEVAWS_POLICY_SYNTAX;
    const json_t *cond = json_object_get(s, "Condition");
    if (cond != NULL) {
        struct nw_dv_policy_ctx none = {"", "", "", "", NULL, NULL, NULL};
        bool holds;
        NW_TRY(conditions_hold(&holds, cond, &none));
    }
    return NW_OK;
}

nw_err nw_dv_policy_validate(const json_t *policy)
{
    const json_t *st = json_object_get(policy, "Statement");
    if (!json_is_object(policy) || st == NULL)
        return NW_ERR_DEVAWS_POLICY_SYNTAX;
    const char *ver = nw_dv_jstr(policy, "Version");
    if (ver != NULL && strcmp(ver, "2012-10-17") != 0 && strcmp(ver, "2008-10-17") != 0)
        return NW_ERR_DEVAWS_POLICY_SYNTAX;
    if (json_is_object(st))
        return statement_ok(st);
    if (!json_is_array(st) || json_array_size(st) == 0)
        return NW_ERR_DEVAWS_POLICY_SYNTAX;
    size_t i;
    const json_t *s;
    json_array_foreach(st, i, s) NW_TRY(statement_ok(s));
    return NW_OK;
}

/* Evaluate one statement: 0 no match, 1 match, 2 match through the account root. */
static nw_err eval_statement(int *match,
                             const json_t *s,
                             const struct nw_dv_policy_ctx *ctx,
                             bool resource_policy)
{
    *match = 0;
    NW_TRY(statement_ok(s));
    int pm = 1;
    if (resource_policy) {
        const json_t *p = json_object_get(s, "Principal"), *np = json_object_get(s, "NotPrincipal");
        if (p != NULL)
            pm = principal_match(p, ctx);
        else if (np != NULL)
            pm = principal_match(np, ctx) == 0 ? 1 : 0;
        else
            return NW_ERR_DEVAWS_POLICY_SYNTAX;
        if (pm == 0)
            return NW_OK;
    }
    const json_t *a = json_object_get(s, "Action");
    if (a != NULL ? !any_glob(a, ctx->action, true)
                  : any_glob(json_object_get(s, "NotAction"), ctx->action, true))
        return NW_OK;
    const json_t *r = json_object_get(s, "Resource"), *nr = json_object_get(s, "NotResource");
    if ((r != NULL && !any_glob(r, ctx->resource, false)) ||
        (nr != NULL && any_glob(nr, ctx->resource, false)))
        return NW_OK;
    bool holds;
    NW_TRY(conditions_hold(&holds, json_object_get(s, "Condition"), ctx));
    if (holds)
        *match = pm;
    return NW_OK;
}

nw_err nw_dv_policy_eval(enum nw_dv_effect *effect,
                         bool *via_root,
                         const json_t *policy,
                         const struct nw_dv_policy_ctx *ctx,
                         bool resource_policy)
{
    bool allow_direct = false, allow_root = false;
    *effect = NW_DV_NONE;
    *via_root = false;
    NW_TRY(nw_dv_policy_validate(policy));
    const json_t *st = json_object_get(policy, "Statement");
    size_t n = json_is_array(st) ? json_array_size(st) : 1;
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_is_array(st) ? json_array_get(st, i) : st;
        int m;
        NW_TRY(eval_statement(&m, s, ctx, resource_policy));
        if (m == 0)
            continue;
        if (strcmp(nw_dv_jstr(s, "Effect"), "Deny") == 0) {
            *effect = NW_DV_DENY;
            return NW_OK;
        }
        if (m == 1)
            allow_direct = true;
        else
            allow_root = true;
    }
    if (allow_direct || allow_root) {
        *effect = NW_DV_ALLOW;
        *via_root = !allow_direct;
    }
    return NW_OK;
}

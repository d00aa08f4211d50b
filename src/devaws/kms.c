/*
 * KMS (JSON 1.1, target prefix TrentService): symmetric keys, aliases, key policies and the
 * dispatch; the cryptographic operations are in kms_crypto.c. Shapes follow the botocore model
 * kms/2014-11-01/service-2.json; error names and messages follow what KMS answers.
 *
 * kms.json: {"keys": {UUID: {"material": b64(32), "description", "state": "Enabled" |
 *            "Disabled" | "PendingDeletion", "created", "policy": TEXT, "deletion"?}},
 *            "aliases": {"alias/NAME": {"target": UUID, "created", "updated"}}}
 */
#include <stdio.h>
#include <string.h>

#include <nw/mem.h>

#include "kms_int.h"

static json_t *child(json_t *o, const char *key)
{
    json_t *c = json_object_get(o, key);
    if (!json_is_object(c)) {
        c = json_object();
        json_object_set_new(o, key, c);
    }
    return c;
}

void nw_dv_kms_arn(const struct nw_dv_kctx *k, char out[NW_DV_ARN_MAX], const char *id)
{
    (void)snprintf(out, NW_DV_ARN_MAX, "arn:aws:kms:%s:%s:key/%s", k->st->cfg->region,
                   k->st->cfg->account, id);
}

/* ---- input checks (input.c), bound to this request ---- */

bool nw_dv_kms_str(
    struct nw_dv_kctx *k, const char **out, const char *m, bool req, size_t lo, size_t hi)
{
    return nw_dv_in_str(k->resp, out, k->in, m, req, lo, hi);
}

bool nw_dv_kms_blob(struct nw_dv_kctx *k, struct nw_buf *b, const char *m, bool req, size_t hi)
{
    return nw_dv_in_blob(k->resp, b, k->in, m, req, hi);
}

bool nw_dv_kms_ctx(struct nw_dv_kctx *k, const json_t **out, const char *m)
{
    return nw_dv_in_map(k->resp, out, k->in, m);
}

bool nw_dv_kms_int(struct nw_dv_kctx *k, long *out, const char *m, long lo, long hi, bool *present)
{
    return nw_dv_in_int(k->resp, out, present, k->in, m, lo, hi);
}

bool nw_dv_kms_dry_run(struct nw_dv_kctx *k)
{
    if (json_is_true(json_object_get(k->in, "DryRun"))) {
        nw_dv_error(k->resp, 412, "DryRunOperationException", "message",
                    "The request would have succeeded, but the DryRun option is set.");
        return true;
    }
    return false;
}

/* ---- keys ---- */

/* Resolve a key id, key ARN, alias name or alias ARN. Fills id (UUID) or answers NotFound. */
json_t *nw_dv_kms_resolve(struct nw_dv_kctx *k, char id[NW_DV_KEY_ID_LEN + 1], const char *ref)
{
    char prefix[128];
    const char *r = ref;
    int n = snprintf(prefix, sizeof(prefix), "arn:aws:kms:%s:%s:", k->st->cfg->region,
                     k->st->cfg->account);
    if (n > 0 && strncmp(r, prefix, (size_t)n) == 0) {
        r += n;
        if (strncmp(r, "key/", 4) == 0)
            r += 4;
    } else if (strncmp(r, "arn:", 4) == 0) {
        nw_dv_error(k->resp, 400, "NotFoundException", "message", "Invalid arn %s", ref);
        return NULL;
    }
    if (strncmp(r, "alias/", 6) == 0) {
        const char *t = nw_dv_jstr(json_object_get(k->aliases, r), "target");
        if (t == NULL) {
            nw_dv_error(k->resp, 400, "NotFoundException", "message",
                        "Alias arn:aws:kms:%s:%s:%s is not found.", k->st->cfg->region,
                        k->st->cfg->account, r);
            return NULL;
        }
        r = t;
    }
    json_t *key = json_object_get(k->keys, r);
    if (key == NULL || strlen(r) != NW_DV_KEY_ID_LEN) {
        nw_dv_error(k->resp, 400, "NotFoundException", "message",
                    "Key 'arn:aws:kms:%s:%s:key/%s' does not exist", k->st->cfg->region,
                    k->st->cfg->account, r);
        return NULL;
    }
    memcpy(id, r, NW_DV_KEY_ID_LEN + 1);
    return key;
}

/* The key may be used for cryptography: Enabled (else DisabledException / invalid state). */
bool nw_dv_kms_usable(struct nw_dv_kctx *k, const json_t *key, const char *id)
{
    char arn[NW_DV_ARN_MAX];
    const char *state = nw_dv_jstr(key, "state");
    nw_dv_kms_arn(k, arn, id);
    if (strcmp(state, "Disabled") == 0) {
        nw_dv_error(k->resp, 400, "DisabledException", "message", "%s is disabled.", arn);
        return false;
    }
    if (strcmp(state, "Enabled") != 0) {
        nw_dv_error(k->resp, 400, "KMSInvalidStateException", "message", "%s is pending deletion.",
                    arn);
        return false;
    }
    return true;
}

/* Authorise kms:<op> on a key (key policy + identity policy), or on "*" when key is NULL. */
bool nw_dv_kms_allowed(struct nw_dv_kctx *k,
                       const json_t *key,
                       const char *id,
                       const char *op,
                       const json_t *enc_ctx,
                       const struct nw_dv_attest_facts *attest)
{
    char action[96], arn[NW_DV_ARN_MAX];
    json_t *policy = NULL;
    (void)snprintf(action, sizeof(action), "kms:%s", op);
    if (key != NULL) {
        nw_dv_kms_arn(k, arn, id);
        policy = json_loads(nw_dv_jstr(key, "policy") ? nw_dv_jstr(key, "policy") : "", 0, NULL);
    } else {
        (void)snprintf(arn, sizeof(arn), "*");
    }
    struct nw_dv_policy_ctx ctx = {action,  arn,  k->caller->arn, k->st->cfg->account,
                                   enc_ctx, NULL, attest};
    bool ok = nw_dv_authorize(k->st, k->resp, k->caller, &ctx, key != NULL ? policy : NULL);
    json_decref(policy);
    return ok;
}

bool nw_dv_kms_material(const json_t *key, uint8_t out[32])
{
    struct nw_buf b;
    const char *m = nw_dv_jstr(key, "material");
    bool ok = false;
    nw_buf_init(&b, 64, true);
    if (m != NULL && nw_base64_decode(&b, nw_cur_str(m), false) == NW_OK && b.len == 32) {
        memcpy(out, b.ptr, 32);
        ok = true;
    }
    nw_buf_clear(&b);
    return ok;
}

static json_t *metadata(struct nw_dv_kctx *k, const json_t *key, const char *id)
{
    char arn[NW_DV_ARN_MAX];
    const char *state = nw_dv_jstr(key, "state");
    nw_dv_kms_arn(k, arn, id);
    json_t *m = json_pack(
        "{s:s, s:s, s:s, s:O, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:b}", "AWSAccountId",
        k->st->cfg->account, "KeyId", id, "Arn", arn, "CreationDate",
        json_object_get(key, "created"), "Enabled", strcmp(state, "Enabled") == 0, "Description",
        nw_dv_jstr(key, "description") ? nw_dv_jstr(key, "description") : "", "KeyUsage",
        "ENCRYPT_DECRYPT", "KeyState", state, "Origin", "AWS_KMS", "KeyManager", "CUSTOMER",
        "CustomerMasterKeySpec", "SYMMETRIC_DEFAULT", "KeySpec", "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms", "SYMMETRIC_DEFAULT", "MultiRegion", 0);
    if (json_object_get(key, "deletion") != NULL)
        json_object_set(m, "DeletionDate", json_object_get(key, "deletion"));
    return m;
}

static void default_policy(struct nw_dv_kctx *k, char *out, size_t cap)
{
    /* AWS's default key policy: the account root, which delegates to IAM policies. */
    (void)snprintf(out, cap,
                   "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n"
                   "  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n"
                   "    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n"
                   "      \"AWS\" : \"arn:aws:iam::%s:root\"\n    },\n"
                   "    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}",
                   k->st->cfg->account);
}

/* Parse and validate a policy document text; answers MalformedPolicyDocumentException. */
static bool policy_ok(struct nw_dv_kctx *k, const char *text)
{
    json_t *p = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    nw_err err = p ? nw_dv_policy_validate(p) : NW_ERR_DEVAWS_POLICY_SYNTAX;
    json_decref(p);
    if (err != NW_OK) {
        nw_dv_error(
            k->resp, 400, "MalformedPolicyDocumentException", "message",
            "The new key policy will not allow you to update the key policy in the future.");
        return false;
    }
    return true;
}

static void op_create_key(struct nw_dv_kctx *k)
{
    const char *desc, *policy, *usage, *spec, *spec_old, *origin;
    char id[37], pol[1024];
    uint8_t mat[32];
    struct nw_buf b64;
    if (!nw_dv_kms_str(k, &desc, "Description", false, 0, 8192) ||
        !nw_dv_kms_str(k, &policy, "Policy", false, 1, 32768) ||
        !nw_dv_kms_str(k, &usage, "KeyUsage", false, 1, 64) ||
        !nw_dv_kms_str(k, &spec, "KeySpec", false, 1, 64) ||
        !nw_dv_kms_str(k, &spec_old, "CustomerMasterKeySpec", false, 1, 64) ||
        !nw_dv_kms_str(k, &origin, "Origin", false, 1, 64))
        return;
    if ((usage && strcmp(usage, "ENCRYPT_DECRYPT") != 0) ||
        (spec && strcmp(spec, "SYMMETRIC_DEFAULT") != 0) ||
        (spec_old && strcmp(spec_old, "SYMMETRIC_DEFAULT") != 0) ||
        (origin && strcmp(origin, "AWS_KMS") != 0)) {
        nw_dv_error(k->resp, 400, "UnsupportedOperationException", "message",
                    "nw-devaws supports only symmetric ENCRYPT_DECRYPT keys of origin AWS_KMS");
        return;
    }
    if (!nw_dv_kms_allowed(k, NULL, NULL, "CreateKey", NULL, NULL))
        return;
    if (policy != NULL && !policy_ok(k, policy))
        return;
    default_policy(k, pol, sizeof(pol));
    nw_buf_init(&b64, 64, true);
    if (nw_dv_uuid(id) != NW_OK || nw_dv_random(mat, sizeof(mat)) != NW_OK ||
        nw_base64_encode(&b64, nw_cur_of(mat, sizeof(mat))) != NW_OK ||
        nw_buf_cstr(&b64) != NW_OK) {
        nw_dv_error(k->resp, 500, "KMSInternalException", "message", "key generation failed");
        goto out;
    }
    json_t *key = json_pack("{s:s, s:s, s:s, s:f, s:s}", "material", (const char *)b64.ptr,
                            "description", desc ? desc : "", "state", "Enabled", "created",
                            (double)(long)nw_dv_now(), "policy", policy ? policy : pol);
    json_object_set_new(k->keys, id, key);
    nw_dv_state_touch(k->st, NW_DV_KMS);
    json_t *o = json_pack("{s:o}", "KeyMetadata", metadata(k, key, id));
    nw_dv_json_ok(k->resp, o);
    json_decref(o);
out:
    nw_wipe(mat, sizeof(mat));
    nw_buf_clear(&b64);
}

static void op_describe_key(struct nw_dv_kctx *k)
{
    const char *ref;
    char id[37];
    if (!nw_dv_kms_str(k, &ref, "KeyId", true, 1, 2048))
        return;
    json_t *key = nw_dv_kms_resolve(k, id, ref);
    if (key == NULL || !nw_dv_kms_allowed(k, key, id, "DescribeKey", NULL, NULL))
        return;
    json_t *o = json_pack("{s:o}", "KeyMetadata", metadata(k, key, id));
    nw_dv_json_ok(k->resp, o);
    json_decref(o);
}

static void op_list_keys(struct nw_dv_kctx *k)
{
    long limit = 1000;
    bool has;
    const char *marker, *id;
    json_t *v;
    char arn[NW_DV_ARN_MAX];
    if (!nw_dv_kms_int(k, &limit, "Limit", 1, 1000, &has) ||
        !nw_dv_kms_str(k, &marker, "Marker", false, 1, 1024))
        return;
    if (!nw_dv_kms_allowed(k, NULL, NULL, "ListKeys", NULL, NULL))
        return;
    json_t *list = json_array();
    json_object_foreach(k->keys, id, v)
    {
        nw_dv_kms_arn(k, arn, id);
        json_array_append_new(list, json_pack("{s:s, s:s}", "KeyId", id, "KeyArn", arn));
    }
    json_t *o = json_pack("{s:o, s:b}", "Keys", list, "Truncated", 0);
    nw_dv_json_ok(k->resp, o);
    json_decref(o);
}

static bool alias_name_ok(struct nw_dv_kctx *k, const char *name)
{
    size_t n = strlen(name);
    bool ok = strncmp(name, "alias/", 6) == 0 && n > 6 && strncmp(name, "alias/aws/", 10) != 0;
    for (size_t i = 6; ok && i < n; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             strchr(":/_-", c) != NULL;
    }
    if (!ok)
        nw_dv_error(
            k->resp, 400, "ValidationException", "message",
            "1 validation error detected: Value '%s' at 'aliasName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
            name);
    return ok;
}

static void op_create_alias(struct nw_dv_kctx *k)
{
    const char *name, *target;
    char id[37], arn[NW_DV_ARN_MAX];
    if (!nw_dv_kms_str(k, &name, "AliasName", true, 1, 256) ||
        !nw_dv_kms_str(k, &target, "TargetKeyId", true, 1, 2048) || !alias_name_ok(k, name))
        return;
    if (strncmp(target, "alias/", 6) == 0 || strstr(target, ":alias/") != NULL) {
        nw_dv_error(k->resp, 400, "ValidationException", "message",
                    "Aliases must refer to keys. Not aliases");
        return;
    }
    json_t *key = nw_dv_kms_resolve(k, id, target);
    if (key == NULL || !nw_dv_kms_allowed(k, key, id, "CreateAlias", NULL, NULL))
        return;
    if (json_object_get(k->aliases, name) != NULL) {
        (void)snprintf(arn, sizeof(arn), "arn:aws:kms:%s:%s:%s", k->st->cfg->region,
                       k->st->cfg->account, name);
        nw_dv_error(k->resp, 400, "AlreadyExistsException", "message",
                    "An alias with the name %s already exists", arn);
        return;
    }
    double now = (double)(long)nw_dv_now();
    json_object_set_new(k->aliases, name,
                        json_pack("{s:s, s:f, s:f}", "target", id, "created", now, "updated", now));
    nw_dv_state_touch(k->st, NW_DV_KMS);
    json_t *o = json_object();
    nw_dv_json_ok(k->resp, o);
    json_decref(o);
}

static void op_delete_alias(struct nw_dv_kctx *k)
{
    const char *name;
    char id[37];
    if (!nw_dv_kms_str(k, &name, "AliasName", true, 1, 256))
        return;
    json_t *a = json_object_get(k->aliases, name);
    if (a == NULL) {
        nw_dv_error(k->resp, 400, "NotFoundException", "message",
                    "Alias arn:aws:kms:%s:%s:%s is not found.", k->st->cfg->region,
                    k->st->cfg->account, name);
        return;
    }
    json_t *key = nw_dv_kms_resolve(k, id, nw_dv_jstr(a, "target"));
    if (key == NULL || !nw_dv_kms_allowed(k, key, id, "DeleteAlias", NULL, NULL))
        return;
    json_object_del(k->aliases, name);
    nw_dv_state_touch(k->st, NW_DV_KMS);
    json_t *o = json_object();
    nw_dv_json_ok(k->resp, o);
    json_decref(o);
}

static void op_list_aliases(struct nw_dv_kctx *k)
{
    const char *ref, *marker, *name;
    char id[37] = "", arn[NW_DV_ARN_MAX];
    long limit;
    bool has;
    json_t *a;
    if (!nw_dv_kms_str(k, &ref, "KeyId", false, 1, 2048) ||
        !nw_dv_kms_int(k, &limit, "Limit", 1, 100, &has) ||
        !nw_dv_kms_str(k, &marker, "Marker", false, 1, 1024))
        return;
    if (ref != NULL && nw_dv_kms_resolve(k, id, ref) == NULL)
        return;
    if (!nw_dv_kms_allowed(k, NULL, NULL, "ListAliases", NULL, NULL))
        return;
    json_t *list = json_array();
    json_object_foreach(k->aliases, name, a)
    {
        const char *t = nw_dv_jstr(a, "target");
        if (ref != NULL && (t == NULL || strcmp(t, id) != 0))
            continue;
        (void)snprintf(arn, sizeof(arn), "arn:aws:kms:%s:%s:%s", k->st->cfg->region,
                       k->st->cfg->account, name);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:O, s:O}", "AliasName", name,
                                              "AliasArn", arn, "TargetKeyId", t ? t : "",
                                              "CreationDate", json_object_get(a, "created"),
                                              "LastUpdatedDate", json_object_get(a, "updated")));
    }
    json_t *o = json_pack("{s:o, s:b}", "Aliases", list, "Truncated", 0);
    nw_dv_json_ok(k->resp, o);
    json_decref(o);
}

/* EnableKey, DisableKey, CancelKeyDeletion: state changes with an empty (or KeyId) answer. */
static void op_set_state(struct nw_dv_kctx *k, const char *op, const char *from, const char *to)
{
    const char *ref;
    char id[37], arn[NW_DV_ARN_MAX];
    if (!nw_dv_kms_str(k, &ref, "KeyId", true, 1, 2048))
        return;
    json_t *key = nw_dv_kms_resolve(k, id, ref);
    if (key == NULL || !nw_dv_kms_allowed(k, key, id, op, NULL, NULL))
        return;
    const char *state = nw_dv_jstr(key, "state");
    nw_dv_kms_arn(k, arn, id);
    if (strcmp(state, to) != 0) {
        if (from != NULL ? strcmp(state, from) != 0 : strcmp(state, "PendingDeletion") == 0) {
            nw_dv_error(k->resp, 400, "KMSInvalidStateException", "message", "%s is %s.", arn,
                        strcmp(state, "PendingDeletion") == 0 ? "pending deletion"
                                                              : "not pending "
                                                                "deletion");
            return;
        }
        json_object_set_new(key, "state", json_string(to));
        json_object_del(key, "deletion");
        nw_dv_state_touch(k->st, NW_DV_KMS);
    }
    json_t *o =
        strcmp(op, "CancelKeyDeletion") == 0 ? json_pack("{s:s}", "KeyId", arn) : json_object();
    nw_dv_json_ok(k->resp, o);
    json_decref(o);
}

static void op_schedule_deletion(struct nw_dv_kctx *k)
{
    const char *ref;
    char id[37], arn[NW_DV_ARN_MAX];
    long days = 30;
    bool has;
    if (!nw_dv_kms_str(k, &ref, "KeyId", true, 1, 2048) ||
        !nw_dv_kms_int(k, &days, "PendingWindowInDays", 7, 30, &has))
        return;
    json_t *key = nw_dv_kms_resolve(k, id, ref);
    if (key == NULL || !nw_dv_kms_allowed(k, key, id, "ScheduleKeyDeletion", NULL, NULL))
        return;
    nw_dv_kms_arn(k, arn, id);
    if (strcmp(nw_dv_jstr(key, "state"), "PendingDeletion") == 0) {
        nw_dv_error(k->resp, 400, "KMSInvalidStateException", "message", "%s is pending deletion.",
                    arn);
        return;
    }
    double when = (double)((long)nw_dv_now() + days * 86400L);
    json_object_set_new(key, "state", json_string("PendingDeletion"));
    json_object_set_new(key, "deletion", json_real(when));
    nw_dv_state_touch(k->st, NW_DV_KMS);
    json_t *o = json_pack("{s:s, s:f, s:s, s:i}", "KeyId", arn, "DeletionDate", when, "KeyState",
                          "PendingDeletion", "PendingWindowInDays", (int)days);
    nw_dv_json_ok(k->resp, o);
    json_decref(o);
}

static void op_put_policy(struct nw_dv_kctx *k)
{
    const char *ref, *name, *policy;
    char id[37];
    if (!nw_dv_kms_str(k, &ref, "KeyId", true, 1, 2048) ||
        !nw_dv_kms_str(k, &name, "PolicyName", false, 1, 128) ||
        !nw_dv_kms_str(k, &policy, "Policy", true, 1, 32768))
        return;
    json_t *key = nw_dv_kms_resolve(k, id, ref);
    if (key == NULL || !nw_dv_kms_allowed(k, key, id, "PutKeyPolicy", NULL, NULL))
        return;
    if (name != NULL && strcmp(name, "default") != 0) {
        nw_dv_error(k->resp, 400, "NotFoundException", "message", "Policy %s does not exist", name);
        return;
    }
    if (!policy_ok(k, policy))
        return;
    json_object_set_new(key, "policy", json_string(policy));
    nw_dv_state_touch(k->st, NW_DV_KMS);
    json_t *o = json_object();
    nw_dv_json_ok(k->resp, o);
    json_decref(o);
}

static void op_get_policy(struct nw_dv_kctx *k)
{
    const char *ref, *name;
    char id[37];
    if (!nw_dv_kms_str(k, &ref, "KeyId", true, 1, 2048) ||
        !nw_dv_kms_str(k, &name, "PolicyName", false, 1, 128))
        return;
    json_t *key = nw_dv_kms_resolve(k, id, ref);
    if (key == NULL || !nw_dv_kms_allowed(k, key, id, "GetKeyPolicy", NULL, NULL))
        return;
    if (name != NULL && strcmp(name, "default") != 0) {
        nw_dv_error(k->resp, 400, "NotFoundException", "message", "Policy %s does not exist", name);
        return;
    }
    json_t *o =
        json_pack("{s:s, s:s}", "Policy", nw_dv_jstr(key, "policy"), "PolicyName", "default");
    nw_dv_json_ok(k->resp, o);
    json_decref(o);
}

static void op_list_policies(struct nw_dv_kctx *k)
{
    const char *ref;
    char id[37];
    if (!nw_dv_kms_str(k, &ref, "KeyId", true, 1, 2048))
        return;
    json_t *key = nw_dv_kms_resolve(k, id, ref);
    if (key == NULL || !nw_dv_kms_allowed(k, key, id, "ListKeyPolicies", NULL, NULL))
        return;
    json_t *o = json_pack("{s:[s], s:b}", "PolicyNames", "default", "Truncated", 0);
    nw_dv_json_ok(k->resp, o);
    json_decref(o);
}

static const struct {
    const char *name;
    void (*fn)(struct nw_dv_kctx *k);
} kms_ops[] = {
    {"CreateKey", op_create_key},
    {"DescribeKey", op_describe_key},
    {"ListKeys", op_list_keys},
    {"CreateAlias", op_create_alias},
    {"DeleteAlias", op_delete_alias},
    {"ListAliases", op_list_aliases},
    {"ScheduleKeyDeletion", op_schedule_deletion},
    {"PutKeyPolicy", op_put_policy},
    {"GetKeyPolicy", op_get_policy},
    {"ListKeyPolicies", op_list_policies},
    {"Encrypt", nw_dv_kms_encrypt},
    {"Decrypt", nw_dv_kms_decrypt},
    {"ReEncrypt", nw_dv_kms_reencrypt},
    {"GenerateDataKey", nw_dv_kms_gdk},
    {"GenerateDataKeyWithoutPlaintext", nw_dv_kms_gdk_np},
    {"GenerateRandom", nw_dv_kms_random},
};

/* Keys whose deletion date has passed are gone, as in KMS. */
static void purge_deleted(struct nw_dv_kctx *k)
{
    const char *id, *name;
    json_t *v;
    void *tmp;
    double now = nw_dv_now();
    json_object_foreach_safe(k->keys, tmp, id, v)
    {
        const json_t *d = json_object_get(v, "deletion");
        if (json_is_number(d) && json_number_value(d) <= now) {
            json_object_foreach_safe(k->aliases, tmp, name, v)
            {
                const char *t = nw_dv_jstr(v, "target");
                if (t != NULL && strcmp(t, id) == 0)
                    json_object_del(k->aliases, name);
            }
            json_object_del(k->keys, id);
            nw_dv_state_touch(k->st, NW_DV_KMS);
            return; /* one per request keeps the iteration simple */
        }
    }
}

void nw_dv_kms_dispatch(struct nw_dv_state *st,
                        struct nw_dv_resp *resp,
                        const struct nw_dv_caller *caller,
                        const char *op,
                        const json_t *in)
{
    json_t *root = nw_dv_state_get(st, NW_DV_KMS);
    struct nw_dv_kctx k = {st, resp, caller, in, op, child(root, "keys"), child(root, "aliases")};
    purge_deleted(&k);
    if (strcmp(op, "EnableKey") == 0) {
        op_set_state(&k, op, NULL, "Enabled");
        return;
    }
    if (strcmp(op, "DisableKey") == 0) {
        op_set_state(&k, op, NULL, "Disabled");
        return;
    }
    if (strcmp(op, "CancelKeyDeletion") == 0) {
        op_set_state(&k, op, "PendingDeletion", "Disabled");
        return;
    }
    for (size_t i = 0; i < NW_ARRAY_LEN(kms_ops); i++) {
        if (strcmp(op, kms_ops[i].name) == 0) {
            kms_ops[i].fn(&k);
            return;
        }
    }
    nw_dv_error(resp, 400, "UnknownOperationException", "message", "Unknown operation %s", op);
}

/*
 * Secrets Manager (JSON 1.1, target prefix secretsmanager): secrets with versions and staging
 * labels. A new value takes AWSCURRENT by default and the version that held it becomes
 * AWSPREVIOUS (the label moves off any older version). ClientRequestToken is the VersionId and
 * makes writes idempotent: the same token with the same value changes nothing, with another
 * value it is a ResourceExistsException. Shapes follow secretsmanager/2017-10-17/service-2.json.
 *
 * secrets.json: {"secrets": {NAME: {"arn", "description"?, "kms_key_id"?, "created", "changed",
 *                "deleted"?, "versions": {VID: {"string"? | "binary"? (b64), "created",
 *                "stages": [..]}}}}}
 * Values are stored as given (KmsKeyId is recorded but values are not encrypted with KMS).
 */
#include <stdio.h>
#include <string.h>

#include <nw/mem.h>

#include "devaws_int.h"

#define VALUE_MAX 65536

struct sctx {
    struct nw_dv_state *st;
    struct nw_dv_resp *resp;
    const struct nw_dv_caller *caller;
    const json_t *in;
    json_t *secrets;
};

/* Find a secret by name or ARN; answers ResourceNotFoundException. */
static json_t *find(struct sctx *s, const char **name, const char *ref)
{
    const char *n;
    json_t *v;
    json_object_foreach(s->secrets, n, v)
    {
        if (strcmp(n, ref) == 0 ||
            (nw_dv_jstr(v, "arn") && strcmp(nw_dv_jstr(v, "arn"), ref) == 0)) {
            *name = n;
            return v;
        }
    }
    nw_dv_error(s->resp, 400, "ResourceNotFoundException", "Message",
                "Secrets Manager can't find the specified secret.");
    return NULL;
}

static bool allowed(struct sctx *s, const char *op, const char *arn)
{
    char action[96];
    (void)snprintf(action, sizeof(action), "secretsmanager:%s", op);
    struct nw_dv_policy_ctx ctx = {action, arn, s->caller->arn, s->st->cfg->account, NULL,
                                   NULL,   NULL};
    return nw_dv_authorize(s->st, s->resp, s->caller, &ctx, NULL);
}

static bool not_deleted(struct sctx *s, const json_t *sec)
{
    if (json_object_get(sec, "deleted") != NULL) {
        nw_dv_error(s->resp, 400, "InvalidRequestException", "Message",
                    "You can't perform this operation on the secret because it was marked for "
                    "deletion.");
        return false;
    }
    return true;
}

/* The value of a request: exactly one of SecretString, SecretBinary (optional when !req). */
static bool get_value(struct sctx *s, const char **str, const char **bin, bool req)
{
    struct nw_buf b;
    nw_buf_init(&b, VALUE_MAX + 4, true);
    bool ok = nw_dv_in_str(s->resp, str, s->in, "SecretString", false, 1, VALUE_MAX) &&
              nw_dv_in_blob(s->resp, &b, s->in, "SecretBinary", false, VALUE_MAX);
    *bin = ok && b.len > 0 ? nw_dv_jstr(s->in, "SecretBinary") : NULL;
    nw_buf_clear(&b);
    if (!ok)
        return false;
    if ((*str != NULL && *bin != NULL) || (req && *str == NULL && *bin == NULL)) {
        nw_dv_error(s->resp, 400, "InvalidParameterException", "Message",
                    "You must provide either SecretString or SecretBinary.");
        return false;
    }
    return true;
}

static bool same_value(const json_t *ver, const char *str, const char *bin)
{
    const char *vs = nw_dv_jstr(ver, "string"), *vb = nw_dv_jstr(ver, "binary");
    if (str != NULL)
        return vs != NULL && strcmp(vs, str) == 0;
    return vb != NULL && bin != NULL && strcmp(vb, bin) == 0;
}

static bool has_stage(const json_t *ver, const char *stage)
{
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(ver, "stages"), i, e)
    {
        if (strcmp(json_string_value(e), stage) == 0)
            return true;
    }
    return false;
}

static void drop_stage(json_t *ver, const char *stage)
{
    json_t *st = json_object_get(ver, "stages");
    for (size_t i = 0; i < json_array_size(st); i++) {
        if (strcmp(json_string_value(json_array_get(st, i)), stage) == 0) {
            json_array_remove(st, i);
            return;
        }
    }
}

/* Give label stage to version vid, taking it from whichever version held it. */
static void move_stage(json_t *versions, const char *vid, const char *stage)
{
    const char *id;
    json_t *v;
    const char *prev = NULL;
    json_object_foreach(versions, id, v)
    {
        if (strcmp(id, vid) != 0 && has_stage(v, stage)) {
            drop_stage(v, stage);
            prev = id;
        }
    }
    json_t *target = json_object_get(versions, vid);
    if (!has_stage(target, stage))
        json_array_append_new(json_object_get(target, "stages"), json_string(stage));
    if (prev != NULL && strcmp(stage, "AWSCURRENT") == 0)
        move_stage(versions, prev, "AWSPREVIOUS");
}

/*
 * Add a version (or find the idempotent repeat). *vid_out points into the state. Returns false
 * after answering the error.
 */
static bool add_version(struct sctx *s,
                        json_t *sec,
                        const char **vid_out,
                        const char *token,
                        const char *str,
                        const char *bin,
                        const json_t *stages)
{
    char uuid[37];
    json_t *versions = json_object_get(sec, "versions");
    if (token == NULL) {
        if (nw_dv_uuid(uuid) != NW_OK) {
            nw_dv_error(s->resp, 500, "InternalServiceError", "Message", "randomness failed");
            return false;
        }
        token = uuid;
    }
    json_t *old = json_object_get(versions, token);
    if (old != NULL) {
        if (!same_value(old, str, bin)) {
            nw_dv_error(s->resp, 400, "ResourceExistsException", "Message",
                        "You can't modify an existing version, you can only create a new version.");
            return false;
        }
        *vid_out = json_object_iter_key(json_object_iter_at(versions, token));
        return true;
    }
    json_t *ver = json_pack("{s:s*, s:s*, s:f, s:[]}", "string", str, "binary", bin, "created",
                            nw_dv_now(), "stages");
    json_object_set_new(versions, token, ver);
    *vid_out = json_object_iter_key(json_object_iter_at(versions, token));
    if (stages == NULL || json_array_size(stages) == 0) {
        move_stage(versions, *vid_out, "AWSCURRENT");
    } else {
        size_t i;
        const json_t *e;
        json_array_foreach(stages, i, e) move_stage(versions, *vid_out, json_string_value(e));
    }
    json_object_set_new(sec, "changed", json_real(nw_dv_now()));
    nw_dv_state_touch(s->st, NW_DV_SM);
    return true;
}

static bool get_stages(struct sctx *s, const json_t **out)
{
    const json_t *v = json_object_get(s->in, "VersionStages");
    size_t i;
    const json_t *e;
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return true;
    bool ok = json_is_array(v) && json_array_size(v) >= 1 && json_array_size(v) <= 20;
    json_array_foreach(v, i, e) ok =
        ok && json_is_string(e) && json_string_length(e) >= 1 && json_string_length(e) <= 256;
    if (!ok) {
        nw_dv_error(s->resp, 400, "InvalidParameterException", "Message",
                    "VersionStages must hold 1 to 20 labels.");
        return false;
    }
    *out = v;
    return true;
}

static void answer_version(struct sctx *s, const json_t *sec, const char *name, const char *vid)
{
    json_t *ver = json_object_get(json_object_get(sec, "versions"), vid);
    json_t *o = json_pack("{s:s, s:s, s:s, s:O}", "ARN", nw_dv_jstr(sec, "arn"), "Name", name,
                          "VersionId", vid, "VersionStages", json_object_get(ver, "stages"));
    nw_dv_json_ok(s->resp, o);
    json_decref(o);
}

static void op_create(struct sctx *s)
{
    const char *name, *token, *desc, *kms, *str, *bin, *vid = NULL;
    char suffix[7], arn[NW_DV_ARN_MAX];
    if (!nw_dv_in_str(s->resp, &name, s->in, "Name", true, 1, 512) ||
        !nw_dv_in_str(s->resp, &token, s->in, "ClientRequestToken", false, 32, 64) ||
        !nw_dv_in_str(s->resp, &desc, s->in, "Description", false, 0, 2048) ||
        !nw_dv_in_str(s->resp, &kms, s->in, "KmsKeyId", false, 0, 2048) ||
        !get_value(s, &str, &bin, false))
        return;
    json_t *sec = json_object_get(s->secrets, name);
    if (sec != NULL) {
        json_t *ver = token ? json_object_get(json_object_get(sec, "versions"), token) : NULL;
        if (ver == NULL || !same_value(ver, str, bin)) {
            nw_dv_error(s->resp, 400,
                        json_object_get(sec, "deleted") ? "InvalidRequestException"
                                                        : "ResourceExistsException",
                        "Message", "The operation failed because the secret %s already exists.",
                        name);
            return;
        }
        json_t *o = json_pack("{s:s, s:s, s:s}", "ARN", nw_dv_jstr(sec, "arn"), "Name", name,
                              "VersionId", token);
        nw_dv_json_ok(s->resp, o);
        json_decref(o);
        return;
    }
    if (nw_dv_random_text(suffix, 6, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
        NW_OK)
        return;
    (void)snprintf(arn, sizeof(arn), "arn:aws:secretsmanager:%s:%s:secret:%s-%s",
                   s->st->cfg->region, s->st->cfg->account, name, suffix);
    if (!allowed(s, "CreateSecret", arn))
        return;
    double now = nw_dv_now();
    sec = json_pack("{s:s, s:s*, s:s*, s:f, s:f, s:{}}", "arn", arn, "description", desc,
                    "kms_key_id", kms, "created", now, "changed", now, "versions");
    json_object_set_new(s->secrets, name, sec);
    nw_dv_state_touch(s->st, NW_DV_SM);
    if ((str != NULL || bin != NULL) && !add_version(s, sec, &vid, token, str, bin, NULL))
        return;
    json_t *o = json_pack("{s:s, s:s, s:s*}", "ARN", arn, "Name", name, "VersionId", vid);
    nw_dv_json_ok(s->resp, o);
    json_decref(o);
}

static void op_put(struct sctx *s)
{
    const char *ref, *token, *str, *bin, *name, *vid;
    const json_t *stages;
    if (!nw_dv_in_str(s->resp, &ref, s->in, "SecretId", true, 1, 2048) ||
        !nw_dv_in_str(s->resp, &token, s->in, "ClientRequestToken", false, 32, 64) ||
        !get_value(s, &str, &bin, true) || !get_stages(s, &stages))
        return;
    json_t *sec = find(s, &name, ref);
    if (sec == NULL || !allowed(s, "PutSecretValue", nw_dv_jstr(sec, "arn")) ||
        !not_deleted(s, sec))
        return;
    if (add_version(s, sec, &vid, token, str, bin, stages))
        answer_version(s, sec, name, vid);
}

static void op_update(struct sctx *s)
{
    const char *ref, *token, *desc, *kms, *str, *bin, *name, *vid = NULL;
    if (!nw_dv_in_str(s->resp, &ref, s->in, "SecretId", true, 1, 2048) ||
        !nw_dv_in_str(s->resp, &token, s->in, "ClientRequestToken", false, 32, 64) ||
        !nw_dv_in_str(s->resp, &desc, s->in, "Description", false, 0, 2048) ||
        !nw_dv_in_str(s->resp, &kms, s->in, "KmsKeyId", false, 0, 2048) ||
        !get_value(s, &str, &bin, false))
        return;
    json_t *sec = find(s, &name, ref);
    if (sec == NULL || !allowed(s, "UpdateSecret", nw_dv_jstr(sec, "arn")) || !not_deleted(s, sec))
        return;
    if (desc != NULL)
        json_object_set_new(sec, "description", json_string(desc));
    if (kms != NULL)
        json_object_set_new(sec, "kms_key_id", json_string(kms));
    json_object_set_new(sec, "changed", json_real(nw_dv_now()));
    nw_dv_state_touch(s->st, NW_DV_SM);
    if ((str != NULL || bin != NULL) && !add_version(s, sec, &vid, token, str, bin, NULL))
        return;
    json_t *o = json_pack("{s:s, s:s, s:s*}", "ARN", nw_dv_jstr(sec, "arn"), "Name", name,
                          "VersionId", vid);
    nw_dv_json_ok(s->resp, o);
    json_decref(o);
}

static void op_get(struct sctx *s)
{
    const char *ref, *vid, *stage, *name, *id;
    json_t *v, *ver = NULL;
    if (!nw_dv_in_str(s->resp, &ref, s->in, "SecretId", true, 1, 2048) ||
        !nw_dv_in_str(s->resp, &vid, s->in, "VersionId", false, 32, 64) ||
        !nw_dv_in_str(s->resp, &stage, s->in, "VersionStage", false, 1, 256))
        return;
    json_t *sec = find(s, &name, ref);
    if (sec == NULL || !allowed(s, "GetSecretValue", nw_dv_jstr(sec, "arn")) ||
        !not_deleted(s, sec))
        return;
    if (vid == NULL && stage == NULL)
        stage = "AWSCURRENT";
    json_object_foreach(json_object_get(sec, "versions"), id, v)
    {
        if ((vid == NULL || strcmp(vid, id) == 0) && (stage == NULL || has_stage(v, stage))) {
            ver = v;
            vid = id;
            break;
        }
    }
    if (ver == NULL) {
        nw_dv_error(s->resp, 400, "ResourceNotFoundException", "Message",
                    "Secrets Manager can't find the specified secret value for %s: %s",
                    stage ? "staging label" : "VersionId", stage ? stage : vid);
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:O, s:O}", "ARN", nw_dv_jstr(sec, "arn"), "Name", name,
                          "VersionId", vid, "VersionStages", json_object_get(ver, "stages"),
                          "CreatedDate", json_object_get(ver, "created"));
    if (nw_dv_jstr(ver, "string") != NULL)
        json_object_set(o, "SecretString", json_object_get(ver, "string"));
    else
        json_object_set(o, "SecretBinary", json_object_get(ver, "binary"));
    long day = (long)nw_dv_now();
    day -= day % 86400; /* AWS reports the access date rounded down to the day */
    if (json_number_value(json_object_get(sec, "accessed")) != (double)day) {
        json_object_set_new(sec, "accessed", json_real((double)day));
        nw_dv_state_touch(s->st, NW_DV_SM); /* one write a day, not one per read */
    }
    nw_dv_json_ok(s->resp, o);
    json_decref(o);
}

/* The fields DescribeSecret and ListSecrets share. */
static json_t *describe(const json_t *sec, const char *name, const char *stages_member)
{
    const char *id;
    json_t *v;
    json_t *map = json_object();
    json_object_foreach(json_object_get(sec, "versions"), id, v)
    {
        if (json_array_size(json_object_get(v, "stages")) > 0)
            json_object_set(map, id, json_object_get(v, "stages"));
    }
    json_t *o = json_pack("{s:s, s:s, s:O, s:O, s:o}", "ARN", nw_dv_jstr(sec, "arn"), "Name", name,
                          "CreatedDate", json_object_get(sec, "created"), "LastChangedDate",
                          json_object_get(sec, "changed"), stages_member, map);
    if (nw_dv_jstr(sec, "description") != NULL)
        json_object_set(o, "Description", json_object_get(sec, "description"));
    if (nw_dv_jstr(sec, "kms_key_id") != NULL)
        json_object_set(o, "KmsKeyId", json_object_get(sec, "kms_key_id"));
    if (json_object_get(sec, "accessed") != NULL)
        json_object_set(o, "LastAccessedDate", json_object_get(sec, "accessed"));
    if (json_object_get(sec, "deleted") != NULL)
        json_object_set(o, "DeletedDate", json_object_get(sec, "deleted"));
    return o;
}

static void op_describe(struct sctx *s)
{
    const char *ref, *name;
    if (!nw_dv_in_str(s->resp, &ref, s->in, "SecretId", true, 1, 2048))
        return;
    json_t *sec = find(s, &name, ref);
    if (sec == NULL || !allowed(s, "DescribeSecret", nw_dv_jstr(sec, "arn")))
        return;
    json_t *o = describe(sec, name, "VersionIdsToStages");
    json_object_set_new(o, "RotationEnabled", json_false());
    nw_dv_json_ok(s->resp, o);
    json_decref(o);
}

static void op_list(struct sctx *s)
{
    long max;
    bool has;
    const char *name;
    json_t *sec;
    if (!nw_dv_in_int(s->resp, &max, &has, s->in, "MaxResults", 1, 100))
        return;
    if (!allowed(s, "ListSecrets", "*"))
        return;
    bool planned = json_is_true(json_object_get(s->in, "IncludePlannedDeletion"));
    json_t *list = json_array();
    json_object_foreach(s->secrets, name, sec)
    {
        if (planned || json_object_get(sec, "deleted") == NULL)
            json_array_append_new(list, describe(sec, name, "SecretVersionsToStages"));
    }
    json_t *o = json_pack("{s:o}", "SecretList", list);
    nw_dv_json_ok(s->resp, o);
    json_decref(o);
}

static void op_delete(struct sctx *s)
{
    const char *ref, *name;
    long days = 30;
    bool has;
    if (!nw_dv_in_str(s->resp, &ref, s->in, "SecretId", true, 1, 2048) ||
        !nw_dv_in_int(s->resp, &days, &has, s->in, "RecoveryWindowInDays", 7, 30))
        return;
    bool force = json_is_true(json_object_get(s->in, "ForceDeleteWithoutRecovery"));
    if (force && has) {
        nw_dv_error(s->resp, 400, "InvalidParameterException", "Message",
                    "You can't use ForceDeleteWithoutRecovery in conjunction with "
                    "RecoveryWindowInDays.");
        return;
    }
    json_t *sec = find(s, &name, ref);
    if (sec == NULL || !allowed(s, "DeleteSecret", nw_dv_jstr(sec, "arn")))
        return;
    double when = force ? nw_dv_now() : nw_dv_now() + (double)days * 86400.0;
    json_t *o = json_pack("{s:s, s:s, s:f}", "ARN", nw_dv_jstr(sec, "arn"), "Name", name,
                          "DeletionDate", when);
    if (force)
        json_object_del(s->secrets, name);
    else if (json_object_get(sec, "deleted") == NULL)
        json_object_set_new(sec, "deleted", json_real(when));
    nw_dv_state_touch(s->st, NW_DV_SM);
    nw_dv_json_ok(s->resp, o);
    json_decref(o);
}

static void op_restore(struct sctx *s)
{
    const char *ref, *name;
    if (!nw_dv_in_str(s->resp, &ref, s->in, "SecretId", true, 1, 2048))
        return;
    json_t *sec = find(s, &name, ref);
    if (sec == NULL || !allowed(s, "RestoreSecret", nw_dv_jstr(sec, "arn")))
        return;
    json_object_del(sec, "deleted");
    nw_dv_state_touch(s->st, NW_DV_SM);
    json_t *o = json_pack("{s:s, s:s}", "ARN", nw_dv_jstr(sec, "arn"), "Name", name);
    nw_dv_json_ok(s->resp, o);
    json_decref(o);
}

static const struct {
    const char *name;
    void (*fn)(struct sctx *s);
} sm_ops[] = {
    {"CreateSecret", op_create}, {"PutSecretValue", op_put},      {"UpdateSecret", op_update},
    {"GetSecretValue", op_get},  {"DescribeSecret", op_describe}, {"ListSecrets", op_list},
    {"DeleteSecret", op_delete}, {"RestoreSecret", op_restore},
};

void nw_dv_sm_dispatch(struct nw_dv_state *st,
                       struct nw_dv_resp *resp,
                       const struct nw_dv_caller *caller,
                       const char *op,
                       const json_t *in)
{
    json_t *root = nw_dv_state_get(st, NW_DV_SM);
    json_t *secrets = json_object_get(root, "secrets");
    if (!json_is_object(secrets)) {
        secrets = json_object();
        json_object_set_new(root, "secrets", secrets);
    }
    /* Secrets whose recovery window has passed are gone. */
    const char *name;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(secrets, tmp, name, v)
    {
        const json_t *d = json_object_get(v, "deleted");
        if (json_is_number(d) && json_number_value(d) <= nw_dv_now()) {
            json_object_del(secrets, name);
            nw_dv_state_touch(st, NW_DV_SM);
        }
    }
    struct sctx s = {st, resp, caller, in, secrets};
    for (size_t i = 0; i < NW_ARRAY_LEN(sm_ops); i++) {
        if (strcmp(op, sm_ops[i].name) == 0) {
            sm_ops[i].fn(&s);
            return;
        }
    }
    nw_dv_error(resp, 400, "UnknownOperationException", "Message", "Unknown operation %s", op);
}

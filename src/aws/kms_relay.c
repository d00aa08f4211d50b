/*
 * The KMS relay's host half (DESIGN.md section 5): the enclave, which holds no AWS credentials,
 * sends an unsigned KMS request in a section 3 frame; the host checks it, signs it with its own
 * credentials and forwards it, and wraps KMS's answer so the enclave can tell a refusal
 * (kms_denied) from an outage (kms_unavailable).
 *
 * The gate is deliberately narrow. Only the three operations the enclave needs pass, and only
 * with a Recipient: KMS then encrypts its answer to the enclave's attested RSA key
 * (CiphertextForRecipient), so the host relays ciphertext and never sees a plaintext. The body
 * is re-serialised from checked members only (an allowlist per target, types and sizes as the
 * botocore model kms/2014-11-01 bounds them), so nothing the gate did not look at reaches KMS.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <nw/base64.h>
#include <nw/kms.h>
#include <nw/mem.h>

#include "aws_int.h"

/* One allowed body member: its name, JSON type and bounds. */
enum member_kind {
    NW_RELAY_M_STRING,
    NW_RELAY_M_BLOB,
    NW_RELAY_M_CONTEXT,
    NW_RELAY_M_NBYTES,
    NW_RELAY_M_RECIPIENT
};

struct member_rule {
    const char *name;
    enum member_kind kind;
    size_t max; /* NW_RELAY_M_STRING: characters; NW_RELAY_M_BLOB: decoded bytes */
};

struct target_rule {
    const char *target;
    enum nw_kms_op op;
    struct member_rule members[6];
};

/* clang-format off */
static const struct target_rule TARGETS[] = {
    {"TrentService.Decrypt", NW_KMS_DECRYPT, {
        {"CiphertextBlob", NW_RELAY_M_BLOB, 6144}, {"EncryptionContext", NW_RELAY_M_CONTEXT, 0},
        {"KeyId", NW_RELAY_M_STRING, 2048}, {"EncryptionAlgorithm", NW_RELAY_M_STRING, 32},
        {"Recipient", NW_RELAY_M_RECIPIENT, 0}, {NULL, NW_RELAY_M_STRING, 0}}},
    {"TrentService.GenerateDataKey", NW_KMS_GENERATE_DATA_KEY, {
        {"KeyId", NW_RELAY_M_STRING, 2048}, {"EncryptionContext", NW_RELAY_M_CONTEXT, 0},
        {"NumberOfBytes", NW_RELAY_M_NBYTES, 1024}, {"KeySpec", NW_RELAY_M_STRING, 32},
        {"Recipient", NW_RELAY_M_RECIPIENT, 0}, {NULL, NW_RELAY_M_STRING, 0}}},
    {"TrentService.GenerateRandom", NW_KMS_GENERATE_RANDOM, {
        {"NumberOfBytes", NW_RELAY_M_NBYTES, 1024}, {"Recipient", NW_RELAY_M_RECIPIENT, 0},
        {NULL, NW_RELAY_M_STRING, 0}}},
};
/* clang-format on */

#define MAX_CONTEXT_PAIRS  64
#define MAX_CONTEXT_STRING 2048
#define MAX_DOCUMENT_BYTES ((size_t)16 * 1024) /* an NSM answer is at most 12288 bytes */

/* A refusal: the code and a short message naming the field (never its value). */
struct refusal {
    nw_err code;
    char message[160];
};

static nw_err refuse(struct refusal *r, nw_err code, const char *what, const char *name)
{
    char safe[48];
    nw_aws_copy_printable(safe, sizeof(safe), nw_cur_str(name != NULL ? name : ""));
    r->code = code;
    (void)snprintf(r->message, sizeof(r->message), "%s%s%s", what, name != NULL ? ": " : "", safe);
    return code;
}

static nw_err check_blob(struct refusal *r, const json_t *v, const char *name, size_t max)
{
    nw_err err = NW_OK;
    struct nw_buf raw;
    if (!json_is_string(v))
        return refuse(r, NW_ERR_KMS_RELAY_FIELD, "member must be a base64 string", name);
    size_t n = json_string_length(v);
    if (n > (max + 2) / 3 * 4)
        return refuse(r, NW_ERR_KMS_RELAY_TOO_LARGE, "member too large", name);
    nw_buf_init(&raw, max + 3, false);
    err = nw_base64_decode(&raw, nw_cur_of(json_string_value(v), n), false);
    if (err == NW_ERR_NOMEM)
        goto out;
    if (err != NW_OK || raw.len == 0 || raw.len > max)
        err = refuse(r, NW_ERR_KMS_RELAY_FIELD, "member is not non-empty base64", name);
out:
    nw_buf_clear(&raw);
    return err;
}

static nw_err check_string(struct refusal *r, const json_t *v, const char *name, size_t max)
{
    if (!json_is_string(v))
        return refuse(r, NW_ERR_KMS_RELAY_FIELD, "member must be a string", name);
    size_t n = json_string_length(v);
    if (n == 0)
        return refuse(r, NW_ERR_KMS_RELAY_FIELD, "member must not be empty", name);
    if (n > max)
        return refuse(r, NW_ERR_KMS_RELAY_TOO_LARGE, "member too long", name);
    return NW_OK;
}

static nw_err check_context(struct refusal *r, const json_t *v)
{
    const char *k;
    const json_t *val;
    if (!json_is_object(v))
        return refuse(r, NW_ERR_KMS_RELAY_FIELD, "member must be an object", "EncryptionContext");
    if (json_object_size(v) > MAX_CONTEXT_PAIRS)
        return refuse(r, NW_ERR_KMS_RELAY_TOO_LARGE, "too many pairs", "EncryptionContext");
    json_object_foreach((json_t *)v, k, val)
    {
        if (!json_is_string(val) || k[0] == '\0')
            return refuse(r, NW_ERR_KMS_RELAY_FIELD, "pairs must be non-empty strings",
                          "EncryptionContext");
        if (strlen(k) > MAX_CONTEXT_STRING || json_string_length(val) > MAX_CONTEXT_STRING)
            return refuse(r, NW_ERR_KMS_RELAY_TOO_LARGE, "pair too long", "EncryptionContext");
    }
    return NW_OK;
}

static nw_err check_recipient(struct refusal *r, const json_t *v)
{
    if (!json_is_object(v))
        return refuse(r, NW_ERR_KMS_RELAY_RECIPIENT, "Recipient must be an object", NULL);
    const json_t *alg = json_object_get(v, "KeyEncryptionAlgorithm");
    const json_t *doc = json_object_get(v, "AttestationDocument");
    if (json_object_size(v) != 2 || alg == NULL || doc == NULL)
        return refuse(r, NW_ERR_KMS_RELAY_RECIPIENT,
                      "Recipient must hold exactly KeyEncryptionAlgorithm and AttestationDocument",
                      NULL);
    if (!json_is_string(alg) || strcmp(json_string_value(alg), "RSAES_OAEP_SHA_256") != 0)
        return refuse(r, NW_ERR_KMS_RELAY_RECIPIENT,
                      "KeyEncryptionAlgorithm must be RSAES_OAEP_SHA_256", NULL);
    nw_err err = check_blob(r, doc, "AttestationDocument", MAX_DOCUMENT_BYTES);
    if (err == NW_ERR_KMS_RELAY_FIELD)
        return refuse(r, NW_ERR_KMS_RELAY_RECIPIENT,
                      "AttestationDocument must be a non-empty base64 string", NULL);
    return err;
}

static nw_err check_member(struct refusal *r, const struct member_rule *m, const json_t *v)
{
    switch (m->kind) {
        case NW_RELAY_M_STRING:
            return check_string(r, v, m->name, m->max);
        case NW_RELAY_M_BLOB:
            return check_blob(r, v, m->name, m->max);
        case NW_RELAY_M_CONTEXT:
            return check_context(r, v);
        case NW_RELAY_M_NBYTES:
            if (!json_is_integer(v) || json_integer_value(v) < 1 ||
                json_integer_value(v) > (json_int_t)m->max)
                return refuse(r, NW_ERR_KMS_RELAY_FIELD, "member must be an integer 1..1024",
                              m->name);
            return NW_OK;
        case NW_RELAY_M_RECIPIENT:
            return check_recipient(r, v);
    }
    return refuse(r, NW_ERR_INTERNAL, "unknown member rule", NULL);
}

/* Copy the allowed members of body into out, checking each; refuse any other member. */
static nw_err check_body(struct refusal *r, json_t *out, const struct target_rule *t, json_t *body)
{
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        const struct member_rule *m = t->members;
        while (m->name != NULL && strcmp(m->name, k) != 0)
            m++;
        if (m->name == NULL)
            return refuse(r, NW_ERR_KMS_RELAY_FIELD, "member not allowed for this target", k);
        NW_TRY(check_member(r, m, v));
        if (json_object_set(out, k, v) != 0)
            return NW_ERR_NOMEM;
    }
    if (json_object_get(body, "Recipient") == NULL)
        return refuse(r, NW_ERR_KMS_RELAY_RECIPIENT, "Recipient is required", NULL);
    return NW_OK;
}

static void note_id(struct nw_kms_relay_info *info, const json_t *id)
{
    if (info == NULL || id == NULL)
        return;
    if (json_is_integer(id))
        (void)snprintf(info->id, sizeof(info->id), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
    else if (json_is_string(id))
        nw_aws_copy_printable(info->id, sizeof(info->id),
                              nw_cur_of(json_string_value(id), json_string_length(id)));
}

/* The envelope: v, id, op, target, body. *id is set as soon as it is known to be usable. */
static nw_err
check_envelope(struct refusal *r, const struct target_rule **t, json_t **id, json_t *root)
{
    const json_t *idv = json_object_get(root, "id");
    if (idv == NULL || !(json_is_string(idv) || json_is_integer(idv)))
        return refuse(r, NW_ERR_BAD_REQUEST, "id must be a string or an integer", NULL);
    if (json_is_string(idv) && json_string_length(idv) > NW_KMS_RELAY_MAX_ID)
        return refuse(r, NW_ERR_KMS_RELAY_TOO_LARGE, "id too long", NULL);
    *id = (json_t *)idv;
    const json_t *v = json_object_get(root, "v");
    if (!json_is_integer(v))
        return refuse(r, NW_ERR_BAD_REQUEST, "v must be an integer", NULL);
    if (json_integer_value(v) != 1)
        return refuse(r, NW_ERR_KMS_RELAY_VERSION, "unsupported version (v must be 1)", NULL);
    const json_t *op = json_object_get(root, "op");
    if (!json_is_string(op))
        return refuse(r, NW_ERR_BAD_REQUEST, "op must be a string", NULL);
    if (strcmp(json_string_value(op), "kms") != 0)
        return refuse(r, NW_ERR_UNKNOWN_OP, "this endpoint serves op kms only", NULL);
    const json_t *target = json_object_get(root, "target");
    if (!json_is_string(target))
        return refuse(r, NW_ERR_BAD_REQUEST, "target must be a string", NULL);
    for (size_t i = 0; i < NW_ARRAY_LEN(TARGETS); i++)
        if (strcmp(json_string_value(target), TARGETS[i].target) == 0)
            *t = &TARGETS[i];
    if (*t == NULL)
        return refuse(r, NW_ERR_KMS_RELAY_TARGET, "target not allowed", json_string_value(target));
    if (!json_is_object(json_object_get(root, "body")))
        return refuse(r, NW_ERR_BAD_REQUEST, "body must be an object", NULL);
    const char *k;
    json_t *val;
    json_object_foreach(root, k, val)
    {
        if (strcmp(k, "v") != 0 && strcmp(k, "id") != 0 && strcmp(k, "op") != 0 &&
            strcmp(k, "target") != 0 && strcmp(k, "body") != 0)
            return refuse(r, NW_ERR_BAD_REQUEST, "unknown request member", k);
    }
    return NW_OK;
}

/*
 * The whole check. On return *root (the parsed request, or NULL) is the caller's to release;
 * *id points into it (NULL when unusable).
 */
static nw_err check_request(struct refusal *r,
                            enum nw_kms_op *op,
                            struct nw_buf *body_out,
                            json_t **root,
                            json_t **id,
                            struct nw_cur request)
{
    nw_err err = NW_OK;
    const struct target_rule *t = NULL;
    json_t *body = NULL;
    *root = NULL;
    *id = NULL;
    if (request.len > NW_KMS_RELAY_MAX_REQUEST)
        return refuse(r, NW_ERR_KMS_RELAY_TOO_LARGE, "request too large", NULL);
    if (request.len == 0)
        return refuse(r, NW_ERR_BAD_REQUEST, "empty request", NULL);
    *root = json_loadb((const char *)request.ptr, request.len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(*root))
        return refuse(r, NW_ERR_BAD_REQUEST, "request is not a JSON object", NULL);
    NW_CHECK(check_envelope(r, &t, id, *root));
    *op = t->op;
    body = json_object();
    NW_CHECK_COND(body != NULL, NW_ERR_NOMEM);
    NW_CHECK(check_body(r, body, t, json_object_get(*root, "body")));
    NW_CHECK(nw_aws_json_dump(body_out, body));
out:
    json_decref(body);
    return err;
}

nw_err nw_kms_relay_check(enum nw_kms_op *op,
                          struct nw_buf *body,
                          struct nw_kms_relay_info *info,
                          struct nw_cur request)
{
    struct refusal r = {NW_OK, ""};
    json_t *root = NULL, *id = NULL;
    size_t len0 = body->len;
    *op = 0;
    if (info != NULL)
        memset(info, 0, sizeof(*info));
    nw_err err = check_request(&r, op, body, &root, &id, request);
    note_id(info, id);
    if (err != NW_OK) {
        body->len = len0;
        *op = 0;
    }
    if (info != NULL) {
        info->code = err;
        info->op = *op;
    }
    json_decref(root);
    return err;
}

/* ---- answers ---------------------------------------------------------------------------- */

static nw_err dump_answer(struct nw_buf *answer, json_t *a)
{
    if (a == NULL)
        return NW_ERR_NOMEM;
    nw_err err = nw_aws_json_dump(answer, a);
    json_decref(a);
    return err;
}

static nw_err answer_error(struct nw_buf *answer, json_t *id, nw_err code, const char *message)
{
    json_t *a = json_pack("{s:O?, s:b, s:{s:s, s:s}}", "id", id, "ok", 0, "error", "code",
                          nw_err_code(code), "message", message);
    return dump_answer(answer, a);
}

/* KMS answered (any status): {"id":..,"ok":true,"result":{"status":N,"error_type":..,"body":..}}.
 */
static nw_err answer_kms(
    struct nw_buf *answer, json_t *id, int status, const struct nw_aws_error *e, struct nw_cur body)
{
    json_t *b = NULL;
    if (status == 200) {
        if (nw_aws_json_parse(&b, body) != NW_OK)
            return answer_error(answer, id, NW_ERR_KMS_UNAVAILABLE,
                                "KMS answered 200 with a body that is not a JSON object");
    } else {
        b = json_pack("{s:s, s:s}", "__type", e->name, "message", e->message);
        if (b == NULL)
            return NW_ERR_NOMEM;
    }
    const char *type = status == 200 || e->name[0] == '\0' ? NULL : e->name;
    json_t *a = json_pack("{s:O?, s:b, s:{s:i, s:s?, s:o}}", "id", id, "ok", 1, "result", "status",
                          status, "error_type", type, "body", b);
    return dump_answer(answer, a);
}

static nw_err forward(struct nw_aws_client *kms,
                      struct nw_buf *answer,
                      struct nw_kms_relay_info *info,
                      json_t *id,
                      enum nw_kms_op op,
                      struct nw_cur body)
{
    struct nw_aws_error e;
    struct nw_buf resp;
    char msg[160];
    nw_buf_init(&resp, NW_KMS_RELAY_MAX_ANSWER / 2, true);
    nw_err err = nw_aws_json_call(kms, &resp, nw_kms_op_name(op), body, true, &e);
    info->http_status = e.http_status;
    info->attempts = e.attempts;
    if (err == NW_OK || e.http_status != 0) {
        int status = err == NW_OK ? 200 : e.http_status;
        if (status != 200)
            memcpy(info->error_type, e.name, sizeof(info->error_type));
        info->code = NW_OK;
        err = answer_kms(answer, id, status, &e, nw_buf_cur(&resp));
    } else {
        /* No HTTP answer at all: transport, TLS, the host's own credentials. */
        info->code = NW_ERR_KMS_UNAVAILABLE;
        (void)snprintf(msg, sizeof(msg), "KMS not reached (%s)", nw_err_name(err));
        err = answer_error(answer, id, NW_ERR_KMS_UNAVAILABLE, msg);
    }
    nw_buf_clear(&resp);
    return err;
}

nw_err nw_kms_relay_handle(struct nw_aws_client *kms,
                           struct nw_buf *answer,
                           struct nw_kms_relay_info *info,
                           struct nw_cur request)
{
    struct nw_kms_relay_info local;
    struct refusal r = {NW_OK, ""};
    struct nw_buf body;
    json_t *root = NULL, *id = NULL;
    enum nw_kms_op op = 0;
    size_t len0 = answer->len;
    if (info == NULL)
        info = &local;
    memset(info, 0, sizeof(*info));
    nw_buf_init(&body, NW_KMS_RELAY_MAX_REQUEST, false);
    nw_err err = check_request(&r, &op, &body, &root, &id, request);
    note_id(info, id);
    info->op = err == NW_OK ? op : 0;
    if (err == NW_OK) {
        err = forward(kms, answer, info, id, op, nw_buf_cur(&body));
    } else if (err == NW_ERR_NOMEM || err == NW_ERR_BUF_FULL) {
        info->code = err;
    } else {
        info->code = err;
        err = answer_error(answer, id, err, r.message[0] ? r.message : nw_err_str(err));
    }
    if (err != NW_OK)
        answer->len = len0;
    nw_buf_clear(&body);
    json_decref(root);
    return err;
}

/*
 * The JSON 1.1 front of the emulator: checks the request line, authenticates it (SigV4), parses
 * the body, routes by X-Amz-Target ("TrentService.Op" to KMS, "secretsmanager.Op" to Secrets
 * Manager) and writes the state back. Also the authorisation step both services share.
 */
#include <stdio.h>
#include <string.h>

#include <nw/log.h>

#include "devaws_int.h"

bool nw_dv_authorize(struct nw_dv_state *st,
                     struct nw_dv_resp *resp,
                     const struct nw_dv_caller *caller,
                     const struct nw_dv_policy_ctx *ctx,
                     const json_t *resource_policy)
{
    enum nw_dv_effect ie = NW_DV_NONE, re = NW_DV_NONE;
    bool via_root = false, unused = false;
    const json_t *ip = nw_dv_iam_identity_policy(st, caller->arn);
    if ((ip != NULL && nw_dv_policy_eval(&ie, &unused, ip, ctx, false) != NW_OK) ||
        (resource_policy != NULL &&
         nw_dv_policy_eval(&re, &via_root, resource_policy, ctx, true) != NW_OK)) {
        nw_dv_error(resp, 500, "KMSInternalException", "message", "stored policy is malformed");
        return false;
    }
    const char *why = NULL;
    if (ie == NW_DV_DENY)
        why = "with an explicit deny in an identity-based policy";
    else if (re == NW_DV_DENY)
        why = "with an explicit deny in a resource-based policy";
    else if (resource_policy != NULL && !(re == NW_DV_ALLOW && (!via_root || ie == NW_DV_ALLOW)))
        why = "because no resource-based policy allows the action";
    else if (resource_policy == NULL && ie != NW_DV_ALLOW)
        why = "because no identity-based policy allows the action";
    if (why == NULL)
        return true;
    /* Real KMS spells the member "Message" here (nitro-protocols.md section 3.6). */
    nw_dv_error(resp, 400, "AccessDeniedException", "Message",
                "User: %s is not authorized to perform: %s on resource: %s %s", caller->caller_arn,
                ctx->action, ctx->resource, why);
    return false;
}

/*
 * Secrets Manager's error shapes name the member "Message" (nitro-protocols.md section 6); the
 * shared input checks write "message": rename it on the way out.
 */
static void sm_message_key(struct nw_dv_resp *resp)
{
    json_t *o = json_loadb((const char *)resp->body.ptr, resp->body.len, 0, NULL);
    json_t *m = json_object_get(o, "message");
    if (m != NULL) {
        json_object_set(o, "Message", m);
        json_object_del(o, "message");
        unsigned status = resp->status;
        char type[sizeof(resp->error_type)];
        memcpy(type, resp->error_type, sizeof(type));
        nw_dv_json_ok(resp, o);
        resp->status = status;
        memcpy(resp->error_type, type, sizeof(type));
    }
    json_decref(o);
}

void nw_dv_handle_aws(const struct nw_dv_config *cfg,
                      struct nw_dv_resp *resp,
                      const struct nw_dv_req *rq)
{
    struct nw_dv_state st;
    struct nw_dv_caller caller;
    json_t *in = NULL;
    const char *target = nw_dv_req_header(rq, "x-amz-target");
    const char *service = NULL, *op = NULL;
    bool kms = false;
    if (strcmp(rq->method, "POST") != 0 || strcmp(rq->path, "/") != 0) {
        nw_dv_error(resp, 404, "UnknownOperationException", "message", "Unknown operation");
        return;
    }
    if (target != NULL && strncmp(target, "TrentService.", 13) == 0) {
        service = "kms";
        op = target + 13;
        kms = true;
    } else if (target != NULL && strncmp(target, "secretsmanager.", 15) == 0) {
        service = "secretsmanager";
        op = target + 15;
    } else {
        nw_dv_error(resp, 400, "UnknownOperationException", "message", "Unknown operation %s",
                    target ? "" : "(no X-Amz-Target)");
        return;
    }
    if (nw_dv_state_open(&st, cfg) != NW_OK) {
        nw_dv_error(resp, 500, "InternalFailure", "message", "state directory unavailable");
        return;
    }
    if (!nw_dv_authenticate(&st, &caller, resp, rq, service))
        goto out;
    json_error_t jerr;
    in = rq->body.len == 0
             ? json_object()
             : json_loadb((const char *)rq->body.ptr, rq->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(in)) {
        nw_dv_error(resp, 400, "SerializationException", "message",
                    "Start of structure or map found where not expected.");
        goto out;
    }
    if (kms)
        nw_dv_kms_dispatch(&st, resp, &caller, op, in);
    else
        nw_dv_sm_dispatch(&st, resp, &caller, op, in);
    if (!kms && resp->error_type[0] != '\0')
        sm_message_key(resp);
    if (nw_dv_state_commit(&st) != NW_OK)
        nw_dv_error(resp, 500, "InternalFailure", "message", "state could not be saved");
out:
    nw_log(NW_LOG_INFO, "request", "id", rq->request_id, "op", target, "caller", caller.caller_arn,
           "akid", caller.akid, "result", resp->error_type[0] ? resp->error_type : "ok", NULL);
    json_decref(in);
    nw_dv_state_close(&st);
}

/*
 * IMDSv2 (EC2 User Guide, "Use IMDSv2"; nitro-protocols.md section 5.4), plain HTTP:
 *
 *   PUT /latest/api/token  with X-aws-ec2-metadata-token-ttl-seconds: 1..21600 -> token text
 *   GET with X-aws-ec2-metadata-token: TOKEN (a GET without a valid token is IMDSv1: 401)
 *     /latest/meta-data/iam/security-credentials/        -> the instance role's name
 *     /latest/meta-data/iam/security-credentials/ROLE    -> {Code, LastUpdated, Type,
 *                                                           AccessKeyId, SecretAccessKey, Token,
 *                                                           Expiration}
 *     /latest/meta-data/iam/info, /latest/meta-data/instance-id,
 *     /latest/meta-data/placement/region, .../availability-zone,
 *     /latest/dynamic/instance-identity/document
 *
 * Tokens are stateless: hex(expiry u64be || HMAC-SHA256(process key, expiry)[0..24]), so a
 * restart invalidates them, as a reboot does.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nw/hex.h>
#include <nw/log.h>
#include <nw/mem.h>

#include "devaws_int.h"

#define TOKEN_MAC 24

static void text(struct nw_dv_resp *resp, unsigned status, const char *s)
{
    nw_buf_clear(&resp->body);
    resp->status = status;
    resp->content_type = "text/plain";
    if (nw_buf_append_str(&resp->body, s) != NW_OK)
        resp->status = 500;
}

static bool mac(uint8_t out[32], const struct nw_dv_config *cfg, const uint8_t exp8[8])
{
    unsigned int n = 0;
    return HMAC(EVP_sha256(), cfg->imds_key, sizeof(cfg->imds_key), exp8, 8, out, &n) != NULL &&
           n == 32;
}

static void
put_token(const struct nw_dv_config *cfg, struct nw_dv_resp *resp, const struct nw_dv_req *rq)
{
    const char *ttl_s = nw_dv_req_header(rq, "x-aws-ec2-metadata-token-ttl-seconds");
    char *end = NULL;
    long ttl = ttl_s ? strtol(ttl_s, &end, 10) : 0;
    uint8_t raw[8 + 32];
    char hex[2 * (8 + TOKEN_MAC) + 1];
    if (ttl_s == NULL || end == ttl_s || *end != '\0' || ttl < 1 || ttl > 21600) {
        text(resp, 400, "");
        return;
    }
    if (nw_dv_req_header(rq, "x-forwarded-for") != NULL) {
        text(resp, 403, ""); /* IMDS refuses proxied token requests */
        return;
    }
    uint64_t exp = (uint64_t)time(NULL) + (uint64_t)ttl;
    for (int i = 0; i < 8; i++)
        raw[i] = (uint8_t)(exp >> (56 - 8 * i));
    if (!mac(raw + 8, cfg, raw) ||
        nw_hex_encode(hex, sizeof(hex), raw, 8 + TOKEN_MAC, false) != NW_OK) {
        text(resp, 500, "");
        return;
    }
    text(resp, 200, hex);
    (void)snprintf(resp->extra_name, sizeof(resp->extra_name),
                   "X-aws-ec2-metadata-token-ttl-seconds");
    (void)snprintf(resp->extra_value, sizeof(resp->extra_value), "%ld", ttl);
    nw_wipe(hex, sizeof(hex));
}

static bool token_ok(const struct nw_dv_config *cfg, const char *tok)
{
    uint8_t raw[8 + TOKEN_MAC], want[32];
    if (tok == NULL || strlen(tok) != 2 * sizeof(raw) ||
        nw_hex_decode_fixed(raw, sizeof(raw), nw_cur_str(tok), false) != NW_OK)
        return false;
    if (!mac(want, cfg, raw) || CRYPTO_memcmp(want, raw + 8, TOKEN_MAC) != 0)
        return false;
    uint64_t exp = 0;
    for (int i = 0; i < 8; i++)
        exp = (exp << 8) | raw[i];
    return exp > (uint64_t)time(NULL);
}

static void role_creds(const struct nw_dv_config *cfg, struct nw_dv_resp *resp)
{
    struct nw_dv_state st;
    json_t *k = NULL;
    double updated = 0;
    char upd[32];
    if (nw_dv_state_open(&st, cfg) != NW_OK) {
        text(resp, 500, "");
        return;
    }
    if (nw_dv_iam_instance_creds(&st, &k, &updated) != NW_OK || nw_dv_state_commit(&st) != NW_OK) {
        text(resp, 500, "");
        goto out;
    }
    nw_dv_iso8601(upd, (time_t)updated);
    json_object_set_new(k, "Code", json_string("Success"));
    json_object_set_new(k, "LastUpdated", json_string(upd));
    json_object_set_new(k, "Type", json_string("AWS-HMAC"));
    nw_buf_clear(&resp->body);
    if (nw_dv_json_dump(&resp->body, k) != NW_OK) {
        text(resp, 500, "");
        goto out;
    }
    resp->status = 200;
    resp->content_type = "text/plain"; /* IMDS serves JSON documents as text/plain */
    nw_log(NW_LOG_INFO, "imds_credentials", "role", cfg->instance_role, "akid",
           nw_dv_jstr(k, "AccessKeyId"), NULL);
out:
    json_decref(k);
    nw_dv_state_close(&st);
}

static void identity_document(const struct nw_dv_config *cfg, struct nw_dv_resp *resp)
{
    char az[NW_DV_REGION_MAX + 2];
    (void)snprintf(az, sizeof(az), "%sa", cfg->region);
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "accountId",
                          cfg->account, "architecture", "x86_64", "availabilityZone", az, "imageId",
                          "ami-00000000000000000", "instanceId", cfg->instance_id, "instanceType",
                          "m5.xlarge", "pendingTime", "2026-01-01T00:00:00Z", "privateIp",
                          "127.0.0.1", "region", cfg->region, "version", "2017-09-30");
    nw_buf_clear(&resp->body);
    resp->status = nw_dv_json_dump(&resp->body, d) == NW_OK ? 200 : 500;
    resp->content_type = "text/plain";
    json_decref(d);
}

void nw_dv_handle_imds(const struct nw_dv_config *cfg,
                       struct nw_dv_resp *resp,
                       const struct nw_dv_req *rq)
{
    static const char creds[] = "/latest/meta-data/iam/security-credentials/";
    const char *p = rq->path;
    char buf[512];
    if (strcmp(p, "/latest/api/token") == 0) {
        if (strcmp(rq->method, "PUT") == 0)
            put_token(cfg, resp, rq);
        else
            text(resp, 405, "");
        return;
    }
    if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
        text(resp, 405, "");
        return;
    }
    if (!token_ok(cfg, nw_dv_req_header(rq, "x-aws-ec2-metadata-token"))) {
        text(resp, 401, ""); /* IMDSv1 (no token) is refused, as with HttpTokens=required */
        return;
    }
    if (strcmp(p, creds) == 0 || strcmp(p, "/latest/meta-data/iam/security-credentials") == 0) {
        text(resp, 200, cfg->instance_role);
    } else if (strncmp(p, creds, sizeof(creds) - 1) == 0 &&
               strcmp(p + sizeof(creds) - 1, cfg->instance_role) == 0) {
        role_creds(cfg, resp);
    } else if (strcmp(p, "/latest/meta-data/iam/info") == 0) {
        char upd[32];
        nw_dv_iso8601(upd, time(NULL));
        (void)snprintf(buf, sizeof(buf),
                       "{\"Code\":\"Success\",\"LastUpdated\":\"%s\",\"InstanceProfileArn\":"
                       "\"arn:aws:iam::%s:instance-profile/%s\",\"InstanceProfileId\":"
                       "\"AIPAEXAMPLEDEVAWS0001\"}",
                       upd, cfg->account, cfg->instance_role);
        text(resp, 200, buf);
    } else if (strcmp(p, "/latest/meta-data/instance-id") == 0) {
        text(resp, 200, cfg->instance_id);
    } else if (strcmp(p, "/latest/meta-data/placement/region") == 0) {
        text(resp, 200, cfg->region);
    } else if (strcmp(p, "/latest/meta-data/placement/availability-zone") == 0) {
        (void)snprintf(buf, sizeof(buf), "%sa", cfg->region);
        text(resp, 200, buf);
    } else if (strcmp(p, "/latest/dynamic/instance-identity/document") == 0) {
        identity_document(cfg, resp);
    } else {
        text(resp, 404, "");
    }
}

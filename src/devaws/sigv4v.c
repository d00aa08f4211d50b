/*
 * SigV4 verification (AWS General Reference, "Signature Version 4 signing process"; the steps
 * are listed in docs/nitro-protocols.md section 4.2). Canonicalisation, key derivation and the
 * constant-time comparison are libnwaws's (nw_sigv4_parse_authorization, nw_sigv4_verify, the
 * same code our client signs with, checked against the aws-c-auth suite); this file adds what
 * a service checks around them: known access key and session token, expiry, credential scope,
 * required signed headers and the clock-skew window. The request is judged only against the
 * client's SignedHeaders list, so a session token added after signing is accepted.
 *
 * Error names follow what KMS and Secrets Manager answer (JSON 1.1, HTTP 400 unless noted):
 *   no Authorization header               MissingAuthenticationTokenException
 *   malformed header, host/x-amz-date
 *   (or a present x-amz-target) not
 *   signed, bad credential scope         IncompleteSignatureException
 *   unknown access key, wrong or missing
 *   session token                        UnrecognizedClientException
 *   expired session credentials          ExpiredTokenException (403)
 *   request time outside the window      InvalidSignatureException ("Signature expired: ...")
 *   signature mismatch                   InvalidSignatureException
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <nw/mem.h>
#include <nw/sigv4_verify.h>

#include "devaws_int.h"

/* Is name in the ';'-separated SignedHeaders list? */
static bool is_signed(const struct nw_sigv4_auth *a, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = a->signed_headers; *p != '\0';) {
        size_t len = strcspn(p, ";");
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += len;
        if (*p == ';')
            p++;
    }
    return false;
}

/* Parse "YYYYMMDDTHHMMSSZ" to epoch seconds; false if malformed. */
static bool parse_amz_date(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (s == NULL || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return false;
    const char *end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
    if (end == NULL || *end != '\0')
        return false;
    *out = timegm(&tm);
    return true;
}

/* Check the parts that need no secret: scope, required headers, time window. */
static bool check_envelope(struct nw_dv_resp *resp,
                           const struct nw_dv_state *st,
                           const struct nw_dv_req *rq,
                           const struct nw_sigv4_auth *a,
                           const char *service)
{
    const char *amz_date = nw_dv_req_header(rq, "x-amz-date");
    time_t t;
    if (!is_signed(a, "host") || !is_signed(a, "x-amz-date")) {
        nw_dv_error(resp, 400, "IncompleteSignatureException", "message",
                    "Signature must include the host and x-amz-date headers.");
        return false;
    }
    /* X-Amz-Target selects the operation: an unsigned one could turn a captured request into
     * another operation on the same (signed) body. */
    if (nw_dv_req_header(rq, "x-amz-target") != NULL && !is_signed(a, "x-amz-target")) {
        nw_dv_error(resp, 400, "IncompleteSignatureException", "message",
                    "Signature must include the x-amz-target header.");
        return false;
    }
    if (!parse_amz_date(amz_date, &t) || strncmp(amz_date, a->date8, 8) != 0) {
        nw_dv_error(
            resp, 400, "IncompleteSignatureException", "message",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            "from HTTP: '%s' != '%.8s'",
            a->date8, amz_date ? amz_date : "");
        return false;
    }
    if (strcmp(a->region, st->cfg->region) != 0 || strcmp(a->service, service) != 0) {
        nw_dv_error(resp, 400, "InvalidSignatureException", "message",
                    "Credential should be scoped to a valid region and service: '%s/%s' is not "
                    "'%s/%s'.",
                    a->region, a->service, st->cfg->region, service);
        return false;
    }
    time_t now = time(NULL);
    if (t < now - st->cfg->skew_s || t > now + st->cfg->skew_s) {
        char nowtxt[32];
        struct tm tm;
        gmtime_r(&now, &tm);
        (void)strftime(nowtxt, sizeof(nowtxt), "%Y%m%dT%H%M%SZ", &tm);
        nw_dv_error(resp, 400, "InvalidSignatureException", "message",
                    "Signature expired: %s is now earlier than %s (%s - %ld min.)", amz_date,
                    nowtxt, nowtxt, st->cfg->skew_s / 60);
        return false;
    }
    return true;
}

/* Check the access key and its session token. */
static bool check_key(struct nw_dv_resp *resp,
                      struct nw_dv_state *st,
                      const struct nw_dv_req *rq,
                      const char *akid,
                      const json_t **key)
{
    const json_t *k = nw_dv_iam_key(st, akid);
    const char *token = nw_dv_req_header(rq, "x-amz-security-token");
    *key = NULL;
    if (k == NULL) {
        nw_dv_error(resp, 400, "UnrecognizedClientException", "message",
                    "The security token included in the request is invalid.");
        return false;
    }
    const char *want = nw_dv_jstr(k, "token");
    if ((want == NULL) != (token == NULL) ||
        (want != NULL &&
         (strlen(want) != strlen(token) || CRYPTO_memcmp(want, token, strlen(want)) != 0))) {
        nw_dv_error(resp, 400, "UnrecognizedClientException", "message",
                    "The security token included in the request is invalid.");
        return false;
    }
    const json_t *exp = json_object_get(k, "expires");
    if (json_is_integer(exp) && (double)json_integer_value(exp) <= nw_dv_now()) {
        nw_dv_error(resp, 403, "ExpiredTokenException", "message",
                    "The security token included in the request is expired");
        return false;
    }
    *key = k;
    return true;
}

bool nw_dv_authenticate(struct nw_dv_state *st,
                        struct nw_dv_caller *caller,
                        struct nw_dv_resp *resp,
                        const struct nw_dv_req *rq,
                        const char *service)
{
    struct nw_sigv4_auth a;
    struct nw_sigv4_header hdr[NW_DV_HDR_MAX];
    const json_t *k = NULL;
    const char *auth = nw_dv_req_header(rq, "authorization");
    memset(caller, 0, sizeof(*caller));
    if (auth == NULL) {
        nw_dv_error(resp, 400, "MissingAuthenticationTokenException", "message",
                    "Missing Authentication Token");
        return false;
    }
    if (nw_sigv4_parse_authorization(&a, nw_cur_str(auth)) != NW_OK) {
        nw_dv_error(resp, 400, "IncompleteSignatureException", "message",
                    "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' "
                    "parameters (AWS4-HMAC-SHA256).");
        return false;
    }
    if (!check_envelope(resp, st, rq, &a, service) || !check_key(resp, st, rq, a.access_key_id, &k))
        return false;
    for (size_t i = 0; i < rq->nhdr; i++) {
        hdr[i].name = nw_cur_str(rq->hdr[i].name);
        hdr[i].value = nw_cur_str(rq->hdr[i].value);
    }
    /* Non-S3 services sign the normalised path; the raw path and query come from the wire. */
    struct nw_sigv4_request req = {
        rq->method, nw_cur_str(rq->raw_path), nw_cur_str(rq->query), hdr, rq->nhdr, NULL, rq->body};
    nw_err err = nw_sigv4_verify(&req, &a, nw_dv_req_header(rq, "x-amz-date"),
                                 nw_cur_str(nw_dv_jstr(k, "secret")), true);
    if (err == NW_ERR_SIGV4_MISMATCH || err == NW_ERR_SIGV4_INPUT) {
        nw_dv_error(resp, 400, "InvalidSignatureException", "message",
                    "The request signature we calculated does not match the signature you "
                    "provided. Check your AWS Secret Access Key and signing method. Consult the "
                    "service documentation for details.");
        return false;
    }
    if (err != NW_OK) {
        nw_dv_error(resp, 500, "InternalFailure", "message", "signature computation failed");
        return false;
    }
    nw_dv_iam_caller(st->cfg, caller, a.access_key_id, k);
    return true;
}

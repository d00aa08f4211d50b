/*
 * SigV4 verification (AWS General Reference, "Signature Version 4 signing process"; the steps
 * are listed in docs/nitro-protocols.md section 4.2). The server rebuilds the canonical request
 * from what it received, judged only against the client's SignedHeaders list, recomputes the
 * signature with the secret it issued for the access key, and compares in constant time.
 *
 * Error names follow what KMS and Secrets Manager answer (JSON 1.1, HTTP 400 unless noted):
 *   no Authorization header               MissingAuthenticationTokenException
 *   malformed header, host/x-amz-date
 *   not signed, bad credential scope     IncompleteSignatureException
 *   unknown access key, wrong or missing
 *   session token                        UnrecognizedClientException
 *   expired session credentials          ExpiredTokenException (403)
 *   request time outside the window      InvalidSignatureException ("Signature expired: ...")
 *   signature mismatch                   InvalidSignatureException
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <nw/hex.h>
#include <nw/mem.h>

#include "devaws_int.h"

#define MAX_SIGNED 32

struct authz {
    char akid[64];
    char date[9];
    char region[DV_REGION_MAX];
    char service[32];
    char signed_list[1024]; /* as sent (for the canonical request) */
    char names_buf[1024];   /* the same, split at ';' into names[] */
    const char *names[MAX_SIGNED];
    size_t nnames;
    char signature[65];
};

/* Copy the text after "Key=" up to a comma (or end) into out. */
static bool take_field(const char *auth, const char *key, char *out, size_t cap)
{
    const char *p = strstr(auth, key);
    if (p == NULL)
        return false;
    p += strlen(key);
    size_t n = strcspn(p, ", ");
    if (n == 0 || n >= cap)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

static bool parse_authz(struct authz *a, const char *auth)
{
    char cred[256];
    memset(a, 0, sizeof(*a));
    if (strncmp(auth, "AWS4-HMAC-SHA256 ", 17) != 0)
        return false;
    if (!take_field(auth, "Credential=", cred, sizeof(cred)) ||
        !take_field(auth, "SignedHeaders=", a->signed_list, sizeof(a->signed_list)) ||
        !take_field(auth, "Signature=", a->signature, sizeof(a->signature)))
        return false;
    /* Credential = AKID/DATE/REGION/SERVICE/aws4_request */
    char *parts[5];
    size_t np = 0;
    char *save = NULL;
    for (char *t = strtok_r(cred, "/", &save); t != NULL && np < 5; t = strtok_r(NULL, "/", &save))
        parts[np++] = t;
    if (np != 5 || strcmp(parts[4], "aws4_request") != 0 || strlen(parts[1]) != 8 ||
        strlen(parts[0]) >= sizeof(a->akid) || strlen(parts[2]) >= sizeof(a->region) ||
        strlen(parts[3]) >= sizeof(a->service))
        return false;
    snprintf(a->akid, sizeof(a->akid), "%s", parts[0]);
    snprintf(a->date, sizeof(a->date), "%s", parts[1]);
    snprintf(a->region, sizeof(a->region), "%s", parts[2]);
    snprintf(a->service, sizeof(a->service), "%s", parts[3]);
    if (strlen(a->signature) != 64)
        return false;
    memcpy(a->names_buf, a->signed_list, sizeof(a->names_buf));
    for (char *t = strtok_r(a->names_buf, ";", &save); t != NULL; t = strtok_r(NULL, ";", &save)) {
        if (a->nnames == MAX_SIGNED)
            return false;
        a->names[a->nnames++] = t;
    }
    return a->nnames > 0;
}

static bool is_signed(const struct authz *a, const char *name)
{
    for (size_t i = 0; i < a->nnames; i++) {
        if (strcmp(a->names[i], name) == 0)
            return true;
    }
    return false;
}

/* Append a header value trimmed, with inner runs of spaces collapsed to one. */
static nw_err append_trimmed(struct nw_buf *b, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == ' ' || v[i] == '\t') {
            space = true;
            continue;
        }
        if (space)
            NW_TRY(nw_buf_append_byte(b, ' '));
        space = false;
        NW_TRY(nw_buf_append_byte(b, (uint8_t)v[i]));
    }
    return NW_OK;
}

static nw_err hex_sha256(char out[65], struct nw_cur data)
{
    uint8_t md[32];
    unsigned int mdlen = 0;
    if (EVP_Digest(data.ptr, data.len, md, &mdlen, EVP_sha256(), NULL) != 1)
        return NW_ERR_CRYPTO;
    return nw_hex_encode(out, 65, md, sizeof(md), false);
}

/* RFC 3986 encoding of everything but unreserved characters (and '/' when keep_slash). */
static nw_err uri_encode(struct nw_buf *b, const char *s, bool keep_slash)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/'))
            NW_TRY(nw_buf_append_byte(b, *p));
        else
            NW_TRY(nw_buf_appendf(b, "%%%02X", *p));
    }
    return NW_OK;
}

/* The canonical request of section 4.2, step 2. */
static nw_err canonical_request(struct nw_buf *b, const struct dv_req *rq, const struct authz *a)
{
    char body_hash[65];
    struct nw_buf path;
    nw_err err = NW_OK;
    NW_TRY(nw_buf_append_str(b, rq->method));
    NW_TRY(nw_buf_append_byte(b, '\n'));
    /* Non-S3 services encode the (already encoded) path once more: encode the decoded path
     * twice. For the JSON services the path is always "/". */
    nw_buf_init(&path, 8192, false);
    NW_CHECK(uri_encode(&path, rq->path[0] ? rq->path : "/", true));
    NW_CHECK(nw_buf_cstr(&path));
    NW_CHECK(uri_encode(b, (const char *)path.ptr, true));
    NW_CHECK(nw_buf_appendf(b, "\n%s\n", rq->query));
    for (size_t i = 0; i < a->nnames; i++) {
        NW_CHECK(nw_buf_appendf(b, "%s:", a->names[i]));
        bool first = true;
        for (size_t h = 0; h < rq->nhdr; h++) {
            if (strcasecmp(rq->hdr[h].name, a->names[i]) != 0)
                continue;
            if (!first)
                NW_CHECK(nw_buf_append_byte(b, ','));
            first = false;
            NW_CHECK(append_trimmed(b, rq->hdr[h].value));
        }
        NW_CHECK(nw_buf_append_byte(b, '\n'));
    }
    NW_CHECK(nw_buf_appendf(b, "\n%s\n", a->signed_list));
    NW_CHECK(hex_sha256(body_hash, rq->body));
    NW_CHECK(nw_buf_append_str(b, body_hash));
out:
    nw_buf_clear(&path);
    return err;
}

static nw_err hmac(uint8_t out[32], struct nw_cur key, const char *msg)
{
    unsigned int n = 0;
    if (key.len > 0x7fffffff ||
        HMAC(EVP_sha256(), key.ptr, (int)key.len, (const unsigned char *)msg, strlen(msg), out,
             &n) == NULL ||
        n != 32)
        return NW_ERR_CRYPTO;
    return NW_OK;
}

/* Signature (hex) over string_to_sign with the scope's derived key. */
static nw_err compute_signature(char out[65],
                                const char *secret,
                                const struct authz *a,
                                const char *string_to_sign)
{
    nw_err err = NW_OK;
    uint8_t ksecret[4 + 128], k1[32], k2[32], k3[32], k4[32], sig[32];
    size_t slen = strlen(secret);
    if (slen > 128)
        return NW_ERR_INVALID_ARG;
    memcpy(ksecret, "AWS4", 4);
    memcpy(ksecret + 4, secret, slen);
    NW_CHECK(hmac(k1, nw_cur_of(ksecret, 4 + slen), a->date));
    NW_CHECK(hmac(k2, nw_cur_of(k1, 32), a->region));
    NW_CHECK(hmac(k3, nw_cur_of(k2, 32), a->service));
    NW_CHECK(hmac(k4, nw_cur_of(k3, 32), "aws4_request"));
    NW_CHECK(hmac(sig, nw_cur_of(k4, 32), string_to_sign));
    NW_CHECK(nw_hex_encode(out, 65, sig, 32, false));
out:
    nw_wipe(ksecret, sizeof(ksecret));
    nw_wipe(k1, sizeof(k1));
    nw_wipe(k2, sizeof(k2));
    nw_wipe(k3, sizeof(k3));
    nw_wipe(k4, sizeof(k4));
    nw_wipe(sig, sizeof(sig));
    return err;
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
static bool check_envelope(struct dv_resp *resp,
                           const struct dv_state *st,
                           const struct dv_req *rq,
                           const struct authz *a,
                           const char *service)
{
    const char *amz_date = dv_req_header(rq, "x-amz-date");
    time_t t;
    if (!is_signed(a, "host") || !(is_signed(a, "x-amz-date") || is_signed(a, "date"))) {
        dv_error(resp, 400, "IncompleteSignatureException", "message",
                 "Signature must include the host and x-amz-date headers.");
        return false;
    }
    if (!parse_amz_date(amz_date, &t) || strncmp(amz_date, a->date, 8) != 0) {
        dv_error(resp, 400, "IncompleteSignatureException", "message",
                 "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                 "from HTTP: '%s' != '%.8s'",
                 a->date, amz_date ? amz_date : "");
        return false;
    }
    if (strcmp(a->region, st->cfg->region) != 0 || strcmp(a->service, service) != 0) {
        dv_error(resp, 400, "InvalidSignatureException", "message",
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
        strftime(nowtxt, sizeof(nowtxt), "%Y%m%dT%H%M%SZ", &tm);
        dv_error(resp, 400, "InvalidSignatureException", "message",
                 "Signature expired: %s is now earlier than %s (%s - %ld min.)", amz_date, nowtxt,
                 nowtxt, st->cfg->skew_s / 60);
        return false;
    }
    return true;
}

/* Check the access key and its session token. */
static bool check_key(struct dv_resp *resp,
                      struct dv_state *st,
                      const struct dv_req *rq,
                      const char *akid,
                      const json_t **key)
{
    const json_t *k = dv_iam_key(st, akid);
    const char *token = dv_req_header(rq, "x-amz-security-token");
    *key = NULL;
    if (k == NULL) {
        dv_error(resp, 400, "UnrecognizedClientException", "message",
                 "The security token included in the request is invalid.");
        return false;
    }
    const char *want = dv_jstr(k, "token");
    if ((want == NULL) != (token == NULL) ||
        (want != NULL &&
         (strlen(want) != strlen(token) || CRYPTO_memcmp(want, token, strlen(want)) != 0))) {
        dv_error(resp, 400, "UnrecognizedClientException", "message",
                 "The security token included in the request is invalid.");
        return false;
    }
    const json_t *exp = json_object_get(k, "expires");
    if (json_is_integer(exp) && (double)json_integer_value(exp) <= dv_now()) {
        dv_error(resp, 403, "ExpiredTokenException", "message",
                 "The security token included in the request is expired");
        return false;
    }
    *key = k;
    return true;
}

bool dv_authenticate(struct dv_state *st,
                     struct dv_caller *caller,
                     struct dv_resp *resp,
                     const struct dv_req *rq,
                     const char *service)
{
    struct authz a;
    struct nw_buf creq, sts;
    char creq_hash[65], sig[65];
    const json_t *k = NULL;
    bool ok = false;
    const char *auth = dv_req_header(rq, "authorization");
    memset(caller, 0, sizeof(*caller));
    if (auth == NULL) {
        dv_error(resp, 400, "MissingAuthenticationTokenException", "message",
                 "Missing Authentication Token");
        return false;
    }
    if (!parse_authz(&a, auth)) {
        dv_error(resp, 400, "IncompleteSignatureException", "message",
                 "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' "
                 "parameters (AWS4-HMAC-SHA256).");
        return false;
    }
    if (!check_envelope(resp, st, rq, &a, service) || !check_key(resp, st, rq, a.akid, &k))
        return false;
    nw_buf_init(&creq, DV_BODY_MAX, false);
    nw_buf_init(&sts, 4096, false);
    if (canonical_request(&creq, rq, &a) != NW_OK ||
        hex_sha256(creq_hash, nw_buf_cur(&creq)) != NW_OK ||
        nw_buf_appendf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
                       dv_req_header(rq, "x-amz-date"), a.date, a.region, a.service,
                       creq_hash) != NW_OK ||
        nw_buf_cstr(&sts) != NW_OK ||
        compute_signature(sig, dv_jstr(k, "secret"), &a, (const char *)sts.ptr) != NW_OK) {
        dv_error(resp, 500, "InternalFailure", "message", "signature computation failed");
        goto out;
    }
    if (CRYPTO_memcmp(sig, a.signature, 64) != 0) {
        dv_error(resp, 400, "InvalidSignatureException", "message",
                 "The request signature we calculated does not match the signature you "
                 "provided. Check your AWS Secret Access Key and signing method. Consult the "
                 "service documentation for details.");
        goto out;
    }
    dv_iam_caller(st->cfg, caller, a.akid, k);
    ok = true;
out:
    nw_wipe(sig, sizeof(sig));
    nw_buf_clear(&creq);
    nw_buf_clear(&sts);
    return ok;
}

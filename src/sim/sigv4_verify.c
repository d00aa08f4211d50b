/*
 * SigV4 verification (<nw/sigv4_verify.h>): parsing the Authorization header or the presigned
 * query parameters, and checking the signature with libnwaws's canonicalisation. Development
 * only (nw-devaws and the tests); moved here from src/aws/sigv4.c so that no daemon carries it.
 */
#include <openssl/crypto.h>
#include <string.h>

#include <nw/hex.h>
#include <nw/mem.h>
#include <nw/sigv4_verify.h>

static bool cur_eq_str(struct nw_cur c, const char *s)
{
    return nw_cur_eq(c, nw_cur_str(s));
}

/* An RFC 9110 token character (what a header name is made of). */
static bool is_tchar(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* 64 lower-case hex digits, as every signature is written. */
static bool is_hex64(const char *s)
{
    size_t n = 0;
    while (n < 65 && ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
        n++;
    return n == 64 && s[64] == '\0';
}

/* n decimal digits at p into *v. */
static bool digits(const uint8_t *p, size_t n, int *v)
{
    *v = 0;
    for (const uint8_t *e = p + n; p < e; p++) {
        if (*p < '0' || *p > '9')
            return false;
        *v = *v * 10 + (*p - '0');
    }
    return true;
}

/* Strict %-decoding (a "%" needs two hex digits after it), appended to out. */
static nw_err append_decoded(struct nw_buf *out, struct nw_cur in)
{
    size_t i = 0;
    while (i < in.len) {
        if (in.ptr[i] != '%') {
            NW_TRY(nw_buf_append_byte(out, in.ptr[i++]));
            continue;
        }
        int hi = i + 2 < in.len ? nw_hex_digit(in.ptr[i + 1]) : -1;
        int lo = i + 2 < in.len ? nw_hex_digit(in.ptr[i + 2]) : -1;
        NW_ENSURE(hi >= 0 && lo >= 0, NW_ERR_SIGV4_INPUT);
        NW_TRY(nw_buf_append_byte(out, (uint8_t)(hi << 4 | lo)));
        i += 3;
    }
    return NW_OK;
}

/* Copy a view into a fixed field; false if it does not fit or is empty. */
static bool take_field(char *dst, size_t dst_len, struct nw_cur v)
{
    if (v.len == 0 || v.len >= dst_len)
        return false;
    memcpy(dst, v.ptr, v.len);
    dst[v.len] = '\0';
    return true;
}

static bool printable_no_space(const char *s)
{
    for (; *s; s++)
        if ((uint8_t)*s < 0x21 || (uint8_t)*s > 0x7e)
            return false;
    return true;
}

/* Split "AKID/date8/region/service/aws4_request" into the fields of a. */
static nw_err parse_credential(struct nw_sigv4_auth *a, struct nw_cur v)
{
    struct nw_cur parts[5];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= v.len; i++) {
        if (i == v.len || v.ptr[i] == '/') {
            NW_ENSURE(n < 5, NW_ERR_SIGV4_AUTH_SYNTAX);
            parts[n++] = nw_cur_of(v.ptr + start, i - start);
            start = i + 1;
        }
    }
    NW_ENSURE(n == 5, NW_ERR_SIGV4_AUTH_SYNTAX);
    NW_ENSURE(take_field(a->access_key_id, sizeof(a->access_key_id), parts[0]) &&
                  take_field(a->date8, sizeof(a->date8), parts[1]) &&
                  take_field(a->region, sizeof(a->region), parts[2]) &&
                  take_field(a->service, sizeof(a->service), parts[3]) &&
                  cur_eq_str(parts[4], "aws4_request"),
              NW_ERR_SIGV4_AUTH_SYNTAX);
    NW_ENSURE(printable_no_space(a->access_key_id), NW_ERR_SIGV4_AUTH_SYNTAX);
    int64_t t;
    char full[17];
    memcpy(full, a->date8, 8);
    memcpy(full + 8, "T000000Z", 9);
    NW_ENSURE(strlen(a->date8) == 8 && nw_sigv4_parse_amz_date(&t, nw_cur_of(full, 16)) == NW_OK,
              NW_ERR_SIGV4_AUTH_SYNTAX);
    NW_ENSURE(nw_sigv4_scope(a->scope, sizeof(a->scope), a->date8, a->region, a->service) == NW_OK,
              NW_ERR_SIGV4_AUTH_SYNTAX);
    return NW_OK;
}

static nw_err check_signed_headers(const char *s)
{
    NW_ENSURE(s[0] != '\0', NW_ERR_SIGV4_AUTH_SYNTAX);
    for (; *s; s++)
        NW_ENSURE(*s == ';' || (is_tchar((uint8_t)*s) && !(*s >= 'A' && *s <= 'Z')),
                  NW_ERR_SIGV4_AUTH_SYNTAX);
    return NW_OK;
}

static nw_err parse_authorization(struct nw_sigv4_auth *out, struct nw_cur v)
{
    static const char ALG[] = NW_SIGV4_ALGORITHM " ";
    bool have_c = false, have_h = false, have_s = false;
    NW_ENSURE(v.len > sizeof(ALG) - 1 && memcmp(v.ptr, ALG, sizeof(ALG) - 1) == 0,
              NW_ERR_SIGV4_AUTH_SYNTAX);
    size_t i = sizeof(ALG) - 1;
    while (i < v.len) {
        while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == ','))
            i++;
        if (i >= v.len)
            break;
        size_t start = i;
        while (i < v.len && v.ptr[i] != ',' && v.ptr[i] != ' ')
            i++;
        struct nw_cur item = nw_cur_of(v.ptr + start, i - start);
        const uint8_t *eq = memchr(item.ptr, '=', item.len);
        NW_ENSURE(eq != NULL, NW_ERR_SIGV4_AUTH_SYNTAX);
        struct nw_cur key = nw_cur_of(item.ptr, (size_t)(eq - item.ptr));
        struct nw_cur val = nw_cur_of(eq + 1, item.len - key.len - 1);
        if (cur_eq_str(key, "Credential") && !have_c) {
            NW_TRY(parse_credential(out, val));
            have_c = true;
        } else if (cur_eq_str(key, "SignedHeaders") && !have_h) {
            NW_ENSURE(take_field(out->signed_headers, sizeof(out->signed_headers), val),
                      NW_ERR_SIGV4_AUTH_SYNTAX);
            NW_TRY(check_signed_headers(out->signed_headers));
            have_h = true;
        } else if (cur_eq_str(key, "Signature") && !have_s) {
            NW_ENSURE(take_field(out->signature, sizeof(out->signature), val) &&
                          is_hex64(out->signature),
                      NW_ERR_SIGV4_AUTH_SYNTAX);
            have_s = true;
        } else {
            return NW_ERR_SIGV4_AUTH_SYNTAX;
        }
    }
    NW_ENSURE(have_c && have_h && have_s, NW_ERR_SIGV4_AUTH_SYNTAX);
    return NW_OK;
}

nw_err nw_sigv4_parse_authorization(struct nw_sigv4_auth *out, struct nw_cur value)
{
    memset(out, 0, sizeof(*out));
    nw_err err = parse_authorization(out, value);
    if (err != NW_OK)
        memset(out, 0, sizeof(*out));
    return err;
}

/* Find parameter name in a raw query and %-decode its value into dst (NUL-terminated). */
static nw_err query_get(char *dst, size_t dst_len, struct nw_cur q, const char *name)
{
    nw_err err = NW_ERR_SIGV4_AUTH_SYNTAX;
    struct nw_buf tmp;
    nw_buf_init(&tmp, 4096, false);
    size_t i = 0;
    bool found = false;
    while (i < q.len) {
        size_t start = i;
        while (i < q.len && q.ptr[i] != '&')
            i++;
        struct nw_cur item = nw_cur_of(q.ptr + start, i - start);
        i++;
        const uint8_t *eq = memchr(item.ptr, '=', item.len);
        if (eq == NULL || !cur_eq_str(nw_cur_of(item.ptr, (size_t)(eq - item.ptr)), name))
            continue;
        if (found) { /* repeated */
            err = NW_ERR_SIGV4_AUTH_SYNTAX;
            goto out;
        }
        found = true;
        tmp.len = 0;
        if (append_decoded(&tmp, nw_cur_of(eq + 1, item.len - (size_t)(eq + 1 - item.ptr))) !=
                NW_OK ||
            !take_field(dst, dst_len, nw_buf_cur(&tmp))) {
            err = NW_ERR_SIGV4_AUTH_SYNTAX;
            goto out;
        }
        err = NW_OK;
    }
out:
    nw_buf_clear(&tmp);
    return err;
}

static nw_err
parse_presigned(struct nw_sigv4_auth *out, char amz_date[17], uint32_t *expires_s, struct nw_cur q)
{
    char alg[32], cred[512], exp[16];
    int64_t t;
    int e = 0;
    NW_TRY(query_get(alg, sizeof(alg), q, "X-Amz-Algorithm"));
    NW_ENSURE(strcmp(alg, NW_SIGV4_ALGORITHM) == 0, NW_ERR_SIGV4_AUTH_SYNTAX);
    NW_TRY(query_get(cred, sizeof(cred), q, "X-Amz-Credential"));
    NW_TRY(parse_credential(out, nw_cur_str(cred)));
    NW_TRY(query_get(amz_date, 17, q, "X-Amz-Date"));
    NW_ENSURE(nw_sigv4_parse_amz_date(&t, nw_cur_str(amz_date)) == NW_OK, NW_ERR_SIGV4_AUTH_SYNTAX);
    NW_TRY(query_get(exp, sizeof(exp), q, "X-Amz-Expires"));
    NW_ENSURE(strlen(exp) <= 6 && digits((const uint8_t *)exp, strlen(exp), &e) && e > 0 &&
                  e <= 604800,
              NW_ERR_SIGV4_AUTH_SYNTAX);
    *expires_s = (uint32_t)e;
    NW_TRY(query_get(out->signed_headers, sizeof(out->signed_headers), q, "X-Amz-SignedHeaders"));
    NW_TRY(check_signed_headers(out->signed_headers));
    NW_TRY(query_get(out->signature, sizeof(out->signature), q, "X-Amz-Signature"));
    NW_ENSURE(is_hex64(out->signature), NW_ERR_SIGV4_AUTH_SYNTAX);
    return NW_OK;
}

nw_err nw_sigv4_parse_presigned(struct nw_sigv4_auth *out,
                                char amz_date[17],
                                uint32_t *expires_s,
                                struct nw_cur query)
{
    memset(out, 0, sizeof(*out));
    amz_date[0] = '\0';
    *expires_s = 0;
    nw_err err = parse_presigned(out, amz_date, expires_s, query);
    if (err != NW_OK) {
        memset(out, 0, sizeof(*out));
        amz_date[0] = '\0';
        *expires_s = 0;
    }
    return err;
}

/* The raw query without its X-Amz-Security-Token items (a token added after signing). */
static nw_err query_without_token(struct nw_buf *out, struct nw_cur q)
{
    static const char TOKEN[] = "X-Amz-Security-Token";
    size_t i = 0;
    while (i < q.len) {
        const uint8_t *amp = memchr(q.ptr + i, '&', q.len - i);
        size_t end = amp != NULL ? (size_t)(amp - q.ptr) : q.len;
        struct nw_cur item = nw_cur_of(q.ptr + i, end - i);
        const uint8_t *eq = memchr(item.ptr, '=', item.len);
        struct nw_cur key = nw_cur_of(item.ptr, eq != NULL ? (size_t)(eq - item.ptr) : item.len);
        if (item.len > 0 && !cur_eq_str(key, TOKEN)) {
            if (out->len > 0)
                NW_TRY(nw_buf_append_byte(out, '&'));
            NW_TRY(nw_buf_append(out, item.ptr, item.len));
        }
        i = end + 1;
    }
    return NW_OK;
}

/* One verification attempt; drop_token leaves X-Amz-Security-Token out of the query. */
static nw_err verify_once(const struct nw_sigv4_request *req,
                          const struct nw_sigv4_auth *auth,
                          const char *amz_date,
                          const uint8_t key[32],
                          bool normalize_path,
                          bool drop_token)
{
    nw_err err = NW_OK;
    char sig[65] = "";
    struct nw_sigv4_request r = *req;
    struct nw_buf creq, sts, query;
    nw_buf_init(&creq, NW_SIGV4_MAX_TEXT, true);
    nw_buf_init(&sts, NW_SIGV4_MAX_TEXT, false);
    nw_buf_init(&query, NW_SIGV4_MAX_TEXT, true);
    if (drop_token) {
        NW_CHECK(query_without_token(&query, req->query));
        r.query = nw_buf_cur(&query);
    }
    NW_CHECK(nw_sigv4_canonical_request(&creq, &r, auth->signed_headers, normalize_path));
    NW_CHECK(nw_sigv4_string_to_sign(&sts, amz_date, auth->scope, nw_buf_cur(&creq)));
    NW_CHECK(nw_sigv4_signature(sig, key, nw_buf_cur(&sts)));
    NW_CHECK_COND(strlen(auth->signature) == 64 && CRYPTO_memcmp(sig, auth->signature, 64) == 0,
                  NW_ERR_SIGV4_MISMATCH);
out:
    nw_wipe(sig, sizeof(sig));
    nw_buf_clear(&creq);
    nw_buf_clear(&sts);
    nw_buf_clear(&query);
    return err;
}

static bool query_has(struct nw_cur q, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i + n < q.len; i++)
        if ((i == 0 || q.ptr[i - 1] == '&') && memcmp(q.ptr + i, name, n) == 0 &&
            q.ptr[i + n] == '=')
            return true;
    return false;
}

nw_err nw_sigv4_verify(const struct nw_sigv4_request *req,
                       const struct nw_sigv4_auth *auth,
                       const char *amz_date,
                       struct nw_cur secret,
                       bool normalize_path)
{
    nw_err err = NW_OK;
    uint8_t key[32];
    NW_CHECK_COND(strlen(amz_date) == 16, NW_ERR_SIGV4_TIME);
    NW_CHECK(nw_sigv4_signing_key(key, secret, auth->date8, auth->region, auth->service));
    err = verify_once(req, auth, amz_date, key, normalize_path, false);
    /* A presigned query may carry the session token unsigned (added after signing). */
    if (err == NW_ERR_SIGV4_MISMATCH && query_has(req->query, "X-Amz-Security-Token"))
        err = verify_once(req, auth, amz_date, key, normalize_path, true);
out:
    nw_wipe(key, sizeof(key));
    return err;
}

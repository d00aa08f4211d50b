/*
 * AWS Signature Version 4: canonical request, string to sign, signing key, signature, in the
 * header and query (presigned) forms. The rules are listed in <nw/sigv4.h>; the stages follow
 * the AWS General Reference "Create a canonical request" .. "Calculate the signature".
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <time.h>

#include <nw/hex.h>
#include <nw/mem.h>
#include <nw/sigv4.h>

#include "aws_int.h"

static const uint8_t AWS4[4] = {'A', 'W', 'S', '4'};

/* Headers never signed (aws-c-auth's skip list, plus authorization itself). */
static const char *const SKIP_HEADERS[] = {
    "user-agent", "x-amzn-trace-id",   "connection",    "expect",
    "upgrade",    "transfer-encoding", "authorization",
};

static bool is_unreserved(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* RFC 7230 token characters: what a header name may hold. */
static bool is_tchar(uint8_t c)
{
    return is_unreserved(c) || (c != 0 && strchr("!#$%&'*+^`|", c) != NULL);
}

/* Append in %-encoded: unreserved kept, "/" kept when keep_slash, else %XX upper-case. */
static nw_err append_encoded(struct nw_buf *out, struct nw_cur in, bool keep_slash)
{
    static const char HEX[] = "0123456789ABCDEF";
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            NW_TRY(nw_buf_append_byte(out, c));
        } else {
            uint8_t e[3] = {'%', (uint8_t)HEX[c >> 4], (uint8_t)HEX[c & 15]};
            NW_TRY(nw_buf_append(out, e, 3));
        }
    }
    return NW_OK;
}

/* %-decode in (strict: "%" must be followed by two hex digits) and append to out. */
static nw_err append_decoded(struct nw_buf *out, struct nw_cur in)
{
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (c == '%') {
            if (in.len - i < 3)
                return NW_ERR_SIGV4_INPUT;
            int hi = nw_hex_digit(in.ptr[i + 1]);
            int lo = nw_hex_digit(in.ptr[i + 2]);
            if (hi < 0 || lo < 0)
                return NW_ERR_SIGV4_INPUT;
            c = (uint8_t)(hi << 4 | lo);
            i += 2;
        }
        NW_TRY(nw_buf_append_byte(out, c));
    }
    return NW_OK;
}

nw_err nw_sigv4_sha256_hex(char out[65], struct nw_cur data)
{
    uint8_t md[32];
    unsigned int md_len = 0;
    out[0] = '\0';
    if (EVP_Digest(data.len ? data.ptr : (const uint8_t *)"", data.len, md, &md_len, EVP_sha256(),
                   NULL) != 1 ||
        md_len != 32)
        return NW_ERR_CRYPTO;
    return nw_hex_encode(out, 65, md, 32, false);
}

static nw_err hmac256(uint8_t out[32], struct nw_cur key, struct nw_cur msg)
{
    unsigned int len = 0;
    if (HMAC(EVP_sha256(), key.ptr, (int)key.len, msg.len ? msg.ptr : (const uint8_t *)"", msg.len,
             out, &len) == NULL ||
        len != 32) {
        nw_wipe(out, 32);
        return NW_ERR_CRYPTO;
    }
    return NW_OK;
}

/* ---- URI path ---------------------------------------------------------------------------- */

struct seg {
    const uint8_t *p;
    size_t n;
};

/*
 * Remove "." and ".." segments and empty segments (RFC 3986 5.2.4 plus AWS's collapse of
 * repeated slashes), keeping a trailing "/" when the input had one and something remains.
 */
static nw_err append_normalized_path(struct nw_buf *out, struct nw_cur path)
{
    struct seg segs[256];
    size_t n = 0;
    size_t i = 0;
    bool trailing = path.len > 0 && path.ptr[path.len - 1] == '/';
    while (i < path.len) {
        while (i < path.len && path.ptr[i] == '/')
            i++;
        size_t start = i;
        while (i < path.len && path.ptr[i] != '/')
            i++;
        struct seg s = {path.ptr + start, i - start};
        if (s.n == 0 || (s.n == 1 && s.p[0] == '.'))
            continue;
        if (s.n == 2 && s.p[0] == '.' && s.p[1] == '.') {
            if (n > 0)
                n--;
            continue;
        }
        NW_ENSURE(n < NW_ARRAY_LEN(segs), NW_ERR_SIGV4_INPUT);
        segs[n++] = s;
    }
    NW_TRY(nw_buf_append_byte(out, '/'));
    for (size_t k = 0; k < n; k++) {
        NW_TRY(append_encoded(out, nw_cur_of(segs[k].p, segs[k].n), false));
        if (k + 1 < n || trailing)
            NW_TRY(nw_buf_append_byte(out, '/'));
    }
    return NW_OK;
}

static nw_err append_canonical_uri(struct nw_buf *out, struct nw_cur path, bool normalize)
{
    if (path.len == 0)
        return nw_buf_append_byte(out, '/');
    if (normalize)
        return append_normalized_path(out, path);
    return append_encoded(out, path, true);
}

/* ---- query ------------------------------------------------------------------------------ */

struct param {
    size_t k_off, k_len, v_off, v_len;
};

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c != 0)
        return c;
    return an < bn ? -1 : (an > bn ? 1 : 0);
}

static int cmp_param(const uint8_t *base, const struct param *a, const struct param *b)
{
    int c = cmp_bytes(base + a->k_off, a->k_len, base + b->k_off, b->k_len);
    if (c != 0)
        return c;
    return cmp_bytes(base + a->v_off, a->v_len, base + b->v_off, b->v_len);
}

/* Decode then re-encode one name or value into enc; records offset and length. */
static nw_err encode_component(
    struct nw_buf *enc, struct nw_buf *tmp, struct nw_cur raw, size_t *off, size_t *len)
{
    tmp->len = 0;
    NW_TRY(append_decoded(tmp, raw));
    *off = enc->len;
    NW_TRY(append_encoded(enc, nw_buf_cur(tmp), false));
    *len = enc->len - *off;
    return NW_OK;
}

static bool cur_eq_str(struct nw_cur c, const char *s)
{
    size_t n = strlen(s);
    return c.len == n && memcmp(c.ptr, s, n) == 0;
}

static nw_err canonical_query(struct nw_buf *out, struct nw_cur query, bool drop_token)
{
    nw_err err = NW_OK;
    struct param params[NW_SIGV4_MAX_PARAMS];
    size_t n = 0;
    struct nw_buf enc, tmp;
    nw_buf_init(&enc, NW_SIGV4_MAX_TEXT, true);
    nw_buf_init(&tmp, NW_SIGV4_MAX_TEXT, true);

    size_t i = 0;
    while (i <= query.len && query.len > 0) {
        size_t start = i;
        while (i < query.len && query.ptr[i] != '&')
            i++;
        struct nw_cur item = nw_cur_of(query.ptr + start, i - start);
        i++; /* skip '&' (or step past the end) */
        if (item.len == 0)
            continue;
        size_t eq = 0;
        while (eq < item.len && item.ptr[eq] != '=')
            eq++;
        struct nw_cur k = nw_cur_of(item.ptr, eq);
        struct nw_cur v = eq < item.len ? nw_cur_of(item.ptr + eq + 1, item.len - eq - 1)
                                        : nw_cur_of(item.ptr, 0);
        if (cur_eq_str(k, "X-Amz-Signature") ||
            (drop_token && cur_eq_str(k, "X-Amz-Security-Token")))
            continue;
        NW_CHECK_COND(n < NW_ARRAY_LEN(params), NW_ERR_SIGV4_INPUT);
        struct param *p = &params[n];
        NW_CHECK(encode_component(&enc, &tmp, k, &p->k_off, &p->k_len));
        NW_CHECK(encode_component(&enc, &tmp, v, &p->v_off, &p->v_len));
        n++;
    }
    /* Insertion sort: n is small and the order of equal pairs does not matter. */
    for (size_t a = 1; a < n; a++) {
        struct param x = params[a];
        size_t b = a;
        while (b > 0 && cmp_param(enc.ptr, &params[b - 1], &x) > 0) {
            params[b] = params[b - 1];
            b--;
        }
        params[b] = x;
    }
    for (size_t a = 0; a < n; a++) {
        if (a > 0)
            NW_CHECK(nw_buf_append_byte(out, '&'));
        NW_CHECK(nw_buf_append(out, enc.ptr + params[a].k_off, params[a].k_len));
        NW_CHECK(nw_buf_append_byte(out, '='));
        NW_CHECK(nw_buf_append(out, enc.ptr + params[a].v_off, params[a].v_len));
    }
out:
    nw_buf_clear(&enc);
    nw_buf_clear(&tmp);
    return err;
}

nw_err nw_sigv4_append_canonical_query(struct nw_buf *out, struct nw_cur query)
{
    return canonical_query(out, query, false);
}

/* ---- headers ---------------------------------------------------------------------------- */

static int cmp_name_ci(struct nw_cur a, struct nw_cur b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    for (size_t i = 0; i < n; i++) {
        uint8_t x = lower(a.ptr[i]), y = lower(b.ptr[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return a.len < b.len ? -1 : (a.len > b.len ? 1 : 0);
}

static bool name_is(struct nw_cur name, const char *lc)
{
    return cmp_name_ci(name, nw_cur_str(lc)) == 0;
}

/* True if the lower-cased name appears in the ";"-joined list. */
static bool in_list(struct nw_cur name, const char *list)
{
    const char *p = list;
    while (*p != '\0') {
        const char *e = strchr(p, ';');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (cmp_name_ci(name, nw_cur_of(p, n)) == 0)
            return true;
        if (e == NULL)
            break;
        p = e + 1;
    }
    return false;
}

/* Append a header value trimmed, with every whitespace run collapsed to one space. */
static nw_err append_value(struct nw_buf *out, struct nw_cur v)
{
    size_t a = 0, b = v.len;
    while (a < b && is_ws(v.ptr[a]))
        a++;
    while (b > a && is_ws(v.ptr[b - 1]))
        b--;
    bool in_ws = false;
    for (size_t i = a; i < b; i++) {
        if (is_ws(v.ptr[i])) {
            in_ws = true;
            continue;
        }
        if (in_ws)
            NW_TRY(nw_buf_append_byte(out, ' '));
        in_ws = false;
        NW_TRY(nw_buf_append_byte(out, v.ptr[i]));
    }
    return NW_OK;
}

static nw_err check_headers(const struct nw_sigv4_header *h, size_t n)
{
    NW_ENSURE(n <= NW_SIGV4_MAX_HEADERS, NW_ERR_SIGV4_INPUT);
    NW_ENSURE(n == 0 || h != NULL, NW_ERR_SIGV4_INPUT);
    for (size_t i = 0; i < n; i++) {
        NW_ENSURE(h[i].name.len > 0 && h[i].name.len <= 256, NW_ERR_SIGV4_INPUT);
        for (size_t k = 0; k < h[i].name.len; k++)
            NW_ENSURE(is_tchar(h[i].name.ptr[k]), NW_ERR_SIGV4_INPUT);
    }
    return NW_OK;
}

/* Sorted (stable) order of the headers by lower-cased name. */
static void sort_headers(size_t *idx, const struct nw_sigv4_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    for (size_t a = 1; a < n; a++) {
        size_t x = idx[a];
        size_t b = a;
        while (b > 0 && cmp_name_ci(h[idx[b - 1]].name, h[x].name) > 0) {
            idx[b] = idx[b - 1];
            b--;
        }
        idx[b] = x;
    }
}

/* One "name:value1,value2\n" line for the headers idx[a..b) (all of the same name). */
static nw_err append_header_line(
    struct nw_buf *out, const struct nw_sigv4_header *h, const size_t *idx, size_t a, size_t b)
{
    struct nw_cur name = h[idx[a]].name;
    for (size_t k = 0; k < name.len; k++)
        NW_TRY(nw_buf_append_byte(out, lower(name.ptr[k])));
    NW_TRY(nw_buf_append_byte(out, ':'));
    for (size_t k = a; k < b; k++) {
        if (k > a)
            NW_TRY(nw_buf_append_byte(out, ','));
        NW_TRY(append_value(out, h[idx[k]].value));
    }
    return nw_buf_append_byte(out, '\n');
}

static nw_err append_canonical_headers(struct nw_buf *out,
                                       const struct nw_sigv4_header *h,
                                       size_t n,
                                       const char *signed_headers)
{
    size_t idx[NW_SIGV4_MAX_HEADERS];
    sort_headers(idx, h, n);
    for (size_t a = 0; a < n;) {
        struct nw_cur name = h[idx[a]].name;
        size_t b = a;
        while (b < n && cmp_name_ci(h[idx[b]].name, name) == 0)
            b++;
        if (in_list(name, signed_headers))
            NW_TRY(append_header_line(out, h, idx, a, b));
        a = b;
    }
    return NW_OK;
}

static bool skipped(struct nw_cur name)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(SKIP_HEADERS); i++)
        if (name_is(name, SKIP_HEADERS[i]))
            return true;
    static const char WS[] = "sec-websocket-";
    return name.len >= sizeof(WS) - 1 &&
           cmp_name_ci(nw_cur_of(name.ptr, sizeof(WS) - 1), nw_cur_of(WS, sizeof(WS) - 1)) == 0;
}

/* The default signed-header list: unique lower-case names, sorted, minus the skip list. */
static nw_err default_signed_headers(struct nw_buf *out, const struct nw_sigv4_header *h, size_t n)
{
    size_t idx[NW_SIGV4_MAX_HEADERS];
    sort_headers(idx, h, n);
    bool first = true;
    for (size_t a = 0; a < n; a++) {
        struct nw_cur name = h[idx[a]].name;
        if (a > 0 && cmp_name_ci(h[idx[a - 1]].name, name) == 0)
            continue;
        if (skipped(name))
            continue;
        if (!first)
            NW_TRY(nw_buf_append_byte(out, ';'));
        first = false;
        for (size_t k = 0; k < name.len; k++)
            NW_TRY(nw_buf_append_byte(out, lower(name.ptr[k])));
    }
    return nw_buf_cstr(out);
}

/* ---- stages ----------------------------------------------------------------------------- */

static nw_err canonical_request(struct nw_buf *out,
                                const struct nw_sigv4_request *req,
                                const char *signed_headers,
                                bool normalize_path,
                                bool drop_token)
{
    char hash[65];
    NW_TRY(check_headers(req->headers, req->n_headers));
    NW_ENSURE(req->method != NULL && req->method[0] != '\0', NW_ERR_SIGV4_INPUT);
    for (const char *m = req->method; *m; m++)
        NW_ENSURE(is_tchar((uint8_t)*m), NW_ERR_SIGV4_INPUT);
    if (req->payload_hash != NULL) {
        size_t n = strlen(req->payload_hash);
        NW_ENSURE(n > 0 && n < sizeof(hash), NW_ERR_SIGV4_INPUT);
        memcpy(hash, req->payload_hash, n + 1);
    } else {
        NW_TRY(nw_sigv4_sha256_hex(hash, req->body));
    }
    NW_TRY(nw_buf_append_str(out, req->method));
    NW_TRY(nw_buf_append_byte(out, '\n'));
    NW_TRY(append_canonical_uri(out, req->path, normalize_path));
    NW_TRY(nw_buf_append_byte(out, '\n'));
    NW_TRY(canonical_query(out, req->query, drop_token));
    NW_TRY(nw_buf_append_byte(out, '\n'));
    NW_TRY(append_canonical_headers(out, req->headers, req->n_headers, signed_headers));
    NW_TRY(nw_buf_append_byte(out, '\n'));
    NW_TRY(nw_buf_append_str(out, signed_headers));
    NW_TRY(nw_buf_append_byte(out, '\n'));
    NW_TRY(nw_buf_append_str(out, hash));
    return NW_OK;
}

nw_err nw_sigv4_canonical_request(struct nw_buf *out,
                                  const struct nw_sigv4_request *req,
                                  const char *signed_headers,
                                  bool normalize_path)
{
    return canonical_request(out, req, signed_headers, normalize_path, false);
}

nw_err nw_sigv4_string_to_sign(struct nw_buf *out,
                               const char *amz_date,
                               const char *scope,
                               struct nw_cur canonical_request)
{
    char hash[65];
    NW_TRY(nw_sigv4_sha256_hex(hash, canonical_request));
    return nw_buf_appendf(out, NW_SIGV4_ALGORITHM "\n%s\n%s\n%s", amz_date, scope, hash);
}

static bool scope_part_ok(const char *s)
{
    if (s[0] == '\0' || strlen(s) > 63)
        return false;
    for (; *s; s++)
        if (*s == '/' || is_ws((uint8_t)*s) || (uint8_t)*s < 0x21 || (uint8_t)*s > 0x7e)
            return false;
    return true;
}

nw_err nw_sigv4_scope(
    char *out, size_t out_len, const char *date8, const char *region, const char *service)
{
    if (out_len > 0)
        out[0] = '\0';
    NW_ENSURE(strlen(date8) == 8 && scope_part_ok(date8), NW_ERR_SIGV4_INPUT);
    NW_ENSURE(scope_part_ok(region) && scope_part_ok(service), NW_ERR_SIGV4_INPUT);
    int n = snprintf(out, out_len, "%s/%s/%s/aws4_request", date8, region, service);
    if (n < 0 || (size_t)n >= out_len) {
        if (out_len > 0)
            out[0] = '\0';
        return NW_ERR_SIGV4_INPUT;
    }
    return NW_OK;
}

nw_err nw_sigv4_signing_key(uint8_t out32[32],
                            struct nw_cur secret,
                            const char *date8,
                            const char *region,
                            const char *service)
{
    nw_err err = NW_OK;
    uint8_t k_secret[sizeof(AWS4) + NW_AWS_SECRET_MAX];
    uint8_t k_date[32], k_region[32], k_service[32];

    NW_CHECK_COND(secret.len > 0 && secret.len <= NW_AWS_SECRET_MAX, NW_ERR_AWS_CREDS_INVALID);
    memcpy(k_secret, AWS4, sizeof(AWS4));
    memcpy(k_secret + sizeof(AWS4), secret.ptr, secret.len);
    NW_CHECK(hmac256(k_date, nw_cur_of(k_secret, sizeof(AWS4) + secret.len), nw_cur_str(date8)));
    NW_CHECK(hmac256(k_region, nw_cur_of(k_date, 32), nw_cur_str(region)));
    NW_CHECK(hmac256(k_service, nw_cur_of(k_region, 32), nw_cur_str(service)));
    NW_CHECK(hmac256(out32, nw_cur_of(k_service, 32), nw_cur_str("aws4_request")));
out:
    nw_wipe(k_secret, sizeof(k_secret));
    nw_wipe(k_date, sizeof(k_date));
    nw_wipe(k_region, sizeof(k_region));
    nw_wipe(k_service, sizeof(k_service));
    if (err != NW_OK)
        nw_wipe(out32, 32);
    return err;
}

nw_err nw_sigv4_signature(char out_hex[65], const uint8_t key32[32], struct nw_cur string_to_sign)
{
    uint8_t mac[32];
    out_hex[0] = '\0';
    NW_TRY(hmac256(mac, nw_cur_of(key32, 32), string_to_sign));
    nw_err err = nw_hex_encode(out_hex, 65, mac, 32, false);
    nw_wipe(mac, sizeof(mac));
    return err;
}

/* ---- time ------------------------------------------------------------------------------- */

nw_err nw_sigv4_amz_date(char out[17], int64_t time_s)
{
    struct tm tm;
    out[0] = '\0';
    NW_ENSURE(time_s >= 0 && time_s <= 253402300799LL, NW_ERR_SIGV4_TIME);
    time_t t = (time_t)time_s;
    NW_ENSURE(gmtime_r(&t, &tm) != NULL, NW_ERR_SIGV4_TIME);
    NW_ENSURE(strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) == 16, NW_ERR_SIGV4_TIME);
    return NW_OK;
}

static bool digits(const uint8_t *p, size_t n, int *v)
{
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    return true;
}

nw_err nw_sigv4_parse_amz_date(int64_t *time_s, struct nw_cur t)
{
    int y, mo, d, h, mi, s;
    *time_s = 0;
    NW_ENSURE(t.len == 16 && t.ptr[8] == 'T' && t.ptr[15] == 'Z', NW_ERR_SIGV4_TIME);
    NW_ENSURE(digits(t.ptr, 4, &y) && digits(t.ptr + 4, 2, &mo) && digits(t.ptr + 6, 2, &d) &&
                  digits(t.ptr + 9, 2, &h) && digits(t.ptr + 11, 2, &mi) &&
                  digits(t.ptr + 13, 2, &s),
              NW_ERR_SIGV4_TIME);
    return nw_aws_civil_to_unix(time_s, y, mo, d, h, mi, s) ? NW_OK : NW_ERR_SIGV4_TIME;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool nw_aws_civil_to_unix(int64_t *out, int y, int mo, int d, int h, int mi, int s)
{
    static const int MDAYS[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    *out = 0;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > MDAYS[mo - 1] || h > 23 ||
        mi > 59 || s > 60)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return false;
    *out = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 +
           (s == 60 ? 59 : s);
    return true;
}

/* ---- signing ---------------------------------------------------------------------------- */

void nw_sigv4_result_init(struct nw_sigv4_result *r)
{
    memset(r, 0, sizeof(*r));
    nw_buf_init(&r->canonical_request, NW_SIGV4_MAX_TEXT, true);
    nw_buf_init(&r->string_to_sign, NW_SIGV4_MAX_TEXT, false);
    nw_buf_init(&r->signed_headers, NW_SIGV4_MAX_TEXT, false);
    nw_buf_init(&r->authorization, NW_SIGV4_MAX_TEXT, false);
    nw_buf_init(&r->query, NW_SIGV4_MAX_TEXT, true);
}

void nw_sigv4_result_clear(struct nw_sigv4_result *r)
{
    nw_buf_clear(&r->canonical_request);
    nw_buf_clear(&r->string_to_sign);
    nw_buf_clear(&r->signed_headers);
    nw_buf_clear(&r->authorization);
    nw_buf_clear(&r->query);
    nw_wipe(r->amz_date, sizeof(r->amz_date));
    nw_wipe(r->payload_hash, sizeof(r->payload_hash));
    nw_wipe(r->signature, sizeof(r->signature));
    r->add_token_header = false;
}

/* Shared set-up of both forms: date, scope, payload hash; validates credentials. */
struct sign_ctx {
    char date8[9];
    char scope[160];
    bool token;
};

static nw_err sign_setup(struct sign_ctx *sc,
                         struct nw_sigv4_result *r,
                         const struct nw_aws_creds *creds,
                         const struct nw_sigv4_request *req,
                         const struct nw_sigv4_params *p)
{
    NW_ENSURE(creds->access_key_id[0] != '\0' && creds->secret_access_key[0] != '\0',
              NW_ERR_AWS_CREDS_INVALID);
    NW_ENSURE(memchr(creds->access_key_id, '/', strlen(creds->access_key_id)) == NULL,
              NW_ERR_AWS_CREDS_INVALID);
    NW_ENSURE(p->region != NULL && p->service != NULL, NW_ERR_SIGV4_INPUT);
    NW_TRY(check_headers(req->headers, req->n_headers));
    NW_TRY(nw_sigv4_amz_date(r->amz_date, p->time_s));
    memcpy(sc->date8, r->amz_date, 8);
    sc->date8[8] = '\0';
    NW_TRY(nw_sigv4_scope(sc->scope, sizeof(sc->scope), sc->date8, p->region, p->service));
    if (req->payload_hash != NULL) {
        size_t n = strlen(req->payload_hash);
        NW_ENSURE(n > 0 && n < sizeof(r->payload_hash), NW_ERR_SIGV4_INPUT);
        memcpy(r->payload_hash, req->payload_hash, n + 1);
    } else {
        NW_TRY(nw_sigv4_sha256_hex(r->payload_hash, req->body));
    }
    sc->token = creds->session_token[0] != '\0';
    return NW_OK;
}

/* Stages 1-4 given the (augmented) request and its signed-header list. */
static nw_err sign_stages(struct nw_sigv4_result *r,
                          const struct sign_ctx *sc,
                          const struct nw_aws_creds *creds,
                          const struct nw_sigv4_request *req,
                          const struct nw_sigv4_params *p)
{
    uint8_t key[32];
    nw_err err = NW_OK;
    NW_CHECK(nw_buf_cstr(&r->signed_headers));
    NW_CHECK(nw_sigv4_canonical_request(&r->canonical_request, req, (char *)r->signed_headers.ptr,
                                        p->normalize_path));
    NW_CHECK(nw_sigv4_string_to_sign(&r->string_to_sign, r->amz_date, sc->scope,
                                     nw_buf_cur(&r->canonical_request)));
    NW_CHECK(nw_sigv4_signing_key(key, nw_cur_str(creds->secret_access_key), sc->date8, p->region,
                                  p->service));
    NW_CHECK(nw_sigv4_signature(r->signature, key, nw_buf_cur(&r->string_to_sign)));
out:
    nw_wipe(key, sizeof(key));
    return err;
}

static nw_err header_form(struct nw_sigv4_result *r,
                          const struct nw_aws_creds *creds,
                          const struct nw_sigv4_request *req,
                          const struct nw_sigv4_params *p)
{
    struct sign_ctx sc;
    struct nw_sigv4_header hs[NW_SIGV4_MAX_HEADERS];
    NW_TRY(sign_setup(&sc, r, creds, req, p));
    for (size_t i = 0; i < req->n_headers; i++) {
        struct nw_cur n = req->headers[i].name;
        NW_ENSURE(!name_is(n, "authorization") && !name_is(n, "x-amz-date") &&
                      !name_is(n, "x-amz-security-token") && !name_is(n, "x-amz-content-sha256"),
                  NW_ERR_SIGV4_INPUT);
    }
    NW_ENSURE(req->n_headers + 3 <= NW_ARRAY_LEN(hs), NW_ERR_SIGV4_INPUT);
    size_t n = req->n_headers;
    if (n > 0)
        memcpy(hs, req->headers, n * sizeof(hs[0]));
    hs[n++] = (struct nw_sigv4_header){nw_cur_str("x-amz-date"), nw_cur_str(r->amz_date)};
    if (sc.token && !p->omit_session_token)
        hs[n++] = (struct nw_sigv4_header){nw_cur_str("x-amz-security-token"),
                                           nw_cur_str(creds->session_token)};
    if (p->sign_body)
        hs[n++] = (struct nw_sigv4_header){nw_cur_str("x-amz-content-sha256"),
                                           nw_cur_str(r->payload_hash)};
    struct nw_sigv4_request aug = *req;
    aug.headers = hs;
    aug.n_headers = n;
    aug.payload_hash = r->payload_hash;
    NW_TRY(default_signed_headers(&r->signed_headers, hs, n));
    NW_TRY(sign_stages(r, &sc, creds, &aug, p));
    NW_TRY(nw_buf_appendf(
        &r->authorization, NW_SIGV4_ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
        creds->access_key_id, sc.scope, (char *)r->signed_headers.ptr, r->signature));
    NW_TRY(nw_buf_cstr(&r->authorization));
    r->add_token_header = sc.token;
    return NW_OK;
}

nw_err nw_sigv4_sign(struct nw_sigv4_result *r,
                     const struct nw_aws_creds *creds,
                     const struct nw_sigv4_request *req,
                     const struct nw_sigv4_params *params)
{
    nw_sigv4_result_init(r);
    nw_err err = header_form(r, creds, req, params);
    if (err != NW_OK)
        nw_sigv4_result_clear(r);
    return err;
}

static nw_err append_param(struct nw_buf *q, const char *name, struct nw_cur value)
{
    if (q->len > 0)
        NW_TRY(nw_buf_append_byte(q, '&'));
    NW_TRY(nw_buf_append_str(q, name));
    NW_TRY(nw_buf_append_byte(q, '='));
    return append_encoded(q, value, false);
}

static nw_err query_form(struct nw_sigv4_result *r,
                         const struct nw_aws_creds *creds,
                         const struct nw_sigv4_request *req,
                         const struct nw_sigv4_params *p)
{
    struct sign_ctx sc;
    char expires[16];
    nw_err err = NW_OK;
    struct nw_buf cred;
    nw_buf_init(&cred, 1024, false);

    NW_CHECK_COND(p->expires_s > 0 && p->expires_s <= 604800, NW_ERR_SIGV4_INPUT);
    NW_CHECK(sign_setup(&sc, r, creds, req, p));
    NW_CHECK(default_signed_headers(&r->signed_headers, req->headers, req->n_headers));
    NW_CHECK(nw_buf_appendf(&cred, "%s/%s", creds->access_key_id, sc.scope));
    (void)snprintf(expires, sizeof(expires), "%u", (unsigned)p->expires_s);

    /* The query to sign: the caller's parameters, then the X-Amz-* ones. */
    NW_CHECK(nw_buf_append(&r->query, req->query.ptr, req->query.len));
    NW_CHECK(append_param(&r->query, "X-Amz-Algorithm", nw_cur_str(NW_SIGV4_ALGORITHM)));
    NW_CHECK(append_param(&r->query, "X-Amz-Credential", nw_buf_cur(&cred)));
    NW_CHECK(append_param(&r->query, "X-Amz-Date", nw_cur_str(r->amz_date)));
    NW_CHECK(append_param(&r->query, "X-Amz-Expires", nw_cur_str(expires)));
    if (sc.token && !p->omit_session_token)
        NW_CHECK(append_param(&r->query, "X-Amz-Security-Token", nw_cur_str(creds->session_token)));
    NW_CHECK(append_param(&r->query, "X-Amz-SignedHeaders", nw_buf_cur(&r->signed_headers)));

    struct nw_sigv4_request aug = *req;
    aug.query = nw_buf_cur(&r->query);
    aug.payload_hash = r->payload_hash;
    NW_CHECK(sign_stages(r, &sc, creds, &aug, p));

    if (sc.token && p->omit_session_token)
        NW_CHECK(append_param(&r->query, "X-Amz-Security-Token", nw_cur_str(creds->session_token)));
    NW_CHECK(append_param(&r->query, "X-Amz-Signature", nw_cur_str(r->signature)));
    NW_CHECK(nw_buf_cstr(&r->query));
out:
    nw_buf_clear(&cred);
    return err;
}

nw_err nw_sigv4_presign(struct nw_sigv4_result *r,
                        const struct nw_aws_creds *creds,
                        const struct nw_sigv4_request *req,
                        const struct nw_sigv4_params *params)
{
    nw_sigv4_result_init(r);
    nw_err err = query_form(r, creds, req, params);
    if (err != NW_OK)
        nw_sigv4_result_clear(r);
    return err;
}

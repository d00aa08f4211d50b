/*
 * What users hand to `nw attestation verify`: check times (--at) as RFC 3339 or epoch seconds,
 * and documents as raw COSE bytes or base64 text.
 */
#include <string.h>

#include <nw/attest.h>
#include <nw/base64.h>

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* n digits at *p as a number; advances *p. Returns -1 when a character is not a digit. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The time-offset: Z, or +hh:mm / -hh:mm. */
static bool parse_offset(const char *p, int64_t *offset_s)
{
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        *offset_s = 0;
        return true;
    }
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p++ == '-' ? -1 : 1;
    int hh = digits(&p, 2);
    if (hh < 0 || hh > 23 || *p++ != ':')
        return false;
    int mm = digits(&p, 2);
    if (mm < 0 || mm > 59 || *p != '\0')
        return false;
    *offset_s = sign * (int64_t)(hh * 3600 + mm * 60);
    return true;
}

/* RFC 3339 section 5.6 date-time. */
static bool parse_rfc3339(const char *p, int64_t *out)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t offset;
    int y = digits(&p, 4);
    if (y < 0 || *p++ != '-')
        return false;
    int mo = digits(&p, 2);
    if (mo < 1 || mo > 12 || *p++ != '-')
        return false;
    int d = digits(&p, 2);
    if (d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)))
        return false;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return false;
    p++;
    int h = digits(&p, 2);
    if (h < 0 || h > 23 || *p++ != ':')
        return false;
    int mi = digits(&p, 2);
    if (mi < 0 || mi > 59 || *p++ != ':')
        return false;
    int s = digits(&p, 2);
    if (s < 0 || s > 60)
        return false;
    if (*p == '.') {
        const char *f = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == f)
            return false;
    }
    if (!parse_offset(p, &offset))
        return false;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out = days * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + (s == 60 ? 59 : s) - offset;
    return true;
}

nw_err nw_attest_time_parse(int64_t *time_s, const char *text)
{
    size_t n = strlen(text);
    *time_s = 0;
    NW_ENSURE(n > 0 && n <= 64, NW_ERR_ATTEST_TIME_FORMAT);
    if (strspn(text, "0123456789") == n) {
        int64_t v = 0;
        for (size_t i = 0; i < n; i++) {
            NW_ENSURE(v <= (INT64_MAX - 9) / 10, NW_ERR_ATTEST_TIME_FORMAT);
            v = v * 10 + (text[i] - '0');
        }
        *time_s = v;
        return NW_OK;
    }
    int64_t v;
    NW_ENSURE(parse_rfc3339(text, &v), NW_ERR_ATTEST_TIME_FORMAT);
    *time_s = v;
    return NW_OK;
}

/*
 * Base64 as people paste it: either alphabet (RFC 4648 sections 4 and 5), line breaks and
 * spaces anywhere, padding optional. Normalised to the padded standard form, then decoded by
 * the one strict codec (<nw/base64.h>).
 */
static nw_err b64_decode(struct nw_buf *out, struct nw_cur in)
{
    struct nw_buf std;
    nw_err err;
    nw_buf_init(&std, 2 * NW_ATTEST_DOC_MAX + 4, false);
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        NW_CHECK(nw_buf_append_byte(&std, c == '-' ? '+' : c == '_' ? '/' : c));
    }
    while (std.len % 4 != 0 && (std.len % 4 != 1))
        NW_CHECK(nw_buf_append_byte(&std, '='));
    err = nw_base64_decode(out, nw_buf_cur(&std), false);
    if (err == NW_ERR_BASE64)
        err = NW_ERR_ATTEST_DOC_ENCODING;
    else if (err == NW_OK && out->len > NW_ATTEST_DOC_MAX)
        err = NW_ERR_TOO_LARGE;
out:
    nw_buf_clear(&std);
    return err == NW_ERR_BUF_FULL ? NW_ERR_TOO_LARGE : err;
}

nw_err nw_attest_doc_from_input(struct nw_buf *out, struct nw_cur in)
{
    nw_err err;
    out->len = 0;
    if (in.len > 0 && (in.ptr[0] == 0xd2 || in.ptr[0] == 0x84)) {
        NW_ENSURE(in.len <= NW_ATTEST_DOC_MAX, NW_ERR_TOO_LARGE);
        return nw_buf_append(out, in.ptr, in.len);
    }
    NW_ENSURE(in.len <= (size_t)2 * NW_ATTEST_DOC_MAX, NW_ERR_TOO_LARGE);
    err = b64_decode(out, in);
    if (err == NW_OK && (out->len == 0 || (out->ptr[0] != 0xd2 && out->ptr[0] != 0x84)))
        err = NW_ERR_ATTEST_DOC_ENCODING;
    if (err != NW_OK)
        out->len = 0;
    return err;
}

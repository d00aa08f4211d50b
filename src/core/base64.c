/*
 * Base64 (RFC 4648 section 4) and the text form of a version-4 UUID (RFC 9562).
 *
 * The 6-bit value <-> character maps are computed with range masks instead of a table, so the
 * time and the memory touched do not depend on the bytes (the data is often a key or a KMS
 * plaintext). A mask is all ones when a comparison holds: 0u - (uint32_t)(cond), where cond is
 * a single unsigned comparison that compilers emit as setcc, not as a branch.
 */
#include <nw/base64.h>
#include <nw/mem.h>

#define MASK(cond) (0u - (uint32_t)(cond))

/* 'A'-'Z' 0..25, 'a'-'z' 26..51, '0'-'9' 52..61, '+' 62, '/' 63. */
static uint8_t enc6(uint32_t v)
{
    uint32_t c = v + 'A';
    c += MASK(v >= 26) & (uint32_t)('a' - 'A' - 26);
    c -= MASK(v >= 52) & (uint32_t)('a' - 26 + 52 - '0');
    c += MASK(v == 62) & (uint32_t)('+' - ('0' + 10));
    c += MASK(v == 63) & (uint32_t)('/' - ('0' + 11));
    return (uint8_t)c;
}

/* The 6-bit value of c, or 0xff (bit 8 set in the 32-bit result) for any other byte. */
static uint32_t dec6(uint32_t c)
{
    uint32_t up = MASK(c - 'A' <= 25u), lo = MASK(c - 'a' <= 25u), dg = MASK(c - '0' <= 9u);
    uint32_t plus = MASK(c == '+'), slash = MASK(c == '/');
    uint32_t v = (up & (c - 'A')) | (lo & (c - 'a' + 26)) | (dg & (c - '0' + 52)) | (plus & 62) |
                 (slash & 63);
    uint32_t valid = up | lo | dg | plus | slash;
    return (v & valid) | (~valid & 0x100u);
}

size_t nw_base64_encoded_len(size_t n)
{
    if (n > (SIZE_MAX - 2) / 4 * 3)
        return SIZE_MAX;
    return (n + 2) / 3 * 4;
}

nw_err nw_base64_encode(struct nw_buf *out, struct nw_cur in)
{
    size_t need = nw_base64_encoded_len(in.len);
    if (need == SIZE_MAX)
        return NW_ERR_TOO_LARGE;
    NW_TRY(nw_buf_reserve(out, need));
    uint8_t *o = out->ptr + out->len;
    size_t i = 0;
    for (; i + 3 <= in.len; i += 3, o += 4) {
        uint32_t w = (uint32_t)in.ptr[i] << 16 | (uint32_t)in.ptr[i + 1] << 8 | in.ptr[i + 2];
        o[0] = enc6(w >> 18);
        o[1] = enc6((w >> 12) & 63);
        o[2] = enc6((w >> 6) & 63);
        o[3] = enc6(w & 63);
    }
    if (i < in.len) {
        uint32_t w = (uint32_t)in.ptr[i] << 16;
        if (i + 1 < in.len)
            w |= (uint32_t)in.ptr[i + 1] << 8;
        o[0] = enc6(w >> 18);
        o[1] = enc6((w >> 12) & 63);
        o[2] = i + 1 < in.len ? enc6((w >> 6) & 63) : '=';
        o[3] = '=';
    }
    out->len += need;
    return NW_OK;
}

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Decode the quantum q (4 characters, padding already checked) into o; returns bit 8 on junk. */
static uint32_t quantum(uint8_t o[3], const uint8_t q[4], size_t pad)
{
    uint32_t a = dec6(q[0]), b = dec6(q[1]);
    uint32_t c = pad >= 2 ? 0 : dec6(q[2]), d = pad >= 1 ? 0 : dec6(q[3]);
    uint32_t bad = (a | b | c | d) & 0x100u;
    uint32_t w = (a & 63) << 18 | (b & 63) << 12 | (c & 63) << 6 | (d & 63);
    /* canonical: the bits a padded quantum does not carry must be zero */
    if (pad == 2)
        bad |= MASK((w & 0xffffu) != 0) & 0x100u;
    if (pad == 1)
        bad |= MASK((w & 0xffu) != 0) & 0x100u;
    o[0] = (uint8_t)(w >> 16);
    o[1] = (uint8_t)(w >> 8);
    o[2] = (uint8_t)w;
    return bad;
}

nw_err nw_base64_decode(struct nw_buf *out, struct nw_cur in, bool skip_space)
{
    uint8_t q[4];
    size_t nq = 0, start = out->len, pad = 0;
    uint32_t bad = 0;
    bool done = false;
    nw_err err = NW_OK;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t ch = in.ptr[i];
        if (skip_space && is_space(ch))
            continue;
        NW_CHECK_COND(!done, NW_ERR_BASE64); /* text after the padding */
        q[nq++] = ch;
        if (nq < 4)
            continue;
        nq = 0;
        pad = q[3] == '=' ? (q[2] == '=' ? 2 : 1) : 0;
        NW_CHECK_COND(q[0] != '=' && q[1] != '=' && (pad == 2 || q[2] != '='), NW_ERR_BASE64);
        done = pad > 0;
        NW_CHECK(nw_buf_reserve(out, 3));
        bad |= quantum(out->ptr + out->len, q, pad);
        out->len += 3 - pad;
    }
    NW_CHECK_COND(nq == 0 && bad == 0, NW_ERR_BASE64);
out:
    nw_wipe(q, sizeof(q));
    if (err != NW_OK && out->ptr != NULL) {
        nw_wipe(out->ptr + start, out->cap - start); /* a partial last quantum too */
        out->len = start;
    }
    return err;
}

void nw_uuid4_format(char out[37], const uint8_t random16[16])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t b[16];
    memcpy(b, random16, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = digits[b[i] >> 4];
        out[o++] = digits[b[i] & 15];
    }
    out[o] = '\0';
}

/*
 * Hex encoding and decoding.
 */
#include <nw/hex.h>
#include <nw/mem.h>

static const char digits[] = "0123456789abcdef";

int nw_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

nw_err nw_hex_encode(char *out, size_t out_len, const uint8_t *in, size_t n, bool prefix0x)
{
    size_t pre = prefix0x ? 2 : 0;
    if (out_len == 0)
        return NW_ERR_INVALID_ARG;
    if (n > (SIZE_MAX - pre - 1) / 2 || out_len < 2 * n + pre + 1) {
        out[0] = '\0';
        return NW_ERR_INVALID_ARG;
    }
    char *o = out;
    if (prefix0x) {
        *o++ = '0';
        *o++ = 'x';
    }
    for (size_t i = 0; i < n; i++) {
        *o++ = digits[in[i] >> 4];
        *o++ = digits[in[i] & 15];
    }
    *o = '\0';
    return NW_OK;
}

static bool has_0x(struct nw_cur t)
{
    return t.len >= 2 && t.ptr[0] == '0' && (t.ptr[1] == 'x' || t.ptr[1] == 'X');
}

static nw_err strip_prefix(struct nw_cur *t, bool need0x)
{
    if (has_0x(*t)) {
        t->ptr += 2;
        t->len -= 2;
    } else if (need0x) {
        return NW_ERR_HEX_PREFIX;
    }
    if (t->len % 2 != 0)
        return NW_ERR_HEX_ODD;
    return NW_OK;
}

nw_err nw_hex_decode_fixed(uint8_t *out, size_t out_len, struct nw_cur text, bool need0x)
{
    nw_err err = strip_prefix(&text, need0x);
    if (err == NW_OK && text.len != 2 * out_len)
        err = NW_ERR_INVALID_ARG;
    for (size_t i = 0; err == NW_OK && i < out_len; i++) {
        int hi = nw_hex_digit(text.ptr[2 * i]);
        int lo = nw_hex_digit(text.ptr[2 * i + 1]);
        if (hi < 0 || lo < 0)
            err = NW_ERR_HEX_CHAR;
        else
            out[i] = (uint8_t)(hi << 4 | lo);
    }
    if (err != NW_OK)
        nw_wipe(out, out_len);
    return err;
}

nw_err nw_hex_decode_buf(struct nw_buf *b, struct nw_cur text, bool need0x)
{
    NW_TRY(strip_prefix(&text, need0x));
    size_t n = text.len / 2;
    for (size_t i = 0; i < text.len; i++) {
        if (nw_hex_digit(text.ptr[i]) < 0)
            return NW_ERR_HEX_CHAR;
    }
    NW_TRY(nw_buf_reserve(b, n));
    for (size_t i = 0; i < n; i++) {
        b->ptr[b->len + i] =
            (uint8_t)((unsigned)nw_hex_digit(text.ptr[2 * i]) << 4 |
                      (unsigned)nw_hex_digit(text.ptr[2 * i + 1])); /* digits checked above */
    }
    b->len += n;
    return NW_OK;
}

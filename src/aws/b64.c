/*
 * Standard base64 with padding (RFC 4648 section 4), as AWS JSON protocols carry blobs.
 * OpenSSL does the arithmetic; this file adds strict validation around EVP_DecodeBlock, which
 * by itself skips whitespace and reports padding bytes as data.
 */
#include <openssl/evp.h>
#include <string.h>

#include <nw/mem.h>

#include "aws_int.h"

nw_err nw_aws_b64_encode(struct nw_buf *out, struct nw_cur in)
{
    if (in.len > (SIZE_MAX - 1) / 4 * 3 - 3)
        return NW_ERR_TOO_LARGE;
    size_t need = (in.len + 2) / 3 * 4;
    NW_TRY(nw_buf_reserve(out, need + 1));
    int n =
        EVP_EncodeBlock(out->ptr + out->len, in.len ? in.ptr : (const uint8_t *)"", (int)in.len);
    if (n < 0 || (size_t)n != need)
        return NW_ERR_CRYPTO;
    out->len += need;
    return NW_OK;
}

static bool b64_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

nw_err nw_aws_b64_decode(struct nw_buf *out, struct nw_cur in)
{
    if (in.len == 0)
        return NW_OK;
    if (in.len % 4 != 0 || in.len > INT32_MAX)
        return NW_ERR_AWS_RESPONSE;
    size_t pad = 0;
    if (in.ptr[in.len - 1] == '=')
        pad++;
    if (in.ptr[in.len - 2] == '=')
        pad++;
    for (size_t i = 0; i < in.len - pad; i++)
        if (!b64_char(in.ptr[i]))
            return NW_ERR_AWS_RESPONSE;
    size_t raw = in.len / 4 * 3;
    NW_TRY(nw_buf_reserve(out, raw));
    int n = EVP_DecodeBlock(out->ptr + out->len, in.ptr, (int)in.len);
    if (n < 0 || (size_t)n != raw) {
        nw_wipe(out->ptr + out->len, raw);
        return NW_ERR_AWS_RESPONSE;
    }
    out->len += raw - pad;
    nw_wipe(out->ptr + out->len, pad);
    return NW_OK;
}

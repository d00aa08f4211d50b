/*
 * The JSON answers of the signing operations (<nw/answer.h>). Every value is hex, a quantity
 * or an EIP-55 address, so the text is written directly: nothing needs escaping.
 */
#include <nw/answer.h>
#include <nw/ethaddr.h>
#include <nw/hex.h>

/* Append "0x" + hex of n bytes (n <= 65). */
static nw_err put_hex(struct nw_buf *out, const uint8_t *p, size_t n)
{
    char h[2 * 65 + 3];
    NW_ENSURE(n <= 65, NW_ERR_INTERNAL);
    NW_TRY(nw_hex_encode(h, sizeof(h), p, n, true));
    return nw_buf_append_str(out, h);
}

static nw_err put_addr(struct nw_buf *out, const uint8_t addr20[20])
{
    char a[NW_ETHADDR_TEXT_LEN];
    nw_ethaddr_format(a, addr20);
    return nw_buf_append_str(out, a);
}

static nw_err put_quantity(struct nw_buf *out, const struct nw_u256 *v)
{
    char q[67];
    nw_u256_to_quantity(q, v);
    return nw_buf_append_str(out, q);
}

nw_err nw_answer_tx(struct nw_buf *out, const struct nw_tx_signed *st, const uint8_t addr20[20])
{
    NW_TRY(nw_buf_append_str(out, "{\"transaction_signed\":\""));
    char *h = NULL;
    size_t n = 2 * st->raw.len + 3;
    NW_ENSURE(st->raw.len < SIZE_MAX / 2 - 3, NW_ERR_TOO_LARGE);
    NW_TRY(nw_buf_reserve(out, n));
    h = (char *)out->ptr + out->len;
    NW_TRY(nw_hex_encode(h, n, st->raw.ptr, st->raw.len, true));
    out->len += n - 1;
    NW_TRY(nw_buf_append_str(out, "\",\"transaction_hash\":\""));
    NW_TRY(put_hex(out, st->hash32, 32));
    NW_TRY(nw_buf_append_str(out, "\",\"address\":\""));
    NW_TRY(put_addr(out, addr20));
    return nw_buf_append_str(out, "\"}");
}

nw_err nw_answer_sig(struct nw_buf *out,
                     const uint8_t sig65[65],
                     const uint8_t hash32[32],
                     const uint8_t addr20[20])
{
    NW_TRY(nw_buf_append_str(out, "{\"signature\":\""));
    NW_TRY(put_hex(out, sig65, 65));
    NW_TRY(nw_buf_append_str(out, "\",\"address\":\""));
    NW_TRY(put_addr(out, addr20));
    NW_TRY(nw_buf_append_str(out, "\",\"hash\":\""));
    NW_TRY(put_hex(out, hash32, 32));
    return nw_buf_append_str(out, "\"}");
}

nw_err nw_answer_auth(struct nw_buf *out,
                      const struct nw_auth *auth,
                      const struct nw_sig *sig,
                      const uint8_t hash32[32],
                      const uint8_t signer20[20])
{
    struct nw_u256 nonce = nw_u256_from_u64(auth->nonce), y = nw_u256_from_u64(sig->b[64]), r, s;
    NW_TRY(nw_u256_from_be(&r, nw_cur_of(sig->b, 32)));
    NW_TRY(nw_u256_from_be(&s, nw_cur_of(sig->b + 32, 32)));
    NW_TRY(nw_buf_append_str(out, "{\"chainId\":\""));
    NW_TRY(put_quantity(out, &auth->chain_id));
    NW_TRY(nw_buf_append_str(out, "\",\"address\":\""));
    NW_TRY(put_addr(out, auth->address));
    NW_TRY(nw_buf_append_str(out, "\",\"nonce\":\""));
    NW_TRY(put_quantity(out, &nonce));
    NW_TRY(nw_buf_append_str(out, "\",\"yParity\":\""));
    NW_TRY(put_quantity(out, &y));
    NW_TRY(nw_buf_append_str(out, "\",\"r\":\""));
    NW_TRY(put_quantity(out, &r));
    NW_TRY(nw_buf_append_str(out, "\",\"s\":\""));
    NW_TRY(put_quantity(out, &s));
    NW_TRY(nw_buf_append_str(out, "\",\"authorizationHash\":\""));
    NW_TRY(put_hex(out, hash32, 32));
    NW_TRY(nw_buf_append_str(out, "\",\"signer\":\""));
    NW_TRY(put_addr(out, signer20));
    return nw_buf_append_str(out, "\"}");
}

void nw_wei_to_ether_text(char out[81], const struct nw_u256 *wei)
{
    char dec[79];
    nw_u256_to_dec(dec, wei);
    size_t n = strlen(dec), o = 0;
    /* 1 ether = 10^18 wei: the last 18 digits are the fraction */
    if (n <= 18) {
        out[o++] = '0';
    } else {
        memcpy(out, dec, n - 18);
        o = n - 18;
    }
    size_t frac_digits = n < 18 ? n : 18;
    char frac[19];
    memset(frac, '0', 18);
    memcpy(frac + (18 - frac_digits), dec + (n - frac_digits), frac_digits);
    size_t flen = 18;
    while (flen > 0 && frac[flen - 1] == '0')
        flen--;
    if (flen > 0) {
        out[o++] = '.';
        memcpy(out + o, frac, flen);
        o += flen;
    }
    out[o] = '\0';
}

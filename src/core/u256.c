/*
 * Exact 256-bit unsigned arithmetic: just enough for quantities, ether -> wei and RLP.
 */
#include <nw/hex.h>
#include <nw/u256.h>

/* 128-bit intermediates for carries; __extension__ keeps -Wpedantic quiet. */
__extension__ typedef unsigned __int128 u128;

bool nw_u256_is_zero(const struct nw_u256 *a)
{
    return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0;
}

int nw_u256_cmp(const struct nw_u256 *a, const struct nw_u256 *b)
{
    for (int i = 3; i >= 0; i--) {
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i] ? -1 : 1;
    }
    return 0;
}

bool nw_u256_to_u64(const struct nw_u256 *a, uint64_t *out)
{
    if ((a->w[1] | a->w[2] | a->w[3]) != 0)
        return false;
    *out = a->w[0];
    return true;
}

nw_err nw_u256_add(struct nw_u256 *r, const struct nw_u256 *a, const struct nw_u256 *b)
{
    struct nw_u256 t;
    unsigned carry = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t s = a->w[i] + b->w[i];
        unsigned c1 = s < a->w[i];
        uint64_t s2 = s + carry;
        unsigned c2 = s2 < s;
        t.w[i] = s2;
        carry = c1 | c2;
    }
    if (carry) {
        *r = nw_u256_from_u64(0);
        return NW_ERR_INT_OVERFLOW;
    }
    *r = t;
    return NW_OK;
}

nw_err nw_u256_mul_u64(struct nw_u256 *r, const struct nw_u256 *a, uint64_t m)
{
    struct nw_u256 t;
    u128 carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 p = (u128)a->w[i] * m + carry;
        t.w[i] = (uint64_t)p;
        carry = p >> 64;
    }
    if (carry != 0) {
        *r = nw_u256_from_u64(0);
        return NW_ERR_INT_OVERFLOW;
    }
    *r = t;
    return NW_OK;
}

void nw_u256_to_be32(uint8_t out32[32], const struct nw_u256 *a)
{
    for (int i = 0; i < 32; i++)
        out32[31 - i] = (uint8_t)(a->w[i / 8] >> (8 * (i % 8)));
}

nw_err nw_u256_from_be(struct nw_u256 *r, struct nw_cur be)
{
    *r = nw_u256_from_u64(0);
    NW_ENSURE(be.len <= 32, NW_ERR_INT_OVERFLOW);
    for (size_t i = 0; i < be.len; i++) {
        size_t bit = 8 * (be.len - 1 - i);
        r->w[bit / 64] |= (uint64_t)be.ptr[i] << (bit % 64);
    }
    return NW_OK;
}

size_t nw_u256_to_be_min(uint8_t out32[32], const struct nw_u256 *a)
{
    uint8_t full[32];
    nw_u256_to_be32(full, a);
    size_t skip = 0;
    while (skip < 32 && full[skip] == 0)
        skip++;
    memcpy(out32, full + skip, 32 - skip);
    return 32 - skip;
}

nw_err nw_u256_parse_hex(struct nw_u256 *r, struct nw_cur text)
{
    *r = nw_u256_from_u64(0);
    if (text.len < 2 || text.ptr[0] != '0' || (text.ptr[1] != 'x' && text.ptr[1] != 'X'))
        return NW_ERR_HEX_PREFIX;
    text.ptr += 2;
    text.len -= 2;
    NW_ENSURE(text.len > 0, NW_ERR_INT_FORMAT);
    /* Leading zeros do not count toward the 64-digit limit. */
    while (text.len > 1 && text.ptr[0] == '0') {
        text.ptr++;
        text.len--;
    }
    struct nw_u256 t = nw_u256_from_u64(0);
    for (size_t i = 0; i < text.len; i++) {
        int d = nw_hex_digit(text.ptr[i]);
        if (d < 0)
            return NW_ERR_HEX_CHAR;
    }
    if (text.len > 64)
        return NW_ERR_INT_OVERFLOW;
    for (size_t i = 0; i < text.len; i++) {
        size_t bit = 4 * (text.len - 1 - i);
        t.w[bit / 64] |= (uint64_t)nw_hex_digit(text.ptr[i]) << (bit % 64);
    }
    *r = t;
    return NW_OK;
}

nw_err nw_u256_parse_dec(struct nw_u256 *r, struct nw_cur text)
{
    *r = nw_u256_from_u64(0);
    NW_ENSURE(text.len > 0, NW_ERR_INT_FORMAT);
    struct nw_u256 t = nw_u256_from_u64(0);
    for (size_t i = 0; i < text.len; i++) {
        if (text.ptr[i] < '0' || text.ptr[i] > '9')
            return NW_ERR_INT_FORMAT;
    }
    for (size_t i = 0; i < text.len; i++) {
        struct nw_u256 d = nw_u256_from_u64((uint64_t)(text.ptr[i] - '0'));
        NW_TRY(nw_u256_mul_u64(&t, &t, 10));
        NW_TRY(nw_u256_add(&t, &t, &d));
    }
    *r = t;
    return NW_OK;
}

/* Divide in place by a small divisor, returning the remainder. */
static uint32_t divmod_small(struct nw_u256 *a, uint32_t d)
{
    u128 rem = 0;
    for (int i = 3; i >= 0; i--) {
        u128 cur = rem << 64 | a->w[i];
        a->w[i] = (uint64_t)(cur / d);
        rem = cur % d;
    }
    return (uint32_t)rem;
}

void nw_u256_to_dec(char out[79], const struct nw_u256 *a)
{
    char tmp[79];
    size_t n = 0;
    struct nw_u256 t = *a;
    do {
        tmp[n++] = (char)('0' + divmod_small(&t, 10));
    } while (!nw_u256_is_zero(&t));
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

void nw_u256_to_quantity(char out[67], const struct nw_u256 *a)
{
    static const char digits[] = "0123456789abcdef";
    uint8_t be[32];
    nw_u256_to_be32(be, a);
    size_t o = 0;
    out[o++] = '0';
    out[o++] = 'x';
    bool started = false;
    for (size_t i = 0; i < 64; i++) {
        unsigned nib = (i % 2 == 0) ? be[i / 2] >> 4 : be[i / 2] & 15u;
        if (nib != 0)
            started = true;
        if (started)
            out[o++] = digits[nib];
    }
    if (!started)
        out[o++] = '0';
    out[o] = '\0';
}

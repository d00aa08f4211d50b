/*
 * Integer and ether-amount parsing for JSON requests; see <nw/quantity.h> for the rules and
 * core_int.h for the jansson-facing wrappers.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <nw/quantity.h>

#include "core_int.h"

nw_err nw_quantity_parse(struct nw_u256 *v, struct nw_cur text)
{
    *v = nw_u256_from_u64(0);
    NW_ENSURE(text.len > 0, NW_ERR_INT_FORMAT);
    NW_ENSURE(text.ptr[0] != '-', NW_ERR_INT_NEGATIVE);
    if (text.len >= 2 && text.ptr[0] == '0' && (text.ptr[1] == 'x' || text.ptr[1] == 'X'))
        return nw_u256_parse_hex(v, text);
    bool digits = true;
    for (size_t i = 0; i < text.len; i++)
        digits &= text.ptr[i] >= '0' && text.ptr[i] <= '9';
    return digits ? NW_ERR_INT_AMBIGUOUS : NW_ERR_INT_FORMAT;
}

/* 10^n for n <= 19. */
static uint64_t pow10_u64(unsigned n)
{
    uint64_t p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

/* v *= 10^n, exactly. */
static nw_err mul_pow10(struct nw_u256 *v, uint64_t n)
{
    while (n > 0) {
        unsigned step = n > 19 ? 19 : (unsigned)n;
        NW_TRY(nw_u256_mul_u64(v, v, pow10_u64(step)));
        if (nw_u256_is_zero(v))
            return NW_OK;
        n -= step;
    }
    return NW_OK;
}

/* Bound on the exponent's magnitude: beyond it any non-zero amount overflows or is a fraction. */
#define EXP_LIMIT 100000

struct decimal {
    struct nw_cur int_digits;  /* before the point */
    struct nw_cur frac_digits; /* after the point */
    long exp;                  /* the exponent part, saturated when too long */
};

static nw_err split_decimal(struct decimal *d, struct nw_cur t)
{
    size_t i = 0;
    memset(d, 0, sizeof(*d));
    NW_ENSURE(t.len > 0, NW_ERR_VALUE_FORMAT);
    NW_ENSURE(t.ptr[0] != '-', NW_ERR_INT_NEGATIVE);
    d->int_digits.ptr = t.ptr;
    while (i < t.len && t.ptr[i] >= '0' && t.ptr[i] <= '9')
        i++;
    d->int_digits.len = i;
    if (i < t.len && t.ptr[i] == '.') {
        i++;
        d->frac_digits.ptr = t.ptr + i;
        while (i < t.len && t.ptr[i] >= '0' && t.ptr[i] <= '9')
            i++;
        d->frac_digits.len = (size_t)(t.ptr + i - d->frac_digits.ptr);
    }
    NW_ENSURE(d->int_digits.len + d->frac_digits.len > 0, NW_ERR_VALUE_FORMAT);
    if (i < t.len && (t.ptr[i] == 'e' || t.ptr[i] == 'E')) {
        i++;
        bool neg = false;
        if (i < t.len && (t.ptr[i] == '+' || t.ptr[i] == '-'))
            neg = t.ptr[i++] == '-';
        size_t start = i;
        long e = 0;
        bool big = false;
        while (i < t.len && t.ptr[i] >= '0' && t.ptr[i] <= '9') {
            if (e < 10L * EXP_LIMIT)
                e = e * 10 + (t.ptr[i] - '0');
            else
                big = true;
            i++;
        }
        NW_ENSURE(i > start, NW_ERR_VALUE_FORMAT);
        /* Too long to hold: saturate far beyond any digit count, so only zero survives (a
         * clamped exponent could cancel against a million fraction digits). */
        if (big)
            e = LONG_MAX / 4;
        d->exp = neg ? -e : e;
    }
    NW_ENSURE(i == t.len, NW_ERR_VALUE_FORMAT);
    return NW_OK;
}

/*
 * value = 0.digits... : collect the significant digits (int then frac), strip leading and
 * trailing zeros, and track the power of ten that scales them to wei (10^18 per ether).
 */
static nw_err decimal_to_wei(struct nw_u256 *wei, const struct decimal *d)
{
    char sig[160];
    size_t n = 0;
    long scale = d->exp + 18 - (long)d->frac_digits.len;
    bool leading = true;
    for (size_t k = 0; k < d->int_digits.len + d->frac_digits.len; k++) {
        uint8_t ch = k < d->int_digits.len ? d->int_digits.ptr[k]
                                           : d->frac_digits.ptr[k - d->int_digits.len];
        if (leading && ch == '0')
            continue;
        leading = false;
        /* More than 78 significant digits overflow unless they end in zeros; keep counting. */
        if (n < sizeof(sig))
            sig[n++] = (char)ch;
        else if (ch != '0')
            return scale < 0 ? NW_ERR_VALUE_FRACTION_WEI : NW_ERR_INT_OVERFLOW;
        else
            scale++;
    }
    while (n > 0 && sig[n - 1] == '0') {
        n--;
        scale++;
    }
    if (n == 0)
        return NW_OK; /* zero, whatever the exponent */
    NW_ENSURE(scale >= 0, NW_ERR_VALUE_FRACTION_WEI);
    NW_ENSURE(n + (size_t)scale <= 78, NW_ERR_INT_OVERFLOW);
    struct nw_u256 v;
    NW_TRY(nw_u256_parse_dec(&v, nw_cur_of(sig, n)));
    NW_TRY(mul_pow10(&v, (uint64_t)scale));
    *wei = v;
    return NW_OK;
}

nw_err nw_ether_text_to_wei(struct nw_u256 *wei, struct nw_cur text)
{
    struct decimal d;
    *wei = nw_u256_from_u64(0);
    NW_TRY(split_decimal(&d, text));
    nw_err err = decimal_to_wei(wei, &d);
    if (err != NW_OK)
        *wei = nw_u256_from_u64(0);
    return err;
}

void nw_double_shortest(char out[32], double d)
{
    for (int prec = 1; prec <= 17; prec++) {
        (void)snprintf(out, 32, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            return;
    }
}

/*
 * Fast path for the usual amounts (0.01, 1.5, 250): find the fewest decimal places k <= 18 such
 * that an integer m < 10^15 gives m / 10^k == d. Both m and 10^k are exact doubles, so the IEEE
 * division is the correctly rounded value of the decimal m * 10^-k, exactly what strtod would
 * read. Decimals of at most 15 significant digits map to distinct doubles (DBL_DIG), so the one
 * found has the value of the shortest round-trip text. Returns false to fall back to the text
 * path (more digits, or a fraction of a wei).
 */
static bool ether_double_fast(struct nw_u256 *wei, double d)
{
    static const double p10[19] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                   1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
    for (unsigned k = 0; k <= 18; k++) {
        double x = d * p10[k];
        if (!(x < 1e15))
            return false;
        /* x < 2^50, so x + 0.5 is exact and the conversion rounds half up. */
        double m = (double)(uint64_t)(x + 0.5);
        if (m / p10[k] == d) {
            struct nw_u256 v = nw_u256_from_u64((uint64_t)m);
            if (nw_u256_mul_u64(&v, &v, (uint64_t)p10[18 - k]) != NW_OK)
                return false;
            *wei = v;
            return true;
        }
    }
    return false;
}

nw_err nw_ether_double_to_wei(struct nw_u256 *wei, double ether)
{
    char text[32];
    *wei = nw_u256_from_u64(0);
    NW_ENSURE(isfinite(ether), NW_ERR_VALUE_FORMAT);
    NW_ENSURE(!(ether < 0), NW_ERR_INT_NEGATIVE);
    if (ether == 0)
        return NW_OK; /* also -0.0 */
    if (ether_double_fast(wei, ether))
        return NW_OK;
    nw_double_shortest(text, ether);
    return nw_ether_text_to_wei(wei, nw_cur_str(text));
}

/*
 * A decimal's value as (significant digits without leading or trailing zeros, power of ten):
 * value = 0.sig * 10^point. Two decimal texts have the same value exactly when their forms
 * are equal, which is how a JSON literal is compared with the double it becomes.
 */
struct norm {
    char sig[24];
    size_t n;   /* significant digits (only the first sizeof(sig) are kept) */
    long point; /* exponent of 0.sig */
};

static void normalize(struct norm *m, const struct decimal *d)
{
    long pos = (long)d->int_digits.len; /* position of the point among all digits */
    bool leading = true;
    size_t zeros = 0; /* pending zeros inside the digits */
    memset(m, 0, sizeof(*m));
    for (size_t k = 0; k < d->int_digits.len + d->frac_digits.len; k++) {
        uint8_t ch = k < d->int_digits.len ? d->int_digits.ptr[k]
                                           : d->frac_digits.ptr[k - d->int_digits.len];
        if (leading && ch == '0') {
            pos--;
            continue;
        }
        leading = false;
        if (ch == '0') {
            zeros++;
            continue;
        }
        for (; zeros > 0; zeros--, m->n++)
            if (m->n < sizeof(m->sig))
                m->sig[m->n] = '0';
        if (m->n < sizeof(m->sig))
            m->sig[m->n] = (char)ch;
        m->n++;
    }
    m->point = m->n == 0 ? 0 : pos + d->exp;
}

static bool norm_equal(const struct norm *a, const struct norm *b)
{
    return a->n == b->n && a->point == b->point &&
           memcmp(a->sig, b->sig, a->n < sizeof(a->sig) ? a->n : sizeof(a->sig)) == 0;
}

/*
 * The exactness rule for a JSON float in ether (web3 reads it as a double, then as the
 * double's shortest decimal). With at most 15 significant digits and a normal exponent, the
 * literal is itself that shortest decimal (DBL_DIG: such decimals survive the round trip and
 * map to distinct doubles), so no conversion is needed. Otherwise the double is computed and its
 * shortest text compared with the literal.
 */
static nw_err check_exact(const struct norm *lit)
{
    char text[48], shortest[32];
    struct decimal d;
    struct norm back;
    if (lit->n == 0 || (lit->n <= 15 && lit->point > -290 && lit->point < 290))
        return NW_OK;
    if (lit->n > 17)
        return NW_ERR_ETHER_IMPRECISE; /* a shortest round-trip decimal has at most 17 digits */
    if (lit->point > 400)
        return NW_ERR_JSON_NUMBER_TOO_BIG;
    if (lit->point < -400)
        return NW_ERR_ETHER_IMPRECISE; /* underflows to zero */
    (void)snprintf(text, sizeof(text), "0.%.*se%ld", (int)lit->n, lit->sig, lit->point);
    double v = strtod(text, NULL);
    if (!isfinite(v))
        return NW_ERR_JSON_NUMBER_TOO_BIG;
    if (v == 0)
        return NW_ERR_ETHER_IMPRECISE;
    nw_double_shortest(shortest, v);
    NW_TRY(split_decimal(&d, nw_cur_str(shortest)));
    normalize(&back, &d);
    return norm_equal(lit, &back) ? NW_OK : NW_ERR_ETHER_IMPRECISE;
}

nw_err nw_ether_json_number_to_wei(struct nw_u256 *wei, struct nw_cur literal)
{
    struct decimal d;
    struct norm lit;
    bool is_float = false;
    *wei = nw_u256_from_u64(0);
    NW_ENSURE(literal.len > 0, NW_ERR_VALUE_FORMAT);
    for (size_t i = 0; i < literal.len; i++)
        is_float |= literal.ptr[i] == '.' || literal.ptr[i] == 'e' || literal.ptr[i] == 'E';
    if (literal.ptr[0] == '-') {
        /* -0 and -0.0 are zero, as a double reads them; anything else is negative. */
        NW_TRY(split_decimal(&d, nw_cur_of(literal.ptr + 1, literal.len - 1)));
        normalize(&lit, &d);
        return lit.n == 0 ? NW_OK : NW_ERR_INT_NEGATIVE;
    }
    if (is_float) {
        NW_TRY(split_decimal(&d, literal));
        normalize(&lit, &d);
        NW_TRY(check_exact(&lit));
    }
    return nw_ether_text_to_wei(wei, literal);
}

void nw_wei_to_ether_text(char out[82], const struct nw_u256 *wei)
{
    char dec[79];
    nw_u256_to_dec(dec, wei);
    size_t n = strlen(dec), o = 0;
    if (n <= 18) {
        out[o++] = '0';
        if (n > 0 && !(n == 1 && dec[0] == '0')) {
            out[o++] = '.';
            for (size_t z = n; z < 18; z++)
                out[o++] = '0';
            memcpy(out + o, dec, n);
            o += n;
        }
    } else {
        memcpy(out, dec, n - 18);
        o = n - 18;
        out[o++] = '.';
        memcpy(out + o, dec + n - 18, 18);
        o += 18;
    }
    /* Drop trailing zeros of the fraction, and the point when nothing is left after it. */
    if (memchr(out, '.', o) != NULL) {
        while (out[o - 1] == '0')
            o--;
        if (out[o - 1] == '.')
            o--;
    }
    out[o] = '\0';
}

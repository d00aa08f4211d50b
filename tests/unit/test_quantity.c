/*
 * Integers and ether amounts from JSON requests (DESIGN.md section 4): 0x quantities, the
 * refusal of ambiguous and negative forms, and exact ether -> wei conversion.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nw/quantity.h>

#include "nwtest.h"

static const char *dec(const struct nw_u256 *v)
{
    static char out[79];
    nw_u256_to_dec(out, v);
    return out;
}

static void test_quantity(void **state)
{
    (void)state;
    struct nw_u256 v;
    assert_int_equal(nw_quantity_parse(&v, nw_cur_str("0x1f")), NW_OK);
    assert_string_equal(dec(&v), "31");
    assert_int_equal(nw_quantity_parse(&v, nw_cur_str("0x0")), NW_OK);
    assert_true(nw_u256_is_zero(&v));
    assert_int_equal(nw_quantity_parse(&v, nw_cur_str("0x0000001")), NW_OK);
    assert_string_equal(dec(&v), "1");
    assert_int_equal(
        nw_quantity_parse(&v, nw_cur_str("0xffffffffffffffffffffffffffffffffffffffffffffffffffffff"
                                         "ffffffffff")),
        NW_OK);
    assert_string_equal(dec(&v), "115792089237316195423570985008687907853269984665640564039457584"
                                 "007913129639935");
    /* Errors. */
    assert_int_equal(nw_quantity_parse(&v, nw_cur_str("21000")), NW_ERR_INT_AMBIGUOUS);
    assert_int_equal(nw_quantity_parse(&v, nw_cur_str("0")), NW_ERR_INT_AMBIGUOUS);
    assert_int_equal(nw_quantity_parse(&v, nw_cur_str("-1")), NW_ERR_INT_NEGATIVE);
    assert_int_equal(nw_quantity_parse(&v, nw_cur_str("-0x1")), NW_ERR_INT_NEGATIVE);
    assert_int_equal(nw_quantity_parse(&v, nw_cur_str("")), NW_ERR_INT_FORMAT);
    assert_int_equal(nw_quantity_parse(&v, nw_cur_str("0x")), NW_ERR_INT_FORMAT);
    assert_int_equal(nw_quantity_parse(&v, nw_cur_str("1.5")), NW_ERR_INT_FORMAT);
    assert_int_equal(nw_quantity_parse(&v, nw_cur_str("abc")), NW_ERR_INT_FORMAT);
    assert_int_equal(nw_quantity_parse(&v, nw_cur_str("0xg")), NW_ERR_HEX_CHAR);
    assert_int_equal(
        nw_quantity_parse(&v, nw_cur_str("0x1ffffffffffffffffffffffffffffffffffffffffffffffffffff"
                                         "ffffffffffff")),
        NW_ERR_INT_OVERFLOW);
}

static void ether_ok(const char *text, const char *wei)
{
    struct nw_u256 v;
    assert_int_equal(nw_ether_text_to_wei(&v, nw_cur_str(text)), NW_OK);
    assert_string_equal(dec(&v), wei);
}

static void ether_err(const char *text, nw_err code)
{
    struct nw_u256 v = nw_u256_from_u64(7);
    assert_int_equal(nw_ether_text_to_wei(&v, nw_cur_str(text)), code);
    assert_true(nw_u256_is_zero(&v));
}

static void test_ether_text(void **state)
{
    (void)state;
    ether_ok("1", "1000000000000000000");
    ether_ok("0", "0");
    ether_ok("0.01", "10000000000000000");
    ether_ok("0.0001", "100000000000000");
    ether_ok("0.000000001", "1000000000");
    ether_ok("0.000000000000000001", "1");
    ether_ok("1e-3", "1000000000000000");
    ether_ok("1E-18", "1");
    ether_ok("2.5E+2", "250000000000000000000");
    ether_ok(".5", "500000000000000000");
    ether_ok("5.", "5000000000000000000");
    ether_ok("007.50", "7500000000000000000");
    ether_ok("1.000000000000000000000000000000", "1000000000000000000");
    ether_ok("0e999999999999999", "0");
    ether_ok("0.0e-5", "0");
    ether_ok("123456789.123456789123456789", "123456789123456789123456789");
    ether_ok("1000000000000000000000000000000000000000000000000000000000000e-60",
             "1000000000000000000");
    /* (2^256 - 1) wei exactly, and one wei more. */
    ether_ok("115792089237316195423570985008687907853269984665640564039457.584007913129639935",
             "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    ether_err("115792089237316195423570985008687907853269984665640564039457.584007913129639936",
              NW_ERR_INT_OVERFLOW);
    ether_err("1e60", NW_ERR_INT_OVERFLOW);
    ether_err("1e99999999999999999999", NW_ERR_INT_OVERFLOW);
    ether_err("0.0000000000000000001", NW_ERR_VALUE_FRACTION_WEI);
    ether_err("1.0000000000000000001", NW_ERR_VALUE_FRACTION_WEI);
    ether_err("1e-19", NW_ERR_VALUE_FRACTION_WEI);
    ether_err("1e-99999999999999999999", NW_ERR_VALUE_FRACTION_WEI);
    ether_err("-1", NW_ERR_INT_NEGATIVE);
    ether_err("-0.5", NW_ERR_INT_NEGATIVE);
    ether_err("", NW_ERR_VALUE_FORMAT);
    ether_err(".", NW_ERR_VALUE_FORMAT);
    ether_err("e5", NW_ERR_VALUE_FORMAT);
    ether_err("1e", NW_ERR_VALUE_FORMAT);
    ether_err("1e+", NW_ERR_VALUE_FORMAT);
    ether_err("1.2.3", NW_ERR_VALUE_FORMAT);
    ether_err("0x10", NW_ERR_VALUE_FORMAT);
    ether_err(" 1", NW_ERR_VALUE_FORMAT);
    ether_err("1 ", NW_ERR_VALUE_FORMAT);
    ether_err("+1", NW_ERR_VALUE_FORMAT);
    ether_err("NaN", NW_ERR_VALUE_FORMAT);
    ether_err("Infinity", NW_ERR_VALUE_FORMAT);
    ether_err("1_000", NW_ERR_VALUE_FORMAT);
}

static void double_ok(double d, const char *wei)
{
    struct nw_u256 v;
    assert_int_equal(nw_ether_double_to_wei(&v, d), NW_OK);
    assert_string_equal(dec(&v), wei);
}

/*
 * An exponent too long to hold must not be clamped into a plausible one: with a million
 * fraction digits, "0.0..01e10000000" once came out as 1 ether (true value 10^9000000), and
 * "10..0e-10000000" as 1 ether too (true value 10^-9000000).
 */
static void test_ether_exponent_saturates(void **state)
{
    (void)state;
    const size_t zeros = 1000000;
    char *t = malloc(zeros + 32);
    assert_non_null(t);
    memcpy(t, "0.", 2);
    memset(t + 2, '0', zeros - 1);
    (void)snprintf(t + 2 + zeros - 1, 30, "1e10000000");
    ether_err(t, NW_ERR_INT_OVERFLOW);
    t[0] = '1';
    memset(t + 1, '0', zeros);
    (void)snprintf(t + 1 + zeros, 30, "e-10000000");
    ether_err(t, NW_ERR_VALUE_FRACTION_WEI);
    /* exact exponents up to the bound still count */
    (void)snprintf(t + 1 + zeros, 30, "e-1000000");
    ether_ok(t, "1000000000000000000");
    free(t);
}

static void test_ether_double(void **state)
{
    (void)state;
    char s[32];
    nw_double_shortest(s, 0.01);
    assert_string_equal(s, "0.01");
    nw_double_shortest(s, 0.1 + 0.2);
    assert_string_equal(s, "0.30000000000000004");
    nw_double_shortest(s, 1e21);
    assert_string_equal(s, "1e+21");
    nw_double_shortest(s, 123.456);
    assert_string_equal(s, "123.456");
    double_ok(0.01, "10000000000000000");
    double_ok(0.1 + 0.2, "300000000000000040");
    double_ok(1.5, "1500000000000000000");
    double_ok(1e-18, "1");
    double_ok(1e30, "1000000000000000000000000000000000000000000000000");
    double_ok(-0.0, "0");
    double_ok(1e-5, "10000000000000");
    struct nw_u256 v;
    assert_int_equal(nw_ether_double_to_wei(&v, 1e-19), NW_ERR_VALUE_FRACTION_WEI);
    assert_int_equal(nw_ether_double_to_wei(&v, 1.23456789e-17), NW_ERR_VALUE_FRACTION_WEI);
    assert_int_equal(nw_ether_double_to_wei(&v, -0.5), NW_ERR_INT_NEGATIVE);
    assert_int_equal(nw_ether_double_to_wei(&v, NAN), NW_ERR_VALUE_FORMAT);
    assert_int_equal(nw_ether_double_to_wei(&v, INFINITY), NW_ERR_VALUE_FORMAT);
    assert_int_equal(nw_ether_double_to_wei(&v, -INFINITY), NW_ERR_VALUE_FORMAT);
    assert_int_equal(nw_ether_double_to_wei(&v, 1e60), NW_ERR_INT_OVERFLOW);
}

/* The fast path for doubles agrees with the shortest-text path on many values. */
static void test_ether_double_paths_agree(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 200000; i++) {
        /* xorshift64: a mix of short decimals and arbitrary bit patterns */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        if (i % 2 == 0) {
            double m = (double)(x % 1000000000000000u);
            double p = 1;
            for (uint64_t k = (x >> 50) % 19; k > 0; k--)
                p *= 10;
            d = m / p;
        } else {
            uint64_t bits = (x & 0x000fffffffffffffu) | (uint64_t)(1023 - 40 + (x >> 58) % 64)
                                                            << 52;
            memcpy(&d, &bits, sizeof(d));
        }
        struct nw_u256 fast, slow;
        char text[32];
        nw_err e1 = nw_ether_double_to_wei(&fast, d);
        nw_double_shortest(text, d);
        nw_err e2 = nw_ether_text_to_wei(&slow, nw_cur_str(text));
        if (e1 != e2 || nw_u256_cmp(&fast, &slow) != 0)
            fail_msg("%.17g (%s): %s vs %s", d, text, nw_err_name(e1), nw_err_name(e2));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantity),
        cmocka_unit_test(test_ether_text),
        cmocka_unit_test(test_ether_exponent_saturates),
        cmocka_unit_test(test_ether_double),
        cmocka_unit_test(test_ether_double_paths_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for the foundation modules: err, mem, buf, hex, keccak, u256, sign.
 */
#include <string.h>

#include <nw/buf.h>
#include <nw/err.h>
#include <nw/hex.h>
#include <nw/keccak.h>
#include <nw/mem.h>
#include <nw/sign.h>
#include <nw/u256.h>

#include "nwtest.h"

static void test_err_names(void **state)
{
    (void)state;
    assert_string_equal(nw_err_name(NW_ERR_RLP_NONCANONICAL), "NW_ERR_RLP_NONCANONICAL");
    assert_string_equal(nw_err_code(NW_ERR_RLP_NONCANONICAL), "rlp_noncanonical");
    assert_string_equal(nw_err_code(NW_OK), "ok");
    assert_string_equal(nw_err_name((nw_err)9999), "NW_ERR_UNKNOWN");
    assert_int_equal(NW_ERR_NOMEM, 1);
    assert_int_equal(NW_ERR_RLP_NONCANONICAL, 101);
    struct nw_diag d;
    assert_int_equal(nw_diag_set(&d, NW_ERR_IO, "x=%d", 3), NW_ERR_IO);
    assert_string_equal(d.msg, "x=3");
    assert_int_equal(nw_diag_set(NULL, NW_ERR_IO, "x"), NW_ERR_IO);
}

static void test_buf(void **state)
{
    (void)state;
    struct nw_buf b;
    nw_buf_init(&b, 8, true);
    assert_int_equal(nw_buf_append(&b, "abcd", 4), NW_OK);
    assert_int_equal(nw_buf_appendf(&b, "%d", 1234), NW_OK);
    assert_int_equal(b.len, 8);
    assert_int_equal(nw_buf_append_byte(&b, 'x'), NW_ERR_BUF_FULL);
    assert_int_equal(nw_buf_cstr(&b), NW_OK);
    assert_string_equal((char *)b.ptr, "abcd1234");
    nw_buf_clear(&b);
    assert_null(b.ptr);

    struct nw_cur c = nw_cur_of("\x01\x02\x03\x04\x05\x06\x07", 7);
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    assert_int_equal(nw_cur_u8(&c, &u8), NW_OK);
    assert_int_equal(u8, 1);
    assert_int_equal(nw_cur_u16be(&c, &u16), NW_OK);
    assert_int_equal(u16, 0x0203);
    assert_int_equal(nw_cur_u32be(&c, &u32), NW_OK);
    assert_int_equal(u32, 0x04050607);
    assert_int_equal(nw_cur_u8(&c, &u8), NW_ERR_TRUNCATED);
    struct nw_cur o;
    assert_int_equal(nw_cur_take(&c, &o, 1), NW_ERR_TRUNCATED);

    /* allocation failure surfaces as NW_ERR_NOMEM */
    nw_buf_init(&b, 100, false);
    (void)nw_mem_fail_after(0);
    assert_int_equal(nw_buf_append(&b, "a", 1), NW_ERR_NOMEM);
    (void)nw_mem_fail_after(-1);
    nw_buf_clear(&b);
}

static void test_hex(void **state)
{
    (void)state;
    uint8_t out[2];
    char s[8];
    assert_int_equal(nw_hex_decode_fixed(out, 2, nw_cur_str("0xAbcd"), true), NW_OK);
    assert_int_equal(out[0], 0xab);
    assert_int_equal(nw_hex_encode(s, sizeof(s), out, 2, true), NW_OK);
    assert_string_equal(s, "0xabcd");
    assert_int_equal(nw_hex_encode(s, 4, out, 2, true), NW_ERR_INVALID_ARG);
    assert_int_equal(nw_hex_decode_fixed(out, 2, nw_cur_str("abcd"), true), NW_ERR_HEX_PREFIX);
    assert_int_equal(nw_hex_decode_fixed(out, 2, nw_cur_str("0xabc"), true), NW_ERR_HEX_ODD);
    assert_int_equal(nw_hex_decode_fixed(out, 2, nw_cur_str("0xabcg"), true), NW_ERR_HEX_CHAR);
    assert_int_equal(nw_hex_decode_fixed(out, 2, nw_cur_str("0xab"), true), NW_ERR_INVALID_ARG);
    struct nw_buf b;
    nw_buf_init(&b, 1, false);
    assert_int_equal(nw_hex_decode_buf(&b, nw_cur_str("0102"), false), NW_ERR_BUF_FULL);
    nw_buf_clear(&b);
}

static void test_keccak(void **state)
{
    (void)state;
    uint8_t h[32];
    /* keccak256("") = c5d2...a470 (Ethereum Yellow Paper, the empty-code hash). */
    nw_keccak256(h, "", 0);
    assert_string_equal(nwt_hex(h, 32),
                        "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    /* keccak256("abc") = 4e03657a...d45 (pre-standard Keccak-256 test value). */
    nw_keccak256(h, "abc", 3);
    assert_string_equal(nwt_hex(h, 32),
                        "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    /* Streaming across block boundaries gives the same answer as one shot. */
    uint8_t data[1000], h2[32];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7);
    for (size_t split = 0; split < sizeof(data); split += 67) {
        struct nw_keccak k;
        nw_keccak_init(&k);
        nw_keccak_update(&k, data, split);
        nw_keccak_update(&k, data + split, sizeof(data) - split);
        nw_keccak_final(&k, h2);
        nw_keccak256(h, data, sizeof(data));
        assert_memory_equal(h, h2, 32);
    }
}

static void test_u256(void **state)
{
    (void)state;
    struct nw_u256 a, b;
    char dec[79], q[67];
    const char *max =
        "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    assert_int_equal(nw_u256_parse_dec(&a, nw_cur_str(max)), NW_OK);
    nw_u256_to_dec(dec, &a);
    assert_string_equal(dec, max);
    nw_u256_to_quantity(q, &a);
    assert_string_equal(q, "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    assert_int_equal(
        nw_u256_parse_dec(
            &b,
            nw_cur_str(
                "115792089237316195423570985008687907853269984665640564039457584007913129639936")),
        NW_ERR_INT_OVERFLOW);
    assert_int_equal(nw_u256_parse_dec(&b, nw_cur_str("")), NW_ERR_INT_FORMAT);
    assert_int_equal(nw_u256_parse_dec(&b, nw_cur_str("-1")), NW_ERR_INT_FORMAT);
    assert_int_equal(nw_u256_parse_hex(&b, nw_cur_str("0x00001")), NW_OK);
    nw_u256_to_quantity(q, &b);
    assert_string_equal(q, "0x1");
    assert_int_equal(nw_u256_parse_hex(&b, nw_cur_str("0x")), NW_ERR_INT_FORMAT);
    assert_int_equal(nw_u256_parse_hex(&b, nw_cur_str("12")), NW_ERR_HEX_PREFIX);
    assert_int_equal(nw_u256_parse_hex(&b, nw_cur_str("0xg")), NW_ERR_HEX_CHAR);
    assert_int_equal(
        nw_u256_parse_hex(
            &b, nw_cur_str("0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")),
        NW_ERR_INT_OVERFLOW);
    struct nw_u256 one = nw_u256_from_u64(1);
    assert_int_equal(nw_u256_add(&b, &a, &one), NW_ERR_INT_OVERFLOW);
    assert_int_equal(nw_u256_mul_u64(&b, &a, 2), NW_ERR_INT_OVERFLOW);
    nw_u256_to_quantity(q, &one);
    uint8_t be[32];
    assert_int_equal(nw_u256_to_be_min(be, &one), 1);
    struct nw_u256 zero = nw_u256_from_u64(0);
    assert_int_equal(nw_u256_to_be_min(be, &zero), 0);
    nw_u256_to_dec(dec, &zero);
    assert_string_equal(dec, "0");
    assert_int_equal(nw_u256_cmp(&zero, &one), -1);
    uint8_t big[33] = {1};
    assert_int_equal(nw_u256_from_be(&b, nw_cur_of(big, 33)), NW_ERR_INT_OVERFLOW);
}

static void test_sign(void **state)
{
    (void)state;
    struct nw_secp *ctx = nw_secp_new();
    assert_non_null(ctx);
    struct nw_seckey key;
    uint8_t addr[20], addr2[20], hash[32] = {1, 2, 3};
    /* The EIP-155 example key (0x46 repeated) has address 0x9d8A62f6...F. */
    assert_int_equal(
        nw_seckey_parse(
            ctx, &key,
            nw_cur_str("  0x4646464646464646464646464646464646464646464646464646464646464646\n")),
        NW_OK);
    assert_int_equal(nw_address_from_seckey(ctx, addr, &key), NW_OK);
    assert_string_equal(nwt_hex(addr, 20), "0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
    struct nw_sig sig;
    assert_int_equal(nw_sign_hash(ctx, &sig, hash, &key), NW_OK);
    assert_int_equal(nw_recover_address(ctx, addr2, hash, &sig), NW_OK);
    assert_memory_equal(addr, addr2, 20);
    sig.b[64] = 2;
    assert_int_equal(nw_recover_address(ctx, addr2, hash, &sig), NW_ERR_SIG_INVALID);
    memset(sig.b, 0xff, 64);
    sig.b[64] = 0;
    assert_int_equal(nw_recover_address(ctx, addr2, hash, &sig), NW_ERR_SIG_INVALID);
    memset(sig.b, 0, 65);
    sig.b[31] = 1;
    sig.b[63] = 1;
    /* r=1, s=1 parses but may or may not recover; either a valid key or RECOVER_FAILED. */
    nw_err e = nw_recover_address(ctx, addr2, hash, &sig);
    assert_true(e == NW_OK || e == NW_ERR_RECOVER_FAILED);
    nw_seckey_clear(&key);
    assert_int_equal(nw_seckey_parse(ctx, &key, nw_cur_str("00")), NW_ERR_KEY_INVALID);
    assert_int_equal(
        nw_seckey_parse(
            ctx, &key,
            nw_cur_str("0000000000000000000000000000000000000000000000000000000000000000")),
        NW_ERR_KEY_INVALID);
    assert_int_equal(nw_sign_hash(ctx, &sig, hash, &key), NW_ERR_KEY_INVALID);
    assert_int_equal(nw_address_from_seckey(ctx, addr, &key), NW_ERR_KEY_INVALID);
    assert_int_equal(nw_seckey_generate(ctx, &key), NW_OK);
    assert_int_equal(nw_seckey_verify(ctx, &key), NW_OK);
    nw_seckey_clear(&key);
    nw_secp_free(ctx);
}

static void test_mem(void **state)
{
    (void)state;
    int locked = 0;
    uint8_t *p = nw_locked_alloc(100, &locked);
    assert_non_null(p);
    memset(p, 0xaa, 100);
    nw_locked_free(p, 100);
    char *s = nw_wiping_strdup("secret");
    assert_string_equal(s, "secret");
    s = nw_wiping_realloc(s, 100);
    assert_non_null(s);
    assert_string_equal(s, "secret");
    nw_wiping_free(s);
    nw_free_secret(NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_names), cmocka_unit_test(test_buf),  cmocka_unit_test(test_hex),
        cmocka_unit_test(test_keccak),    cmocka_unit_test(test_u256), cmocka_unit_test(test_sign),
        cmocka_unit_test(test_mem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

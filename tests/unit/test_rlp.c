/*
 * RLP: encoder examples (Ethereum wiki / Yellow Paper appendix B) and the strict decoder's
 * canonical-form checks, one negative test per error code.
 */
#include <stdlib.h>
#include <string.h>

#include <nw/rlp.h>

#include "nwtest.h"

static void expect_hex(const struct nw_buf *b, const char *hex)
{
    assert_string_equal(nwt_hex(b->ptr, b->len), hex);
}

static void test_encode_examples(void **state)
{
    (void)state;
    struct nw_buf b;
    size_t m1, m2, m3;
    nw_buf_init(&b, 4096, false);

    assert_int_equal(nw_rlp_put_bytes(&b, nw_cur_str("dog")), NW_OK);
    expect_hex(&b, "0x83646f67");
    b.len = 0;
    nw_rlp_list_begin(&b, &m1);
    assert_int_equal(nw_rlp_put_bytes(&b, nw_cur_str("cat")), NW_OK);
    assert_int_equal(nw_rlp_put_bytes(&b, nw_cur_str("dog")), NW_OK);
    assert_int_equal(nw_rlp_list_end(&b, m1), NW_OK);
    expect_hex(&b, "0xc88363617483646f67");
    b.len = 0;
    assert_int_equal(nw_rlp_put_bytes(&b, nw_cur_of(NULL, 0)), NW_OK);
    expect_hex(&b, "0x80");
    b.len = 0;
    assert_int_equal(nw_rlp_put_list_header(&b, 0), NW_OK);
    expect_hex(&b, "0xc0");
    b.len = 0;
    assert_int_equal(nw_rlp_put_u64(&b, 0), NW_OK);
    assert_int_equal(nw_rlp_put_u64(&b, 15), NW_OK);
    assert_int_equal(nw_rlp_put_u64(&b, 1024), NW_OK);
    assert_int_equal(nw_rlp_put_u64(&b, 0x80), NW_OK);
    expect_hex(&b, "0x800f8204008180");
    b.len = 0;
    assert_int_equal(nw_rlp_put_bytes(&b, nw_cur_of("\x00", 1)), NW_OK);
    assert_int_equal(nw_rlp_put_bytes(&b, nw_cur_of("\x7f", 1)), NW_OK);
    assert_int_equal(nw_rlp_put_bytes(&b, nw_cur_of("\x80", 1)), NW_OK);
    expect_hex(&b, "0x007f8180");

    /* The set-theoretic representation of three: [ [], [[]], [ [], [[]] ] ]. */
    b.len = 0;
    nw_rlp_list_begin(&b, &m1);
    assert_int_equal(nw_rlp_put_list_header(&b, 0), NW_OK);
    nw_rlp_list_begin(&b, &m2);
    assert_int_equal(nw_rlp_put_list_header(&b, 0), NW_OK);
    assert_int_equal(nw_rlp_list_end(&b, m2), NW_OK);
    nw_rlp_list_begin(&b, &m2);
    assert_int_equal(nw_rlp_put_list_header(&b, 0), NW_OK);
    nw_rlp_list_begin(&b, &m3);
    assert_int_equal(nw_rlp_put_list_header(&b, 0), NW_OK);
    assert_int_equal(nw_rlp_list_end(&b, m3), NW_OK);
    assert_int_equal(nw_rlp_list_end(&b, m2), NW_OK);
    assert_int_equal(nw_rlp_list_end(&b, m1), NW_OK);
    expect_hex(&b, "0xc7c0c1c0c3c0c1c0");

    /* 56 bytes: the first long-form string. */
    b.len = 0;
    const char *lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
    assert_int_equal(strlen(lorem), 56);
    assert_int_equal(nw_rlp_put_bytes(&b, nw_cur_str(lorem)), NW_OK);
    assert_int_equal(b.len, 58);
    assert_int_equal(b.ptr[0], 0xb8);
    assert_int_equal(b.ptr[1], 56);
    assert_int_equal(nw_rlp_bytes_size(nw_cur_str(lorem)), 58);
    assert_int_equal(nw_rlp_list_size(56), 58);
    assert_int_equal(nw_rlp_list_size(55), 56);

    /* A long list: 1024 bytes of payload gets f9 04 00. */
    b.len = 0;
    uint8_t h[NW_RLP_MAX_HEADER];
    assert_int_equal(nw_rlp_header(h, 1024, true), 3);
    assert_int_equal(h[0], 0xf9);
    assert_int_equal(h[1], 0x04);
    assert_int_equal(h[2], 0x00);

    /* u256 max is 32 bytes with a0 header. */
    struct nw_u256 max = {{UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX}};
    assert_int_equal(nw_rlp_put_u256(&b, &max), NW_OK);
    assert_int_equal(b.len, 33);
    assert_int_equal(b.ptr[0], 0xa0);

    /* The cap is honoured. */
    struct nw_buf small;
    nw_buf_init(&small, 2, false);
    assert_int_equal(nw_rlp_put_bytes(&small, nw_cur_str("dog")), NW_ERR_BUF_FULL);
    nw_buf_clear(&small);
    nw_buf_clear(&b);
}

static nw_err decode_hex(const char *hex, struct nw_rlp_item *it)
{
    size_t n;
    uint8_t *p = nwt_unhex(hex, &n);
    assert_non_null(p);
    nw_err err = nw_rlp_decode(it, nw_cur_of(p, n), NW_RLP_MAX_DEPTH);
    free(p);
    return err;
}

static void test_decode_ok(void **state)
{
    (void)state;
    struct nw_rlp_item it;
    assert_int_equal(decode_hex("83646f67", &it), NW_OK);
    assert_false(it.is_list);
    assert_int_equal(it.payload.len, 3);
    assert_int_equal(decode_hex("c88363617483646f67", &it), NW_OK);
    assert_true(it.is_list);
    assert_int_equal(decode_hex("7f", &it), NW_OK);
    assert_int_equal(decode_hex("8180", &it), NW_OK);
    assert_int_equal(decode_hex("c7c0c1c0c3c0c1c0", &it), NW_OK);
    assert_int_equal(decode_hex("80", &it), NW_OK);
    assert_int_equal(it.payload.len, 0);

    /* Walk a list with the typed readers. */
    size_t n;
    uint8_t *p = nwt_unhex("c9820400808180c2c0c0", &n); /* [1024, 0, 0x80, [[], []]] wrapped */
    assert_non_null(p);
    struct nw_cur c = nw_cur_of(p, n), l, inner;
    uint64_t v;
    assert_int_equal(nw_rlp_next_list(&c, &l), NW_OK);
    assert_int_equal(nw_rlp_next_u64(&l, &v), NW_OK);
    assert_int_equal(v, 1024);
    assert_int_equal(nw_rlp_next_u64(&l, &v), NW_OK);
    assert_int_equal(v, 0);
    assert_int_equal(nw_rlp_next_u64(&l, &v), NW_OK);
    assert_int_equal(v, 0x80);
    assert_int_equal(nw_rlp_next_list(&l, &inner), NW_OK);
    assert_int_equal(l.len, 0);
    free(p);

    /* Long string round trip. */
    uint8_t big[300];
    memset(big, 0xab, sizeof(big));
    struct nw_buf b;
    nw_buf_init(&b, 1000, false);
    assert_int_equal(nw_rlp_put_bytes(&b, nw_cur_of(big, sizeof(big))), NW_OK);
    assert_int_equal(nw_rlp_decode(&it, nw_buf_cur(&b), 4), NW_OK);
    assert_int_equal(it.payload.len, 300);
    assert_memory_equal(it.payload.ptr, big, 300);
    nw_buf_clear(&b);
}

static void test_decode_errors(void **state)
{
    (void)state;
    struct nw_rlp_item it;
    /* NW_ERR_RLP_NONCANONICAL */
    assert_int_equal(decode_hex("8100", &it), NW_ERR_RLP_NONCANONICAL);   /* byte < 0x80 */
    assert_int_equal(decode_hex("817f", &it), NW_ERR_RLP_NONCANONICAL);   /* byte < 0x80 */
    assert_int_equal(decode_hex("b80161", &it), NW_ERR_RLP_NONCANONICAL); /* long form, 1 */
    assert_int_equal(decode_hex("f80180", &it), NW_ERR_RLP_NONCANONICAL); /* long list, 1 */
    assert_int_equal(decode_hex("b90038"
                                "6161616161616161616161616161616161616161616161616161"
                                "61616161616161616161616161616161616161616161616161616161616161",
                                &it),
                     NW_ERR_RLP_NONCANONICAL); /* leading zero in length */
    assert_int_equal(decode_hex("c28100", &it), NW_ERR_RLP_NONCANONICAL); /* nested */
    /* NW_ERR_RLP_TRUNCATED */
    assert_int_equal(decode_hex("", &it), NW_ERR_RLP_TRUNCATED);
    assert_int_equal(decode_hex("83646f", &it), NW_ERR_RLP_TRUNCATED);
    assert_int_equal(decode_hex("b8", &it), NW_ERR_RLP_TRUNCATED);
    assert_int_equal(decode_hex("b838", &it), NW_ERR_RLP_TRUNCATED);
    assert_int_equal(decode_hex("bfffffffffffffffff", &it), NW_ERR_RLP_TRUNCATED);
    assert_int_equal(decode_hex("c3c38080", &it), NW_ERR_RLP_TRUNCATED);
    /* NW_ERR_RLP_TRAILING */
    assert_int_equal(decode_hex("8000", &it), NW_ERR_RLP_TRAILING);
    assert_int_equal(decode_hex("c0c0", &it), NW_ERR_RLP_TRAILING);
    /* NW_ERR_RLP_DEPTH: 20 nested lists. */
    /* [[[...[]...]]]: each list holds the next, so the i-th header is 0xc0 + (depth-1-i). */
    uint8_t nested[32];
    size_t depth = 20;
    for (size_t i = 0; i < depth; i++)
        nested[i] = (uint8_t)(0xc0 + (depth - 1 - i));
    assert_int_equal(nw_rlp_decode(&it, nw_cur_of(nested, depth), NW_RLP_MAX_DEPTH),
                     NW_ERR_RLP_DEPTH);
    assert_int_equal(nw_rlp_decode(&it, nw_cur_of(nested, depth), 20), NW_OK);
    /* NW_ERR_RLP_TYPE */
    size_t n;
    uint8_t *p = nwt_unhex("c0", &n);
    struct nw_cur c = nw_cur_of(p, n), out;
    assert_int_equal(nw_rlp_next_bytes(&c, &out), NW_ERR_RLP_TYPE);
    free(p);
    p = nwt_unhex("80", &n);
    c = nw_cur_of(p, n);
    assert_int_equal(nw_rlp_next_list(&c, &out), NW_ERR_RLP_TYPE);
    free(p);
    /* Integers: leading zero byte, too long. */
    struct nw_u256 u;
    uint64_t v;
    p = nwt_unhex("820001", &n);
    c = nw_cur_of(p, n);
    assert_int_equal(nw_rlp_next_u256(&c, &u), NW_ERR_RLP_NONCANONICAL);
    free(p);
    p = nwt_unhex("00", &n);
    c = nw_cur_of(p, n);
    assert_int_equal(nw_rlp_next_u256(&c, &u), NW_ERR_RLP_NONCANONICAL);
    free(p);
    p = nwt_unhex("a1010000000000000000000000000000000000000000000000000000000000000000", &n);
    c = nw_cur_of(p, n);
    assert_int_equal(nw_rlp_next_u256(&c, &u), NW_ERR_INT_OVERFLOW);
    free(p);
    p = nwt_unhex("89010000000000000000", &n);
    c = nw_cur_of(p, n);
    assert_int_equal(nw_rlp_next_u64(&c, &v), NW_ERR_INT_OVERFLOW);
    free(p);
}

/* Every canonical encoding of random structures decodes and re-encodes to the same bytes. */
static void encode_random(struct nw_buf *b, unsigned *seed, int depth)
{
    *seed = *seed * 1103515245u + 12345u;
    unsigned r = (*seed >> 8) % 5;
    if (depth > 3 || r < 3) {
        uint8_t s[80];
        size_t len = (*seed >> 4) % sizeof(s);
        for (size_t i = 0; i < len; i++)
            s[i] = (uint8_t)(*seed >> (i % 24));
        assert_int_equal(nw_rlp_put_bytes(b, nw_cur_of(s, len)), NW_OK);
        return;
    }
    size_t mark, items = (*seed >> 12) % 6;
    nw_rlp_list_begin(b, &mark);
    for (size_t i = 0; i < items; i++)
        encode_random(b, seed, depth + 1);
    assert_int_equal(nw_rlp_list_end(b, mark), NW_OK);
}

static void reencode(struct nw_buf *out, struct nw_rlp_item it)
{
    if (!it.is_list) {
        assert_int_equal(nw_rlp_put_bytes(out, it.payload), NW_OK);
        return;
    }
    size_t mark;
    nw_rlp_list_begin(out, &mark);
    struct nw_cur c = it.payload;
    while (c.len > 0) {
        struct nw_rlp_item sub;
        assert_int_equal(nw_rlp_next(&c, &sub), NW_OK);
        reencode(out, sub);
    }
    assert_int_equal(nw_rlp_list_end(out, mark), NW_OK);
}

static void test_round_trip(void **state)
{
    (void)state;
    unsigned seed = 12345;
    for (int i = 0; i < 500; i++) {
        struct nw_buf b, again;
        struct nw_rlp_item it;
        nw_buf_init(&b, 1u << 20, false);
        nw_buf_init(&again, 1u << 20, false);
        encode_random(&b, &seed, 0);
        assert_int_equal(nw_rlp_decode(&it, nw_buf_cur(&b), NW_RLP_MAX_DEPTH), NW_OK);
        reencode(&again, it);
        assert_int_equal(again.len, b.len);
        assert_memory_equal(again.ptr, b.ptr, b.len);
        nw_buf_clear(&b);
        nw_buf_clear(&again);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_examples),
        cmocka_unit_test(test_decode_ok),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

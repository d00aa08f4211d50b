/*
 * Core takes randomness as a parameter: a seeded signing context, key generation from a
 * caller's source (a deterministic one here), failures of the source.
 */
#include <string.h>

#include <nw/random.h>
#include <nw/sign.h>

#include "nwtest.h"

struct script {
    const uint8_t *blocks; /* successive 32-byte answers */
    size_t n, next;
    bool fail;
};

static nw_err scripted(void *ctx, uint8_t *out, size_t n)
{
    struct script *s = ctx;
    if (s->fail || n != 32 || s->next >= s->n)
        return NW_ERR_CRYPTO;
    memcpy(out, s->blocks + 32 * s->next++, 32);
    return NW_OK;
}

static void test_seeded_context(void **state)
{
    (void)state;
    uint8_t seed[32];
    memset(seed, 0x5a, sizeof(seed));
    struct nw_secp *a = nw_secp_new_seeded(seed);
    struct nw_secp *b = nw_secp_new();
    assert_non_null(a);
    assert_non_null(b);
    struct nw_seckey key;
    memset(key.b, 0, sizeof(key.b));
    key.b[31] = 1;
    uint8_t hash[32];
    memset(hash, 0x11, sizeof(hash));
    struct nw_sig s1, s2;
    /* Blinding changes nothing visible: RFC 6979 signatures are the same from both contexts. */
    assert_int_equal(nw_sign_hash(a, &s1, hash, &key), NW_OK);
    assert_int_equal(nw_sign_hash(b, &s2, hash, &key), NW_OK);
    assert_memory_equal(s1.b, s2.b, sizeof(s1.b));
    nw_secp_free(a);
    nw_secp_free(b);
}

static void test_generate_with(void **state)
{
    (void)state;
    struct nw_secp *ctx = nw_secp_new();
    assert_non_null(ctx);
    uint8_t blocks[3 * 32];
    memset(blocks, 0, 32);         /* zero: not a key, retried */
    memset(blocks + 32, 0xff, 32); /* above n: not a key, retried */
    memset(blocks + 64, 0x42, 32); /* a key */
    struct script s = {blocks, 3, 0, false};
    struct nw_seckey key;
    assert_int_equal(nw_seckey_generate_with(ctx, &key, scripted, &s), NW_OK);
    assert_int_equal(s.next, 3);
    assert_memory_equal(key.b, blocks + 64, 32);
    /* A source that fails: NW_ERR_CRYPTO and a wiped key. */
    s = (struct script){blocks + 64, 1, 0, true};
    memset(key.b, 0x77, sizeof(key.b));
    assert_int_equal(nw_seckey_generate_with(ctx, &key, scripted, &s), NW_ERR_CRYPTO);
    static const uint8_t zero[32];
    assert_memory_equal(key.b, zero, 32);
    /* A source that never yields a valid key gives up (16 tries), not loops for ever. */
    static uint8_t zeros[16 * 32];
    s = (struct script){zeros, 16, 0, false};
    assert_int_equal(nw_seckey_generate_with(ctx, &key, scripted, &s), NW_ERR_CRYPTO);
    assert_int_equal(s.next, 16);
    /* The OS source through the inline convenience. */
    assert_int_equal(nw_seckey_generate(ctx, &key), NW_OK);
    assert_int_equal(nw_seckey_verify(ctx, &key), NW_OK);
    nw_seckey_clear(&key);
    uint8_t r1[64], r2[64];
    assert_int_equal(nw_random_os(NULL, r1, sizeof(r1)), NW_OK);
    assert_int_equal(nw_random_os(NULL, r2, sizeof(r2)), NW_OK);
    assert_memory_not_equal(r1, r2, sizeof(r1));
    nw_secp_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seeded_context),
        cmocka_unit_test(test_generate_with),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

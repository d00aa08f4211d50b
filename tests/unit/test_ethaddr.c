/*
 * EIP-55 addresses: the ERC-55 test cases (read in place from the public test data) and
 * every parse error.
 */
#include <string.h>

#include <nw/ethaddr.h>

#include "nwtest.h"

static void test_erc55_vectors(void **state)
{
    (void)state;
    json_t *doc = nwt_load_json("ethereum/eip55.json");
    if (doc == NULL)
        return;
    json_t *vecs = json_object_get(doc, "vectors");
    assert_true(json_array_size(vecs) >= 8);
    size_t i;
    json_t *v;
    json_array_foreach(vecs, i, v)
    {
        const char *lower = json_string_value(json_object_get(v, "lowercase"));
        const char *sum = json_string_value(json_object_get(v, "checksummed"));
        uint8_t a[20], b[20];
        char out[NW_ETHADDR_TEXT_LEN];
        assert_int_equal(nw_ethaddr_parse(a, nw_cur_str(lower)), NW_OK);
        nw_ethaddr_format(out, a);
        assert_string_equal(out, sum);
        assert_int_equal(nw_ethaddr_parse(b, nw_cur_str(sum)), NW_OK);
        assert_memory_equal(a, b, 20);
        /* All upper case is accepted as is. */
        char upper[NW_ETHADDR_TEXT_LEN];
        memcpy(upper, lower, sizeof(upper));
        for (size_t k = 2; k < 42; k++)
            if (upper[k] >= 'a' && upper[k] <= 'f')
                upper[k] = (char)(upper[k] - 32);
        assert_int_equal(nw_ethaddr_parse(b, nw_cur_str(upper)), NW_OK);
        assert_memory_equal(a, b, 20);
        /* Flipping the case of any one letter of a mixed-case checksum breaks it. */
        bool mixed = strcmp(sum, lower) != 0 && strcmp(sum, upper) != 0;
        if (mixed) {
            for (size_t k = 2; k < 42; k++) {
                char bad[NW_ETHADDR_TEXT_LEN];
                memcpy(bad, sum, sizeof(bad));
                if (bad[k] >= 'a' && bad[k] <= 'f')
                    bad[k] = (char)(bad[k] - 32);
                else if (bad[k] >= 'A' && bad[k] <= 'F')
                    bad[k] = (char)(bad[k] + 32);
                else
                    continue;
                if (strcmp(bad, lower) == 0 || strcmp(bad, upper) == 0)
                    continue;
                assert_int_equal(nw_ethaddr_parse(b, nw_cur_str(bad)), NW_ERR_ADDR_CHECKSUM);
                uint8_t zero[20] = {0};
                assert_memory_equal(b, zero, 20);
            }
        }
    }
    json_decref(doc);
}

static void test_errors(void **state)
{
    (void)state;
    uint8_t a[20];
    /* NW_ERR_ADDR_FORMAT */
    assert_int_equal(nw_ethaddr_parse(a, nw_cur_str("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")),
                     NW_ERR_ADDR_FORMAT);
    assert_int_equal(nw_ethaddr_parse(a, nw_cur_str("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae")),
                     NW_ERR_ADDR_FORMAT);
    assert_int_equal(
        nw_ethaddr_parse(a, nw_cur_str("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00")),
        NW_ERR_ADDR_FORMAT);
    assert_int_equal(nw_ethaddr_parse(a, nw_cur_str("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg")),
                     NW_ERR_ADDR_FORMAT);
    assert_int_equal(nw_ethaddr_parse(a, nw_cur_str("0X5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")),
                     NW_ERR_ADDR_FORMAT);
    assert_int_equal(nw_ethaddr_parse(a, nw_cur_str("")), NW_ERR_ADDR_FORMAT);
    /* NW_ERR_ADDR_CHECKSUM */
    assert_int_equal(nw_ethaddr_parse(a, nw_cur_str("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")),
                     NW_ERR_ADDR_CHECKSUM);
    assert_int_equal(nw_ethaddr_parse(a, nw_cur_str("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")),
                     NW_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_erc55_vectors),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

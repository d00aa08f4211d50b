/*
 * Unit tests for attestation documents: the real UID2 debug-mode document (read in place from
 * ../shared/testdata), COSE_Sign1 decoding, schema checks and verification failures.
 */
#include <string.h>
#include <time.h>

#include <nw/attest.h>
#include <nw/hex.h>

#include "attest/attest_int.h"
#include "nwtest.h"

struct real_doc {
    uint8_t *bytes;
    size_t len;
    json_t *side;
    int64_t time_s;
};

static bool load_real(struct real_doc *r)
{
    memset(r, 0, sizeof(*r));
    const char *p = nwt_testdata("attestation/uid2_debug.cbor");
    if (p == NULL)
        return false;
    r->bytes = nwt_read_file(p, &r->len);
    r->side = nwt_load_json("attestation/uid2_debug.json");
    if (r->bytes == NULL || r->side == NULL)
        return false;
    r->time_s = (int64_t)json_integer_value(json_object_get(r->side, "verification_time_s"));
    return true;
}

static void free_real(struct real_doc *r)
{
    free(r->bytes);
    json_decref(r->side);
}

static void test_real_verifies(void **state)
{
    (void)state;
    struct real_doc r;
    if (!load_real(&r)) {
        free_real(&r);
        skip();
    }
    static struct nw_attest_doc doc;
    struct nw_attest_opts o;
    memset(&o, 0, sizeof(o));
    o.time_s = r.time_s;
    assert_int_equal(nw_attest_verify(&doc, &o, nw_cur_of(r.bytes, r.len)), NW_OK);
    assert_string_equal(doc.module_id, json_string_value(json_object_get(r.side, "module_id")));
    assert_int_equal(doc.timestamp_ms, json_integer_value(json_object_get(r.side, "timestamp_ms")));
    assert_string_equal(doc.digest, "SHA384");
    assert_true(doc.debug_mode);
    assert_false(doc.tagged);
    assert_false(doc.has_public_key);
    assert_false(doc.has_user_data);
    assert_false(doc.has_nonce);
    json_t *pcrs = json_object_get(r.side, "pcrs");
    assert_int_equal(json_object_size(pcrs), __builtin_popcount(doc.pcr_present));
    const char *k;
    json_t *v;
    json_object_foreach(pcrs, k, v)
    {
        unsigned idx = (unsigned)strtoul(k, NULL, 10);
        assert_true(doc.pcr_present & (1u << idx));
        char hex[2 * NW_ATTEST_PCR_LEN + 1];
        assert_int_equal(nw_hex_encode(hex, sizeof(hex), doc.pcrs[idx], NW_ATTEST_PCR_LEN, false),
                         NW_OK);
        assert_string_equal(hex, json_string_value(v));
    }
    free_real(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_verifies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

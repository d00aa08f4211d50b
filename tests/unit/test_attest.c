/*
 * Unit tests for attestation documents: the real UID2 debug-mode document (read in place from
 * ../shared/testdata), COSE_Sign1 decoding, schema checks and verification failures.
 */
#include <string.h>
#include <time.h>

#include <nw/attest.h>
#include <nw/hex.h>
#include <nw/mem.h>

#include "attest/attest_int.h"
#include "nwtest.h"
#include "sim/devca.h"

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

static void test_real_times(void **state)
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
    struct nw_cur d = nw_cur_of(r.bytes, r.len);
    o.time_s = (int64_t)time(NULL);
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_ATTEST_CERT_EXPIRED);
    assert_int_equal(doc.timestamp_ms, 0);
    o.time_s = 0;
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_ATTEST_CERT_NOT_YET_VALID);
    json_t *leaf = json_object_get(r.side, "leaf_certificate");
    int64_t nb = (int64_t)json_integer_value(json_object_get(leaf, "not_before_s"));
    int64_t na = (int64_t)json_integer_value(json_object_get(leaf, "not_after_s"));
    o.time_s = nb - 1;
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_ATTEST_CERT_NOT_YET_VALID);
    o.time_s = nb;
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_OK);
    o.time_s = na - 1; /* OpenSSL treats notAfter itself as expired */
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_OK);
    o.time_s = na + 1;
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_ATTEST_CERT_EXPIRED);
    free_real(&r);
}

static void test_real_policy_and_roots(void **state)
{
    (void)state;
    struct real_doc r;
    if (!load_real(&r)) {
        free_real(&r);
        skip();
    }
    static struct nw_attest_doc doc;
    struct nw_cur d = nw_cur_of(r.bytes, r.len);
    struct nw_attest_opts o;
    memset(&o, 0, sizeof(o));
    o.time_s = r.time_s;

    /* PCRs given as the CLI takes them. */
    char text[8 + 96 + 1];
    snprintf(text, sizeof(text), "4=0x%s",
             json_string_value(json_object_get(json_object_get(r.side, "pcrs"), "4")));
    struct nw_attest_pcr_expect pcrs[2];
    assert_int_equal(nw_attest_pcr_expect_parse(&pcrs[0], text), NW_OK);
    assert_int_equal(pcrs[0].index, 4);
    memset(&pcrs[1], 0, sizeof(pcrs[1])); /* PCR0 all zero: a debug document */
    o.pcrs = pcrs;
    o.pcr_count = 2;
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_OK);
    pcrs[0].value[47] ^= 1;
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_ATTEST_PCR_MISMATCH);
    pcrs[0].index = 16;
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_ATTEST_PCR_MISSING);
    pcrs[0].index = 40;
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_INVALID_ARG);
    o.pcr_count = 0;
    o.reject_debug = true;
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_ATTEST_DEBUG_MODE);
    o.reject_debug = false;
    o.nonce = nw_cur_str("n");
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_ATTEST_NONCE_MISMATCH);
    o.nonce = nw_cur_of(NULL, 0);
    o.public_key = nw_cur_str("k");
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_ATTEST_KEY_MISMATCH);
    o.public_key = nw_cur_of(NULL, 0);
    o.max_age_ms = 600 * 1000; /* the verification time is 600 s after the timestamp */
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_OK);
    o.max_age_ms = 599 * 1000;
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_ATTEST_STALE);
    o.max_age_ms = UINT64_MAX; /* no wrap-around */
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_OK);
    o.max_age_ms = 0;

    assert_int_equal(nw_attest_pcr_expect_parse(&pcrs[0], "32=00"), NW_ERR_INVALID_ARG);
    assert_int_equal(nw_attest_pcr_expect_parse(&pcrs[0], "x=00"), NW_ERR_INVALID_ARG);
    assert_int_equal(nw_attest_pcr_expect_parse(&pcrs[0], "1=zz"), NW_ERR_INVALID_ARG);
    assert_int_equal(nw_attest_pcr_expect_parse(&pcrs[0], "=00"), NW_ERR_INVALID_ARG);

    /* The root as a caller-given PEM and DER; another root; garbage. */
    const char *pem_path = nwt_testdata("attestation/aws_nitro_enclaves_root_g1.pem");
    size_t pem_len = 0;
    uint8_t *pem = pem_path ? nwt_read_file(pem_path, &pem_len) : NULL;
    assert_non_null(pem);
    o.root = nw_cur_of(pem, pem_len);
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_OK);
    static struct nw_attest_doc copy;
    copy = doc; /* doc is zeroed by a failing call */
    o.root = nw_cur_of(copy.cabundle[1], copy.cabundle_len[1]);
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_ATTEST_ROOT_MISMATCH);
    o.root = nw_cur_str("-----BEGIN CERTIFICATE-----\ngarbage\n");
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_ATTEST_ROOT_INVALID);
    o.root = nw_cur_str("xyz");
    assert_int_equal(nw_attest_verify(&doc, &o, d), NW_ERR_ATTEST_ROOT_INVALID);
    free(pem);
    free_real(&r);
}

/*
 * Flipping a bit in any byte breaks the document: every byte is covered by the COSE signature,
 * a certificate signature or the pinned root. To stay quick (also under ASan) this flips every
 * byte of the COSE header and of the signature region and every 7th byte elsewhere (every
 * 211th under valgrind);
 * NW_TEST_ALL_FLIPS=1 flips every byte.
 */
static void test_real_flips(void **state)
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
    bool all = getenv("NW_TEST_ALL_FLIPS") != NULL;
    /* Under valgrind (scripts/test runs every unit suite there) the same paths are only
     * checked for memory errors, so a sparse sample is enough. */
    const char *preload = getenv("LD_PRELOAD");
    size_t stride = preload != NULL && strstr(preload, "vgpreload") != NULL ? 211 : 7;
    for (size_t i = 0; i < r.len; i++) {
        if (!all && i >= 64 && i + 110 < r.len && i % stride != 0)
            continue;
        r.bytes[i] ^= 0x01;
        nw_err e = nw_attest_verify(&doc, &o, nw_cur_of(r.bytes, r.len));
        if (e == NW_OK)
            fail_msg("flipping byte %zu still verifies", i);
        r.bytes[i] ^= 0x01;
    }
    /* The signature region specifically reports a bad signature. */
    r.bytes[r.len - 1] ^= 0x80;
    assert_int_equal(nw_attest_verify(&doc, &o, nw_cur_of(r.bytes, r.len)), NW_ERR_COSE_SIGNATURE);
    r.bytes[r.len - 1] ^= 0x80;
    assert_int_equal(nw_attest_verify(&doc, &o, nw_cur_of(r.bytes, r.len)), NW_OK);
    free_real(&r);
}

static void test_real_framing(void **state)
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
    uint8_t *t = malloc(r.len + 1);
    /* Tag 18 (COSE_Sign1) verifies; another tag does not. */
    t[0] = 0xd2;
    memcpy(t + 1, r.bytes, r.len);
    assert_int_equal(nw_attest_verify(&doc, &o, nw_cur_of(t, r.len + 1)), NW_OK);
    assert_true(doc.tagged);
    t[0] = 0xd1; /* tag 17 (COSE_Mac0): libcbor 0.8 cannot even decode the one-byte head */
    assert_int_equal(nw_attest_verify(&doc, &o, nw_cur_of(t, r.len + 1)), NW_ERR_CBOR_MALFORMED);
    uint8_t *t2 = malloc(r.len + 2);
    t2[0] = 0xd8; /* the two-byte heads of tags 18 and 17 */
    t2[1] = 0x12;
    memcpy(t2 + 2, r.bytes, r.len);
    assert_int_equal(nw_attest_verify(&doc, &o, nw_cur_of(t2, r.len + 2)), NW_OK);
    assert_true(doc.tagged);
    t2[1] = 0x11;
    assert_int_equal(nw_attest_verify(&doc, &o, nw_cur_of(t2, r.len + 2)), NW_ERR_COSE_FORMAT);
    free(t2);
    /* Trailing byte, truncation. */
    memcpy(t, r.bytes, r.len);
    t[r.len] = 0x00;
    assert_int_equal(nw_attest_parse(&doc, nw_cur_of(t, r.len + 1)), NW_ERR_CBOR_MALFORMED);
    assert_int_equal(nw_attest_parse(&doc, nw_cur_of(t, r.len - 1)), NW_ERR_CBOR_MALFORMED);
    assert_int_equal(nw_attest_parse(&doc, nw_cur_of(t, 0)), NW_ERR_CBOR_MALFORMED);
    free(t);
    static uint8_t big[NW_ATTEST_DOC_MAX + 1];
    assert_int_equal(nw_attest_parse(&doc, nw_cur_of(big, sizeof(big))), NW_ERR_TOO_LARGE);

    /* JSON view of the fields. */
    assert_int_equal(nw_attest_parse(&doc, nw_cur_of(r.bytes, r.len)), NW_OK);
    struct nw_buf js;
    nw_buf_init(&js, 65536, false);
    assert_int_equal(nw_attest_doc_json(&js, &doc), NW_OK);
    assert_int_equal(nw_buf_cstr(&js), NW_OK);
    json_error_t je;
    json_t *j = json_loads((const char *)js.ptr, 0, &je);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "module_id")),
                        json_string_value(json_object_get(r.side, "module_id")));
    assert_int_equal(json_integer_value(json_object_get(j, "timestamp")),
                     json_integer_value(json_object_get(r.side, "timestamp_ms")));
    assert_true(json_equal(json_object_get(j, "pcrs"), json_object_get(r.side, "pcrs")));
    assert_true(json_is_null(json_object_get(j, "public_key")));
    assert_true(json_is_null(json_object_get(j, "user_data")));
    assert_true(json_is_null(json_object_get(j, "nonce")));
    assert_true(json_is_true(json_object_get(j, "debug_mode")));
    assert_string_equal(json_string_value(json_object_get(j, "digest")), "SHA384");
    json_decref(j);
    nw_buf_clear(&js);
    free_real(&r);
}

/* Allocation failure at every step surfaces as NW_ERR_NOMEM, never a crash or a leak. */
static void test_real_alloc_failures(void **state)
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
    for (int pass = 0; pass < 2; pass++) {
        nw_err e = NW_ERR_NOMEM;
        long n;
        for (n = 0; n < 1000 && e != NW_OK; n++) {
            (void)nw_mem_fail_after(n);
            e = pass == 0 ? nw_attest_parse(&doc, nw_cur_of(r.bytes, r.len))
                          : nw_attest_verify(&doc, &o, nw_cur_of(r.bytes, r.len));
            (void)nw_mem_fail_after(-1);
            if (e != NW_OK)
                assert_int_equal(e, NW_ERR_NOMEM);
        }
        assert_int_equal(e, NW_OK);
        assert_true(n > 1);
    }
    free_real(&r);
}

/* ---- documents built here: a development root, a leaf, and a payload with knobs ---- */

struct knobs {
    const char *digest;
    const char *module_id;
    uint64_t timestamp;
    int pcr_index; /* index of the one PCR */
    size_t pcr_len;
    bool extra_key, dup_key, no_pcrs, empty_cabundle, empty_public_key, big_user_data;
    bool not_a_map, float_public_key;
    const uint8_t *cert;
    size_t cert_len;
    const uint8_t *root;
    size_t root_len;
};

static void put(cbor_item_t *m, const char *k, cbor_item_t *v)
{
    assert_true(nw_cbor_map_put(m, k, v));
}

static void build_payload(struct nw_buf *out, const struct knobs *k)
{
    if (k->not_a_map) {
        cbor_item_t *a = cbor_new_definite_array(0);
        assert_int_equal(nw_cbor_serialize(out, a), NW_OK);
        cbor_decref(&a);
        return;
    }
    cbor_item_t *m = cbor_new_definite_map(12);
    put(m, "module_id", cbor_build_string(k->module_id ? k->module_id : "i-1-enc2"));
    put(m, "digest", cbor_build_string(k->digest ? k->digest : "SHA384"));
    put(m, "timestamp", nw_cbor_uint(k->timestamp));
    if (!k->no_pcrs) {
        cbor_item_t *p = cbor_new_definite_map(1);
        uint8_t v[64] = {1};
        cbor_item_t *key = nw_cbor_uint((uint64_t)k->pcr_index);
        cbor_item_t *val = cbor_build_bytestring(v, k->pcr_len ? k->pcr_len : 48);
        assert_true(cbor_map_add(p, (struct cbor_pair){key, val}));
        cbor_decref(&key);
        cbor_decref(&val);
        put(m, "pcrs", p);
    }
    put(m, "certificate", cbor_build_bytestring(k->cert, k->cert_len));
    cbor_item_t *b = cbor_new_definite_array(1);
    if (!k->empty_cabundle) {
        cbor_item_t *c = cbor_build_bytestring(k->root, k->root_len);
        assert_true(cbor_array_push(b, c));
        cbor_decref(&c);
    }
    put(m, "cabundle", b);
    static uint8_t ud[1025];
    put(m, "public_key",
        k->float_public_key   ? cbor_build_float2(0.0f)
        : k->empty_public_key ? cbor_build_bytestring(ud, 0)
                              : cbor_new_null());
    put(m, "user_data", k->big_user_data ? cbor_build_bytestring(ud, 1025) : cbor_new_null());
    put(m, "nonce", cbor_new_null());
    if (k->extra_key)
        put(m, "extra", cbor_new_null());
    if (k->dup_key)
        put(m, "nonce", cbor_new_null());
    assert_int_equal(nw_cbor_serialize(out, m), NW_OK);
    cbor_decref(&m);
}

struct pki {
    EVP_PKEY *root_key, *leaf_key;
    X509 *root, *leaf;
    struct nw_buf root_der, leaf_der;
};

static void
make_pki(struct pki *p, const char *leaf_curve, const char *leaf_ku, const char *leaf_bc, int64_t t)
{
    memset(p, 0, sizeof(*p));
    assert_int_equal(nw_devca_keygen(&p->root_key), NW_OK);
    p->leaf_key = EVP_EC_gen(leaf_curve);
    assert_non_null(p->leaf_key);
    struct nw_devca_cert root = {.subject = {.cn = "test root"},
                                 .key = p->root_key,
                                 .issuer_key = p->root_key,
                                 .not_before_s = t - 86400,
                                 .not_after_s = t + 86400,
                                 .basic_constraints = "critical,CA:TRUE",
                                 .key_usage = "critical,keyCertSign,cRLSign"};
    assert_int_equal(nw_devca_issue(&p->root, &root), NW_OK);
    struct nw_devca_cert leaf = {.subject = {.cn = "test leaf"},
                                 .key = p->leaf_key,
                                 .issuer = p->root,
                                 .issuer_key = p->root_key,
                                 .not_before_s = t - 3600,
                                 .not_after_s = t + 3600,
                                 .basic_constraints = leaf_bc,
                                 .key_usage = leaf_ku};
    assert_int_equal(nw_devca_issue(&p->leaf, &leaf), NW_OK);
    nw_buf_init(&p->root_der, 4096, false);
    nw_buf_init(&p->leaf_der, 4096, false);
    assert_int_equal(nw_devca_der(&p->root_der, p->root), NW_OK);
    assert_int_equal(nw_devca_der(&p->leaf_der, p->leaf), NW_OK);
}

static void free_pki(struct pki *p)
{
    EVP_PKEY_free(p->root_key);
    EVP_PKEY_free(p->leaf_key);
    X509_free(p->root);
    X509_free(p->leaf);
    nw_buf_clear(&p->root_der);
    nw_buf_clear(&p->leaf_der);
}

/* Build, sign (ES384 with the leaf key, or a P-384 stand-in) and verify a document. */
static nw_err try_doc(struct pki *p, struct knobs *k, int64_t t, bool parse_only)
{
    struct nw_buf payload, doc;
    nw_buf_init(&payload, NW_ATTEST_PAYLOAD_MAX, false);
    nw_buf_init(&doc, NW_ATTEST_DOC_MAX, false);
    if (k->cert == NULL) {
        k->cert = p->leaf_der.ptr;
        k->cert_len = p->leaf_der.len;
    }
    if (k->root == NULL) {
        k->root = p->root_der.ptr;
        k->root_len = p->root_der.len;
    }
    if (k->timestamp == 0 && !parse_only)
        k->timestamp = (uint64_t)t * 1000u;
    build_payload(&payload, k);
    EVP_PKEY *signer = EVP_PKEY_is_a(p->leaf_key, "EC") && EVP_PKEY_get_bits(p->leaf_key) == 384
                           ? p->leaf_key
                           : p->root_key;
    assert_int_equal(nw_cose_sign1_es384(&doc, signer, nw_buf_cur(&payload), false), NW_OK);
    static struct nw_attest_doc out;
    nw_err e;
    if (parse_only) {
        e = nw_attest_parse(&out, nw_buf_cur(&doc));
    } else {
        struct nw_attest_opts o = {
            .time_s = t, .root = p->root_der.ptr ? nw_buf_cur(&p->root_der) : nw_cur_of(NULL, 0)};
        e = nw_attest_verify(&out, &o, nw_buf_cur(&doc));
    }
    nw_buf_clear(&payload);
    nw_buf_clear(&doc);
    return e;
}

static void test_built_documents(void **state)
{
    (void)state;
    const int64_t t = 1700000000;
    struct pki p;
    make_pki(&p, "P-384", "critical,digitalSignature", "CA:FALSE", t);
    struct knobs k;
#define TRY(field_setup, parse_only, want)                \
 do {                                                     \
  memset(&k, 0, sizeof(k));                               \
  field_setup;                                            \
  assert_int_equal(try_doc(&p, &k, t, parse_only), want); \
 } while (0)
    TRY((void)0, false, NW_OK);
    TRY(k.digest = "SHA256", true, NW_ERR_ATTEST_PAYLOAD);
    TRY(k.module_id = "", true, NW_ERR_ATTEST_PAYLOAD);
    TRY(k.module_id = "bad\nid", true, NW_ERR_ATTEST_PAYLOAD);
    TRY(k.timestamp = 0, true, NW_ERR_ATTEST_PAYLOAD);
    TRY(k.pcr_index = 32, true, NW_ERR_ATTEST_PAYLOAD);
    TRY(k.pcr_len = 32, true, NW_ERR_ATTEST_PAYLOAD);
    TRY(k.extra_key = true, true, NW_ERR_ATTEST_PAYLOAD);
    TRY(k.dup_key = true, true, NW_ERR_ATTEST_PAYLOAD);
    TRY(k.no_pcrs = true, true, NW_ERR_ATTEST_PAYLOAD);
    TRY(k.empty_cabundle = true, true, NW_ERR_ATTEST_PAYLOAD);
    TRY(k.empty_public_key = true, true, NW_ERR_ATTEST_PAYLOAD);
    TRY(k.big_user_data = true, true, NW_ERR_ATTEST_PAYLOAD);
    TRY(k.not_a_map = true, true, NW_ERR_ATTEST_PAYLOAD);
    /* a float where null or bytes belong (libcbor 0.8's cbor_is_null would abort on it) */
    TRY(k.float_public_key = true, true, NW_ERR_ATTEST_PAYLOAD);
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    TRY((k.cert = junk, k.cert_len = sizeof(junk)), false, NW_ERR_ATTEST_CERT_PARSE);
    /* A timestamp more than 5 minutes after the check time. */
    TRY(k.timestamp = (uint64_t)(t + 301) * 1000u, false, NW_ERR_ATTEST_FUTURE);
    TRY(k.timestamp = (uint64_t)(t + 299) * 1000u, false, NW_OK);
    /* The pinned AWS root (no caller root): this root's fingerprint differs. */
    struct nw_buf saved = p.root_der;
    k = (struct knobs){.root = saved.ptr, .root_len = saved.len};
    p.root_der.ptr = NULL;
    assert_int_equal(try_doc(&p, &k, t, false), NW_ERR_ATTEST_ROOT_MISMATCH);
    p.root_der = saved;
    free_pki(&p);

    /* Leaves unfit to sign documents. */
    make_pki(&p, "P-384", "critical,keyCertSign", "CA:FALSE", t);
    TRY((void)0, false, NW_ERR_ATTEST_LEAF);
    free_pki(&p);
    make_pki(&p, "P-256", "critical,digitalSignature", "CA:FALSE", t);
    TRY((void)0, false, NW_ERR_ATTEST_LEAF);
    free_pki(&p);
    make_pki(&p, "P-384", "critical,digitalSignature,keyCertSign", "critical,CA:TRUE", t);
    TRY((void)0, false, NW_ERR_ATTEST_LEAF);
    free_pki(&p);

    /* A leaf from another root, under this root's bundle: no path. */
    struct pki q;
    make_pki(&p, "P-384", "critical,digitalSignature", "CA:FALSE", t);
    make_pki(&q, "P-384", "critical,digitalSignature", "CA:FALSE", t);
    k = (struct knobs){.cert = q.leaf_der.ptr, .cert_len = q.leaf_der.len};
    assert_int_equal(try_doc(&p, &k, t, false), NW_ERR_ATTEST_CHAIN);
    free_pki(&q);
    free_pki(&p);
#undef TRY
}

static void test_cose_structure(void **state)
{
    (void)state;
    struct nw_cose_sign1 c;
    nw_cose_sign1_init(&c);
    size_t n = 0;
    uint8_t *b;
    /* [h'a1013826', {}, h'01', h'00'*96]: alg -7 (ES256) */
    uint8_t full[11 + 96] = {0x84, 0x44, 0xa1, 0x01, 0x38, 0x26, 0xa0, 0x41, 0x01, 0x58, 0x60};
    struct nw_cur dc = nw_cur_of(full, sizeof(full));
    assert_int_equal(nw_cose_sign1_decode(&c, dc), NW_ERR_COSE_ALG);
    full[5] = 0x22; /* -35 */
    assert_int_equal(nw_cose_sign1_decode(&c, dc), NW_OK);
    full[10] = 0x5f; /* a 95-byte signature, one trailing byte */
    assert_int_equal(nw_cose_sign1_decode(&c, dc), NW_ERR_CBOR_MALFORMED);
    assert_int_equal(nw_cose_sign1_decode(&c, nw_cur_of(full, sizeof(full) - 1)),
                     NW_ERR_COSE_FORMAT);
    full[10] = 0x60;
    full[0] = 0x83; /* three items, then one trailing */
    assert_int_equal(nw_cose_sign1_decode(&c, dc), NW_ERR_CBOR_MALFORMED);
    full[0] = 0x84;
    full[6] = 0x40; /* unprotected header not a map */
    assert_int_equal(nw_cose_sign1_decode(&c, dc), NW_ERR_COSE_FORMAT);
    /* four items of the wrong types */
    b = nwt_unhex("8401020304", &n);
    assert_int_equal(nw_cose_sign1_decode(&c, nw_cur_of(b, n)), NW_ERR_COSE_FORMAT);
    free(b);
    /* indefinite-length array, nesting too deep, an absurd declared size: refused before any
     * item tree is built */
    b = nwt_unhex("9f44a1013822a04101ff", &n);
    assert_int_equal(nw_cose_sign1_decode(&c, nw_cur_of(b, n)), NW_ERR_CBOR_MALFORMED);
    free(b);
    b = nwt_unhex("81818181818181818180", &n);
    assert_int_equal(nw_cose_sign1_decode(&c, nw_cur_of(b, n)), NW_ERR_CBOR_MALFORMED);
    free(b);
    b = nwt_unhex("9b000000010000000000", &n);
    assert_int_equal(nw_cose_sign1_decode(&c, nw_cur_of(b, n)), NW_ERR_CBOR_MALFORMED);
    free(b);
    b = nwt_unhex("d2d284", &n); /* two tags */
    assert_int_equal(nw_cose_sign1_decode(&c, nw_cur_of(b, n)), NW_ERR_CBOR_MALFORMED);
    free(b);
    nw_cose_sign1_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_verifies),         cmocka_unit_test(test_real_times),
        cmocka_unit_test(test_real_policy_and_roots), cmocka_unit_test(test_real_flips),
        cmocka_unit_test(test_real_framing),          cmocka_unit_test(test_built_documents),
        cmocka_unit_test(test_cose_structure),        cmocka_unit_test(test_real_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for CiphertextForRecipient: the real KMS samples (read in place from
 * ../shared/testdata/cms) parse with the sidecar's values; our producer's encoding has exactly
 * the samples' ASN.1 shape; round trips decrypt; every failure has its code.
 */
#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include <nw/cms.h>
#include <nw/hex.h>

#include "nwtest.h"
#include "sim/devca.h"

/* ---- a BER header walker for tests only (OpenSSL's ASN1_get_object decodes each header) ---- */

struct hdr {
    int tag, cls, constructed, indefinite;
    long len;
};

/* Append the headers of one TLV at *pp (and of everything inside it), depth first. */
static int walk_one(
    const unsigned char **pp, const unsigned char *end, struct hdr *out, int max, int *n, int depth)
{
    const unsigned char *p = *pp;
    long l = 0;
    int tag = 0, cls = 0;
    int r = ASN1_get_object(&p, &l, &tag, &cls, end - p);
    if ((r & 0x80) || *n >= max || depth > 16)
        return -1;
    out[(*n)++] = (struct hdr){tag, cls, r & V_ASN1_CONSTRUCTED, r == 0x21, l};
    if (r == 0x21) {
        /* indefinite length: items until the end-of-contents octets 00 00 */
        for (;;) {
            if (end - p < 2)
                return -1;
            if (p[0] == 0 && p[1] == 0) {
                if (*n >= max)
                    return -1;
                out[(*n)++] = (struct hdr){0, 0, 0, 0, 0};
                p += 2;
                break;
            }
            if (walk_one(&p, end, out, max, n, depth + 1) != 0)
                return -1;
        }
    } else if (r & V_ASN1_CONSTRUCTED) {
        const unsigned char *inner_end = p + l;
        while (p < inner_end) {
            if (walk_one(&p, inner_end, out, max, n, depth + 1) != 0)
                return -1;
        }
    } else {
        p += l;
    }
    *pp = p;
    return 0;
}

/* The header list of a whole encoding, or -1 (also for trailing bytes). */
static int shape(const uint8_t *der, size_t len, struct hdr *out, int max)
{
    const unsigned char *p = der;
    int n = 0;
    if (walk_one(&p, der + len, out, max, &n, 0) != 0 || p != der + len)
        return -1;
    return n;
}

/* ---- helpers ---- */

/* Two RSA-2048 recipients shared by all tests (key generation is slow under valgrind). */
static struct nw_recipient *keys[2];

static uint8_t *load(const char *rel, size_t *len)
{
    const char *p = nwt_testdata(rel);
    return p != NULL ? nwt_read_file(p, len) : NULL;
}

static void test_real_samples_parse(void **state)
{
    (void)state;
    for (int i = 1; i <= 2; i++) {
        char ber[64], side[64];
        snprintf(ber, sizeof(ber), "cms/kms_ciphertext_for_recipient_%d.ber", i);
        snprintf(side, sizeof(side), "cms/kms_ciphertext_for_recipient_%d.json", i);
        size_t len = 0;
        uint8_t *d = load(ber, &len);
        json_t *j = nwt_load_json(side);
        if (d == NULL || j == NULL) {
            free(d);
            json_decref(j);
            skip();
        }
        struct nw_cms_info info;
        assert_int_equal(nw_cms_inspect(&info, nw_cur_of(d, len)), NW_OK);
        assert_int_equal(info.enveloped_version,
                         json_integer_value(json_object_get(j, "enveloped_data_version")));
        assert_int_equal(info.recipient_count, 1);
        json_t *ri = json_array_get(json_object_get(j, "recipient_infos"), 0);
        assert_int_equal(info.ktri_version, json_integer_value(json_object_get(ri, "version")));
        assert_true(info.rid_is_ski);
        assert_string_equal(nwt_hex(info.ski, info.ski_len) + 2,
                            json_string_value(json_object_get(ri, "subject_key_identifier_hex")));
        assert_true(info.key_alg_oaep_sha256);
        assert_int_equal(info.encrypted_key_len,
                         json_integer_value(json_object_get(ri, "encrypted_key_length")));
        assert_true(info.content_aes256cbc);
        assert_string_equal(nwt_hex(info.iv, 16) + 2,
                            json_string_value(json_object_get(j, "iv_hex")));
        assert_int_equal(info.encrypted_content_len,
                         json_integer_value(json_object_get(j, "encrypted_content_length")));
        /* No private key exists for the samples: any key of ours fails with the stable code. */
        struct nw_recipient *r = keys[0];
        struct nw_buf pt;
        nw_buf_init(&pt, 8192, true);
        assert_int_equal(nw_recipient_decrypt(r, &pt, nw_cur_of(d, len)), NW_ERR_CMS_DECRYPT);
        assert_int_equal(pt.len, 0);
        /* A trailing byte, a truncation: parse errors. */
        uint8_t *d2 = malloc(len + 1);
        memcpy(d2, d, len);
        d2[len] = 0;
        assert_int_equal(nw_cms_inspect(&info, nw_cur_of(d2, len + 1)), NW_ERR_CMS_PARSE);
        assert_int_equal(nw_recipient_decrypt(r, &pt, nw_cur_of(d2, len - 3)), NW_ERR_CMS_PARSE);
        free(d2);
        nw_buf_clear(&pt);
        free(d);
        json_decref(j);
    }
}

static int group_setup(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        if (nw_recipient_new(&keys[i], 1000) != NW_OK)
            return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    nw_recipient_free(keys[0]);
    nw_recipient_free(keys[1]);
    return 0;
}

static struct nw_recipient *recipient_n(int i, struct nw_buf *spki)
{
    struct nw_recipient *r = keys[i];
    nw_buf_init(spki, 4096, false);
    assert_int_equal(nw_recipient_spki(r, spki), NW_OK);
    assert_int_equal(nw_cms_check_recipient_spki(nw_buf_cur(spki)), NW_OK);
    return r;
}

static struct nw_recipient *recipient(struct nw_buf *spki)
{
    return recipient_n(0, spki);
}

static void test_round_trip_and_shape(void **state)
{
    (void)state;
    struct nw_buf spki, ct, pt;
    struct nw_recipient *r = recipient(&spki);
    uint8_t key[32];
    assert_int_equal(RAND_bytes(key, sizeof(key)), 1);
    nw_buf_init(&ct, NW_CMS_MAX, false);
    nw_buf_init(&pt, 8192, true);
    assert_int_equal(nw_cms_envelope(&ct, nw_buf_cur(&spki), nw_cur_of(key, sizeof(key))), NW_OK);

    struct nw_cms_info info;
    assert_int_equal(nw_cms_inspect(&info, nw_buf_cur(&ct)), NW_OK);
    assert_int_equal(info.enveloped_version, 2);
    assert_int_equal(info.ktri_version, 2);
    assert_true(info.rid_is_ski);
    assert_int_equal(info.ski_len, 32);
    uint8_t h[32];
    unsigned int hl = 0;
    assert_int_equal(EVP_Digest(spki.ptr, spki.len, h, &hl, EVP_sha256(), NULL), 1);
    assert_memory_equal(info.ski, h, 32);
    assert_true(info.key_alg_oaep_sha256);
    assert_int_equal(info.encrypted_key_len, 256);
    assert_true(info.content_aes256cbc);
    assert_int_equal(info.encrypted_content_len, 48);

    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_buf_cur(&ct)), NW_OK);
    assert_int_equal(pt.len, 32);
    assert_memory_equal(pt.ptr, key, 32);

    /* Same ASN.1 shape as real KMS output with a 48-byte content (sample 2): every header,
     * tag, indefinite marker and definite length identical. */
    size_t slen = 0;
    uint8_t *sample = load("cms/kms_ciphertext_for_recipient_2.ber", &slen);
    if (sample != NULL) {
        struct hdr a[64], b[64];
        int na = shape(sample, slen, a, 64), nb = shape(ct.ptr, ct.len, b, 64);
        assert_true(na > 20);
        assert_int_equal(na, nb);
        for (int i = 0; i < na; i++) {
            assert_int_equal(a[i].tag, b[i].tag);
            assert_int_equal(a[i].cls, b[i].cls);
            assert_int_equal(a[i].constructed, b[i].constructed);
            assert_int_equal(a[i].indefinite, b[i].indefinite);
            assert_int_equal(a[i].len, b[i].len);
        }
        assert_int_equal(slen, ct.len);
        free(sample);
    }

    /* Corrupting the padding block fails with the stable code; the output is left empty. */
    pt.len = 0;
    ct.ptr[ct.len - 10 - 17] ^= 1; /* last byte of the penultimate ciphertext block */
    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_buf_cur(&ct)), NW_ERR_CMS_DECRYPT);
    assert_int_equal(pt.len, 0);

    /* Another recipient's key. */
    struct nw_buf spki2;
    struct nw_recipient *r2 = recipient_n(1, &spki2);
    ct.len = 0;
    assert_int_equal(nw_cms_envelope(&ct, nw_buf_cur(&spki), nw_cur_of(key, sizeof(key))), NW_OK);
    assert_int_equal(nw_recipient_decrypt(r2, &pt, nw_buf_cur(&ct)), NW_ERR_CMS_DECRYPT);
    nw_buf_clear(&spki2);

    /* The primitive [0] form (DER re-encoding, as sdk-c's second vector) decrypts too. */
    BIO *in = BIO_new_mem_buf(ct.ptr, (int)ct.len);
    CMS_ContentInfo *cms = d2i_CMS_bio(in, NULL);
    assert_non_null(cms);
    unsigned char *der = NULL;
    int dl = i2d_CMS_ContentInfo(cms, &der);
    assert_true(dl > 0);
    assert_int_equal(der[1], 0x82); /* definite length now */
    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_cur_of(der, (size_t)dl)), NW_OK);
    assert_memory_equal(pt.ptr, key, 32);
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(in);

    nw_buf_clear(&spki);
    nw_buf_clear(&ct);
    nw_buf_clear(&pt);
}

static void test_chunks(void **state)
{
    (void)state;
    struct nw_buf spki, ct, pt;
    struct nw_recipient *r = recipient(&spki);
    static uint8_t data[4096];
    assert_int_equal(RAND_bytes(data, sizeof(data)), 1);
    nw_buf_init(&ct, NW_CMS_MAX, false);
    nw_buf_init(&pt, 8192, true);
    assert_int_equal(nw_cms_envelope(&ct, nw_buf_cur(&spki), nw_cur_of(data, sizeof(data))), NW_OK);
    struct hdr h[128];
    int n = shape(ct.ptr, ct.len, h, 128);
    assert_true(n > 0);
    /* The encrypted content: [0] constructed indefinite, then 1000,1000,1000,1000,112. */
    int i = n - 1; /* the last [0] indefinite item is the encrypted content */
    while (i >= 0 && !(h[i].cls == V_ASN1_CONTEXT_SPECIFIC && h[i].tag == 0 && h[i].indefinite))
        i--;
    assert_true(i >= 0);
    assert_true(i + 6 < n);
    long want[] = {1000, 1000, 1000, 1000, 112};
    for (int k = 0; k < 5; k++) {
        assert_int_equal(h[i + 1 + k].tag, V_ASN1_OCTET_STRING);
        assert_int_equal(h[i + 1 + k].len, want[k]);
    }
    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_buf_cur(&ct)), NW_OK);
    assert_int_equal(pt.len, sizeof(data));
    assert_memory_equal(pt.ptr, data, sizeof(data));

    /* Output capped below the plaintext: NW_ERR_BUF_FULL, and the partial plaintext wiped. */
    struct nw_buf small;
    nw_buf_init(&small, 1000, true);
    assert_int_equal(nw_recipient_decrypt(r, &small, nw_buf_cur(&ct)), NW_ERR_BUF_FULL);
    assert_int_equal(small.len, 0);
    /* The first 512-byte read went in before the cap was hit; it must be wiped. */
    for (size_t k = 0; k < 512; k++)
        assert_int_equal(small.ptr[k], 0);
    nw_buf_clear(&small);

    nw_buf_clear(&spki);
    nw_buf_clear(&ct);
    nw_buf_clear(&pt);
}

/* Build a CMS with OpenSSL directly (other shapes than KMS's) for a throwaway RSA key. */
static void other_shape(struct nw_buf *out, bool oaep, const EVP_CIPHER *cipher, int recipients)
{
    EVP_PKEY *k = EVP_RSA_gen(1024); /* the checks under test do not depend on the size */
    X509 *x = NULL;
    struct nw_devca_cert spec = {.subject = {.cn = "t"},
                                 .key = k,
                                 .issuer_key = k,
                                 .not_before_s = 0,
                                 .not_after_s = 4000000000,
                                 .basic_constraints = "CA:FALSE",
                                 .key_usage = "keyEncipherment"};
    assert_int_equal(nw_devca_issue(&x, &spec), NW_OK);
    CMS_ContentInfo *cms = CMS_encrypt(NULL, NULL, cipher, CMS_BINARY | CMS_PARTIAL);
    for (int i = 0; i < recipients; i++) {
        CMS_RecipientInfo *ri =
            CMS_add1_recipient_cert(cms, x, CMS_USE_KEYID | (oaep ? CMS_KEY_PARAM : 0));
        assert_non_null(ri);
        if (oaep) {
            EVP_PKEY_CTX *pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
            assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) > 0);
            assert_true(EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) > 0);
            assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0);
        }
    }
    BIO *in = BIO_new_mem_buf("0123456789abcdef0123456789abcdef", 32);
    assert_int_equal(CMS_final(cms, in, NULL, CMS_BINARY), 1);
    unsigned char *der = NULL;
    int n = i2d_CMS_ContentInfo(cms, &der);
    assert_true(n > 0);
    nw_buf_init(out, NW_CMS_MAX, false);
    assert_int_equal(nw_buf_append(out, der, (size_t)n), NW_OK);
    OPENSSL_free(der);
    BIO_free(in);
    CMS_ContentInfo_free(cms);
    X509_free(x);
    EVP_PKEY_free(k);
}

static void test_errors(void **state)
{
    (void)state;
    struct nw_buf spki, pt, b;
    struct nw_recipient *r = recipient(&spki);
    nw_buf_init(&pt, 8192, true);

    other_shape(&b, false, EVP_aes_256_cbc(), 1); /* PKCS#1 v1.5 key transport */
    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_buf_cur(&b)), NW_ERR_CMS_KEY_ALG);
    nw_buf_clear(&b);
    other_shape(&b, true, EVP_aes_128_cbc(), 1);
    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_buf_cur(&b)), NW_ERR_CMS_CONTENT_ALG);
    nw_buf_clear(&b);
    other_shape(&b, true, EVP_aes_256_cbc(), 2);
    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_buf_cur(&b)), NW_ERR_CMS_FORMAT);
    nw_buf_clear(&b);

    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_cur_str("garbage")), NW_ERR_CMS_PARSE);
    struct nw_cms_info info;
    assert_int_equal(nw_cms_inspect(&info, nw_cur_of(NULL, 0)), NW_ERR_CMS_PARSE);
    static uint8_t huge[NW_CMS_MAX + 1];
    assert_int_equal(nw_cms_inspect(&info, nw_cur_of(huge, sizeof(huge))), NW_ERR_TOO_LARGE);
    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_cur_of(huge, sizeof(huge))), NW_ERR_TOO_LARGE);
    /* id-data instead of id-envelopedData: 30 0b 06 09 2a864886f70d010701 */
    size_t n = 0;
    uint8_t *notenv = nwt_unhex("300b06092a864886f70d010701", &n);
    assert_int_equal(nw_cms_inspect(&info, nw_cur_of(notenv, n)), NW_ERR_CMS_PARSE);
    free(notenv);

    /* Recipient keys: RSA-2048 with e=65537 only. */
    struct nw_buf ct;
    nw_buf_init(&ct, NW_CMS_MAX, false);
    assert_int_equal(nw_cms_envelope(&ct, nw_cur_str("not a key"), nw_cur_str("x")),
                     NW_ERR_RECIPIENT_KEY);
    assert_int_equal(nw_cms_envelope(&ct, nw_buf_cur(&spki), nw_cur_of(NULL, 0)),
                     NW_ERR_INVALID_ARG);
    EVP_PKEY *ec = EVP_EC_gen("P-384");
    EVP_PKEY *rsa3k = EVP_RSA_gen(1024); /* any size but 2048 */
    unsigned char *der = NULL;
    int dl = i2d_PUBKEY(ec, &der);
    assert_int_equal(nw_cms_check_recipient_spki(nw_cur_of(der, (size_t)dl)), NW_ERR_RECIPIENT_KEY);
    OPENSSL_free(der);
    der = NULL;
    dl = i2d_PUBKEY(rsa3k, &der);
    assert_int_equal(nw_cms_envelope(&ct, nw_cur_of(der, (size_t)dl), nw_cur_str("x")),
                     NW_ERR_RECIPIENT_KEY);
    OPENSSL_free(der);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa3k);

    /* Bounded lifetime. */
    assert_int_equal(nw_recipient_check_age(r, 1000, 300), NW_OK);
    assert_int_equal(nw_recipient_check_age(r, 1299, 300), NW_OK);
    assert_int_equal(nw_recipient_check_age(r, 1300, 300), NW_ERR_RECIPIENT_EXPIRED);
    assert_int_equal(nw_recipient_check_age(r, 999, 300), NW_ERR_RECIPIENT_EXPIRED);

    nw_recipient_free(NULL);
    nw_buf_clear(&spki);
    nw_buf_clear(&pt);
    nw_buf_clear(&ct);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_samples_parse),
        cmocka_unit_test(test_round_trip_and_shape),
        cmocka_unit_test(test_chunks),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

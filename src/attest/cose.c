/*
 * COSE_Sign1 with ES384, as Nitro attestation documents use it (RFC 8152 sections 4.2, 4.4, 8.1;
 * nitro-protocols.md 2.1-2.2). The signature is raw r || s (48 bytes each), not DER.
 */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <string.h>

#include <nw/mem.h>

#include "attest_int.h"

#define COSE_TAG_SIGN1 18
#define COSE_ALG_ES384 (-35)

void nw_cose_sign1_init(struct nw_cose_sign1 *c)
{
    memset(c, 0, sizeof(*c));
    nw_buf_init(&c->protected_hdr, 64, false);
    nw_buf_init(&c->payload, NW_ATTEST_PAYLOAD_MAX, false);
}

void nw_cose_sign1_clear(struct nw_cose_sign1 *c)
{
    nw_buf_clear(&c->protected_hdr);
    nw_buf_clear(&c->payload);
    memset(c->signature, 0, sizeof(c->signature));
    c->tagged = false;
}

/* The protected header must be the map {1: -35} and nothing else. */
static nw_err check_protected(struct nw_cur hdr)
{
    cbor_item_t *m = NULL;
    nw_err err = nw_cbor_load(&m, hdr);
    if (err == NW_ERR_NOMEM)
        return err;
    if (err != NW_OK)
        return NW_ERR_COSE_ALG;
    err = NW_ERR_COSE_ALG;
    if (cbor_isa_map(m) && cbor_map_size(m) == 1) {
        struct cbor_pair *p = cbor_map_handle(m);
        if (cbor_isa_uint(p[0].key) && cbor_get_int(p[0].key) == 1 && cbor_isa_negint(p[0].value) &&
            cbor_get_int(p[0].value) == (uint64_t)(-1 - COSE_ALG_ES384))
            err = NW_OK;
    }
    cbor_decref(&m);
    return err;
}

nw_err nw_cose_sign1_decode(struct nw_cose_sign1 *out, struct nw_cur doc)
{
    nw_err err = NW_OK;
    cbor_item_t *root = NULL, *inner = NULL;
    nw_cose_sign1_clear(out);

    /*
     * libcbor 0.8's decoder rejects the one-byte tag heads 0xc6..0xd4 as "unassigned", and
     * COSE_Sign1's tag 18 is 0xd2. So the optional outer tag is taken off here; the two-byte
     * form d8 12 still goes through libcbor below.
     */
    if (doc.len > 0 && doc.ptr[0] == 0xd2) {
        out->tagged = true;
        doc.ptr++;
        doc.len--;
    }
    NW_CHECK(nw_cbor_load(&root, doc));
    if (cbor_isa_tag(root)) {
        NW_CHECK_COND(!out->tagged && cbor_tag_value(root) == COSE_TAG_SIGN1, NW_ERR_COSE_FORMAT);
        inner = cbor_tag_item(root); /* a new reference */
        out->tagged = true;
    } else {
        inner = cbor_incref(root);
    }
    NW_CHECK_COND(cbor_isa_array(inner) && cbor_array_size(inner) == 4, NW_ERR_COSE_FORMAT);
    cbor_item_t **a = cbor_array_handle(inner);
    NW_CHECK_COND(cbor_isa_bytestring(a[0]) && cbor_isa_map(a[1]) && cbor_isa_bytestring(a[2]) &&
                      cbor_isa_bytestring(a[3]),
                  NW_ERR_COSE_FORMAT);
    struct nw_cur prot = nw_cbor_bytes(a[0]), payload = nw_cbor_bytes(a[2]),
                  sig = nw_cbor_bytes(a[3]);
    NW_CHECK(check_protected(prot));
    NW_CHECK_COND(payload.len >= 1 && payload.len <= NW_ATTEST_PAYLOAD_MAX, NW_ERR_COSE_FORMAT);
    NW_CHECK_COND(sig.len == sizeof(out->signature), NW_ERR_COSE_FORMAT);
    NW_CHECK(nw_buf_append(&out->protected_hdr, prot.ptr, prot.len));
    NW_CHECK(nw_buf_append(&out->payload, payload.ptr, payload.len));
    memcpy(out->signature, sig.ptr, sig.len);
out:
    if (inner != NULL)
        cbor_decref(&inner);
    if (root != NULL)
        cbor_decref(&root);
    if (err != NW_OK)
        nw_cose_sign1_clear(out);
    return err;
}

nw_err nw_cose_sig_structure(struct nw_buf *out, struct nw_cur protected_hdr, struct nw_cur payload)
{
    nw_err err = NW_ERR_NOMEM;
    cbor_item_t *arr = cbor_new_definite_array(4);
    if (arr == NULL)
        return NW_ERR_NOMEM;
    cbor_item_t *items[4] = {
        cbor_build_string("Signature1"),
        cbor_build_bytestring(protected_hdr.ptr, protected_hdr.len),
        cbor_build_bytestring(NULL, 0),
        cbor_build_bytestring(payload.ptr, payload.len),
    };
    bool ok = true;
    for (size_t i = 0; i < 4; i++) {
        if (items[i] == NULL || !cbor_array_push(arr, items[i]))
            ok = false;
        if (items[i] != NULL)
            cbor_decref(&items[i]);
    }
    if (ok)
        err = nw_cbor_serialize(out, arr);
    cbor_decref(&arr);
    return err;
}

/* Raw r||s (48+48) to a DER ECDSA-Sig-Value for OpenSSL. */
static nw_err raw_to_der(struct nw_buf *der, const uint8_t sig96[96])
{
    nw_err err = NW_ERR_CRYPTO;
    unsigned char *p = NULL;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig96, 48, NULL), *sv = BN_bin2bn(sig96 + 48, 48, NULL);
    if (s == NULL || r == NULL || sv == NULL || ECDSA_SIG_set0(s, r, sv) != 1) {
        BN_free(r);
        BN_free(sv);
        err = NW_ERR_NOMEM;
        goto out;
    }
    int n = i2d_ECDSA_SIG(s, &p);
    if (n > 0)
        err = nw_buf_append(der, p, (size_t)n);
out:
    OPENSSL_free(p);
    ECDSA_SIG_free(s);
    return err;
}

nw_err nw_cose_verify_es384(const struct nw_cose_sign1 *c, EVP_PKEY *pub)
{
    nw_err err = NW_OK;
    struct nw_buf tbs, der;
    nw_buf_init(&tbs, NW_ATTEST_PAYLOAD_MAX + 256, false);
    nw_buf_init(&der, 128, false);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    NW_CHECK_COND(md != NULL, NW_ERR_NOMEM);
    NW_CHECK(nw_cose_sig_structure(&tbs, nw_buf_cur(&c->protected_hdr), nw_buf_cur(&c->payload)));
    NW_CHECK(raw_to_der(&der, c->signature));
    NW_CHECK_COND(EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, pub) == 1, NW_ERR_CRYPTO);
    NW_CHECK_COND(EVP_DigestVerify(md, der.ptr, der.len, tbs.ptr, tbs.len) == 1,
                  NW_ERR_COSE_SIGNATURE);
out:
    EVP_MD_CTX_free(md);
    nw_buf_clear(&tbs);
    nw_buf_clear(&der);
    return err;
}

static nw_err der_to_raw(uint8_t sig96[96], const unsigned char *der, size_t der_len)
{
    const unsigned char *p = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (s == NULL)
        return NW_ERR_CRYPTO;
    const BIGNUM *r = NULL, *sv = NULL;
    ECDSA_SIG_get0(s, &r, &sv);
    nw_err err = BN_bn2binpad(r, sig96, 48) == 48 && BN_bn2binpad(sv, sig96 + 48, 48) == 48
                     ? NW_OK
                     : NW_ERR_CRYPTO;
    ECDSA_SIG_free(s);
    return err;
}

static cbor_item_t *protected_es384(void)
{
    /* a1 01 38 22: {1: -35} */
    static const uint8_t hdr[] = {0xa1, 0x01, 0x38, 0x22};
    return cbor_build_bytestring(hdr, sizeof(hdr));
}

nw_err nw_cose_sign1_es384(struct nw_buf *out, EVP_PKEY *key, struct nw_cur payload, bool tagged)
{
    static const uint8_t hdr[] = {0xa1, 0x01, 0x38, 0x22};
    nw_err err = NW_OK;
    struct nw_buf tbs;
    uint8_t sig[96];
    unsigned char der[160];
    size_t der_len = sizeof(der);
    cbor_item_t *arr = NULL, *tag = NULL;
    nw_buf_init(&tbs, NW_ATTEST_PAYLOAD_MAX + 256, false);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    NW_CHECK_COND(md != NULL, NW_ERR_NOMEM);
    NW_CHECK_COND(payload.len >= 1 && payload.len <= NW_ATTEST_PAYLOAD_MAX, NW_ERR_INVALID_ARG);
    NW_CHECK(nw_cose_sig_structure(&tbs, nw_cur_of(hdr, sizeof(hdr)), payload));
    NW_CHECK_COND(EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, key) == 1, NW_ERR_CRYPTO);
    NW_CHECK_COND(EVP_DigestSign(md, der, &der_len, tbs.ptr, tbs.len) == 1, NW_ERR_CRYPTO);
    NW_CHECK(der_to_raw(sig, der, der_len));

    arr = cbor_new_definite_array(4);
    NW_CHECK_COND(arr != NULL, NW_ERR_NOMEM);
    cbor_item_t *items[4] = {protected_es384(), cbor_new_definite_map(0),
                             cbor_build_bytestring(payload.ptr, payload.len),
                             cbor_build_bytestring(sig, sizeof(sig))};
    bool ok = true;
    for (size_t i = 0; i < 4; i++) {
        if (items[i] == NULL || !cbor_array_push(arr, items[i]))
            ok = false;
        if (items[i] != NULL)
            cbor_decref(&items[i]);
    }
    NW_CHECK_COND(ok, NW_ERR_NOMEM);
    if (tagged) {
        tag = cbor_build_tag(COSE_TAG_SIGN1, arr);
        NW_CHECK_COND(tag != NULL, NW_ERR_NOMEM);
    }
    NW_CHECK(nw_cbor_serialize(out, tagged ? tag : arr));
out:
    if (tag != NULL)
        cbor_decref(&tag);
    if (arr != NULL)
        cbor_decref(&arr);
    EVP_MD_CTX_free(md);
    nw_buf_clear(&tbs);
    return err;
}

/*
 * CiphertextForRecipient: CMS EnvelopedData (RFC 5652 section 6) with RSAES-OAEP key transport
 * (RFC 8017, RFC 4055) and AES-256-CBC content, as KMS emits it (nitro-protocols.md 3.5).
 * OpenSSL's CMS code parses and decrypts; OpenSSL's ASN.1 templates below only describe the
 * same structure so that versions, identifiers and the IV can be reported and checked.
 */
#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <string.h>

#include <nw/attest.h>
#include <nw/cms.h>
#include <nw/mem.h>
#include <nw/nsm.h>

#include "attest_int.h"

struct nw_recipient {
    EVP_PKEY *pkey;
    int64_t created_s;
};

/* ---- ASN.1 description of ContentInfo(EnvelopedData) with key transport recipients ---- */

/* clang-format off */
typedef struct {
    int type;
    union {
        ASN1_OCTET_STRING *ski;
        ASN1_STRING *ias; /* issuerAndSerialNumber, kept as an opaque SEQUENCE */
    } d;
} NW_RID;

ASN1_CHOICE(NW_RID) = {
    ASN1_IMP(NW_RID, d.ski, ASN1_OCTET_STRING, 0),
    ASN1_SIMPLE(NW_RID, d.ias, ASN1_SEQUENCE),
    /* cppcheck-suppress unknownMacro */
} static_ASN1_CHOICE_END(NW_RID)

typedef struct {
    ASN1_INTEGER *version;
    NW_RID *rid;
    X509_ALGOR *kea;
    ASN1_OCTET_STRING *ek;
} NW_KTRI;

ASN1_SEQUENCE(NW_KTRI) = {
    ASN1_SIMPLE(NW_KTRI, version, ASN1_INTEGER),
    ASN1_SIMPLE(NW_KTRI, rid, NW_RID),
    ASN1_SIMPLE(NW_KTRI, kea, X509_ALGOR),
    ASN1_SIMPLE(NW_KTRI, ek, ASN1_OCTET_STRING),
    /* cppcheck-suppress unknownMacro */
} static_ASN1_SEQUENCE_END(NW_KTRI)

DEFINE_STACK_OF(NW_KTRI)

typedef struct {
    ASN1_OBJECT *type;
    X509_ALGOR *alg;
    ASN1_OCTET_STRING *content;
} NW_ECI;

ASN1_SEQUENCE(NW_ECI) = {
    ASN1_SIMPLE(NW_ECI, type, ASN1_OBJECT),
    ASN1_SIMPLE(NW_ECI, alg, X509_ALGOR),
    ASN1_IMP_OPT(NW_ECI, content, ASN1_OCTET_STRING, 0),
    /* cppcheck-suppress unknownMacro */
} static_ASN1_SEQUENCE_END(NW_ECI)

typedef struct {
    ASN1_INTEGER *version;
    STACK_OF(NW_KTRI) *ris;
    NW_ECI *eci;
} NW_ENV;

ASN1_SEQUENCE(NW_ENV) = {
    ASN1_SIMPLE(NW_ENV, version, ASN1_INTEGER),
    ASN1_SET_OF(NW_ENV, ris, NW_KTRI),
    ASN1_SIMPLE(NW_ENV, eci, NW_ECI),
    /* cppcheck-suppress unknownMacro */
} static_ASN1_SEQUENCE_END(NW_ENV)

typedef struct {
    ASN1_OBJECT *type;
    NW_ENV *env;
} NW_CI;

ASN1_SEQUENCE(NW_CI) = {
    ASN1_SIMPLE(NW_CI, type, ASN1_OBJECT),
    ASN1_EXP(NW_CI, env, NW_ENV, 0),
    /* cppcheck-suppress unknownMacro */
} static_ASN1_SEQUENCE_END(NW_CI)

static bool is_sha256(const X509_ALGOR *a); /* ends the macro block for clang-format */
/* clang-format on */

/* An AlgorithmIdentifier naming SHA-256 (parameters absent or NULL). */
static bool is_sha256(const X509_ALGOR *a)
{
    if (a == NULL || OBJ_obj2nid(a->algorithm) != NID_sha256)
        return false;
    return a->parameter == NULL || a->parameter->type == V_ASN1_NULL;
}

/* RSAES-OAEP-params with SHA-256, MGF1(SHA-256) and the default (empty) label. */
static bool is_oaep_sha256(const X509_ALGOR *kea)
{
    if (OBJ_obj2nid(kea->algorithm) != NID_rsaesOaep || kea->parameter == NULL ||
        kea->parameter->type != V_ASN1_SEQUENCE)
        return false;
    RSA_OAEP_PARAMS *p = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_OAEP_PARAMS), kea->parameter);
    if (p == NULL)
        return false;
    bool ok = is_sha256(p->hashFunc) && p->maskGenFunc != NULL && p->pSourceFunc == NULL &&
              OBJ_obj2nid(p->maskGenFunc->algorithm) == NID_mgf1 &&
              p->maskGenFunc->parameter != NULL &&
              p->maskGenFunc->parameter->type == V_ASN1_SEQUENCE;
    if (ok) {
        X509_ALGOR *mh =
            ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR), p->maskGenFunc->parameter);
        ok = is_sha256(mh);
        X509_ALGOR_free(mh);
    }
    RSA_OAEP_PARAMS_free(p);
    return ok;
}

nw_err nw_cms_inspect(struct nw_cms_info *out, struct nw_cur cms)
{
    nw_err err = NW_OK;
    memset(out, 0, sizeof(*out));
    NW_ENSURE(cms.len <= NW_CMS_MAX, NW_ERR_TOO_LARGE);
    NW_ENSURE(cms.len > 0 && cms.ptr != NULL, NW_ERR_CMS_PARSE);
    const unsigned char *p = cms.ptr;
    NW_CI *ci = (NW_CI *)ASN1_item_d2i(NULL, &p, (long)cms.len, ASN1_ITEM_rptr(NW_CI));
    NW_CHECK_COND(ci != NULL && p == cms.ptr + cms.len, NW_ERR_CMS_PARSE);
    NW_CHECK_COND(OBJ_obj2nid(ci->type) == NID_pkcs7_enveloped, NW_ERR_CMS_PARSE);
    NW_ENV *env = ci->env;
    out->enveloped_version = ASN1_INTEGER_get(env->version);
    out->recipient_count = (size_t)sk_NW_KTRI_num(env->ris);
    NW_CHECK_COND(out->recipient_count >= 1, NW_ERR_CMS_FORMAT);
    NW_KTRI *k = sk_NW_KTRI_value(env->ris, 0);
    out->ktri_version = ASN1_INTEGER_get(k->version);
    out->rid_is_ski = k->rid->type == 0;
    if (out->rid_is_ski) {
        size_t n = (size_t)ASN1_STRING_length(k->rid->d.ski);
        NW_CHECK_COND(n <= sizeof(out->ski), NW_ERR_CMS_FORMAT);
        memcpy(out->ski, ASN1_STRING_get0_data(k->rid->d.ski), n);
        out->ski_len = n;
    }
    out->key_alg_oaep_sha256 = is_oaep_sha256(k->kea);
    out->encrypted_key_len = (size_t)ASN1_STRING_length(k->ek);
    NW_ECI *eci = env->eci;
    const ASN1_TYPE *iv = eci->alg->parameter;
    out->content_aes256cbc = OBJ_obj2nid(eci->type) == NID_pkcs7_data &&
                             OBJ_obj2nid(eci->alg->algorithm) == NID_aes_256_cbc && iv != NULL &&
                             iv->type == V_ASN1_OCTET_STRING &&
                             ASN1_STRING_length(iv->value.octet_string) == 16;
    if (out->content_aes256cbc)
        memcpy(out->iv, ASN1_STRING_get0_data(iv->value.octet_string), 16);
    if (eci->content != NULL)
        out->encrypted_content_len = (size_t)ASN1_STRING_length(eci->content);
out:
    ASN1_item_free((ASN1_VALUE *)ci, ASN1_ITEM_rptr(NW_CI));
    if (err != NW_OK)
        memset(out, 0, sizeof(*out));
    return err;
}

/* ---- the recipient key pair ---- */

nw_err nw_recipient_new(struct nw_recipient **out, int64_t created_s)
{
    *out = NULL;
    struct nw_recipient *r = nw_calloc(1, sizeof(*r));
    NW_ENSURE(r != NULL, NW_ERR_NOMEM);
    r->pkey = EVP_RSA_gen(2048); /* e = 65537 */
    if (r->pkey == NULL) {
        nw_free(r);
        return NW_ERR_CRYPTO;
    }
    r->created_s = created_s;
    *out = r;
    return NW_OK;
}

void nw_recipient_free(struct nw_recipient *r)
{
    if (r == NULL)
        return;
    EVP_PKEY_free(r->pkey);
    nw_free_secret(r, sizeof(*r));
}

nw_err nw_recipient_check_age(const struct nw_recipient *r, int64_t now_s, int64_t lifetime_s)
{
    bool expired = now_s < r->created_s || now_s - r->created_s >= lifetime_s;
    return expired ? NW_ERR_RECIPIENT_EXPIRED : NW_OK;
}

nw_err nw_recipient_spki(const struct nw_recipient *r, struct nw_buf *out)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(r->pkey, &der);
    NW_ENSURE(n > 0, NW_ERR_CRYPTO);
    nw_err err = nw_buf_append(out, der, (size_t)n);
    OPENSSL_free(der);
    return err;
}

static EVP_PKEY *pubkey_from_spki(struct nw_cur spki)
{
    if (spki.ptr == NULL || spki.len == 0 || spki.len > 4096)
        return NULL;
    const unsigned char *p = spki.ptr;
    EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)spki.len);
    if (k != NULL && p != spki.ptr + spki.len) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    return k;
}

static bool rsa2048_f4(EVP_PKEY *k)
{
    BIGNUM *e = NULL;
    bool ok = k != NULL && EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) == 2048 &&
              EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) == 1 && BN_is_word(e, 65537);
    BN_free(e);
    return ok;
}

nw_err nw_cms_check_recipient_spki(struct nw_cur spki)
{
    EVP_PKEY *k = pubkey_from_spki(spki);
    bool ok = rsa2048_f4(k);
    EVP_PKEY_free(k);
    return ok ? NW_OK : NW_ERR_RECIPIENT_KEY;
}

/* The shape KMS uses: one key-transport recipient, OAEP-SHA-256, AES-256-CBC. */
static nw_err check_kms_shape(struct nw_cur cms)
{
    struct nw_cms_info info;
    NW_TRY(nw_cms_inspect(&info, cms));
    NW_ENSURE(info.recipient_count == 1, NW_ERR_CMS_FORMAT);
    NW_ENSURE(info.key_alg_oaep_sha256, NW_ERR_CMS_KEY_ALG);
    NW_ENSURE(info.content_aes256cbc, NW_ERR_CMS_CONTENT_ALG);
    NW_ENSURE(info.encrypted_content_len > 0 && info.encrypted_content_len % 16 == 0,
              NW_ERR_CMS_FORMAT);
    return NW_OK;
}

nw_err nw_recipient_decrypt(struct nw_recipient *r, struct nw_buf *plaintext, struct nw_cur cms)
{
    nw_err err = NW_OK;
    size_t mark = plaintext->len;
    CMS_ContentInfo *ci = NULL;
    BIO *in = NULL, *cont = NULL;
    uint8_t chunk[512];
    NW_CHECK(check_kms_shape(cms));
    in = BIO_new_mem_buf(cms.ptr, (int)cms.len);
    NW_CHECK_COND(in != NULL, NW_ERR_NOMEM);
    ci = d2i_CMS_bio(in, NULL);
    NW_CHECK_COND(ci != NULL, NW_ERR_CMS_PARSE);
    /*
     * CMS_DEBUG_DECRYPT: fail when no recipient opens with our key instead of decrypting with
     * a random key. The random key defends PKCS#1 v1.5 against Bleichenbacher's oracle; OAEP
     * (checked above) needs no such defence, and callers need a clear error. Calling
     * CMS_decrypt with no key, certificate or BIOs only records the flags.
     */
    NW_CHECK_COND(CMS_decrypt(ci, NULL, NULL, NULL, NULL, CMS_BINARY | CMS_DEBUG_DECRYPT) == 1,
                  NW_ERR_CMS_DECRYPT);
    NW_CHECK_COND(CMS_decrypt_set1_pkey(ci, r->pkey, NULL) == 1, NW_ERR_CMS_DECRYPT);
    cont = CMS_dataInit(ci, NULL);
    NW_CHECK_COND(cont != NULL, NW_ERR_CMS_DECRYPT);
    for (;;) {
        int n = BIO_read(cont, chunk, sizeof(chunk));
        if (n <= 0)
            break;
        NW_CHECK(nw_buf_append(plaintext, chunk, (size_t)n));
    }
    /* The cipher BIO reports whether the final block's padding was valid. */
    NW_CHECK_COND(BIO_method_type(cont) == BIO_TYPE_CIPHER && BIO_get_cipher_status(cont) == 1,
                  NW_ERR_CMS_DECRYPT);
out:
    nw_wipe(chunk, sizeof(chunk));
    if (err != NW_OK && plaintext->len > mark) {
        nw_wipe(plaintext->ptr + mark, plaintext->len - mark);
        plaintext->len = mark;
    }
    BIO_free_all(cont);
    BIO_free(in);
    CMS_ContentInfo_free(ci);
    return err;
}

/* ---- producer (emulator side) ---- */

/*
 * A throwaway certificate for the recipient's key: CMS_USE_KEYID takes the recipient identifier
 * from its subjectKeyIdentifier, set here to SHA-256 of the SPKI DER (32 bytes, as KMS's).
 * Nothing checks its signature; a fresh P-256 key signs it only to make it well formed.
 */
static X509 *recipient_cert(EVP_PKEY *pub, struct nw_cur spki)
{
    X509 *x = X509_new();
    EVP_PKEY *signer = EVP_EC_gen("P-256");
    ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
    X509_NAME *name = X509_NAME_new();
    uint8_t h[32];
    unsigned int hl = 0;
    bool ok = x != NULL && signer != NULL && ski != NULL && name != NULL &&
              EVP_Digest(spki.ptr, spki.len, h, &hl, EVP_sha256(), NULL) == 1 &&
              ASN1_OCTET_STRING_set(ski, h, 32) == 1 && X509_set_version(x, X509_VERSION_3) == 1 &&
              ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1 &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                         (const unsigned char *)"nw-devaws KMS recipient", -1, -1,
                                         0) == 1 &&
              X509_set_subject_name(x, name) == 1 && X509_set_issuer_name(x, name) == 1 &&
              X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
              X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL &&
              X509_set_pubkey(x, pub) == 1 &&
              X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, X509V3_ADD_DEFAULT) == 1 &&
              X509_sign(x, signer, EVP_sha256()) > 0;
    ASN1_OCTET_STRING_free(ski);
    X509_NAME_free(name);
    EVP_PKEY_free(signer);
    if (!ok) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

/*
 * KMS writes the OAEP hash AlgorithmIdentifiers with explicit NULL parameters; OpenSSL 3 omits
 * them. Rewrite the (already used) keyEncryptionAlgorithm so the bytes match KMS's.
 */
static bool kms_oaep_params(CMS_RecipientInfo *ri)
{
    X509_ALGOR *kea = NULL;
    if (CMS_RecipientInfo_ktri_get0_algs(ri, NULL, NULL, &kea) != 1 || kea == NULL)
        return false;
    RSA_OAEP_PARAMS *p = RSA_OAEP_PARAMS_new();
    X509_ALGOR *mgf_hash = X509_ALGOR_new();
    ASN1_STRING *mgf_param = NULL, *params = NULL;
    bool ok =
        p != NULL && mgf_hash != NULL && (p->hashFunc = X509_ALGOR_new()) != NULL &&
        (p->maskGenFunc = X509_ALGOR_new()) != NULL &&
        X509_ALGOR_set0(p->hashFunc, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) == 1 &&
        X509_ALGOR_set0(mgf_hash, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) == 1 &&
        ASN1_item_pack(mgf_hash, ASN1_ITEM_rptr(X509_ALGOR), &mgf_param) != NULL &&
        X509_ALGOR_set0(p->maskGenFunc, OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE, mgf_param) == 1;
    if (ok)
        mgf_param = NULL; /* owned by p now */
    ok = ok && ASN1_item_pack(p, ASN1_ITEM_rptr(RSA_OAEP_PARAMS), &params) != NULL &&
         X509_ALGOR_set0(kea, OBJ_nid2obj(NID_rsaesOaep), V_ASN1_SEQUENCE, params) == 1;
    if (ok)
        params = NULL;
    ASN1_STRING_free(params);
    ASN1_STRING_free(mgf_param);
    X509_ALGOR_free(mgf_hash);
    RSA_OAEP_PARAMS_free(p);
    return ok;
}

/* A filter BIO that re-cuts the ciphertext stream into NW_CMS_CHUNK_BYTES writes, so each
 * OCTET STRING chunk of the streamed encoding is 1000 bytes (the last one shorter). */
struct chunker {
    uint8_t buf[NW_CMS_CHUNK_BYTES];
    size_t n;
};

static bool chunk_emit(BIO *b, struct chunker *c)
{
    if (c->n == 0)
        return true;
    int w = BIO_write(BIO_next(b), c->buf, (int)c->n);
    bool ok = w == (int)c->n;
    c->n = 0;
    return ok;
}

static int chunk_write(BIO *b, const char *in, int inl)
{
    struct chunker *c = BIO_get_data(b);
    if (c == NULL || BIO_next(b) == NULL || inl < 0)
        return -1;
    for (int done = 0; done < inl;) {
        size_t k = sizeof(c->buf) - c->n;
        if (k > (size_t)(inl - done))
            k = (size_t)(inl - done);
        memcpy(c->buf + c->n, in + done, k);
        c->n += k;
        done += (int)k;
        if (c->n == sizeof(c->buf) && !chunk_emit(b, c))
            return -1;
    }
    return inl;
}

static long chunk_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    struct chunker *c = BIO_get_data(b);
    if (BIO_next(b) == NULL)
        return 0;
    if (cmd == BIO_CTRL_FLUSH && (c == NULL || !chunk_emit(b, c)))
        return 0;
    return BIO_ctrl(BIO_next(b), cmd, num, ptr);
}

static int chunk_create(BIO *b)
{
    struct chunker *c = nw_calloc(1, sizeof(*c));
    if (c == NULL)
        return 0;
    BIO_set_data(b, c);
    BIO_set_init(b, 1);
    return 1;
}

static int chunk_destroy(BIO *b)
{
    struct chunker *c = BIO_get_data(b);
    if (c != NULL)
        nw_free_secret(c, sizeof(*c));
    BIO_set_data(b, NULL);
    return 1;
}

static BIO_METHOD *chunker_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_TYPE_FILTER, "nw cms chunker");
    if (m != NULL &&
        (BIO_meth_set_write(m, chunk_write) != 1 || BIO_meth_set_ctrl(m, chunk_ctrl) != 1 ||
         BIO_meth_set_create(m, chunk_create) != 1 ||
         BIO_meth_set_destroy(m, chunk_destroy) != 1)) {
        BIO_meth_free(m);
        m = NULL;
    }
    return m;
}

static nw_err set_oaep_sha256(CMS_RecipientInfo *ri)
{
    EVP_PKEY_CTX *pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
    NW_ENSURE(pctx != NULL, NW_ERR_CRYPTO);
    NW_ENSURE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
                  EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) > 0 &&
                  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0,
              NW_ERR_CRYPTO);
    return NW_OK;
}

nw_err nw_cms_envelope(struct nw_buf *out, struct nw_cur spki, struct nw_cur plaintext)
{
    nw_err err = NW_OK;
    EVP_PKEY *pub = NULL;
    X509 *cert = NULL;
    CMS_ContentInfo *cms = NULL;
    BIO *mem = NULL, *top = NULL, *chunk = NULL;
    BIO_METHOD *cm = NULL;
    NW_ENSURE(plaintext.len > 0 && plaintext.ptr != NULL && plaintext.len <= INT32_MAX,
              NW_ERR_INVALID_ARG);
    pub = pubkey_from_spki(spki);
    NW_CHECK_COND(rsa2048_f4(pub), NW_ERR_RECIPIENT_KEY);
    cert = recipient_cert(pub, spki);
    NW_CHECK_COND(cert != NULL, NW_ERR_CRYPTO);
    cms = CMS_encrypt(NULL, NULL, EVP_aes_256_cbc(), CMS_BINARY | CMS_PARTIAL | CMS_STREAM);
    NW_CHECK_COND(cms != NULL, NW_ERR_CRYPTO);
    CMS_RecipientInfo *ri = CMS_add1_recipient_cert(cms, cert, CMS_USE_KEYID | CMS_KEY_PARAM);
    NW_CHECK_COND(ri != NULL, NW_ERR_CRYPTO);
    NW_CHECK(set_oaep_sha256(ri));
    mem = BIO_new(BIO_s_mem());
    cm = chunker_method();
    NW_CHECK_COND(mem != NULL && cm != NULL, NW_ERR_NOMEM);
    /* Streamed BER (indefinite lengths, as KMS): cipher BIO -> ASN.1 NDEF BIO -> mem. The
     * content key is wrapped here, so the recipient's algorithm can be rewritten next. */
    top = BIO_new_CMS(mem, cms);
    NW_CHECK_COND(top != NULL, NW_ERR_CRYPTO);
    NW_CHECK_COND(kms_oaep_params(ri), NW_ERR_CRYPTO);
    /* Insert the chunker between the cipher BIO and the ASN.1 BIO. */
    chunk = BIO_new(cm);
    NW_CHECK_COND(chunk != NULL, NW_ERR_NOMEM);
    BIO *asn1 = BIO_pop(top);
    BIO_push(chunk, asn1);
    BIO_push(top, chunk);
    chunk = NULL;
    NW_CHECK_COND(BIO_write(top, plaintext.ptr, (int)plaintext.len) == (int)plaintext.len,
                  NW_ERR_CRYPTO);
    NW_CHECK_COND(BIO_flush(top) == 1, NW_ERR_CRYPTO);
    const unsigned char *data = NULL;
    long n = BIO_get_mem_data(mem, (char **)&data);
    NW_CHECK_COND(n > 0, NW_ERR_CRYPTO);
    NW_CHECK(nw_buf_append(out, data, (size_t)n));
out:
    /* Free the filter chain down to (not including) mem, as i2d_ASN1_bio_stream does. */
    while (top != NULL && top != mem) {
        BIO *next = BIO_pop(top);
        BIO_free(top);
        top = next;
    }
    BIO_free(chunk);
    BIO_free(mem);
    BIO_meth_free(cm);
    CMS_ContentInfo_free(cms);
    X509_free(cert);
    EVP_PKEY_free(pub);
    return err;
}

/* ---- the Recipient flow around the NSM and KMS ---- */

nw_err nw_recipient_attest(struct nw_recipient *r,
                           struct nw_nsm *nsm,
                           struct nw_buf *doc,
                           struct nw_cur user_data,
                           struct nw_cur nonce)
{
    struct nw_buf spki;
    nw_buf_init(&spki, 1024, false);
    nw_err err = nw_recipient_spki(r, &spki);
    if (err == NW_OK)
        err = nw_nsm_attestation(nsm, doc, user_data, nonce, nw_buf_cur(&spki));
    nw_buf_clear(&spki);
    return err;
}

nw_err nw_recipient_doc_verify(struct nw_attest_doc *out,
                               const struct nw_attest_opts *opts,
                               struct nw_cur doc)
{
    NW_TRY(nw_attest_verify(out, opts, doc));
    nw_err err = NW_ERR_RECIPIENT_KEY;
    if (out->has_public_key)
        err = nw_cms_check_recipient_spki(nw_cur_of(out->public_key, out->public_key_len));
    if (err != NW_OK)
        memset(out, 0, sizeof(*out));
    return err;
}

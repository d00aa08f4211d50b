/*
 * The development PKI: a CA made once per state directory (DIR/ca.pem, DIR/ca-key.pem) and a
 * server certificate issued at every start for the names AWS clients use
 * (kms.REGION.amazonaws.com, secretsmanager.REGION.amazonaws.com, localhost, 127.0.0.1, ::1).
 * EC P-256 keys, SHA-256 signatures, the extensions strict verifiers ask for (basic
 * constraints, key usage, subject and authority key identifiers, extended key usage).
 */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include <nw/mem.h>

#include "devaws_int.h"

static nw_err add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL)
        return NW_ERR_CRYPTO;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1 ? NW_OK : NW_ERR_CRYPTO;
}

/* A certificate for key, signed by signer (self-signed when issuer is NULL). */
static nw_err make_cert(X509 **out,
                        EVP_PKEY *key,
                        X509 *issuer,
                        EVP_PKEY *signer,
                        const char *cn,
                        long days,
                        const char *san)
{
    nw_err err = NW_ERR_CRYPTO;
    X509 *x = X509_new();
    uint8_t serial[16];
    BIGNUM *bn = NULL;
    *out = NULL;
    if (x == NULL)
        return NW_ERR_NOMEM;
    NW_CHECK(nw_dv_random(serial, sizeof(serial)));
    serial[0] &= 0x7f;
    err = NW_ERR_CRYPTO;
    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
        goto out;
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_set_version(x, 2) != 1 ||
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"nw-devaws", -1,
                                   -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x), days * 86400L) == NULL ||
        X509_set_pubkey(x, key) != 1)
        goto out;
    X509 *iss = issuer ? issuer : x;
    NW_CHECK(add_ext(x, iss, NID_subject_key_identifier, "hash"));
    NW_CHECK(add_ext(x, iss, NID_authority_key_identifier, "keyid:always"));
    if (issuer == NULL) {
        NW_CHECK(add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
        NW_CHECK(add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign"));
    } else {
        NW_CHECK(add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE"));
        NW_CHECK(add_ext(x, iss, NID_key_usage, "critical,digitalSignature"));
        NW_CHECK(add_ext(x, iss, NID_ext_key_usage, "serverAuth"));
        NW_CHECK(add_ext(x, iss, NID_subject_alt_name, san));
    }
    err = NW_ERR_CRYPTO;
    if (X509_sign(x, signer, EVP_sha256()) <= 0)
        goto out;
    *out = x;
    x = NULL;
    err = NW_OK;
out:
    BN_free(bn);
    X509_free(x);
    return err;
}

static nw_err pem_out(struct nw_buf *b, X509 *cert, EVP_PKEY *key)
{
    nw_err err = NW_ERR_CRYPTO;
    BIO *bio = BIO_new(BIO_s_mem());
    char *p = NULL;
    if (bio == NULL)
        return NW_ERR_NOMEM;
    if (cert != NULL && PEM_write_bio_X509(bio, cert) != 1)
        goto out;
    if (key != NULL && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
        goto out;
    long n = BIO_get_mem_data(bio, &p);
    if (n <= 0)
        goto out;
    NW_CHECK(nw_buf_append(b, p, (size_t)n));
    NW_CHECK(nw_buf_cstr(b));
out:
    BIO_free(bio); /* the memory BIO is allocated through the wiping allocator hooks */
    return err;
}

/* Load DIR/ca.pem and DIR/ca-key.pem, or make and store them. */
static nw_err load_or_make_ca(const struct nw_dv_config *cfg, X509 **ca, EVP_PKEY **ca_key)
{
    char cpath[512], kpath[512];
    nw_err err = NW_OK;
    struct nw_buf b;
    (void)snprintf(cpath, sizeof(cpath), "%s/ca.pem", cfg->state_dir);
    (void)snprintf(kpath, sizeof(kpath), "%s/ca-key.pem", cfg->state_dir);
    *ca = NULL;
    *ca_key = NULL;
    FILE *fc = fopen(cpath, "r");
    FILE *fk = fopen(kpath, "r");
    if (fc != NULL && fk != NULL) {
        *ca = PEM_read_X509(fc, NULL, NULL, NULL);
        *ca_key = PEM_read_PrivateKey(fk, NULL, NULL, NULL);
    }
    if (fc != NULL)
        (void)fclose(fc);
    if (fk != NULL)
        (void)fclose(fk);
    if (*ca != NULL && *ca_key != NULL && X509_check_private_key(*ca, *ca_key) == 1 &&
        X509_cmp_current_time(X509_get0_notAfter(*ca)) > 0)
        return NW_OK;
    X509_free(*ca);
    EVP_PKEY_free(*ca_key);
    *ca = NULL;
    *ca_key = EVP_EC_gen("P-256");
    if (*ca_key == NULL)
        return NW_ERR_CRYPTO;
    NW_CHECK(make_cert(ca, *ca_key, NULL, *ca_key, "nw-devaws development CA", 3650, NULL));
    nw_buf_init(&b, (size_t)64 * 1024, true);
    err = pem_out(&b, NULL, *ca_key);
    if (err == NW_OK)
        err = nw_dv_write_file(cfg->state_dir, "ca-key.pem", b.ptr, b.len, 0600);
    nw_buf_clear(&b);
    if (err == NW_OK)
        err = pem_out(&b, *ca, NULL);
    if (err == NW_OK)
        err = nw_dv_write_file(cfg->state_dir, "ca.pem", b.ptr, b.len, 0644);
    nw_buf_clear(&b);
out:
    if (err != NW_OK) {
        X509_free(*ca);
        EVP_PKEY_free(*ca_key);
        *ca = NULL;
        *ca_key = NULL;
    }
    return err;
}

nw_err
nw_dv_tls_setup(const struct nw_dv_config *cfg, struct nw_buf *cert_pem, struct nw_buf *key_pem)
{
    nw_err err;
    X509 *ca = NULL, *srv = NULL;
    EVP_PKEY *ca_key = NULL, *key = NULL;
    char san[512];
    NW_CHECK(load_or_make_ca(cfg, &ca, &ca_key));
    err = NW_ERR_CRYPTO;
    key = EVP_EC_gen("P-256");
    if (key == NULL)
        goto out;
    (void)snprintf(san, sizeof(san),
                   "DNS:kms.%s.amazonaws.com,DNS:secretsmanager.%s.amazonaws.com,DNS:localhost,"
                   "IP:127.0.0.1,IP:::1",
                   cfg->region, cfg->region);
    NW_CHECK(make_cert(&srv, key, ca, ca_key, "localhost", 30, san));
    NW_CHECK(pem_out(cert_pem, srv, NULL));
    NW_CHECK(pem_out(key_pem, NULL, key));
    NW_CHECK(nw_dv_write_file(cfg->state_dir, "server.pem", cert_pem->ptr, cert_pem->len, 0644));
out:
    X509_free(ca);
    X509_free(srv);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(key);
    return err;
}

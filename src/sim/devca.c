/*
 * Development certificate authority for the NSM simulator: P-384 keys and certificates in the
 * profile of the real Nitro attestation PKI (nitro-protocols.md 2.4, 2.6).
 */
#include "devca.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

nw_err nw_devca_keygen(EVP_PKEY **out)
{
    *out = EVP_EC_gen("P-384");
    return *out != NULL ? NW_OK : NW_ERR_CRYPTO;
}

static bool add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    bool ok = e != NULL && X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    return ok;
}

static bool set_name(X509_NAME *n, const struct nw_devca_name *name)
{
    const char *fields[][2] = {
        {"C", name->c}, {"ST", name->st}, {"L", name->l},
        {"O", name->o}, {"OU", name->ou}, {"CN", name->cn},
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(fields); i++) {
        if (fields[i][1] == NULL)
            continue;
        if (X509_NAME_add_entry_by_txt(n, fields[i][0], MBSTRING_UTF8,
                                       (const unsigned char *)fields[i][1], -1, -1, 0) != 1)
            return false;
    }
    return true;
}

nw_err nw_devca_issue(X509 **out, const struct nw_devca_cert *spec)
{
    nw_err err = NW_ERR_CRYPTO;
    X509 *x = X509_new();
    X509_NAME *subj = X509_NAME_new();
    BIGNUM *serial = BN_new();
    uint8_t rnd[16];
    *out = NULL;
    if (x == NULL || subj == NULL || serial == NULL) {
        err = NW_ERR_NOMEM;
        goto out;
    }
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        goto out;
    rnd[0] &= 0x7f; /* positive serial */
    if (BN_bin2bn(rnd, sizeof(rnd), serial) == NULL ||
        BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) == NULL)
        goto out;
    if (X509_set_version(x, X509_VERSION_3) != 1 || !set_name(subj, &spec->subject) ||
        X509_set_subject_name(x, subj) != 1 ||
        X509_set_issuer_name(x, spec->issuer != NULL ? X509_get_subject_name(spec->issuer)
                                                     : subj) != 1 ||
        X509_set_pubkey(x, spec->key) != 1 ||
        ASN1_TIME_set(X509_getm_notBefore(x), (time_t)spec->not_before_s) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), (time_t)spec->not_after_s) == NULL)
        goto out;
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, spec->issuer != NULL ? spec->issuer : x, x, NULL, NULL, 0);
    if (!add_ext(x, &ctx, NID_basic_constraints, spec->basic_constraints) ||
        !add_ext(x, &ctx, NID_key_usage, spec->key_usage) ||
        !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
        (spec->issuer != NULL && !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always")))
        goto out;
    if (X509_sign(x, spec->issuer_key, EVP_sha384()) <= 0)
        goto out;
    *out = x;
    x = NULL;
    err = NW_OK;
out:
    X509_free(x);
    X509_NAME_free(subj);
    BN_free(serial);
    return err;
}

nw_err nw_devca_der(struct nw_buf *out, X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    if (n <= 0)
        return NW_ERR_CRYPTO;
    nw_err err = nw_buf_append(out, der, (size_t)n);
    OPENSSL_free(der);
    return err;
}

static nw_err path_join(char *out, size_t cap, const char *dir, const char *file)
{
    int n = snprintf(out, cap, "%s/%s", dir, file);
    return n > 0 && (size_t)n < cap ? NW_OK : NW_ERR_INVALID_ARG;
}

nw_err nw_devca_root_load(EVP_PKEY **key, X509 **cert, const char *dir)
{
    char kp[4096], cp[4096];
    *key = NULL;
    *cert = NULL;
    NW_TRY(path_join(kp, sizeof(kp), dir, NW_DEVCA_ROOT_KEY_FILE));
    NW_TRY(path_join(cp, sizeof(cp), dir, NW_DEVCA_ROOT_CERT_FILE));
    bool hk = access(kp, F_OK) == 0, hc = access(cp, F_OK) == 0;
    if (!hk && !hc)
        return NW_ERR_NOT_FOUND;
    NW_ENSURE(hk && hc, NW_ERR_NSM_SIM_STATE);
    FILE *f = fopen(kp, "r");
    if (f != NULL) {
        *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        (void)fclose(f);
    }
    f = fopen(cp, "r");
    if (f != NULL) {
        *cert = PEM_read_X509(f, NULL, NULL, NULL);
        (void)fclose(f);
    }
    if (*key == NULL || *cert == NULL || X509_check_private_key(*cert, *key) != 1) {
        EVP_PKEY_free(*key);
        X509_free(*cert);
        *key = NULL;
        *cert = NULL;
        return NW_ERR_NSM_SIM_STATE;
    }
    return NW_OK;
}

/* Write through a temporary file and rename, so a crash never leaves half a PEM. */
static nw_err write_pem(const char *dir, const char *name, mode_t mode, EVP_PKEY *key, X509 *cert)
{
    char path[4096], tmp[4200];
    NW_TRY(path_join(path, sizeof(path), dir, name));
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    NW_ENSURE(n > 0 && (size_t)n < sizeof(tmp), NW_ERR_INVALID_ARG);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    NW_ENSURE(fd >= 0, NW_ERR_NSM_SIM_STATE);
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        unlink(tmp);
        return NW_ERR_NSM_SIM_STATE;
    }
    int ok = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
                         : PEM_write_X509(f, cert);
    if (fclose(f) != 0)
        ok = 0;
    if (ok != 1 || rename(tmp, path) != 0) {
        unlink(tmp);
        return NW_ERR_NSM_SIM_STATE;
    }
    return NW_OK;
}

nw_err nw_devca_root_save(const char *dir, EVP_PKEY *key, X509 *cert)
{
    NW_TRY(write_pem(dir, NW_DEVCA_ROOT_KEY_FILE, 0600, key, NULL));
    return write_pem(dir, NW_DEVCA_ROOT_CERT_FILE, 0644, NULL, cert);
}

/*
 * Development CA of the NSM simulator (internal to libnwsim; tests include it as "sim/devca.h").
 */
#ifndef NW_DEVCA_H
#define NW_DEVCA_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <nw/buf.h>

#define NW_DEVCA_ROOT_KEY_FILE  "nsm-root.key.pem"
#define NW_DEVCA_ROOT_CERT_FILE "nsm-root.pem"

struct nw_devca_name {
    const char *c, *st, *l, *o, *ou, *cn; /* NULL parts are left out */
};

struct nw_devca_cert {
    struct nw_devca_name subject;
    EVP_PKEY *key;        /* subject public key */
    X509 *issuer;         /* NULL: self-signed */
    EVP_PKEY *issuer_key; /* signs */
    int64_t not_before_s, not_after_s;
    const char *basic_constraints; /* X509V3 config text, e.g. "critical,CA:TRUE,pathlen:2" */
    const char *key_usage;         /* e.g. "critical,keyCertSign,cRLSign,digitalSignature" */
};

/* A fresh P-384 key. */
nw_err nw_devca_keygen(EVP_PKEY **out) NW_MUST_USE;

/* Issue a certificate per spec (random 128-bit serial, SKI, AKI when not self-signed, SHA-384). */
nw_err nw_devca_issue(X509 **out, const struct nw_devca_cert *spec) NW_MUST_USE;

/* DER of x appended to out. */
nw_err nw_devca_der(struct nw_buf *out, X509 *x) NW_MUST_USE;

/* Load the root from dir: NW_ERR_NOT_FOUND when neither file exists, NW_ERR_NSM_SIM_STATE when
 * one is missing, unreadable or the key does not match the certificate. */
nw_err nw_devca_root_load(EVP_PKEY **key, X509 **cert, const char *dir) NW_MUST_USE;

/* Save the root into dir (key 0600), atomically per file. */
nw_err nw_devca_root_save(const char *dir, EVP_PKEY *key, X509 *cert) NW_MUST_USE;

#endif /* NW_DEVCA_H */

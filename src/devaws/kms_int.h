/*
 * KMS internals shared by kms.c (keys, aliases, policies, dispatch) and kms_crypto.c
 * (Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateRandom).
 */
#ifndef NW_DEVAWS_KMS_INT_H
#define NW_DEVAWS_KMS_INT_H

#include "devaws_int.h"

#define NW_DV_KMS_PLAINTEXT_MAX  ((size_t)4096)
#define NW_DV_KMS_CIPHERTEXT_MAX ((size_t)6144)

struct nw_dv_kctx {
    struct nw_dv_state *st;
    struct nw_dv_resp *resp;
    const struct nw_dv_caller *caller;
    const json_t *in;
    const char *op;
    json_t *keys;
    json_t *aliases;
};

/* The key ARN of a key id. */
void nw_dv_kms_arn(const struct nw_dv_kctx *k, char out[NW_DV_ARN_MAX], const char *id);

/* Request members (input.c checks bound to this request); each answers the error. */
bool nw_dv_kms_str(
    struct nw_dv_kctx *k, const char **out, const char *m, bool req, size_t lo, size_t hi);
bool nw_dv_kms_blob(struct nw_dv_kctx *k, struct nw_buf *b, const char *m, bool req, size_t hi);
bool nw_dv_kms_ctx(struct nw_dv_kctx *k, const json_t **out, const char *m);
bool nw_dv_kms_int(struct nw_dv_kctx *k, long *out, const char *m, long lo, long hi, bool *present);
/* DryRun set: answers DryRunOperationException and returns true. */
bool nw_dv_kms_dry_run(struct nw_dv_kctx *k);

/* Resolve a key id, key ARN, alias name or alias ARN (id gets the UUID); NotFound answered. */
json_t *nw_dv_kms_resolve(struct nw_dv_kctx *k, char id[NW_DV_KEY_ID_LEN + 1], const char *ref);
/* The key is Enabled (else DisabledException / KMSInvalidStateException answered). */
bool nw_dv_kms_usable(struct nw_dv_kctx *k, const json_t *key, const char *id);
/* Authorise kms:<op> on key (key policy + identity policy), or on "*" when key is NULL. */
bool nw_dv_kms_allowed(struct nw_dv_kctx *k,
                       const json_t *key,
                       const char *id,
                       const char *op,
                       const json_t *enc_ctx,
                       const struct nw_dv_attest_facts *attest);
/* The key's 32-byte material (secret: the caller wipes out). */
bool nw_dv_kms_material(const json_t *key, uint8_t out[32]);

/* The cryptographic operations (kms_crypto.c). */
void nw_dv_kms_encrypt(struct nw_dv_kctx *k);
void nw_dv_kms_decrypt(struct nw_dv_kctx *k);
void nw_dv_kms_reencrypt(struct nw_dv_kctx *k);
void nw_dv_kms_gdk(struct nw_dv_kctx *k);
void nw_dv_kms_gdk_np(struct nw_dv_kctx *k);
void nw_dv_kms_random(struct nw_dv_kctx *k);

#endif /* NW_DEVAWS_KMS_INT_H */

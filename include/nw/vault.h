/*
 * The enclave's vault: KMS access with attestation and the cache of decrypted keys
 * (DESIGN.md section 5). Library: libnwvault (joins libnwaws and libnwattest; only nw-enclave
 * and tests link it).
 *
 * What it does for the enclave:
 *   - holds the Recipient RSA key pair, made at start and rotated every recipient_rotate_s
 *     (never per request), and one NSM connection shared under a lock; every KMS call carries a
 *     fresh attestation document over the current Recipient key;
 *   - reaches KMS in one of two modes, one client:
 *       relay  frames of DESIGN.md section 3 to nw-host at kms_addr
 *              ({"v":1,"id":..,"op":"kms","target":"TrentService.Decrypt","body":{..}}); no AWS
 *              credentials and no TLS in the enclave;
 *       direct SigV4 with the credentials forwarded per request, TLS to kms.REGION.amazonaws.com
 *              through a raw byte proxy at kms_addr (CA bundle from the image);
 *   - decrypts and generates keys, binding each store key to its row with the encryption
 *     context {"nw:key_id": "<uuid>"} (seed secrets have no context);
 *   - keeps decrypted keys in locked, non-dumpable memory for cache_ttl_s, bounded in count,
 *     wiped on eviction, on nw_vault_forget and on nw_vault_free.
 * KMS failures map to NW_ERR_KMS_DENIED (the policy or the attestation refused: AccessDenied,
 * a PCR condition, a wrong encryption context) or NW_ERR_KMS_UNAVAILABLE (transport, throttling,
 * 5xx, relay down); the AWS error name is in diag->msg, never a body.
 *
 * Thread safety: every function may be called from any worker thread concurrently.
 */
#ifndef NW_VAULT_H
#define NW_VAULT_H

#include <stdbool.h>

#include <nw/aws.h>
#include <nw/buf.h>
#include <nw/sign.h>

enum nw_kms_mode { NW_KMS_MODE_RELAY = 1, NW_KMS_MODE_DIRECT = 2 };

/* Parse "relay" or "direct". Returns NW_ERR_INVALID_ARG otherwise. */
nw_err nw_kms_mode_parse(enum nw_kms_mode *out, const char *text) NW_MUST_USE NW_NONNULL(1, 2);

struct nw_vault_config {
    enum nw_kms_mode kms_mode; /* default relay */
    const char *kms_addr;      /* nw_addr text; default "vsock:3:8000" */
    const char *region;        /* required */
    const char *kms_host;      /* direct: TLS name; NULL: kms.REGION.amazonaws.com */
    const char *ca_bundle;     /* direct: CA file for KMS TLS; NULL: system default */
    const char *nsm;           /* "/dev/nsm" (default) or "unix:/path" to the simulator */
    int recipient_rotate_s;    /* 0: 600 */
    int cache_ttl_s;           /* 0 disables the cache; negative: default 900 */
    size_t cache_max_keys;     /* 0: 1024 */
    int kms_timeout_ms;        /* 0: 10000 */
};

struct nw_vault;

/*
 * Create a vault: opens the NSM, makes the first Recipient key. Copies cfg.
 * Returns: NW_OK; NW_ERR_INVALID_ARG; NW_ERR_NSM_*; NW_ERR_ADDR_*; NW_ERR_NOMEM.
 */
nw_err nw_vault_new(struct nw_vault **out, const struct nw_vault_config *cfg, struct nw_diag *diag)
    NW_MUST_USE NW_NONNULL(1, 2);

/* Wipe every cached key and the Recipient key, close the NSM, free. NULL is a no-op. */
void nw_vault_free(struct nw_vault *v);

/*
 * Decrypt a key ciphertext into *key (a caller's struct, wiped by the caller with
 * nw_seckey_clear). The plaintext may be 32 raw bytes (GenerateDataKey) or the seed's hex text
 * (nw_seckey_parse). key_id NULL: no encryption context (a seed secret); else {"nw:key_id":
 * key_id}. expect_addr20 non-NULL: the key must derive that address, else NW_ERR_KEY_MISMATCH
 * (and nothing is cached). creds: the forwarded credentials in direct mode (ignored in relay).
 * Out: *key, *cache_hit (may be NULL), addr20 (may be NULL) the key's address.
 * Handles secrets: the plaintext exists only in locked memory and in *key.
 * Returns: NW_OK; NW_ERR_KMS_DENIED; NW_ERR_KMS_UNAVAILABLE; NW_ERR_KEY_MISMATCH;
 * NW_ERR_KEY_INVALID (plaintext is no secp256k1 key); NW_ERR_DEADLINE_EXCEEDED; NW_ERR_NOMEM.
 */
nw_err nw_vault_decrypt_key(struct nw_vault *v,
                            struct nw_seckey *key,
                            uint8_t addr20[20],
                            bool *cache_hit,
                            struct nw_cur ciphertext,
                            const char *key_id,
                            const uint8_t expect_addr20[20],
                            const struct nw_aws_creds *creds,
                            int64_t deadline_ms,
                            struct nw_diag *diag) NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Generate a new key with GenerateDataKey (32 bytes, Recipient) under kms_key_id, context
 * {"nw:key_id": key_id}. Out: *key, addr20, ciphertext (CiphertextBlob appended). The key is
 * cached. Returns: as nw_vault_decrypt_key, plus NW_ERR_KEY_INVALID (retry: a 32-byte value that
 * is not a valid key is astronomically rare but handled).
 */
nw_err nw_vault_generate_key(struct nw_vault *v,
                             struct nw_seckey *key,
                             uint8_t addr20[20],
                             struct nw_buf *ciphertext,
                             const char *kms_key_id,
                             const char *key_id,
                             const struct nw_aws_creds *creds,
                             int64_t deadline_ms,
                             struct nw_diag *diag) NW_MUST_USE NW_NONNULL(1, 2, 3, 4, 5, 6);

/* Drop (and wipe) any cached key decrypted from ciphertext or bound to key_id (either may be
 * empty/NULL). */
void nw_vault_forget(struct nw_vault *v, struct nw_cur ciphertext, const char *key_id)
    NW_NONNULL(1);

/*
 * An attestation document from the NSM over nonce and user_data (each may be empty), carrying
 * the current Recipient public key. Out: doc (COSE_Sign1 bytes appended).
 */
nw_err nw_vault_attest(struct nw_vault *v,
                       struct nw_buf *doc,
                       struct nw_cur nonce,
                       struct nw_cur user_data,
                       struct nw_diag *diag) NW_MUST_USE NW_NONNULL(1, 2);

/* 32 bytes of NSM randomness (for key ids, RNG seeding). */
nw_err nw_vault_random(struct nw_vault *v, uint8_t *out, size_t n) NW_MUST_USE NW_NONNULL(1, 2);

struct nw_vault_stats {
    uint64_t cache_hits;
    uint64_t cache_misses;
    uint64_t kms_calls;
    uint64_t kms_errors;
    uint64_t recipient_rotations;
    size_t cached_keys;
};
void nw_vault_stats(struct nw_vault *v, struct nw_vault_stats *out) NW_NONNULL(1, 2);

/*
 * The host half of the relay (libnwaws, <nw/kms.h> users call it from nw-host): check one relay
 * request frame (op "kms", target Decrypt/GenerateDataKey/GenerateRandom only, with a
 * Recipient), sign it with the client's credentials, forward it, and wrap the answer as
 * {"id":..,"ok":true,"result":{"status":N,"error_type":..|null,"body":{..}}} or a section 3
 * error. Declared in <nw/kms.h> as nw_kms_relay_handle (implemented by the vault/relay work).
 */

#endif /* NW_VAULT_H */

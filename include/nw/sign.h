/*
 * secp256k1 keys and recoverable ECDSA signatures, through libsecp256k1: RFC 6979 nonces,
 * low-S, y-parity recovery id. All functions that take a struct nw_seckey handle a secret:
 * they never copy it anywhere that is not wiped before returning.
 */
#ifndef NW_SIGN_H
#define NW_SIGN_H

#include <nw/buf.h>
#include <nw/mem.h>
#include <nw/random.h>

/* A private key. Secret: clear with nw_seckey_clear on every path. */
struct nw_seckey {
    uint8_t b[32];
};

/* An uncompressed public key without the 0x04 prefix: X || Y, 64 bytes. */
struct nw_pubkey {
    uint8_t b[64];
};

/* A recoverable signature: r (32) || s (32) || v, with v the y-parity 0 or 1. */
struct nw_sig {
    uint8_t b[65];
};

/* Opaque signing context (a randomised libsecp256k1 context). One per process or thread. */
struct nw_secp;

/*
 * Create a context, randomised (side-channel blinding) with seed32, 32 random bytes the caller
 * reads (libnwcore reads no randomness itself). The seed is not kept; the caller wipes it.
 * Returns: NULL on allocation failure. Free with nw_secp_free.
 */
struct nw_secp *nw_secp_new_seeded(const uint8_t seed32[32]) NW_MUST_USE NW_NONNULL(1);
void nw_secp_free(struct nw_secp *ctx);

/*
 * Convenience for binaries and tests: a context seeded from getrandom(2) through libnwbase's
 * nw_random_os. Inline, so that the call to the OS is in the caller, never in libnwcore.
 * Returns: NULL on allocation or randomness failure.
 */
static inline struct nw_secp *nw_secp_new(void)
{
    uint8_t seed[32];
    struct nw_secp *s = NULL;
    if (nw_random_os(NULL, seed, sizeof(seed)) == NW_OK)
        s = nw_secp_new_seeded(seed);
    nw_wipe(seed, sizeof(seed));
    return s;
}

/* Wipe a key. */
void nw_seckey_clear(struct nw_seckey *key);

/*
 * Check a key is in [1, n-1]. Returns: NW_OK or NW_ERR_KEY_INVALID.
 */
nw_err nw_seckey_verify(const struct nw_secp *ctx, const struct nw_seckey *key)
    NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Parse a key file's text: 64 hex digits, optional 0x, surrounding whitespace ignored.
 * Out: key (zeroed on failure). Secret-handling: no copy of the text or key is left behind.
 * Returns: NW_ERR_KEY_INVALID (wrong length, bad digits, zero, >= n).
 */
nw_err nw_seckey_parse(const struct nw_secp *ctx, struct nw_seckey *key, struct nw_cur text)
    NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Generate a fresh key from rng (32 bytes per try, until one is in [1, n-1]).
 * Out: key (wiped on failure). Returns NW_ERR_CRYPTO if the source fails.
 */
nw_err nw_seckey_generate_with(const struct nw_secp *ctx,
                               struct nw_seckey *key,
                               nw_random_fn rng,
                               void *rng_ctx) NW_MUST_USE NW_NONNULL(1, 2, 3);

/* nw_seckey_generate_with from getrandom(2) (inline: the OS call stays in the caller). */
static inline nw_err nw_seckey_generate(const struct nw_secp *ctx, struct nw_seckey *key)
{
    return nw_seckey_generate_with(ctx, key, nw_random_os, NULL);
}

/* Public key of a key. Returns NW_ERR_KEY_INVALID. */
nw_err nw_pubkey_from_seckey(const struct nw_secp *ctx,
                             struct nw_pubkey *pub,
                             const struct nw_seckey *key) NW_MUST_USE NW_NONNULL(1, 2, 3);

/* Ethereum address of a public key: the last 20 bytes of keccak256(X || Y). */
void nw_address_from_pubkey(uint8_t addr20[20], const struct nw_pubkey *pub) NW_NONNULL(1, 2);

/* Ethereum address of a private key. Returns NW_ERR_KEY_INVALID. */
nw_err nw_address_from_seckey(const struct nw_secp *ctx,
                              uint8_t addr20[20],
                              const struct nw_seckey *key) NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * Sign a 32-byte hash: RFC 6979 deterministic nonce, low-S, recovery id as v (0/1).
 * Out: sig (zeroed on failure). Returns NW_ERR_KEY_INVALID or NW_ERR_CRYPTO.
 */
nw_err nw_sign_hash(const struct nw_secp *ctx,
                    struct nw_sig *sig,
                    const uint8_t hash32[32],
                    const struct nw_seckey *key) NW_MUST_USE NW_NONNULL(1, 2, 3, 4);

/*
 * Recover the public key that produced sig over hash32. v must be 0 or 1; r and s must be in
 * range. High-S signatures are accepted (pre-EIP-2 transactions carry them).
 * Returns: NW_ERR_SIG_INVALID, NW_ERR_RECOVER_FAILED.
 */
nw_err nw_recover_pubkey(const struct nw_secp *ctx,
                         struct nw_pubkey *pub,
                         const uint8_t hash32[32],
                         const struct nw_sig *sig) NW_MUST_USE NW_NONNULL(1, 2, 3, 4);

/* Recover straight to an address. Same errors as nw_recover_pubkey. */
nw_err nw_recover_address(const struct nw_secp *ctx,
                          uint8_t addr20[20],
                          const uint8_t hash32[32],
                          const struct nw_sig *sig) NW_MUST_USE NW_NONNULL(1, 2, 3, 4);

#endif /* NW_SIGN_H */

/*
 * Web3 Secret Storage (version 3) key files, as geth, ethers, web3.py and cast write them
 * (ethereum.org "Web3 secret storage definition"): the key encrypted with AES-128-CTR under the
 * first half of a key derived from a password by scrypt or PBKDF2-HMAC-SHA256, authenticated
 * by mac = keccak256(dk[16..32] || ciphertext). Internal to src/cli (OpenSSL 3's KDFs and
 * ciphers; jansson).
 *
 * Secrets: the password, the derived key, the plaintext key. Every copy is wiped here; the
 * caller owns and wipes the password and the key it gets.
 */
#ifndef NW_CLI_KEYSTORE_H
#define NW_CLI_KEYSTORE_H

#include <nw/buf.h>
#include <nw/sign.h>

enum nw_ks_kdf { NW_KS_SCRYPT = 1, NW_KS_PBKDF2 = 2 };

/* Upper bounds on what a file may ask for (scrypt memory 128*r*n bytes, here <= 1 GiB). */
#define NW_KS_SCRYPT_MEM_MAX ((uint64_t)1 << 30)
#define NW_KS_PBKDF2_C_MAX   10000000u

/* Parameters of a new key file. Defaults (zero fields): scrypt n 2^18, r 8, p 1 (geth's
 * standard); pbkdf2 c 262144. */
struct nw_ks_params {
    enum nw_ks_kdf kdf;
    uint32_t cost; /* scrypt n (a power of two) or pbkdf2 c; 0: the default */
};

/*
 * Decrypt a V3 key file. The MAC is checked before anything is decrypted.
 * Out: key (zeroed on failure), addr20 and *has_addr (the file's optional "address").
 * Returns: NW_OK; NW_ERR_KEYSTORE_FORMAT (not JSON, not version 3, missing or malformed
 * members); NW_ERR_KEYSTORE_KDF (unknown KDF or PRF, parameters out of bounds);
 * NW_ERR_KEYSTORE_CIPHER (not aes-128-ctr); NW_ERR_KEYSTORE_MAC (wrong password or
 * tampered file); NW_ERR_KEY_INVALID; NW_ERR_CRYPTO; NW_ERR_NOMEM. diag names the member.
 */
nw_err nw_ks_decrypt(struct nw_seckey *key,
                     uint8_t addr20[20],
                     bool *has_addr,
                     struct nw_diag *diag,
                     struct nw_cur file,
                     struct nw_cur password) NW_MUST_USE;

/*
 * Encrypt key into a V3 key file (JSON text appended to out, no newline).
 * In: addr20 (written as "address", lower-case hex without 0x, as geth does), random64 (salt
 * 32 || iv 16 || uuid 16, from the caller's generator), params.
 * Returns: NW_OK; NW_ERR_INVALID_ARG (bad params); NW_ERR_CRYPTO; NW_ERR_NOMEM; NW_ERR_BUF_FULL.
 */
nw_err nw_ks_encrypt(struct nw_buf *out,
                     const struct nw_seckey *key,
                     const uint8_t addr20[20],
                     struct nw_cur password,
                     const struct nw_ks_params *params,
                     const uint8_t random64[64]) NW_MUST_USE;

#endif /* NW_CLI_KEYSTORE_H */

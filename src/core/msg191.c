/*
 * EIP-191 version 0x45 ("personal_sign", the eth_sign of today's wallets): the message is
 * prefixed with "\x19Ethereum Signed Message:\n" and its length in decimal, then hashed with
 * Keccak-256. The length counts bytes, not characters, so UTF-8 text hashes as its bytes.
 */
#include <nw/keccak.h>
#include <nw/msg.h>

#include "core_int.h"

static const char PREFIX[] = "\x19"
                             "Ethereum Signed Message:\n";

void nw_msg191_hash(uint8_t hash32[32], struct nw_cur msg)
{
    char digits[24];
    size_t nd = 0;
    size_t n = msg.len;

    /* decimal(len) without leading zeros; "0" for the empty message */
    do {
        digits[sizeof(digits) - 1 - nd] = (char)('0' + n % 10);
        nd++;
        n /= 10;
    } while (n != 0);

    struct nw_keccak k;
    nw_keccak_init(&k);
    nw_keccak_update(&k, PREFIX, sizeof(PREFIX) - 1);
    nw_keccak_update(&k, digits + sizeof(digits) - nd, nd);
    if (msg.len > 0)
        nw_keccak_update(&k, msg.ptr, msg.len);
    nw_keccak_final(&k, hash32);
}

nw_err nw_msg_sign_v27(const struct nw_secp *ctx,
                       uint8_t sig65[65],
                       uint8_t *hash32,
                       const uint8_t h[32],
                       const struct nw_seckey *key)
{
    struct nw_sig sig;
    nw_err err = nw_sign_hash(ctx, &sig, h, key);
    if (err != NW_OK) {
        memset(sig65, 0, 65);
        if (hash32 != NULL)
            memset(hash32, 0, 32);
        return err;
    }
    memcpy(sig65, sig.b, 65);
    sig65[64] = (uint8_t)(27 + sig.b[64]);
    if (hash32 != NULL)
        memcpy(hash32, h, 32);
    return NW_OK;
}

nw_err nw_msg191_sign(const struct nw_secp *ctx,
                      uint8_t sig65[65],
                      uint8_t *hash32,
                      struct nw_cur msg,
                      const struct nw_seckey *key)
{
    uint8_t h[32];
    nw_msg191_hash(h, msg);
    return nw_msg_sign_v27(ctx, sig65, hash32, h, key);
}

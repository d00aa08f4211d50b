/*
 * Keys and recoverable ECDSA via libsecp256k1 (examples/ecdsa.c is the model): the context is
 * randomised once with the caller's seed (core reads no randomness itself), keys are checked with
 * seckey_verify, signatures come from ecdsa_sign_recoverable (RFC 6979, low-S) and every secret
 * copy is wiped on every path.
 */
#include <ctype.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <nw/hex.h>
#include <nw/keccak.h>
#include <nw/mem.h>
#include <nw/sign.h>

struct nw_secp {
    secp256k1_context *ctx;
};

struct nw_secp *nw_secp_new_seeded(const uint8_t seed32[32])
{
    struct nw_secp *ctx = nw_calloc(1, sizeof(*ctx));
    if (ctx == NULL)
        return NULL;
    ctx->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (ctx->ctx == NULL || !secp256k1_context_randomize(ctx->ctx, seed32)) {
        nw_secp_free(ctx);
        return NULL;
    }
    return ctx;
}

void nw_secp_free(struct nw_secp *ctx)
{
    if (ctx == NULL)
        return;
    if (ctx->ctx != NULL)
        secp256k1_context_destroy(ctx->ctx);
    nw_free(ctx);
}

void nw_seckey_clear(struct nw_seckey *key)
{
    if (key != NULL)
        nw_wipe(key->b, sizeof(key->b));
}

nw_err nw_seckey_verify(const struct nw_secp *ctx, const struct nw_seckey *key)
{
    return secp256k1_ec_seckey_verify(ctx->ctx, key->b) ? NW_OK : NW_ERR_KEY_INVALID;
}

nw_err nw_seckey_parse(const struct nw_secp *ctx, struct nw_seckey *key, struct nw_cur text)
{
    while (text.len > 0 && isspace(text.ptr[0])) {
        text.ptr++;
        text.len--;
    }
    while (text.len > 0 && isspace(text.ptr[text.len - 1]))
        text.len--;
    /* Every failure is reported as one code so the error cannot hint at the key's content. */
    if (nw_hex_decode_fixed(key->b, sizeof(key->b), text, false) != NW_OK ||
        nw_seckey_verify(ctx, key) != NW_OK) {
        nw_seckey_clear(key);
        return NW_ERR_KEY_INVALID;
    }
    return NW_OK;
}

nw_err nw_seckey_generate_with(const struct nw_secp *ctx,
                               struct nw_seckey *key,
                               nw_random_fn rng,
                               void *rng_ctx)
{
    for (int tries = 0; tries < 16; tries++) {
        if (rng(rng_ctx, key->b, sizeof(key->b)) != NW_OK)
            break;
        if (nw_seckey_verify(ctx, key) == NW_OK)
            return NW_OK;
    }
    nw_seckey_clear(key);
    return NW_ERR_CRYPTO;
}

static void
serialize_pub(const struct nw_secp *ctx, struct nw_pubkey *pub, const secp256k1_pubkey *p)
{
    uint8_t out[65];
    size_t len = sizeof(out);
    (void)secp256k1_ec_pubkey_serialize(ctx->ctx, out, &len, p, SECP256K1_EC_UNCOMPRESSED);
    memcpy(pub->b, out + 1, 64);
}

nw_err
nw_pubkey_from_seckey(const struct nw_secp *ctx, struct nw_pubkey *pub, const struct nw_seckey *key)
{
    secp256k1_pubkey p;
    if (!secp256k1_ec_pubkey_create(ctx->ctx, &p, key->b)) {
        memset(pub, 0, sizeof(*pub));
        return NW_ERR_KEY_INVALID;
    }
    serialize_pub(ctx, pub, &p);
    return NW_OK;
}

void nw_address_from_pubkey(uint8_t addr20[20], const struct nw_pubkey *pub)
{
    uint8_t h[32];
    nw_keccak256(h, pub->b, sizeof(pub->b));
    memcpy(addr20, h + 12, 20);
}

nw_err
nw_address_from_seckey(const struct nw_secp *ctx, uint8_t addr20[20], const struct nw_seckey *key)
{
    struct nw_pubkey pub;
    nw_err err = nw_pubkey_from_seckey(ctx, &pub, key);
    if (err != NW_OK) {
        memset(addr20, 0, 20);
        return err;
    }
    nw_address_from_pubkey(addr20, &pub);
    return NW_OK;
}

nw_err nw_sign_hash(const struct nw_secp *ctx,
                    struct nw_sig *sig,
                    const uint8_t hash32[32],
                    const struct nw_seckey *key)
{
    secp256k1_ecdsa_recoverable_signature rs;
    int recid = 0;
    nw_err err = NW_OK;

    memset(sig, 0, sizeof(*sig));
    NW_CHECK(nw_seckey_verify(ctx, key));
    /* NULL nonce function = RFC 6979; libsecp256k1 always produces low-S signatures. */
    NW_CHECK_COND(secp256k1_ecdsa_sign_recoverable(ctx->ctx, &rs, hash32, key->b, NULL, NULL),
                  NW_ERR_CRYPTO);
    (void)secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx->ctx, sig->b, &recid, &rs);
    sig->b[64] = (uint8_t)recid;
out:
    nw_wipe(&rs, sizeof(rs));
    if (err != NW_OK)
        memset(sig, 0, sizeof(*sig));
    return err;
}

nw_err nw_recover_pubkey(const struct nw_secp *ctx,
                         struct nw_pubkey *pub,
                         const uint8_t hash32[32],
                         const struct nw_sig *sig)
{
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey p;
    memset(pub, 0, sizeof(*pub));
    if (sig->b[64] > 1)
        return NW_ERR_SIG_INVALID;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx->ctx, &rs, sig->b, sig->b[64]))
        return NW_ERR_SIG_INVALID;
    if (!secp256k1_ecdsa_recover(ctx->ctx, &p, &rs, hash32))
        return NW_ERR_RECOVER_FAILED;
    serialize_pub(ctx, pub, &p);
    return NW_OK;
}

nw_err nw_recover_address(const struct nw_secp *ctx,
                          uint8_t addr20[20],
                          const uint8_t hash32[32],
                          const struct nw_sig *sig)
{
    struct nw_pubkey pub;
    nw_err err = nw_recover_pubkey(ctx, &pub, hash32, sig);
    if (err != NW_OK) {
        memset(addr20, 0, 20);
        return err;
    }
    nw_address_from_pubkey(addr20, &pub);
    return NW_OK;
}

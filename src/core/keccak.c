/*
 * Keccak-256 as Ethereum uses it: the Keccak[c=512] sponge with the original multi-rate padding
 * (first pad byte 0x01, last 0x80), not FIPS 202's 0x06. The permutation is nettle's
 * sha3_permute; only absorption, padding and squeezing are done here. Lanes are little-endian.
 */
#include <nettle/sha3.h>
#include <string.h>

#include <nw/keccak.h>
#include <nw/mem.h>

static void absorb_block(struct nw_keccak *k, const uint8_t *block)
{
    for (size_t i = 0; i < NW_KECCAK256_RATE / 8; i++) {
        uint64_t lane = 0;
        for (size_t j = 0; j < 8; j++)
            lane |= (uint64_t)block[8 * i + j] << (8 * j);
        k->a[i] ^= lane;
    }
    /* Copy through nettle's own type rather than casting: no aliasing questions. */
    struct sha3_state st;
    memcpy(st.a, k->a, sizeof(st.a));
    sha3_permute(&st);
    memcpy(k->a, st.a, sizeof(st.a));
}

void nw_keccak_init(struct nw_keccak *k)
{
    memset(k, 0, sizeof(*k));
}

void nw_keccak_update(struct nw_keccak *k, const void *data, size_t n)
{
    const uint8_t *p = data;
    if (k->index > 0) {
        size_t take = NW_KECCAK256_RATE - k->index;
        if (take > n)
            take = n;
        memcpy(k->block + k->index, p, take);
        k->index += take;
        p += take;
        n -= take;
        if (k->index < NW_KECCAK256_RATE)
            return;
        absorb_block(k, k->block);
        k->index = 0;
    }
    while (n >= NW_KECCAK256_RATE) {
        absorb_block(k, p);
        p += NW_KECCAK256_RATE;
        n -= NW_KECCAK256_RATE;
    }
    if (n > 0) {
        memcpy(k->block, p, n);
        k->index = n;
    }
}

void nw_keccak_final(struct nw_keccak *k, uint8_t hash32[32])
{
    memset(k->block + k->index, 0, NW_KECCAK256_RATE - k->index);
    k->block[k->index] ^= 0x01;
    k->block[NW_KECCAK256_RATE - 1] ^= 0x80;
    absorb_block(k, k->block);
    for (size_t i = 0; i < 32; i++)
        hash32[i] = (uint8_t)(k->a[i / 8] >> (8 * (i % 8)));
    nw_keccak_init(k);
}

void nw_keccak256(uint8_t hash32[32], const void *data, size_t n)
{
    struct nw_keccak k;
    nw_keccak_init(&k);
    nw_keccak_update(&k, data, n);
    nw_keccak_final(&k, hash32);
}

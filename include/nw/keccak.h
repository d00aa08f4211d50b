/*
 * Keccak-256 (the pre-standard SHA-3 padding 0x01 ... 0x80 that Ethereum uses), built on
 * nettle's sha3_permute. Streaming or one-shot. Not secret-handling: inputs are public here.
 */
#ifndef NW_KECCAK_H
#define NW_KECCAK_H

#include <nw/common.h>

#define NW_KECCAK256_RATE 136

struct nw_keccak {
    uint64_t a[25];
    uint8_t block[NW_KECCAK256_RATE];
    size_t index;
};

void nw_keccak_init(struct nw_keccak *k) NW_NONNULL(1);
void nw_keccak_update(struct nw_keccak *k, const void *data, size_t n) NW_NONNULL(1);
/* Write the 32-byte digest and re-initialise k. */
void nw_keccak_final(struct nw_keccak *k, uint8_t hash32[32]) NW_NONNULL(1, 2);

/* One-shot Keccak-256 of n bytes at data. */
void nw_keccak256(uint8_t hash32[32], const void *data, size_t n) NW_NONNULL(1);

#endif /* NW_KECCAK_H */

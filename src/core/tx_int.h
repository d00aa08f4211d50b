/*
 * Transaction internals shared by tx.c, tx_json.c and tx_decode.c.
 */
#ifndef NW_TX_INT_H
#define NW_TX_INT_H

#include <nw/tx.h>

/* Append the RLP items that precede the signature (no list header). */
nw_err nw_tx_encode_fields(struct nw_buf *b, const struct nw_tx *tx) NW_MUST_USE;

/* Signing hash of tx given its encoded fields (as nw_tx_encode_fields wrote them). */
void nw_tx_hash_fields(uint8_t hash32[32], const struct nw_tx *tx, struct nw_cur fields);

#endif /* NW_TX_INT_H */

/*
 * The JSON answers of the signing operations, as one line of text, so that the CLI, the
 * enclave and the host print exactly the same shapes (DESIGN.md section 3):
 *
 *   transaction:   {"transaction_signed":"0x..","transaction_hash":"0x..","address":"0x.."}
 *   message/712:   {"signature":"0x..(65 bytes)","address":"0x..","hash":"0x.."}
 *   authorization: {"chainId","address","nonce","yParity","r","s" (0x quantities),
 *                   "authorizationHash":"0x..","signer":"0x.."}
 *
 * Addresses are EIP-55. Every function appends to out (no NUL counted) and returns NW_OK,
 * NW_ERR_BUF_FULL or NW_ERR_NOMEM. Nothing here is secret (signatures and hashes are public).
 */
#ifndef NW_ANSWER_H
#define NW_ANSWER_H

#include <nw/buf.h>
#include <nw/tx.h>

/* The answer of sign_transaction for st, signed by addr20. */
nw_err nw_answer_tx(struct nw_buf *out, const struct nw_tx_signed *st, const uint8_t addr20[20])
    NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * The answer of sign_message / sign_typed_data. In: sig65 as nw_msg191_sign and
 * nw_eip712_sign make it (r || s || v with v 27/28, as eth_sign), hash32 the signed hash,
 * addr20 the signer.
 */
nw_err nw_answer_sig(struct nw_buf *out,
                     const uint8_t sig65[65],
                     const uint8_t hash32[32],
                     const uint8_t addr20[20]) NW_MUST_USE NW_NONNULL(1, 2, 3, 4);

/* The answer of sign_authorization: the signed tuple ready for an authorizationList. */
nw_err nw_answer_auth(struct nw_buf *out,
                      const struct nw_auth *auth,
                      const struct nw_sig *sig,
                      const uint8_t hash32[32],
                      const uint8_t signer20[20]) NW_MUST_USE NW_NONNULL(1, 2, 3, 4, 5);

/*
 * A wei amount as ether in decimal text ("1.5", "0.000000000000000001", "0"): no exponent,
 * no trailing zeros. out holds at least 81 bytes (78 digits, '.', leading "0", NUL).
 */
void nw_wei_to_ether_text(char out[81], const struct nw_u256 *wei) NW_NONNULL(1, 2);

#endif /* NW_ANSWER_H */

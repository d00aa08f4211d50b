/*
 * Ethereum account addresses as text: parsing "0x" + 40 hex digits and EIP-55 mixed-case
 * checksums (ethereum/ERCs ERCS/erc-55.md). Network addresses live in <nw/addr.h>, not here.
 * Nothing here handles secrets.
 */
#ifndef NW_ETHADDR_H
#define NW_ETHADDR_H

#include <nw/buf.h>

/* Room for "0x", 40 digits and the NUL. */
#define NW_ETHADDR_TEXT_LEN 43

/*
 * Parse an address: "0x" then exactly 40 hex digits. All-lower-case and all-upper-case digits
 * are accepted as they are; mixed case must match the EIP-55 checksum.
 * Out: addr20 (zeroed on failure).
 * Returns: NW_OK, NW_ERR_ADDR_FORMAT (no 0x, wrong length, a non-hex character),
 * NW_ERR_ADDR_CHECKSUM (mixed case that does not match the checksum).
 */
nw_err nw_ethaddr_parse(uint8_t addr20[20], struct nw_cur text) NW_MUST_USE NW_NONNULL(1);

/*
 * Format an address with its EIP-55 checksum: "0x5aAeb6053F3E94C9b9A09f33669435e7Ef1BeAed".
 * Out: out (NW_ETHADDR_TEXT_LEN bytes, NUL-terminated).
 */
void nw_ethaddr_format(char out[NW_ETHADDR_TEXT_LEN], const uint8_t addr20[20]) NW_NONNULL(1, 2);

#endif /* NW_ETHADDR_H */

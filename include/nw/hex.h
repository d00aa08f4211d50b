/*
 * Hex codecs. Decoding accepts upper and lower case; "0x" handling is explicit per function.
 */
#ifndef NW_HEX_H
#define NW_HEX_H

#include <stdbool.h>

#include <nw/buf.h>

/*
 * Encode n bytes as lower-case hex into out (2n+1 bytes with the NUL; with prefix0x, 2n+3).
 * Returns: NW_OK, or NW_ERR_INVALID_ARG if out_len is too small (out is then "").
 */
nw_err nw_hex_encode(char *out, size_t out_len, const uint8_t *in, size_t n, bool prefix0x)
    NW_MUST_USE NW_NONNULL(1);

/*
 * Decode hex text into out. The text must have exactly 2*out_len digits (after an optional 0x
 * when allow0x; required when need0x). On failure out is zeroed.
 * Returns: NW_ERR_HEX_PREFIX, NW_ERR_HEX_ODD, NW_ERR_HEX_CHAR, NW_ERR_INVALID_ARG (wrong length).
 */
nw_err nw_hex_decode_fixed(uint8_t *out, size_t out_len, struct nw_cur text, bool need0x)
    NW_MUST_USE NW_NONNULL(1);

/*
 * Decode hex text of any even length into buffer b (appended). "0x" is required when need0x,
 * optional otherwise. The secret-ness of b is respected (use a secret buffer for key material).
 * Returns: NW_ERR_HEX_PREFIX, NW_ERR_HEX_ODD, NW_ERR_HEX_CHAR, NW_ERR_BUF_FULL, NW_ERR_NOMEM.
 */
nw_err nw_hex_decode_buf(struct nw_buf *b, struct nw_cur text, bool need0x)
    NW_MUST_USE NW_NONNULL(1);

/* The value of one hex digit, or -1. */
int nw_hex_digit(int c);

#endif /* NW_HEX_H */

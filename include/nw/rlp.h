/*
 * RLP (Ethereum Yellow Paper, appendix B): an encoder that appends to a capped struct nw_buf,
 * and a strict decoder over struct nw_cur that accepts only the canonical form.
 *
 * Canonical form, as enforced by nw_rlp_next and nw_rlp_decode:
 *  - a single byte below 0x80 is encoded as itself (0x81 0x05 is refused);
 *  - the long forms (0xb8..0xbf, 0xf8..0xff) are used only for payloads longer than 55 bytes,
 *    and their length has no leading zero byte;
 *  - integers (nw_rlp_get_u256/u64) have no leading zero byte; zero is the empty string 0x80.
 * Nothing here handles secrets.
 */
#ifndef NW_RLP_H
#define NW_RLP_H

#include <stdbool.h>

#include <nw/buf.h>
#include <nw/u256.h>

/* Default bound on list nesting for nw_rlp_decode (a transaction needs 4). */
#define NW_RLP_MAX_DEPTH 16

/* Largest header: one prefix byte plus up to 8 length bytes. */
#define NW_RLP_MAX_HEADER 9

/*
 * Write the header of a string (list=false) or list (list=true) whose payload is payload_len
 * bytes. For a string of one byte below 0x80 there is no header: use nw_rlp_put_bytes.
 * Out: out (NW_RLP_MAX_HEADER bytes of room). Returns: the number of bytes written (1..9).
 */
size_t nw_rlp_header(uint8_t out[NW_RLP_MAX_HEADER], size_t payload_len, bool list) NW_NONNULL(1);

/* Encoded size of a byte string item holding s (header included). */
size_t nw_rlp_bytes_size(struct nw_cur s);

/* Encoded size of a list item whose payload (the concatenated items) is payload_len bytes. */
size_t nw_rlp_list_size(size_t payload_len);

/*
 * Append a byte string item / an integer item (minimal big-endian) / a list header.
 * Returns: NW_OK, NW_ERR_BUF_FULL (past b's maximum), NW_ERR_NOMEM.
 */
nw_err nw_rlp_put_bytes(struct nw_buf *b, struct nw_cur s) NW_MUST_USE NW_NONNULL(1);
nw_err nw_rlp_put_u256(struct nw_buf *b, const struct nw_u256 *v) NW_MUST_USE NW_NONNULL(1, 2);
nw_err nw_rlp_put_u64(struct nw_buf *b, uint64_t v) NW_MUST_USE NW_NONNULL(1);
nw_err nw_rlp_put_list_header(struct nw_buf *b, size_t payload_len) NW_MUST_USE NW_NONNULL(1);

/*
 * Lists whose size is not known in advance: nw_rlp_list_begin records where the list starts
 * (*mark); append the items; nw_rlp_list_end inserts the header in front of them.
 * Returns: as nw_rlp_put_bytes.
 */
void nw_rlp_list_begin(const struct nw_buf *b, size_t *mark) NW_NONNULL(1, 2);
nw_err nw_rlp_list_end(struct nw_buf *b, size_t mark) NW_MUST_USE NW_NONNULL(1);

/* One decoded item: a view of its payload (a string's bytes, or a list's concatenated items). */
struct nw_rlp_item {
    struct nw_cur payload;
    bool is_list;
};

/*
 * Take the next item from the front of *c (which is advanced past it). Checks the header's
 * canonical form and that the payload is within *c; does not descend into lists.
 * Out: item (zeroed on failure). Returns: NW_ERR_RLP_TRUNCATED (item runs past the end or c is
 * empty), NW_ERR_RLP_NONCANONICAL.
 */
nw_err nw_rlp_next(struct nw_cur *c, struct nw_rlp_item *item) NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Decode `in` as exactly one item and validate its whole tree (every nested item canonical,
 * nesting at most max_depth lists deep).
 * Out: item. Returns: as nw_rlp_next, plus NW_ERR_RLP_TRAILING (bytes after the item) and
 * NW_ERR_RLP_DEPTH.
 */
nw_err nw_rlp_decode(struct nw_rlp_item *item, struct nw_cur in, unsigned max_depth)
    NW_MUST_USE NW_NONNULL(1);

/*
 * Take the next item from *c and require it to be a string / a list.
 * Returns: as nw_rlp_next, plus NW_ERR_RLP_TYPE.
 */
nw_err nw_rlp_next_bytes(struct nw_cur *c, struct nw_cur *bytes) NW_MUST_USE NW_NONNULL(1, 2);
nw_err nw_rlp_next_list(struct nw_cur *c, struct nw_cur *payload) NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Take the next item from *c as a canonical integer (a string of at most 32 / 8 bytes without a
 * leading zero byte). Out: v (zero on failure).
 * Returns: as nw_rlp_next_bytes, plus NW_ERR_RLP_NONCANONICAL (leading zero) and
 * NW_ERR_INT_OVERFLOW (too long).
 */
nw_err nw_rlp_next_u256(struct nw_cur *c, struct nw_u256 *v) NW_MUST_USE NW_NONNULL(1, 2);
nw_err nw_rlp_next_u64(struct nw_cur *c, uint64_t *v) NW_MUST_USE NW_NONNULL(1, 2);

#endif /* NW_RLP_H */

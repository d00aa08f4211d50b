/*
 * Error codes of one area: transactions, RLP, addresses, integers parsed from JSON (core: 113-169).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 */
#ifndef NW_ERR_CORE_TX_H
#define NW_ERR_CORE_TX_H

/* clang-format off */
#define NW_ERRORS_CORE_TX(X)
/* clang-format on */

#endif /* NW_ERR_CORE_TX_H */

/*
 * Error codes of one area: EIP-191, EIP-712, EIP-7702 messages (core: 170-199).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 */
#ifndef NW_ERR_CORE_MSG_H
#define NW_ERR_CORE_MSG_H

/* clang-format off */
#define NW_ERRORS_CORE_MSG(X)
/* clang-format on */

#endif /* NW_ERR_CORE_MSG_H */

/*
 * Error codes of one area: addresses, sockets, framing, proxy (400s).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 */
#ifndef NW_ERR_NET_H
#define NW_ERR_NET_H

/* clang-format off */
#define NW_ERRORS_NET(X)
/* clang-format on */

#endif /* NW_ERR_NET_H */

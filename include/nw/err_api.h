/*
 * Error codes of one area: enclave/host API (600s).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 */
#ifndef NW_ERR_API_H
#define NW_ERR_API_H

/* clang-format off */
#define NW_ERRORS_API(X)
/* clang-format on */

#endif /* NW_ERR_API_H */

/*
 * Error codes of one area: SigV4, HTTP, credentials, KMS, Secrets Manager, IMDS (200s).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 */
#ifndef NW_ERR_AWS_H
#define NW_ERR_AWS_H

/* clang-format off */
#define NW_ERRORS_AWS(X)
/* clang-format on */

#endif /* NW_ERR_AWS_H */

/*
 * Error codes of one area: NSM, attestation documents, COSE, CMS (300s).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 */
#ifndef NW_ERR_ATTEST_H
#define NW_ERR_ATTEST_H

/* clang-format off */
#define NW_ERRORS_ATTEST(X)
/* clang-format on */

#endif /* NW_ERR_ATTEST_H */

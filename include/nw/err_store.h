/*
 * Error codes of one area: key store and audit log (500s).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 */
#ifndef NW_ERR_STORE_H
#define NW_ERR_STORE_H

/* clang-format off */
#define NW_ERRORS_STORE(X) \
    X(NW_ERR_DB_UNAVAILABLE,     500, "database unavailable") \
    X(NW_ERR_STORE_MIGRATE,      501, "database schema migration failed") \
    X(NW_ERR_STORE_QUERY,        502, "the database refused a statement")
/* clang-format on */

#endif /* NW_ERR_STORE_H */

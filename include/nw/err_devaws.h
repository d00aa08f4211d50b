/*
 * Error codes of one area: the nw-devaws emulator's internals (700s). The emulator answers
 * AWS error names on the wire; these codes are for its own modules (blob format, policies)
 * and their unit tests.
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 */
#ifndef NW_ERR_DEVAWS_H
#define NW_ERR_DEVAWS_H

/* clang-format off */
#define NW_ERRORS_DEVAWS(X) \
    X(NW_ERR_DEVAWS_BLOB_FORMAT,   700, "ciphertext blob is not in the emulator's format") \
    X(NW_ERR_DEVAWS_BLOB_AUTH,     701, "ciphertext blob failed authentication (wrong key or context)") \
    X(NW_ERR_DEVAWS_POLICY_SYNTAX, 702, "malformed policy document") \
    X(NW_ERR_DEVAWS_STATE_PERMS,   703, "state directory is not private (not ours, or writable by group or others)") \
    X(NW_ERR_DEVAWS_LOCKED,        704, "another nw-devaws is running on this state directory")
/* clang-format on */

#endif /* NW_ERR_DEVAWS_H */

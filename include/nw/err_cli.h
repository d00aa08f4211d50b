/*
 * Error codes of one area: base64 and the `nw` CLI's own checks (core range, 187-199).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 */
#ifndef NW_ERR_CLI_H
#define NW_ERR_CLI_H

/* clang-format off */
#define NW_ERRORS_CLI(X) \
    X(NW_ERR_BASE64,               187, "malformed base64") \
    X(NW_ERR_SIGNATURE_MISMATCH,   188, "the signature was made by another address") \
    X(NW_ERR_KEY_FILE_MODE,        189, "key file is readable by group or others") \
    X(NW_ERR_NO_INPUT,             190, "no input on stdin") \
    X(NW_ERR_KEYSTORE_FORMAT,      191, "not a Web3 Secret Storage (V3) key file") \
    X(NW_ERR_KEYSTORE_KDF,         192, "unsupported or unsafe keystore KDF parameters") \
    X(NW_ERR_KEYSTORE_MAC,         193, "keystore MAC mismatch: wrong password or corrupt file") \
    X(NW_ERR_KEYSTORE_CIPHER,      194, "unsupported keystore cipher") \
    X(NW_ERR_PASSWORD,             195, "no usable password") \
    X(NW_ERR_KEYSTORE_ADDRESS,     196, "keystore address does not match its key")
/* clang-format on */

#endif /* NW_ERR_CLI_H */

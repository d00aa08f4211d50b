/*
 * Error codes of one area: NSM, attestation documents, COSE, CMS (300s).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 */
#ifndef NW_ERR_ATTEST_H
#define NW_ERR_ATTEST_H

/* clang-format off */
#define NW_ERRORS_ATTEST(X) \
    X(NW_ERR_NSM_UNAVAILABLE,          300, "NSM device or simulator socket cannot be opened") \
    X(NW_ERR_NSM_IO,                   301, "NSM transport failed") \
    X(NW_ERR_NSM_RESPONSE,             302, "malformed or unexpected NSM response") \
    X(NW_ERR_NSM_INVALID_ARGUMENT,     303, "NSM: invalid argument") \
    X(NW_ERR_NSM_INVALID_INDEX,        304, "NSM: PCR index out of range") \
    X(NW_ERR_NSM_INVALID_RESPONSE,     305, "NSM: response does not match the request") \
    X(NW_ERR_NSM_READ_ONLY_INDEX,      306, "NSM: PCR is locked (read-only)") \
    X(NW_ERR_NSM_INVALID_OPERATION,    307, "NSM: operation cannot be fulfilled") \
    X(NW_ERR_NSM_BUFFER_TOO_SMALL,     308, "NSM: buffer too small") \
    X(NW_ERR_NSM_INPUT_TOO_LARGE,      309, "NSM: input too large") \
    X(NW_ERR_NSM_INTERNAL,             310, "NSM: internal error") \
    X(NW_ERR_CBOR_MALFORMED,           311, "malformed or non-canonical CBOR") \
    X(NW_ERR_COSE_FORMAT,              312, "not a COSE_Sign1 structure") \
    X(NW_ERR_COSE_ALG,                 313, "COSE protected header is not ES384") \
    X(NW_ERR_COSE_SIGNATURE,           314, "COSE signature does not verify") \
    X(NW_ERR_ATTEST_PAYLOAD,           315, "attestation document payload violates the schema") \
    X(NW_ERR_ATTEST_CERT_PARSE,        316, "certificate in attestation document does not parse") \
    X(NW_ERR_ATTEST_ROOT_MISMATCH,     317, "cabundle root is not the pinned root") \
    X(NW_ERR_ATTEST_CHAIN,             318, "certificate chain does not verify") \
    X(NW_ERR_ATTEST_CERT_EXPIRED,      319, "a certificate in the chain has expired at the check time") \
    X(NW_ERR_ATTEST_CERT_NOT_YET_VALID, 320, "a certificate in the chain is not yet valid at the check time") \
    X(NW_ERR_ATTEST_LEAF,              321, "leaf certificate unusable (not P-384, CA, or no digitalSignature)") \
    X(NW_ERR_ATTEST_PCR_MISMATCH,      322, "PCR value differs from the expected value") \
    X(NW_ERR_ATTEST_PCR_MISSING,       323, "expected PCR absent from the document") \
    X(NW_ERR_ATTEST_STALE,             324, "document timestamp older than the freshness bound") \
    X(NW_ERR_ATTEST_FUTURE,            325, "document timestamp lies in the future") \
    X(NW_ERR_ATTEST_NONCE_MISMATCH,    326, "document nonce differs from the expected nonce") \
    X(NW_ERR_ATTEST_DEBUG_MODE,        327, "document comes from a debug-mode enclave") \
    X(NW_ERR_ATTEST_ROOT_INVALID,      328, "the given root certificate does not parse") \
    X(NW_ERR_CMS_PARSE,                329, "not a CMS EnvelopedData") \
    X(NW_ERR_CMS_FORMAT,               330, "CMS EnvelopedData not in the KMS recipient shape") \
    X(NW_ERR_CMS_KEY_ALG,              331, "CMS key transport is not RSAES-OAEP with SHA-256") \
    X(NW_ERR_CMS_CONTENT_ALG,          332, "CMS content cipher is not AES-256-CBC") \
    X(NW_ERR_CMS_DECRYPT,              333, "CMS decryption failed (wrong key or corrupted data)") \
    X(NW_ERR_RECIPIENT_KEY,            334, "recipient public key is not RSA-2048 with e=65537") \
    X(NW_ERR_RECIPIENT_EXPIRED,        335, "recipient key pair has outlived its lifetime") \
    X(NW_ERR_NSM_SIM_STATE,            336, "NSM simulator state directory unusable") \
    X(NW_ERR_ATTEST_KEY_MISMATCH,      337, "document public_key differs from the expected key") \
    X(NW_ERR_ATTEST_TIME_FORMAT,       338, "time is neither RFC 3339 nor seconds since the epoch") \
    X(NW_ERR_ATTEST_DOC_ENCODING,      339, "attestation document is neither COSE bytes nor base64")
/* clang-format on */

#endif /* NW_ERR_ATTEST_H */

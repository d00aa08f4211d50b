/*
 * Client for the Nitro Secure Module (NSM): the device /dev/nsm inside an enclave, or the NSM
 * simulator of the development stack over a unix socket. Both carry the same CBOR messages
 * (nitro-protocols.md section 1; aws-nitro-enclaves-nsm-api src/api/mod.rs):
 *
 *   requests   "DescribeNSM" | "GetRandom" | {"DescribePCR": {"index": u16}}
 *              | {"ExtendPCR": {"index": u16, "data": bstr}} | {"LockPCR": {"index": u16}}
 *              | {"LockPCRs": {"range": u16}}
 *              | {"Attestation": {"user_data": bstr|null, "nonce": bstr|null,
 *                                 "public_key": bstr|null}}
 *   responses  {"<Op>": {...}} | "LockPCR" | "LockPCRs" | {"Error": "<ErrorCode>"}
 *
 * Transports, chosen by the address given to nw_nsm_open:
 *   - "/dev/nsm" (or NULL, or "dev:PATH"): ioctl(fd, NSM_IOCTL_RAW = 0xC0200A00, &raw) with
 *     struct { u64 req_addr, req_len, resp_addr, resp_len } (uapi linux/nsm.h), requests up to
 *     4096 bytes, responses up to 12288 bytes.
 *   - "unix:/path" (or "tcp:HOST:PORT", never vsock): a stream socket to the simulator, with
 *     the frames of <nw/wire.h>: each message, in both directions, is a 4-byte big-endian
 *     length N followed by N bytes of CBOR (1 <= N; requests <= 4096, responses <= 12288).
 *     Many requests per connection, answered in order; each call is bounded by 30 s.
 *
 * NSM error names map to stable codes: InvalidArgument -> NW_ERR_NSM_INVALID_ARGUMENT,
 * InvalidIndex -> NW_ERR_NSM_INVALID_INDEX, InvalidResponse -> NW_ERR_NSM_INVALID_RESPONSE,
 * ReadOnlyIndex -> NW_ERR_NSM_READ_ONLY_INDEX, InvalidOperation -> NW_ERR_NSM_INVALID_OPERATION,
 * BufferTooSmall -> NW_ERR_NSM_BUFFER_TOO_SMALL, InputTooLarge -> NW_ERR_NSM_INPUT_TOO_LARGE,
 * InternalError (and any unknown name) -> NW_ERR_NSM_INTERNAL. A response that is not the
 * answer to the request is NW_ERR_NSM_RESPONSE; a transport failure NW_ERR_NSM_IO.
 *
 * A struct nw_nsm is not thread-safe: use one per thread, or lock around calls.
 */
#ifndef NW_NSM_H
#define NW_NSM_H

#include <stdbool.h>

#include <nw/buf.h>

#define NW_NSM_REQUEST_MAX  4096  /* NSM_REQUEST_MAX_SIZE */
#define NW_NSM_RESPONSE_MAX 12288 /* NSM_RESPONSE_MAX_SIZE */
#define NW_NSM_IOCTL_RAW    0xC0200A00u
#define NW_NSM_DEFAULT_PATH "/dev/nsm"
#define NW_NSM_RANDOM_MAX   256  /* bytes per GetRandom answer, at most */
#define NW_NSM_USER_MAX     1024 /* user_data, nonce, public_key (nsm-check limit) */

enum nw_nsm_op {
    NW_NSM_OP_DESCRIBE_NSM = 1,
    NW_NSM_OP_GET_RANDOM,
    NW_NSM_OP_DESCRIBE_PCR,
    NW_NSM_OP_EXTEND_PCR,
    NW_NSM_OP_LOCK_PCR,
    NW_NSM_OP_LOCK_PCRS,
    NW_NSM_OP_ATTESTATION,
};

/* One request. Fields not used by op are ignored. A view with ptr NULL encodes as CBOR null. */
struct nw_nsm_request {
    enum nw_nsm_op op;
    uint16_t index;           /* DescribePCR, ExtendPCR, LockPCR */
    uint16_t range;           /* LockPCRs: locks [0, range) */
    struct nw_cur data;       /* ExtendPCR */
    struct nw_cur user_data;  /* Attestation */
    struct nw_cur nonce;      /* Attestation */
    struct nw_cur public_key; /* Attestation: DER SubjectPublicKeyInfo for KMS Recipient */
};

/* DescribeNSM answer. */
struct nw_nsm_description {
    uint16_t version_major, version_minor, version_patch;
    char module_id[101];
    uint16_t max_pcrs;
    uint64_t locked_pcrs; /* bit i set when PCR i is locked */
    char digest[8];       /* "SHA384" */
};

struct nw_nsm;

/*
 * Encode a request exactly as serde_cbor does for the NSM API (minimal integer widths, keys in
 * declaration order, null for absent optionals). Appends to out.
 * Returns: NW_OK, NW_ERR_INVALID_ARG (unknown op), NW_ERR_NOMEM, NW_ERR_BUF_FULL.
 */
nw_err nw_nsm_request_encode(struct nw_buf *out, const struct nw_nsm_request *req)
    NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Open a transport (see the header comment for address forms). NULL means /dev/nsm.
 * Returns: NW_OK and *out (free with nw_nsm_close); NW_ERR_NSM_UNAVAILABLE; NW_ERR_INVALID_ARG;
 *          NW_ERR_NOMEM.
 */
nw_err nw_nsm_open(struct nw_nsm **out, const char *address) NW_MUST_USE NW_NONNULL(1);

/* Close and free; NULL does nothing. */
void nw_nsm_close(struct nw_nsm *nsm);

/*
 * One raw exchange: send req (CBOR), receive the CBOR answer into resp (appended).
 * Returns: NW_OK; NW_ERR_NSM_INPUT_TOO_LARGE (req over 4096 bytes); NW_ERR_NSM_IO;
 *          NW_ERR_NSM_RESPONSE (empty or oversized answer); NW_ERR_NOMEM; NW_ERR_BUF_FULL.
 */
nw_err nw_nsm_call(struct nw_nsm *nsm, struct nw_buf *resp, struct nw_cur req)
    NW_MUST_USE NW_NONNULL(1, 2);

/* DescribeNSM. Returns: NW_OK, a transport or NSM error code (see above). */
nw_err nw_nsm_describe(struct nw_nsm *nsm, struct nw_nsm_description *out)
    NW_MUST_USE NW_NONNULL(1, 2);

/*
 * DescribePCR: *locked and the value (value_cap >= 64 holds every digest) with *value_len.
 * Returns: NW_OK, NW_ERR_NSM_INVALID_INDEX, other NSM/transport codes.
 */
nw_err nw_nsm_describe_pcr(struct nw_nsm *nsm,
                           bool *locked,
                           uint8_t *value,
                           size_t value_cap,
                           size_t *value_len,
                           uint16_t index) NW_MUST_USE NW_NONNULL(1, 2, 3, 5);

/*
 * ExtendPCR: PCR[index] = SHA-384(PCR[index] || data); the new value is returned.
 * Returns: NW_OK, NW_ERR_NSM_READ_ONLY_INDEX (locked), NW_ERR_NSM_INVALID_INDEX, ...
 */
nw_err nw_nsm_extend_pcr(struct nw_nsm *nsm,
                         uint8_t *value,
                         size_t value_cap,
                         size_t *value_len,
                         uint16_t index,
                         struct nw_cur data) NW_MUST_USE NW_NONNULL(1, 2, 4);

/* LockPCR (one index) and LockPCRs (indices [0, range)). */
nw_err nw_nsm_lock_pcr(struct nw_nsm *nsm, uint16_t index) NW_MUST_USE NW_NONNULL(1);
nw_err nw_nsm_lock_pcrs(struct nw_nsm *nsm, uint16_t range) NW_MUST_USE NW_NONNULL(1);

/*
 * Fill out[0..n) from GetRandom, looping (each answer holds at most 256 bytes). An empty
 * answer is NW_ERR_NSM_RESPONSE. The output may be secret: it is wiped on failure.
 */
nw_err nw_nsm_random(struct nw_nsm *nsm, uint8_t *out, size_t n) NW_MUST_USE NW_NONNULL(1);

/*
 * Attestation: a document (COSE_Sign1 bytes) appended to doc. user_data, nonce and public_key
 * are sent as null when their ptr is NULL; each at most 1024 bytes.
 * Returns: NW_OK, NW_ERR_INVALID_ARG (a field too long), NSM/transport codes.
 */
nw_err nw_nsm_attestation(struct nw_nsm *nsm,
                          struct nw_buf *doc,
                          struct nw_cur user_data,
                          struct nw_cur nonce,
                          struct nw_cur public_key) NW_MUST_USE NW_NONNULL(1, 2);

/* The NSM ErrorCode name for an nw_err (e.g. "ReadOnlyIndex"), or NULL for non-NSM codes. */
const char *nw_nsm_error_name(nw_err err);

/* The nw_err for an NSM ErrorCode name; unknown names give NW_ERR_NSM_INTERNAL. */
nw_err nw_nsm_error_from_name(struct nw_cur name);

#endif /* NW_NSM_H */

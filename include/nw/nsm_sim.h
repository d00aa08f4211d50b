/*
 * NSM simulator for the development stack and tests: the logic of the Nitro Secure Module
 * behind the same CBOR protocol as /dev/nsm (see <nw/nsm.h>), as a library that nw-devaws hosts
 * on a unix socket. Library: libnwsim (development only: nw-devaws and the tests link it, never
 * a daemon).
 *
 * State and behaviour (nitro-protocols.md 1.5, 2.5, 2.6):
 *   - 32 PCRs of SHA-384. PCRs 0-15 are locked from boot, 16-31 unlocked. ExtendPCR on a
 *     locked PCR and LockPCR on 0-15 answer ReadOnlyIndex; an index >= 32 answers InvalidIndex;
 *     LockPCRs{range} locks [0, range) and answers InvalidIndex for range > 32.
 *     Extend: PCR = SHA-384(PCR || data).
 *   - Measurements, nitro-cli's formula (aws-nitro-enclaves-image-format eif_hasher.rs):
 *     measure(x) = SHA-384(0^48 || SHA-384(x)). An EIF gives PCR0 = measure(kernel || cmdline ||
 *     ramdisks...), PCR1 = measure(kernel || cmdline || ramdisk0), PCR2 = measure(ramdisk1...).
 *     A plain file F (the nw-enclave binary) is treated as an image whose only application
 *     ramdisk is F, with an empty kernel, cmdline and bootstrap ramdisk:
 *         PCR0 = PCR2 = SHA-384(0^48 || SHA-384(F)),   PCR1 = SHA-384(0^48 || SHA-384("")).
 *     So rebuilding the binary changes PCR0, exactly as rebuilding an EIF does.
 *     PCR3 = SHA-384(0^48 || role ARN) when a role is configured (else zero), PCR4 =
 *     SHA-384(0^48 || instance id), PCR8 zero (unsigned image), other PCRs zero.
 *   - Debug mode zeroes PCR0-3 (PCR4 stays, as in real debug-mode documents).
 *   - Attestation documents: untagged COSE_Sign1, ES384, payload keys in the real order,
 *     absent optionals as null, pcrs 0-15 (as real documents carry), signed by a fresh 3-hour
 *     leaf under a development chain of the real profile: root (P-384, self-signed,
 *     CN=aws.nitro-enclaves, O=nitro-wallet development) -> regional (pathLen 2,
 *     CN=<16hex>.<region>.aws.nitro-enclaves) -> zonal (pathLen 1,
 *     CN=<16hex>.zonal.<region>.aws.nitro-enclaves) -> instance (pathLen 0,
 *     CN=<instance-id>.<region>.aws.nitro-enclaves) -> leaf (CN=<module-id>.<region>.aws).
 *     The root key and certificate persist in the state directory (nsm-root.key.pem, mode 0600,
 *     and nsm-root.pem), so verifiers configured with the root keep working across restarts.
 *   - GetRandom answers 256 bytes.
 * The development root is not the AWS root: verifiers must be given it as their anchor
 * (struct nw_attest_opts.root).
 *
 * Thread-safe: nw_nsm_sim_handle takes an internal lock.
 */
#ifndef NW_NSM_SIM_H
#define NW_NSM_SIM_H

#include <stdbool.h>

#include <nw/buf.h>
#include <nw/measure.h> /* the PCR formulas below (libnwattest) */

struct nw_nsm_sim;

struct nw_nsm_sim_opts {
    const char *state_dir;    /* root CA persistence; NULL keeps everything in memory */
    const char *measure_path; /* file measured into PCR0/1/2 (see above); NULL: PCR0-2 zero */
    const char *instance_id;  /* PCR4 input and CN part; NULL: a random "i-<17 hex>" */
    const char *role_arn;     /* PCR3 input; NULL: PCR3 zero */
    const char *region;       /* CN part; NULL: "us-east-1" */
    bool debug;               /* debug-mode enclave: PCR0-3 zero */
    /* Clock in ms since the epoch for timestamps and certificate validity; NULL: real time. */
    uint64_t (*now_ms)(void *ctx);
    void *clock_ctx;
};

/*
 * Create a simulator: load or create the root CA, create the intermediates, measure the file.
 * Returns: NW_OK and *out; NW_ERR_NSM_SIM_STATE (state dir unusable or root files corrupt);
 *          NW_ERR_IO (measure_path unreadable); NW_ERR_INVALID_ARG; NW_ERR_CRYPTO; NW_ERR_NOMEM.
 */
nw_err nw_nsm_sim_new(struct nw_nsm_sim **out, const struct nw_nsm_sim_opts *opts)
    NW_MUST_USE NW_NONNULL(1, 2);

/* Free; NULL does nothing. Key material is freed through OpenSSL's (wiping, if hooked) free. */
void nw_nsm_sim_free(struct nw_nsm_sim *sim);

/*
 * Handle one CBOR request, appending the CBOR answer to resp. Bad requests get an NSM
 * {"Error": ...} answer (InvalidArgument for malformed CBOR or fields, InputTooLarge above
 * 4096 bytes); the function itself fails only when it cannot answer at all.
 * Returns: NW_OK; NW_ERR_NOMEM; NW_ERR_BUF_FULL; NW_ERR_CRYPTO.
 */
nw_err nw_nsm_sim_handle(struct nw_nsm_sim *sim, struct nw_buf *resp, struct nw_cur req)
    NW_MUST_USE NW_NONNULL(1, 2);

/* The development root certificate (DER), the anchor to give verifiers. Appends to out. */
nw_err nw_nsm_sim_root_der(struct nw_nsm_sim *sim, struct nw_buf *out) NW_MUST_USE NW_NONNULL(1, 2);

/* Current value of PCR index (0..31) into out48. NW_ERR_INVALID_ARG for a bad index. */
nw_err nw_nsm_sim_pcr(struct nw_nsm_sim *sim, uint8_t out48[48], unsigned index)
    NW_MUST_USE NW_NONNULL(1, 2);

/* The module id the simulator reports ("<instance-id>-enc<16 hex>"). Static while sim lives. */
const char *nw_nsm_sim_module_id(const struct nw_nsm_sim *sim) NW_NONNULL(1);

/*
 * Serve one connected stream socket (frames of <nw/wire.h>: 4-byte big-endian length + CBOR)
 * until the peer closes, an I/O error, or *stop becomes non-zero (checked every 100 ms; stop
 * may be NULL). A request frame above 4096 bytes is answered InputTooLarge and ends the
 * connection; a zero length ends it unanswered. Does not close fd.
 * Returns: NW_OK at a close between frames or stop; NW_ERR_WIRE_TRUNCATED (closed inside a
 * frame); NW_ERR_WIRE_LENGTH; NW_ERR_IO; NW_ERR_TIMEOUT (an answer not read for 5 s);
 * NW_ERR_NOMEM.
 */
nw_err nw_nsm_sim_serve_fd(struct nw_nsm_sim *sim, int fd, volatile int *stop)
    NW_MUST_USE NW_NONNULL(1);

/*
 * Listen on a unix socket at path and serve until *stop becomes non-zero. Connections are served
 * at the same time (a thread each, up to 32; more wait in the backlog), as /dev/nsm serves every
 * caller: an idle or half-sent client does not hold up another. A stale socket file at path is
 * replaced; any other kind of file is left alone (NW_ERR_IO). On return the socket file is
 * removed if it is still the one this call created.
 * Returns: NW_OK after stop; NW_ERR_IO (cannot bind/listen); NW_ERR_INVALID_ARG (path empty or
 * too long).
 */
nw_err nw_nsm_sim_serve_unix(struct nw_nsm_sim *sim, const char *path, volatile int *stop)
    NW_MUST_USE NW_NONNULL(1, 2, 3);

#endif /* NW_NSM_SIM_H */

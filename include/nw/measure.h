/*
 * Enclave measurements with nitro-cli's formula (aws-nitro-enclaves-image-format eif_hasher.rs),
 * for key policies and for the NSM simulator. Library: libnwattest.
 *
 *   measure(x) = SHA-384(0^48 || SHA-384(x)). An EIF gives PCR0 = measure(kernel || cmdline ||
 *   ramdisks...), PCR1 = measure(kernel || cmdline || ramdisk0), PCR2 = measure(ramdisk1...).
 *   A plain file F (the nw-enclave binary) is treated as an image whose only application ramdisk
 *   is F, with an empty kernel, cmdline and bootstrap ramdisk:
 *       PCR0 = PCR2 = SHA-384(0^48 || SHA-384(F)),   PCR1 = SHA-384(0^48 || SHA-384("")).
 */
#ifndef NW_MEASURE_H
#define NW_MEASURE_H

#include <nw/buf.h>

/*
 * Measurements of a plain file (see above): pcr0, pcr1, pcr2 (48 bytes each). For key
 * policies: kms:RecipientAttestation:ImageSha384 is hex(pcr0).
 * Returns: NW_OK; NW_ERR_IO (unreadable); NW_ERR_CRYPTO.
 */
nw_err nw_nsm_measure_file(uint8_t pcr0[48], uint8_t pcr1[48], uint8_t pcr2[48], const char *path)
    NW_MUST_USE NW_NONNULL(1, 2, 3, 4);

/* SHA-384(0^48 || text): a PCR extended once from zero (PCR3 role ARN, PCR4 instance id). */
nw_err nw_nsm_pcr_of_text(uint8_t out48[48], struct nw_cur text) NW_MUST_USE NW_NONNULL(1);

#endif /* NW_MEASURE_H */

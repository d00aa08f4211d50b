/*
 * Randomness from the operating system, for callers of libraries that take randomness as a
 * parameter (libnwcore never reads it itself). Library: libnwbase.
 */
#ifndef NW_RANDOM_H
#define NW_RANDOM_H

#include <nw/err.h>

/*
 * A source of random bytes: fill out[0..n) or fail. ctx is the source's own state (NULL for
 * nw_random_os). An enclave can pass a source backed by the NSM; tests a deterministic one.
 * Returns: NW_OK or NW_ERR_CRYPTO (out is then wiped).
 */
typedef nw_err (*nw_random_fn)(void *ctx, uint8_t *out, size_t n);

/* getrandom(2), blocking until the kernel pool is initialised, retrying EINTR. ctx unused. */
nw_err nw_random_os(void *ctx, uint8_t *out, size_t n) NW_MUST_USE;

#endif /* NW_RANDOM_H */

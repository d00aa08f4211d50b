/*
 * Memory: the one wipe primitive, allocation wrappers that tests can make fail, a wiping
 * size-prefixed allocator for third-party libraries, and locked pages for secrets.
 */
#ifndef NW_MEM_H
#define NW_MEM_H

#include <nw/common.h>

/*
 * Overwrite n bytes at p with zeros in a way the compiler cannot elide (explicit_bzero).
 * p may be NULL when n is 0.
 */
void nw_wipe(void *p, size_t n);

/*
 * Allocation wrappers used by all nitro-wallet code. Return NULL on failure (or when the test
 * allocator says so). nw_free(NULL) does nothing.
 */
void *nw_malloc(size_t n) NW_MUST_USE;
void *nw_calloc(size_t count, size_t size) NW_MUST_USE;
void nw_free(void *p);

/*
 * Wipe n bytes at p, then free it (OpenBSD freezero). p may be NULL. In test builds the
 * allocation hook below can check that the memory was already zero.
 */
void nw_free_secret(void *p, size_t n);

/*
 * Test hook: after `n` further successful allocations, nw_malloc/nw_calloc fail (n < 0 disables
 * the hook). Returns the number of allocations made since the last call (for torture loops).
 */
long nw_mem_fail_after(long n);

/*
 * A size-prefixed allocator that wipes every block on free: for json_set_alloc_funcs,
 * CRYPTO_set_mem_functions and curl_global_init_mem, so that third-party copies of secrets
 * (JSON text, SigV4 keys, TLS buffers) do not outlive their use.
 */
void *nw_wiping_malloc(size_t n);
void *nw_wiping_calloc(size_t count, size_t size);
void *nw_wiping_realloc(void *p, size_t n);
void nw_wiping_free(void *p);
char *nw_wiping_strdup(const char *s);

/*
 * Pages for long-lived secrets: mmap'd, mlock'ed (best effort, see *locked), excluded from
 * core dumps (MADV_DONTDUMP), zeroed. nw_locked_free wipes and unmaps. n is rounded up to pages.
 * Returns: NULL on failure.
 */
void *nw_locked_alloc(size_t n, int *locked) NW_MUST_USE;
void nw_locked_free(void *p, size_t n);

#endif /* NW_MEM_H */

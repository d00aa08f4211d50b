/*
 * Common attribute and assertion macros used by every nitro-wallet header.
 */
#ifndef NW_COMMON_H
#define NW_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
# define NW_MUST_USE       __attribute__((warn_unused_result))
# define NW_NONNULL(...)   __attribute__((nonnull(__VA_ARGS__)))
# define NW_PRINTF(fi, ai) __attribute__((format(printf, fi, ai)))
#else
# define NW_MUST_USE
# define NW_NONNULL(...)
# define NW_PRINTF(fi, ai)
#endif

/*
 * NW_ASSERT guards programmer invariants (never untrusted input): it aborts in debug builds
 * and compiles to nothing with NDEBUG. Untrusted input gets an nw_err instead.
 */
#ifdef NDEBUG
# define NW_ASSERT(cond) ((void)0)
#else
# include <stdlib.h>
# define NW_ASSERT(cond) ((cond) ? (void)0 : abort())
#endif

#define NW_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif /* NW_COMMON_H */

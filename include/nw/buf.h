/*
 * Non-owning views (struct nw_cur) and owned growable buffers with a hard cap (struct nw_buf).
 *
 * A cursor is passed by value; parsers advance it and fail rather than overrun (OpenBSD CBS).
 * A buffer has a maximum set at init, like curl's dynbuf; a secret buffer is wiped on free and
 * never grows with realloc: it allocates, copies, wipes and frees the old block.
 */
#ifndef NW_BUF_H
#define NW_BUF_H

#include <stdbool.h>
#include <string.h>

#include <nw/err.h>

struct nw_cur {
    const uint8_t *ptr;
    size_t len;
};

/* A view of n bytes at p. */
static inline struct nw_cur nw_cur_of(const void *p, size_t n)
{
    struct nw_cur c = {(const uint8_t *)p, n};
    return c;
}

/* A view of a NUL-terminated string (without the NUL). */
static inline struct nw_cur nw_cur_str(const char *s)
{
    return nw_cur_of(s, s ? strlen(s) : 0);
}

/* Take n bytes from the front of c into *out (a view). Returns NW_ERR_TRUNCATED if short. */
nw_err nw_cur_take(struct nw_cur *c, struct nw_cur *out, size_t n) NW_MUST_USE NW_NONNULL(1, 2);

/* Read a big-endian u8/u16/u32 from the front of c. Returns NW_ERR_TRUNCATED if short. */
nw_err nw_cur_u8(struct nw_cur *c, uint8_t *out) NW_MUST_USE NW_NONNULL(1, 2);
nw_err nw_cur_u16be(struct nw_cur *c, uint16_t *out) NW_MUST_USE NW_NONNULL(1, 2);
nw_err nw_cur_u32be(struct nw_cur *c, uint32_t *out) NW_MUST_USE NW_NONNULL(1, 2);

/* Equal length and bytes (not constant time; use CRYPTO_memcmp for secret-derived data). */
bool nw_cur_eq(struct nw_cur a, struct nw_cur b);

struct nw_buf {
    uint8_t *ptr;
    size_t len;
    size_t cap;
    size_t max; /* hard maximum for len */
    bool secret;
};

/* Initialise an empty buffer that may grow to max bytes. Allocates nothing yet. */
void nw_buf_init(struct nw_buf *b, size_t max, bool secret) NW_NONNULL(1);

/* Free the storage (wiping it first when secret) and reset to empty; keeps max and secret. */
void nw_buf_clear(struct nw_buf *b) NW_NONNULL(1);

/* Ensure room for `extra` more bytes. Returns NW_ERR_BUF_FULL past max, NW_ERR_NOMEM. */
nw_err nw_buf_reserve(struct nw_buf *b, size_t extra) NW_MUST_USE NW_NONNULL(1);

/* Append bytes / one byte / a C string (no NUL). Same errors as nw_buf_reserve. */
nw_err nw_buf_append(struct nw_buf *b, const void *p, size_t n) NW_MUST_USE NW_NONNULL(1);
nw_err nw_buf_append_byte(struct nw_buf *b, uint8_t byte) NW_MUST_USE NW_NONNULL(1);
nw_err nw_buf_append_str(struct nw_buf *b, const char *s) NW_MUST_USE NW_NONNULL(1, 2);

/* Append printf-formatted text (no NUL kept in len). */
nw_err nw_buf_appendf(struct nw_buf *b, const char *fmt, ...) NW_MUST_USE NW_PRINTF(2, 3);

/* Make sure ptr[len] is a NUL (not counted in len), so ptr can be used as a C string. */
nw_err nw_buf_cstr(struct nw_buf *b) NW_MUST_USE NW_NONNULL(1);

/* The current contents as a view. */
static inline struct nw_cur nw_buf_cur(const struct nw_buf *b)
{
    return nw_cur_of(b->ptr, b->len);
}

#endif /* NW_BUF_H */

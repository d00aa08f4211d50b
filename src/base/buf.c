/*
 * Cursors and capped buffers. A secret buffer never uses realloc: growing allocates a new
 * block, copies, then wipes and frees the old one, so no unwiped copy is left in the heap.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <nw/buf.h>
#include <nw/mem.h>

nw_err nw_cur_take(struct nw_cur *c, struct nw_cur *out, size_t n)
{
    if (c->len < n) {
        out->ptr = NULL;
        out->len = 0;
        return NW_ERR_TRUNCATED;
    }
    out->ptr = c->ptr;
    out->len = n;
    c->ptr += n;
    c->len -= n;
    return NW_OK;
}

nw_err nw_cur_u8(struct nw_cur *c, uint8_t *out)
{
    NW_ENSURE(c->len >= 1, NW_ERR_TRUNCATED);
    *out = c->ptr[0];
    c->ptr++;
    c->len--;
    return NW_OK;
}

nw_err nw_cur_u16be(struct nw_cur *c, uint16_t *out)
{
    NW_ENSURE(c->len >= 2, NW_ERR_TRUNCATED);
    *out = (uint16_t)((unsigned)c->ptr[0] << 8 | c->ptr[1]);
    c->ptr += 2;
    c->len -= 2;
    return NW_OK;
}

nw_err nw_cur_u32be(struct nw_cur *c, uint32_t *out)
{
    NW_ENSURE(c->len >= 4, NW_ERR_TRUNCATED);
    *out = (uint32_t)c->ptr[0] << 24 | (uint32_t)c->ptr[1] << 16 | (uint32_t)c->ptr[2] << 8 |
           c->ptr[3];
    c->ptr += 4;
    c->len -= 4;
    return NW_OK;
}

bool nw_cur_eq(struct nw_cur a, struct nw_cur b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

void nw_buf_init(struct nw_buf *b, size_t max, bool secret)
{
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->secret = secret;
}

void nw_buf_clear(struct nw_buf *b)
{
    if (b->secret)
        nw_free_secret(b->ptr, b->cap);
    else
        nw_free(b->ptr);
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
}

nw_err nw_buf_reserve(struct nw_buf *b, size_t extra)
{
    /* +1 keeps room for the NUL of nw_buf_cstr without another allocation. */
    if (extra > b->max - b->len)
        return NW_ERR_BUF_FULL;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return NW_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    uint8_t *p = nw_malloc(cap);
    if (p == NULL)
        return NW_ERR_NOMEM;
    if (b->len > 0)
        memcpy(p, b->ptr, b->len);
    if (b->secret)
        nw_free_secret(b->ptr, b->cap);
    else
        nw_free(b->ptr);
    b->ptr = p;
    b->cap = cap;
    return NW_OK;
}

nw_err nw_buf_append(struct nw_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return NW_OK;
    NW_TRY(nw_buf_reserve(b, n));
    memcpy(b->ptr + b->len, p, n);
    b->len += n;
    return NW_OK;
}

nw_err nw_buf_append_byte(struct nw_buf *b, uint8_t byte)
{
    return nw_buf_append(b, &byte, 1);
}

nw_err nw_buf_append_str(struct nw_buf *b, const char *s)
{
    return nw_buf_append(b, s, strlen(s));
}

nw_err nw_buf_appendf(struct nw_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, va_start above
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NW_ERR_INVALID_ARG;
    NW_TRY(nw_buf_reserve(b, (size_t)n));
    va_start(ap, fmt);
    (void)vsnprintf((char *)b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return NW_OK;
}

nw_err nw_buf_cstr(struct nw_buf *b)
{
    if (b->cap < b->len + 1) {
        if (b->len > b->max)
            return NW_ERR_BUF_FULL;
        NW_TRY(nw_buf_reserve(b, 0));
    }
    b->ptr[b->len] = '\0';
    return NW_OK;
}

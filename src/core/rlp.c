/*
 * RLP per the Yellow Paper, appendix B. The decoder is strict: every header is checked for the
 * canonical form as it is read, so a decoded transaction has exactly one byte representation
 * (which is what makes its hash meaningful).
 */
#include <nw/rlp.h>

size_t nw_rlp_header(uint8_t out[NW_RLP_MAX_HEADER], size_t payload_len, bool list)
{
    uint8_t short_base = list ? 0xc0 : 0x80;
    if (payload_len <= 55) {
        out[0] = (uint8_t)(short_base + payload_len);
        return 1;
    }
    /* Long form: 0xb7/0xf7 + length of the length, then the length big-endian, no leading 0. */
    size_t nlen = 0;
    for (size_t t = payload_len; t != 0; t >>= 8)
        nlen++;
    out[0] = (uint8_t)(short_base + 55 + nlen);
    for (size_t i = 0; i < nlen; i++)
        out[nlen - i] = (uint8_t)(payload_len >> (8 * i));
    return 1 + nlen;
}

static size_t header_size(size_t payload_len)
{
    size_t n = 1;
    if (payload_len > 55) {
        for (size_t t = payload_len; t != 0; t >>= 8)
            n++;
    }
    return n;
}

size_t nw_rlp_bytes_size(struct nw_cur s)
{
    if (s.len == 1 && s.ptr[0] < 0x80)
        return 1;
    return header_size(s.len) + s.len;
}

size_t nw_rlp_list_size(size_t payload_len)
{
    return header_size(payload_len) + payload_len;
}

nw_err nw_rlp_put_bytes(struct nw_buf *b, struct nw_cur s)
{
    uint8_t h[NW_RLP_MAX_HEADER];
    if (s.len == 1 && s.ptr[0] < 0x80)
        return nw_buf_append_byte(b, s.ptr[0]);
    size_t hn = nw_rlp_header(h, s.len, false);
    NW_TRY(nw_buf_reserve(b, hn + s.len));
    memcpy(b->ptr + b->len, h, hn);
    if (s.len > 0)
        memcpy(b->ptr + b->len + hn, s.ptr, s.len);
    b->len += hn + s.len;
    return NW_OK;
}

/*
 * Integers are the most frequent items in a transaction, so they are written straight into the
 * buffer: the byte length comes from the top non-zero limb, without a 32-byte detour.
 */
nw_err nw_rlp_put_u256(struct nw_buf *b, const struct nw_u256 *v)
{
    int top = 3;
    while (top >= 0 && v->w[top] == 0)
        top--;
    if (top < 0)
        return nw_buf_append_byte(b, 0x80);
    size_t n = 8 * (size_t)top + 8 - (size_t)__builtin_clzll(v->w[top]) / 8;
    if (n == 1 && v->w[0] < 0x80)
        return nw_buf_append_byte(b, (uint8_t)v->w[0]);
    NW_TRY(nw_buf_reserve(b, 1 + n));
    uint8_t *o = b->ptr + b->len;
    o[0] = (uint8_t)(0x80 + n);
    for (size_t i = 0; i < n; i++)
        o[n - i] = (uint8_t)(v->w[i / 8] >> (8 * (i % 8)));
    b->len += 1 + n;
    return NW_OK;
}

nw_err nw_rlp_put_u64(struct nw_buf *b, uint64_t v)
{
    struct nw_u256 u = nw_u256_from_u64(v);
    return nw_rlp_put_u256(b, &u);
}

nw_err nw_rlp_put_list_header(struct nw_buf *b, size_t payload_len)
{
    uint8_t h[NW_RLP_MAX_HEADER];
    size_t hn = nw_rlp_header(h, payload_len, true);
    return nw_buf_append(b, h, hn);
}

void nw_rlp_list_begin(const struct nw_buf *b, size_t *mark)
{
    *mark = b->len;
}

nw_err nw_rlp_list_end(struct nw_buf *b, size_t mark)
{
    uint8_t h[NW_RLP_MAX_HEADER];
    NW_ASSERT(mark <= b->len);
    size_t payload = b->len - mark;
    size_t hn = nw_rlp_header(h, payload, true);
    NW_TRY(nw_buf_reserve(b, hn));
    if (payload > 0)
        memmove(b->ptr + mark + hn, b->ptr + mark, payload);
    memcpy(b->ptr + mark, h, hn);
    b->len += hn;
    return NW_OK;
}

/* Big-endian length of n (1..8) bytes, canonical: no leading zero and more than 55. */
static nw_err read_long_len(struct nw_cur *c, size_t n, size_t *len)
{
    NW_ENSURE(c->len >= n, NW_ERR_RLP_TRUNCATED);
    NW_ENSURE(c->ptr[0] != 0, NW_ERR_RLP_NONCANONICAL);
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | c->ptr[i];
    c->ptr += n;
    c->len -= n;
    NW_ENSURE(v > 55, NW_ERR_RLP_NONCANONICAL);
    NW_ENSURE(v <= c->len, NW_ERR_RLP_TRUNCATED);
    *len = (size_t)v;
    return NW_OK;
}

static nw_err next_inner(struct nw_cur *c, struct nw_rlp_item *item)
{
    NW_ENSURE(c->len > 0, NW_ERR_RLP_TRUNCATED);
    uint8_t p = c->ptr[0];
    struct nw_cur rest = {c->ptr + 1, c->len - 1};
    size_t len;

    if (p < 0x80) {
        item->payload = nw_cur_of(c->ptr, 1);
        item->is_list = false;
        c->ptr++;
        c->len--;
        return NW_OK;
    }
    item->is_list = p >= 0xc0;
    uint8_t base = item->is_list ? 0xc0 : 0x80;
    if (p <= base + 55) {
        len = (size_t)(p - base);
        NW_ENSURE(len <= rest.len, NW_ERR_RLP_TRUNCATED);
        /* A lone byte below 0x80 must be encoded as itself. */
        if (!item->is_list && len == 1)
            NW_ENSURE(rest.ptr[0] >= 0x80, NW_ERR_RLP_NONCANONICAL);
    } else {
        NW_TRY(read_long_len(&rest, (size_t)(p - base - 55), &len));
    }
    item->payload = nw_cur_of(rest.ptr, len);
    c->ptr = rest.ptr + len;
    c->len = rest.len - len;
    return NW_OK;
}

nw_err nw_rlp_next(struct nw_cur *c, struct nw_rlp_item *item)
{
    nw_err err = next_inner(c, item);
    if (err != NW_OK)
        memset(item, 0, sizeof(*item));
    return err;
}

/* Validate every item in a list payload, descending at most `depth` more levels. */
static nw_err validate(struct nw_cur payload, unsigned depth)
{
    NW_ENSURE(depth > 0, NW_ERR_RLP_DEPTH);
    while (payload.len > 0) {
        struct nw_rlp_item it;
        NW_TRY(nw_rlp_next(&payload, &it));
        if (it.is_list)
            NW_TRY(validate(it.payload, depth - 1));
    }
    return NW_OK;
}

nw_err nw_rlp_decode(struct nw_rlp_item *item, struct nw_cur in, unsigned max_depth)
{
    nw_err err = nw_rlp_next(&in, item);
    if (err == NW_OK && in.len != 0)
        err = NW_ERR_RLP_TRAILING;
    if (err == NW_OK && item->is_list)
        err = validate(item->payload, max_depth);
    if (err != NW_OK)
        memset(item, 0, sizeof(*item));
    return err;
}

nw_err nw_rlp_next_bytes(struct nw_cur *c, struct nw_cur *bytes)
{
    struct nw_rlp_item it;
    *bytes = nw_cur_of(NULL, 0);
    NW_TRY(nw_rlp_next(c, &it));
    NW_ENSURE(!it.is_list, NW_ERR_RLP_TYPE);
    *bytes = it.payload;
    return NW_OK;
}

nw_err nw_rlp_next_list(struct nw_cur *c, struct nw_cur *payload)
{
    struct nw_rlp_item it;
    *payload = nw_cur_of(NULL, 0);
    NW_TRY(nw_rlp_next(c, &it));
    NW_ENSURE(it.is_list, NW_ERR_RLP_TYPE);
    *payload = it.payload;
    return NW_OK;
}

nw_err nw_rlp_next_u256(struct nw_cur *c, struct nw_u256 *v)
{
    struct nw_cur b;
    *v = nw_u256_from_u64(0);
    NW_TRY(nw_rlp_next_bytes(c, &b));
    NW_ENSURE(b.len == 0 || b.ptr[0] != 0, NW_ERR_RLP_NONCANONICAL);
    return nw_u256_from_be(v, b);
}

nw_err nw_rlp_next_u64(struct nw_cur *c, uint64_t *v)
{
    struct nw_u256 u;
    *v = 0;
    NW_TRY(nw_rlp_next_u256(c, &u));
    NW_ENSURE(nw_u256_to_u64(&u, v), NW_ERR_INT_OVERFLOW);
    return NW_OK;
}

/*
 * Strict CBOR loading and small builders on top of libcbor 0.8.
 *
 * libcbor's cbor_load allocates a container's slots up front from the declared size, and its
 * free is recursive. So untrusted input first goes through a pass over libcbor's streaming
 * decoder (no allocation) that enforces what our formats need: definite lengths, bounded depth,
 * one optional tag on the outermost item, declared sizes that the input could actually hold,
 * and nothing after the item. Only then is the item tree built.
 */
#include <stdlib.h>
#include <string.h>

#include <nw/mem.h>

#include "attest_int.h"

struct scan {
    size_t input_len;
    uint64_t declared;                /* sum of declared slots over all containers */
    uint64_t left[NW_CBOR_MAX_DEPTH]; /* slots left per open container */
    unsigned depth;
    unsigned items; /* items seen so far */
    bool done;      /* outermost item complete */
    bool tagged;    /* a tag was seen */
    bool bad;
};

/* One complete (non-container or container header) item arrived. */
static void scan_item(struct scan *s, uint64_t slots, bool container)
{
    if (s->done) {
        s->bad = true; /* a second top-level item: trailing data */
        return;
    }
    s->items++;
    if (s->depth > 0)
        s->left[s->depth - 1]--;
    if (container && slots > 0) {
        s->declared += slots;
        if (s->depth >= NW_CBOR_MAX_DEPTH || s->declared > s->input_len) {
            s->bad = true;
            return;
        }
        s->left[s->depth++] = slots;
        return;
    }
    while (s->depth > 0 && s->left[s->depth - 1] == 0)
        s->depth--;
    if (s->depth == 0)
        s->done = true;
}

static void cb_leaf(void *ctx)
{
    scan_item(ctx, 0, false);
}
static void cb_u8(void *ctx, uint8_t v)
{
    (void)v;
    cb_leaf(ctx);
}
static void cb_u16(void *ctx, uint16_t v)
{
    (void)v;
    cb_leaf(ctx);
}
static void cb_u32(void *ctx, uint32_t v)
{
    (void)v;
    cb_leaf(ctx);
}
static void cb_u64(void *ctx, uint64_t v)
{
    (void)v;
    cb_leaf(ctx);
}
static void cb_str(void *ctx, cbor_data d, uint64_t n)
{
    (void)d;
    (void)n;
    cb_leaf(ctx);
}
static void cb_f(void *ctx, float v)
{
    (void)v;
    cb_leaf(ctx);
}
static void cb_d(void *ctx, double v)
{
    (void)v;
    cb_leaf(ctx);
}
static void cb_b(void *ctx, bool v)
{
    (void)v;
    cb_leaf(ctx);
}
static void cb_indef(void *ctx)
{
    ((struct scan *)ctx)->bad = true;
}
static void cb_array(void *ctx, uint64_t n)
{
    scan_item(ctx, n, true);
}
static void cb_map(void *ctx, uint64_t n)
{
    if (n > UINT64_MAX / 2) {
        ((struct scan *)ctx)->bad = true;
        return;
    }
    scan_item(ctx, 2 * n, true);
}
static void cb_tag(void *ctx, uint64_t v)
{
    struct scan *s = ctx;
    (void)v;
    if (s->tagged || s->items != 0)
        s->bad = true;
    s->tagged = true;
}

static const struct cbor_callbacks scan_callbacks = {
    .uint8 = cb_u8,
    .uint16 = cb_u16,
    .uint32 = cb_u32,
    .uint64 = cb_u64,
    .negint8 = cb_u8,
    .negint16 = cb_u16,
    .negint32 = cb_u32,
    .negint64 = cb_u64,
    .byte_string_start = cb_indef,
    .byte_string = cb_str,
    .string = cb_str,
    .string_start = cb_indef,
    .indef_array_start = cb_indef,
    .array_start = cb_array,
    .indef_map_start = cb_indef,
    .map_start = cb_map,
    .tag = cb_tag,
    .float2 = cb_f,
    .float4 = cb_f,
    .float8 = cb_d,
    .undefined = cb_leaf,
    .null = cb_leaf,
    .boolean = cb_b,
    .indef_break = cb_indef,
};

static nw_err scan(struct nw_cur in)
{
    struct scan s;
    memset(&s, 0, sizeof(s));
    s.input_len = in.len;
    size_t off = 0;
    while (off < in.len) {
        struct cbor_decoder_result r =
            cbor_stream_decode(in.ptr + off, in.len - off, &scan_callbacks, &s);
        if (r.status != CBOR_DECODER_FINISHED || r.read == 0 || s.bad)
            return NW_ERR_CBOR_MALFORMED;
        off += r.read;
    }
    return s.done && !s.bad ? NW_OK : NW_ERR_CBOR_MALFORMED;
}

nw_err nw_cbor_load(cbor_item_t **out, struct nw_cur in)
{
    *out = NULL;
    if (in.len == 0 || in.ptr == NULL)
        return NW_ERR_CBOR_MALFORMED;
    NW_TRY(scan(in));
    struct cbor_load_result res;
    cbor_item_t *item = cbor_load(in.ptr, in.len, &res);
    if (item == NULL)
        return res.error.code == CBOR_ERR_MEMERROR ? NW_ERR_NOMEM : NW_ERR_CBOR_MALFORMED;
    if (res.read != in.len) {
        cbor_decref(&item);
        return NW_ERR_CBOR_MALFORMED;
    }
    *out = item;
    return NW_OK;
}

nw_err nw_cbor_serialize(struct nw_buf *b, const cbor_item_t *item)
{
    unsigned char *data = NULL;
    size_t cap = 0;
    size_t n = cbor_serialize_alloc(item, &data, &cap);
    if (n == 0) {
        free(data);
        return NW_ERR_NOMEM;
    }
    nw_err err = nw_buf_append(b, data, n);
    nw_wipe(data, cap);
    free(data);
    return err;
}

cbor_item_t *nw_cbor_uint(uint64_t v)
{
    if (v <= UINT8_MAX)
        return cbor_build_uint8((uint8_t)v);
    if (v <= UINT16_MAX)
        return cbor_build_uint16((uint16_t)v);
    if (v <= UINT32_MAX)
        return cbor_build_uint32((uint32_t)v);
    return cbor_build_uint64(v);
}

bool nw_cbor_map_put(cbor_item_t *map, const char *key, cbor_item_t *value)
{
    cbor_item_t *k = cbor_build_string(key);
    bool ok = false;
    if (k != NULL && value != NULL)
        ok = cbor_map_add(map, (struct cbor_pair){.key = k, .value = value});
    if (k != NULL)
        cbor_decref(&k);
    if (value != NULL)
        cbor_decref(&value);
    return ok;
}

cbor_item_t *nw_cbor_bytes_or_null(struct nw_cur cur)
{
    if (cur.ptr == NULL)
        return cbor_new_null();
    return cbor_build_bytestring(cur.ptr, cur.len);
}

bool nw_cbor_is_null(const cbor_item_t *item)
{
    return cbor_isa_float_ctrl(item) && cbor_float_get_width(item) == CBOR_FLOAT_0 &&
           cbor_is_null(item);
}

bool nw_cbor_is_bool(const cbor_item_t *item)
{
    return cbor_isa_float_ctrl(item) && cbor_float_get_width(item) == CBOR_FLOAT_0 &&
           cbor_is_bool(item);
}

bool nw_cbor_text_eq(const cbor_item_t *item, const char *s)
{
    if (!cbor_isa_string(item) || !cbor_string_is_definite(item))
        return false;
    size_t n = strlen(s);
    return cbor_string_length(item) == n && (n == 0 || memcmp(cbor_string_handle(item), s, n) == 0);
}

struct nw_cur nw_cbor_bytes(const cbor_item_t *item)
{
    return nw_cur_of(cbor_bytestring_handle(item), cbor_bytestring_length(item));
}

nw_err nw_sha384_2(uint8_t out48[48], struct nw_cur a, struct nw_cur b)
{
    nw_err err = NW_ERR_CRYPTO;
    unsigned int n = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL)
        return NW_ERR_NOMEM;
    if (EVP_DigestInit_ex(md, EVP_sha384(), NULL) == 1 &&
        (a.len == 0 || EVP_DigestUpdate(md, a.ptr, a.len) == 1) &&
        (b.len == 0 || EVP_DigestUpdate(md, b.ptr, b.len) == 1) &&
        EVP_DigestFinal_ex(md, out48, &n) == 1 && n == 48)
        err = NW_OK;
    EVP_MD_CTX_free(md);
    return err;
}

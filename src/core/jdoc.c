/*
 * A small read-only JSON document for the transaction path, built from yajl's event parser.
 *
 * Why not jansson here: a JSON float's literal text is needed to tell 0.01 (exactly what the
 * double reproduces) from 1.000000000000000001 (silently 1 ether), and jansson keeps only the
 * double; it also caps integer literals at 2^63-1. yajl's number callback hands out the raw
 * token instead. The tree lives in an arena (a first block inside struct nw_jdoc, then heap
 * blocks), so a typical request costs no allocation besides yajl's own handle; strings and
 * numbers point into the caller's text unless yajl had to unescape them, in which case they are
 * copied into the arena. Limits: depth NW_JDOC_MAX_DEPTH, NW_JDOC_MAX_VALUES values; duplicate
 * keys and NUL characters in strings are refused (as jansson does).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include <nw/mem.h>
#include <nw/quantity.h>

#include "core_int.h"

/* A heap block of the arena: a header then its bytes. */
struct nw_jblock {
    struct nw_jblock *next;
    size_t size;
    size_t used;
    _Alignas(max_align_t) unsigned char bytes[];
};

#define BLOCK_BYTES ((size_t)16384)

struct pctx {
    struct nw_jdoc *doc;
    struct nw_cur in;
    struct nw_jv *open[NW_JDOC_MAX_DEPTH]; /* containers being filled */
    struct nw_jv *tail[NW_JDOC_MAX_DEPTH]; /* their last child so far */
    int depth;
    const char *key;
    size_t key_len;
    size_t values;
    nw_err err;
    const char *why; /* a fixed message for diag */
};

static void *arena_alloc(struct nw_jdoc *doc, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (doc->first_used + n <= sizeof(doc->first)) {
        void *p = doc->first + doc->first_used;
        doc->first_used += n;
        return p;
    }
    struct nw_jblock *b = doc->blocks;
    if (b == NULL || b->used + n > b->size) {
        size_t size = n > BLOCK_BYTES ? n : BLOCK_BYTES;
        b = nw_malloc(sizeof(*b) + size);
        if (b == NULL)
            return NULL;
        b->next = doc->blocks;
        b->size = size;
        b->used = 0;
        doc->blocks = b;
    }
    void *p = b->bytes + b->used;
    b->used += n;
    return p;
}

static int fail(struct pctx *p, nw_err err, const char *why)
{
    p->err = err;
    p->why = why;
    return 0;
}

/* Text that points into the input stays there; unescaped text (yajl's buffer) is copied. */
static int keep_text(struct pctx *p, const char **out, const unsigned char *s, size_t n)
{
    if (memchr(s, '\0', n) != NULL)
        return fail(p, NW_ERR_JSON, "NUL character in a string");
    if (n == 0 || (s >= p->in.ptr && s + n <= p->in.ptr + p->in.len)) {
        *out = (const char *)s;
        return 1;
    }
    char *c = arena_alloc(p->doc, n);
    if (c == NULL)
        return fail(p, NW_ERR_NOMEM, "out of memory");
    memcpy(c, s, n);
    *out = c;
    return 1;
}

static struct nw_jv *add_value(struct pctx *p, enum nw_jv_kind kind)
{
    if (++p->values > NW_JDOC_MAX_VALUES) {
        (void)fail(p, NW_ERR_JSON_DEPTH, "too many JSON values");
        return NULL;
    }
    struct nw_jv *v = arena_alloc(p->doc, sizeof(*v));
    if (v == NULL) {
        (void)fail(p, NW_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memset(v, 0, sizeof(*v));
    v->kind = kind;
    if (p->depth == 0) {
        p->doc->root = v;
        return v;
    }
    struct nw_jv *parent = p->open[p->depth - 1];
    if (parent->kind == NW_JV_OBJECT) {
        v->key = p->key;
        v->key_len = p->key_len;
    }
    if (p->tail[p->depth - 1] == NULL)
        parent->child = v;
    else
        p->tail[p->depth - 1]->next = v;
    p->tail[p->depth - 1] = v;
    parent->len++;
    return v;
}

static int on_null(void *ctx)
{
    return add_value(ctx, NW_JV_NULL) != NULL;
}

static int on_bool(void *ctx, int b)
{
    return add_value(ctx, b ? NW_JV_TRUE : NW_JV_FALSE) != NULL;
}

static int on_number(void *ctx, const char *s, size_t n)
{
    struct nw_jv *v = add_value(ctx, NW_JV_NUMBER);
    if (v == NULL)
        return 0;
    v->len = n;
    return keep_text(ctx, &v->text, (const unsigned char *)s, n);
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    struct nw_jv *v = add_value(ctx, NW_JV_STRING);
    if (v == NULL)
        return 0;
    v->len = n;
    return keep_text(ctx, &v->text, s, n);
}

static int on_key(void *ctx, const unsigned char *s, size_t n)
{
    struct pctx *p = ctx;
    p->key_len = n;
    return keep_text(p, &p->key, s, n);
}

static int open_container(void *ctx, enum nw_jv_kind kind)
{
    struct pctx *p = ctx;
    if (p->depth == NW_JDOC_MAX_DEPTH)
        return fail(p, NW_ERR_JSON_DEPTH, "JSON nested too deeply");
    struct nw_jv *v = add_value(p, kind);
    if (v == NULL)
        return 0;
    v->len = 0; /* add_value counted nothing in v itself; children count below */
    p->open[p->depth] = v;
    p->tail[p->depth] = NULL;
    p->depth++;
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_container(ctx, NW_JV_OBJECT);
}

static int on_start_array(void *ctx)
{
    return open_container(ctx, NW_JV_ARRAY);
}

static int key_cmp(const void *a, const void *b)
{
    const struct nw_jv *x = *(const struct nw_jv *const *)a, *y = *(const struct nw_jv *const *)b;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    return x->key_len == 0 ? 0 : memcmp(x->key, y->key, x->key_len);
}

/*
 * Duplicate keys: pairwise for small objects, sorted for large ones (no quadratic blow-up).
 * Returns NW_OK, NW_ERR_JSON_DUPLICATE_KEY or NW_ERR_NOMEM.
 */
static nw_err check_duplicates(const struct nw_jv *obj)
{
    if (obj->len <= 16) {
        for (const struct nw_jv *a = obj->child; a != NULL; a = a->next)
            for (const struct nw_jv *b = a->next; b != NULL; b = b->next)
                if (key_cmp(&a, &b) == 0)
                    return NW_ERR_JSON_DUPLICATE_KEY;
        return NW_OK;
    }
    const struct nw_jv **v = nw_malloc(obj->len * sizeof(const struct nw_jv *));
    if (v == NULL)
        return NW_ERR_NOMEM;
    size_t n = 0;
    for (const struct nw_jv *a = obj->child; a != NULL; a = a->next)
        v[n++] = a;
    qsort(v, n, sizeof(const struct nw_jv *), key_cmp);
    bool dup = false;
    for (size_t i = 1; i < n && !dup; i++)
        dup = key_cmp(&v[i - 1], &v[i]) == 0;
    nw_free(v);
    return dup ? NW_ERR_JSON_DUPLICATE_KEY : NW_OK;
}

static int on_end_map(void *ctx)
{
    struct pctx *p = ctx;
    struct nw_jv *obj = p->open[--p->depth];
    nw_err err = check_duplicates(obj);
    if (err == NW_ERR_NOMEM)
        return fail(p, err, "out of memory");
    if (err != NW_OK)
        return fail(p, err, "duplicate key in a JSON object");
    return 1;
}

static int on_end_array(void *ctx)
{
    struct pctx *p = ctx;
    p->depth--;
    return 1;
}

static const yajl_callbacks callbacks = {
    on_null,      on_bool, NULL,       NULL,           on_number,    on_string,
    on_start_map, on_key,  on_end_map, on_start_array, on_end_array,
};

/* yajl's heap goes through the wiping allocator, as jansson's does in the nw binaries. */
static void *y_malloc(void *ctx, size_t n)
{
    (void)ctx;
    return nw_wiping_malloc(n);
}

static void *y_realloc(void *ctx, void *ptr, size_t n)
{
    (void)ctx;
    return nw_wiping_realloc(ptr, n);
}

static void y_free(void *ctx, void *ptr)
{
    (void)ctx;
    nw_wiping_free(ptr);
}

void nw_jdoc_init(struct nw_jdoc *doc)
{
    doc->root = NULL;
    doc->blocks = NULL;
    doc->first_used = 0;
}

void nw_jdoc_clear(struct nw_jdoc *doc)
{
    struct nw_jblock *b = doc->blocks;
    while (b != NULL) {
        struct nw_jblock *next = b->next;
        nw_free(b);
        b = next;
    }
    nw_jdoc_init(doc);
}

static nw_err run_parser(struct pctx *p, struct nw_diag *diag, struct nw_cur text)
{
    yajl_alloc_funcs afs = {y_malloc, y_realloc, y_free, NULL};
    yajl_handle h = yajl_alloc(&callbacks, &afs, p);
    if (h == NULL)
        return nw_diag_set(diag, NW_ERR_NOMEM, "out of memory");
    yajl_status st = yajl_parse(h, text.ptr, text.len);
    size_t at = yajl_get_bytes_consumed(h);
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
        at = text.len;
    }
    yajl_free(h);
    if (st == yajl_status_client_canceled)
        return nw_diag_set(diag, p->err, "%s (near byte %zu)", p->why, at);
    if (st != yajl_status_ok)
        return nw_diag_set(diag, NW_ERR_JSON, "malformed JSON near byte %zu", at);
    return NW_OK;
}

nw_err nw_jdoc_parse_object(struct nw_jdoc *doc, struct nw_diag *diag, struct nw_cur text)
{
    struct pctx p;
    nw_jdoc_clear(doc);
    if (text.len > NW_JSON_MAX_BYTES)
        return nw_diag_set(diag, NW_ERR_TOO_LARGE, "JSON text longer than %zu bytes",
                           NW_JSON_MAX_BYTES);
    memset(&p, 0, sizeof(p));
    p.doc = doc;
    p.in = text;
    nw_err err = text.len == 0 ? nw_diag_set(diag, NW_ERR_JSON, "empty JSON text")
                               : run_parser(&p, diag, text);
    if (err == NW_OK && doc->root == NULL)
        err = nw_diag_set(diag, NW_ERR_JSON, "no JSON value in the text");
    else if (err == NW_OK && doc->root->kind != NW_JV_OBJECT)
        err = nw_diag_set(diag, NW_ERR_TX_NOT_OBJECT, "top level is not an object");
    if (err != NW_OK)
        nw_jdoc_clear(doc);
    return err;
}

const struct nw_jv *nw_jv_get(const struct nw_jv *obj, const char *key)
{
    size_t n = strlen(key);
    if (obj == NULL || obj->kind != NW_JV_OBJECT)
        return NULL;
    for (const struct nw_jv *m = obj->child; m != NULL; m = m->next)
        if (m->key_len == n && memcmp(m->key, key, n) == 0)
            return m;
    return NULL;
}

bool nw_jv_key_is(const struct nw_jv *member, const char *key)
{
    size_t n = strlen(key);
    return member->key_len == n && (n == 0 || memcmp(member->key, key, n) == 0);
}

const char *nw_jv_safe_key(const struct nw_jv *member, char buf[32])
{
    if (member->key_len == 0 || member->key_len > 24)
        return "(name not shown)";
    memcpy(buf, member->key, member->key_len);
    buf[member->key_len] = '\0';
    return nw_json_safe_name(buf);
}

nw_err nw_jv_quantity(struct nw_u256 *v, const struct nw_jv *j)
{
    *v = nw_u256_from_u64(0);
    if (j->kind == NW_JV_STRING)
        return nw_quantity_parse(v, nw_cur_of(j->text, j->len));
    NW_ENSURE(j->kind == NW_JV_NUMBER, NW_ERR_TX_FIELD_TYPE);
    struct nw_cur t = nw_cur_of(j->text, j->len);
    bool neg = t.len > 0 && t.ptr[0] == '-';
    for (size_t i = 0; i < t.len; i++) {
        if (t.ptr[i] == '.' || t.ptr[i] == 'e' || t.ptr[i] == 'E')
            return neg ? NW_ERR_INT_NEGATIVE : NW_ERR_INT_FLOAT;
    }
    if (neg) {
        /* -0 is zero (JSON allows it); any other negative integer is refused. */
        bool zero = t.len == 2 && t.ptr[1] == '0';
        return zero ? NW_OK : NW_ERR_INT_NEGATIVE;
    }
    return nw_u256_parse_dec(v, t);
}

nw_err nw_jv_u64(uint64_t *v, const struct nw_jv *j)
{
    struct nw_u256 u;
    *v = 0;
    NW_TRY(nw_jv_quantity(&u, j));
    NW_ENSURE(nw_u256_to_u64(&u, v), NW_ERR_INT_OVERFLOW);
    return NW_OK;
}

nw_err nw_jv_ether(struct nw_u256 *wei, const struct nw_jv *j)
{
    *wei = nw_u256_from_u64(0);
    if (j->kind == NW_JV_NUMBER)
        return nw_ether_json_number_to_wei(wei, nw_cur_of(j->text, j->len));
    if (j->kind == NW_JV_STRING)
        return nw_ether_text_to_wei(wei, nw_cur_of(j->text, j->len));
    return NW_ERR_TX_FIELD_TYPE;
}

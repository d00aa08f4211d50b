/*
 * EIP-712 typed structured data hashing, from the eth_signTypedData_v4 JSON.
 *
 * The JSON is parsed once with jansson (duplicate keys refused, so no two readers can disagree
 * about a value). The `types` table is then resolved into a small array of struct types whose
 * fields carry a parsed type: an atomic kind or a struct index, plus array dimensions. All types
 * are checked up front: names, unknown references, duplicate fields and cycles (a struct that
 * reaches itself, even through an array, is refused as ethers refuses it; this also bounds the
 * recursion of hashStruct by the number of types).
 *
 * Hashing follows EIP-712 "Definition of hashStruct" and "Definition of encodeData": every
 * member becomes one 32-byte word; structs and arrays contribute the Keccak-256 of their own
 * encoding, so the whole computation streams into Keccak contexts without building the
 * encoding in memory. typeHash is computed lazily once per struct type and cached.
 *
 * Where the EIP leaves value formats open, ethers v6 TypedDataEncoder is the reference (see the
 * header for where we are stricter).
 */
#include <jansson.h>
#include <stdlib.h>

#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/keccak.h>
#include <nw/mem.h>
#include <nw/msg.h>
#include <nw/u256.h>

#include "core_int.h"

#define MAX_DIMS 16

enum kind {
    NW_K_UINT,
    NW_K_INT,
    NW_K_BOOL,
    NW_K_ADDRESS,
    NW_K_BYTESN,
    NW_K_BYTES,
    NW_K_STRING,
    NW_K_STRUCT
};

struct ftype {
    enum kind kind;
    unsigned width; /* bits for NW_K_UINT/NW_K_INT, bytes for NW_K_BYTESN */
    size_t sidx;    /* NW_K_STRUCT: index into td.types */
    size_t ndims;
    long long dims[MAX_DIMS]; /* dims[0] is the leftmost bracket; -1 = dynamic */
};

struct field {
    const char *name;
    size_t name_len;
    const char *base; /* normalised base type text ("uint" becomes "uint256") */
    size_t base_len;
    const char *index; /* the bracket suffix, "" or "[2][]" */
    size_t index_len;
    struct ftype t;
};

struct stype {
    const char *name;
    size_t name_len;
    struct field *f;
    size_t nf;
    bool hashed;
    uint8_t typehash[32];
};

struct td {
    struct stype *types;
    size_t n;
    struct nw_diag *diag;
    struct nw_buf enc; /* scratch for encodeType */
};

/* ---- small helpers ---------------------------------------------------------------------- */

static bool is_ident(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
        bool digit = c >= '0' && c <= '9';
        if (!alpha && !(digit && i > 0))
            return false;
    }
    return true;
}

static bool name_eq(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

/* Parse a canonical decimal (no sign, no leading zeros unless "0") of at most 10 digits. */
static bool parse_small_dec(const char *s, size_t n, unsigned long long *out)
{
    if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
        return false;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned long long)(s[i] - '0');
    }
    *out = v;
    return true;
}

static nw_err
fail(struct td *td, nw_err code, const struct stype *st, const struct field *fd, const char *what)
{
    if (st != NULL && fd != NULL)
        return nw_diag_set(td->diag, code, "%.*s.%.*s: %s", (int)st->name_len, st->name,
                           (int)fd->name_len, fd->name, what);
    if (st != NULL)
        return nw_diag_set(td->diag, code, "%.*s: %s", (int)st->name_len, st->name, what);
    return nw_diag_set(td->diag, code, "%s", what);
}

static size_t find_type(const struct td *td, const char *name, size_t len)
{
    for (size_t i = 0; i < td->n; i++) {
        if (name_eq(td->types[i].name, td->types[i].name_len, name, len))
            return i;
    }
    return SIZE_MAX;
}

/*
 * Classify an atomic base type name as ethers' getBaseEncoder does. Returns 1 for an atomic
 * type (kind/width set), 0 for a non-atomic name, -1 for an atomic pattern with an invalid width
 * ("uint7", "bytes33", "int08").
 */
static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return n > 0;
}

static int atomic_kind(const char *s, size_t n, enum kind *kind, unsigned *width)
{
    unsigned long long w = 0;
    /* the patterns of ethers: ^(u?)int(\d+)$ and ^bytes(\d+)$, then the width is checked */
    if (n > 4 && memcmp(s, "uint", 4) == 0 && all_digits(s + 4, n - 4)) {
        if (!parse_small_dec(s + 4, n - 4, &w) || w == 0 || w > 256 || w % 8 != 0)
            return -1;
        *kind = NW_K_UINT;
    } else if (n > 3 && memcmp(s, "int", 3) == 0 && all_digits(s + 3, n - 3)) {
        if (!parse_small_dec(s + 3, n - 3, &w) || w == 0 || w > 256 || w % 8 != 0)
            return -1;
        *kind = NW_K_INT;
    } else if (n > 5 && memcmp(s, "bytes", 5) == 0 && all_digits(s + 5, n - 5)) {
        if (!parse_small_dec(s + 5, n - 5, &w) || w == 0 || w > 32)
            return -1;
        *kind = NW_K_BYTESN;
    } else if (name_eq(s, n, "bool", 4)) {
        *kind = NW_K_BOOL;
    } else if (name_eq(s, n, "address", 7)) {
        *kind = NW_K_ADDRESS;
    } else if (name_eq(s, n, "bytes", 5)) {
        *kind = NW_K_BYTES;
    } else if (name_eq(s, n, "string", 6)) {
        *kind = NW_K_STRING;
    } else {
        return 0;
    }
    *width = (unsigned)w;
    return 1;
}

/* ---- resolving the types table ----------------------------------------------------------- */

/* Split "Base[2][]" into base and dimensions; resolve the base. */
static nw_err
resolve_field(struct td *td, const struct stype *st, struct field *fd, const char *ts, size_t tn)
{
    size_t b = 0;
    while (b < tn && ts[b] != '[')
        b++;
    fd->base = ts;
    fd->base_len = b;
    fd->index = ts + b;
    fd->index_len = tn - b;
    fd->t.ndims = 0;
    for (size_t i = b; i < tn;) {
        if (ts[i] != '[')
            return fail(td, NW_ERR_EIP712_TYPE_NAME, st, fd, "malformed array type");
        size_t j = i + 1;
        while (j < tn && ts[j] != ']')
            j++;
        if (j >= tn)
            return fail(td, NW_ERR_EIP712_TYPE_NAME, st, fd, "malformed array type");
        if (fd->t.ndims == MAX_DIMS)
            return fail(td, NW_ERR_EIP712_DEPTH, st, fd, "too many array dimensions");
        unsigned long long count = 0;
        if (j == i + 1)
            fd->t.dims[fd->t.ndims] = -1;
        else if (parse_small_dec(ts + i + 1, j - i - 1, &count) && count <= UINT32_MAX)
            fd->t.dims[fd->t.ndims] = (long long)count;
        else
            return fail(td, NW_ERR_EIP712_TYPE_NAME, st, fd, "malformed array length");
        fd->t.ndims++;
        i = j + 1;
    }

    int a = atomic_kind(ts, b, &fd->t.kind, &fd->t.width);
    if (a < 0)
        return fail(td, NW_ERR_EIP712_TYPE_NAME, st, fd, "invalid atomic type width");
    if (a > 0)
        return NW_OK;
    size_t idx = find_type(td, ts, b);
    if (idx == SIZE_MAX && (name_eq(ts, b, "uint", 4) || name_eq(ts, b, "int", 3))) {
        /* ethers normalises bare uint/int to 256 bits, in encodeType too */
        fd->t.kind = ts[0] == 'u' ? NW_K_UINT : NW_K_INT;
        fd->t.width = 256;
        fd->base = ts[0] == 'u' ? "uint256" : "int256";
        fd->base_len = strlen(fd->base);
        return NW_OK;
    }
    if (idx == SIZE_MAX)
        return fail(td, NW_ERR_EIP712_UNKNOWN_TYPE, st, fd, "undefined type");
    fd->t.kind = NW_K_STRUCT;
    fd->t.sidx = idx;
    return NW_OK;
}

static nw_err load_fields(struct td *td, struct stype *st, const json_t *arr)
{
    if (!json_is_array(arr))
        return fail(td, NW_ERR_EIP712_SCHEMA, st, NULL, "type definition is not an array");
    st->nf = json_array_size(arr);
    if (st->nf > NW_EIP712_MAX_FIELDS) {
        st->nf = 0;
        return fail(td, NW_ERR_TOO_LARGE, st, NULL, "too many fields");
    }
    if (st->nf > 0) {
        st->f = nw_calloc(st->nf, sizeof(*st->f));
        if (st->f == NULL)
            return NW_ERR_NOMEM;
    }
    for (size_t i = 0; i < st->nf; i++) {
        const json_t *fo = json_array_get(arr, i);
        const json_t *jn = json_object_get(fo, "name");
        const json_t *jt = json_object_get(fo, "type");
        if (!json_is_object(fo) || !json_is_string(jn) || !json_is_string(jt) ||
            json_object_size(fo) != 2)
            return fail(td, NW_ERR_EIP712_SCHEMA, st, NULL,
                        "a field is not {\"name\": string, \"type\": string}");
        struct field *fd = &st->f[i];
        fd->name = json_string_value(jn);
        fd->name_len = json_string_length(jn);
        if (!is_ident(fd->name, fd->name_len))
            return fail(td, NW_ERR_EIP712_TYPE_NAME, st, NULL, "field name is not an identifier");
        for (size_t k = 0; k < i; k++) {
            if (name_eq(st->f[k].name, st->f[k].name_len, fd->name, fd->name_len))
                return fail(td, NW_ERR_EIP712_DUP_FIELD, st, fd, "duplicate field name");
        }
    }
    return NW_OK;
}

static nw_err resolve_types(struct td *td, const json_t *types)
{
    for (size_t i = 0; i < td->n; i++) {
        struct stype *st = &td->types[i];
        const json_t *arr = json_object_getn(types, st->name, st->name_len);
        if (arr == NULL)
            continue; /* the synthesised EIP712Domain */
        for (size_t k = 0; k < st->nf; k++) {
            const json_t *jt = json_object_get(json_array_get(arr, k), "type");
            NW_TRY(resolve_field(td, st, &st->f[k], json_string_value(jt), json_string_length(jt)));
        }
    }
    return NW_OK;
}

/* Depth-first search with colours (0 new, 1 on the path, 2 done); recursion <= td->n deep. */
static nw_err check_cycle(struct td *td, uint8_t *colour, size_t i)
{
    colour[i] = 1;
    const struct stype *st = &td->types[i];
    for (size_t k = 0; k < st->nf; k++) {
        if (st->f[k].t.kind != NW_K_STRUCT)
            continue;
        size_t j = st->f[k].t.sidx;
        if (colour[j] == 1)
            return fail(td, NW_ERR_EIP712_CYCLE, st, &st->f[k], "circular type reference");
        if (colour[j] == 0)
            NW_TRY(check_cycle(td, colour, j));
    }
    colour[i] = 2;
    return NW_OK;
}

/* The standard domain fields, in the order ethers and viem put them (EIP-712 "domainSeparator"). */
static const struct {
    const char *name;
    const char *type;
    enum kind kind;
    unsigned width;
} DOMAIN_FIELDS[] = {
    {"name", "string", NW_K_STRING, 0},     {"version", "string", NW_K_STRING, 0},
    {"chainId", "uint256", NW_K_UINT, 256}, {"verifyingContract", "address", NW_K_ADDRESS, 0},
    {"salt", "bytes32", NW_K_BYTESN, 32},
};

/* Build EIP712Domain from the domain's non-null keys when `types` does not define it. */
static nw_err synth_domain(struct td *td, struct stype *st, const json_t *domain)
{
    const char *key;
    size_t klen;
    const json_t *v;
    size_t nf = 0;
    json_object_keylen_foreach((json_t *)domain, key, klen, v)
    {
        if (json_is_null(v))
            continue;
        size_t d = 0;
        while (d < NW_ARRAY_LEN(DOMAIN_FIELDS) &&
               !name_eq(key, klen, DOMAIN_FIELDS[d].name, strlen(DOMAIN_FIELDS[d].name)))
            d++;
        if (d == NW_ARRAY_LEN(DOMAIN_FIELDS))
            return fail(td, NW_ERR_EIP712_DOMAIN, NULL, NULL,
                        "domain key is not one of name, version, chainId, verifyingContract, salt "
                        "(declare EIP712Domain in types to use it)");
        nf++;
    }
    st->name = "EIP712Domain";
    st->name_len = strlen(st->name);
    if (nf > 0) {
        st->f = nw_calloc(nf, sizeof(*st->f));
        if (st->f == NULL)
            return NW_ERR_NOMEM;
    }
    for (size_t d = 0; d < NW_ARRAY_LEN(DOMAIN_FIELDS); d++) {
        v = json_object_get(domain, DOMAIN_FIELDS[d].name);
        if (v == NULL || json_is_null(v))
            continue;
        struct field *fd = &st->f[st->nf++];
        fd->name = DOMAIN_FIELDS[d].name;
        fd->name_len = strlen(fd->name);
        fd->base = DOMAIN_FIELDS[d].type;
        fd->base_len = strlen(fd->base);
        fd->index = "";
        fd->t.kind = DOMAIN_FIELDS[d].kind;
        fd->t.width = DOMAIN_FIELDS[d].width;
    }
    return NW_OK;
}

/* ---- typeHash ---------------------------------------------------------------------------- */

static nw_err append_def(struct nw_buf *b, const struct stype *st)
{
    NW_TRY(nw_buf_append(b, st->name, st->name_len));
    NW_TRY(nw_buf_append_byte(b, '('));
    for (size_t k = 0; k < st->nf; k++) {
        const struct field *fd = &st->f[k];
        if (k > 0)
            NW_TRY(nw_buf_append_byte(b, ','));
        NW_TRY(nw_buf_append(b, fd->base, fd->base_len));
        NW_TRY(nw_buf_append(b, fd->index, fd->index_len));
        NW_TRY(nw_buf_append_byte(b, ' '));
        NW_TRY(nw_buf_append(b, fd->name, fd->name_len));
    }
    return nw_buf_append_byte(b, ')');
}

static void mark_deps(const struct td *td, uint8_t *seen, size_t i)
{
    const struct stype *st = &td->types[i];
    for (size_t k = 0; k < st->nf; k++) {
        size_t j = st->f[k].t.sidx;
        if (st->f[k].t.kind == NW_K_STRUCT && !seen[j]) {
            seen[j] = 1;
            mark_deps(td, seen, j); /* acyclic, so depth <= td->n */
        }
    }
}

static int cmp_type_name(const void *pa, const void *pb)
{
    const struct stype *a = *(const struct stype *const *)pa;
    const struct stype *b = *(const struct stype *const *)pb;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->name, b->name, n);
    if (c != 0)
        return c;
    return a->name_len < b->name_len ? -1 : (a->name_len > b->name_len ? 1 : 0);
}

/*
 * encodeType (EIP-712 "Definition of encodeType"): the type's own definition, then the
 * definitions of every struct it references, directly or not, sorted by name.
 */
static nw_err type_hash(struct td *td, size_t i, const uint8_t **out)
{
    nw_err err = NW_OK;
    struct stype *st = &td->types[i];
    uint8_t *seen = NULL;
    const struct stype **deps = NULL;

    if (st->hashed) {
        *out = st->typehash;
        return NW_OK;
    }
    seen = nw_calloc(td->n, 1);
    deps = nw_calloc(td->n, sizeof(const struct stype *));
    NW_CHECK_COND(seen != NULL && deps != NULL, NW_ERR_NOMEM);
    mark_deps(td, seen, i);
    size_t nd = 0;
    for (size_t j = 0; j < td->n; j++) {
        if (seen[j] && j != i)
            deps[nd++] = &td->types[j];
    }
    qsort(deps, nd, sizeof(const struct stype *), cmp_type_name);
    td->enc.len = 0;
    NW_CHECK(append_def(&td->enc, st));
    for (size_t j = 0; j < nd; j++)
        NW_CHECK(append_def(&td->enc, deps[j]));
    nw_keccak256(st->typehash, td->enc.ptr, td->enc.len);
    st->hashed = true;
    *out = st->typehash;
out:
    if (err == NW_ERR_BUF_FULL)
        err = fail(td, NW_ERR_TOO_LARGE, st, NULL, "encodeType exceeds its limit");
    nw_free(seen);
    nw_free((void *)deps);
    return err;
}

/* ---- atomic values ----------------------------------------------------------------------- */

static unsigned bit_len(const struct nw_u256 *a)
{
    for (int i = 3; i >= 0; i--) {
        if (a->w[i] != 0)
            return (unsigned)(64 * i + 64 - __builtin_clzll(a->w[i]));
    }
    return 0;
}

/* A JSON integer, integral real, or "-"? decimal / 0x-hex string, as sign and magnitude. */
static nw_err json_int(const json_t *v, bool *neg, struct nw_u256 *mag)
{
    *neg = false;
    *mag = nw_u256_from_u64(0);
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        *neg = x < 0;
        *mag = nw_u256_from_u64(x < 0 ? (uint64_t)(-(x + 1)) + 1 : (uint64_t)x);
        return NW_OK;
    }
    if (json_is_real(v)) {
        /* ethers getBigInt takes a JS number only when it is an integer within 2^53-1 */
        double d = json_real_value(v);
        if (d != d || d - d != 0.0) /* NaN or infinite */
            return NW_ERR_EIP712_INT_FORMAT;
        if (d > 9007199254740991.0 || d < -9007199254740991.0)
            return NW_ERR_EIP712_INT_LITERAL;
        int64_t x = (int64_t)d;
        if ((double)x != d)
            return NW_ERR_EIP712_INT_FORMAT;
        *neg = x < 0;
        *mag = nw_u256_from_u64(x < 0 ? (uint64_t)(-x) : (uint64_t)x);
        return NW_OK;
    }
    if (!json_is_string(v))
        return NW_ERR_EIP712_VALUE_TYPE;
    struct nw_cur s = nw_cur_of(json_string_value(v), json_string_length(v));
    if (s.len > 0 && s.ptr[0] == '-') {
        *neg = true;
        s.ptr++;
        s.len--;
    }
    bool hex = s.len >= 2 && s.ptr[0] == '0' && (s.ptr[1] == 'x' || s.ptr[1] == 'X');
    nw_err e = hex ? nw_u256_parse_hex(mag, s) : nw_u256_parse_dec(mag, s);
    if (e == NW_ERR_INT_OVERFLOW)
        return NW_ERR_EIP712_INT_RANGE;
    return e == NW_OK ? NW_OK : NW_ERR_EIP712_INT_FORMAT;
}

static nw_err enc_int(const struct ftype *t, const json_t *v, uint8_t out[32])
{
    bool neg;
    struct nw_u256 mag;
    NW_TRY(json_int(v, &neg, &mag));
    unsigned bl = bit_len(&mag);
    if (t->kind == NW_K_UINT) {
        NW_ENSURE(!neg || bl == 0, NW_ERR_EIP712_INT_RANGE);
        NW_ENSURE(bl <= t->width, NW_ERR_EIP712_INT_RANGE);
    } else if (!neg) {
        NW_ENSURE(bl <= t->width - 1, NW_ERR_EIP712_INT_RANGE);
    } else {
        /* -2^(w-1) is the one magnitude of bit length w allowed */
        bool min = bl == t->width && mag.w[(t->width - 1) / 64] == 1ULL << ((t->width - 1) % 64);
        for (unsigned i = 0; min && i < (t->width - 1) / 64; i++)
            min = mag.w[i] == 0;
        NW_ENSURE(bl <= t->width - 1 || min, NW_ERR_EIP712_INT_RANGE);
    }
    nw_u256_to_be32(out, &mag);
    if (neg && bl > 0) {
        /* two's complement over 256 bits */
        unsigned carry = 1;
        for (int i = 31; i >= 0; i--) {
            unsigned x = (unsigned)(uint8_t)~out[i] + carry;
            out[i] = (uint8_t)x;
            carry = x >> 8;
        }
    }
    return NW_OK;
}

static nw_err enc_address(const json_t *v, uint8_t out[32])
{
    NW_ENSURE(json_is_string(v), NW_ERR_EIP712_VALUE_TYPE);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 42 && s[0] == '0' && s[1] == 'x') {
        s += 2;
        n -= 2;
    }
    NW_ENSURE(n == 40, NW_ERR_EIP712_ADDRESS);
    bool up = false, lo = false;
    for (size_t i = 0; i < 40; i++) {
        NW_ENSURE(nw_hex_digit(s[i]) >= 0, NW_ERR_EIP712_ADDRESS);
        up = up || (s[i] >= 'A' && s[i] <= 'F');
        lo = lo || (s[i] >= 'a' && s[i] <= 'f');
    }
    memset(out, 0, 12);
    NW_ENSURE(nw_hex_decode_fixed(out + 12, 20, nw_cur_of(s, 40), false) == NW_OK,
              NW_ERR_EIP712_ADDRESS);
    if (up && lo) {
        /* mixed case must be the EIP-55 form (ethers getAddress) */
        char c55[NW_ETHADDR_TEXT_LEN];
        nw_ethaddr_format(c55, out + 12);
        NW_ENSURE(memcmp(c55 + 2, s, 40) == 0, NW_ERR_EIP712_CHECKSUM);
    }
    return NW_OK;
}

/* 0x-hex text of even length (ethers getBytes); *nbytes set. */
static nw_err hex_bytes_text(const json_t *v, struct nw_cur *digits, size_t *nbytes)
{
    NW_ENSURE(json_is_string(v), NW_ERR_EIP712_VALUE_TYPE);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    NW_ENSURE(n >= 2 && s[0] == '0' && s[1] == 'x' && n % 2 == 0, NW_ERR_EIP712_BYTES);
    for (size_t i = 2; i < n; i++)
        NW_ENSURE(nw_hex_digit(s[i]) >= 0, NW_ERR_EIP712_BYTES);
    *digits = nw_cur_of(s + 2, n - 2);
    *nbytes = (n - 2) / 2;
    return NW_OK;
}

static nw_err enc_atomic(const struct ftype *t, const json_t *v, uint8_t out[32])
{
    struct nw_cur digits;
    size_t nb;
    switch (t->kind) {
        case NW_K_UINT:
        case NW_K_INT:
            return enc_int(t, v, out);
        case NW_K_BOOL:
            NW_ENSURE(json_is_boolean(v), NW_ERR_EIP712_VALUE_TYPE);
            memset(out, 0, 32);
            out[31] = json_is_true(v) ? 1 : 0;
            return NW_OK;
        case NW_K_ADDRESS:
            return enc_address(v, out);
        case NW_K_BYTESN:
            NW_TRY(hex_bytes_text(v, &digits, &nb));
            NW_ENSURE(nb == t->width, NW_ERR_EIP712_BYTES);
            memset(out, 0, 32);
            return nw_hex_decode_fixed(out, nb, digits, false) == NW_OK ? NW_OK
                                                                        : NW_ERR_EIP712_BYTES;
        case NW_K_BYTES: {
            NW_TRY(hex_bytes_text(v, &digits, &nb));
            struct nw_keccak k;
            nw_keccak_init(&k);
            uint8_t chunk[64];
            for (size_t i = 0; i < nb; i += sizeof(chunk)) {
                size_t m = nb - i < sizeof(chunk) ? nb - i : sizeof(chunk);
                if (nw_hex_decode_fixed(chunk, m, nw_cur_of(digits.ptr + 2 * i, 2 * m), false) !=
                    NW_OK)
                    return NW_ERR_EIP712_BYTES;
                nw_keccak_update(&k, chunk, m);
            }
            nw_keccak_final(&k, out);
            return NW_OK;
        }
        case NW_K_STRING:
            NW_ENSURE(json_is_string(v), NW_ERR_EIP712_VALUE_TYPE);
            nw_keccak256(out, json_string_value(v), json_string_length(v));
            return NW_OK;
        case NW_K_STRUCT:
            break;
    }
    return NW_ERR_INTERNAL;
}

/* ---- hashStruct and arrays --------------------------------------------------------------- */

static nw_err
hash_struct(struct td *td, size_t sidx, const json_t *obj, unsigned depth, uint8_t out[32]);

/* The 32-byte word of one member value at array level `level` (0 = the base type). */
static nw_err enc_value(struct td *td,
                        const struct stype *st,
                        const struct field *fd,
                        size_t level,
                        const json_t *v,
                        unsigned depth,
                        uint8_t out[32])
{
    if (depth > NW_EIP712_MAX_DEPTH)
        return fail(td, NW_ERR_EIP712_DEPTH, st, fd, "nesting too deep");
    if (level > 0) {
        long long want = fd->t.dims[level - 1];
        if (!json_is_array(v))
            return fail(td, NW_ERR_EIP712_VALUE_TYPE, st, fd, "expected an array");
        if (want >= 0 && json_array_size(v) != (size_t)want)
            return fail(td, NW_ERR_EIP712_ARRAY_LEN, st, fd, "array length differs");
        /* EIP-712: an array is the keccak of its elements' concatenated encodeData words */
        struct nw_keccak k;
        nw_keccak_init(&k);
        for (size_t i = 0; i < json_array_size(v); i++) {
            uint8_t w[32];
            NW_TRY(enc_value(td, st, fd, level - 1, json_array_get(v, i), depth + 1, w));
            nw_keccak_update(&k, w, 32);
        }
        nw_keccak_final(&k, out);
        return NW_OK;
    }
    if (fd->t.kind == NW_K_STRUCT) {
        if (!json_is_object(v))
            return fail(td, NW_ERR_EIP712_VALUE_TYPE, st, fd, "expected an object");
        return hash_struct(td, fd->t.sidx, v, depth + 1, out);
    }
    nw_err e = enc_atomic(&fd->t, v, out);
    if (e != NW_OK)
        return fail(td, e, st, fd, nw_err_str(e));
    return NW_OK;
}

static nw_err
hash_struct(struct td *td, size_t sidx, const json_t *obj, unsigned depth, uint8_t out[32])
{
    const struct stype *st = &td->types[sidx];
    const uint8_t *th = NULL;
    NW_TRY(type_hash(td, sidx, &th));

    struct nw_keccak k;
    nw_keccak_init(&k);
    nw_keccak_update(&k, th, 32);
    for (size_t i = 0; i < st->nf; i++) {
        const struct field *fd = &st->f[i];
        const json_t *v = json_object_getn(obj, fd->name, fd->name_len);
        if (v == NULL || json_is_null(v))
            return fail(td, NW_ERR_EIP712_MISSING_FIELD, st, fd, "missing field");
        uint8_t w[32];
        NW_TRY(enc_value(td, st, fd, fd->t.ndims, v, depth, w));
        nw_keccak_update(&k, w, 32);
    }
    /* every declared field was found, so any further non-null key is undeclared */
    size_t nonnull = 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        (void)key;
        nonnull += json_is_null(v) ? 0 : 1;
    }
    if (nonnull != st->nf)
        return fail(td, NW_ERR_EIP712_EXTRA_FIELD, st, NULL, "value has an undeclared field");
    nw_keccak_final(&k, out);
    return NW_OK;
}

/* ---- top level --------------------------------------------------------------------------- */

static nw_err check_top(struct td *td, const json_t *root)
{
    if (!json_is_object(root))
        return fail(td, NW_ERR_EIP712_SCHEMA, NULL, NULL, "typed data is not a JSON object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)root, key, v)
    {
        if (strcmp(key, "types") != 0 && strcmp(key, "primaryType") != 0 &&
            strcmp(key, "domain") != 0 && strcmp(key, "message") != 0)
            return fail(td, NW_ERR_EIP712_SCHEMA, NULL, NULL, "unknown top-level key");
    }
    if (!json_is_object(json_object_get(root, "types")))
        return fail(td, NW_ERR_EIP712_SCHEMA, NULL, NULL, "\"types\" must be an object");
    if (!json_is_string(json_object_get(root, "primaryType")))
        return fail(td, NW_ERR_EIP712_SCHEMA, NULL, NULL, "\"primaryType\" must be a string");
    if (!json_is_object(json_object_get(root, "domain")))
        return fail(td, NW_ERR_EIP712_SCHEMA, NULL, NULL, "\"domain\" must be an object");
    return NW_OK;
}

/* Fill td->types from the JSON `types` (and a synthesised EIP712Domain when absent). */
static nw_err load_types(struct td *td, const json_t *types, const json_t *domain)
{
    size_t n = json_object_size(types);
    bool has_domain = json_object_get(types, "EIP712Domain") != NULL;
    if (n + (has_domain ? 0 : 1) > NW_EIP712_MAX_TYPES)
        return fail(td, NW_ERR_TOO_LARGE, NULL, NULL, "too many types");
    td->types = nw_calloc(n + 1, sizeof(*td->types));
    if (td->types == NULL)
        return NW_ERR_NOMEM;
    const char *key;
    size_t klen;
    const json_t *arr;
    json_object_keylen_foreach((json_t *)types, key, klen, arr)
    {
        struct stype *st = &td->types[td->n++];
        st->name = key;
        st->name_len = klen;
        enum kind kd;
        unsigned w;
        if (!is_ident(key, klen) || atomic_kind(key, klen, &kd, &w) != 0)
            return fail(td, NW_ERR_EIP712_TYPE_NAME, NULL, NULL,
                        "struct type name is not an identifier or is an atomic type");
        NW_TRY(load_fields(td, st, arr));
    }
    if (!has_domain)
        NW_TRY(synth_domain(td, &td->types[td->n++], domain));
    NW_TRY(resolve_types(td, types));

    uint8_t *colour = nw_calloc(td->n, 1);
    if (colour == NULL)
        return NW_ERR_NOMEM;
    nw_err err = NW_OK;
    for (size_t i = 0; i < td->n && err == NW_OK; i++) {
        if (colour[i] == 0)
            err = check_cycle(td, colour, i);
    }
    nw_free(colour);
    return err;
}

static nw_err parse_json(struct td *td, json_t **root, struct nw_cur json)
{
    json_error_t jerr;
    if (json.len > NW_EIP712_MAX_JSON_BYTES)
        return fail(td, NW_ERR_TOO_LARGE, NULL, NULL, "typed data exceeds 1 MiB");
    *root = json_loadb((const char *)json.ptr, json.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                       &jerr);
    if (*root != NULL)
        return NW_OK;
    switch (json_error_code(&jerr)) {
        case json_error_out_of_memory:
            return NW_ERR_NOMEM;
        case json_error_numeric_overflow:
            return nw_diag_set(td->diag, NW_ERR_EIP712_INT_LITERAL,
                               "JSON integer literal at line %d column %d is too big to hold "
                               "exactly; pass it as a decimal or 0x-hex string",
                               jerr.line, jerr.column);
        case json_error_duplicate_key:
            return nw_diag_set(td->diag, NW_ERR_JSON, "duplicate JSON key at line %d column %d",
                               jerr.line, jerr.column);
        default:
            return nw_diag_set(td->diag, NW_ERR_JSON, "malformed JSON at line %d column %d",
                               jerr.line, jerr.column);
    }
}

nw_err nw_eip712_hash(uint8_t hash32[32], struct nw_diag *diag, struct nw_cur json)
{
    nw_err err = NW_OK;
    json_t *root = NULL;
    struct td td = {.diag = diag};
    uint8_t dom[32], msg[32];

    memset(hash32, 0, 32);
    if (diag != NULL)
        memset(diag, 0, sizeof(*diag));
    nw_buf_init(&td.enc, NW_EIP712_MAX_ENCODED_TYPE, false);
    NW_CHECK(parse_json(&td, &root, json));
    NW_CHECK(check_top(&td, root));
    const json_t *domain = json_object_get(root, "domain");
    NW_CHECK(load_types(&td, json_object_get(root, "types"), domain));

    const json_t *pt = json_object_get(root, "primaryType");
    size_t pidx = find_type(&td, json_string_value(pt), json_string_length(pt));
    NW_CHECK_COND(pidx != SIZE_MAX, fail(&td, NW_ERR_EIP712_UNKNOWN_TYPE, NULL, NULL,
                                         "primaryType names no type in \"types\""));
    size_t didx = find_type(&td, "EIP712Domain", 12);
    NW_CHECK(hash_struct(&td, didx, domain, 0, dom));

    /* EIP-712 "Specification of the eth_signTypedData JSON RPC": 0x1901 || domain || message */
    struct nw_keccak k;
    nw_keccak_init(&k);
    nw_keccak_update(&k, "\x19\x01", 2);
    nw_keccak_update(&k, dom, 32);
    if (pidx != didx) {
        const json_t *m = json_object_get(root, "message");
        NW_CHECK_COND(json_is_object(m),
                      fail(&td, NW_ERR_EIP712_SCHEMA, NULL, NULL, "\"message\" must be an object"));
        NW_CHECK(hash_struct(&td, pidx, m, 0, msg));
        nw_keccak_update(&k, msg, 32);
    }
    nw_keccak_final(&k, hash32);
out:
    if (err != NW_OK) {
        memset(hash32, 0, 32);
        if (diag != NULL && diag->code != err)
            (void)nw_diag_set(diag, err, "%s", nw_err_str(err));
    }
    if (td.types != NULL) {
        for (size_t i = 0; i < td.n; i++)
            nw_free(td.types[i].f);
        nw_free(td.types);
    }
    nw_buf_clear(&td.enc);
    json_decref(root);
    return err;
}

nw_err nw_eip712_sign(const struct nw_secp *ctx,
                      uint8_t sig65[65],
                      uint8_t *hash32,
                      struct nw_diag *diag,
                      struct nw_cur json,
                      const struct nw_seckey *key)
{
    uint8_t h[32];
    memset(sig65, 0, 65);
    nw_err err = nw_eip712_hash(h, diag, json);
    if (err == NW_OK)
        err = nw_msg_sign_v27(ctx, sig65, hash32, h, key);
    if (err != NW_OK) {
        memset(sig65, 0, 65);
        if (hash32 != NULL)
            memset(hash32, 0, 32);
        if (diag != NULL && diag->code != err)
            (void)nw_diag_set(diag, err, "%s", nw_err_str(err));
    }
    return err;
}

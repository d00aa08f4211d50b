/*
 * Parsing web3.py-style transaction dicts (DESIGN.md section 4) and Ethereum JSON-RPC
 * transaction objects (eth_signTransaction) into struct nw_tx. The two shapes share every
 * check; they differ in `value` (ether vs wei), `input` (RPC only) and nothing else.
 *
 * The JSON comes through jdoc.c (yajl), not jansson: numbers keep their literal text, so
 * integers are exact to 2^256-1 and a float `value` can be checked against its double.
 *
 * Two passes over the object: first every key is matched against the known names (an unknown
 * key fails at once), then the type is fixed (given or inferred the way eth-account's
 * set_transaction_type_if_needed does), the fields are checked against that type's allowed and
 * required sets, and only then is each value converted. The variable-length parts are decoded
 * straight into tx->mem, the lists already in their RLP form, so signing needs no second pass.
 */
#include <stdio.h>

#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/rlp.h>
#include <nw/tx.h>

#include "core_int.h"

enum field {
    NW_TXF_TYPE,
    NW_TXF_CHAIN_ID,
    NW_TXF_NONCE,
    NW_TXF_GAS,
    NW_TXF_GAS_PRICE,
    NW_TXF_MAX_FEE,
    NW_TXF_MAX_PRIO,
    NW_TXF_MAX_FEE_BLOB,
    NW_TXF_BLOB_HASHES,
    NW_TXF_TO,
    NW_TXF_VALUE,
    NW_TXF_DATA,
    NW_TXF_ACCESS_LIST,
    NW_TXF_AUTH_LIST,
    NW_TXF_FROM,
    NW_TXF_INPUT,
    NW_TXF_COUNT
};

/* Which request shape is being parsed. */
enum shape {
    NW_TXS_DICT, /* web3.py's dict: value in ether, no `input` */
    NW_TXS_RPC,  /* JSON-RPC transaction object: value in wei (a quantity), `input` or `data` */
};

static const char *const field_names[NW_TXF_COUNT] = {
    "type",
    "chainId",
    "nonce",
    "gas",
    "gasPrice",
    "maxFeePerGas",
    "maxPriorityFeePerGas",
    "maxFeePerBlobGas",
    "blobVersionedHashes",
    "to",
    "value",
    "data",
    "accessList",
    "authorizationList",
    "from",
    "input",
};

#define BIT(f) (1u << (f))
#define COMMON                                                                                     \
 (BIT(NW_TXF_TYPE) | BIT(NW_TXF_CHAIN_ID) | BIT(NW_TXF_NONCE) | BIT(NW_TXF_GAS) | BIT(NW_TXF_TO) | \
  BIT(NW_TXF_VALUE) | BIT(NW_TXF_DATA) | BIT(NW_TXF_FROM) | BIT(NW_TXF_INPUT))
#define FEES_1559 (BIT(NW_TXF_MAX_FEE) | BIT(NW_TXF_MAX_PRIO))

/* Allowed and required fields per type (EIP-2930, EIP-1559, EIP-4844, EIP-7702 field lists). */
static const unsigned allowed[5] = {
    COMMON | BIT(NW_TXF_GAS_PRICE),
    COMMON | BIT(NW_TXF_GAS_PRICE) | BIT(NW_TXF_ACCESS_LIST),
    COMMON | FEES_1559 | BIT(NW_TXF_ACCESS_LIST),
    COMMON | FEES_1559 | BIT(NW_TXF_ACCESS_LIST) | BIT(NW_TXF_MAX_FEE_BLOB) |
        BIT(NW_TXF_BLOB_HASHES),
    COMMON | FEES_1559 | BIT(NW_TXF_ACCESS_LIST) | BIT(NW_TXF_AUTH_LIST),
};
static const unsigned required[5] = {
    BIT(NW_TXF_NONCE) | BIT(NW_TXF_GAS) | BIT(NW_TXF_GAS_PRICE),
    BIT(NW_TXF_NONCE) | BIT(NW_TXF_GAS) | BIT(NW_TXF_GAS_PRICE) | BIT(NW_TXF_CHAIN_ID),
    BIT(NW_TXF_NONCE) | BIT(NW_TXF_GAS) | BIT(NW_TXF_CHAIN_ID) | FEES_1559,
    BIT(NW_TXF_NONCE) | BIT(NW_TXF_GAS) | BIT(NW_TXF_CHAIN_ID) | FEES_1559 |
        BIT(NW_TXF_MAX_FEE_BLOB) | BIT(NW_TXF_BLOB_HASHES) | BIT(NW_TXF_TO),
    BIT(NW_TXF_NONCE) | BIT(NW_TXF_GAS) | BIT(NW_TXF_CHAIN_ID) | FEES_1559 | BIT(NW_TXF_AUTH_LIST) |
        BIT(NW_TXF_TO),
};

/* Report code for the field at `path` (a name, or a path such as accessList[0].address). */
static nw_err field_err(struct nw_diag *diag, nw_err code, const char *path)
{
    return nw_diag_set(diag, code, "field '%s'", path);
}

static nw_err map_buf_err(nw_err e)
{
    return e == NW_ERR_BUF_FULL ? NW_ERR_TX_LIMIT : e;
}

static nw_err find_field(const struct nw_jv *member, enum shape shape, enum field *f)
{
    /* The first character narrows the candidates to one or two names. */
    for (int i = 0; i < NW_TXF_COUNT; i++) {
        if (member->key_len > 0 && member->key[0] == field_names[i][0] &&
            nw_jv_key_is(member, field_names[i])) {
            *f = (enum field)i;
            return i == NW_TXF_INPUT && shape != NW_TXS_RPC ? NW_ERR_TX_UNKNOWN_FIELD : NW_OK;
        }
    }
    return NW_ERR_TX_UNKNOWN_FIELD;
}

/*
 * eth-account's set_transaction_type_if_needed, when "type" is absent: gasPrice with accessList
 * is type 1; either EIP-1559 fee makes it 2, or 3 with a blob field, or 4 with an
 * authorizationList; anything else is legacy (whose allowed set then rejects stray fields).
 */
static enum nw_tx_type infer_type(const struct nw_jv *const slot[NW_TXF_COUNT])
{
    if (slot[NW_TXF_GAS_PRICE] != NULL && slot[NW_TXF_ACCESS_LIST] != NULL)
        return NW_TX_ACCESS_LIST;
    if (slot[NW_TXF_MAX_FEE] != NULL || slot[NW_TXF_MAX_PRIO] != NULL) {
        if (slot[NW_TXF_MAX_FEE_BLOB] != NULL || slot[NW_TXF_BLOB_HASHES] != NULL)
            return NW_TX_BLOB;
        if (slot[NW_TXF_AUTH_LIST] != NULL)
            return NW_TX_SET_CODE;
        return NW_TX_DYNAMIC_FEE;
    }
    return NW_TX_LEGACY;
}

static nw_err json_str(struct nw_cur *out, const struct nw_jv *j)
{
    NW_ENSURE(j->kind == NW_JV_STRING, NW_ERR_TX_FIELD_TYPE);
    *out = nw_cur_of(j->text, j->len);
    return NW_OK;
}

static nw_err json_addr(uint8_t addr20[20], const struct nw_jv *j)
{
    struct nw_cur t;
    NW_TRY(json_str(&t, j));
    return nw_ethaddr_parse(addr20, t);
}

/* A "0x" + 64 hex string as a 32-byte RLP string. */
static nw_err put_bytes32(struct nw_buf *mem, const struct nw_jv *j)
{
    struct nw_cur t;
    uint8_t b[32];
    NW_TRY(json_str(&t, j));
    NW_ENSURE(t.len >= 2 && t.ptr[0] == '0' && (t.ptr[1] == 'x' || t.ptr[1] == 'X'),
              NW_ERR_HEX_PREFIX);
    NW_ENSURE(t.len % 2 == 0, NW_ERR_HEX_ODD);
    NW_ENSURE(t.len == 66, NW_ERR_TX_BYTES_LENGTH);
    NW_TRY(nw_hex_decode_fixed(b, sizeof(b), t, true));
    return map_buf_err(nw_rlp_put_bytes(mem, nw_cur_of(b, sizeof(b))));
}

static nw_err parse_data(struct nw_tx *tx, const struct nw_jv *j)
{
    struct nw_cur t;
    NW_TRY(json_str(&t, j));
    tx->data.off = tx->mem.len;
    if (t.len > 0)
        NW_TRY(map_buf_err(nw_hex_decode_buf(&tx->mem, t, true)));
    tx->data.len = tx->mem.len - tx->data.off;
    return NW_OK;
}

/*
 * RPC `input` (the current name) beside `data` (the older one): parsed as data when alone;
 * when both are present they must carry the same bytes (geth refuses a difference too).
 */
static nw_err parse_input(struct nw_tx *tx, const struct nw_jv *input, bool has_data)
{
    if (!has_data)
        return parse_data(tx, input);
    struct nw_tx_span data = tx->data;
    NW_TRY(parse_data(tx, input));
    bool same = tx->data.len == data.len &&
                (data.len == 0 ||
                 memcmp(tx->mem.ptr + data.off, tx->mem.ptr + tx->data.off, data.len) == 0);
    tx->mem.len = tx->data.off;
    tx->data = data;
    NW_ENSURE(same, NW_ERR_TX_INPUT_MISMATCH);
    return NW_OK;
}

static nw_err parse_to(struct nw_tx *tx, const struct nw_jv *j)
{
    if (j->kind == NW_JV_NULL || (j->kind == NW_JV_STRING && j->len == 0)) {
        tx->has_to = false;
        return NW_OK;
    }
    tx->has_to = true;
    return json_addr(tx->to, j);
}

/* Context for list parsing: the field path is built in path[] for error messages. */
struct pctx {
    struct nw_tx *tx;
    struct nw_diag *diag;
    enum shape shape;
    char path[96];
};

static nw_err sub_err(struct pctx *p, nw_err code, const char *list, size_t i, const char *sub)
{
    if (sub != NULL)
        (void)snprintf(p->path, sizeof(p->path), "%s[%zu].%s", list, i, sub);
    else
        (void)snprintf(p->path, sizeof(p->path), "%s[%zu]", list, i);
    return field_err(p->diag, code, p->path);
}

/* Check an entry object has only the given keys; report the first unknown one. */
static nw_err check_keys(struct pctx *p,
                         const struct nw_jv *obj,
                         const char *list,
                         size_t i,
                         const char *const *keys,
                         size_t nkeys)
{
    char name[32];
    if (obj->kind != NW_JV_OBJECT)
        return sub_err(p, NW_ERR_TX_FIELD_TYPE, list, i, NULL);
    for (const struct nw_jv *m = obj->child; m != NULL; m = m->next) {
        bool known = false;
        for (size_t n = 0; n < nkeys; n++)
            known |= nw_jv_key_is(m, keys[n]);
        if (!known)
            return sub_err(p, NW_ERR_TX_UNKNOWN_FIELD, list, i, nw_jv_safe_key(m, name));
    }
    return NW_OK;
}

static nw_err get_member(struct pctx *p,
                         const struct nw_jv **out,
                         const struct nw_jv *obj,
                         const char *list,
                         size_t i,
                         const char *key)
{
    *out = nw_jv_get(obj, key);
    if (*out == NULL)
        return sub_err(p, NW_ERR_TX_MISSING_FIELD, list, i, key);
    return NW_OK;
}

static nw_err parse_access_entry(struct pctx *p, const struct nw_jv *e, size_t i)
{
    static const char *const keys[] = {"address", "storageKeys"};
    static const char list[] = "accessList";
    struct nw_buf *mem = &p->tx->mem;
    const struct nw_jv *a, *sk;
    uint8_t addr[20];
    size_t m1, m2, k = 0;
    nw_err err;

    NW_TRY(check_keys(p, e, list, i, keys, 2));
    NW_TRY(get_member(p, &a, e, list, i, "address"));
    NW_TRY(get_member(p, &sk, e, list, i, "storageKeys"));
    if ((err = json_addr(addr, a)) != NW_OK)
        return sub_err(p, err, list, i, "address");
    if (sk->kind != NW_JV_ARRAY)
        return sub_err(p, NW_ERR_TX_FIELD_TYPE, list, i, "storageKeys");
    nw_rlp_list_begin(mem, &m1);
    NW_TRY(map_buf_err(nw_rlp_put_bytes(mem, nw_cur_of(addr, 20))));
    nw_rlp_list_begin(mem, &m2);
    for (const struct nw_jv *key = sk->child; key != NULL; key = key->next, k++) {
        if ((err = put_bytes32(mem, key)) != NW_OK) {
            (void)snprintf(p->path, sizeof(p->path), "%s[%zu].storageKeys[%zu]", list, i, k);
            return field_err(p->diag, err, p->path);
        }
    }
    NW_TRY(map_buf_err(nw_rlp_list_end(mem, m2)));
    return map_buf_err(nw_rlp_list_end(mem, m1));
}

static nw_err parse_access_list(struct pctx *p, const struct nw_jv *j, struct nw_tx_span *span)
{
    size_t mark, i = 0;
    if (j->kind != NW_JV_ARRAY)
        return field_err(p->diag, NW_ERR_TX_FIELD_TYPE, "accessList");
    span->off = p->tx->mem.len;
    nw_rlp_list_begin(&p->tx->mem, &mark);
    for (const struct nw_jv *e = j->child; e != NULL; e = e->next, i++)
        NW_TRY(parse_access_entry(p, e, i));
    NW_TRY(map_buf_err(nw_rlp_list_end(&p->tx->mem, mark)));
    span->len = p->tx->mem.len - span->off;
    return NW_OK;
}

static nw_err parse_blob_hashes(struct pctx *p, const struct nw_jv *j)
{
    size_t mark, i = 0;
    nw_err err;
    if (j->kind != NW_JV_ARRAY)
        return field_err(p->diag, NW_ERR_TX_FIELD_TYPE, "blobVersionedHashes");
    p->tx->blob_hashes.off = p->tx->mem.len;
    nw_rlp_list_begin(&p->tx->mem, &mark);
    for (const struct nw_jv *e = j->child; e != NULL; e = e->next, i++) {
        if ((err = put_bytes32(&p->tx->mem, e)) != NW_OK)
            return sub_err(p, err, "blobVersionedHashes", i, NULL);
    }
    NW_TRY(map_buf_err(nw_rlp_list_end(&p->tx->mem, mark)));
    p->tx->blob_hashes.len = p->tx->mem.len - p->tx->blob_hashes.off;
    return NW_OK;
}

/* yParity, or v as 0/1/27/28; when both are given they must agree. */
static nw_err
parse_y_parity(uint64_t *y, const struct nw_jv *yp, const struct nw_jv *v, const char **bad)
{
    uint64_t a = 0, b = 0;
    *bad = yp != NULL ? "yParity" : "v";
    if (yp != NULL) {
        NW_TRY(nw_jv_u64(&a, yp));
        NW_ENSURE(a <= 1, NW_ERR_TX_SIG_V);
    }
    if (v != NULL) {
        *bad = "v";
        NW_TRY(nw_jv_u64(&b, v));
        NW_ENSURE(b <= 1 || b == 27 || b == 28, NW_ERR_TX_SIG_V);
        b = b >= 27 ? b - 27 : b;
        NW_ENSURE(yp == NULL || a == b, NW_ERR_TX_SIG_V);
        a = b;
    }
    *y = a;
    return NW_OK;
}

/* A nonce (EIP-2681: at most 2^64-1), in a transaction or an authorization. */
static nw_err nonce_u64(uint64_t *n, const struct nw_jv *j)
{
    struct nw_u256 u;
    *n = 0;
    NW_TRY(nw_jv_quantity(&u, j));
    NW_ENSURE(nw_u256_to_u64(&u, n), NW_ERR_TX_NONCE_RANGE);
    return NW_OK;
}

/* The values of one authorization tuple, converted. */
struct auth_tuple {
    struct nw_u256 chain_id, r, s;
    uint8_t address[20];
    uint64_t nonce, y;
};

static nw_err auth_values(struct pctx *p, struct auth_tuple *t, const struct nw_jv *e, size_t i)
{
    static const char list[] = "authorizationList";
    const struct nw_jv *cid, *addr, *nonce, *r, *s;
    const struct nw_jv *yp = nw_jv_get(e, "yParity"), *v = nw_jv_get(e, "v");
    const char *bad;
    nw_err err;

    NW_TRY(get_member(p, &cid, e, list, i, "chainId"));
    NW_TRY(get_member(p, &addr, e, list, i, "address"));
    NW_TRY(get_member(p, &nonce, e, list, i, "nonce"));
    if (yp == NULL && v == NULL)
        return sub_err(p, NW_ERR_TX_MISSING_FIELD, list, i, "yParity");
    NW_TRY(get_member(p, &r, e, list, i, "r"));
    NW_TRY(get_member(p, &s, e, list, i, "s"));
    if ((err = nw_jv_quantity(&t->chain_id, cid)) != NW_OK)
        return sub_err(p, err, list, i, "chainId");
    if ((err = json_addr(t->address, addr)) != NW_OK)
        return sub_err(p, err, list, i, "address");
    if ((err = nonce_u64(&t->nonce, nonce)) != NW_OK)
        return sub_err(p, err, list, i, "nonce");
    if ((err = parse_y_parity(&t->y, yp, v, &bad)) != NW_OK)
        return sub_err(p, err, list, i, bad);
    if ((err = nw_jv_quantity(&t->r, r)) != NW_OK)
        return sub_err(p, err, list, i, "r");
    if ((err = nw_jv_quantity(&t->s, s)) != NW_OK)
        return sub_err(p, err, list, i, "s");
    if (nw_sig_s_is_high(&t->s))
        return sub_err(p, NW_ERR_TX_HIGH_S, list, i, "s");
    return NW_OK;
}

static nw_err parse_auth_entry(struct pctx *p, const struct nw_jv *e, size_t i)
{
    static const char *const keys[] = {"chainId", "address", "nonce", "yParity", "v", "r", "s"};
    struct nw_buf *mem = &p->tx->mem;
    struct auth_tuple t;
    size_t mark;

    NW_TRY(check_keys(p, e, "authorizationList", i, keys, NW_ARRAY_LEN(keys)));
    NW_TRY(auth_values(p, &t, e, i));
    nw_rlp_list_begin(mem, &mark);
    NW_TRY(map_buf_err(nw_rlp_put_u256(mem, &t.chain_id)));
    NW_TRY(map_buf_err(nw_rlp_put_bytes(mem, nw_cur_of(t.address, 20))));
    NW_TRY(map_buf_err(nw_rlp_put_u64(mem, t.nonce)));
    NW_TRY(map_buf_err(nw_rlp_put_u64(mem, t.y)));
    NW_TRY(map_buf_err(nw_rlp_put_u256(mem, &t.r)));
    NW_TRY(map_buf_err(nw_rlp_put_u256(mem, &t.s)));
    return map_buf_err(nw_rlp_list_end(mem, mark));
}

static nw_err parse_auth_list(struct pctx *p, const struct nw_jv *j)
{
    size_t mark, i = 0;
    if (j->kind != NW_JV_ARRAY)
        return field_err(p->diag, NW_ERR_TX_FIELD_TYPE, "authorizationList");
    if (j->len == 0)
        return field_err(p->diag, NW_ERR_TX_EMPTY_AUTH_LIST, "authorizationList");
    p->tx->auth_list.off = p->tx->mem.len;
    nw_rlp_list_begin(&p->tx->mem, &mark);
    for (const struct nw_jv *e = j->child; e != NULL; e = e->next, i++)
        NW_TRY(parse_auth_entry(p, e, i));
    NW_TRY(map_buf_err(nw_rlp_list_end(&p->tx->mem, mark)));
    p->tx->auth_list.len = p->tx->mem.len - p->tx->auth_list.off;
    return NW_OK;
}

/* The scalar fields, each with its converter. */
static nw_err parse_scalar(struct nw_tx *tx, enum field f, const struct nw_jv *j, enum shape shape)
{
    uint64_t n;
    switch (f) {
        case NW_TXF_CHAIN_ID:
            tx->has_chain_id = true;
            return nw_jv_quantity(&tx->chain_id, j);
        case NW_TXF_NONCE:
            NW_TRY(nonce_u64(&n, j));
            tx->nonce = nw_u256_from_u64(n);
            return NW_OK;
        case NW_TXF_GAS:
            return nw_jv_quantity(&tx->gas, j);
        case NW_TXF_GAS_PRICE:
            return nw_jv_quantity(&tx->gas_price, j);
        case NW_TXF_MAX_FEE:
            return nw_jv_quantity(&tx->max_fee, j);
        case NW_TXF_MAX_PRIO:
            return nw_jv_quantity(&tx->max_priority_fee, j);
        case NW_TXF_MAX_FEE_BLOB:
            return nw_jv_quantity(&tx->max_fee_blob, j);
        case NW_TXF_VALUE:
            return shape == NW_TXS_RPC ? nw_jv_quantity(&tx->value, j) : nw_jv_ether(&tx->value, j);
        case NW_TXF_TO:
            return parse_to(tx, j);
        case NW_TXF_DATA:
            return parse_data(tx, j);
        case NW_TXF_FROM:
            tx->has_from = true;
            return json_addr(tx->from, j);
        default:
            return NW_ERR_INTERNAL;
    }
}

static nw_err parse_type(enum nw_tx_type *type, const struct nw_jv *const slot[NW_TXF_COUNT])
{
    uint64_t t;
    if (slot[NW_TXF_TYPE] == NULL) {
        *type = infer_type(slot);
        return NW_OK;
    }
    NW_TRY(nw_jv_u64(&t, slot[NW_TXF_TYPE]));
    NW_ENSURE(t <= NW_TX_SET_CODE, NW_ERR_TX_TYPE);
    *type = (enum nw_tx_type)t;
    return NW_OK;
}

/* A field-level error, with advice where the code alone does not say what to do. */
static nw_err scalar_err(struct nw_diag *diag, nw_err err, enum field f)
{
    if (err == NW_ERR_ETHER_IMPRECISE)
        return nw_diag_set(diag, err, "field 'value' (e.g. \"value\": \"1.000000000000000001\")");
    return field_err(diag, err, field_names[f]);
}

static nw_err parse_fields(struct pctx *p, const struct nw_jv *const slot[NW_TXF_COUNT])
{
    nw_err err;
    for (int i = NW_TXF_CHAIN_ID; i < NW_TXF_COUNT; i++) {
        if (slot[i] == NULL)
            continue;
        if (i == NW_TXF_ACCESS_LIST)
            err = parse_access_list(p, slot[i], &p->tx->access_list);
        else if (i == NW_TXF_BLOB_HASHES)
            err = parse_blob_hashes(p, slot[i]);
        else if (i == NW_TXF_AUTH_LIST)
            err = parse_auth_list(p, slot[i]);
        else if (i == NW_TXF_INPUT)
            err = scalar_err(p->diag, parse_input(p->tx, slot[i], slot[NW_TXF_DATA] != NULL),
                             NW_TXF_INPUT);
        else if ((err = parse_scalar(p->tx, (enum field)i, slot[i], p->shape)) != NW_OK)
            return scalar_err(p->diag, err, (enum field)i);
        if (err != NW_OK)
            return err;
    }
    return NW_OK;
}

static nw_err
parse_object(struct nw_tx *tx, struct nw_diag *diag, const struct nw_jv *obj, enum shape shape)
{
    const struct nw_jv *slot[NW_TXF_COUNT] = {0};
    struct pctx p = {tx, diag, shape, {0}};
    enum field f = NW_TXF_TYPE;
    char name[32];
    nw_err err;

    for (const struct nw_jv *m = obj->child; m != NULL; m = m->next) {
        if (find_field(m, shape, &f) != NW_OK)
            return field_err(diag, NW_ERR_TX_UNKNOWN_FIELD, nw_jv_safe_key(m, name));
        slot[f] = m;
    }
    if ((err = parse_type(&tx->type, slot)) != NW_OK)
        return field_err(diag, err, "type");
    for (int i = 0; i < NW_TXF_COUNT; i++) {
        unsigned bit = BIT(i);
        if (slot[i] != NULL && !(allowed[tx->type] & bit))
            return nw_diag_set(diag, NW_ERR_TX_FIELD_NOT_ALLOWED, "field '%s' (type %d)",
                               field_names[i], (int)tx->type);
        if (slot[i] == NULL && (required[tx->type] & bit))
            return field_err(diag, NW_ERR_TX_MISSING_FIELD, field_names[i]);
    }
    NW_TRY(parse_fields(&p, slot));
    /* What the network would refuse (and a contract creation without code) is refused here
     * too, with the same words as nw_tx_sign and nw_tx_validate give. */
    return nw_tx_check(tx, diag);
}

static nw_err from_text(struct nw_tx *tx, struct nw_diag *diag, struct nw_cur json, enum shape s)
{
    struct nw_jdoc doc;
    nw_jdoc_init(&doc);
    nw_tx_clear(tx);
    nw_err err = nw_jdoc_parse_object(&doc, diag, json);
    if (err == NW_OK)
        err = parse_object(tx, diag, doc.root, s);
    nw_jdoc_clear(&doc);
    if (err != NW_OK)
        nw_tx_clear(tx);
    return err;
}

nw_err nw_tx_from_json(struct nw_tx *tx, struct nw_diag *diag, struct nw_cur json)
{
    return from_text(tx, diag, json, NW_TXS_DICT);
}

nw_err nw_tx_from_json_member(struct nw_tx *tx,
                              struct nw_diag *diag,
                              struct nw_cur json,
                              const char *member)
{
    struct nw_jdoc doc;
    nw_jdoc_init(&doc);
    nw_tx_clear(tx);
    nw_err err = nw_jdoc_parse_object(&doc, diag, json);
    if (err == NW_OK) {
        const struct nw_jv *obj = nw_jv_get(doc.root, member);
        if (obj == NULL)
            err = field_err(diag, NW_ERR_TX_MISSING_FIELD, member);
        else if (obj->kind != NW_JV_OBJECT)
            err = nw_diag_set(diag, NW_ERR_TX_NOT_OBJECT, "'%s' is not an object", member);
        else
            err = parse_object(tx, diag, obj, NW_TXS_DICT);
    }
    nw_jdoc_clear(&doc);
    if (err != NW_OK)
        nw_tx_clear(tx);
    return err;
}

nw_err nw_tx_from_rpc_json(struct nw_tx *tx, struct nw_diag *diag, struct nw_cur json)
{
    return from_text(tx, diag, json, NW_TXS_RPC);
}

static nw_err auth_fields(struct nw_auth *auth, struct nw_diag *diag, const struct nw_jv *obj)
{
    static const char *const names[] = {"chainId", "address", "nonce"};
    char name[32];
    nw_err err;
    for (const struct nw_jv *m = obj->child; m != NULL; m = m->next) {
        bool known = false;
        for (size_t i = 0; i < NW_ARRAY_LEN(names); i++)
            known |= nw_jv_key_is(m, names[i]);
        if (!known)
            return field_err(diag, NW_ERR_TX_UNKNOWN_FIELD, nw_jv_safe_key(m, name));
    }
    for (size_t i = 0; i < NW_ARRAY_LEN(names); i++) {
        if (nw_jv_get(obj, names[i]) == NULL)
            return field_err(diag, NW_ERR_TX_MISSING_FIELD, names[i]);
    }
    if ((err = nw_jv_quantity(&auth->chain_id, nw_jv_get(obj, "chainId"))) != NW_OK)
        return field_err(diag, err, "chainId");
    if ((err = json_addr(auth->address, nw_jv_get(obj, "address"))) != NW_OK)
        return field_err(diag, err, "address");
    if ((err = nonce_u64(&auth->nonce, nw_jv_get(obj, "nonce"))) != NW_OK)
        return scalar_err(diag, err, NW_TXF_NONCE);
    return NW_OK;
}

nw_err nw_auth_from_json(struct nw_auth *auth, struct nw_diag *diag, struct nw_cur json)
{
    struct nw_jdoc doc;
    nw_jdoc_init(&doc);
    memset(auth, 0, sizeof(*auth));
    nw_err err = nw_jdoc_parse_object(&doc, diag, json);
    if (err == NW_OK)
        err = auth_fields(auth, diag, doc.root);
    nw_jdoc_clear(&doc);
    if (err != NW_OK)
        memset(auth, 0, sizeof(*auth));
    return err;
}

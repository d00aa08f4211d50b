/*
 * Parsing web3.py-style transaction dicts (DESIGN.md section 4) into struct nw_tx.
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
    NW_TXF_COUNT
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
};

#define BIT(f) (1u << (f))
#define COMMON                                                                                     \
 (BIT(NW_TXF_TYPE) | BIT(NW_TXF_CHAIN_ID) | BIT(NW_TXF_NONCE) | BIT(NW_TXF_GAS) | BIT(NW_TXF_TO) | \
  BIT(NW_TXF_VALUE) | BIT(NW_TXF_DATA) | BIT(NW_TXF_FROM))
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

static nw_err find_field(const char *key, enum field *f)
{
    /* The first character narrows the candidates to one or two names. */
    for (int i = 0; i < NW_TXF_COUNT; i++) {
        if (key[0] == field_names[i][0] && strcmp(key, field_names[i]) == 0) {
            *f = (enum field)i;
            return NW_OK;
        }
    }
    return NW_ERR_TX_UNKNOWN_FIELD;
}

/*
 * eth-account's set_transaction_type_if_needed, when "type" is absent: gasPrice with accessList
 * is type 1; either EIP-1559 fee makes it 2, or 3 with a blob field, or 4 with an
 * authorizationList; anything else is legacy (whose allowed set then rejects stray fields).
 */
static enum nw_tx_type infer_type(json_t *const slot[NW_TXF_COUNT])
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

static nw_err json_str(struct nw_cur *out, const json_t *j)
{
    NW_ENSURE(json_is_string(j), NW_ERR_TX_FIELD_TYPE);
    *out = nw_cur_of(json_string_value(j), json_string_length(j));
    return NW_OK;
}

static nw_err json_addr(uint8_t addr20[20], const json_t *j)
{
    struct nw_cur t;
    NW_TRY(json_str(&t, j));
    return nw_ethaddr_parse(addr20, t);
}

/* A "0x" + 64 hex string as a 32-byte RLP string. */
static nw_err put_bytes32(struct nw_buf *mem, const json_t *j)
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

static nw_err parse_data(struct nw_tx *tx, const json_t *j)
{
    struct nw_cur t;
    NW_TRY(json_str(&t, j));
    tx->data.off = tx->mem.len;
    if (t.len > 0)
        NW_TRY(map_buf_err(nw_hex_decode_buf(&tx->mem, t, true)));
    tx->data.len = tx->mem.len - tx->data.off;
    return NW_OK;
}

static nw_err parse_to(struct nw_tx *tx, const json_t *j)
{
    if (json_is_null(j) || (json_is_string(j) && json_string_length(j) == 0)) {
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
                         const json_t *obj,
                         const char *list,
                         size_t i,
                         const char *const *keys,
                         size_t nkeys)
{
    const char *k;
    json_t *v;
    if (!json_is_object(obj))
        return sub_err(p, NW_ERR_TX_FIELD_TYPE, list, i, NULL);
    json_object_foreach((json_t *)obj, k, v)
    {
        bool known = false;
        for (size_t n = 0; n < nkeys; n++)
            known |= strcmp(k, keys[n]) == 0;
        if (!known)
            return sub_err(p, NW_ERR_TX_UNKNOWN_FIELD, list, i, nw_json_safe_name(k));
    }
    return NW_OK;
}

static nw_err get_member(
    struct pctx *p, json_t **out, const json_t *obj, const char *list, size_t i, const char *key)
{
    *out = json_object_get(obj, key);
    if (*out == NULL)
        return sub_err(p, NW_ERR_TX_MISSING_FIELD, list, i, key);
    return NW_OK;
}

static nw_err parse_access_entry(struct pctx *p, const json_t *e, size_t i)
{
    static const char *const keys[] = {"address", "storageKeys"};
    static const char list[] = "accessList";
    struct nw_buf *mem = &p->tx->mem;
    json_t *a, *sk;
    uint8_t addr[20];
    size_t m1, m2;
    nw_err err;

    NW_TRY(check_keys(p, e, list, i, keys, 2));
    NW_TRY(get_member(p, &a, e, list, i, "address"));
    NW_TRY(get_member(p, &sk, e, list, i, "storageKeys"));
    if ((err = json_addr(addr, a)) != NW_OK)
        return sub_err(p, err, list, i, "address");
    if (!json_is_array(sk))
        return sub_err(p, NW_ERR_TX_FIELD_TYPE, list, i, "storageKeys");
    nw_rlp_list_begin(mem, &m1);
    NW_TRY(map_buf_err(nw_rlp_put_bytes(mem, nw_cur_of(addr, 20))));
    nw_rlp_list_begin(mem, &m2);
    for (size_t k = 0; k < json_array_size(sk); k++) {
        if ((err = put_bytes32(mem, json_array_get(sk, k))) != NW_OK) {
            (void)snprintf(p->path, sizeof(p->path), "%s[%zu].storageKeys[%zu]", list, i, k);
            return field_err(p->diag, err, p->path);
        }
    }
    NW_TRY(map_buf_err(nw_rlp_list_end(mem, m2)));
    return map_buf_err(nw_rlp_list_end(mem, m1));
}

static nw_err parse_access_list(struct pctx *p, const json_t *j, struct nw_tx_span *span)
{
    size_t mark;
    if (!json_is_array(j))
        return field_err(p->diag, NW_ERR_TX_FIELD_TYPE, "accessList");
    span->off = p->tx->mem.len;
    nw_rlp_list_begin(&p->tx->mem, &mark);
    for (size_t i = 0; i < json_array_size(j); i++)
        NW_TRY(parse_access_entry(p, json_array_get(j, i), i));
    NW_TRY(map_buf_err(nw_rlp_list_end(&p->tx->mem, mark)));
    span->len = p->tx->mem.len - span->off;
    return NW_OK;
}

static nw_err parse_blob_hashes(struct pctx *p, const json_t *j)
{
    size_t mark;
    nw_err err;
    if (!json_is_array(j))
        return field_err(p->diag, NW_ERR_TX_FIELD_TYPE, "blobVersionedHashes");
    p->tx->blob_hashes.off = p->tx->mem.len;
    nw_rlp_list_begin(&p->tx->mem, &mark);
    for (size_t i = 0; i < json_array_size(j); i++) {
        if ((err = put_bytes32(&p->tx->mem, json_array_get(j, i))) != NW_OK)
            return sub_err(p, err, "blobVersionedHashes", i, NULL);
    }
    NW_TRY(map_buf_err(nw_rlp_list_end(&p->tx->mem, mark)));
    p->tx->blob_hashes.len = p->tx->mem.len - p->tx->blob_hashes.off;
    return NW_OK;
}

/* yParity, or v as 0/1/27/28; when both are given they must agree. */
static nw_err parse_y_parity(uint64_t *y, const json_t *yp, const json_t *v, const char **bad)
{
    uint64_t a = 0, b = 0;
    *bad = yp != NULL ? "yParity" : "v";
    if (yp != NULL) {
        NW_TRY(nw_json_u64(&a, yp));
        NW_ENSURE(a <= 1, NW_ERR_TX_SIG_V);
    }
    if (v != NULL) {
        *bad = "v";
        NW_TRY(nw_json_u64(&b, v));
        NW_ENSURE(b <= 1 || b == 27 || b == 28, NW_ERR_TX_SIG_V);
        b = b >= 27 ? b - 27 : b;
        NW_ENSURE(yp == NULL || a == b, NW_ERR_TX_SIG_V);
        a = b;
    }
    *y = a;
    return NW_OK;
}

static nw_err parse_auth_entry(struct pctx *p, const json_t *e, size_t i)
{
    static const char *const keys[] = {"chainId", "address", "nonce", "yParity", "v", "r", "s"};
    static const char list[] = "authorizationList";
    struct nw_buf *mem = &p->tx->mem;
    json_t *cid, *addr, *nonce, *r, *s;
    json_t *yp = json_object_get(e, "yParity"), *v = json_object_get(e, "v");
    struct nw_u256 cid_v, r_v, s_v;
    uint64_t nonce_v, y;
    uint8_t addr_v[20];
    const char *bad;
    size_t mark;
    nw_err err;

    NW_TRY(check_keys(p, e, list, i, keys, NW_ARRAY_LEN(keys)));
    NW_TRY(get_member(p, &cid, e, list, i, "chainId"));
    NW_TRY(get_member(p, &addr, e, list, i, "address"));
    NW_TRY(get_member(p, &nonce, e, list, i, "nonce"));
    if (yp == NULL && v == NULL)
        return sub_err(p, NW_ERR_TX_MISSING_FIELD, list, i, "yParity");
    NW_TRY(get_member(p, &r, e, list, i, "r"));
    NW_TRY(get_member(p, &s, e, list, i, "s"));
    if ((err = nw_json_quantity(&cid_v, cid)) != NW_OK)
        return sub_err(p, err, list, i, "chainId");
    if ((err = json_addr(addr_v, addr)) != NW_OK)
        return sub_err(p, err, list, i, "address");
    if ((err = nw_json_u64(&nonce_v, nonce)) != NW_OK)
        return sub_err(p, err, list, i, "nonce");
    if ((err = parse_y_parity(&y, yp, v, &bad)) != NW_OK)
        return sub_err(p, err, list, i, bad);
    if ((err = nw_json_quantity(&r_v, r)) != NW_OK)
        return sub_err(p, err, list, i, "r");
    if ((err = nw_json_quantity(&s_v, s)) != NW_OK)
        return sub_err(p, err, list, i, "s");
    nw_rlp_list_begin(mem, &mark);
    NW_TRY(map_buf_err(nw_rlp_put_u256(mem, &cid_v)));
    NW_TRY(map_buf_err(nw_rlp_put_bytes(mem, nw_cur_of(addr_v, 20))));
    NW_TRY(map_buf_err(nw_rlp_put_u64(mem, nonce_v)));
    NW_TRY(map_buf_err(nw_rlp_put_u64(mem, y)));
    NW_TRY(map_buf_err(nw_rlp_put_u256(mem, &r_v)));
    NW_TRY(map_buf_err(nw_rlp_put_u256(mem, &s_v)));
    return map_buf_err(nw_rlp_list_end(mem, mark));
}

static nw_err parse_auth_list(struct pctx *p, const json_t *j)
{
    size_t mark;
    if (!json_is_array(j))
        return field_err(p->diag, NW_ERR_TX_FIELD_TYPE, "authorizationList");
    if (json_array_size(j) == 0)
        return field_err(p->diag, NW_ERR_TX_EMPTY_AUTH_LIST, "authorizationList");
    p->tx->auth_list.off = p->tx->mem.len;
    nw_rlp_list_begin(&p->tx->mem, &mark);
    for (size_t i = 0; i < json_array_size(j); i++)
        NW_TRY(parse_auth_entry(p, json_array_get(j, i), i));
    NW_TRY(map_buf_err(nw_rlp_list_end(&p->tx->mem, mark)));
    p->tx->auth_list.len = p->tx->mem.len - p->tx->auth_list.off;
    return NW_OK;
}

/* The scalar fields, each with its converter. */
static nw_err parse_scalar(struct nw_tx *tx, enum field f, const json_t *j)
{
    switch (f) {
        case NW_TXF_CHAIN_ID:
            tx->has_chain_id = true;
            return nw_json_quantity(&tx->chain_id, j);
        case NW_TXF_NONCE:
            return nw_json_quantity(&tx->nonce, j);
        case NW_TXF_GAS:
            return nw_json_quantity(&tx->gas, j);
        case NW_TXF_GAS_PRICE:
            return nw_json_quantity(&tx->gas_price, j);
        case NW_TXF_MAX_FEE:
            return nw_json_quantity(&tx->max_fee, j);
        case NW_TXF_MAX_PRIO:
            return nw_json_quantity(&tx->max_priority_fee, j);
        case NW_TXF_MAX_FEE_BLOB:
            return nw_json_quantity(&tx->max_fee_blob, j);
        case NW_TXF_VALUE:
            return nw_json_ether(&tx->value, j);
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

static nw_err parse_type(enum nw_tx_type *type, json_t *const slot[NW_TXF_COUNT])
{
    uint64_t t;
    if (slot[NW_TXF_TYPE] == NULL) {
        *type = infer_type(slot);
        return NW_OK;
    }
    NW_TRY(nw_json_u64(&t, slot[NW_TXF_TYPE]));
    NW_ENSURE(t <= NW_TX_SET_CODE, NW_ERR_TX_TYPE);
    *type = (enum nw_tx_type)t;
    return NW_OK;
}

static nw_err parse_object(struct nw_tx *tx, struct nw_diag *diag, json_t *obj)
{
    json_t *slot[NW_TXF_COUNT] = {0};
    struct pctx p = {tx, diag, {0}};
    const char *key;
    json_t *val;
    enum field f = NW_TXF_TYPE;
    nw_err err;

    json_object_foreach(obj, key, val)
    {
        if (find_field(key, &f) != NW_OK)
            return field_err(diag, NW_ERR_TX_UNKNOWN_FIELD, nw_json_safe_name(key));
        slot[f] = val;
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
    for (int i = NW_TXF_CHAIN_ID; i < NW_TXF_COUNT; i++) {
        if (slot[i] == NULL)
            continue;
        if (i == NW_TXF_ACCESS_LIST)
            err = parse_access_list(&p, slot[i], &tx->access_list);
        else if (i == NW_TXF_BLOB_HASHES)
            err = parse_blob_hashes(&p, slot[i]);
        else if (i == NW_TXF_AUTH_LIST)
            err = parse_auth_list(&p, slot[i]);
        else if ((err = parse_scalar(tx, (enum field)i, slot[i])) != NW_OK)
            return field_err(diag, err, field_names[i]);
        if (err != NW_OK)
            return err;
    }
    if (!tx->has_to && (required[tx->type] & BIT(NW_TXF_TO)))
        return nw_diag_set(diag, NW_ERR_TX_MISSING_FIELD,
                           "field 'to' (type %d cannot create a contract)", (int)tx->type);
    return NW_OK;
}

nw_err nw_tx_from_json(struct nw_tx *tx, struct nw_diag *diag, struct nw_cur json)
{
    json_t *obj = NULL;
    nw_tx_clear(tx);
    nw_err err = nw_json_parse_object(&obj, diag, json);
    if (err == NW_OK)
        err = parse_object(tx, diag, obj);
    json_decref(obj);
    if (err != NW_OK)
        nw_tx_clear(tx);
    return err;
}

nw_err nw_auth_from_json(struct nw_auth *auth, struct nw_diag *diag, struct nw_cur json)
{
    static const char *const names[] = {"chainId", "address", "nonce"};
    json_t *obj = NULL, *val;
    const char *key, *bad = NULL;
    nw_err err;

    memset(auth, 0, sizeof(*auth));
    NW_TRY(nw_json_parse_object(&obj, diag, json));
    json_object_foreach(obj, key, val)
    {
        bool known = false;
        for (size_t i = 0; i < NW_ARRAY_LEN(names); i++)
            known |= strcmp(key, names[i]) == 0;
        if (!known) {
            err = field_err(diag, NW_ERR_TX_UNKNOWN_FIELD, nw_json_safe_name(key));
            goto out;
        }
    }
    for (size_t i = 0; i < NW_ARRAY_LEN(names); i++) {
        if (json_object_get(obj, names[i]) == NULL) {
            err = field_err(diag, NW_ERR_TX_MISSING_FIELD, names[i]);
            goto out;
        }
    }
    bad = "chainId";
    NW_CHECK(nw_json_quantity(&auth->chain_id, json_object_get(obj, "chainId")));
    bad = "address";
    NW_CHECK(json_addr(auth->address, json_object_get(obj, "address")));
    bad = "nonce";
    NW_CHECK(nw_json_u64(&auth->nonce, json_object_get(obj, "nonce")));
out:
    json_decref(obj);
    if (err != NW_OK) {
        if (bad != NULL)
            (void)field_err(diag, err, bad);
        memset(auth, 0, sizeof(*auth));
    }
    return err;
}

/*
 * nw_keys: insert, look up (id, address), list, disable.
 *
 * Rows come back in libpq's binary format (text columns as their bytes, bigint as 8 bytes
 * big-endian), so ciphertexts need no bytea unescaping and times no parsing.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <nw/mem.h>

#include "store_int.h"

#define KEY_COLUMNS                                          \
 "SELECT id::text, address, ciphertext, kms_key_arn, label," \
 " floor(extract(epoch FROM created_at) * 1000)::int8,"      \
 " coalesce(floor(extract(epoch FROM disabled_at) * 1000)::int8, 0) FROM nw_keys "
#define KEY_CIPHERTEXT_MAX ((size_t)64 * 1024)

static bool is_hex(char ch)
{
    return isxdigit((unsigned char)ch) != 0;
}

/* Canonical UUID text 8-4-4-4-12, any case; out gets the lower-case form. */
static nw_err parse_uuid(char out[NW_KEY_ID_LEN + 1], const char *text)
{
    size_t n = strnlen(text, NW_KEY_ID_LEN + 1);
    if (n != NW_KEY_ID_LEN)
        return NW_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !is_hex(text[i]))
            return NW_ERR_INVALID_ARG;
        out[i] = (char)tolower((unsigned char)text[i]);
    }
    out[n] = '\0';
    return NW_OK;
}

/* "0x" + 40 hex digits in any case; out gets the lower-case form. */
static nw_err parse_address(char out[43], const char *text)
{
    if (strnlen(text, 43) != 42 || text[0] != '0' || text[1] != 'x')
        return NW_ERR_INVALID_ARG;
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 2; i < 42; i++) {
        if (!is_hex(text[i]))
            return NW_ERR_INVALID_ARG;
        out[i] = (char)tolower((unsigned char)text[i]);
    }
    out[42] = '\0';
    return NW_OK;
}

void nw_key_row_clear(struct nw_key_row *row)
{
    if (row == NULL)
        return;
    nw_free(row->ciphertext);
    memset(row, 0, sizeof(*row));
}

void nw_key_rows_free(struct nw_key_row *rows, size_t n)
{
    if (rows == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        nw_key_row_clear(&rows[i]);
    nw_free(rows);
}

static int64_t be64(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | (uint8_t)p[i];
    return (int64_t)v;
}

static nw_err copy_text(char *dst, size_t cap, const PGresult *res, int r, int col)
{
    size_t n = (size_t)PQgetlength(res, r, col);
    if (n >= cap)
        return NW_ERR_STORE_QUERY;
    memcpy(dst, PQgetvalue(res, r, col), n);
    dst[n] = '\0';
    return NW_OK;
}

/* One binary-format result row into *row. */
static nw_err read_row(struct nw_key_row *row, const PGresult *res, int r)
{
    memset(row, 0, sizeof(*row));
    if (PQnfields(res) != 7 || PQgetlength(res, r, 5) != 8 || PQgetlength(res, r, 6) != 8)
        return NW_ERR_STORE_QUERY;
    NW_TRY(copy_text(row->id, sizeof(row->id), res, r, 0));
    NW_TRY(copy_text(row->address, sizeof(row->address), res, r, 1));
    NW_TRY(copy_text(row->kms_key_arn, sizeof(row->kms_key_arn), res, r, 3));
    NW_TRY(copy_text(row->label, sizeof(row->label), res, r, 4));
    row->created_ms = be64(PQgetvalue(res, r, 5));
    row->disabled_ms = be64(PQgetvalue(res, r, 6));
    size_t n = (size_t)PQgetlength(res, r, 2);
    row->ciphertext = nw_malloc(n ? n : 1);
    if (row->ciphertext == NULL)
        return NW_ERR_NOMEM;
    memcpy(row->ciphertext, PQgetvalue(res, r, 2), n);
    row->ciphertext_len = n;
    return NW_OK;
}

struct insert_ctx {
    const struct nw_key_row *row;
    const char *id;
    const char *address;
};

static nw_err do_insert(struct store_conn *c, void *ctx, int64_t deadline_ms)
{
    struct insert_ctx *x = ctx;
    char created[24];
    (void)snprintf(created, sizeof(created), "%lld", (long long)x->row->created_ms); /* fits */
    const char *v[6] = {
        x->id,         x->address, (const char *)x->row->ciphertext, x->row->kms_key_arn,
        x->row->label, created};
    int len[6] = {0, 0, (int)x->row->ciphertext_len, 0, 0, 0};
    int fmt[6] = {0, 0, 1, 0, 0, 0};
    PGresult *res = NULL;
    nw_err err =
        nw_store_exec(c, &res,
                      "INSERT INTO nw_keys (id, address, ciphertext, kms_key_arn, label,"
                      " created_at) VALUES ($1::uuid, $2, $3, $4, $5, CASE WHEN $6::int8 > 0"
                      " THEN 'epoch'::timestamptz + $6::int8 * interval '1 millisecond'"
                      " ELSE now() END)",
                      6, v, len, fmt, 0, deadline_ms);
    if (err == NW_ERR_STORE_QUERY && strcmp(nw_store_sqlstate(res), "23505") == 0)
        err = NW_ERR_EXISTS;
    PQclear(res);
    return err;
}

nw_err nw_store_key_insert(struct nw_store *s, const struct nw_key_row *row, int64_t deadline_ms)
{
    char id[NW_KEY_ID_LEN + 1];
    char address[43];

    NW_TRY(parse_uuid(id, row->id));
    NW_TRY(parse_address(address, row->address));
    NW_ENSURE(row->ciphertext != NULL && row->ciphertext_len > 0, NW_ERR_INVALID_ARG);
    NW_ENSURE(row->ciphertext_len <= KEY_CIPHERTEXT_MAX, NW_ERR_INVALID_ARG);
    NW_ENSURE(strnlen(row->kms_key_arn, sizeof(row->kms_key_arn)) < sizeof(row->kms_key_arn),
              NW_ERR_INVALID_ARG);
    NW_ENSURE(strnlen(row->label, sizeof(row->label)) < sizeof(row->label), NW_ERR_INVALID_ARG);
    NW_ENSURE(row->created_ms >= 0, NW_ERR_INVALID_ARG);
    struct insert_ctx x = {row, id, address};
    return nw_store_with_conn(s, do_insert, &x, deadline_ms);
}

struct get_ctx {
    struct nw_key_row *row;
    const char *sql;
    const char *param;
};

static nw_err do_get(struct store_conn *c, void *ctx, int64_t deadline_ms)
{
    struct get_ctx *x = ctx;
    PGresult *res = NULL;
    const char *v[1] = {x->param};
    nw_err err = nw_store_exec(c, &res, x->sql, 1, v, NULL, NULL, 1, deadline_ms);
    if (err == NW_OK && PQntuples(res) == 0)
        err = NW_ERR_KEY_NOT_FOUND;
    else if (err == NW_OK)
        err = read_row(x->row, res, 0);
    PQclear(res);
    if (err != NW_OK)
        nw_key_row_clear(x->row);
    return err;
}

nw_err
nw_store_key_get(struct nw_store *s, struct nw_key_row *row, const char *id, int64_t deadline_ms)
{
    char canon[NW_KEY_ID_LEN + 1];
    memset(row, 0, sizeof(*row));
    NW_TRY(parse_uuid(canon, id));
    struct get_ctx x = {row, KEY_COLUMNS "WHERE id = $1::uuid", canon};
    return nw_store_with_conn(s, do_get, &x, deadline_ms);
}

nw_err nw_store_key_by_address(struct nw_store *s,
                               struct nw_key_row *row,
                               const char *address,
                               int64_t deadline_ms)
{
    char canon[43];
    memset(row, 0, sizeof(*row));
    NW_TRY(parse_address(canon, address));
    struct get_ctx x = {row, KEY_COLUMNS "WHERE address = $1", canon};
    return nw_store_with_conn(s, do_get, &x, deadline_ms);
}

struct list_ctx {
    struct nw_key_row **rows;
    size_t *n;
    bool include_disabled;
    size_t max;
};

static nw_err do_list(struct store_conn *c, void *ctx, int64_t deadline_ms)
{
    struct list_ctx *x = ctx;
    char limit[24];
    (void)snprintf(limit, sizeof(limit), "%zu", x->max); /* holds any size_t */
    const char *v[1] = {limit};
    PGresult *res = NULL;
    nw_err err = nw_store_exec(c, &res,
                               x->include_disabled
                                   ? KEY_COLUMNS "ORDER BY disabled_at IS NOT NULL, created_at, id"
                                                 " LIMIT $1::int8"
                                   : KEY_COLUMNS "WHERE disabled_at IS NULL ORDER BY created_at, id"
                                                 " LIMIT $1::int8",
                               1, v, NULL, NULL, 1, deadline_ms);
    size_t n = err == NW_OK ? (size_t)PQntuples(res) : 0;
    struct nw_key_row *rows = NULL;
    if (n > 0) {
        rows = nw_calloc(n, sizeof(*rows));
        if (rows == NULL)
            err = NW_ERR_NOMEM;
    }
    for (size_t i = 0; err == NW_OK && i < n; i++)
        err = read_row(&rows[i], res, (int)i);
    PQclear(res);
    if (err != NW_OK) {
        nw_key_rows_free(rows, n);
        return err;
    }
    *x->rows = rows;
    *x->n = n;
    return NW_OK;
}

nw_err nw_store_key_list(struct nw_store *s,
                         struct nw_key_row **rows,
                         size_t *n,
                         bool include_disabled,
                         size_t max,
                         int64_t deadline_ms)
{
    *rows = NULL;
    *n = 0;
    if (max == 0)
        return NW_OK;
    if (max > 1000000)
        max = 1000000;
    struct list_ctx x = {rows, n, include_disabled, max};
    return nw_store_with_conn(s, do_list, &x, deadline_ms);
}

static nw_err do_disable(struct store_conn *c, void *ctx, int64_t deadline_ms)
{
    const char *v[1] = {ctx};
    PGresult *res = NULL;
    nw_err err = nw_store_exec(c, &res,
                               "UPDATE nw_keys SET disabled_at = coalesce(disabled_at, now())"
                               " WHERE id = $1::uuid",
                               1, v, NULL, NULL, 0, deadline_ms);
    if (err == NW_OK && strcmp(PQcmdTuples(res), "0") == 0)
        err = NW_ERR_KEY_NOT_FOUND;
    PQclear(res);
    return err;
}

nw_err nw_store_key_disable(struct nw_store *s, const char *id, int64_t deadline_ms)
{
    char canon[NW_KEY_ID_LEN + 1];
    NW_TRY(parse_uuid(canon, id));
    return nw_store_with_conn(s, do_disable, canon, deadline_ms);
}

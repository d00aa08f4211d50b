/*
 * Transaction input and output of the tx commands (cli_tx.h): raw transactions from an
 * argument, hex or a sign-tx answer on stdin; decode-tx's JSON; signer checks.
 */
#include <jansson.h>
#include <string.h>

#include <nw/answer.h>
#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/mem.h>
#include <nw/quantity.h>

#include "cli_tx.h"

#define RAW_TEXT_MAX ((size_t)4 * 1024 * 1024)

bool nw_cli_tx_format_parse(enum nw_cli_tx_format *f, const char *text)
{
    if (strcmp(text, "dict") == 0)
        *f = NW_CLI_TX_DICT;
    else if (strcmp(text, "rpc") == 0)
        *f = NW_CLI_TX_RPC;
    else
        return false;
    return true;
}

/* The members decode-tx adds to a transaction object (and a node's receipt fields): what
 * --format rpc drops before reading the object, so decode-tx's output signs again. */
static const char *const DERIVED[] = {"hash",
                                      "signingHash",
                                      "v",
                                      "r",
                                      "s",
                                      "yParity",
                                      "valueWei",
                                      "valueEther",
                                      "valid",
                                      "reasons",
                                      "blockHash",
                                      "blockNumber",
                                      "transactionIndex"};

/* Read a JSON-RPC object; when it carries decode-tx's derived members, read it without them. */
static nw_err rpc_parse(struct nw_tx *tx, struct nw_diag *diag, struct nw_cur json)
{
    nw_err err = nw_tx_from_rpc_json(tx, diag, json);
    if (err != NW_ERR_TX_UNKNOWN_FIELD)
        return err;
    json_t *o = json_loadb((const char *)json.ptr, json.len, JSON_REJECT_DUPLICATES, NULL);
    bool any = false;
    for (size_t i = 0; o != NULL && i < NW_ARRAY_LEN(DERIVED); i++)
        any |= json_object_del(o, DERIVED[i]) == 0;
    char *text = any ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (text == NULL)
        return err; /* nothing of decode-tx's: the unknown member is the caller's */
    memset(diag, 0, sizeof(*diag));
    nw_tx_clear(tx);
    err = nw_tx_from_rpc_json(tx, diag, nw_cur_str(text));
    nw_cli_json_free(text);
    return err;
}

nw_err nw_cli_tx_parse(struct nw_tx *tx,
                       struct nw_diag *diag,
                       struct nw_cur json,
                       enum nw_cli_tx_format format)
{
    if (format == NW_CLI_TX_DICT)
        return nw_tx_from_json(tx, diag, json);
    return rpc_parse(tx, diag, json);
}

void nw_cli_decoded_init(struct nw_cli_decoded *d)
{
    memset(d, 0, sizeof(*d));
    nw_tx_init(&d->tx);
    nw_tx_signed_init(&d->st);
}

void nw_cli_decoded_clear(struct nw_cli_decoded *d)
{
    nw_tx_clear(&d->tx);
    nw_tx_signed_clear(&d->st);
}

/* The hex text of a raw transaction inside a sign-tx answer {"transaction_signed": ...}. */
static int answer_hex(struct nw_buf *hex, struct nw_cur text)
{
    json_error_t je;
    json_t *o = json_loadb((const char *)text.ptr, text.len, JSON_REJECT_DUPLICATES, &je);
    json_t *t = o ? json_object_get(o, "transaction_signed") : NULL;
    int rc = NW_CLI_EXIT_OK;
    if (o == NULL)
        rc = nw_cli_fail_errf(NW_ERR_JSON, "stdin: line %d column %d", je.line, je.column);
    else if (!json_is_string(t))
        rc = nw_cli_fail_err(NW_ERR_INVALID_ARG, "the JSON on stdin has no string "
                                                 "\"transaction_signed\" (a sign-tx answer)");
    else {
        hex->len = 0;
        if (nw_buf_append(hex, json_string_value(t), json_string_length(t)) != NW_OK)
            rc = nw_cli_fail_err(NW_ERR_TOO_LARGE, "transaction_signed");
    }
    json_decref(o);
    return rc;
}

int nw_cli_decode_input(const struct nw_secp *secp, struct nw_cli_decoded *d, const char *arg)
{
    struct nw_buf text, raw;
    struct nw_cur hex;
    nw_err err;
    int rc = NW_CLI_EXIT_ERR;
    nw_buf_init(&text, RAW_TEXT_MAX, false);
    nw_buf_init(&raw, RAW_TEXT_MAX / 2, false);
    if (arg != NULL && strcmp(arg, "-") != 0) {
        hex = nw_cli_trim(nw_cur_str(arg));
    } else {
        rc = nw_cli_read_input(&text, "-", RAW_TEXT_MAX, "a raw transaction (hex or sign-tx JSON)");
        if (rc != NW_CLI_EXIT_OK)
            goto out;
        hex = nw_cli_trim(nw_buf_cur(&text));
        if (hex.ptr[0] == '{') {
            if ((rc = answer_hex(&text, hex)) != NW_CLI_EXIT_OK)
                goto out;
            hex = nw_cli_trim(nw_buf_cur(&text));
        }
    }
    if ((err = nw_hex_decode_buf(&raw, hex, false)) != NW_OK) {
        rc = nw_cli_fail_err(err, "the raw transaction must be hex (0x optional)");
        goto out;
    }
    if ((err = nw_tx_decode(&d->tx, &d->st, nw_buf_cur(&raw))) != NW_OK ||
        (err = nw_tx_recover_sender(secp, d->sender, &d->st)) != NW_OK) {
        rc = nw_cli_fail_err(err, NULL);
        goto out;
    }
    rc = NW_CLI_EXIT_OK;
out:
    nw_buf_clear(&text);
    nw_buf_clear(&raw);
    return rc;
}

/* "valid" and, when false, "reasons": [{"code","message"}] (nw_tx_validate). */
static nw_err put_validity(json_t *o, const struct nw_cli_decoded *d)
{
    static struct nw_tx_validity v;
    nw_tx_validate(&v, &d->tx, &d->st);
    NW_ENSURE(json_object_set_new(o, "valid", json_boolean(v.valid)) == 0, NW_ERR_NOMEM);
    if (v.valid)
        return NW_OK;
    json_t *list = json_array();
    NW_ENSURE(list != NULL && json_object_set_new(o, "reasons", list) == 0, NW_ERR_NOMEM);
    for (size_t i = 0; i < v.count && i < NW_TX_MAX_REASONS; i++) {
        json_t *r =
            json_pack("{s:s,s:s}", "code", nw_err_code(v.reasons[i].code), "message",
                      v.reasons[i].msg[0] ? v.reasons[i].msg : nw_err_str(v.reasons[i].code));
        NW_ENSURE(r != NULL && json_array_append_new(list, r) == 0, NW_ERR_NOMEM);
    }
    return NW_OK;
}

nw_err nw_cli_decoded_json(struct nw_buf *out, const struct nw_cli_decoded *d)
{
    struct nw_buf base;
    json_t *o = NULL;
    char *text = NULL;
    char dec[79], ether[82];
    nw_err err;
    nw_buf_init(&base, out->max, false);
    NW_CHECK(nw_tx_to_json(&base, &d->tx, &d->st, d->sender));
    o = json_loadb((const char *)base.ptr, base.len, 0, NULL);
    NW_CHECK_COND(o != NULL, NW_ERR_INTERNAL);
    nw_u256_to_dec(dec, &d->tx.value);
    nw_wei_to_ether_text(ether, &d->tx.value);
    NW_CHECK_COND(json_object_set_new(o, "valueWei", json_string(dec)) == 0 &&
                      json_object_set_new(o, "valueEther", json_string(ether)) == 0,
                  NW_ERR_NOMEM);
    NW_CHECK(put_validity(o, d));
    text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    NW_CHECK_COND(text != NULL, NW_ERR_NOMEM);
    NW_CHECK(nw_buf_append_str(out, text));
out:
    nw_cli_json_free(text);
    json_decref(o);
    nw_buf_clear(&base);
    return err;
}

int nw_cli_report_signer(const uint8_t signer20[20],
                         const uint8_t hash32[32],
                         const uint8_t *want20)
{
    char signer[NW_ETHADDR_TEXT_LEN], want[NW_ETHADDR_TEXT_LEN], hash[67], line[256];
    nw_ethaddr_format(signer, signer20);
    if (nw_hex_encode(hash, sizeof(hash), hash32, 32, true) != NW_OK)
        return nw_cli_fail_err(NW_ERR_INTERNAL, NULL);
    if (want20 != NULL && memcmp(want20, signer20, 20) != 0) {
        nw_ethaddr_format(want, want20);
        return nw_cli_fail_errf(NW_ERR_SIGNATURE_MISMATCH, "signed by %s, not %s", signer, want);
    }
    int n = snprintf(line, sizeof(line), "{%s\"signer\":\"%s\",\"hash\":\"%s\"}",
                     want20 != NULL ? "\"valid\":true," : "", signer, hash);
    return nw_cli_print_line(nw_cur_of(line, (size_t)n));
}

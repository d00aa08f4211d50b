/*
 * One request in, one answer out: the op table, the configured check, the deadline check and the
 * one log line per request (request id, op, outcome code, duration; never a body).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <nw/log.h>
#include <nw/wire.h>

#include "enclave_int.h"

struct op_entry {
    const char *name;
    nw_enc_op_fn fn;
    bool needs_config;
};

static const struct op_entry ops[] = {
    {"health", nw_enc_op_health, false},
    {"configure", nw_enc_op_configure, false},
    {"sign_transaction", nw_enc_op_sign_transaction, true},
    {"sign_message", nw_enc_op_sign_message, true},
    {"sign_typed_data", nw_enc_op_sign_typed_data, true},
    {"sign_authorization", nw_enc_op_sign_authorization, true},
    {"generate_key", nw_enc_op_generate_key, true},
    {"import_key", nw_enc_op_import_key, true},
    {"list_keys", nw_enc_op_list_keys, true},
    {"get_key", nw_enc_op_get_key, true},
    {"disable_key", nw_enc_op_disable_key, true},
    {"attest", nw_enc_op_attest, true},
};

static const struct op_entry *find_op(const char *name)
{
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(ops[i].name, name) == 0)
            return &ops[i];
    return NULL;
}

static void log_request(const char *id, const char *op, nw_err outcome, int64_t started_ms)
{
    char dur[24];
    (void)snprintf(dur, sizeof(dur), "%" PRId64, nw_now_ms() - started_ms);
    nw_log(outcome == NW_OK ? NW_LOG_INFO : NW_LOG_WARN, "request", "request_id", id, "op", op,
           "outcome", outcome == NW_OK ? "ok" : nw_err_code(outcome), "duration_ms", dur, NULL);
}

static void count_outcome(struct nw_enclave *e, nw_err err)
{
    atomic_fetch_add(&e->stats.requests, 1);
    if (err == NW_OK)
        return;
    atomic_fetch_add(&e->stats.errors, 1);
    if (err == NW_ERR_OVERLOADED)
        atomic_fetch_add(&e->stats.overloaded, 1);
    if (err == NW_ERR_DEADLINE_EXCEEDED)
        atomic_fetch_add(&e->stats.deadline_exceeded, 1);
}

void nw_enc_answer_bad(struct nw_enclave *e,
                       struct nw_buf *out,
                       const json_t *id,
                       nw_err code,
                       const char *msg)
{
    char idtext[NW_ENC_ID_MAX + 3] = "";
    if (id != NULL && json_is_string(id))
        (void)snprintf(idtext, sizeof(idtext), "%s", json_string_value(id));
    else if (id != NULL && json_is_integer(id))
        (void)snprintf(idtext, sizeof(idtext), "%" PRId64, (int64_t)json_integer_value(id));
    if (code == NW_ERR_BAD_REQUEST)
        atomic_fetch_add(&e->stats.bad_frames, 1);
    count_outcome(e, code);
    log_request(idtext, "", code, nw_now_ms());
    if (nw_enc_answer_err(out, id, code, msg) != NW_OK)
        out->len = 0;
}

void nw_enc_dispatch(struct nw_enclave *e, struct nw_enc_req *r, struct nw_buf *out)
{
    struct nw_diag diag = {0};
    struct nw_enc_op_ctx c = {.e = e, .req = r, .diag = &diag};
    json_t *result = NULL;
    int64_t started = nw_now_ms();
    nw_err err;

    const struct op_entry *op = find_op(r->op);
    if (op == NULL) {
        err = nw_diag_set(&diag, NW_ERR_UNKNOWN_OP, "unknown op '%s'", r->op);
    } else if (started >= r->deadline_ms) {
        err = nw_diag_set(&diag, NW_ERR_DEADLINE_EXCEEDED, "request waited past its deadline");
    } else {
        c.cfg = nw_enc_cfg_get(e);
        if (op->needs_config && c.cfg == NULL)
            err = nw_diag_set(&diag, NW_ERR_NOT_CONFIGURED, "send configure first");
        else
            err = op->fn(&c, &result);
        nw_enc_cfg_put(c.cfg);
    }
    count_outcome(e, err);
    log_request(r->id_text, r->op, err, started);
    nw_err werr = err == NW_OK ? nw_enc_answer_ok(out, r->id, result)
                               : nw_enc_answer_err(out, r->id, err, diag.msg);
    if (werr != NW_OK) {
        out->len = 0;
        if (nw_enc_answer_err(out, r->id, werr == NW_ERR_TOO_LARGE ? NW_ERR_TOO_LARGE : NW_ERR_INTERNAL,
                              "answer could not be encoded") != NW_OK)
            out->len = 0;
    }
}

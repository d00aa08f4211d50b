/*
 * The audit trail of signing requests (DESIGN.md section 6, issue 10): every signing request gets
 * an nw_audit row, refused ones too, written through nw_store_audit before a signature leaves.
 * In `required` mode a row that cannot commit withholds the signature (db_unavailable); in
 * `best_effort` the store queues rows in order; `off` writes nothing. Rows carry the key, op,
 * chain id, nonce, recipient, value, transaction hash, outcome and request id: never a key,
 * credential or payload body.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <nw/log.h>

#include "enclave_int.h"

static int64_t unix_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void nw_enc_audit_init(struct nw_enc_op_ctx *c, struct nw_audit_row *row)
{
    memset(row, 0, sizeof(*row));
    row->at_ms = unix_ms();
    (void)snprintf(row->request_id, sizeof(row->request_id), "%s", c->req->id_text);
    (void)snprintf(row->op, sizeof(row->op), "%s", c->req->op);
}

nw_err nw_enc_audit_finish(struct nw_enc_op_ctx *c, struct nw_audit_row *row, nw_err outcome)
{
    struct nw_enc_cfg *cfg = c->cfg;
    if (cfg == NULL || cfg->store == NULL || cfg->audit_mode == NW_AUDIT_OFF)
        return NW_OK;
    (void)snprintf(row->outcome, sizeof(row->outcome), "%s",
                   outcome == NW_OK ? "ok" : nw_err_code(outcome));
    nw_err err = nw_store_audit(cfg->store, row, c->req->deadline_ms);
    if (err == NW_OK) {
        atomic_fetch_add(&c->e->stats.audit_rows, 1);
        return NW_OK;
    }
    atomic_fetch_add(&c->e->stats.audit_failures, 1);
    nw_log(NW_LOG_WARN, "audit_failed", "request_id", row->request_id, "op", row->op, "error",
           nw_err_code(err), NULL);
    if (outcome != NW_OK)
        return NW_OK; /* the refusal stands; its row is lost and counted */
    if (err == NW_ERR_DEADLINE_EXCEEDED || err == NW_ERR_TIMEOUT)
        return nw_diag_set(c->diag, NW_ERR_DEADLINE_EXCEEDED,
                           "the audit row did not commit before the deadline");
    return nw_diag_set(c->diag, err == NW_ERR_NOMEM ? err : NW_ERR_DB_UNAVAILABLE,
                       "the audit row could not be recorded: signature withheld");
}

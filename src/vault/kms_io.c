/*
 * The vault's two ways to KMS (DESIGN.md section 5), behind one call:
 *
 *   relay   the unsigned body (nw_kms_build_request) goes to nw-host in a section 3 frame on
 *           one persistent connection, serialised by a lock, each request with its own id;
 *           a broken connection is re-made once per call (a restarted host, an idle close);
 *   direct  a short-lived client per call (the credentials are forwarded per request, so a
 *           long-lived client would sign with stale ones), SigV4 here, TLS to the KMS name
 *           through the raw byte proxy at kms_addr (connect_to keeps the real TLS name).
 *
 * Either way the answer's AWS error becomes NW_ERR_KMS_DENIED (a refusal: policy, attestation,
 * ciphertext or context) or NW_ERR_KMS_UNAVAILABLE (anything a retry may cure), with the AWS
 * error name in diag. Nothing here ever holds a plaintext: requests carry a Recipient.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nw/mem.h>
#include <nw/wire.h>

#include "vault_int.h"

#define RELAY_CONNECT_MS 3000

nw_err nw_vault_map_kms_error(nw_err aws_code)
{
    switch (aws_code) {
        case NW_ERR_AWS_ACCESS_DENIED:      /* key policy, PCR conditions */
        case NW_ERR_AWS_VALIDATION:         /* an attestation document KMS does not accept */
        case NW_ERR_AWS_INVALID_CIPHERTEXT: /* also a wrong encryption context (the row swap) */
        case NW_ERR_AWS_INCORRECT_KEY:
        case NW_ERR_AWS_NOT_FOUND:
        case NW_ERR_AWS_DISABLED:
        case NW_ERR_AWS_INVALID_STATE:
        case NW_ERR_AWS_KEY_USAGE:
        case NW_ERR_KMS_DENIED:
            return NW_ERR_KMS_DENIED;
        default:
            return NW_ERR_KMS_UNAVAILABLE;
    }
}

/* Copy untrusted text for a diag message: printable ASCII only, truncated. */
static void printable(char *out, size_t cap, const char *in)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < cap; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch >= 0x20 && ch < 0x7f)
            out[i] = in[i];
        else
            out[i] = '?';
    }
    out[i] = '\0';
}

/* A KMS error answer, mapped, named in diag. */
static nw_err kms_refused(struct nw_diag *diag, enum nw_kms_op op, const char *name, int status)
{
    nw_err code = nw_aws_error_code(name, status);
    nw_err mapped = nw_vault_map_kms_error(code);
    char safe[96];
    printable(safe, sizeof(safe), name);
    return nw_diag_set(diag, mapped, "KMS %s: %s (HTTP %d, %s)", nw_kms_op_name(op),
                       safe[0] ? safe : "no error name", status, nw_err_name(code));
}

/* ---- relay ------------------------------------------------------------------------------ */

static nw_err lock_until(pthread_mutex_t *m, int64_t deadline_ms)
{
    int64_t left = deadline_ms - nw_now_ms();
    if (left <= 0)
        return NW_ERR_TIMEOUT;
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(left / 1000);
    ts.tv_nsec += (long)(left % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    int rc = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &ts);
    return rc == 0 ? NW_OK : (rc == ETIMEDOUT ? NW_ERR_TIMEOUT : NW_ERR_INTERNAL);
}

void nw_vault_relay_close(struct nw_vault *v)
{
    if (v->relay_fd >= 0)
        (void)close(v->relay_fd);
    v->relay_fd = -1;
}

static nw_err relay_frame(struct nw_buf *frame, uint64_t id, enum nw_kms_op op, struct nw_cur body)
{
    NW_TRY(nw_buf_appendf(frame,
                          "{\"v\":1,\"id\":%" PRIu64 ",\"op\":\"kms\",\"target\":"
                          "\"TrentService.%s\",\"body\":",
                          id, nw_kms_op_name(op)));
    NW_TRY(nw_buf_append(frame, body.ptr, body.len));
    return nw_buf_append_byte(frame, '}');
}

/*
 * Send one frame and read its answer on the persistent connection (relay_lock held). A
 * connection that was already open may have been closed by the host meanwhile: then it is
 * re-made once. A timeout leaves the stream out of step, so the connection is dropped.
 */
static nw_err relay_exchange(struct nw_vault *v,
                             struct nw_buf *answer,
                             struct nw_cur frame,
                             int64_t deadline_ms,
                             struct nw_diag *diag)
{
    nw_err err = NW_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        bool fresh = v->relay_fd < 0;
        if (fresh) {
            int64_t left = deadline_ms - nw_now_ms();
            int ms = left < RELAY_CONNECT_MS ? (int)(left > 0 ? left : 1) : RELAY_CONNECT_MS;
            err = nw_wire_connect(&v->kms, ms, &v->relay_fd);
            if (err != NW_OK) {
                v->relay_fd = -1;
                return nw_diag_set(diag, err == NW_ERR_TIMEOUT ? NW_ERR_TIMEOUT : NW_ERR_IO,
                                   "KMS relay %s unreachable (%s)", v->kms_addr, nw_err_name(err));
            }
        }
        answer->len = 0;
        err = nw_wire_write(v->relay_fd, frame, deadline_ms);
        if (err == NW_OK)
            err = nw_wire_read(v->relay_fd, answer, NW_KMS_RELAY_MAX_ANSWER, deadline_ms);
        if (err == NW_OK)
            return NW_OK;
        nw_vault_relay_close(v);
        if (err == NW_ERR_TIMEOUT)
            return nw_diag_set(diag, NW_ERR_TIMEOUT, "KMS relay %s: no answer in time",
                               v->kms_addr);
        if (fresh ||
            !(err == NW_ERR_IO || err == NW_ERR_WIRE_CLOSED || err == NW_ERR_WIRE_TRUNCATED))
            break;
    }
    return nw_diag_set(diag, NW_ERR_IO, "KMS relay %s: connection failed (%s)", v->kms_addr,
                       nw_err_name(err));
}

/* The enclave's reading of a relay answer (nw_kms_relay_handle's shapes, <nw/kms.h>). */
static nw_err relay_result(struct nw_kms_result *res,
                           enum nw_kms_op op,
                           uint64_t id,
                           struct nw_cur answer,
                           struct nw_diag *diag)
{
    nw_err err = NW_OK;
    struct nw_buf text;
    nw_buf_init(&text, NW_KMS_RELAY_MAX_ANSWER, false);
    json_t *root = json_loadb((const char *)answer.ptr, answer.len, JSON_REJECT_DUPLICATES, NULL);
    json_t *jid = json_object_get(root, "id"), *ok = json_object_get(root, "ok");
    if (!json_is_integer(jid) || (uint64_t)json_integer_value(jid) != id || !json_is_boolean(ok)) {
        err = nw_diag_set(diag, NW_ERR_KMS_UNAVAILABLE, "KMS relay: %s",
                          nw_err_str(NW_ERR_KMS_RELAY_ANSWER));
        goto out;
    }
    if (!json_is_true(ok)) {
        const char *code =
            json_string_value(json_object_get(json_object_get(root, "error"), "code"));
        bool denied = code != NULL && strcmp(code, "kms_denied") == 0;
        char safe[64];
        printable(safe, sizeof(safe), code != NULL ? code : "?");
        err = nw_diag_set(diag, denied ? NW_ERR_KMS_DENIED : NW_ERR_KMS_UNAVAILABLE,
                          "KMS relay refused the request: %s", safe);
        goto out;
    }
    json_t *result = json_object_get(root, "result");
    json_t *status = json_object_get(result, "status"), *body = json_object_get(result, "body");
    json_t *type = json_object_get(result, "error_type");
    if (!json_is_integer(status) || !json_is_object(body) ||
        !(type == NULL || json_is_null(type) || json_is_string(type))) {
        err = nw_diag_set(diag, NW_ERR_KMS_UNAVAILABLE, "KMS relay: %s",
                          nw_err_str(NW_ERR_KMS_RELAY_ANSWER));
        goto out;
    }
    int st = json_integer_value(status) > 999 || json_integer_value(status) < 0
                 ? 0
                 : (int)json_integer_value(status);
    if (st != 200) {
        err = kms_refused(diag, op, json_is_string(type) ? json_string_value(type) : "", st);
        goto out;
    }
    /* jansson's own strings come from its allocator (the wiping one in the daemons): dump into
     * our buffer instead of json_dumps + free. */
    size_t n = json_dumpb(body, NULL, 0, JSON_COMPACT);
    NW_CHECK_COND(n > 0, NW_ERR_NOMEM);
    NW_CHECK(nw_buf_reserve(&text, n));
    NW_CHECK_COND(json_dumpb(body, (char *)text.ptr, n, JSON_COMPACT) == n, NW_ERR_INTERNAL);
    text.len = n;
    err = nw_kms_parse_response(res, op, nw_buf_cur(&text));
    if (err != NW_OK)
        err = nw_diag_set(diag, NW_ERR_KMS_UNAVAILABLE, "KMS relay: %s answer unreadable (%s)",
                          nw_kms_op_name(op), nw_err_name(err));
out:
    nw_buf_clear(&text);
    json_decref(root);
    return err;
}

static nw_err relay_call(struct nw_vault *v,
                         struct nw_kms_result *res,
                         enum nw_kms_op op,
                         const struct nw_kms_request *req,
                         int64_t deadline_ms,
                         struct nw_diag *diag)
{
    nw_err err = NW_OK;
    struct nw_buf body, frame, answer;
    nw_buf_init(&body, NW_KMS_RELAY_MAX_REQUEST, false);
    nw_buf_init(&frame, NW_KMS_RELAY_MAX_REQUEST, false);
    nw_buf_init(&answer, NW_KMS_RELAY_MAX_ANSWER, false);
    uint64_t id = 0;
    err = nw_kms_build_request(&body, op, req);
    if (err != NW_OK) {
        nw_diag_set(diag, err, "KMS %s: request not built (%s)", nw_kms_op_name(op),
                    nw_err_name(err));
        goto out;
    }
    err = lock_until(&v->relay_lock, deadline_ms);
    if (err != NW_OK) {
        nw_diag_set(diag, err, "KMS relay busy until the deadline");
        goto out;
    }
    id = ++v->relay_next_id;
    err = relay_frame(&frame, id, op, nw_buf_cur(&body));
    if (err == NW_OK)
        err = relay_exchange(v, &answer, nw_buf_cur(&frame), deadline_ms, diag);
    (void)pthread_mutex_unlock(&v->relay_lock);
    NW_CHECK(err);
    err = relay_result(res, op, id, nw_buf_cur(&answer), diag);
out:
    nw_buf_clear(&body);
    nw_buf_clear(&frame);
    nw_buf_clear(&answer);
    return err;
}

/* ---- direct ----------------------------------------------------------------------------- */

static nw_err direct_call(struct nw_vault *v,
                          struct nw_kms_result *res,
                          enum nw_kms_op op,
                          const struct nw_kms_request *req,
                          const struct nw_aws_creds *creds,
                          int64_t deadline_ms,
                          struct nw_diag *diag)
{
    nw_err err = NW_OK;
    struct nw_aws_creds_provider *p = NULL;
    struct nw_aws_client *c = NULL;
    struct nw_aws_error e;
    struct nw_diag d = {0};
    nw_aws_error_reset(&e);
    if (creds == NULL || creds->access_key_id[0] == '\0')
        return nw_diag_set(diag, NW_ERR_KMS_UNAVAILABLE,
                           "KMS direct mode: no forwarded credentials with the request");
    int64_t left = deadline_ms - nw_now_ms();
    if (left <= 0)
        return nw_diag_set(diag, NW_ERR_TIMEOUT, "KMS %s: no time left", nw_kms_op_name(op));
    int ms = left > INT32_MAX ? INT32_MAX : (int)left;
    err = nw_aws_creds_provider_static(&p, creds);
    if (err != NW_OK) {
        nw_diag_set(diag, NW_ERR_KMS_UNAVAILABLE, "KMS direct mode: forwarded credentials: %s",
                    nw_err_name(err));
        err = NW_ERR_KMS_UNAVAILABLE;
        goto out;
    }
    struct nw_aws_config cfg = {
        .region = v->region,
        .endpoint_url = v->endpoint,
        .connect_to = v->kms_addr,
        .ca_file = v->ca_bundle[0] ? v->ca_bundle : NULL,
        .creds = p,
        .connect_timeout_ms = ms < RELAY_CONNECT_MS ? ms : RELAY_CONNECT_MS,
        .timeout_ms = ms,
        .max_attempts = 1, /* the deadline is the caller's; it retries */
    };
    err = nw_aws_client_new(&c, NW_AWS_KMS, &cfg, &d);
    if (err != NW_OK) {
        nw_diag_set(diag, NW_ERR_KMS_UNAVAILABLE, "KMS direct mode: %s", d.msg);
        err = NW_ERR_KMS_UNAVAILABLE;
        goto out;
    }
    err = nw_kms_call(c, res, op, req, &e);
    if (err == NW_ERR_TIMEOUT || (err != NW_OK && e.http_status == 0 && nw_now_ms() >= deadline_ms))
        err = nw_diag_set(diag, NW_ERR_TIMEOUT, "KMS %s: no answer in time", nw_kms_op_name(op));
    else if (err != NW_OK && e.http_status != 0)
        err = kms_refused(diag, op, e.name, e.http_status);
    else if (err != NW_OK)
        err = nw_diag_set(diag, NW_ERR_KMS_UNAVAILABLE, "KMS %s: %s", nw_kms_op_name(op),
                          nw_err_name(err));
out:
    nw_aws_client_free(c);
    nw_aws_creds_provider_free(p);
    return err;
}

nw_err nw_vault_kms_call(struct nw_vault *v,
                         struct nw_kms_result *res,
                         enum nw_kms_op op,
                         const struct nw_kms_request *req,
                         const struct nw_aws_creds *creds,
                         int64_t deadline_ms,
                         struct nw_diag *diag)
{
    /* The vault's own bound (kms_timeout_ms) tells an outage from the caller's deadline. */
    int64_t own = nw_now_ms() + v->kms_timeout_ms;
    int64_t until = own < deadline_ms ? own : deadline_ms;
    nw_err err = v->mode == NW_KMS_MODE_RELAY ? relay_call(v, res, op, req, until, diag)
                                              : direct_call(v, res, op, req, creds, until, diag);
    atomic_fetch_add(&v->kms_calls, 1);
    if (err == NW_OK)
        return NW_OK;
    atomic_fetch_add(&v->kms_errors, 1);
    nw_kms_result_clear(res);
    if (err == NW_ERR_TIMEOUT || err == NW_ERR_IO)
        err = nw_now_ms() >= deadline_ms ? NW_ERR_DEADLINE_EXCEEDED : NW_ERR_KMS_UNAVAILABLE;
    else if (err != NW_ERR_KMS_DENIED && err != NW_ERR_KMS_UNAVAILABLE && err != NW_ERR_NOMEM &&
             err != NW_ERR_INVALID_ARG)
        err = NW_ERR_KMS_UNAVAILABLE;
    if (diag != NULL)
        diag->code = err;
    return err;
}

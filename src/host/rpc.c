/*
 * POST /rpc: the Ethereum JSON-RPC 2.0 signer of nw-host (DESIGN.md section 7), single calls and
 * batches. Signing methods become enclave ops (section 3); with --rpc-upstream every other method
 * is proxied to that node, as Web3Signer does.
 *
 *   eth_accounts            list_keys              -> [address, ...] of the enabled keys
 *   eth_sign                [address, data]        -> sign_message {message_hex}  (EIP-191)
 *   personal_sign           [data, address, ...]   -> sign_message {message_hex | message}
 *   eth_signTypedData_v4    [address, typedData]   -> sign_typed_data           (EIP-712)
 *   eth_signTransaction     [tx]                   -> sign_transaction -> raw signed tx
 *   eth_sendTransaction     [tx]  (upstream only)  fill nonce/gas/fees/chainId, sign,
 *                                                  eth_sendRawTransaction -> tx hash
 *
 * The transaction object is the JSON-RPC one (value in wei, input or data; nw_tx_from_rpc_json
 * checks it); it reaches the enclave as the web3 dict the enclave reads (value in ether, exactly).
 * Errors: -32700 parse, -32600 invalid request, -32601 method, -32602 params (and every error of
 * class "invalid"), -32000 otherwise; error.data = {"code": our stable code, "class"}.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <nw/addr.h>
#include <nw/http.h>
#include <nw/mem.h>
#include <nw/quantity.h>
#include <nw/tx.h>
#include <nw/u256.h>

#include "host.h"

#define RPC_MAX_BATCH   100
#define RPC_MAX_TX_TEXT ((size_t)256 * 1024)

struct rpc {
    struct nw_host_ctx *ctx;
    const char *rid;
    struct nw_diag diag;
};

typedef nw_err (*rpc_fn)(struct rpc *r, const json_t *params, json_t **result);

static nw_err m_accounts(struct rpc *r, const json_t *params, json_t **result);
static nw_err m_eth_sign(struct rpc *r, const json_t *params, json_t **result);
static nw_err m_personal_sign(struct rpc *r, const json_t *params, json_t **result);
static nw_err m_typed_data(struct rpc *r, const json_t *params, json_t **result);
static nw_err m_sign_tx(struct rpc *r, const json_t *params, json_t **result);
static nw_err m_send_tx(struct rpc *r, const json_t *params, json_t **result);

static const struct {
    const char *name;
    rpc_fn fn;
} methods[] = {
    {"eth_accounts", m_accounts},
    {"eth_requestAccounts", m_accounts},
    {"eth_sign", m_eth_sign},
    {"personal_sign", m_personal_sign},
    {"eth_signTypedData_v4", m_typed_data},
    {"eth_signTransaction", m_sign_tx},
    {"eth_sendTransaction", m_send_tx},
};

static nw_err bad_params(struct rpc *r, const char *msg)
{
    return nw_diag_set(&r->diag, NW_ERR_RPC_INVALID_PARAMS, "%s", msg);
}

/* params as an array of n_min..n_max entries. */
static nw_err want_array(struct rpc *r, const json_t *params, size_t n_min, size_t n_max)
{
    if (!json_is_array(params) || json_array_size(params) < n_min ||
        json_array_size(params) > n_max)
        return nw_diag_set(&r->diag, NW_ERR_RPC_INVALID_PARAMS,
                           "params: an array of %zu..%zu entries", n_min, n_max);
    return NW_OK;
}

static bool is_address(const json_t *v)
{
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return false;
    for (size_t i = 2; i < 42; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool is_hex_bytes(const char *s)
{
    if (s == NULL || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return false;
    size_t n = strlen(s + 2);
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[2 + i]))
            return false;
    return n % 2 == 0;
}

/* v as compact JSON text in b (NUL-terminated): jansson's own buffers come from the wiping
 * allocator hooked by nw_mem_hook_libraries, so nothing here is freed with free(). */
static nw_err dump(struct nw_buf *b, const json_t *v)
{
    size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT);
    if (n == 0)
        return NW_ERR_NOMEM;
    NW_TRY(nw_buf_reserve(b, n + 1));
    if (json_dumpb(v, (char *)b->ptr, n, JSON_COMPACT) != n)
        return NW_ERR_NOMEM;
    b->len = n;
    return nw_buf_cstr(b);
}

/* One enclave op; req is consumed. */
static nw_err enclave(struct rpc *r, json_t **out, const char *op, json_t *req)
{
    if (req == NULL)
        return NW_ERR_NOMEM;
    nw_err err = nw_host_pool_call(r->ctx->pool, out, op, req, r->rid, &r->diag);
    json_decref(req);
    return err;
}

/* A string member of an enclave answer as the method's result. */
static nw_err pick(struct rpc *r, json_t **result, json_t *answer, const char *member)
{
    json_t *v = json_object_get(answer, member);
    nw_err err = NW_OK;
    if (!json_is_string(v))
        err =
            nw_diag_set(&r->diag, NW_ERR_ENCLAVE_PROTOCOL, "the enclave's answer lacks %s", member);
    else
        *result = json_incref(v);
    json_decref(answer);
    return err;
}

static nw_err m_accounts(struct rpc *r, const json_t *params, json_t **result)
{
    json_t *ans = NULL;
    if (params != NULL && !(json_is_array(params) && json_array_size(params) == 0))
        return bad_params(r, "params: none expected");
    NW_TRY(enclave(r, &ans, "list_keys", json_object()));
    json_t *keys = json_object_get(ans, "keys"), *k, *out = json_array();
    size_t i;
    nw_err err = out != NULL ? NW_OK : NW_ERR_NOMEM;
    json_array_foreach(keys, i, k)
    {
        json_t *a = json_object_get(k, "address");
        json_t *st = json_object_get(k, "status");
        if (err != NW_OK || !json_is_string(a) ||
            (json_is_string(st) && strcmp(json_string_value(st), "enabled") != 0))
            continue;
        if (json_array_append(out, a) != 0)
            err = NW_ERR_NOMEM;
    }
    json_decref(ans);
    if (err != NW_OK) {
        json_decref(out);
        return err;
    }
    *result = out;
    return NW_OK;
}

static nw_err sign_message(struct rpc *r, json_t **result, const json_t *addr, const json_t *data)
{
    json_t *ans = NULL;
    const char *s = json_string_value(data);
    if (!is_address(addr))
        return bad_params(r, "address: 0x followed by 40 hex digits");
    if (s == NULL)
        return bad_params(r, "data: a string");
    json_t *req =
        json_pack("{s:O, s:s}", "address", addr, is_hex_bytes(s) ? "message_hex" : "message", s);
    NW_TRY(enclave(r, &ans, "sign_message", req));
    return pick(r, result, ans, "signature");
}

static nw_err m_eth_sign(struct rpc *r, const json_t *params, json_t **result)
{
    NW_TRY(want_array(r, params, 2, 2));
    if (!is_hex_bytes(json_string_value(json_array_get(params, 1))))
        return bad_params(r, "eth_sign data: 0x-hex bytes");
    return sign_message(r, result, json_array_get(params, 0), json_array_get(params, 1));
}

/* personal_sign [data, address, password?]: data is 0x-hex bytes, or else UTF-8 text. */
static nw_err m_personal_sign(struct rpc *r, const json_t *params, json_t **result)
{
    NW_TRY(want_array(r, params, 2, 3));
    return sign_message(r, result, json_array_get(params, 1), json_array_get(params, 0));
}

static nw_err m_typed_data(struct rpc *r, const json_t *params, json_t **result)
{
    json_t *ans = NULL;
    NW_TRY(want_array(r, params, 2, 2));
    const json_t *addr = json_array_get(params, 0), *td = json_array_get(params, 1);
    if (!is_address(addr))
        return bad_params(r, "address: 0x followed by 40 hex digits");
    if (!json_is_object(td) && !json_is_string(td))
        return bad_params(r, "typedData: an object or its JSON text");
    NW_TRY(enclave(r, &ans, "sign_typed_data",
                   json_pack("{s:O, s:O}", "address", addr, "typed_data", td)));
    return pick(r, result, ans, "signature");
}

/*
 * The JSON-RPC tx object -> the enclave's web3 dict (value in ether), checked by core's parser
 * first so that a bad object is -32602 before the enclave is asked.
 */
static nw_err tx_payload(struct rpc *r, json_t **payload, const json_t *obj)
{
    struct nw_tx tx;
    struct nw_buf text;
    char ether[82];
    json_error_t je;
    *payload = NULL;
    if (!json_is_object(obj))
        return bad_params(r, "params[0]: a transaction object");
    if (!is_address(json_object_get(obj, "from")))
        return bad_params(r, "from: the signing key's address (0x + 40 hex digits)");
    nw_tx_init(&tx);
    nw_buf_init(&text, RPC_MAX_TX_TEXT, false);
    nw_err err = dump(&text, obj);
    if (err == NW_OK)
        err = nw_tx_from_rpc_json(&tx, &r->diag, nw_buf_cur(&text));
    nw_buf_clear(&text);
    nw_buf_init(&text, RPC_MAX_TX_TEXT, false);
    if (err == NW_OK)
        err = nw_tx_to_rpc_json(&text, &tx, NULL);
    if (err == NW_OK) {
        *payload = json_loadb((const char *)text.ptr, text.len, 0, &je);
        nw_wei_to_ether_text(ether, &tx.value);
        json_t *input = json_object_get(*payload, "input");
        if (*payload == NULL || input == NULL || json_object_set(*payload, "data", input) != 0 ||
            json_object_del(*payload, "input") != 0 ||
            json_object_set_new(*payload, "value", json_string(ether)) != 0)
            err = NW_ERR_NOMEM;
    }
    nw_tx_clear(&tx);
    nw_buf_clear(&text);
    if (err != NW_OK) {
        json_decref(*payload);
        *payload = NULL;
    }
    return err;
}

/* Sign the tx object; *raw gets the signed transaction (0x-hex string). */
static nw_err sign_tx(struct rpc *r, json_t **raw, const json_t *obj)
{
    json_t *payload = NULL, *ans = NULL;
    NW_TRY(tx_payload(r, &payload, obj));
    json_t *req = json_pack("{s:O, s:o}", "address", json_object_get(obj, "from"),
                            "transaction_payload", payload);
    NW_TRY(enclave(r, &ans, "sign_transaction", req));
    return pick(r, raw, ans, "transaction_signed");
}

static nw_err m_sign_tx(struct rpc *r, const json_t *params, json_t **result)
{
    NW_TRY(want_array(r, params, 1, 1));
    return sign_tx(r, result, json_array_get(params, 0));
}

/* ---- the upstream node ----------------------------------------------------------------- */

/* POST one JSON-RPC request object to the upstream node; *answer is the whole response. */
static nw_err upstream_post(struct rpc *r, json_t **answer, const json_t *call)
{
    const struct nw_host_config *cfg = r->ctx->cfg;
    struct nw_http *h = NULL;
    struct nw_http_response resp;
    struct nw_http_header hdr[] = {{"Content-Type", "application/json"}};
    json_error_t je;
    struct nw_buf body;
    *answer = NULL;
    nw_buf_init(&body, RPC_MAX_TX_TEXT * 4, false);
    if (dump(&body, call) != NW_OK) {
        nw_buf_clear(&body);
        return NW_ERR_NOMEM;
    }
    nw_http_response_init(&resp);
    struct nw_http_opts o = {.timeout_ms =
                                 cfg->enclave_timeout_ms > 0 ? cfg->enclave_timeout_ms : 10000};
    struct nw_http_request rq = {.method = "POST",
                                 .url = cfg->rpc_upstream,
                                 .headers = hdr,
                                 .n_headers = NW_ARRAY_LEN(hdr),
                                 .body = nw_buf_cur(&body)};
    struct nw_diag d;
    nw_err err = nw_http_new(&h, &o);
    if (err == NW_OK)
        err = nw_http_perform(h, &resp, &rq, &d);
    if (err != NW_OK)
        err = nw_diag_set(&r->diag, NW_ERR_RPC_UPSTREAM, "upstream node: %s", nw_err_str(err));
    else if (resp.status != 200)
        err = nw_diag_set(&r->diag, NW_ERR_RPC_UPSTREAM, "upstream node: HTTP %ld", resp.status);
    if (err == NW_OK) {
        *answer = json_loadb((const char *)resp.body.ptr, resp.body.len, 0, &je);
        if (!json_is_object(*answer) && !json_is_array(*answer))
            err = nw_diag_set(&r->diag, NW_ERR_RPC_UPSTREAM, "upstream node: not JSON-RPC");
    }
    if (err != NW_OK) {
        json_decref(*answer);
        *answer = NULL;
    }
    nw_http_response_clear(&resp);
    nw_http_free(h);
    nw_buf_clear(&body);
    return err;
}

/* Call method on the upstream node; *result is its result (an error answer is an error). */
static nw_err upstream_call(struct rpc *r, json_t **result, const char *method, json_t *params)
{
    json_t *ans = NULL;
    json_t *call = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", method,
                             "params", params);
    if (call == NULL)
        return NW_ERR_NOMEM;
    nw_err err = upstream_post(r, &ans, call);
    json_decref(call);
    if (err != NW_OK)
        return err;
    json_t *res = json_object_get(ans, "result");
    if (res == NULL) {
        const char *m =
            json_string_value(json_object_get(json_object_get(ans, "error"), "message"));
        err = nw_diag_set(&r->diag, NW_ERR_RPC_UPSTREAM, "upstream %s: %.200s", method,
                          m != NULL ? m : "no result");
    } else {
        *result = json_incref(res);
    }
    json_decref(ans);
    return err;
}

/* tx[name] = the upstream's answer to method(params) unless tx has it already. */
static nw_err fill(struct rpc *r, json_t *tx, const char *name, const char *method, json_t *params)
{
    json_t *v = NULL;
    if (json_object_get(tx, name) != NULL) {
        json_decref(params);
        return NW_OK;
    }
    NW_TRY(upstream_call(r, &v, method, params));
    return json_object_set_new(tx, name, v) == 0 ? NW_OK : NW_ERR_NOMEM;
}

/* Fees for a transaction without any: EIP-1559, maxFee = 2 * gasPrice + tip (as ethers). */
static nw_err fill_fees(struct rpc *r, json_t *tx)
{
    json_t *gp = NULL, *tip = NULL;
    struct nw_u256 a, b, fee;
    if (json_object_get(tx, "gasPrice") != NULL || json_object_get(tx, "maxFeePerGas") != NULL)
        return NW_OK;
    NW_TRY(upstream_call(r, &gp, "eth_gasPrice", json_array()));
    nw_err err = upstream_call(r, &tip, "eth_maxPriorityFeePerGas", json_array());
    if (err == NW_OK && (nw_u256_parse_hex(&a, nw_cur_str(json_string_value(gp))) != NW_OK ||
                         nw_u256_parse_hex(&b, nw_cur_str(json_string_value(tip))) != NW_OK))
        err = nw_diag_set(&r->diag, NW_ERR_RPC_UPSTREAM, "upstream fee answers are not quantities");
    if (err == NW_OK &&
        (nw_u256_mul_u64(&fee, &a, 2) != NW_OK || nw_u256_add(&fee, &fee, &b) != NW_OK))
        err = nw_diag_set(&r->diag, NW_ERR_RPC_UPSTREAM, "upstream fee answers overflow");
    if (err == NW_OK) {
        char q[67];
        nw_u256_to_quantity(q, &fee);
        if (json_object_get(tx, "maxPriorityFeePerGas") == NULL &&
            json_object_set(tx, "maxPriorityFeePerGas", tip) != 0)
            err = NW_ERR_NOMEM;
        if (err == NW_OK && json_object_set_new(tx, "maxFeePerGas", json_string(q)) != 0)
            err = NW_ERR_NOMEM;
    }
    json_decref(gp);
    json_decref(tip);
    return err;
}

static nw_err m_send_tx(struct rpc *r, const json_t *params, json_t **result)
{
    json_t *raw = NULL;
    if (r->ctx->cfg->rpc_upstream == NULL)
        return nw_diag_set(&r->diag, NW_ERR_RPC_METHOD_NOT_FOUND,
                           "eth_sendTransaction needs nw-host --rpc-upstream");
    NW_TRY(want_array(r, params, 1, 1));
    const json_t *obj = json_array_get(params, 0);
    if (!json_is_object(obj) || !is_address(json_object_get(obj, "from")))
        return bad_params(r, "params[0]: a transaction object with from");
    json_t *tx = json_deep_copy(obj);
    if (tx == NULL)
        return NW_ERR_NOMEM;
    json_t *from = json_object_get(tx, "from");
    nw_err err = fill(r, tx, "chainId", "eth_chainId", json_array());
    if (err == NW_OK)
        err = fill(r, tx, "nonce", "eth_getTransactionCount", json_pack("[O, s]", from, "pending"));
    if (err == NW_OK)
        err = fill_fees(r, tx);
    if (err == NW_OK)
        err = fill(r, tx, "gas", "eth_estimateGas", json_pack("[O]", tx));
    if (err == NW_OK)
        err = sign_tx(r, &raw, tx);
    json_decref(tx);
    if (err == NW_OK)
        err = upstream_call(r, result, "eth_sendRawTransaction", json_pack("[o]", raw));
    return err;
}

/* ---- dispatch ------------------------------------------------------------------------- */

static int rpc_code(nw_err err)
{
    switch (err) {
        case NW_ERR_RPC_PARSE:
            return -32700;
        case NW_ERR_RPC_INVALID_REQUEST:
        case NW_ERR_RPC_BATCH_TOO_LARGE:
            return -32600;
        case NW_ERR_RPC_METHOD_NOT_FOUND:
            return -32601;
        default:
            return nw_err_class(err) == NW_ERR_CLASS_INVALID ? -32602 : -32000;
    }
}

static json_t *error_answer(const json_t *id, nw_err err, const char *msg)
{
    return json_pack("{s:s, s:O, s:{s:i, s:s, s:{s:s, s:s}}}", "jsonrpc", "2.0", "id",
                     id != NULL ? id : json_null(), "error", "code", rpc_code(err), "message",
                     msg != NULL && msg[0] != '\0' ? msg : nw_err_str(err), "data", "code",
                     nw_err_code(err), "class", nw_err_class_name(nw_err_class(err)));
}

static bool valid_id(const json_t *id)
{
    return id == NULL || json_is_string(id) || json_is_integer(id) || json_is_null(id);
}

/* One call object: the answer to add, or NULL for a notification. */
static json_t *one_call(struct nw_host_ctx *ctx, const char *rid, const json_t *call)
{
    struct rpc r = {.ctx = ctx, .rid = rid};
    json_t *result = NULL;
    const json_t *id = json_object_get(call, "id");
    const char *method = json_string_value(json_object_get(call, "method"));
    const json_t *params = json_object_get(call, "params");
    const char *ver = json_string_value(json_object_get(call, "jsonrpc"));
    nw_err err = NW_OK;
    if (!json_is_object(call) || ver == NULL || strcmp(ver, "2.0") != 0 || method == NULL ||
        !valid_id(id) || (params != NULL && !json_is_array(params) && !json_is_object(params)))
        return error_answer(valid_id(id) ? id : NULL, NW_ERR_RPC_INVALID_REQUEST,
                            "not a JSON-RPC 2.0 request object");
    size_t i = 0;
    while (i < NW_ARRAY_LEN(methods) && strcmp(methods[i].name, method) != 0)
        i++;
    if (i < NW_ARRAY_LEN(methods)) {
        err = methods[i].fn(&r, params, &result);
    } else if (ctx->cfg->rpc_upstream != NULL) {
        err = upstream_post(&r, &result, call);
        if (err == NW_OK && id != NULL && json_object_set(result, "id", (json_t *)id) != 0)
            err = NW_ERR_NOMEM;
        if (err == NW_OK)
            return id != NULL ? result : (json_decref(result), NULL);
    } else {
        err = nw_diag_set(&r.diag, NW_ERR_RPC_METHOD_NOT_FOUND, "method not found: %.64s", method);
    }
    nw_log(err == NW_OK ? NW_LOG_DEBUG : NW_LOG_WARN, "rpc", "id", rid, "method",
           i < NW_ARRAY_LEN(methods) ? methods[i].name : "proxied", "code",
           err == NW_OK ? "ok" : nw_err_code(err), NULL);
    if (id == NULL) {
        json_decref(result);
        return NULL;
    }
    if (err != NW_OK) {
        json_decref(result);
        return error_answer(id, err, r.diag.msg);
    }
    return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result", result);
}

nw_err nw_host_rpc(struct nw_host_ctx *ctx, json_t **answer, struct nw_cur body, const char *rid)
{
    json_error_t je;
    *answer = NULL;
    json_t *in =
        json_loadb((const char *)body.ptr, body.len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (in == NULL) {
        char msg[160];
        (void)snprintf(msg, sizeof(msg), "parse error: not JSON (line %d column %d)", je.line,
                       je.column);
        *answer = error_answer(NULL, NW_ERR_RPC_PARSE, msg);
        return *answer != NULL ? NW_OK : NW_ERR_NOMEM;
    }
    if (!json_is_array(in)) {
        *answer = one_call(ctx, rid, in);
        json_decref(in);
        return NW_OK;
    }
    if (json_array_size(in) == 0 || json_array_size(in) > RPC_MAX_BATCH) {
        json_decref(in);
        *answer = error_answer(NULL, NW_ERR_RPC_BATCH_TOO_LARGE,
                               "invalid request: a batch of 1..100 calls");
        return *answer != NULL ? NW_OK : NW_ERR_NOMEM;
    }
    json_t *out = json_array(), *call;
    size_t i;
    nw_err err = out != NULL ? NW_OK : NW_ERR_NOMEM;
    json_array_foreach(in, i, call)
    {
        json_t *a = err == NW_OK ? one_call(ctx, rid, call) : NULL;
        if (a != NULL && json_array_append_new(out, a) != 0)
            err = NW_ERR_NOMEM;
    }
    json_decref(in);
    if (err != NW_OK || json_array_size(out) == 0) {
        json_decref(out); /* all notifications: no answer */
        return err;
    }
    *answer = out;
    return NW_OK;
}

nw_err nw_host_rpc_listen_check(const char *text, struct nw_diag *diag)
{
    struct nw_addr a;
    if (nw_addr_parse(&a, text) != NW_OK)
        return nw_diag_set(diag, NW_ERR_RPC_LISTEN_NOT_LOCAL, "--rpc-listen: not an address");
    if (a.kind == NW_ADDR_UNIX)
        return NW_OK;
    if (a.kind == NW_ADDR_TCP && (strcmp(a.host, "::1") == 0 || strcmp(a.host, "localhost") == 0 ||
                                  strncmp(a.host, "127.", 4) == 0))
        return NW_OK;
    return nw_diag_set(diag, NW_ERR_RPC_LISTEN_NOT_LOCAL,
                       "--rpc-listen serves plain HTTP: only tcp:127.x.x.x, tcp:[::1] or unix:");
}

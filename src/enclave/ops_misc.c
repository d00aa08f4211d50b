/*
 * health and attest.
 *
 * attest: an NSM attestation document over the caller's nonce whose user_data commits to the
 * enclave's enabled stored keys. The exact bytes (docs/enclave.md):
 *     user_data = SHA-256( "nw-attest-v1\n" || A1 "\n" || A2 "\n" || ... )
 * where A1 < A2 < ... are the enabled addresses of nw_keys as lower-case "0x" + 40 hex text,
 * sorted bytewise ascending (no addresses: the hash of the prefix alone). A verifier recomputes
 * it from the `addresses` list in the answer and compares with the document's user_data.
 */
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>

#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/wire.h>

#include "enclave_int.h"

#define ATTEST_PREFIX   "nw-attest-v1\n"
#define NONCE_MAX_BYTES 512
#define DOC_MAX         ((size_t)64 * 1024)

static json_t *vault_stats_json(struct nw_vault *v)
{
    struct nw_vault_stats st;
    nw_vault_stats(v, &st);
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "cache_hits", (json_int_t)st.cache_hits,
                     "cache_misses", (json_int_t)st.cache_misses, "kms_calls",
                     (json_int_t)st.kms_calls, "kms_errors", (json_int_t)st.kms_errors,
                     "recipient_rotations", (json_int_t)st.recipient_rotations, "cached_keys",
                     (json_int_t)st.cached_keys);
}

static json_t *store_stats_json(struct nw_store *s)
{
    struct nw_store_stats st;
    nw_store_stats(s, &st);
    return json_pack("{s:b,s:I,s:I,s:I,s:I,s:I}", "connected", st.connected, "reconnects",
                     (json_int_t)st.reconnects, "audit_committed", (json_int_t)st.audit_committed,
                     "audit_commits", (json_int_t)st.audit_commits, "audit_dropped",
                     (json_int_t)st.audit_dropped, "audit_queued", (json_int_t)st.audit_queued);
}

#define LOAD(x) ((json_int_t)atomic_load(&e->stats.x))

nw_err nw_enc_op_health(struct nw_enc_op_ctx *c, json_t **result)
{
    struct nw_enclave *e = c->e;
    NW_TRY(nw_enc_check_fields(c->req->root, c->diag, NULL));
    json_t *r = json_pack(
        "{s:s,s:s,s:s,s:b,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:i}}", "status", "ok",
        "version", NW_ENC_VERSION, "instance", e->instance, "configured", c->cfg != NULL,
        "uptime_ms", (json_int_t)(nw_now_ms() - e->started_ms), "server", "requests",
        LOAD(requests), "errors", LOAD(errors), "overloaded", LOAD(overloaded), "deadline_exceeded",
        LOAD(deadline_exceeded), "bad_frames", LOAD(bad_frames), "connections", LOAD(connections),
        "configures", LOAD(configures), "audit_failures", LOAD(audit_failures), "queue_depth",
        atomic_load(&e->queue_depth), "workers", e->opts.workers, "queue", e->opts.queue);
    if (r == NULL)
        return NW_ERR_NOMEM;
    json_object_set_new(json_object_get(r, "server"), "audit_rows", json_integer(LOAD(audit_rows)));
    if (c->cfg != NULL) {
        json_t *v = vault_stats_json(c->cfg->vault);
        json_t *s = c->cfg->store != NULL ? store_stats_json(c->cfg->store) : json_null();
        if (!nw_enc_json_set(r, "vault", v) || !nw_enc_json_set(r, "store", s)) {
            json_decref(r);
            return NW_ERR_NOMEM;
        }
    }
    *result = r;
    return NW_OK;
}

static int cmp_addr(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* Sorted enabled addresses (lower-case text, NW_ETHADDR_TEXT_LEN each) and the user_data hash. */
static nw_err committed_addresses(struct nw_enc_op_ctx *c,
                                  char (**addrs)[NW_ETHADDR_TEXT_LEN],
                                  size_t *n,
                                  uint8_t user_data[32])
{
    struct nw_key_row *rows = NULL;
    *addrs = NULL;
    *n = 0;
    if (c->cfg->store != NULL) {
        NW_TRY(nw_store_key_list(c->cfg->store, &rows, n, false, NW_ENC_LIST_MAX,
                                 c->req->deadline_ms));
        *addrs = calloc(*n + 1, NW_ETHADDR_TEXT_LEN);
        if (*addrs == NULL) {
            nw_key_rows_free(rows, *n);
            return NW_ERR_NOMEM;
        }
        for (size_t i = 0; i < *n; i++) {
            memcpy((*addrs)[i], rows[i].address, NW_ETHADDR_TEXT_LEN);
            for (char *p = (*addrs)[i]; *p != '\0'; p++)
                if (*p >= 'A' && *p <= 'F')
                    *p = (char)(*p - 'A' + 'a');
        }
        nw_key_rows_free(rows, *n);
        qsort(*addrs, *n, NW_ETHADDR_TEXT_LEN, cmp_addr);
    }
    struct sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, sizeof(ATTEST_PREFIX) - 1, (const uint8_t *)ATTEST_PREFIX);
    for (size_t i = 0; i < *n; i++) {
        sha256_update(&h, strlen((*addrs)[i]), (const uint8_t *)(*addrs)[i]);
        sha256_update(&h, 1, (const uint8_t *)"\n");
    }
    sha256_digest(&h, 32, user_data);
    return NW_OK;
}

static nw_err attest_result(json_t **result,
                            const struct nw_buf *doc,
                            const uint8_t ud[32],
                            char (*addrs)[NW_ETHADDR_TEXT_LEN],
                            size_t n)
{
    struct nw_buf b64;
    nw_buf_init(&b64, 2 * DOC_MAX, false);
    nw_err err = nw_enc_b64_encode(&b64, nw_buf_cur(doc));
    if (err == NW_OK)
        err = nw_buf_cstr(&b64);
    json_t *arr = json_array();
    for (size_t i = 0; i < n && arr != NULL && err == NW_OK; i++) {
        uint8_t a[20];
        if (nw_ethaddr_parse(a, nw_cur_str(addrs[i])) != NW_OK ||
            json_array_append_new(arr, json_string(addrs[i])) != 0)
            err = NW_ERR_INTERNAL;
    }
    if (err == NW_OK && arr != NULL) {
        *result = json_pack("{s:s,s:o,s:o}", "document", (const char *)b64.ptr, "user_data",
                            nw_enc_json_hex(ud, 32), "addresses", arr);
        arr = NULL;
        if (*result == NULL)
            err = NW_ERR_NOMEM;
    } else if (err == NW_OK) {
        err = NW_ERR_NOMEM;
    }
    json_decref(arr);
    nw_buf_clear(&b64);
    return err;
}

nw_err nw_enc_op_attest(struct nw_enc_op_ctx *c, json_t **result)
{
    static const char *const fields[] = {"nonce", NULL};
    const char *nonce_hex = NULL;
    char(*addrs)[NW_ETHADDR_TEXT_LEN] = NULL;
    size_t n = 0;
    uint8_t ud[32];
    struct nw_buf nonce, doc;
    nw_err err;

    nw_buf_init(&nonce, NONCE_MAX_BYTES, false);
    nw_buf_init(&doc, DOC_MAX, false);
    NW_CHECK(nw_enc_check_fields(c->req->root, c->diag, fields));
    NW_CHECK(
        nw_enc_get_str(c->req->root, c->diag, "nonce", 2 + 2 * NONCE_MAX_BYTES, &nonce_hex, true));
    if (nw_hex_decode_buf(&nonce, nw_cur_str(nonce_hex), true) != NW_OK || nonce.len == 0) {
        err = nw_diag_set(c->diag, NW_ERR_BAD_REQUEST,
                          "field 'nonce' must be 0x-hex of 1 to %d bytes", NONCE_MAX_BYTES);
        goto out;
    }
    NW_CHECK(committed_addresses(c, &addrs, &n, ud));
    NW_CHECK(nw_vault_attest(c->cfg->vault, &doc, nw_buf_cur(&nonce), nw_cur_of(ud, 32), c->diag));
    NW_CHECK(attest_result(result, &doc, ud, addrs, n));
out:
    free(addrs);
    nw_buf_clear(&nonce);
    nw_buf_clear(&doc);
    return err;
}

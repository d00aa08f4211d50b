/*
 * libnwvault without the emulator: an in-process NSM simulator on a unix socket and a fake
 * relay that runs the host's own gate (nw_kms_relay_check) on every frame the vault sends, then
 * answers from a script: a real CiphertextForRecipient made for the key in the request's
 * attestation document (nw_cms_envelope), or a scripted answer. Covers the mapping of every
 * answer to NW_ERR_KMS_DENIED / NW_ERR_KMS_UNAVAILABLE, plaintext forms (raw 32 bytes, the
 * seed's hex text, not a key), a fresh document per call, concurrent callers, the cache's
 * internals (identity, LRU, TTL, forget, wiping), configuration errors, and the NSM simulator
 * serving several connections at once (an idle half-sent client holds up nobody else).
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nw/attest.h>
#include <nw/base64.h>
#include <nw/cms.h>
#include <nw/hex.h>
#include <nw/kms.h>
#include <nw/log.h>
#include <nw/mem.h>
#include <nw/nsm.h>
#include <nw/nsm_sim.h>
#include <nw/sign.h>
#include <nw/vault.h>
#include <nw/wire.h>

#include "aws/aws_int.h"
#include "nwtest.h"
#include "vault/vault_int.h"

#define SEED_HEX "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"

static char dir[64], nsm_path[128], nsm_addr[140], relay_path[128], relay_addr[140];
static struct nw_nsm_sim *sim;
static volatile int stop_nsm, stop_relay;
static pthread_t nsm_th, relay_th;

/* ---- fake relay ------------------------------------------------------------------------- */

enum fake_mode { F_ENVELOPE, F_RAW, F_OTHER_KEY };

static struct {
    pthread_mutex_t mu;
    enum fake_mode mode;
    uint8_t pt[128];
    size_t pt_len;
    const char *raw; /* answer template; "ID" is replaced by the request id */
    int requests;
    int refused; /* frames the host's gate refused */
    enum nw_kms_op last_op;
    uint8_t last_doc_hash[32];
    int distinct_docs;
    int64_t ids[64];
} F = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void script_envelope(const void *pt, size_t n)
{
    pthread_mutex_lock(&F.mu);
    F.mode = F_ENVELOPE;
    memcpy(F.pt, pt, n);
    F.pt_len = n;
    pthread_mutex_unlock(&F.mu);
}

static void script_raw(const char *raw)
{
    pthread_mutex_lock(&F.mu);
    F.mode = F_RAW;
    F.raw = raw;
    pthread_mutex_unlock(&F.mu);
}

/* The Recipient's SPKI from the attestation document in a checked body. */
static void doc_spki(struct nw_attest_doc *doc, json_t *body)
{
    const char *b64 = json_string_value(
        json_object_get(json_object_get(body, "Recipient"), "AttestationDocument"));
    assert_non_null(b64);
    struct nw_buf raw;
    nw_buf_init(&raw, 1 << 16, false);
    assert_int_equal(nw_base64_decode(&raw, nw_cur_str(b64), false), NW_OK);
    assert_int_equal(nw_attest_parse(doc, nw_buf_cur(&raw)), NW_OK);
    struct nw_vault_ident h;
    nw_vault_ident(&h, nw_buf_cur(&raw), NULL); /* any digest of the document will do */
    if (memcmp(h.ct_hash, F.last_doc_hash, 32) != 0)
        F.distinct_docs++;
    memcpy(F.last_doc_hash, h.ct_hash, 32);
    nw_buf_clear(&raw);
}

static void answer_envelope(struct nw_buf *ans, const char *id, json_t *body, bool other_key)
{
    struct nw_attest_doc *doc = calloc(1, sizeof(*doc));
    struct nw_buf cms, b64;
    nw_buf_init(&cms, 1 << 16, false);
    nw_buf_init(&b64, 1 << 17, false);
    doc_spki(doc, body);
    struct nw_recipient *other = NULL;
    struct nw_buf spki;
    nw_buf_init(&spki, 4096, false);
    if (other_key) {
        assert_int_equal(nw_recipient_new(&other, 0), NW_OK);
        assert_int_equal(nw_recipient_spki(other, &spki), NW_OK);
    } else {
        assert_int_equal(nw_buf_append(&spki, doc->public_key, doc->public_key_len), NW_OK);
    }
    assert_int_equal(nw_cms_envelope(&cms, nw_buf_cur(&spki), nw_cur_of(F.pt, F.pt_len)), NW_OK);
    assert_int_equal(nw_base64_encode(&b64, nw_buf_cur(&cms)), NW_OK);
    assert_int_equal(nw_buf_appendf(ans,
                                    "{\"id\":%s,\"ok\":true,\"result\":{\"status\":200,\"error_"
                                    "type\":null,\"body\":{\"KeyId\":\"arn:aws:kms:k\","
                                    "\"CiphertextBlob\":\"AQIDBAUG\",\"CiphertextForRecipient\":"
                                    "\"%.*s\"}}}",
                                    id, (int)b64.len, (const char *)b64.ptr),
                     NW_OK);
    nw_recipient_free(other);
    nw_buf_clear(&spki);
    nw_buf_clear(&cms);
    nw_buf_clear(&b64);
    free(doc);
}

static void answer(struct nw_buf *ans, struct nw_cur req)
{
    enum nw_kms_op op = 0;
    struct nw_buf body;
    struct nw_kms_relay_info info;
    nw_buf_init(&body, NW_KMS_RELAY_MAX_REQUEST, false);
    pthread_mutex_lock(&F.mu);
    F.requests++;
    nw_err err = nw_kms_relay_check(&op, &body, &info, req);
    if (err != NW_OK) {
        F.refused++;
        assert_int_equal(nw_buf_appendf(ans,
                                        "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"%s\","
                                        "\"message\":\"refused\"}}",
                                        nw_err_code(err)),
                         NW_OK);
        goto out;
    }
    F.last_op = op;
    if (F.requests <= 64)
        F.ids[F.requests - 1] = strtoll(info.id, NULL, 10);
    json_t *b = json_loadb((const char *)body.ptr, body.len, 0, NULL);
    if (F.mode == F_RAW) {
        const char *at = strstr(F.raw, "ID");
        assert_non_null(at);
        assert_int_equal(nw_buf_appendf(ans, "%.*s%s%s", (int)(at - F.raw), F.raw, info.id, at + 2),
                         NW_OK);
    } else {
        answer_envelope(ans, info.id, b, F.mode == F_OTHER_KEY);
    }
    json_decref(b);
out:
    pthread_mutex_unlock(&F.mu);
    nw_buf_clear(&body);
}

static void *relay_main(void *arg)
{
    (void)arg;
    struct nw_addr a;
    int lfd = -1;
    assert_int_equal(nw_addr_parse(&a, relay_addr), NW_OK);
    assert_int_equal(nw_net_listen(&a, 8, &lfd), NW_OK);
    struct nw_buf req, ans;
    nw_buf_init(&req, NW_WIRE_MAX_FRAME, false);
    nw_buf_init(&ans, NW_KMS_RELAY_MAX_ANSWER, false);
    while (!stop_relay) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            usleep(10000);
            continue;
        }
        for (;;) {
            req.len = ans.len = 0;
            if (nw_wire_read(fd, &req, 0, nw_deadline_ms(3000)) != NW_OK)
                break;
            answer(&ans, nw_buf_cur(&req));
            if (nw_wire_write(fd, nw_buf_cur(&ans), nw_deadline_ms(3000)) != NW_OK)
                break;
        }
        close(fd);
    }
    close(lfd);
    unlink(relay_path);
    nw_buf_clear(&req);
    nw_buf_clear(&ans);
    return NULL;
}

static void *nsm_main(void *arg)
{
    (void)arg;
    nw_err e = nw_nsm_sim_serve_unix(sim, nsm_path, &stop_nsm);
    (void)e;
    return NULL;
}

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof(dir), "/tmp/nw-vault-unit-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(nsm_path, sizeof(nsm_path), "%s/nsm.sock", dir);
    snprintf(nsm_addr, sizeof(nsm_addr), "unix:%s", nsm_path);
    snprintf(relay_path, sizeof(relay_path), "%s/relay.sock", dir);
    snprintf(relay_addr, sizeof(relay_addr), "unix:%s", relay_path);
    struct nw_nsm_sim_opts o = {.instance_id = "i-0abcdef0123456789", .region = "eu-west-2"};
    assert_int_equal(nw_nsm_sim_new(&sim, &o), NW_OK);
    assert_int_equal(pthread_create(&nsm_th, NULL, nsm_main, NULL), 0);
    assert_int_equal(pthread_create(&relay_th, NULL, relay_main, NULL), 0);
    for (int i = 0; i < 300 && (access(nsm_path, F_OK) != 0 || access(relay_path, F_OK) != 0); i++)
        usleep(10000);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    stop_nsm = stop_relay = 1;
    pthread_join(nsm_th, NULL);
    pthread_join(relay_th, NULL);
    nw_nsm_sim_free(sim);
    rmdir(dir);
    return 0;
}

static struct nw_vault *vault_open(int ttl_s, size_t max_keys)
{
    struct nw_vault_config cfg = {.kms_addr = relay_addr,
                                  .region = "eu-west-2",
                                  .nsm = nsm_addr,
                                  .cache_ttl_s = ttl_s,
                                  .cache_max_keys = max_keys,
                                  .kms_timeout_ms = 3000};
    struct nw_vault *v = NULL;
    struct nw_diag d = {0};
    nw_err err = nw_vault_new(&v, &cfg, &d);
    if (err != NW_OK)
        fprintf(stderr, "vault_new: %s\n", d.msg);
    assert_int_equal(err, NW_OK);
    return v;
}

static nw_err dec(struct nw_vault *v,
                  struct nw_seckey *k,
                  uint8_t addr[20],
                  const char *ct,
                  const char *key_id,
                  struct nw_diag *d)
{
    return nw_vault_decrypt_key(v, k, addr, NULL, nw_cur_str(ct), key_id, NULL, NULL,
                                nw_deadline_ms(5000), d);
}

/* ---- relay answers ------------------------------------------------------------------------ */

static void plaintexts(void **st)
{
    (void)st;
    struct nw_vault *v = vault_open(-1, 0);
    struct nw_seckey k;
    uint8_t addr[20], raw[32];
    struct nw_diag d = {0};
    assert_int_equal(nw_hex_decode_fixed(raw, 32, nw_cur_str(SEED_HEX), false), NW_OK);
    int docs0 = F.distinct_docs;
    /* The seed's hex text (with a newline), raw 32 bytes, with 0x. */
    script_envelope(SEED_HEX "\n", strlen(SEED_HEX) + 1);
    assert_int_equal(dec(v, &k, addr, "ct-hex", NULL, &d), NW_OK);
    assert_memory_equal(k.b, raw, 32);
    assert_int_equal(F.last_op, NW_KMS_DECRYPT);
    script_envelope(raw, 32);
    assert_int_equal(dec(v, &k, addr, "ct-raw", "k-1", &d), NW_OK);
    assert_memory_equal(k.b, raw, 32);
    script_envelope("0x" SEED_HEX, strlen(SEED_HEX) + 2);
    assert_int_equal(dec(v, &k, addr, "ct-0x", NULL, &d), NW_OK);
    assert_memory_equal(k.b, raw, 32);
    assert_int_equal(F.distinct_docs - docs0, 3); /* a fresh document per KMS call */
    /* Not keys: short text, zero, the group order. */
    static const uint8_t zero[32] = {0};
    script_envelope("hello", 5);
    assert_int_equal(dec(v, &k, addr, "ct-hello", NULL, &d), NW_ERR_KEY_INVALID);
    assert_memory_equal(k.b, zero, 32);
    script_envelope(zero, 32);
    assert_int_equal(dec(v, &k, addr, "ct-zero", NULL, &d), NW_ERR_KEY_INVALID);
    /* GenerateDataKey that keeps handing out an invalid key: asked twice, then refused. */
    struct nw_buf ct;
    nw_buf_init(&ct, 4096, false);
    int before = F.requests;
    assert_int_equal(
        nw_vault_generate_key(v, &k, addr, &ct, "alias/k", "id-1", NULL, nw_deadline_ms(5000), &d),
        NW_ERR_KEY_INVALID);
    assert_int_equal(F.requests - before, 2);
    assert_int_equal(ct.len, 0);
    script_envelope(raw, 32);
    assert_int_equal(
        nw_vault_generate_key(v, &k, addr, &ct, "alias/k", "id-1", NULL, nw_deadline_ms(5000), &d),
        NW_OK);
    assert_int_equal(F.last_op, NW_KMS_GENERATE_DATA_KEY);
    assert_int_equal(ct.len, 6); /* AQIDBAUG */
    bool hit = false;
    assert_int_equal(nw_vault_decrypt_key(v, &k, addr, &hit, nw_buf_cur(&ct), "id-1", NULL, NULL,
                                          nw_deadline_ms(5000), &d),
                     NW_OK);
    assert_true(hit);
    assert_int_equal(F.refused, 0); /* every frame passed the host's gate */
    nw_buf_clear(&ct);
    nw_seckey_clear(&k);
    nw_vault_free(v);
}

struct mapping {
    const char *raw;
    nw_err want;
};

static void answers(void **st)
{
    (void)st;
    /* clang-format off */
    static const struct mapping M[] = {
        {"{\"id\":ID,\"ok\":false,\"error\":{\"code\":\"kms_denied\",\"message\":\"no\"}}", NW_ERR_KMS_DENIED},
        {"{\"id\":ID,\"ok\":false,\"error\":{\"code\":\"kms_unavailable\",\"message\":\"down\"}}", NW_ERR_KMS_UNAVAILABLE},
        {"{\"id\":ID,\"ok\":false,\"error\":{\"code\":\"kms_relay_target\",\"message\":\"x\"}}", NW_ERR_KMS_UNAVAILABLE},
        {"{\"id\":ID,\"ok\":true,\"result\":{\"status\":400,\"error_type\":\"AccessDeniedException\",\"body\":{}}}", NW_ERR_KMS_DENIED},
        {"{\"id\":ID,\"ok\":true,\"result\":{\"status\":400,\"error_type\":\"InvalidCiphertextException\",\"body\":{}}}", NW_ERR_KMS_DENIED},
        {"{\"id\":ID,\"ok\":true,\"result\":{\"status\":400,\"error_type\":\"ValidationException\",\"body\":{}}}", NW_ERR_KMS_DENIED},
        {"{\"id\":ID,\"ok\":true,\"result\":{\"status\":400,\"error_type\":\"NotFoundException\",\"body\":{}}}", NW_ERR_KMS_DENIED},
        {"{\"id\":ID,\"ok\":true,\"result\":{\"status\":400,\"error_type\":\"DisabledException\",\"body\":{}}}", NW_ERR_KMS_DENIED},
        {"{\"id\":ID,\"ok\":true,\"result\":{\"status\":400,\"error_type\":\"ThrottlingException\",\"body\":{}}}", NW_ERR_KMS_UNAVAILABLE},
        {"{\"id\":ID,\"ok\":true,\"result\":{\"status\":500,\"error_type\":\"KMSInternalException\",\"body\":{}}}", NW_ERR_KMS_UNAVAILABLE},
        {"{\"id\":ID,\"ok\":true,\"result\":{\"status\":503,\"error_type\":null,\"body\":{}}}", NW_ERR_KMS_UNAVAILABLE},
        {"{\"id\":ID,\"ok\":true,\"result\":{\"status\":400,\"error_type\":\"UnrecognizedClientException\",\"body\":{}}}", NW_ERR_KMS_UNAVAILABLE},
        {"{\"id\":ID,\"ok\":true,\"result\":{\"status\":200,\"error_type\":null,\"body\":{\"KeyId\":\"k\"}}}", NW_ERR_KMS_UNAVAILABLE},
        {"{\"id\":ID,\"ok\":true,\"result\":{\"status\":200,\"error_type\":null,\"body\":{\"CiphertextForRecipient\":\"AAAA\"}}}", NW_ERR_KMS_UNAVAILABLE},
        {"{\"id\":ID,\"ok\":true,\"result\":{\"status\":\"200\",\"body\":{}}}", NW_ERR_KMS_UNAVAILABLE},
        {"{\"id\":ID,\"ok\":true}", NW_ERR_KMS_UNAVAILABLE},
        {"{\"id\":999ID,\"ok\":true,\"result\":{\"status\":200,\"error_type\":null,\"body\":{}}}", NW_ERR_KMS_UNAVAILABLE},
        {"{\"id\":\"ID\",\"ok\":false,\"error\":{\"code\":\"kms_denied\"}}", NW_ERR_KMS_UNAVAILABLE},
        {"not json ID", NW_ERR_KMS_UNAVAILABLE},
    };
    /* clang-format on */
    struct nw_vault *v = vault_open(-1, 0);
    struct nw_seckey k;
    uint8_t addr[20];
    for (size_t i = 0; i < NW_ARRAY_LEN(M); i++) {
        struct nw_diag d = {0};
        script_raw(M[i].raw);
        nw_err err = dec(v, &k, addr, "ct", NULL, &d);
        if (err != M[i].want)
            fprintf(stderr, "case %zu: %s (%s)\n", i, nw_err_name(err), d.msg);
        assert_int_equal(err, M[i].want);
        assert_int_equal(d.code, err);
        assert_true(d.msg[0] != '\0');
    }
    struct nw_vault_stats s;
    nw_vault_stats(v, &s);
    assert_int_equal(s.kms_calls, NW_ARRAY_LEN(M));
    /* The "AAAA" CiphertextForRecipient was a successful KMS call the vault could not open. */
    assert_int_equal(s.kms_errors, NW_ARRAY_LEN(M) - 1);
    assert_int_equal(s.cached_keys, 0);
    /* A CiphertextForRecipient made for another key cannot be opened. */
    pthread_mutex_lock(&F.mu);
    F.mode = F_OTHER_KEY;
    F.pt_len = 32;
    memset(F.pt, 7, 32);
    pthread_mutex_unlock(&F.mu);
    struct nw_diag d = {0};
    assert_int_equal(dec(v, &k, addr, "ct", NULL, &d), NW_ERR_KMS_UNAVAILABLE);
    assert_non_null(strstr(d.msg, "NW_ERR_CMS_DECRYPT"));
    /* A deadline already passed: no call. */
    int before = F.requests;
    assert_int_equal(nw_vault_decrypt_key(v, &k, addr, NULL, nw_cur_str("ct"), NULL, NULL, NULL,
                                          nw_now_ms() - 1, &d),
                     NW_ERR_DEADLINE_EXCEEDED);
    assert_int_equal(F.requests, before);
    /* Bad arguments. */
    assert_int_equal(nw_vault_decrypt_key(v, &k, addr, NULL, nw_cur_of(NULL, 0), NULL, NULL, NULL,
                                          nw_deadline_ms(1000), &d),
                     NW_ERR_INVALID_ARG);
    assert_int_equal(dec(v, &k, addr, "ct", "", &d), NW_ERR_INVALID_ARG);
    nw_vault_free(v);
}

struct worker {
    struct nw_vault *v;
    int n;
    nw_err err;
};

static void *worker_main(void *p)
{
    struct worker *w = p;
    uint8_t raw[32], addr[20];
    struct nw_seckey k;
    char ct[32];
    assert_int_equal(nw_hex_decode_fixed(raw, 32, nw_cur_str(SEED_HEX), false), NW_OK);
    for (int i = 0; i < 10 && w->err == NW_OK; i++) {
        snprintf(ct, sizeof(ct), "ct-%d-%d", w->n, i % 3);
        w->err = dec(w->v, &k, addr, ct, NULL, NULL);
        if (w->err == NW_OK && memcmp(k.b, raw, 32) != 0)
            w->err = NW_ERR_INTERNAL;
    }
    nw_seckey_clear(&k);
    return NULL;
}

static void concurrent(void **st)
{
    (void)st;
    uint8_t raw[32];
    assert_int_equal(nw_hex_decode_fixed(raw, 32, nw_cur_str(SEED_HEX), false), NW_OK);
    script_envelope(raw, 32);
    struct nw_vault *v = vault_open(-1, 0);
    struct worker w[6];
    pthread_t t[6];
    int before = F.requests;
    for (int i = 0; i < 6; i++) {
        w[i] = (struct worker){v, i, NW_OK};
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].err, NW_OK);
    }
    /* 6 workers x 3 distinct ciphertexts: 18 KMS calls, the rest cache hits. */
    assert_int_equal(F.requests - before, 18);
    struct nw_vault_stats s;
    nw_vault_stats(v, &s);
    assert_int_equal(s.kms_calls, 18);
    assert_int_equal(s.cache_hits, 42);
    assert_int_equal(s.cached_keys, 18);
    nw_vault_free(v);
}

/* ---- cache internals ---------------------------------------------------------------------- */

static void cache(void **st)
{
    (void)st;
    struct nw_vault_cache c;
    struct nw_vault_ident a, a1, a2, b;
    struct nw_seckey k = {{1}}, out;
    uint8_t addr[20] = {9}, oaddr[20];
    nw_vault_ident(&a, nw_cur_str("ct-a"), NULL);
    nw_vault_ident(&a1, nw_cur_str("ct-a"), "id-1");
    nw_vault_ident(&a2, nw_cur_str("ct-a"), "id-2");
    nw_vault_ident(&b, nw_cur_str("ct-b"), NULL);
    /* The same ciphertext under another context is another entry. */
    assert_memory_not_equal(a.lookup, a1.lookup, 32);
    assert_memory_not_equal(a1.lookup, a2.lookup, 32);
    assert_memory_equal(a.ct_hash, a1.ct_hash, 32);
    assert_int_equal(nw_vault_cache_init(&c, 2, 1000), NW_OK);
    nw_vault_cache_put(&c, &a1, &k, addr, 0);
    assert_true(nw_vault_cache_get(&c, &out, oaddr, &a1, 10));
    assert_memory_equal(out.b, k.b, 32);
    assert_false(nw_vault_cache_get(&c, &out, oaddr, &a2, 10));
    assert_false(nw_vault_cache_get(&c, &out, oaddr, &a, 10));
    /* LRU: a1 used at 10, b put at 20, a2 at 30 evicts ... a1 was used after b? no: b newer. */
    k.b[0] = 2;
    nw_vault_cache_put(&c, &b, &k, addr, 20);
    assert_true(nw_vault_cache_get(&c, &out, oaddr, &a1, 25)); /* a1 now most recent */
    k.b[0] = 3;
    nw_vault_cache_put(&c, &a2, &k, addr, 30); /* evicts b */
    assert_false(nw_vault_cache_get(&c, &out, oaddr, &b, 31));
    assert_true(nw_vault_cache_get(&c, &out, oaddr, &a2, 31));
    assert_int_equal(out.b[0], 3);
    assert_int_equal(c.used, 2);
    /* TTL: a1 was put at 0 with ttl 1000: gone at 1000. */
    assert_true(nw_vault_cache_get(&c, &out, oaddr, &a1, 999));
    assert_false(nw_vault_cache_get(&c, &out, oaddr, &a1, 1000));
    assert_int_equal(nw_vault_cache_sweep(&c, 1029), 1);
    assert_int_equal(nw_vault_cache_sweep(&c, 1030), 0);
    /* Forget by ciphertext catches every context; by key id only that id. Slots are wiped. */
    nw_vault_cache_put(&c, &a1, &k, addr, 2000);
    nw_vault_cache_put(&c, &a2, &k, addr, 2000);
    nw_vault_cache_forget(&c, NULL, a2.kid_hash);
    assert_false(nw_vault_cache_get(&c, &out, oaddr, &a2, 2001));
    assert_true(nw_vault_cache_get(&c, &out, oaddr, &a1, 2001));
    nw_vault_cache_forget(&c, a.ct_hash, NULL);
    assert_int_equal(c.used, 0);
    static const uint8_t zero[sizeof(struct nw_vault_slot)];
    for (size_t i = 0; i < c.n_slots; i++)
        assert_memory_equal(&c.slots[i], zero, sizeof(zero));
    nw_vault_cache_free(&c);
    /* Disabled: never stores. */
    assert_int_equal(nw_vault_cache_init(&c, 8, 0), NW_OK);
    nw_vault_cache_put(&c, &a, &k, addr, 0);
    assert_false(nw_vault_cache_get(&c, &out, oaddr, &a, 1));
    nw_vault_cache_free(&c);
}

/* ---- configuration ------------------------------------------------------------------------ */

static void config(void **st)
{
    (void)st;
    enum nw_kms_mode m;
    assert_int_equal(nw_kms_mode_parse(&m, "relay"), NW_OK);
    assert_int_equal(m, NW_KMS_MODE_RELAY);
    assert_int_equal(nw_kms_mode_parse(&m, "direct"), NW_OK);
    assert_int_equal(m, NW_KMS_MODE_DIRECT);
    assert_int_equal(nw_kms_mode_parse(&m, "Relay"), NW_ERR_INVALID_ARG);
    struct {
        struct nw_vault_config c;
        nw_err want;
    } cases[] = {
        {{.nsm = nsm_addr}, NW_ERR_INVALID_ARG},
        {{.region = "eu-west-2", .nsm = nsm_addr, .kms_mode = 7}, NW_ERR_INVALID_ARG},
        {{.region = "eu-west-2", .nsm = nsm_addr, .kms_addr = "kms:8000"}, NW_ERR_ADDR_SYNTAX},
        {{.region = "eu-west-2", .nsm = nsm_addr, .kms_host = "bad host/x"}, NW_ERR_INVALID_ARG},
        {{.region = "eu-west-2", .nsm = nsm_addr, .recipient_rotate_s = -1}, NW_ERR_INVALID_ARG},
        {{.region = "eu-west-2", .nsm = nsm_addr, .kms_timeout_ms = -5}, NW_ERR_INVALID_ARG},
        {{.region = "eu-west-2", .nsm = nsm_addr, .cache_max_keys = (size_t)1 << 30},
         NW_ERR_INVALID_ARG},
        {{.region = "eu-west-2", .nsm = "unix:/nonexistent/nsm.sock"}, NW_ERR_NSM_UNAVAILABLE},
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(cases); i++) {
        struct nw_vault *v = (struct nw_vault *)&m;
        struct nw_diag d = {0};
        nw_err err = nw_vault_new(&v, &cases[i].c, &d);
        if (err != cases[i].want)
            fprintf(stderr, "config case %zu: %s\n", i, nw_err_name(err));
        assert_int_equal(err, cases[i].want);
        assert_null(v);
        assert_true(d.msg[0] != '\0');
    }
    nw_vault_free(NULL);
    /* Defaults: relay to vsock:3:8000 (never connected here); cache_ttl_s 0 is "off", -1 the
     * default 900 s. */
    struct nw_vault_config c = {.region = "eu-west-2", .nsm = nsm_addr};
    struct nw_vault *off = NULL;
    assert_int_equal(nw_vault_new(&off, &c, NULL), NW_OK);
    assert_int_equal(off->cache.ttl_ms, 0);
    assert_null(off->cache.slots);
    nw_vault_free(off);
    c.cache_ttl_s = -1;
    struct nw_vault *v = NULL;
    assert_int_equal(nw_vault_new(&v, &c, NULL), NW_OK);
    assert_int_equal(v->mode, NW_KMS_MODE_RELAY);
    assert_string_equal(v->kms_addr, "vsock:3:8000");
    assert_string_equal(v->endpoint, "https://kms.eu-west-2.amazonaws.com");
    assert_int_equal(v->rotate_s, 600);
    assert_int_equal(v->cache.ttl_ms, 900000);
    assert_int_equal(v->cache.n_slots, 1024);
    uint8_t rnd[300], zero[300] = {0};
    assert_int_equal(nw_vault_random(v, rnd, sizeof(rnd)), NW_OK);
    assert_memory_not_equal(rnd, zero, sizeof(rnd));
    struct nw_buf doc;
    nw_buf_init(&doc, NW_NSM_RESPONSE_MAX, false);
    assert_int_equal(nw_vault_attest(v, &doc, nw_cur_str("nonce-1"), nw_cur_str("user-data"), NULL),
                     NW_OK);
    struct nw_attest_doc *ad = calloc(1, sizeof(*ad));
    assert_int_equal(nw_attest_parse(ad, nw_buf_cur(&doc)), NW_OK);
    assert_true(ad->has_nonce && ad->has_user_data && ad->has_public_key);
    assert_int_equal(nw_cms_check_recipient_spki(nw_cur_of(ad->public_key, ad->public_key_len)),
                     NW_OK);
    free(ad);
    nw_buf_clear(&doc);
    nw_vault_free(v);
}

/* ---- the NSM simulator serves callers concurrently ----------------------------------------- */

struct nsm_worker {
    int ok;
};

static void *nsm_worker_main(void *p)
{
    struct nsm_worker *w = p;
    struct nw_nsm *n = NULL;
    if (nw_nsm_open(&n, nsm_addr) != NW_OK)
        return NULL;
    uint8_t r[64];
    for (int i = 0; i < 20; i++)
        if (nw_nsm_random(n, r, sizeof(r)) == NW_OK)
            w->ok++;
    nw_nsm_close(n);
    return NULL;
}

static void nsm_concurrent(void **st)
{
    (void)st;
    /* An idle client that sent half a frame header and waits. */
    struct nw_addr a;
    int idle = -1;
    assert_int_equal(nw_addr_parse(&a, nsm_addr), NW_OK);
    assert_int_equal(nw_net_connect(&a, 1000, &idle), NW_OK);
    static const uint8_t half[2] = {0, 0};
    assert_int_equal(nw_io_write_full(idle, half, 2, nw_deadline_ms(1000)), NW_OK);
    usleep(50000);
    /* Everyone else is served meanwhile. */
    int64_t t0 = nw_now_ms();
    struct nsm_worker w[8] = {{0}};
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&t[i], NULL, nsm_worker_main, &w[i]), 0);
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].ok, 20);
    }
    assert_true(nw_now_ms() - t0 < 5000);
    close(idle);
}

int main(void)
{
    /* As the enclave runs: jansson's and OpenSSL's heap through the wiping allocator (a library
     * that frees their memory with free() would crash here). */
    if (nw_mem_hook_libraries() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cache),   cmocka_unit_test(config),     cmocka_unit_test(plaintexts),
        cmocka_unit_test(answers), cmocka_unit_test(concurrent), cmocka_unit_test(nsm_concurrent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

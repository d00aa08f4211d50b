/*
 * The enclave's vault (DESIGN.md section 5, <nw/vault.h>): the Recipient key pair and its
 * rotation, the shared NSM connection, key decryption and generation through KMS with a
 * fresh attestation document per call, and the cache of decrypted keys.
 *
 * Life of a plaintext: KMS encrypts it to the Recipient key (CiphertextForRecipient); OpenSSL
 * opens the CMS envelope (its heap: the binaries route it through the wiping allocator,
 * nw_mem_hook_libraries) straight into a locked, non-dumpable page; the key is taken from that
 * page into the caller's struct nw_seckey and into the cache's locked table; the page is wiped
 * and unmapped before the call returns, on every path.
 *
 * Rotation runs on a housekeeping thread that also wipes expired cache entries once a second.
 * A rotation never pulls a key pair from under a call in flight: calls hold a reference.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <nw/cms.h>
#include <nw/mem.h>
#include <nw/nsm.h>
#include <nw/wire.h>

#include "vault_int.h"

#define DEFAULT_KMS_ADDR     "vsock:3:8000"
#define DEFAULT_ROTATE_S     600
#define DEFAULT_TTL_S        900
#define DEFAULT_MAX_KEYS     1024
#define MAX_KEYS             ((size_t)1 << 20)
#define DEFAULT_KMS_TIMEOUT  10000
#define MAX_KEY_ID           256
#define PLAINTEXT_PAGE       4096
#define HOUSEKEEPING_TICK_MS 1000
#define NW_KMS_KEY_ID_CTX    "nw:key_id"

nw_err nw_kms_mode_parse(enum nw_kms_mode *out, const char *text)
{
    if (strcmp(text, "relay") == 0)
        *out = NW_KMS_MODE_RELAY;
    else if (strcmp(text, "direct") == 0)
        *out = NW_KMS_MODE_DIRECT;
    else
        return NW_ERR_INVALID_ARG;
    return NW_OK;
}

/* ---- Recipient key pairs ---------------------------------------------------------------- */

static nw_err rcp_new(struct nw_vault_rcp **out)
{
    struct nw_vault_rcp *r = nw_calloc(1, sizeof(*r));
    if (r == NULL)
        return NW_ERR_NOMEM;
    nw_err err = nw_recipient_new(&r->r, (int64_t)time(NULL));
    if (err != NW_OK) {
        nw_free(r);
        return err;
    }
    r->refs = 1;
    *out = r;
    return NW_OK;
}

/* Drop one reference (rcp_lock held); the last one frees the key pair. */
static void rcp_unref_locked(struct nw_vault_rcp *r)
{
    if (r != NULL && --r->refs == 0) {
        nw_recipient_free(r->r);
        nw_free(r);
    }
}

static struct nw_vault_rcp *rcp_get(struct nw_vault *v)
{
    (void)pthread_mutex_lock(&v->rcp_lock);
    struct nw_vault_rcp *r = v->rcp;
    r->refs++;
    (void)pthread_mutex_unlock(&v->rcp_lock);
    return r;
}

static void rcp_put(struct nw_vault *v, struct nw_vault_rcp *r)
{
    (void)pthread_mutex_lock(&v->rcp_lock);
    rcp_unref_locked(r);
    (void)pthread_mutex_unlock(&v->rcp_lock);
}

/* Make a new key pair (about 100 ms of RSA-2048 generation, outside every lock) and swap it in. */
static nw_err rotate(struct nw_vault *v)
{
    struct nw_vault_rcp *fresh = NULL;
    NW_TRY(rcp_new(&fresh));
    (void)pthread_mutex_lock(&v->rcp_lock);
    struct nw_vault_rcp *old = v->rcp;
    v->rcp = fresh;
    rcp_unref_locked(old);
    (void)pthread_mutex_unlock(&v->rcp_lock);
    atomic_fetch_add(&v->rotations, 1);
    return NW_OK;
}

static void *housekeeping(void *arg)
{
    struct nw_vault *v = arg;
    int64_t next_rotation = nw_now_ms() + (int64_t)v->rotate_s * 1000;
    (void)pthread_mutex_lock(&v->bg_lock);
    while (!v->bg_stop) {
        int64_t now = nw_now_ms();
        int64_t wake =
            now + HOUSEKEEPING_TICK_MS < next_rotation ? now + HOUSEKEEPING_TICK_MS : next_rotation;
        struct timespec ts = {(time_t)(wake / 1000), (long)(wake % 1000) * 1000000L};
        int rc = 0;
        while (!v->bg_stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&v->bg_cond, &v->bg_lock, &ts);
        if (v->bg_stop)
            break;
        (void)pthread_mutex_unlock(&v->bg_lock);
        now = nw_now_ms();
        (void)nw_vault_cache_sweep(&v->cache, now);
        if (now >= next_rotation) /* on failure the old pair stays; try again in a tick */
            next_rotation =
                rotate(v) == NW_OK ? now + (int64_t)v->rotate_s * 1000 : now + HOUSEKEEPING_TICK_MS;
        (void)pthread_mutex_lock(&v->bg_lock);
    }
    (void)pthread_mutex_unlock(&v->bg_lock);
    return NULL;
}

/* ---- set-up ----------------------------------------------------------------------------- */

static bool host_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
              (h[i] >= '0' && h[i] <= '9') || h[i] == '.' || h[i] == '-' || h[i] == ':'))
            return false;
    return true;
}

static nw_err copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return NW_ERR_INVALID_ARG;
    memcpy(dst, src, n + 1);
    return NW_OK;
}

/* Settings with their defaults (see struct nw_vault_config). */
static nw_err apply_config(struct nw_vault *v, const struct nw_vault_config *c, struct nw_diag *d)
{
    v->mode = c->kms_mode == 0 ? NW_KMS_MODE_RELAY : c->kms_mode;
    if (v->mode != NW_KMS_MODE_RELAY && v->mode != NW_KMS_MODE_DIRECT)
        return nw_diag_set(d, NW_ERR_INVALID_ARG, "vault: unknown KMS mode");
    if (c->region == NULL || c->region[0] == '\0' ||
        copy_str(v->region, sizeof(v->region), c->region) != NW_OK)
        return nw_diag_set(d, NW_ERR_INVALID_ARG, "vault: region missing or too long");
    const char *addr = c->kms_addr != NULL ? c->kms_addr : DEFAULT_KMS_ADDR;
    nw_err err = nw_addr_parse(&v->kms, addr);
    if (err != NW_OK)
        return nw_diag_set(d, err, "vault: kms_addr: %s", nw_err_str(err));
    nw_addr_format(v->kms_addr, &v->kms);
    char host[260];
    int n = c->kms_host != NULL ? snprintf(host, sizeof(host), "%s", c->kms_host)
                                : snprintf(host, sizeof(host), "kms.%s.amazonaws.com", v->region);
    if (n < 0 || (size_t)n >= sizeof(host) || !host_ok(host))
        return nw_diag_set(d, NW_ERR_INVALID_ARG, "vault: malformed KMS host name");
    (void)snprintf(v->endpoint, sizeof(v->endpoint), "https://%s", host);
    if (c->ca_bundle != NULL && copy_str(v->ca_bundle, sizeof(v->ca_bundle), c->ca_bundle) != NW_OK)
        return nw_diag_set(d, NW_ERR_INVALID_ARG, "vault: CA bundle path too long");
    const char *nsm = c->nsm != NULL ? c->nsm : NW_NSM_DEFAULT_PATH;
    if (copy_str(v->nsm_addr, sizeof(v->nsm_addr), nsm) != NW_OK)
        return nw_diag_set(d, NW_ERR_INVALID_ARG, "vault: NSM address too long");
    if (c->recipient_rotate_s < 0 || c->kms_timeout_ms < 0)
        return nw_diag_set(d, NW_ERR_INVALID_ARG, "vault: negative rotation or KMS timeout");
    v->rotate_s = c->recipient_rotate_s == 0 ? DEFAULT_ROTATE_S : c->recipient_rotate_s;
    v->kms_timeout_ms = c->kms_timeout_ms == 0 ? DEFAULT_KMS_TIMEOUT : c->kms_timeout_ms;
    size_t max_keys = c->cache_max_keys == 0 ? DEFAULT_MAX_KEYS : c->cache_max_keys;
    if (max_keys > MAX_KEYS)
        return nw_diag_set(d, NW_ERR_INVALID_ARG, "vault: cache_max_keys above %zu", MAX_KEYS);
    int64_t ttl_s = c->cache_ttl_s < 0 ? DEFAULT_TTL_S : c->cache_ttl_s;
    err = nw_vault_cache_init(&v->cache, max_keys, ttl_s * 1000);
    if (err != NW_OK)
        return nw_diag_set(d, err, "vault: key cache: %s", nw_err_str(err));
    return NW_OK;
}

static nw_err start_housekeeping(struct nw_vault *v)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return NW_ERR_INTERNAL;
    bool ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
              pthread_cond_init(&v->bg_cond, &ca) == 0;
    (void)pthread_condattr_destroy(&ca);
    if (!ok)
        return NW_ERR_INTERNAL;
    if (pthread_create(&v->bg, NULL, housekeeping, v) != 0) {
        (void)pthread_cond_destroy(&v->bg_cond);
        return NW_ERR_INTERNAL;
    }
    v->bg_started = true;
    return NW_OK;
}

nw_err nw_vault_new(struct nw_vault **out, const struct nw_vault_config *cfg, struct nw_diag *diag)
{
    nw_err err = NW_OK;
    *out = NULL;
    struct nw_vault *v = nw_calloc(1, sizeof(*v));
    if (v == NULL)
        return NW_ERR_NOMEM;
    v->relay_fd = -1;
    (void)pthread_mutex_init(&v->nsm_lock, NULL);
    (void)pthread_mutex_init(&v->rcp_lock, NULL);
    (void)pthread_mutex_init(&v->relay_lock, NULL);
    (void)pthread_mutex_init(&v->bg_lock, NULL);
    err = apply_config(v, cfg, diag);
    if (err != NW_OK) {
        /* the cache was not set up: nw_vault_free must not touch it */
        (void)pthread_mutex_init(&v->cache.lock, NULL);
        goto out;
    }
    v->secp = nw_secp_new();
    NW_CHECK_COND(v->secp != NULL, nw_diag_set(diag, NW_ERR_CRYPTO, "vault: secp256k1 context"));
    err = nw_nsm_open(&v->nsm, v->nsm_addr);
    if (err != NW_OK) {
        nw_diag_set(diag, err, "vault: NSM %s: %s", v->nsm_addr, nw_err_str(err));
        goto out;
    }
    err = rcp_new(&v->rcp);
    if (err != NW_OK) {
        nw_diag_set(diag, err, "vault: Recipient key pair: %s", nw_err_str(err));
        goto out;
    }
    err = start_housekeeping(v);
    if (err != NW_OK) {
        nw_diag_set(diag, err, "vault: housekeeping thread");
        goto out;
    }
    *out = v;
    return NW_OK;
out:
    nw_vault_free(v);
    return err;
}

void nw_vault_free(struct nw_vault *v)
{
    if (v == NULL)
        return;
    if (v->bg_started) {
        (void)pthread_mutex_lock(&v->bg_lock);
        v->bg_stop = true;
        (void)pthread_cond_signal(&v->bg_cond);
        (void)pthread_mutex_unlock(&v->bg_lock);
        (void)pthread_join(v->bg, NULL);
        (void)pthread_cond_destroy(&v->bg_cond);
    }
    nw_vault_cache_free(&v->cache);
    (void)pthread_mutex_lock(&v->rcp_lock);
    rcp_unref_locked(v->rcp);
    v->rcp = NULL;
    (void)pthread_mutex_unlock(&v->rcp_lock);
    nw_vault_relay_close(v);
    nw_nsm_close(v->nsm);
    nw_secp_free(v->secp);
    (void)pthread_mutex_destroy(&v->nsm_lock);
    (void)pthread_mutex_destroy(&v->rcp_lock);
    (void)pthread_mutex_destroy(&v->relay_lock);
    (void)pthread_mutex_destroy(&v->bg_lock);
    nw_free_secret(v, sizeof(*v));
}

/* ---- NSM -------------------------------------------------------------------------------- */

/* Run one NSM exchange under the lock; a broken transport (simulator restart) is re-opened once. */
static nw_err nsm_attest(struct nw_vault *v,
                         struct nw_recipient *r,
                         struct nw_buf *doc,
                         struct nw_cur user_data,
                         struct nw_cur nonce)
{
    (void)pthread_mutex_lock(&v->nsm_lock);
    size_t len0 = doc->len;
    nw_err err =
        v->nsm != NULL ? nw_recipient_attest(r, v->nsm, doc, user_data, nonce) : NW_ERR_NSM_IO;
    if (err == NW_ERR_NSM_IO) {
        nw_nsm_close(v->nsm);
        v->nsm = NULL;
        doc->len = len0;
        err = nw_nsm_open(&v->nsm, v->nsm_addr);
        if (err == NW_OK && v->nsm != NULL)
            err = nw_recipient_attest(r, v->nsm, doc, user_data, nonce);
    }
    (void)pthread_mutex_unlock(&v->nsm_lock);
    return err;
}

nw_err nw_vault_attest(struct nw_vault *v,
                       struct nw_buf *doc,
                       struct nw_cur nonce,
                       struct nw_cur user_data,
                       struct nw_diag *diag)
{
    struct nw_vault_rcp *r = rcp_get(v);
    nw_err err = nsm_attest(v, r->r, doc, user_data, nonce);
    rcp_put(v, r);
    if (err != NW_OK)
        nw_diag_set(diag, err, "vault: attestation: %s", nw_err_str(err));
    return err;
}

nw_err nw_vault_random(struct nw_vault *v, uint8_t *out, size_t n)
{
    (void)pthread_mutex_lock(&v->nsm_lock);
    nw_err err = v->nsm != NULL ? nw_nsm_random(v->nsm, out, n) : NW_ERR_NSM_IO;
    if (err == NW_ERR_NSM_IO) {
        nw_nsm_close(v->nsm);
        v->nsm = NULL;
        err = nw_nsm_open(&v->nsm, v->nsm_addr);
        if (err == NW_OK && v->nsm != NULL)
            err = nw_nsm_random(v->nsm, out, n);
    }
    (void)pthread_mutex_unlock(&v->nsm_lock);
    if (err != NW_OK)
        nw_wipe(out, n);
    return err;
}

/* ---- keys ------------------------------------------------------------------------------- */

/* The key in a plaintext: 32 raw bytes (GenerateDataKey) or the seed's hex text. */
static nw_err plaintext_key(struct nw_vault *v, struct nw_seckey *key, struct nw_cur pt)
{
    if (pt.len == sizeof(key->b)) {
        memcpy(key->b, pt.ptr, sizeof(key->b));
        if (nw_seckey_verify(v->secp, key) != NW_OK) {
            nw_seckey_clear(key);
            return NW_ERR_KEY_INVALID;
        }
        return NW_OK;
    }
    return nw_seckey_parse(v->secp, key, pt);
}

/*
 * One KMS call with a fresh attestation document over the current Recipient key, its
 * CiphertextForRecipient opened into a locked page, and the key taken from it.
 * Out: key, addr20; res (the rest of KMS's answer, e.g. CiphertextBlob).
 */
static nw_err kms_key(struct nw_vault *v,
                      struct nw_seckey *key,
                      uint8_t addr20[20],
                      struct nw_kms_result *res,
                      enum nw_kms_op op,
                      struct nw_kms_request *req,
                      const struct nw_aws_creds *creds,
                      int64_t deadline_ms,
                      struct nw_diag *diag)
{
    nw_err err = NW_OK;
    struct nw_buf doc, pt = {0};
    struct nw_vault_rcp *r = rcp_get(v);
    nw_buf_init(&doc, NW_NSM_RESPONSE_MAX, false);
    err = nsm_attest(v, r->r, &doc, nw_cur_of(NULL, 0), nw_cur_of(NULL, 0));
    if (err != NW_OK) {
        nw_diag_set(diag, err, "vault: attestation for KMS: %s", nw_err_str(err));
        goto out;
    }
    req->recipient_attestation = nw_buf_cur(&doc);
    NW_CHECK(nw_vault_kms_call(v, res, op, req, creds, deadline_ms, diag));
    /* A locked page as the buffer's storage: max below cap, so it never reallocates. */
    pt.ptr = nw_locked_alloc(PLAINTEXT_PAGE, NULL);
    NW_CHECK_COND(pt.ptr != NULL, NW_ERR_NOMEM);
    pt.cap = PLAINTEXT_PAGE;
    pt.max = PLAINTEXT_PAGE - 1;
    pt.secret = true;
    err = nw_recipient_decrypt(r->r, &pt, nw_buf_cur(&res->ciphertext_for_recipient));
    if (err != NW_OK) {
        nw_diag_set(diag, NW_ERR_KMS_UNAVAILABLE, "vault: KMS %s answer not opened (%s)",
                    nw_kms_op_name(op), nw_err_name(err));
        err = NW_ERR_KMS_UNAVAILABLE;
        goto out;
    }
    err = plaintext_key(v, key, nw_buf_cur(&pt));
    if (err != NW_OK) {
        nw_diag_set(diag, err, "vault: the plaintext is not a secp256k1 key");
        goto out;
    }
    NW_CHECK(nw_address_from_seckey(v->secp, addr20, key));
out:
    if (pt.ptr != NULL)
        nw_locked_free(pt.ptr, PLAINTEXT_PAGE);
    nw_buf_clear(&doc);
    rcp_put(v, r);
    if (err != NW_OK) {
        nw_seckey_clear(key);
        nw_wipe(addr20, 20);
    }
    return err;
}

static nw_err check_key_id(const char *key_id, struct nw_diag *diag)
{
    if (key_id != NULL && (key_id[0] == '\0' || strlen(key_id) > MAX_KEY_ID))
        return nw_diag_set(diag, NW_ERR_INVALID_ARG, "vault: key_id empty or over %d bytes",
                           MAX_KEY_ID);
    return NW_OK;
}

nw_err nw_vault_decrypt_key(struct nw_vault *v,
                            struct nw_seckey *key,
                            uint8_t addr20[20],
                            bool *cache_hit,
                            struct nw_cur ciphertext,
                            const char *key_id,
                            const uint8_t expect_addr20[20],
                            const struct nw_aws_creds *creds,
                            int64_t deadline_ms,
                            struct nw_diag *diag)
{
    nw_err err = NW_OK;
    uint8_t addr[20];
    bool hit = false;
    struct nw_vault_ident id;
    struct nw_kms_result res;
    struct nw_kms_kv ctx = {NW_KMS_KEY_ID_CTX, key_id};
    nw_seckey_clear(key);
    nw_kms_result_init(&res);
    if (cache_hit != NULL)
        *cache_hit = false;
    NW_CHECK(check_key_id(key_id, diag));
    NW_CHECK_COND(
        ciphertext.len >= 1 && ciphertext.len <= 6144,
        nw_diag_set(diag, NW_ERR_INVALID_ARG, "vault: ciphertext of %zu bytes", ciphertext.len));
    nw_vault_ident(&id, ciphertext, key_id);
    int64_t now = nw_now_ms();
    hit = nw_vault_cache_get(&v->cache, key, addr, &id, now);
    if (hit) {
        atomic_fetch_add(&v->hits, 1);
    } else {
        atomic_fetch_add(&v->misses, 1);
        NW_CHECK_COND(now < deadline_ms,
                      nw_diag_set(diag, NW_ERR_DEADLINE_EXCEEDED, "vault: deadline passed"));
        struct nw_kms_request req = {.ciphertext_blob = ciphertext,
                                     .context = key_id != NULL ? &ctx : NULL,
                                     .n_context = key_id != NULL ? 1 : 0};
        NW_CHECK(kms_key(v, key, addr, &res, NW_KMS_DECRYPT, &req, creds, deadline_ms, diag));
    }
    /* Checked before caching: a key that does not derive its row's address is never kept. */
    NW_CHECK_COND(expect_addr20 == NULL || memcmp(addr, expect_addr20, 20) == 0,
                  nw_diag_set(diag, NW_ERR_KEY_MISMATCH,
                              "vault: decrypted key does not derive the expected address"));
    if (!hit)
        nw_vault_cache_put(&v->cache, &id, key, addr, nw_now_ms());
    if (addr20 != NULL)
        memcpy(addr20, addr, 20);
    if (cache_hit != NULL)
        *cache_hit = hit;
out:
    nw_wipe(addr, sizeof(addr));
    nw_kms_result_clear(&res);
    if (err != NW_OK) {
        nw_seckey_clear(key);
        if (addr20 != NULL)
            nw_wipe(addr20, 20);
        if (cache_hit != NULL)
            *cache_hit = false;
    }
    return err;
}

nw_err nw_vault_generate_key(struct nw_vault *v,
                             struct nw_seckey *key,
                             uint8_t addr20[20],
                             struct nw_buf *ciphertext,
                             const char *kms_key_id,
                             const char *key_id,
                             const struct nw_aws_creds *creds,
                             int64_t deadline_ms,
                             struct nw_diag *diag)
{
    nw_err err = NW_OK;
    struct nw_vault_ident id;
    struct nw_kms_result res;
    struct nw_kms_kv ctx = {NW_KMS_KEY_ID_CTX, key_id};
    size_t len0 = ciphertext->len;
    nw_seckey_clear(key);
    nw_wipe(addr20, 20);
    nw_kms_result_init(&res);
    NW_CHECK(check_key_id(key_id, diag));
    NW_CHECK_COND(kms_key_id[0] != '\0',
                  nw_diag_set(diag, NW_ERR_INVALID_ARG, "vault: empty KMS key id"));
    /*
     * 32 random bytes are a valid secp256k1 key except with probability ~2^-128; should KMS
     * ever hand out one that is not, a second data key is asked for.
     */
    for (int attempt = 0; attempt < 2; attempt++) {
        NW_CHECK_COND(nw_now_ms() < deadline_ms,
                      nw_diag_set(diag, NW_ERR_DEADLINE_EXCEEDED, "vault: deadline passed"));
        struct nw_kms_request req = {
            .key_id = kms_key_id, .context = &ctx, .n_context = 1, .number_of_bytes = 32};
        err =
            kms_key(v, key, addr20, &res, NW_KMS_GENERATE_DATA_KEY, &req, creds, deadline_ms, diag);
        if (err != NW_ERR_KEY_INVALID)
            break;
    }
    NW_CHECK(err);
    NW_CHECK(nw_buf_append(ciphertext, res.ciphertext_blob.ptr, res.ciphertext_blob.len));
    nw_vault_ident(&id, nw_buf_cur(&res.ciphertext_blob), key_id);
    nw_vault_cache_put(&v->cache, &id, key, addr20, nw_now_ms());
out:
    nw_kms_result_clear(&res);
    if (err != NW_OK) {
        nw_seckey_clear(key);
        nw_wipe(addr20, 20);
        ciphertext->len = len0;
    }
    return err;
}

void nw_vault_forget(struct nw_vault *v, struct nw_cur ciphertext, const char *key_id)
{
    struct nw_vault_ident id;
    bool ct = ciphertext.len > 0, kid = key_id != NULL && key_id[0] != '\0';
    nw_vault_ident(&id, ciphertext, kid ? key_id : NULL);
    nw_vault_cache_forget(&v->cache, ct ? id.ct_hash : NULL, kid ? id.kid_hash : NULL);
}

void nw_vault_stats(struct nw_vault *v, struct nw_vault_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->cache_hits = atomic_load(&v->hits);
    out->cache_misses = atomic_load(&v->misses);
    out->kms_calls = atomic_load(&v->kms_calls);
    out->kms_errors = atomic_load(&v->kms_errors);
    out->recipient_rotations = atomic_load(&v->rotations);
    out->cached_keys = nw_vault_cache_sweep(&v->cache, nw_now_ms());
}

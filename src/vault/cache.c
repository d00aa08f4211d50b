/*
 * The cache of decrypted keys (DESIGN.md section 5): a fixed table in locked, non-dumpable
 * pages, entries valid for ttl_ms after their decryption, at most n_slots of them, the least
 * recently used evicted first. A linear scan is fine at the sizes configured (1024 slots of
 * ~190 bytes: a few microseconds), and keeps every byte of the table inside the locked pages.
 * Every slot is wiped the moment it stops being live.
 */
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#include <nw/mem.h>
#include <nw/sign.h>

#include "vault_int.h"

void nw_vault_ident(struct nw_vault_ident *id, struct nw_cur ciphertext, const char *key_id)
{
    uint8_t cat[65];
    memset(id, 0, sizeof(*id));
    (void)SHA256(ciphertext.ptr != NULL ? ciphertext.ptr : (const uint8_t *)"", ciphertext.len,
                 id->ct_hash);
    id->has_key_id = key_id != NULL;
    if (key_id != NULL)
        (void)SHA256((const uint8_t *)key_id, strlen(key_id), id->kid_hash);
    memcpy(cat, id->ct_hash, 32);
    cat[32] = id->has_key_id ? 1 : 0;
    memcpy(cat + 33, id->kid_hash, 32);
    (void)SHA256(cat, sizeof(cat), id->lookup);
}

nw_err nw_vault_cache_init(struct nw_vault_cache *c, size_t max_keys, int64_t ttl_ms)
{
    memset(c, 0, sizeof(*c));
    if (pthread_mutex_init(&c->lock, NULL) != 0)
        return NW_ERR_INTERNAL;
    c->ttl_ms = ttl_ms;
    if (ttl_ms <= 0 || max_keys == 0)
        return NW_OK;
    if (max_keys > SIZE_MAX / sizeof(struct nw_vault_slot))
        return NW_ERR_INVALID_ARG;
    c->bytes = max_keys * sizeof(struct nw_vault_slot);
    c->slots = nw_locked_alloc(c->bytes, NULL);
    if (c->slots == NULL) {
        (void)pthread_mutex_destroy(&c->lock);
        return NW_ERR_NOMEM;
    }
    c->n_slots = max_keys;
    return NW_OK;
}

static void wipe_slot(struct nw_vault_cache *c, struct nw_vault_slot *s)
{
    if (s->used)
        c->used--;
    nw_wipe(s, sizeof(*s));
}

void nw_vault_cache_free(struct nw_vault_cache *c)
{
    if (c->slots != NULL) {
        (void)pthread_mutex_lock(&c->lock);
        nw_locked_free(c->slots, c->bytes); /* wipes the whole table */
        c->slots = NULL;
        c->used = 0;
        (void)pthread_mutex_unlock(&c->lock);
    }
    (void)pthread_mutex_destroy(&c->lock);
}

static struct nw_vault_slot *find(struct nw_vault_cache *c, const struct nw_vault_ident *id)
{
    for (size_t i = 0; i < c->n_slots; i++) {
        struct nw_vault_slot *s = &c->slots[i];
        if (s->used && CRYPTO_memcmp(s->lookup, id->lookup, sizeof(s->lookup)) == 0)
            return s;
    }
    return NULL;
}

bool nw_vault_cache_get(struct nw_vault_cache *c,
                        struct nw_seckey *key,
                        uint8_t addr20[20],
                        const struct nw_vault_ident *id,
                        int64_t now_ms)
{
    bool hit = false;
    if (c->slots == NULL)
        return false;
    (void)pthread_mutex_lock(&c->lock);
    struct nw_vault_slot *s = find(c, id);
    if (s != NULL && s->expires_ms <= now_ms) {
        wipe_slot(c, s);
        s = NULL;
    }
    if (s != NULL) {
        memcpy(key->b, s->key.b, sizeof(key->b));
        memcpy(addr20, s->addr20, 20);
        s->last_use = ++c->tick;
        hit = true;
    }
    (void)pthread_mutex_unlock(&c->lock);
    return hit;
}

/* A free slot, else an expired one, else the least recently used (wiped). */
static struct nw_vault_slot *victim(struct nw_vault_cache *c, int64_t now_ms)
{
    struct nw_vault_slot *lru = NULL;
    for (size_t i = 0; i < c->n_slots; i++) {
        struct nw_vault_slot *s = &c->slots[i];
        if (!s->used)
            return s;
        if (s->expires_ms <= now_ms) {
            wipe_slot(c, s);
            return s;
        }
        if (lru == NULL || s->last_use < lru->last_use)
            lru = s;
    }
    if (lru != NULL)
        wipe_slot(c, lru);
    return lru;
}

void nw_vault_cache_put(struct nw_vault_cache *c,
                        const struct nw_vault_ident *id,
                        const struct nw_seckey *key,
                        const uint8_t addr20[20],
                        int64_t now_ms)
{
    if (c->slots == NULL)
        return;
    (void)pthread_mutex_lock(&c->lock);
    struct nw_vault_slot *s = find(c, id);
    if (s != NULL)
        wipe_slot(c, s);
    else
        s = victim(c, now_ms);
    if (s == NULL) { /* no slots at all: cannot happen once slots exist */
        (void)pthread_mutex_unlock(&c->lock);
        return;
    }
    s->used = true;
    c->used++;
    s->has_key_id = id->has_key_id;
    memcpy(s->lookup, id->lookup, sizeof(s->lookup));
    memcpy(s->ct_hash, id->ct_hash, sizeof(s->ct_hash));
    memcpy(s->kid_hash, id->kid_hash, sizeof(s->kid_hash));
    memcpy(s->key.b, key->b, sizeof(s->key.b));
    memcpy(s->addr20, addr20, 20);
    s->expires_ms = now_ms + c->ttl_ms;
    s->last_use = ++c->tick;
    (void)pthread_mutex_unlock(&c->lock);
}

void nw_vault_cache_forget(struct nw_vault_cache *c,
                           const uint8_t ct_hash[32],
                           const uint8_t kid_hash[32])
{
    if (c->slots == NULL)
        return;
    (void)pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n_slots; i++) {
        struct nw_vault_slot *s = &c->slots[i];
        if (!s->used)
            continue;
        bool by_ct = ct_hash != NULL && memcmp(s->ct_hash, ct_hash, 32) == 0;
        bool by_kid = kid_hash != NULL && s->has_key_id && memcmp(s->kid_hash, kid_hash, 32) == 0;
        if (by_ct || by_kid)
            wipe_slot(c, s);
    }
    (void)pthread_mutex_unlock(&c->lock);
}

size_t nw_vault_cache_sweep(struct nw_vault_cache *c, int64_t now_ms)
{
    if (c->slots == NULL)
        return 0;
    (void)pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n_slots; i++)
        if (c->slots[i].used && c->slots[i].expires_ms <= now_ms)
            wipe_slot(c, &c->slots[i]);
    size_t n = c->used;
    (void)pthread_mutex_unlock(&c->lock);
    return n;
}

/*
 * The key-row cache: signing by key_id or address reads the key's nw_keys row, and on a warm
 * path that read is the whole cost of a request (a round trip through the nw-proxy pair to
 * PostgreSQL, measured by bench/enclave.sh). Rows are kept here for key_row_ttl_ms (configure;
 * default NW_ENC_ROW_TTL_MS, 0 reads the database every time), at most NW_ENC_ROW_SLOTS, the
 * oldest replaced first.
 *
 * What a row holds is public (id, address, KMS ciphertext, ARN, disabled time): no secret lives
 * here. The only field that changes is disabled_ms: disable_key forgets the row in this
 * configuration at once, and another instance sees a disable within the TTL. Misses (key not
 * found) are never cached, so a key generated elsewhere signs at once.
 */
#include <string.h>

#include <nw/mem.h>
#include <nw/wire.h>

#include "enclave_int.h"

struct slot {
    uint64_t id_hash, addr_hash; /* 0: empty */
    int64_t expires_ms;
    struct nw_key_row row;
};

struct nw_enc_rows {
    pthread_mutex_t mu;
    int64_t ttl_ms;
    struct slot slots[NW_ENC_ROW_SLOTS];
};

/* FNV-1a, never 0 (0 marks an empty slot). */
static uint64_t text_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h == 0 ? 1 : h;
}

static void slot_clear(struct slot *s)
{
    nw_key_row_clear(&s->row);
    s->id_hash = s->addr_hash = 0;
    s->expires_ms = 0;
}

nw_err nw_enc_rows_new(struct nw_enc_rows **out, int64_t ttl_ms)
{
    *out = NULL;
    if (ttl_ms <= 0)
        return NW_OK; /* disabled: every lookup reads the database */
    struct nw_enc_rows *r = nw_calloc(1, sizeof(*r));
    if (r == NULL)
        return NW_ERR_NOMEM;
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        nw_free(r);
        return NW_ERR_NOMEM;
    }
    r->ttl_ms = ttl_ms;
    *out = r;
    return NW_OK;
}

void nw_enc_rows_free(struct nw_enc_rows *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < NW_ENC_ROW_SLOTS; i++)
        slot_clear(&r->slots[i]);
    (void)pthread_mutex_destroy(&r->mu);
    nw_free(r);
}

static bool copy_row(struct nw_key_row *dst, const struct nw_key_row *src)
{
    uint8_t *ct = nw_malloc(src->ciphertext_len);
    if (ct == NULL)
        return false;
    memcpy(ct, src->ciphertext, src->ciphertext_len);
    *dst = *src;
    dst->ciphertext = ct;
    return true;
}

bool nw_enc_rows_get(struct nw_enc_rows *r,
                     struct nw_key_row *row,
                     const char *id,
                     const char *addr)
{
    if (r == NULL)
        return false;
    uint64_t h = text_hash(id != NULL ? id : addr);
    int64_t now = nw_now_ms();
    bool hit = false;
    (void)pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < NW_ENC_ROW_SLOTS && !hit; i++) {
        struct slot *s = &r->slots[i];
        if ((id != NULL ? s->id_hash : s->addr_hash) != h)
            continue;
        if (strcmp(id != NULL ? s->row.id : s->row.address, id != NULL ? id : addr) != 0)
            continue;
        if (now >= s->expires_ms) {
            slot_clear(s);
            break;
        }
        hit = copy_row(row, &s->row);
    }
    (void)pthread_mutex_unlock(&r->mu);
    return hit;
}

void nw_enc_rows_put(struct nw_enc_rows *r, const struct nw_key_row *row)
{
    if (r == NULL || row->ciphertext == NULL || row->ciphertext_len == 0)
        return;
    uint64_t ih = text_hash(row->id), ah = text_hash(row->address);
    int64_t now = nw_now_ms();
    (void)pthread_mutex_lock(&r->mu);
    /* The same key's slot, else a free or expired one, else the one closest to expiry. */
    struct slot *victim = NULL, *oldest = &r->slots[0];
    for (size_t i = 0; i < NW_ENC_ROW_SLOTS; i++) {
        struct slot *s = &r->slots[i];
        if (s->id_hash == ih && strcmp(s->row.id, row->id) == 0) {
            victim = s;
            break;
        }
        if (victim == NULL && (s->id_hash == 0 || now >= s->expires_ms))
            victim = s;
        if (s->expires_ms < oldest->expires_ms)
            oldest = s;
    }
    if (victim == NULL)
        victim = oldest;
    slot_clear(victim);
    if (copy_row(&victim->row, row)) {
        victim->id_hash = ih;
        victim->addr_hash = ah;
        victim->expires_ms = now + r->ttl_ms;
    }
    (void)pthread_mutex_unlock(&r->mu);
}

void nw_enc_rows_forget(struct nw_enc_rows *r, const char *id)
{
    if (r == NULL)
        return;
    uint64_t h = text_hash(id);
    (void)pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < NW_ENC_ROW_SLOTS; i++)
        if (r->slots[i].id_hash == h && strcmp(r->slots[i].row.id, id) == 0)
            slot_clear(&r->slots[i]);
    (void)pthread_mutex_unlock(&r->mu);
}

/*
 * Shared inside libnwvault only: the vault's layout, the key cache and the KMS transports.
 */
#ifndef NW_VAULT_INT_H
#define NW_VAULT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <nw/addr.h>
#include <nw/kms.h>
#include <nw/vault.h>

/* ---- key cache (cache.c) ---------------------------------------------------------------- */

/*
 * One cached key. The whole table lives in locked, non-dumpable pages (nw_locked_alloc); a
 * slot is wiped as soon as it is evicted, expires, is forgotten or the cache is freed.
 *  lookup:  SHA-256 over (SHA-256(ciphertext), has_key_id, SHA-256(key_id)): the same
 *           ciphertext asked for under another key_id context is another entry, so it never
 *           hits (KMS would refuse it: the context is part of the ciphertext's AAD);
 *  ct_hash, kid_hash: for nw_vault_forget by ciphertext or by key id.
 */
struct nw_vault_slot {
    bool used;
    bool has_key_id;
    uint8_t lookup[32];
    uint8_t ct_hash[32];
    uint8_t kid_hash[32];
    struct nw_seckey key;
    uint8_t addr20[20];
    int64_t expires_ms; /* nw_now_ms clock */
    uint64_t last_use;  /* LRU tick */
};

struct nw_vault_cache {
    pthread_mutex_t lock;
    struct nw_vault_slot *slots; /* locked pages */
    size_t n_slots;
    size_t bytes; /* mapped size, for nw_locked_free */
    size_t used;
    uint64_t tick;
    int64_t ttl_ms; /* 0: disabled */
};

/* The digests that identify a (ciphertext, key_id) pair. */
struct nw_vault_ident {
    uint8_t lookup[32];
    uint8_t ct_hash[32];
    uint8_t kid_hash[32];
    bool has_key_id;
};

void nw_vault_ident(struct nw_vault_ident *id, struct nw_cur ciphertext, const char *key_id);

nw_err nw_vault_cache_init(struct nw_vault_cache *c, size_t max_keys, int64_t ttl_ms) NW_MUST_USE;
void nw_vault_cache_free(struct nw_vault_cache *c);

/* Copy a live entry into key/addr20 (refreshing its LRU tick). Returns true on a hit. */
bool nw_vault_cache_get(struct nw_vault_cache *c,
                        struct nw_seckey *key,
                        uint8_t addr20[20],
                        const struct nw_vault_ident *id,
                        int64_t now_ms);

/* Insert or replace, evicting the least recently used entry when full. No-op when disabled. */
void nw_vault_cache_put(struct nw_vault_cache *c,
                        const struct nw_vault_ident *id,
                        const struct nw_seckey *key,
                        const uint8_t addr20[20],
                        int64_t now_ms);

/* Wipe entries matching ct_hash (when ct is true) or kid_hash (when kid is true). */
void nw_vault_cache_forget(struct nw_vault_cache *c,
                           const uint8_t ct_hash[32],
                           const uint8_t kid_hash[32]);

/* Wipe expired entries. Returns the number of live entries. */
size_t nw_vault_cache_sweep(struct nw_vault_cache *c, int64_t now_ms);

/* ---- the vault -------------------------------------------------------------------------- */

/* A Recipient key pair with a reference count: a rotation never frees a key in use. */
struct nw_vault_rcp {
    struct nw_recipient *r;
    int refs; /* under nw_vault.rcp_lock */
};

struct nw_vault {
    enum nw_kms_mode mode;
    struct nw_addr kms;
    char kms_addr[NW_ADDR_TEXT_MAX];
    char region[64];
    char endpoint[300];   /* direct: https://kms_host */
    char ca_bundle[4096]; /* direct: "" for the system store */
    char nsm_addr[NW_ADDR_TEXT_MAX];
    int rotate_s;
    int kms_timeout_ms;
    struct nw_secp *secp;

    pthread_mutex_t nsm_lock;
    struct nw_nsm *nsm;

    pthread_mutex_t rcp_lock;
    struct nw_vault_rcp *rcp;

    /* housekeeping thread: rotation and cache expiry */
    pthread_mutex_t bg_lock;
    pthread_cond_t bg_cond;
    pthread_t bg;
    bool bg_started;
    bool bg_stop;

    /* relay mode: one persistent connection, reconnected on failure */
    pthread_mutex_t relay_lock;
    int relay_fd;
    uint64_t relay_next_id;

    struct nw_vault_cache cache;

    atomic_uint_fast64_t hits, misses, kms_calls, kms_errors, rotations;
};

/*
 * One KMS call with a Recipient in the vault's mode. creds: direct mode only. The answer's
 * KMS error (if any) is mapped: NW_ERR_KMS_DENIED, NW_ERR_KMS_UNAVAILABLE or
 * NW_ERR_DEADLINE_EXCEEDED, with the AWS error name in diag.
 */
nw_err nw_vault_kms_call(struct nw_vault *v,
                         struct nw_kms_result *res,
                         enum nw_kms_op op,
                         const struct nw_kms_request *req,
                         const struct nw_aws_creds *creds,
                         int64_t deadline_ms,
                         struct nw_diag *diag) NW_MUST_USE;

/* Close the relay connection (nw_vault_free). */
void nw_vault_relay_close(struct nw_vault *v);

/* The vault's class of a KMS failure: an AWS code (with its HTTP status) to DENIED/UNAVAILABLE. */
nw_err nw_vault_map_kms_error(nw_err aws_code);

#endif /* NW_VAULT_INT_H */

/*
 * Secrets Manager reads for nw-host, with a cache that never surprises the seed's flow.
 *
 * The seed's parent server reads the wallet secret on every request. We keep a value for
 * secret_ttl_ms (default 500 ms) so that a burst of requests for one secret costs one read, yet
 * `set_key` followed a second later by a signature always signs with the new key: no request
 * that starts more than the TTL after PutSecretValue can see the old value. When Secrets Manager
 * cannot be reached (transport errors, 5xx, throttling: the unavailable class), a cached value
 * up to secret_stale_s old is used instead and the event is logged and counted: the ciphertext
 * is still what the enclave can decrypt (or has cached). Refusals (not found, access denied)
 * are never papered over.
 *
 * Values are KMS ciphertexts in base64, not plaintext keys, but they are kept in secret buffers
 * all the same (the RDS secret read through here holds the database password).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <nw/mem.h>
#include <nw/secrets.h>
#include <nw/wire.h>

#include "host.h"

#define CACHE_MAX   64
#define CLIENTS_MAX 64

struct entry {
    char *id;
    struct nw_buf value;
    int64_t fetched_ms;
    uint64_t last_use;
};

struct nw_host_secrets {
    struct nw_host_ctx *ctx;
    pthread_mutex_t mu;
    struct entry e[CACHE_MAX];
    uint64_t tick;
    struct nw_aws_client *idle[CLIENTS_MAX];
    size_t n_idle;
};

nw_err nw_host_secrets_new(struct nw_host_secrets **out, struct nw_host_ctx *ctx)
{
    *out = nw_calloc(1, sizeof(**out));
    if (*out == NULL)
        return NW_ERR_NOMEM;
    (*out)->ctx = ctx;
    (void)pthread_mutex_init(&(*out)->mu, NULL);
    return NW_OK;
}

static void entry_clear(struct entry *e)
{
    nw_free(e->id);
    e->id = NULL;
    nw_buf_clear(&e->value);
    e->fetched_ms = 0;
}

void nw_host_secrets_free(struct nw_host_secrets *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < CACHE_MAX; i++)
        entry_clear(&s->e[i]);
    for (size_t i = 0; i < s->n_idle; i++)
        nw_aws_client_free(s->idle[i]);
    (void)pthread_mutex_destroy(&s->mu);
    nw_free(s);
}

/* A Secrets Manager client: an idle one, or a new one (clients are not thread-safe). */
static nw_err take_client(struct nw_host_secrets *s, struct nw_aws_client **c, struct nw_diag *d)
{
    (void)pthread_mutex_lock(&s->mu);
    *c = s->n_idle > 0 ? s->idle[--s->n_idle] : NULL;
    (void)pthread_mutex_unlock(&s->mu);
    if (*c != NULL)
        return NW_OK;
    return nw_host_aws_client(s->ctx, c, NW_AWS_SECRETS_MANAGER, d);
}

static void give_client(struct nw_host_secrets *s, struct nw_aws_client *c)
{
    (void)pthread_mutex_lock(&s->mu);
    if (s->n_idle < CLIENTS_MAX) {
        s->idle[s->n_idle++] = c;
        c = NULL;
    }
    (void)pthread_mutex_unlock(&s->mu);
    nw_aws_client_free(c);
}

static struct entry *find(struct nw_host_secrets *s, const char *id)
{
    for (size_t i = 0; i < CACHE_MAX; i++)
        if (s->e[i].id != NULL && strcmp(s->e[i].id, id) == 0)
            return &s->e[i];
    return NULL;
}

/* Copy a cached value out when it is younger than max_age_ms. Call under s->mu. */
static bool copy_if_fresh(
    struct nw_host_secrets *s, struct nw_buf *out, const char *id, int64_t max_age_ms, bool *nomem)
{
    struct entry *e = find(s, id);
    if (e == NULL || max_age_ms <= 0 || nw_now_ms() - e->fetched_ms >= max_age_ms)
        return false;
    e->last_use = ++s->tick;
    *nomem = nw_buf_append(out, e->value.ptr, e->value.len) != NW_OK;
    return true;
}

static void store(struct nw_host_secrets *s, const char *id, struct nw_cur value)
{
    (void)pthread_mutex_lock(&s->mu);
    struct entry *e = find(s, id);
    if (e == NULL) {
        e = &s->e[0];
        for (size_t i = 0; i < CACHE_MAX; i++) {
            if (s->e[i].id == NULL) {
                e = &s->e[i];
                break;
            }
            if (s->e[i].last_use < e->last_use)
                e = &s->e[i];
        }
        entry_clear(e);
        size_t n = strlen(id);
        e->id = nw_malloc(n + 1);
        if (e->id != NULL)
            memcpy(e->id, id, n + 1);
    }
    nw_buf_clear(&e->value);
    nw_buf_init(&e->value, value.len + 1, true);
    if (e->id == NULL || nw_buf_append(&e->value, value.ptr, value.len) != NW_OK)
        entry_clear(e);
    else {
        e->fetched_ms = nw_now_ms();
        e->last_use = ++s->tick;
    }
    (void)pthread_mutex_unlock(&s->mu);
}

/* GetSecretValue (AWSCURRENT) into out. */
static nw_err
fetch(struct nw_host_secrets *s, struct nw_buf *out, const char *id, struct nw_diag *d)
{
    struct nw_aws_client *c = NULL;
    struct nw_aws_error ae;
    struct nw_sm_result r;
    nw_aws_error_reset(&ae);
    NW_TRY(take_client(s, &c, d));
    nw_sm_result_init(&r);
    struct nw_sm_request q = {.secret_id = id};
    nw_err err = nw_sm_get_secret_value(c, &r, &q, &ae);
    give_client(s, c);
    if (err != NW_OK)
        nw_diag_set(d, err, "Secrets Manager GetSecretValue: %s%s%s",
                    ae.name[0] ? ae.name : nw_err_code(err), ae.message[0] ? ": " : "", ae.message);
    else if (!r.has_string)
        err = nw_diag_set(d, NW_ERR_SECRET_FORMAT, "the secret has no SecretString");
    else
        err = nw_buf_append(out, r.secret_string.ptr, r.secret_string.len);
    nw_sm_result_clear(&r);
    return err;
}

nw_err nw_host_secret_get(struct nw_host_secrets *s,
                          struct nw_buf *out,
                          const char *secret_id,
                          bool fresh,
                          struct nw_diag *diag)
{
    const struct nw_host_config *cfg = s->ctx->cfg;
    bool nomem = false, hit = false;
    size_t start = out->len;
    if (!fresh) {
        (void)pthread_mutex_lock(&s->mu);
        hit = copy_if_fresh(s, out, secret_id, cfg->secret_ttl_ms, &nomem);
        (void)pthread_mutex_unlock(&s->mu);
        if (hit) {
            nw_host_metrics_secret(s->ctx->metrics, "hit");
            return nomem ? NW_ERR_NOMEM : NW_OK;
        }
    }
    nw_err err = fetch(s, out, secret_id, diag);
    if (err == NW_OK) {
        nw_host_metrics_secret(s->ctx->metrics, "miss");
        store(s, secret_id, (struct nw_cur){out->ptr + start, out->len - start});
        return NW_OK;
    }
    out->len = start;
    if (nw_err_class(err) == NW_ERR_CLASS_UNAVAILABLE && cfg->secret_stale_s > 0) {
        (void)pthread_mutex_lock(&s->mu);
        hit = copy_if_fresh(s, out, secret_id, (int64_t)cfg->secret_stale_s * 1000, &nomem);
        (void)pthread_mutex_unlock(&s->mu);
        if (hit) {
            nw_host_metrics_secret(s->ctx->metrics, "stale");
            nw_log(NW_LOG_WARN, "secret_stale", "code", nw_err_code(err), NULL);
            return nomem ? NW_ERR_NOMEM : NW_OK;
        }
    }
    nw_host_metrics_secret(s->ctx->metrics, "error");
    return err;
}

void nw_host_secret_forget(struct nw_host_secrets *s, const char *secret_id)
{
    (void)pthread_mutex_lock(&s->mu);
    struct entry *e = find(s, secret_id);
    if (e != NULL)
        entry_clear(e);
    (void)pthread_mutex_unlock(&s->mu);
}

nw_err nw_host_credentials(struct nw_host_ctx *ctx, struct nw_aws_creds *out, struct nw_diag *diag)
{
    struct nw_aws_error ae;
    nw_aws_error_reset(&ae);
    nw_err err = nw_aws_creds_provider_get(ctx->creds, out, (int64_t)time(NULL), &ae);
    if (err != NW_OK)
        nw_diag_set(diag, err, "instance credentials: %s", ae.name[0] ? ae.name : nw_err_code(err));
    return err;
}

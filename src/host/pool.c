/*
 * The pool of persistent enclave connections (DESIGN.md section 3: many requests per connection,
 * answered in order). Each connection carries one request at a time; a caller takes a free one,
 * writes its frame, reads the answer and gives it back, so the pool size bounds the requests in
 * flight towards the enclave.
 *
 * Connections are made lazily and made again after any transport failure. Every new connection
 * is checked before use: `health` tells whether the enclave process behind it is configured and
 * which instance it is; if it is not the instance nw-host configured (the enclave restarted, or
 * this is the first connection), `configure` is sent (region, KMS mode, database settings read
 * from the RDS secret at that moment). So an enclave that restarted is configured again by
 * whichever request reaches it first, without restarting nw-host, while the other connections
 * to a running enclave do not re-send it: a configure builds a new vault in the enclave (a new
 * Recipient RSA key, an empty key cache), which must not happen because a connection was
 * re-made. Checks are serialized, so eight connections opened at once configure once. A refused
 * configure (database down) is retried at most once a second; requests in between get the
 * enclave's not_configured. While the enclave cannot be reached, connect attempts back off
 * (50 ms doubling to 1 s) and requests in between fail at once with enclave_unavailable instead
 * of piling up on a dead address.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nw/addr.h>
#include <nw/mem.h>
#include <nw/wire.h>

#include "host.h"

struct conn {
    int fd;
    bool busy;
    bool checked; /* health said: configured by us (this enclave instance) */
    uint64_t uses;
};

struct nw_host_pool {
    struct nw_host_ctx *ctx;
    struct nw_addr addr;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_mutex_t check_mu;   /* serializes health+configure checks */
    char instance[64];          /* the enclave instance we configured (under check_mu) */
    int64_t configure_after_ms; /* earliest retry of a refused configure (under check_mu) */
    unsigned n;
    struct conn *c;
    int64_t down_until_ms;
    int backoff_ms;
    struct nw_host_pool_stats st;
};

static void timespec_at(struct timespec *ts, int64_t deadline_ms)
{
    /* The condition variable runs on CLOCK_MONOTONIC, like nw_now_ms. */
    ts->tv_sec = (time_t)(deadline_ms / 1000);
    ts->tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
}

nw_err nw_host_pool_new(struct nw_host_pool **out, struct nw_host_ctx *ctx)
{
    *out = NULL;
    struct nw_host_pool *p = nw_calloc(1, sizeof(*p));
    if (p == NULL)
        return NW_ERR_NOMEM;
    p->ctx = ctx;
    p->n = ctx->cfg->pool_size;
    nw_err err = nw_addr_parse(&p->addr, ctx->cfg->enclave);
    if (err != NW_OK) {
        nw_free(p);
        return err;
    }
    p->c = nw_calloc(p->n, sizeof(*p->c));
    if (p->c == NULL) {
        nw_free(p);
        return NW_ERR_NOMEM;
    }
    for (unsigned i = 0; i < p->n; i++)
        p->c[i].fd = -1;
    pthread_condattr_t ca;
    (void)pthread_condattr_init(&ca);
    (void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    (void)pthread_cond_init(&p->cv, &ca);
    (void)pthread_condattr_destroy(&ca);
    (void)pthread_mutex_init(&p->mu, NULL);
    (void)pthread_mutex_init(&p->check_mu, NULL);
    p->st.size = p->n;
    *out = p;
    return NW_OK;
}

void nw_host_pool_free(struct nw_host_pool *p)
{
    if (p == NULL)
        return;
    for (unsigned i = 0; i < p->n; i++)
        if (p->c[i].fd >= 0)
            (void)close(p->c[i].fd);
    (void)pthread_cond_destroy(&p->cv);
    (void)pthread_mutex_destroy(&p->mu);
    (void)pthread_mutex_destroy(&p->check_mu);
    nw_free(p->c);
    nw_free(p);
}

/* Take a free connection (an open one if any) before deadline_ms. */
static nw_err acquire(struct nw_host_pool *p, struct conn **out, int64_t deadline_ms)
{
    struct timespec ts;
    timespec_at(&ts, deadline_ms);
    (void)pthread_mutex_lock(&p->mu);
    for (;;) {
        struct conn *pick = NULL;
        for (unsigned i = 0; i < p->n; i++) {
            if (p->c[i].busy)
                continue;
            if (pick == NULL || (pick->fd < 0 && p->c[i].fd >= 0))
                pick = &p->c[i];
        }
        if (pick != NULL) {
            pick->busy = true;
            p->st.busy++;
            *out = pick;
            (void)pthread_mutex_unlock(&p->mu);
            return NW_OK;
        }
        if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) == ETIMEDOUT) {
            (void)pthread_mutex_unlock(&p->mu);
            return NW_ERR_OVERLOADED;
        }
    }
}

static void release(struct nw_host_pool *p, struct conn *c)
{
    (void)pthread_mutex_lock(&p->mu);
    c->busy = false;
    p->st.busy--;
    (void)pthread_cond_signal(&p->cv);
    (void)pthread_mutex_unlock(&p->mu);
}

static void drop(struct nw_host_pool *p, struct conn *c)
{
    if (c->fd >= 0) {
        (void)close(c->fd);
        c->fd = -1;
        (void)pthread_mutex_lock(&p->mu);
        p->st.open--;
        (void)pthread_mutex_unlock(&p->mu);
    }
    c->checked = false;
    c->uses = 0;
}

/* Serialize v into b (a secret buffer: requests may carry credentials or a DB password). */
static nw_err dump(struct nw_buf *b, const json_t *v)
{
    size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT);
    if (n == 0)
        return NW_ERR_NOMEM;
    NW_TRY(nw_buf_reserve(b, n));
    if (json_dumpb(v, (char *)b->ptr + b->len, n, JSON_COMPACT) != n)
        return NW_ERR_INTERNAL;
    b->len += n;
    return NW_OK;
}

/*
 * One request/answer exchange on c. Transport failures return NW_ERR_ENCLAVE_UNAVAILABLE (or
 * NW_ERR_DEADLINE_EXCEEDED) and leave the connection to be dropped; an answer that is no
 * section 3 answer for this id is NW_ERR_ENCLAVE_PROTOCOL.
 */
static nw_err exchange(struct nw_host_pool *p,
                       struct conn *c,
                       json_t **answer,
                       const json_t *req,
                       int64_t deadline_ms,
                       struct nw_diag *diag)
{
    struct nw_buf b;
    nw_err err;
    *answer = NULL;
    nw_buf_init(&b, NW_WIRE_MAX_FRAME, true);
    NW_CHECK(dump(&b, req));
    err = nw_wire_write(c->fd, nw_buf_cur(&b), deadline_ms);
    b.len = 0;
    if (err == NW_OK)
        err = nw_wire_read(c->fd, &b, NW_WIRE_MAX_FRAME, deadline_ms);
    if (err != NW_OK) {
        (void)pthread_mutex_lock(&p->mu);
        p->st.io_errors++;
        (void)pthread_mutex_unlock(&p->mu);
        nw_diag_set(diag, err, "enclave connection: %s", nw_err_code(err));
        err = err == NW_ERR_TIMEOUT ? NW_ERR_DEADLINE_EXCEEDED : NW_ERR_ENCLAVE_UNAVAILABLE;
        goto out;
    }
    json_error_t je;
    *answer = json_loadb((const char *)b.ptr, b.len, JSON_REJECT_DUPLICATES, &je);
    if (*answer == NULL || !json_is_object(*answer) ||
        !json_equal(json_object_get(*answer, "id"), json_object_get(req, "id")) ||
        !json_is_boolean(json_object_get(*answer, "ok"))) {
        json_decref(*answer);
        *answer = NULL;
        err = nw_diag_set(diag, NW_ERR_ENCLAVE_PROTOCOL, "the enclave's answer is malformed");
    }
out:
    nw_buf_clear(&b);
    return err;
}

/* The enclave's answer to a call: the result, or its error code and message. */
static nw_err unwrap(json_t *answer, json_t **result, struct nw_diag *diag)
{
    if (json_is_true(json_object_get(answer, "ok"))) {
        json_t *r = json_object_get(answer, "result");
        *result = r != NULL ? json_incref(r) : json_object();
        return *result != NULL ? NW_OK : NW_ERR_NOMEM;
    }
    json_t *e = json_object_get(answer, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    nw_err err = code != NULL ? nw_host_err_by_code(code) : NW_ERR_ENCLAVE_PROTOCOL;
    if (err == NW_OK)
        err = NW_ERR_ENCLAVE_PROTOCOL;
    nw_diag_set(diag, err, "%.200s", msg != NULL ? msg : nw_err_str(err));
    return err;
}

/* Open c when closed; returns NW_ERR_ENCLAVE_UNAVAILABLE while connecting backs off. */
static nw_err open_conn(struct nw_host_pool *p, struct conn *c, struct nw_diag *diag)
{
    int64_t now = nw_now_ms();
    (void)pthread_mutex_lock(&p->mu);
    bool down = now < p->down_until_ms;
    (void)pthread_mutex_unlock(&p->mu);
    if (down)
        return nw_diag_set(diag, NW_ERR_ENCLAVE_UNAVAILABLE, "the enclave is not answering");
    int fd = -1;
    nw_err e = nw_net_connect(&p->addr, p->ctx->cfg->connect_timeout_ms, &fd);
    (void)pthread_mutex_lock(&p->mu);
    if (e != NW_OK) {
        p->st.connect_failures++;
        p->backoff_ms = p->backoff_ms == 0 ? 50 : p->backoff_ms * 2;
        if (p->backoff_ms > 1000)
            p->backoff_ms = 1000;
        p->down_until_ms = now + p->backoff_ms;
    } else {
        p->st.connects++;
        p->st.open++;
        p->backoff_ms = 0;
        p->down_until_ms = 0;
    }
    (void)pthread_mutex_unlock(&p->mu);
    if (e != NW_OK)
        return nw_diag_set(diag, NW_ERR_ENCLAVE_UNAVAILABLE, "cannot connect to the enclave (%s)",
                           nw_err_code(e));
    c->fd = fd;
    c->checked = false;
    c->uses = 0;
    return NW_OK;
}

/* One op on c without retries; transport failures drop c. */
static nw_err simple_call(struct nw_host_pool *p,
                          struct conn *c,
                          json_t **result,
                          const char *op,
                          json_t *fields,
                          int64_t deadline_ms,
                          struct nw_diag *d)
{
    json_t *answer = NULL;
    *result = NULL;
    if (fields == NULL || json_object_set_new(fields, "v", json_integer(1)) != 0 ||
        json_object_set_new(fields, "id", json_string(op)) != 0 ||
        json_object_set_new(fields, "op", json_string(op)) != 0) {
        json_decref(fields);
        return NW_ERR_NOMEM;
    }
    nw_err err = exchange(p, c, &answer, fields, deadline_ms, d);
    json_decref(fields); /* configure holds the DB password: freed through the wiping allocator */
    if (err != NW_OK) {
        drop(p, c);
        return err;
    }
    err = unwrap(answer, result, d);
    json_decref(answer);
    return err;
}

static nw_err
send_configure(struct nw_host_pool *p, struct conn *c, int64_t deadline_ms, const char *instance)
{
    json_t *req = NULL, *result = NULL;
    struct nw_diag d;
    memset(&d, 0, sizeof(d));
    nw_err err = nw_host_configure_request(p->ctx, &req, &d);
    if (err == NW_OK)
        err = simple_call(p, c, &result, "configure", req, deadline_ms, &d);
    json_decref(result);
    (void)pthread_mutex_lock(&p->mu);
    if (err == NW_OK)
        p->st.configures++;
    else
        p->st.configure_failures++;
    (void)pthread_mutex_unlock(&p->mu);
    if (err == NW_OK) {
        (void)snprintf(p->instance, sizeof(p->instance), "%s", instance);
        c->checked = true;
        nw_log(NW_LOG_INFO, "enclave_configured", "enclave", p->ctx->cfg->enclave, "instance",
               instance, NULL);
    } else {
        p->configure_after_ms = nw_now_ms() + 1000;
        nw_log(NW_LOG_WARN, "enclave_configure_failed", "code", nw_err_code(err), "message", d.msg,
               NULL);
    }
    return err;
}

/*
 * Make c usable: open it, then check (once per connection) that the enclave behind it is the
 * instance we configured, configuring it when not. A refused configure still returns NW_OK:
 * the request goes on and the enclave answers it (not_configured, or health).
 */
static nw_err
ensure_ready(struct nw_host_pool *p, struct conn *c, int64_t deadline_ms, struct nw_diag *diag)
{
    if (c->fd < 0)
        NW_TRY(open_conn(p, c, diag));
    if (c->checked)
        return NW_OK;
    (void)pthread_mutex_lock(&p->check_mu);
    json_t *h = NULL;
    struct nw_diag d;
    memset(&d, 0, sizeof(d));
    nw_err err = simple_call(p, c, &h, "health", json_object(), deadline_ms, &d);
    if (err == NW_ERR_ENCLAVE_UNAVAILABLE || err == NW_ERR_DEADLINE_EXCEEDED ||
        err == NW_ERR_ENCLAVE_PROTOCOL) {
        (void)pthread_mutex_unlock(&p->check_mu);
        return nw_diag_set(diag, err, "%s", d.msg);
    }
    char instance[64];
    (void)snprintf(instance, sizeof(instance), "%s",
                   err == NW_OK && json_is_string(json_object_get(h, "instance"))
                       ? json_string_value(json_object_get(h, "instance"))
                       : "");
    bool configured = err == NW_OK && json_is_true(json_object_get(h, "configured"));
    json_decref(h);
    if (configured && instance[0] != '\0' && strcmp(instance, p->instance) == 0)
        c->checked = true;
    else if (nw_now_ms() >= p->configure_after_ms)
        (void)send_configure(p, c, deadline_ms, instance);
    (void)pthread_mutex_unlock(&p->check_mu);
    return c->fd >= 0 ? NW_OK
                      : nw_diag_set(diag, NW_ERR_ENCLAVE_UNAVAILABLE,
                                    "the enclave closed the "
                                    "connection");
}

/* Ops that are safe to send twice when a reused connection broke mid-call. */
static bool retryable(const char *op)
{
    return strcmp(op, "generate_key") != 0;
}

static nw_err call_once(struct nw_host_pool *p,
                        json_t **result,
                        const json_t *req,
                        int64_t deadline_ms,
                        bool *again,
                        struct nw_diag *diag)
{
    struct conn *c = NULL;
    json_t *answer = NULL;
    *again = false;
    nw_err err = acquire(p, &c, deadline_ms);
    if (err != NW_OK)
        return nw_diag_set(diag, err, "all %u enclave connections are busy", p->n);
    err = ensure_ready(p, c, deadline_ms, diag);
    if (err == NW_OK) {
        bool reused = c->uses > 0;
        err = exchange(p, c, &answer, req, deadline_ms, diag);
        if (err == NW_ERR_ENCLAVE_UNAVAILABLE || err == NW_ERR_ENCLAVE_PROTOCOL ||
            err == NW_ERR_DEADLINE_EXCEEDED) {
            /* The stream is out of step (or gone): never reuse it. */
            drop(p, c);
            *again = reused && err == NW_ERR_ENCLAVE_UNAVAILABLE;
        } else {
            c->uses++;
        }
    }
    release(p, c);
    if (err == NW_OK) {
        err = unwrap(answer, result, diag);
        json_decref(answer);
    }
    return err;
}

nw_err nw_host_pool_call(struct nw_host_pool *p,
                         json_t **result,
                         const char *op,
                         json_t *req,
                         const char *request_id,
                         struct nw_diag *diag)
{
    *result = NULL;
    int64_t deadline_ms = nw_deadline_ms(p->ctx->cfg->enclave_timeout_ms);
    json_t *frame = json_copy(req);
    if (frame == NULL || json_object_set_new(frame, "v", json_integer(1)) != 0 ||
        json_object_set_new(frame, "id", json_string(request_id)) != 0 ||
        json_object_set_new(frame, "op", json_string(op)) != 0) {
        json_decref(frame);
        return NW_ERR_NOMEM;
    }
    (void)pthread_mutex_lock(&p->mu);
    p->st.calls++;
    (void)pthread_mutex_unlock(&p->mu);
    bool again = false;
    nw_err err = call_once(p, result, frame, deadline_ms, &again, diag);
    if (again && retryable(op)) {
        /* A reused connection died under us (the enclave restarted): one fresh attempt. */
        (void)pthread_mutex_lock(&p->mu);
        p->st.retries++;
        (void)pthread_mutex_unlock(&p->mu);
        err = call_once(p, result, frame, deadline_ms, &again, diag);
    }
    json_decref(frame);
    return err;
}

void nw_host_pool_stats(struct nw_host_pool *p, struct nw_host_pool_stats *out)
{
    (void)pthread_mutex_lock(&p->mu);
    *out = p->st;
    (void)pthread_mutex_unlock(&p->mu);
}

/*
 * Counters and latency histograms for GET /metrics (Prometheus text format 0.0.4). Label values
 * are route names, error codes, KMS targets and cache outcomes: a small, bounded set (codes come
 * from the error table, targets from the relay's allowlist), kept in fixed tables under one
 * mutex. Nothing here ever holds request data.
 */
#include <stdio.h>
#include <string.h>

#include <nw/mem.h>

#include "host.h"

#define COUNTERS_MAX 512
#define ROUTES_MAX   32
#define LABEL_MAX    48

enum family { NW_HOST_FAM_REQUESTS, NW_HOST_FAM_RELAY, NW_HOST_FAM_SECRET };

static const char *const family_name[] = {"nw_host_requests_total", "nw_host_kms_relay_calls_total",
                                          "nw_host_secret_cache_total"};
static const char *const family_help[] = {
    "HTTP requests by route and outcome code",
    "KMS relay calls from the enclave by target and outcome",
    "Secrets Manager cache lookups by outcome (hit, miss, stale, error)"};
static const char *const family_l1[] = {"route", "target", "outcome"};
static const char *const family_l2[] = {"code", "outcome", NULL};

/* Upper bounds of the latency buckets, in microseconds. */
static const int64_t bucket_us[] = {250,   500,   1000,   2000,   5000,    10000,
                                    25000, 50000, 100000, 250000, 1000000, 5000000};
#define N_BUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

struct counter {
    enum family fam;
    char l1[LABEL_MAX];
    char l2[LABEL_MAX];
    uint64_t n;
};

struct hist {
    char route[LABEL_MAX];
    uint64_t b[N_BUCKETS];
    uint64_t count;
    int64_t sum_us;
};

struct nw_host_metrics {
    pthread_mutex_t mu;
    struct counter c[COUNTERS_MAX];
    size_t n_c;
    struct hist h[ROUTES_MAX];
    size_t n_h;
};

nw_err nw_host_metrics_new(struct nw_host_metrics **out)
{
    *out = nw_calloc(1, sizeof(**out));
    if (*out == NULL)
        return NW_ERR_NOMEM;
    (void)pthread_mutex_init(&(*out)->mu, NULL);
    return NW_OK;
}

void nw_host_metrics_free(struct nw_host_metrics *m)
{
    if (m == NULL)
        return;
    (void)pthread_mutex_destroy(&m->mu);
    nw_free(m);
}

/* Count one event; call under m->mu. Beyond the table's size events are dropped. */
static void bump(struct nw_host_metrics *m, enum family f, const char *l1, const char *l2)
{
    l2 = l2 != NULL ? l2 : "";
    for (size_t i = 0; i < m->n_c; i++) {
        struct counter *c = &m->c[i];
        if (c->fam == f && strcmp(c->l1, l1) == 0 && strcmp(c->l2, l2) == 0) {
            c->n++;
            return;
        }
    }
    if (m->n_c == COUNTERS_MAX)
        return;
    struct counter *c = &m->c[m->n_c++];
    c->fam = f;
    (void)snprintf(c->l1, sizeof(c->l1), "%s", l1);
    (void)snprintf(c->l2, sizeof(c->l2), "%s", l2);
    c->n = 1;
}

void nw_host_metrics_request(struct nw_host_metrics *m,
                             const char *route,
                             const char *code,
                             int64_t duration_us)
{
    (void)pthread_mutex_lock(&m->mu);
    bump(m, NW_HOST_FAM_REQUESTS, route, code);
    struct hist *h = NULL;
    for (size_t i = 0; i < m->n_h && h == NULL; i++)
        if (strcmp(m->h[i].route, route) == 0)
            h = &m->h[i];
    if (h == NULL && m->n_h < ROUTES_MAX) {
        h = &m->h[m->n_h++];
        (void)snprintf(h->route, sizeof(h->route), "%s", route);
    }
    if (h != NULL) {
        for (size_t i = 0; i < N_BUCKETS; i++)
            if (duration_us <= bucket_us[i])
                h->b[i]++;
        h->count++;
        h->sum_us += duration_us;
    }
    (void)pthread_mutex_unlock(&m->mu);
}

void nw_host_metrics_relay(struct nw_host_metrics *m, const char *target, const char *outcome)
{
    (void)pthread_mutex_lock(&m->mu);
    bump(m, NW_HOST_FAM_RELAY, target, outcome);
    (void)pthread_mutex_unlock(&m->mu);
}

void nw_host_metrics_secret(struct nw_host_metrics *m, const char *outcome)
{
    (void)pthread_mutex_lock(&m->mu);
    bump(m, NW_HOST_FAM_SECRET, outcome, NULL);
    (void)pthread_mutex_unlock(&m->mu);
}

static nw_err render_counters(struct nw_host_metrics *m, struct nw_buf *out)
{
    for (size_t f = 0; f < NW_ARRAY_LEN(family_name); f++) {
        NW_TRY(nw_buf_appendf(out, "# HELP %s %s\n# TYPE %s counter\n", family_name[f],
                              family_help[f], family_name[f]));
        for (size_t i = 0; i < m->n_c; i++) {
            const struct counter *c = &m->c[i];
            if ((size_t)c->fam != f)
                continue;
            if (family_l2[f] != NULL)
                NW_TRY(nw_buf_appendf(out, "%s{%s=\"%s\",%s=\"%s\"} %llu\n", family_name[f],
                                      family_l1[f], c->l1, family_l2[f], c->l2,
                                      (unsigned long long)c->n));
            else
                NW_TRY(nw_buf_appendf(out, "%s{%s=\"%s\"} %llu\n", family_name[f], family_l1[f],
                                      c->l1, (unsigned long long)c->n));
        }
    }
    return NW_OK;
}

static nw_err render_histograms(struct nw_host_metrics *m, struct nw_buf *out)
{
    static const char name[] = "nw_host_request_duration_seconds";
    NW_TRY(nw_buf_appendf(out, "# HELP %s HTTP request latency by route\n# TYPE %s histogram\n",
                          name, name));
    for (size_t i = 0; i < m->n_h; i++) {
        const struct hist *h = &m->h[i];
        for (size_t b = 0; b < N_BUCKETS; b++)
            NW_TRY(nw_buf_appendf(out, "%s_bucket{route=\"%s\",le=\"%g\"} %llu\n", name, h->route,
                                  (double)bucket_us[b] / 1e6, (unsigned long long)h->b[b]));
        NW_TRY(nw_buf_appendf(out, "%s_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", name, h->route,
                              (unsigned long long)h->count));
        NW_TRY(nw_buf_appendf(out, "%s_sum{route=\"%s\"} %.6f\n%s_count{route=\"%s\"} %llu\n", name,
                              h->route, (double)h->sum_us / 1e6, name, h->route,
                              (unsigned long long)h->count));
    }
    return NW_OK;
}

nw_err nw_host_metrics_render(struct nw_host_metrics *m, struct nw_buf *out)
{
    (void)pthread_mutex_lock(&m->mu);
    nw_err err = render_counters(m, out);
    if (err == NW_OK)
        err = render_histograms(m, out);
    (void)pthread_mutex_unlock(&m->mu);
    return err;
}

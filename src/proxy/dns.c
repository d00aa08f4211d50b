/*
 * Name resolution off the event loop: a few threads run the blocking resolver (getaddrinfo via
 * nw_addr_resolve) and hand each finished job to its owner's callback, which queues it and wakes
 * the owning event loop. glibc's getaddrinfo shows no TTL, so callers bound the cache themselves.
 */
#include "dns.h"

#include <pthread.h>
#include <stdlib.h>

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct nw_dns_job *head, *tail;
    bool stop;
    pthread_t th[NW_DNS_THREADS];
    unsigned nth;
    nw_dns_done_fn done;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *resolver_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&pool.mu);
        while (pool.head == NULL && !pool.stop)
            pthread_cond_wait(&pool.cv, &pool.mu);
        struct nw_dns_job *j = pool.head;
        if (j == NULL) {
            pthread_mutex_unlock(&pool.mu);
            return NULL;
        }
        pool.head = j->next;
        if (pool.head == NULL)
            pool.tail = NULL;
        pthread_mutex_unlock(&pool.mu);
        j->next = NULL;
        j->err = nw_addr_resolve(&j->target, j->family, j->ss, j->lens, NW_ARRAY_LEN(j->ss), &j->n);
        pool.done(j);
    }
}

nw_err nw_dns_start(unsigned threads, nw_dns_done_fn done)
{
    pool.done = done;
    pool.stop = false;
    if (threads > NW_DNS_THREADS)
        threads = NW_DNS_THREADS;
    for (pool.nth = 0; pool.nth < threads; pool.nth++) {
        if (pthread_create(&pool.th[pool.nth], NULL, resolver_main, NULL) != 0) {
            nw_dns_stop();
            return NW_ERR_NOMEM;
        }
    }
    return NW_OK;
}

void nw_dns_submit(struct nw_dns_job *j)
{
    pthread_mutex_lock(&pool.mu);
    j->next = NULL;
    if (pool.tail != NULL)
        pool.tail->next = j;
    else
        pool.head = j;
    pool.tail = j;
    pthread_cond_signal(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
}

void nw_dns_stop(void)
{
    pthread_mutex_lock(&pool.mu);
    pool.stop = true;
    /* Jobs never started are finished as cancelled so their owners can free them. */
    struct nw_dns_job *j = pool.head;
    pool.head = pool.tail = NULL;
    pthread_cond_broadcast(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
    while (j != NULL) {
        struct nw_dns_job *next = j->next;
        j->err = NW_ERR_INTERNAL;
        pool.done(j);
        j = next;
    }
    for (unsigned i = 0; i < pool.nth; i++)
        pthread_join(pool.th[i], NULL);
    pool.nth = 0;
}

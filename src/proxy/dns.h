/*
 * Asynchronous name resolution for nw-proxy's event loops (see dns.c).
 */
#ifndef NW_PROXY_DNS_H
#define NW_PROXY_DNS_H

#include <stddef.h>

#include <nw/addr.h>
#include <nw/err.h>

#define NW_DNS_THREADS 4

struct nw_dns_job {
    struct nw_dns_job *next;
    void *owner; /* the event loop that asked */
    size_t route;
    struct nw_addr target;
    int family;
    /* results */
    nw_err err;
    struct sockaddr_storage ss[8];
    socklen_t lens[8];
    size_t n;
};

/* Called on a resolver thread with a finished job (or NW_ERR_INTERNAL when cancelled). */
typedef void (*nw_dns_done_fn)(struct nw_dns_job *job);

/* Start up to NW_DNS_THREADS resolver threads. Returns NW_OK or NW_ERR_NOMEM. */
nw_err nw_dns_start(unsigned threads, nw_dns_done_fn done) NW_MUST_USE;

/* Queue a job; the caller owns it again when done() is called. */
void nw_dns_submit(struct nw_dns_job *j) NW_NONNULL(1);

/* Cancel queued jobs (done() is called for each), then join the threads. */
void nw_dns_stop(void);

#endif /* NW_PROXY_DNS_H */

/*
 * nw-proxy relay internals shared by relay.c (the data path and worker loop) and run.c (set-up,
 * signals, statistics). See relay.c for the design.
 */
#ifndef NW_PROXY_RELAY_INT_H
#define NW_PROXY_RELAY_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns.h"
#include "proxy.h"

#define SCRATCH_SIZE ((size_t)64 * 1024) /* per worker: small messages are copied through it */
#define BULK_MIN                                                                 \
 ((ssize_t)16 * 1024) /* splices smaller than this return a direction to copying \
                       */
#define PIPE_POOL_MAX 64
#define ACCEPT_BATCH  64
#define EVENTS_MAX    256

enum ev_kind { NW_EV_LISTEN = 1, NW_EV_WAKE, NW_EV_SIDE };

struct listener {
    enum ev_kind kind;
    int fd;
    size_t route;
};

struct conn;

struct side {
    enum ev_kind kind;
    int fd;
    bool in, out;
    bool drains; /* a short read empties the socket (tcp, unix) */
    bool hup;    /* EOF or an error was signalled: read on until read says so */
    struct conn *c;
};

struct dir {
    struct side *src, *dst;
    int pipe[2];
    uint8_t *buf; /* overflow: what dst did not take from one read, else NULL */
    size_t queued, off;
    bool in_pipe;  /* queued bytes are in the pipe (else in buf) */
    bool bulk;     /* next read splices */
    bool nosplice; /* the source cannot splice (EINVAL) */
    bool eof, done;
    uint64_t bytes;
};

enum conn_state { NW_CS_RESOLVE, NW_CS_CONNECT, NW_CS_RELAY, NW_CS_CLOSED };

struct conn {
    struct conn *prev, *next, *wnext;
    struct worker *w;
    size_t route;
    uint64_t id;
    enum conn_state st;
    struct side a, b;
    struct dir up, down;
    struct sockaddr_storage addrs[NW_PROXY_ADDRS_MAX];
    socklen_t lens[NW_PROXY_ADDRS_MAX];
    size_t naddrs, next_addr;
    int last_errno;
    uint64_t t_start, t_last, deadline;
    char peer[NW_ADDR_TEXT_MAX];
};

/* A worker's cache of one route's resolved target. */
struct dns_entry {
    bool pending;
    uint64_t expires;
    struct sockaddr_storage ss[NW_PROXY_ADDRS_MAX];
    socklen_t lens[NW_PROXY_ADDRS_MAX];
    size_t n;
    struct conn *waiters;
};

struct worker {
    struct proxy *px;
    int epfd;
    struct listener wake; /* eventfd */
    pthread_t th;
    struct conn *conns, *zombies;
    size_t nconns;
    int pipes[PIPE_POOL_MAX][2];
    size_t npipes;
    struct dns_entry dns[NW_PROXY_ROUTES_MAX];
    uint8_t scratch[SCRATCH_SIZE];
    pthread_mutex_t mu; /* guards done */
    struct nw_dns_job *done;
    uint64_t now, next_sweep, limit_logged;
    int spare_fd; /* held for refusing connections when descriptors run out */
    bool drain_seen;
};

/* What every close is counted as; stats print these names. */
enum reason {
    NW_R_EOF,
    NW_R_RESET,
    NW_R_RESOLVE,
    NW_R_CONNECT,
    NW_R_DENIED,
    NW_R_TIMEOUT,
    NW_R_IDLE,
    NW_R_DRAIN,
    NW_R_NOMEM
};
#define NW_PROXY_REASONS 9
extern const char *const nw_proxy_reason_names[NW_PROXY_REASONS];

struct route_rt {
    bool needs_dns;
    struct sockaddr_storage ss[NW_PROXY_ADDRS_MAX];
    socklen_t lens[NW_PROXY_ADDRS_MAX];
    size_t n;
};

struct proxy {
    const struct nw_proxy_cfg *cfg;
    struct listener lst[NW_PROXY_ROUTES_MAX];
    struct route_rt rt[NW_PROXY_ROUTES_MAX];
    pthread_rwlock_t al_lock;
    struct nw_proxy_allowlist *al; /* NULL: no allowlist configured */
    struct worker *workers;
    atomic_bool draining, stop;
    atomic_uint active, drained_acks, live_workers;
    atomic_uint_fast64_t next_id, accepted, connected, closed, refused_limit, bytes_up, bytes_down;
    atomic_uint_fast64_t by_reason[NW_PROXY_REASONS];
};

/* Monotonic milliseconds. */
uint64_t nw_proxy_now_ms(void);

/* errno's description ("Connection refused"), thread-safe; "-" for 0 or unknown. */
const char *nw_proxy_errno_text(int e);

/* Decimal text of v, for log fields. */
void nw_proxy_u64s(char out[24], uint64_t v);

/* A worker thread's loop (pthread entry point); arg is its struct worker, set up by run.c. */
void *nw_proxy_worker_main(void *arg);

/* Resolver callback: queue the finished job on its worker and wake it. */
void nw_proxy_dns_done(struct nw_dns_job *j);

/* Take finished resolver jobs and resume the connections waiting for them. */
void nw_proxy_worker_wake(struct worker *w);

#endif /* NW_PROXY_RELAY_INT_H */

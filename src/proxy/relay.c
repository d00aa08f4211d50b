/*
 * The relay: one edge-triggered epoll loop per worker thread, each accepting from every
 * listener (EPOLLEXCLUSIVE) and owning the connections it accepted.
 *
 * Each connection has two sides (a: the client, b: the target) and two directions (up: a to b,
 * down: b to a). Small messages (a database round trip) are read into the worker's scratch
 * buffer and written straight on: two syscalls per message. A read that fills the scratch buffer
 * marks the direction bulk, and bulk data then moves through a pipe with splice(2), so it never
 * enters user space, until a splice comes back small; sockets that cannot splice (EINVAL) copy.
 * A direction reads only when it holds nothing, and holds at most what one write did not take,
 * so memory per connection is bounded and a slow reader stops the writer (backpressure): the
 * kernel's socket buffers do the queueing. On EOF a direction drains what it holds and then shuts
 * down the write side of the other socket; the opposite direction keeps going (half-close, as
 * netcat's readwrite() does). The connection ends when both directions are done, on an error, after
 * the idle timeout, or at the drain deadline.
 *
 * Readiness is tracked per side (in/out): set by an epoll event, cleared on EAGAIN or by a short
 * read (see pump). With edge triggering a flag is only cleared once the socket was seen empty or
 * full, so no wake-up is lost (cf. redis ae.c, which uses level triggering instead).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "relay_int.h"

const char *const nw_proxy_reason_names[NW_PROXY_REASONS] = {
    "eof",  "reset",          "resolve-failed", "connect-failed", "denied", "connect-timeout",
    "idle", "drain-deadline", "no-memory"};

uint64_t nw_proxy_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *nw_proxy_errno_text(int e)
{
    const char *t = e != 0 ? strerrordesc_np(e) : NULL; /* thread-safe, unlike strerror */
    return t != NULL ? t : "-";
}

void nw_proxy_u64s(char out[24], uint64_t v)
{
    (void)snprintf(out, 24, "%llu", (unsigned long long)v);
}

/* ---- pipes ---- */

static bool pipe_get(struct worker *w, int p[2])
{
    if (w->npipes > 0) {
        w->npipes--;
        p[0] = w->pipes[w->npipes][0];
        p[1] = w->pipes[w->npipes][1];
        return true;
    }
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
        return false;
    /* A bigger pipe means fewer splice calls per megabyte; failure (limits) keeps the default. */
    (void)fcntl(p[1], F_SETPIPE_SZ, (int)w->px->cfg->pipe_size);
    return true;
}

static void pipe_put(struct worker *w, int p[2], bool empty)
{
    if (p[0] < 0)
        return;
    if (empty && w->npipes < PIPE_POOL_MAX) {
        w->pipes[w->npipes][0] = p[0];
        w->pipes[w->npipes][1] = p[1];
        w->npipes++;
    } else {
        close(p[0]);
        close(p[1]);
    }
    p[0] = p[1] = -1;
}

/* ---- connection life ---- */

static void conn_close(struct conn *c, enum reason why)
{
    struct worker *w = c->w;
    struct proxy *px = w->px;
    if (c->st == NW_CS_CLOSED)
        return;
    if (c->st == NW_CS_RESOLVE) {
        struct conn **pp = &w->dns[c->route].waiters;
        while (*pp != NULL && *pp != c)
            pp = &(*pp)->wnext;
        if (*pp == c)
            *pp = c->wnext;
    }
    /* An abortive close tells the other peer the stream did not end cleanly. */
    if (why == NW_R_RESET || why == NW_R_DRAIN || why == NW_R_IDLE) {
        struct linger lg = {1, 0};
        (void)setsockopt(c->a.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        if (c->b.fd >= 0)
            (void)setsockopt(c->b.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    close(c->a.fd);
    if (c->b.fd >= 0)
        close(c->b.fd);
    pipe_put(w, c->up.pipe, c->up.queued == 0);
    pipe_put(w, c->down.pipe, c->down.queued == 0);
    free(c->up.buf);
    free(c->down.buf);
    c->up.buf = c->down.buf = NULL;

    char up[24], down[24], ms[24], id[24];
    const char *err = NULL;
    nw_proxy_u64s(up, c->up.bytes);
    nw_proxy_u64s(down, c->down.bytes);
    nw_proxy_u64s(ms, w->now - c->t_start);
    nw_proxy_u64s(id, c->id);
    if (why == NW_R_CONNECT || why == NW_R_RESET || why == NW_R_RESOLVE)
        err = nw_proxy_errno_text(c->last_errno);
    nw_log(why == NW_R_EOF ? NW_LOG_INFO : NW_LOG_WARN, "close", "conn", id, "peer", c->peer,
           "route", px->cfg->routes[c->route].text, "up", up, "down", down, "ms", ms, "reason",
           nw_proxy_reason_names[why], err != NULL ? "error" : NULL, err, NULL); /* NULL ends */
    atomic_fetch_add(&px->bytes_up, c->up.bytes);
    atomic_fetch_add(&px->bytes_down, c->down.bytes);
    atomic_fetch_add(&px->by_reason[why], 1);
    atomic_fetch_add(&px->closed, 1);
    atomic_fetch_sub(&px->active, 1);

    /* Unlink now; free after the current batch of events, which may still name it. */
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    w->nconns--;
    c->st = NW_CS_CLOSED;
    c->next = w->zombies;
    w->zombies = c;
}

static void set_nodelay(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static bool is_inet(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET || ss->ss_family == AF_INET6;
}

static bool drains(const struct sockaddr_storage *ss)
{
    return is_inet(ss) || ss->ss_family == AF_UNIX;
}

/* Write what a direction holds (in its pipe or its overflow buffer) to the destination. */
static int flush(struct conn *c, struct dir *d)
{
    while (d->queued > 0 && d->dst->out) {
        ssize_t n;
        if (d->in_pipe)
            n = splice(d->pipe[0], NULL, d->dst->fd, NULL, d->queued,
                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        else
            n = write(d->dst->fd, d->buf + d->off, d->queued);
        if (n > 0) {
            d->queued -= (size_t)n;
            d->off += (size_t)n;
            d->bytes += (uint64_t)n;
            c->t_last = c->w->now;
        } else if (n < 0 && errno == EAGAIN) {
            d->dst->out = false;
        } else if (n >= 0 || errno != EINTR) {
            c->last_errno = n < 0 ? errno : EIO;
            return -1;
        }
    }
    if (d->queued == 0 && d->buf != NULL) {
        free(d->buf);
        d->buf = NULL;
    }
    return d->queued == 0 ? 0 : 1;
}

/*
 * Read into the worker's scratch buffer and write straight on; keep only what the destination
 * would not take (bounded by one read). Returns bytes read, 0 at EOF, -1 when the read failed,
 * -2 when the write or the allocation failed (errno set for both).
 */
static ssize_t copy_through(struct conn *c, struct dir *d)
{
    uint8_t *scratch = c->w->scratch;
    ssize_t n = read(d->src->fd, scratch, SCRATCH_SIZE);
    if (n <= 0)
        return n;
    c->t_last = c->w->now;
    ssize_t m = d->dst->out ? write(d->dst->fd, scratch, (size_t)n) : 0;
    if (m < 0 && errno != EAGAIN && errno != EINTR)
        return -2;
    if (m < 0) {
        d->dst->out = errno != EAGAIN;
        m = 0;
    }
    d->bytes += (uint64_t)m;
    if (m < n) {
        size_t left = (size_t)(n - m);
        d->buf = malloc(left);
        if (d->buf == NULL) {
            errno = ENOMEM;
            return -2;
        }
        memcpy(d->buf, scratch + m, left);
        d->queued = left;
        d->off = 0;
        d->in_pipe = false;
    }
    return n;
}

/*
 * Move bytes in one direction until the source is empty or the destination full.
 * Small messages take read+write through the scratch buffer; a read that fills the scratch
 * buffer marks the direction bulk, and bulk data moves through the pipe with splice(2) until a
 * splice comes back small. Returns false on a fatal error (c->last_errno set).
 */
static bool pump(struct conn *c, struct dir *d)
{
    const struct nw_proxy_cfg *cfg = c->w->px->cfg;
    for (;;) {
        int f = flush(c, d);
        if (f != 0)
            return f > 0;
        if (d->eof) {
            if (!d->done) {
                (void)shutdown(d->dst->fd, SHUT_WR);
                d->done = true;
            }
            return true;
        }
        if (!d->src->in)
            return true;
        if (d->bulk && d->pipe[0] < 0 && !pipe_get(c->w, d->pipe))
            d->bulk = false;
        ssize_t n;
        if (d->bulk) {
            n = splice(d->src->fd, NULL, d->pipe[1], NULL, cfg->pipe_size,
                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                d->queued = (size_t)n;
                d->off = 0;
                d->in_pipe = true;
                d->bulk = n >= BULK_MIN;
                continue;
            }
            if (n < 0 && errno == EINVAL) {
                /* This socket cannot splice: copy only, from now on. */
                pipe_put(c->w, d->pipe, true);
                d->nosplice = true;
                d->bulk = false;
                continue;
            }
        } else {
            n = copy_through(c, d);
            if (n > 0) {
                d->bulk = (size_t)n == SCRATCH_SIZE && !d->nosplice;
                /*
                 * A short read from a TCP or unix stream socket took everything queued; the
                 * next arrival raises a new edge, so skip the read that would say EAGAIN. Not
                 * once EOF was signalled: that edge has passed and only a read reports it.
                 */
                if ((size_t)n < SCRATCH_SIZE && d->src->drains && !d->src->hup)
                    d->src->in = false;
                continue;
            }
        }
        if (n == 0) {
            d->eof = true;
        } else if (n == -1 && errno == EAGAIN) {
            d->src->in = false;
            return true;
        } else if (n == -2 || errno != EINTR) {
            c->last_errno = errno;
            return false;
        }
    }
}

static void relay(struct conn *c)
{
    if (!pump(c, &c->up) || !pump(c, &c->down)) {
        conn_close(c, NW_R_RESET);
        return;
    }
    if (c->up.done && c->down.done)
        conn_close(c, NW_R_EOF);
}

static void try_connect(struct conn *c);

static void connected(struct conn *c)
{
    struct proxy *px = c->w->px;
    char target[NW_ADDR_TEXT_MAX], id[24];
    size_t i = c->next_addr - 1;
    nw_sockaddr_format(target, &c->addrs[i], c->lens[i]);
    nw_proxy_u64s(id, c->id);
    nw_log(NW_LOG_INFO, "dispatch", "conn", id, "peer", c->peer, "route",
           px->cfg->routes[c->route].text, "target", target, NULL);
    atomic_fetch_add(&px->connected, 1);
    c->st = NW_CS_RELAY;
    c->t_last = c->w->now;
    c->b.out = true;
    relay(c);
}

static void try_connect(struct conn *c)
{
    struct worker *w = c->w;
    while (c->next_addr < c->naddrs) {
        size_t i = c->next_addr++;
        const struct sockaddr_storage *ss = &c->addrs[i];
        int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            c->last_errno = errno;
            continue;
        }
        if (is_inet(ss))
            set_nodelay(fd);
        if (connect(fd, (const struct sockaddr *)ss, c->lens[i]) != 0 && errno != EINPROGRESS) {
            c->last_errno = errno;
            close(fd);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                 .data.ptr = &c->b};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            c->last_errno = errno;
            close(fd);
            continue;
        }
        c->b.fd = fd;
        c->b.drains = drains(ss);
        c->b.in = c->b.out = false;
        c->st = NW_CS_CONNECT;
        return;
    }
    /* Every address failed: re-resolve for the next connection, the target may have moved. */
    w->dns[c->route].expires = 0;
    conn_close(c, NW_R_CONNECT);
}

static void connect_event(struct conn *c, uint32_t events)
{
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (getsockopt(c->b.fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        soerr = errno;
    if (soerr == 0 && (events & EPOLLOUT) != 0) {
        c->b.in = (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0;
        c->b.hup = (events & (EPOLLRDHUP | EPOLLHUP)) != 0;
        connected(c);
        return;
    }
    if (soerr == 0)
        return; /* not yet */
    c->last_errno = soerr;
    close(c->b.fd);
    c->b.fd = -1;
    try_connect(c);
}

/* Keep the addresses the allowlist permits, in order; then connect. */
static void
dispatch(struct conn *c, const struct sockaddr_storage *ss, const socklen_t *lens, size_t n)
{
    struct proxy *px = c->w->px;
    const struct nw_addr *t = &px->cfg->routes[c->route].connect;
    c->naddrs = c->next_addr = 0;
    pthread_rwlock_rdlock(&px->al_lock);
    for (size_t i = 0; i < n && c->naddrs < NW_PROXY_ADDRS_MAX; i++) {
        if (px->al != NULL && t->kind == NW_ADDR_TCP &&
            !nw_proxy_allowed(px->al, t->host, t->port, &ss[i]))
            continue;
        c->addrs[c->naddrs] = ss[i];
        c->lens[c->naddrs] = lens[i];
        c->naddrs++;
    }
    pthread_rwlock_unlock(&px->al_lock);
    if (c->naddrs == 0) {
        char target[NW_ADDR_TEXT_MAX], first[NW_ADDR_TEXT_MAX] = "-";
        nw_addr_format(target, t);
        if (n > 0)
            nw_sockaddr_format(first, &ss[0], lens[0]);
        nw_log(NW_LOG_WARN, "deny", "peer", c->peer, "route", px->cfg->routes[c->route].text,
               "target", target, "resolved", first, "why", "target not in the allowlist", NULL);
        conn_close(c, NW_R_DENIED);
        return;
    }
    try_connect(c);
}

static void start_target(struct conn *c)
{
    struct worker *w = c->w;
    struct proxy *px = w->px;
    const struct route_rt *rt = &px->rt[c->route];
    if (!rt->needs_dns) {
        dispatch(c, rt->ss, rt->lens, rt->n);
        return;
    }
    struct dns_entry *e = &w->dns[c->route];
    if (!e->pending && e->n > 0 && w->now < e->expires) {
        dispatch(c, e->ss, e->lens, e->n);
        return;
    }
    c->st = NW_CS_RESOLVE;
    c->wnext = e->waiters;
    e->waiters = c;
    if (e->pending)
        return;
    struct nw_dns_job *j = calloc(1, sizeof(*j));
    if (j == NULL) {
        conn_close(c, NW_R_NOMEM);
        return;
    }
    e->pending = true;
    j->owner = w;
    j->route = c->route;
    j->target = px->cfg->routes[c->route].connect;
    j->family = px->cfg->family;
    nw_dns_submit(j);
}

void nw_proxy_dns_done(struct nw_dns_job *j)
{
    struct worker *w = j->owner;
    pthread_mutex_lock(&w->mu);
    j->next = w->done;
    w->done = j;
    pthread_mutex_unlock(&w->mu);
    uint64_t one = 1;
    (void)!write(w->wake.fd, &one, sizeof(one));
}

_Static_assert(sizeof(((struct nw_dns_job *)0)->ss) == sizeof(((struct dns_entry *)0)->ss),
               "a resolver job fills one cache entry");

static void dns_apply(struct worker *w, struct nw_dns_job *j)
{
    struct dns_entry *e = &w->dns[j->route];
    e->pending = false;
    if (j->err == NW_OK) {
        memcpy(e->ss, j->ss, sizeof(e->ss));
        memcpy(e->lens, j->lens, sizeof(e->lens));
        e->n = j->n;
        e->expires = w->now + (uint64_t)w->px->cfg->dns_ttl_max_s * 1000u;
    } else {
        char target[NW_ADDR_TEXT_MAX];
        nw_addr_format(target, &j->target);
        nw_log(NW_LOG_WARN, "resolve", "target", target, "error", nw_err_name(j->err), NULL);
        e->n = 0;
    }
    struct conn *c = e->waiters;
    e->waiters = NULL;
    while (c != NULL) {
        struct conn *next = c->wnext;
        c->st = NW_CS_CONNECT;
        if (j->err == NW_OK)
            dispatch(c, e->ss, e->lens, e->n);
        else
            conn_close(c, NW_R_RESOLVE);
        c = next;
    }
}

/* ---- accept, events, timers ---- */

static void accept_one(
    struct worker *w, struct listener *l, int fd, const struct sockaddr_storage *ss, socklen_t len)
{
    struct proxy *px = w->px;
    if (atomic_fetch_add(&px->active, 1) >= px->cfg->max_conns) {
        atomic_fetch_sub(&px->active, 1);
        atomic_fetch_add(&px->refused_limit, 1);
        close(fd);
        if (w->now >= w->limit_logged + 1000) {
            char max[24];
            nw_proxy_u64s(max, px->cfg->max_conns);
            nw_log(NW_LOG_WARN, "limit", "route", px->cfg->routes[l->route].text, "max_conns", max,
                   "what", "connection limit reached; refusing new connections", NULL);
            w->limit_logged = w->now;
        }
        return;
    }
    struct conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        atomic_fetch_sub(&px->active, 1);
        close(fd);
        return;
    }
    c->w = w;
    c->route = l->route;
    c->id = atomic_fetch_add(&px->next_id, 1) + 1;
    c->a = (struct side){
        .kind = NW_EV_SIDE, .fd = fd, .in = true, .out = true, .drains = drains(ss), .c = c};
    c->b = (struct side){.kind = NW_EV_SIDE, .fd = -1, .c = c};
    c->up = (struct dir){.src = &c->a, .dst = &c->b, .pipe = {-1, -1}};
    c->down = (struct dir){.src = &c->b, .dst = &c->a, .pipe = {-1, -1}};
    c->t_start = c->t_last = w->now;
    c->deadline = w->now + px->cfg->connect_timeout_ms;
    c->st = NW_CS_CONNECT;
    if (ss->ss_family == AF_UNIX)
        (void)snprintf(c->peer, sizeof(c->peer), "unix:");
    else
        nw_sockaddr_format(c->peer, ss, len);
    if (is_inet(ss))
        set_nodelay(fd);
    c->next = w->conns;
    if (w->conns != NULL)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    atomic_fetch_add(&px->accepted, 1);
    char id[24];
    nw_proxy_u64s(id, c->id);
    nw_log(NW_LOG_INFO, "accept", "conn", id, "peer", c->peer, "route",
           px->cfg->routes[l->route].text, NULL);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.ptr = &c->a};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        c->last_errno = errno;
        conn_close(c, NW_R_NOMEM);
        return;
    }
    start_target(c);
}

/*
 * Out of descriptors: the listener stays readable, so the pending connection must go or the
 * loop would spin. Give back the spare descriptor, accept and close at once, take it again.
 */
static void refuse_no_fd(struct worker *w, struct listener *l, int err)
{
    if (w->spare_fd >= 0) {
        close(w->spare_fd);
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            close(fd);
        w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    atomic_fetch_add(&w->px->refused_limit, 1);
    if (w->now >= w->limit_logged + 1000) {
        nw_log(NW_LOG_ERROR, "limit", "route", w->px->cfg->routes[l->route].text, "error",
               nw_proxy_errno_text(err), "what",
               "out of file descriptors; refusing new connections", NULL);
        w->limit_logged = w->now;
    }
}

static void on_listen(struct worker *w, struct listener *l)
{
    for (int i = 0; i < ACCEPT_BATCH && !atomic_load(&w->px->draining); i++) {
        struct sockaddr_storage ss = {0};
        socklen_t len = sizeof(ss);
        int fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
            refuse_no_fd(w, l, errno);
            continue;
        }
        if (fd < 0)
            return; /* EAGAIN: another worker took it, or the queue is empty */
        accept_one(w, l, fd, &ss, len);
    }
}

static void on_side(struct side *s, uint32_t events)
{
    struct conn *c = s->c;
    if (c->st == NW_CS_CLOSED)
        return;
    if (c->st == NW_CS_CONNECT && s == &c->b) {
        connect_event(c, events);
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        s->in = true;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        s->hup = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        s->out = true;
    if (c->st == NW_CS_RELAY)
        relay(c);
}

void nw_proxy_worker_wake(struct worker *w)
{
    uint64_t v;
    (void)!read(w->wake.fd, &v, sizeof(v));
    pthread_mutex_lock(&w->mu);
    struct nw_dns_job *j = w->done;
    w->done = NULL;
    pthread_mutex_unlock(&w->mu);
    while (j != NULL) {
        struct nw_dns_job *next = j->next;
        dns_apply(w, j);
        free(j);
        j = next;
    }
}

static void sweep(struct worker *w)
{
    const struct nw_proxy_cfg *cfg = w->px->cfg;
    uint64_t idle_ms = (uint64_t)cfg->idle_timeout_s * 1000u;
    struct conn *c = w->conns;
    while (c != NULL) {
        struct conn *next = c->next;
        if (c->st != NW_CS_RELAY && w->now >= c->deadline) {
            c->last_errno = ETIMEDOUT;
            conn_close(c, NW_R_TIMEOUT);
        } else if (c->st == NW_CS_RELAY && idle_ms > 0 && w->now - c->t_last >= idle_ms) {
            conn_close(c, NW_R_IDLE);
        }
        c = next;
    }
}

static void free_zombies(struct worker *w)
{
    while (w->zombies != NULL) {
        struct conn *c = w->zombies;
        w->zombies = c->next;
        free(c);
    }
}

void *nw_proxy_worker_main(void *arg)
{
    struct worker *w = arg;
    struct proxy *px = w->px;
    struct epoll_event evs[EVENTS_MAX];
    w->next_sweep = nw_proxy_now_ms() + 1000;
    for (;;) {
        int n = epoll_wait(w->epfd, evs, EVENTS_MAX, 250);
        w->now = nw_proxy_now_ms();
        for (int i = 0; i < n; i++) {
            enum ev_kind *k = evs[i].data.ptr;
            if (*k == NW_EV_SIDE)
                on_side((struct side *)k, evs[i].events);
            else if (*k == NW_EV_LISTEN)
                on_listen(w, (struct listener *)k);
            else
                nw_proxy_worker_wake(w);
        }
        free_zombies(w);
        if (atomic_load(&px->draining) && !w->drain_seen) {
            for (size_t r = 0; r < px->cfg->nroutes; r++)
                (void)epoll_ctl(w->epfd, EPOLL_CTL_DEL, px->lst[r].fd, NULL);
            w->drain_seen = true;
            atomic_fetch_add(&px->drained_acks, 1);
        }
        if (atomic_load(&px->stop)) {
            while (w->conns != NULL)
                conn_close(w->conns, NW_R_DRAIN);
            free_zombies(w);
            break;
        }
        if (w->drain_seen && w->nconns == 0)
            break;
        if (w->now >= w->next_sweep) {
            sweep(w);
            free_zombies(w);
            w->next_sweep = w->now + 1000;
        }
    }
    atomic_fetch_sub(&px->live_workers, 1);
    return NULL;
}

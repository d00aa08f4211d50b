/*
 * nw-proxy run-time set-up around the relay: listeners, worker threads, the resolver pool, and
 * the main thread's signal loop (drain on TERM/INT, allowlist reload on HUP, counters on USR1).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "relay_int.h"

/* The stats line names each close reason in nw_proxy_reason_names' order. */
_Static_assert(NW_PROXY_REASONS == 9, "update log_stats with the close reasons");

static void log_stats(struct proxy *px)
{
    char v[6 + NW_PROXY_REASONS][24];
    nw_proxy_u64s(v[0], atomic_load(&px->accepted));
    nw_proxy_u64s(v[1], atomic_load(&px->connected));
    nw_proxy_u64s(v[2], atomic_load(&px->closed));
    nw_proxy_u64s(v[3], atomic_load(&px->active));
    nw_proxy_u64s(v[4], atomic_load(&px->bytes_up));
    nw_proxy_u64s(v[5], atomic_load(&px->bytes_down));
    for (size_t i = 0; i < NW_PROXY_REASONS; i++)
        nw_proxy_u64s(v[6 + i], atomic_load(&px->by_reason[i]));
    char limit[24];
    nw_proxy_u64s(limit, atomic_load(&px->refused_limit));
    nw_log(NW_LOG_INFO, "stats", "accepted", v[0], "connected", v[1], "closed", v[2], "active",
           v[3], "bytes_up", v[4], "bytes_down", v[5], "closed_eof", v[6], "err_reset", v[7],
           "err_resolve", v[8], "err_connect", v[9], "err_denied", v[10], "err_connect_timeout",
           v[11], "err_idle", v[12], "err_drain", v[13], "err_nomem", v[14], "err_limit", limit,
           NULL);
}

static void reload(struct proxy *px)
{
    const struct nw_proxy_cfg *cfg = px->cfg;
    if (cfg->config_path[0] == '\0') {
        nw_log(NW_LOG_WARN, "reload", "what", "no --config file to reload", NULL);
        return;
    }
    struct nw_proxy_allowlist *al = malloc(sizeof(*al));
    char diag[NW_PROXY_DIAG_MAX];
    nw_err err = al != NULL ? nw_proxy_allowlist_load(al, diag, cfg->config_path) : NW_ERR_NOMEM;
    if (err != NW_OK) {
        nw_log(NW_LOG_ERROR, "reload", "error", nw_err_name(err), "what",
               al != NULL ? diag : "out of memory", "kept", "previous allowlist", NULL);
        free(al);
        return;
    }
    pthread_rwlock_wrlock(&px->al_lock);
    struct nw_proxy_allowlist *old = px->al;
    px->al = al;
    pthread_rwlock_unlock(&px->al_lock);
    free(old);
    char n[24];
    nw_proxy_u64s(n, al->n);
    nw_log(NW_LOG_INFO, "reload", "config", cfg->config_path, "entries", n, NULL);
}

static void wake_all(struct proxy *px)
{
    uint64_t one = 1;
    for (unsigned i = 0; i < px->cfg->workers; i++)
        (void)!write(px->workers[i].wake.fd, &one, sizeof(one));
}

/* The main thread: signals in, until the workers have drained or the deadline passed. */
static void signal_loop(struct proxy *px, int sfd)
{
    uint64_t deadline = 0;
    bool listeners_closed = false;
    while (atomic_load(&px->live_workers) > 0) {
        struct signalfd_siginfo si;
        struct pollfd pfd = {sfd, POLLIN, 0};
        if (poll(&pfd, 1, 100) == 1 && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
            if (si.ssi_signo == SIGUSR1) {
                log_stats(px);
            } else if (si.ssi_signo == SIGHUP) {
                reload(px);
            } else if (!atomic_load(&px->draining)) {
                char s[24], open[24];
                nw_proxy_u64s(s, px->cfg->drain_s);
                nw_proxy_u64s(open, atomic_load(&px->active));
                nw_log(NW_LOG_INFO, "drain", "signal", si.ssi_signo == SIGINT ? "INT" : "TERM",
                       "open", open, "deadline_s", s, NULL);
                deadline = nw_proxy_now_ms() + (uint64_t)px->cfg->drain_s * 1000u;
                atomic_store(&px->draining, true);
                wake_all(px);
            }
        }
        /* Stop accepting (connections then fail fast) once every worker has let go. */
        if (!listeners_closed && atomic_load(&px->draining) &&
            atomic_load(&px->drained_acks) >= atomic_load(&px->live_workers)) {
            for (size_t r = 0; r < px->cfg->nroutes; r++) {
                close(px->lst[r].fd);
                px->lst[r].fd = -1;
            }
            listeners_closed = true;
        }
        if (deadline != 0 && nw_proxy_now_ms() >= deadline && !atomic_load(&px->stop)) {
            atomic_store(&px->stop, true);
            wake_all(px);
        }
    }
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        char n[24];
        nw_proxy_u64s(n, rl.rlim_cur);
        nw_log(NW_LOG_DEBUG, "nofile", "limit", n, NULL);
    }
}

static nw_err open_listeners(struct proxy *px)
{
    const struct nw_proxy_cfg *cfg = px->cfg;
    for (size_t r = 0; r < cfg->nroutes; r++) {
        px->lst[r] = (struct listener){NW_EV_LISTEN, -1, r};
        nw_err err = nw_net_listen(&cfg->routes[r].listen, 4096, &px->lst[r].fd);
        char text[NW_ADDR_TEXT_MAX];
        nw_addr_format(text, &cfg->routes[r].listen);
        if (err != NW_OK) {
            nw_log(NW_LOG_ERROR, "listen", "addr", text, "error", nw_err_name(err), "why",
                   nw_proxy_errno_text(errno), NULL);
            return err;
        }
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        if (cfg->routes[r].listen.kind == NW_ADDR_TCP &&
            getsockname(px->lst[r].fd, (struct sockaddr *)&ss, &len) == 0)
            nw_sockaddr_format(text, &ss, len);
        nw_log(NW_LOG_INFO, "listen", "addr", text, "route", cfg->routes[r].text, NULL);
        struct route_rt *rt = &px->rt[r];
        err = nw_addr_sockaddr(&cfg->routes[r].connect, &rt->ss[0], &rt->lens[0]);
        rt->needs_dns = err == NW_ERR_ADDR_NOT_NUMERIC;
        rt->n = err == NW_OK ? 1 : 0;
    }
    return NW_OK;
}

static nw_err start_worker(struct proxy *px, struct worker *w)
{
    w->px = px;
    w->wake = (struct listener){NW_EV_WAKE, -1, 0};
    w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pthread_mutex_init(&w->mu, NULL);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->epfd < 0 || w->wake.fd < 0)
        return NW_ERR_NET_SOCKET;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->wake};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake.fd, &ev) != 0)
        return NW_ERR_NET_SOCKET;
    for (size_t r = 0; r < px->cfg->nroutes; r++) {
        /* EPOLLEXCLUSIVE: one worker wakes per incoming connection, not all of them. */
        ev = (struct epoll_event){.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &px->lst[r]};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, px->lst[r].fd, &ev) != 0)
            return NW_ERR_NET_SOCKET;
    }
    atomic_fetch_add(&px->live_workers, 1);
    if (pthread_create(&w->th, NULL, nw_proxy_worker_main, w) != 0) {
        atomic_fetch_sub(&px->live_workers, 1);
        return NW_ERR_NOMEM;
    }
    return NW_OK;
}

static void cleanup(struct proxy *px, unsigned started)
{
    for (unsigned i = 0; i < started; i++)
        pthread_join(px->workers[i].th, NULL);
    nw_dns_stop();
    for (unsigned i = 0; i < px->cfg->workers; i++) {
        struct worker *w = &px->workers[i];
        nw_proxy_worker_wake(w); /* frees jobs finished after the loop ended */
        if (w->epfd >= 0)
            close(w->epfd);
        if (w->wake.fd >= 0)
            close(w->wake.fd);
        if (w->spare_fd >= 0)
            close(w->spare_fd);
        for (size_t p = 0; p < w->npipes; p++) {
            close(w->pipes[p][0]);
            close(w->pipes[p][1]);
        }
        pthread_mutex_destroy(&w->mu);
    }
    for (size_t r = 0; r < px->cfg->nroutes; r++) {
        if (px->lst[r].fd >= 0)
            close(px->lst[r].fd);
        if (px->cfg->routes[r].listen.kind == NW_ADDR_UNIX)
            (void)unlink(px->cfg->routes[r].listen.path);
    }
    free(px->workers);
    free(px->al);
    pthread_rwlock_destroy(&px->al_lock);
}

int nw_proxy_run(const struct nw_proxy_cfg *cfg, const struct nw_proxy_allowlist *al)
{
    static struct proxy px_storage;
    struct proxy *px = &px_storage;
    unsigned started = 0;
    int status = 1;
    px->cfg = cfg;
    pthread_rwlock_init(&px->al_lock, NULL);
    for (size_t r = 0; r < NW_PROXY_ROUTES_MAX; r++)
        px->lst[r] = (struct listener){NW_EV_LISTEN, -1, r};
    if (al != NULL) {
        px->al = malloc(sizeof(*px->al));
        if (px->al == NULL)
            return 1;
        memcpy(px->al, al, sizeof(*al));
    }
    px->workers = calloc(cfg->workers, sizeof(*px->workers));
    if (px->workers == NULL)
        return 1;
    for (unsigned i = 0; i < cfg->workers; i++)
        px->workers[i].epfd = px->workers[i].wake.fd = px->workers[i].spare_fd = -1;

    raise_nofile();
    (void)signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    /* Blocked before any thread starts, so only the main thread's signalfd sees them. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0)
        goto out;
    if (open_listeners(px) != NW_OK) {
        /* A listen address that does not resolve or cannot be bound is bad configuration:
         * exit 2 as every other configuration error (docs/proxy.md). */
        status = 2;
        goto out;
    }
    if (nw_dns_start(2, nw_proxy_dns_done) != NW_OK)
        goto out;
    for (; started < cfg->workers; started++) {
        if (start_worker(px, &px->workers[started]) != NW_OK) {
            nw_log(NW_LOG_ERROR, "start", "what", "cannot start worker", NULL);
            atomic_store(&px->stop, true);
            atomic_store(&px->draining, true);
            wake_all(px);
            goto out;
        }
    }
    char w[24];
    nw_proxy_u64s(w, cfg->workers);
    nw_log(NW_LOG_INFO, "ready", "workers", w, NULL);
    signal_loop(px, sfd);
    nw_log(NW_LOG_INFO, "exit", NULL);
    log_stats(px);
    status = 0;
out:
    cleanup(px, started);
    if (sfd >= 0)
        close(sfd);
    return status;
}

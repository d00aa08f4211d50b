/*
 * Serving the NSM simulator on stream sockets, with the framing of <nw/nsm.h>: a 4-byte
 * big-endian length, then that many bytes of CBOR, in both directions.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nw/mem.h>
#include <nw/nsm.h>
#include <nw/nsm_sim.h>

#include "attest_int.h"

#define TICK_MS 100

static bool stopped(volatile int *stop)
{
    return stop != NULL && *stop != 0;
}

/* 1: n bytes moved; 0: EOF before any byte of a frame (reading) or stop; -1: error. */
static int move_all(int fd, uint8_t *p, size_t n, bool wr, volatile int *stop)
{
    size_t done = 0;
    while (done < n) {
        if (stopped(stop))
            return 0;
        struct pollfd pfd = {.fd = fd, .events = wr ? POLLOUT : POLLIN};
        int pr = poll(&pfd, 1, TICK_MS);
        if (pr < 0 && errno != EINTR)
            return -1;
        if (pr <= 0)
            continue;
        ssize_t k =
            wr ? send(fd, p + done, n - done, MSG_NOSIGNAL) : recv(fd, p + done, n - done, 0);
        if (k < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (k == 0 && !wr && done == 0)
            return 0;
        if (k <= 0)
            return -1;
        done += (size_t)k;
    }
    return 1;
}

static nw_err send_frame(int fd, struct nw_cur body, volatile int *stop)
{
    uint8_t hdr[4] = {(uint8_t)(body.len >> 24), (uint8_t)(body.len >> 16),
                      (uint8_t)(body.len >> 8), (uint8_t)body.len};
    if (move_all(fd, hdr, 4, true, stop) != 1 ||
        move_all(fd, (uint8_t *)(uintptr_t)body.ptr, body.len, true, stop) != 1)
        return NW_ERR_IO;
    return NW_OK;
}

nw_err nw_nsm_sim_serve_fd(struct nw_nsm_sim *sim, int fd, volatile int *stop)
{
    nw_err err = NW_OK;
    struct nw_buf req, resp;
    nw_buf_init(&req, NW_NSM_REQUEST_MAX, false);
    nw_buf_init(&resp, NW_NSM_RESPONSE_MAX + 1024, true);
    for (;;) {
        uint8_t hdr[4];
        int r = move_all(fd, hdr, 4, false, stop);
        if (r == 0)
            break;
        NW_CHECK_COND(r == 1, NW_ERR_IO);
        size_t n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
        NW_CHECK_COND(n >= 1, NW_ERR_IO);
        req.len = 0;
        resp.len = 0;
        if (n > NW_NSM_REQUEST_MAX) {
            /* Answer InputTooLarge (the device's EMSGSIZE) and drop the connection: the rest
             * of the oversized frame is not worth reading. */
            NW_CHECK(nw_nsm_sim_answer_error(&resp, NW_ERR_NSM_INPUT_TOO_LARGE));
            (void)send_frame(fd, nw_buf_cur(&resp), stop);
            break;
        }
        NW_CHECK(nw_buf_reserve(&req, n));
        NW_CHECK_COND(move_all(fd, req.ptr, n, false, stop) == 1, NW_ERR_IO);
        req.len = n;
        NW_CHECK(nw_nsm_sim_handle(sim, &resp, nw_buf_cur(&req)));
        NW_CHECK(send_frame(fd, nw_buf_cur(&resp), stop));
    }
out:
    nw_buf_clear(&req);
    nw_buf_clear(&resp);
    return err;
}

/*
 * Connections are served concurrently, one thread each, as /dev/nsm serves every caller at
 * once: an idle or half-sent client only holds up itself. nw_nsm_sim_handle takes the
 * simulator's lock per request. At most NW_NSM_SIM_MAX_CONNS at a time; more are closed at once.
 */
struct serve_state {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int active;
};

struct conn_arg {
    struct nw_nsm_sim *sim;
    int fd;
    volatile int *stop;
    struct serve_state *st;
};

static void *serve_conn(void *p)
{
    struct conn_arg *a = p;
    /* A broken client only ends its own connection. */
    nw_err e = nw_nsm_sim_serve_fd(a->sim, a->fd, a->stop);
    (void)e;
    close(a->fd);
    (void)pthread_mutex_lock(&a->st->mu);
    a->st->active--;
    (void)pthread_cond_broadcast(&a->st->cv);
    (void)pthread_mutex_unlock(&a->st->mu);
    nw_free(a);
    return NULL;
}

static void spawn_conn(struct nw_nsm_sim *sim, int cfd, volatile int *stop, struct serve_state *st)
{
    struct conn_arg *a = nw_malloc(sizeof(*a));
    pthread_t t;
    pthread_attr_t attr;
    (void)pthread_mutex_lock(&st->mu);
    bool room = st->active < NW_NSM_SIM_MAX_CONNS;
    if (room && a != NULL)
        st->active++;
    (void)pthread_mutex_unlock(&st->mu);
    if (!room || a == NULL) {
        nw_free(a);
        close(cfd);
        return;
    }
    *a = (struct conn_arg){sim, cfd, stop, st};
    bool ok = pthread_attr_init(&attr) == 0;
    ok = ok && pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
         pthread_create(&t, &attr, serve_conn, a) == 0;
    (void)pthread_attr_destroy(&attr);
    if (!ok) {
        close(cfd);
        nw_free(a);
        (void)pthread_mutex_lock(&st->mu);
        st->active--;
        (void)pthread_mutex_unlock(&st->mu);
    }
}

nw_err nw_nsm_sim_serve_unix(struct nw_nsm_sim *sim, const char *path, volatile int *stop)
{
    struct sockaddr_un sa;
    struct serve_state st = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    NW_ENSURE(strlen(path) > 0 && strlen(path) < sizeof(sa.sun_path), NW_ERR_INVALID_ARG);
    memcpy(sa.sun_path, path, strlen(path));
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    NW_ENSURE(lfd >= 0, NW_ERR_IO);
    (void)unlink(path); /* a stale socket from an earlier run */
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 64) != 0) {
        close(lfd);
        return NW_ERR_IO;
    }
    while (!stopped(stop)) {
        struct pollfd pfd = {.fd = lfd, .events = POLLIN};
        int pr = poll(&pfd, 1, TICK_MS);
        if (pr <= 0)
            continue;
        int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd >= 0)
            spawn_conn(sim, cfd, stop, &st);
    }
    close(lfd);
    (void)unlink(path);
    /* Connection threads see *stop within a tick; the simulator must outlive them. */
    (void)pthread_mutex_lock(&st.mu);
    while (st.active > 0)
        (void)pthread_cond_wait(&st.cv, &st.mu);
    (void)pthread_mutex_unlock(&st.mu);
    return NW_OK;
}

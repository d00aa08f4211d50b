/*
 * Serving the NSM simulator on stream sockets, with the frames of <nw/wire.h> (a 4-byte
 * big-endian length, then that many bytes of CBOR, in both directions).
 *
 * Like /dev/nsm, which any number of enclave processes may call at once, the server takes many
 * connections at once: one thread per connection (at most MAX_CONNS; further clients wait in the
 * listen backlog), so an idle or half-sent client never holds up another caller. The simulator
 * itself is thread-safe (nw_nsm_sim_handle locks).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nw/addr.h>
#include <nw/nsm.h>
#include <nw/nsm_sim.h>
#include <nw/wire.h>

#include "sim_int.h"

#define TICK_MS          100
#define WRITE_TIMEOUT_MS 5000 /* a client that stops reading its answers is dropped */
#define MAX_CONNS        32
#define RECV_CHUNK       4096

static bool stopped(volatile int *stop)
{
    return stop != NULL && *stop != 0;
}

/* The length a refused header announced (the reader keeps the 4 bytes). */
static size_t announced(const struct nw_wire_reader *r)
{
    return (size_t)r->hdr[0] << 24 | (size_t)r->hdr[1] << 16 | (size_t)r->hdr[2] << 8 | r->hdr[3];
}

/* Answer one complete request frame. */
static nw_err answer(struct nw_nsm_sim *sim, int fd, struct nw_buf *resp, struct nw_cur req)
{
    resp->len = 0;
    NW_TRY(nw_nsm_sim_handle(sim, resp, req));
    return nw_wire_write(fd, nw_buf_cur(resp), nw_deadline_ms(WRITE_TIMEOUT_MS));
}

/*
 * A frame longer than a request may be: answer InputTooLarge (the device's EMSGSIZE) and drop
 * the connection, the rest of the frame is not worth reading. A zero length gets no answer.
 */
static nw_err refuse(int fd, struct nw_buf *resp, const struct nw_wire_reader *r)
{
    if (announced(r) > NW_NSM_REQUEST_MAX) {
        resp->len = 0;
        NW_TRY(nw_nsm_sim_answer_error(resp, NW_ERR_NSM_INPUT_TOO_LARGE));
        nw_err werr = nw_wire_write(fd, nw_buf_cur(resp), nw_deadline_ms(WRITE_TIMEOUT_MS));
        (void)werr; /* the connection ends either way */
    }
    return NW_ERR_WIRE_LENGTH;
}

/* Wait up to one tick for bytes; 1 readable, 0 nothing yet, -1 error. */
static int wait_readable(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int pr = poll(&pfd, 1, TICK_MS);
    if (pr < 0)
        return errno == EINTR ? 0 : -1;
    return pr > 0 ? 1 : 0;
}

/* Feed what arrived to the reader and answer every frame it completes. */
static nw_err consume(
    struct nw_nsm_sim *sim, int fd, struct nw_wire_reader *r, struct nw_buf *resp, struct nw_cur in)
{
    while (in.len > 0) {
        bool done = false;
        nw_err err = nw_wire_reader_feed(r, &in, &done);
        if (err == NW_ERR_WIRE_LENGTH)
            return refuse(fd, resp, r);
        NW_TRY(err);
        if (done) {
            NW_TRY(answer(sim, fd, resp, nw_buf_cur(&r->payload)));
            nw_wire_reader_next(r);
        }
    }
    return NW_OK;
}

nw_err nw_nsm_sim_serve_fd(struct nw_nsm_sim *sim, int fd, volatile int *stop)
{
    nw_err err = NW_OK;
    struct nw_wire_reader r;
    struct nw_buf resp;
    uint8_t chunk[RECV_CHUNK];
    nw_wire_reader_init(&r, NW_NSM_REQUEST_MAX, false);
    nw_buf_init(&resp, NW_NSM_RESPONSE_MAX + 1024, true);
    while (!stopped(stop)) {
        int w = wait_readable(fd);
        NW_CHECK_COND(w >= 0, NW_ERR_IO);
        if (w == 0)
            continue;
        ssize_t k = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
        if (k < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        NW_CHECK_COND(k >= 0, NW_ERR_IO);
        if (k == 0) {
            err = nw_wire_reader_partial(&r) ? NW_ERR_WIRE_TRUNCATED : NW_OK;
            break;
        }
        NW_CHECK(consume(sim, fd, &r, &resp, nw_cur_of(chunk, (size_t)k)));
    }
out:
    nw_wire_reader_clear(&r);
    nw_buf_clear(&resp);
    return err;
}

/* One connection served in its own thread. */
struct conn {
    struct nw_nsm_sim *sim;
    volatile int *stop;
    int fd;
    bool used;
    atomic_bool done;
    pthread_t th;
};

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    /* A broken client only ends its own connection. */
    nw_err e = nw_nsm_sim_serve_fd(c->sim, c->fd, c->stop);
    (void)e;
    close(c->fd);
    atomic_store(&c->done, true);
    return NULL;
}

/* Join finished connections; returns how many slots are in use. */
static size_t reap(struct conn *conns, bool all)
{
    size_t used = 0;
    for (size_t i = 0; i < MAX_CONNS; i++) {
        if (!conns[i].used)
            continue;
        if (all || atomic_load(&conns[i].done)) {
            (void)pthread_join(conns[i].th, NULL);
            conns[i].used = false;
        } else {
            used++;
        }
    }
    return used;
}

static void start_conn(struct conn *conns, struct nw_nsm_sim *sim, int cfd, volatile int *stop)
{
    for (size_t i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &conns[i];
        if (c->used)
            continue;
        c->sim = sim;
        c->stop = stop;
        c->fd = cfd;
        atomic_store(&c->done, false);
        if (pthread_create(&c->th, NULL, conn_main, c) == 0) {
            c->used = true;
            return;
        }
        break;
    }
    close(cfd); /* no slot or no thread: the client sees the connection closed */
}

/* Remove the socket file only if it is still the socket this server bound (same inode). */
static void unlink_own(const char *path, const struct stat *own)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == own->st_ino &&
        st.st_dev == own->st_dev)
        (void)unlink(path);
}

nw_err nw_nsm_sim_serve_unix(struct nw_nsm_sim *sim, const char *path, volatile int *stop)
{
    char text[NW_ADDR_PATH_MAX + 8];
    struct nw_addr a;
    int lfd = -1;
    int n = snprintf(text, sizeof(text), "unix:%s", path);
    NW_ENSURE(n > 0 && (size_t)n < sizeof(text), NW_ERR_INVALID_ARG);
    NW_ENSURE(nw_addr_parse(&a, text) == NW_OK && a.kind == NW_ADDR_UNIX, NW_ERR_INVALID_ARG);
    /* nw_net_listen replaces a stale socket, never a regular file given by mistake. */
    NW_ENSURE(nw_net_listen(&a, 16, &lfd) == NW_OK, NW_ERR_IO);
    struct stat own;
    if (lstat(path, &own) != 0) {
        close(lfd);
        return NW_ERR_IO;
    }
    struct conn conns[MAX_CONNS];
    memset(conns, 0, sizeof(conns));
    while (!stopped(stop)) {
        /* With every slot busy, leave new clients in the backlog until one finishes. */
        bool room = reap(conns, false) < MAX_CONNS;
        struct pollfd pfd = {.fd = lfd, .events = POLLIN};
        int pr = poll(&pfd, room ? 1 : 0, TICK_MS);
        if (pr <= 0 || !room)
            continue;
        int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd >= 0)
            start_conn(conns, sim, cfd, stop);
    }
    (void)reap(conns, true);
    close(lfd);
    unlink_own(path, &own);
    return NW_OK;
}

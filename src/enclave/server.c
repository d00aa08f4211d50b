/*
 * The frame server (DESIGN.md section 3).
 *
 * Threads: the main thread accepts (poll on the listener and a signalfd); each connection has a
 * reader thread (at most NW_ENC_MAX_CONNS) that reads whole frames; a fixed pool of workers takes
 * runnable jobs from one queue (redis bio.c's shape) and runs them. At most opts.queue requests
 * are admitted at a time over all connections; one more is answered `overloaded` at once instead
 * of growing any queue.
 *
 * Order: the requests of one connection run one after another, in arrival order (as pipelined
 * requests do in redis or HTTP/1.1: a disable_key followed by a sign on the same connection sees
 * the key disabled); parallelism comes from several connections (nw-host keeps a pool). Every
 * job sits in its connection's FIFO; when a worker finishes one it writes, under the connection
 * lock, every finished job at the head of that FIFO, then makes the next waiting job of that
 * connection runnable. An `overloaded` answer is made by the reader at once and waits in the FIFO
 * for its turn, so answers always leave in request order.
 *
 * Lifetime: a connection is referenced by its reader and by each of its unanswered jobs; the
 * last reference closes the socket. A frame whose length is 0 or above 1 MiB cannot be skipped
 * (the stream has lost its framing): it is answered bad_request with "id":null and the reader
 * stops, so the connection closes once the answers before it are written. A frame cut short by
 * the peer or not finished within NW_ENC_FRAME_TIMEOUT closes the connection without an answer.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nw/log.h>
#include <nw/mem.h>
#include <nw/wire.h>

#include "enclave_int.h"

struct conn;

struct job {
    struct job *next_conn; /* connection FIFO */
    struct job *next_q;    /* work queue */
    struct conn *conn;
    struct nw_buf payload; /* secret: requests carry credentials and passwords */
    struct nw_buf answer;  /* may carry a ciphertext: kept secret too */
    int64_t received_ms;
    bool started; /* handed to the work queue (or answered by the reader) */
    bool done;
};

struct server;

struct conn {
    struct server *srv;
    int fd;
    atomic_int refs;
    pthread_mutex_t lock;
    struct job *head, *tail;
    bool dead;                /* a write failed: further answers are dropped */
    bool busy;                /* one of its jobs is queued or running */
    struct conn *next, *prev; /* live list (shutdown) */
};

struct server {
    struct nw_enclave *e;
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    struct job *qhead, *qtail;
    int qlen;
    atomic_int admitted; /* jobs read and not yet freed, over all connections */
    bool stopping;
    pthread_mutex_t clock; /* live connections */
    pthread_cond_t cdone;
    struct conn *conns;
    int nconns;
};

static struct job *job_new(struct conn *c, int64_t received_ms)
{
    struct job *j = nw_calloc(1, sizeof(*j));
    if (j == NULL)
        return NULL;
    j->conn = c;
    j->received_ms = received_ms;
    atomic_fetch_add(&c->srv->admitted, 1);
    nw_buf_init(&j->payload, NW_WIRE_MAX_FRAME, true);
    nw_buf_init(&j->answer, NW_WIRE_MAX_FRAME, true);
    return j;
}

static void job_free(struct job *j)
{
    atomic_fetch_sub(&j->conn->srv->admitted, 1);
    nw_buf_clear(&j->payload);
    nw_buf_clear(&j->answer);
    nw_free(j);
}

static void conn_put(struct conn *c)
{
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    struct server *s = c->srv;
    (void)shutdown(c->fd, SHUT_WR);
    (void)close(c->fd);
    (void)pthread_mutex_destroy(&c->lock);
    (void)pthread_mutex_lock(&s->clock);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    s->nconns--;
    (void)pthread_cond_broadcast(&s->cdone);
    (void)pthread_mutex_unlock(&s->clock);
    nw_free(c);
}

/* Write every finished job at the head of c's FIFO, in order. */
static void conn_flush(struct conn *c)
{
    int released = 0;
    (void)pthread_mutex_lock(&c->lock);
    while (c->head != NULL && c->head->done) {
        struct job *j = c->head;
        c->head = j->next_conn;
        if (c->head == NULL)
            c->tail = NULL;
        if (!c->dead && j->answer.len > 0 &&
            nw_wire_write(c->fd, nw_buf_cur(&j->answer), nw_deadline_ms(NW_ENC_WRITE_TIMEOUT)) !=
                NW_OK) {
            c->dead = true;
            (void)shutdown(c->fd, SHUT_RDWR); /* wakes the reader */
        }
        job_free(j);
        released++;
    }
    (void)pthread_mutex_unlock(&c->lock);
    while (released-- > 0)
        conn_put(c);
}

/*
 * Append j to its connection's FIFO (the job holds a connection reference). Returns true when j
 * may run now (nothing else of this connection is queued or running): the caller queues it.
 * A job that is answered by the reader (run_now false) never makes the connection busy.
 */
static bool conn_push(struct conn *c, struct job *j, bool run_now)
{
    bool runnable = false;
    atomic_fetch_add(&c->refs, 1);
    (void)pthread_mutex_lock(&c->lock);
    if (c->tail != NULL)
        c->tail->next_conn = j;
    else
        c->head = j;
    c->tail = j;
    if (!run_now) {
        j->started = true;
    } else if (!c->busy) {
        c->busy = true;
        j->started = true;
        runnable = true;
    }
    (void)pthread_mutex_unlock(&c->lock);
    return runnable;
}

/* After a job of c finished: the next waiting job of c, now started, or NULL (c idle). */
static struct job *conn_next(struct conn *c)
{
    struct job *next = NULL;
    (void)pthread_mutex_lock(&c->lock);
    for (struct job *j = c->head; j != NULL && next == NULL; j = j->next_conn)
        if (!j->started)
            next = j;
    if (next != NULL)
        next->started = true;
    else
        c->busy = false;
    (void)pthread_mutex_unlock(&c->lock);
    return next;
}

static bool queue_push(struct server *s, struct job *j)
{
    bool ok = false;
    (void)pthread_mutex_lock(&s->qlock);
    if (!s->stopping) {
        if (s->qtail != NULL)
            s->qtail->next_q = j;
        else
            s->qhead = j;
        s->qtail = j;
        s->qlen++;
        atomic_store(&s->e->queue_depth, s->qlen);
        (void)pthread_cond_signal(&s->qcond);
        ok = true;
    }
    (void)pthread_mutex_unlock(&s->qlock);
    return ok;
}

static struct job *queue_pop(struct server *s)
{
    (void)pthread_mutex_lock(&s->qlock);
    while (s->qhead == NULL && !s->stopping)
        (void)pthread_cond_wait(&s->qcond, &s->qlock);
    struct job *j = s->qhead;
    if (j != NULL) {
        s->qhead = j->next_q;
        if (s->qhead == NULL)
            s->qtail = NULL;
        s->qlen--;
        atomic_store(&s->e->queue_depth, s->qlen);
    }
    (void)pthread_mutex_unlock(&s->qlock);
    return j;
}

/* Decode and run (or refuse with `refusal`) one job; its answer then waits in the FIFO. */
static void run_job(struct nw_enclave *e, struct job *j, nw_err refusal)
{
    struct nw_enc_req r;
    struct nw_diag diag = {0};
    nw_err err =
        nw_enc_req_parse(&r, &diag, nw_buf_cur(&j->payload), j->received_ms, e->opts.deadline_ms);
    nw_buf_clear(&j->payload);
    if (err != NW_OK)
        nw_enc_answer_bad(e, &j->answer, r.id, err, diag.msg);
    else if (refusal != NW_OK)
        nw_enc_answer_bad(e, &j->answer, r.id, refusal, NULL);
    else
        nw_enc_dispatch(e, &r, &j->answer);
    nw_enc_req_clear(&r);
}

static void finish_job(struct job *j)
{
    struct conn *c = j->conn;
    (void)pthread_mutex_lock(&c->lock);
    j->done = true;
    (void)pthread_mutex_unlock(&c->lock);
}

/* Queue j, or when the server stops, release it unanswered. */
static void schedule(struct server *s, struct job *j)
{
    while (j != NULL && !queue_push(s, j)) {
        struct conn *c = j->conn;
        finish_job(j);
        j = conn_next(c);
        atomic_fetch_add(&c->refs, 1); /* conn_flush may drop the last job's reference */
        conn_flush(c);
        conn_put(c);
    }
}

static void *worker_main(void *arg)
{
    struct server *s = arg;
    struct job *j;
    while ((j = queue_pop(s)) != NULL) {
        struct conn *c = j->conn;
        run_job(s->e, j, NW_OK);
        finish_job(j);
        struct job *next = conn_next(c);
        atomic_fetch_add(&c->refs, 1);
        conn_flush(c);
        schedule(s, next);
        conn_put(c);
    }
    return NULL;
}

/* Read one frame into a new job. Returns NW_OK, or why the connection must stop reading. */
static nw_err read_frame(struct conn *c, struct job **out)
{
    uint8_t hdr[NW_WIRE_HEADER_LEN];
    *out = NULL;
    nw_err err = nw_io_read_full(c->fd, hdr, sizeof(hdr), INT64_MAX);
    if (err != NW_OK)
        return err;
    uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    struct job *j = job_new(c, nw_now_ms());
    if (j == NULL)
        return NW_ERR_NOMEM;
    if (n == 0 || n > NW_WIRE_MAX_FRAME) {
        *out = j;
        return NW_ERR_WIRE_LENGTH;
    }
    err = nw_buf_reserve(&j->payload, n);
    if (err == NW_OK)
        err = nw_io_read_full(c->fd, j->payload.ptr, n, nw_deadline_ms(NW_ENC_FRAME_TIMEOUT));
    if (err != NW_OK) {
        job_free(j);
        return err == NW_ERR_WIRE_CLOSED ? NW_ERR_WIRE_TRUNCATED : err;
    }
    j->payload.len = n;
    *out = j;
    return NW_OK;
}

static void *reader_main(void *arg)
{
    struct conn *c = arg;
    struct nw_enclave *e = c->srv->e;
    for (;;) {
        struct job *j = NULL;
        nw_err err = read_frame(c, &j);
        /* read_frame hands over the job with NW_ERR_WIRE_LENGTH (j != NULL said for the
         * analyzer, which cannot see that nw_io_read_full never returns that code). */
        if (err == NW_ERR_WIRE_LENGTH && j != NULL) {
            (void)conn_push(c, j, false);
            nw_enc_answer_bad(e, &j->answer, NULL, NW_ERR_BAD_REQUEST,
                              "frame length must be 1 to 1048576 bytes");
            finish_job(j);
            conn_flush(c);
            break;
        }
        if (err != NW_OK) {
            if (err != NW_ERR_WIRE_CLOSED)
                nw_log(NW_LOG_INFO, "conn_end", "reason", nw_err_code(err), NULL);
            break;
        }
        if (atomic_load(&c->srv->admitted) > e->opts.queue) {
            (void)conn_push(c, j, false);
            run_job(e, j, NW_ERR_OVERLOADED);
            finish_job(j);
            conn_flush(c);
        } else if (conn_push(c, j, true)) {
            schedule(c->srv, j);
        }
    }
    conn_put(c);
    return NULL;
}

static void accept_one(struct server *s, int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    (void)pthread_mutex_lock(&s->clock);
    bool full = s->nconns >= NW_ENC_MAX_CONNS || s->stopping;
    (void)pthread_mutex_unlock(&s->clock);
    struct conn *c = full ? NULL : nw_calloc(1, sizeof(*c));
    if (c == NULL) {
        nw_log(NW_LOG_WARN, "conn_refused", "reason", full ? "too_many_connections" : "nomem",
               NULL);
        (void)close(fd);
        return;
    }
    c->srv = s;
    c->fd = fd;
    atomic_init(&c->refs, 1);
    (void)pthread_mutex_init(&c->lock, NULL);
    (void)pthread_mutex_lock(&s->clock);
    c->next = s->conns;
    if (s->conns != NULL)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    (void)pthread_mutex_unlock(&s->clock);
    atomic_fetch_add(&s->e->stats.connections, 1);

    pthread_attr_t attr;
    pthread_t t;
    (void)pthread_attr_init(&attr);
    (void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    (void)pthread_attr_setstacksize(&attr, (size_t)256 * 1024);
    if (pthread_create(&t, &attr, reader_main, c) != 0) {
        nw_log(NW_LOG_WARN, "conn_refused", "reason", "thread", NULL);
        conn_put(c);
    }
    (void)pthread_attr_destroy(&attr);
}

static int open_listener(struct nw_enclave *e, int *lfd)
{
    struct nw_addr a;
    nw_err err = nw_addr_parse(&a, e->opts.listen);
    if (err == NW_OK)
        err = nw_net_listen(&a, 128, lfd);
    if (err != NW_OK) {
        nw_log(NW_LOG_ERROR, "listen_failed", "addr", e->opts.listen, "error", nw_err_code(err),
               "errno", strerror(errno), NULL);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char text[NW_ADDR_TEXT_MAX] = "";
    if (getsockname(*lfd, (struct sockaddr *)&ss, &len) == 0)
        nw_sockaddr_format(text, &ss, len);
    nw_log(NW_LOG_INFO, "listening", "addr", text[0] != '\0' ? text : e->opts.listen, NULL);
    return 0;
}

/* Stop: no more accepts, wake every reader, let the workers drain the queue. */
static void stop_all(struct server *s, pthread_t *workers, int nworkers)
{
    (void)pthread_mutex_lock(&s->qlock);
    s->stopping = true;
    (void)pthread_cond_broadcast(&s->qcond);
    (void)pthread_mutex_unlock(&s->qlock);
    (void)pthread_mutex_lock(&s->clock);
    for (struct conn *c = s->conns; c != NULL; c = c->next)
        (void)shutdown(c->fd, SHUT_RD);
    (void)pthread_mutex_unlock(&s->clock);
    for (int i = 0; i < nworkers; i++)
        (void)pthread_join(workers[i], NULL);
    /* Jobs still queued when the workers left: answer nothing, release them (and whatever
     * waits behind them on their connections). */
    struct job *j;
    while ((j = s->qhead) != NULL) {
        s->qhead = j->next_q;
        s->qtail = s->qhead != NULL ? s->qtail : NULL;
        schedule(s, j);
    }
    int64_t until = nw_deadline_ms(5000);
    (void)pthread_mutex_lock(&s->clock);
    while (s->nconns > 0 && nw_now_ms() < until) {
        (void)pthread_mutex_unlock(&s->clock);
        (void)usleep(10000);
        (void)pthread_mutex_lock(&s->clock);
    }
    (void)pthread_mutex_unlock(&s->clock);
}

int nw_enc_serve(struct nw_enclave *e)
{
    static struct server s; /* readers may outlive a timed-out shutdown: never on the stack */
    pthread_t workers[256];
    int nworkers = 0, lfd = -1, rc = 1;
    sigset_t set;

    memset(&s, 0, sizeof(s));
    s.e = e;
    (void)pthread_mutex_init(&s.qlock, NULL);
    (void)pthread_cond_init(&s.qcond, NULL);
    (void)pthread_mutex_init(&s.clock, NULL);
    (void)pthread_cond_init(&s.cdone, NULL);
    (void)sigemptyset(&set);
    (void)sigaddset(&set, SIGINT);
    (void)sigaddset(&set, SIGTERM);
    (void)pthread_sigmask(SIG_BLOCK, &set, NULL);
    (void)signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0 || open_listener(e, &lfd) != 0)
        goto out;
    for (; nworkers < e->opts.workers; nworkers++)
        if (pthread_create(&workers[nworkers], NULL, worker_main, &s) != 0)
            goto out;
    nw_log(NW_LOG_INFO, "ready", "version", NW_ENC_VERSION, NULL);
    for (;;) {
        struct pollfd p[2] = {{lfd, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents != 0)
            break;
        if (p[0].revents & POLLIN)
            accept_one(&s, lfd);
    }
    rc = 0;
out:
    if (lfd >= 0)
        (void)close(lfd);
    stop_all(&s, workers, nworkers);
    if (sfd >= 0)
        (void)close(sfd);
    nw_log(NW_LOG_INFO, "stopped", NULL);
    return rc;
}

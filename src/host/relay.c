/*
 * The KMS relay listener (DESIGN.md section 5, `--kms-relay ADDR`, production vsock:any:8000).
 * The enclave sends unsigned KMS requests as section 3 frames; libnwaws's nw_kms_relay_handle
 * checks each one (Decrypt, GenerateDataKey, GenerateRandom, with a Recipient), signs it with
 * the instance role, forwards it over verified TLS and wraps KMS's answer. This file only
 * accepts connections, reads and writes frames, and counts calls.
 *
 * One thread per relay connection (the enclave keeps a few open), bounded by MAX_CONNS; each
 * has its own KMS client (clients are not thread-safe). A connection idle for IDLE_MS is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nw/kms.h>
#include <nw/mem.h>
#include <nw/wire.h>

#include "host.h"

#define MAX_CONNS 32
#define IDLE_MS   (10 * 60 * 1000)

struct nw_host_relay {
    struct nw_host_ctx *ctx;
    int listen_fd;
    int stop_pipe[2];
    pthread_t acceptor;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int conn_fd[MAX_CONNS];
    unsigned n_conns;
    volatile bool stopping;
};

struct conn_arg {
    struct nw_host_relay *r;
    int slot;
};

/* "ok", the relay's refusal code, or KMS's error name. */
static void outcome_of(const struct nw_kms_relay_info *info, char *out, size_t out_len)
{
    if (info->code != NW_OK)
        (void)snprintf(out, out_len, "%s", nw_err_code(info->code));
    else if (info->http_status == 200)
        (void)snprintf(out, out_len, "ok");
    else if (info->error_type[0] != '\0')
        (void)snprintf(out, out_len, "%.40s", info->error_type);
    else
        (void)snprintf(out, out_len, "http_%d", info->http_status);
}

static void serve(struct nw_host_relay *r, int fd)
{
    struct nw_aws_client *kms = NULL;
    struct nw_diag d;
    struct nw_buf in, out;
    nw_buf_init(&in, NW_WIRE_MAX_FRAME, true);
    nw_buf_init(&out, NW_WIRE_MAX_FRAME, true);
    if (nw_host_aws_client(r->ctx, &kms, NW_AWS_KMS, &d) != NW_OK) {
        nw_log(NW_LOG_ERROR, "relay_client", "message", d.msg, NULL);
        goto out;
    }
    while (!r->stopping) {
        in.len = 0;
        out.len = 0;
        nw_err err = nw_wire_read(fd, &in, NW_WIRE_MAX_FRAME, nw_deadline_ms(IDLE_MS));
        if (err != NW_OK) {
            if (err != NW_ERR_WIRE_CLOSED)
                nw_log(NW_LOG_WARN, "relay_read", "code", nw_err_code(err), NULL);
            break;
        }
        struct nw_kms_relay_info info;
        char outcome[48], status[16];
        err = nw_kms_relay_handle(kms, &out, &info, nw_buf_cur(&in));
        if (err != NW_OK || out.len == 0) {
            nw_log(NW_LOG_WARN, "relay_handle", "code", nw_err_code(err), NULL);
            break; /* no answer is possible: close, as section 3 says */
        }
        const char *target = info.op != 0 ? nw_kms_op_name(info.op) : "invalid";
        outcome_of(&info, outcome, sizeof(outcome));
        (void)snprintf(status, sizeof(status), "%d", info.http_status);
        nw_host_metrics_relay(r->ctx->metrics, target != NULL ? target : "invalid", outcome);
        nw_log(info.code == NW_OK ? NW_LOG_INFO : NW_LOG_WARN, "kms_relay", "id", info.id, "target",
               target != NULL ? target : "invalid", "status", status, "outcome", outcome, NULL);
        if (nw_wire_write(fd, nw_buf_cur(&out), nw_deadline_ms(30000)) != NW_OK)
            break;
    }
out:
    nw_aws_client_free(kms);
    nw_buf_clear(&in);
    nw_buf_clear(&out);
}

static void *conn_main(void *p)
{
    struct conn_arg a = *(struct conn_arg *)p;
    nw_free(p);
    struct nw_host_relay *r = a.r;
    serve(r, r->conn_fd[a.slot]);
    (void)pthread_mutex_lock(&r->mu);
    (void)close(r->conn_fd[a.slot]);
    r->conn_fd[a.slot] = -1;
    r->n_conns--;
    (void)pthread_cond_broadcast(&r->cv);
    (void)pthread_mutex_unlock(&r->mu);
    return NULL;
}

static void start_conn(struct nw_host_relay *r, int fd)
{
    (void)pthread_mutex_lock(&r->mu);
    int slot = -1;
    for (int i = 0; i < MAX_CONNS && slot < 0; i++)
        if (r->conn_fd[i] < 0)
            slot = i;
    if (slot >= 0) {
        r->conn_fd[slot] = fd;
        r->n_conns++;
    }
    (void)pthread_mutex_unlock(&r->mu);
    struct conn_arg *a = slot >= 0 ? nw_malloc(sizeof(*a)) : NULL;
    pthread_t th;
    if (a != NULL) {
        a->r = r;
        a->slot = slot;
        pthread_attr_t at;
        (void)pthread_attr_init(&at);
        (void)pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        bool ok = pthread_create(&th, &at, conn_main, a) == 0;
        (void)pthread_attr_destroy(&at);
        if (ok)
            return;
        nw_free(a);
    }
    nw_log(NW_LOG_WARN, "relay_refused", "reason", slot < 0 ? "too many connections" : "thread",
           NULL);
    if (slot >= 0) {
        (void)pthread_mutex_lock(&r->mu);
        r->conn_fd[slot] = -1;
        r->n_conns--;
        (void)pthread_mutex_unlock(&r->mu);
    }
    (void)close(fd);
}

static void *accept_main(void *p)
{
    struct nw_host_relay *r = p;
    while (!r->stopping) {
        struct pollfd pf[2] = {{r->listen_fd, POLLIN, 0}, {r->stop_pipe[0], POLLIN, 0}};
        if (poll(pf, 2, -1) < 0 && errno != EINTR)
            break;
        if (pf[1].revents != 0)
            break;
        if ((pf[0].revents & POLLIN) == 0)
            continue;
        int fd = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            start_conn(r, fd);
    }
    return NULL;
}

nw_err nw_host_relay_start(struct nw_host_relay **out, struct nw_host_ctx *ctx, int listen_fd)
{
    struct nw_host_relay *r = nw_calloc(1, sizeof(*r));
    *out = NULL;
    if (r == NULL)
        return NW_ERR_NOMEM;
    r->ctx = ctx;
    r->listen_fd = listen_fd;
    for (int i = 0; i < MAX_CONNS; i++)
        r->conn_fd[i] = -1;
    if (pipe2(r->stop_pipe, O_CLOEXEC) != 0) {
        nw_free(r);
        return NW_ERR_IO;
    }
    (void)pthread_mutex_init(&r->mu, NULL);
    (void)pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->acceptor, NULL, accept_main, r) != 0) {
        (void)close(r->stop_pipe[0]);
        (void)close(r->stop_pipe[1]);
        nw_free(r);
        return NW_ERR_IO;
    }
    *out = r;
    return NW_OK;
}

void nw_host_relay_stop(struct nw_host_relay *r)
{
    if (r == NULL)
        return;
    r->stopping = true;
    if (write(r->stop_pipe[1], "x", 1) < 0)
        nw_log(NW_LOG_WARN, "relay_stop", "errno", strerror(errno), NULL);
    (void)pthread_join(r->acceptor, NULL);
    /* Wake every connection thread (shutdown makes its blocking read return) and wait. */
    (void)pthread_mutex_lock(&r->mu);
    for (int i = 0; i < MAX_CONNS; i++)
        if (r->conn_fd[i] >= 0)
            (void)shutdown(r->conn_fd[i], SHUT_RDWR);
    while (r->n_conns > 0)
        (void)pthread_cond_wait(&r->cv, &r->mu);
    (void)pthread_mutex_unlock(&r->mu);
    (void)close(r->listen_fd);
    (void)close(r->stop_pipe[0]);
    (void)close(r->stop_pipe[1]);
    (void)pthread_cond_destroy(&r->cv);
    (void)pthread_mutex_destroy(&r->mu);
    nw_free(r);
}

/*
 * A stand-in for nw-host's KMS relay (DESIGN.md section 5), for tests: listens on a unix: or
 * tcp: address and serves section 3 frames with nw_kms_relay_handle, signing with the
 * credentials and reaching the KMS endpoint named by a nw-devaws env file (AWS_* variables:
 * endpoint, CA bundle, region, keys). One thread per connection (each with its own KMS
 * client), many requests per connection answered in order. One log line per request on stderr:
 * id, target, outcome, KMS status and error name (never a body).
 *
 * usage: kms_relay_driver --listen ADDR [--env FILE] [--max-conns N]
 * Runs until SIGTERM/SIGINT. Without --env the process environment is used as is.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nw/addr.h>
#include <nw/aws.h>
#include <nw/http.h>
#include <nw/kms.h>
#include <nw/log.h>
#include <nw/mem.h>
#include <nw/wire.h>

static volatile sig_atomic_t stop;
static atomic_int conns;
static int max_conns = 16;
static struct nw_aws_creds_provider *creds;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* Load `export NAME='value'` lines (the nw-devaws env file) into the environment. */
static int load_env(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[4096];
    while (fgets(line, sizeof(line), f) != NULL) {
        char *eq = strchr(line, '='), *q1 = eq ? strchr(eq, '\'') : NULL;
        char *q2 = q1 ? strrchr(q1 + 1, '\'') : NULL;
        if (strncmp(line, "export ", 7) != 0 || eq == NULL || q1 == NULL || q2 == NULL)
            continue;
        *eq = '\0';
        *q2 = '\0';
        (void)setenv(line + 7, q1 + 1, 1);
    }
    (void)fclose(f);
    (void)unsetenv("AWS_SESSION_TOKEN");
    return 0;
}

static void *serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    struct nw_aws_client *kms = NULL;
    struct nw_diag d = {0};
    struct nw_aws_config cfg = {.creds = creds, .max_attempts = 2};
    struct nw_buf req, ans;
    nw_buf_init(&req, NW_WIRE_MAX_FRAME, false);
    nw_buf_init(&ans, NW_KMS_RELAY_MAX_ANSWER, false);
    if (nw_aws_client_new(&kms, NW_AWS_KMS, &cfg, &d) != NW_OK) {
        (void)fprintf(stderr, "kms_relay_driver: client: %s\n", d.msg);
        goto out;
    }
    while (!stop) {
        req.len = 0;
        ans.len = 0;
        nw_err err = nw_wire_read(fd, &req, NW_WIRE_MAX_FRAME, nw_deadline_ms(60000));
        if (err != NW_OK) {
            if (err != NW_ERR_WIRE_CLOSED)
                (void)fprintf(stderr, "kms_relay_driver: frame: %s\n", nw_err_name(err));
            break;
        }
        struct nw_kms_relay_info info;
        err = nw_kms_relay_handle(kms, &ans, &info, nw_buf_cur(&req));
        (void)fprintf(stderr, "kms_relay_driver: id=%s op=%s outcome=%s status=%d error=%s\n",
                      info.id, info.op ? nw_kms_op_name(info.op) : "-", nw_err_code(info.code),
                      info.http_status, info.error_type[0] ? info.error_type : "-");
        if (err != NW_OK || nw_wire_write(fd, nw_buf_cur(&ans), nw_deadline_ms(10000)) != NW_OK)
            break;
    }
out:
    nw_aws_client_free(kms);
    nw_buf_clear(&req);
    nw_buf_clear(&ans);
    (void)close(fd);
    atomic_fetch_sub(&conns, 1);
    return NULL;
}

static int serve(int lfd)
{
    while (!stop) {
        struct pollfd p = {lfd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        if (atomic_load(&conns) >= max_conns) {
            (void)close(fd);
            continue;
        }
        atomic_fetch_add(&conns, 1);
        pthread_t t;
        if (pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)fd) != 0) {
            atomic_fetch_sub(&conns, 1);
            (void)close(fd);
            continue;
        }
        (void)pthread_detach(t);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *listen_at = NULL, *env = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0)
            listen_at = argv[i + 1];
        else if (strcmp(argv[i], "--env") == 0)
            env = argv[i + 1];
        else if (strcmp(argv[i], "--max-conns") == 0)
            max_conns = atoi(argv[i + 1]);
    }
    if (listen_at == NULL || (argc % 2) != 1 || max_conns < 1) {
        (void)fputs("usage: kms_relay_driver --listen ADDR [--env FILE] [--max-conns N]\n", stderr);
        return 2;
    }
    if (env != NULL && load_env(env) != 0) {
        (void)fprintf(stderr, "kms_relay_driver: cannot read %s\n", env);
        return 1;
    }
    if (nw_mem_hook_libraries() != 0 || nw_http_global_init(true) != NW_OK)
        return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    (void)sigaction(SIGTERM, &sa, NULL);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)signal(SIGPIPE, SIG_IGN);
    struct nw_addr a;
    int lfd = -1;
    if (nw_addr_parse(&a, listen_at) != NW_OK || a.kind == NW_ADDR_VSOCK ||
        nw_net_listen(&a, 64, &lfd) != NW_OK) {
        (void)fprintf(stderr, "kms_relay_driver: cannot listen on %s\n", listen_at);
        return 1;
    }
    if (nw_aws_creds_provider_env(&creds) != NW_OK)
        return 1;
    (void)fprintf(stderr, "kms_relay_driver: listening on %s\n", listen_at);
    int rc = serve(lfd);
    (void)close(lfd);
    if (a.kind == NW_ADDR_UNIX)
        (void)unlink(a.path);
    for (int i = 0; i < 100 && atomic_load(&conns) > 0; i++)
        usleep(20000);
    nw_aws_creds_provider_free(creds);
    return rc;
}

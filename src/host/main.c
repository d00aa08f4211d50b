/*
 * nw-host: parses options, hardens the process, loads the TLS files, and wires the libraries
 * together (libnwhttpd for HTTPS, the enclave pool, Secrets Manager, the KMS relay).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <nw/addr.h>
#include <nw/http.h>
#include <nw/httpd.h>
#include <nw/mem.h>

#include "host.h"

/* Read a whole PEM file into b (NUL-terminated). */
static nw_err read_file(struct nw_buf *b, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NW_ERR_IO;
    char chunk[4096];
    size_t n;
    nw_err err = NW_OK;
    while (err == NW_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        err = nw_buf_append(b, chunk, n);
    nw_wipe(chunk, sizeof(chunk));
    (void)fclose(f);
    return err == NW_OK ? nw_buf_cstr(b) : err;
}

static int fail(const char *what, const char *detail)
{
    (void)fprintf(stderr, "nw-host: %s: %s\n", what, detail);
    return 1;
}

/* Listen on text; the message names the address and the system's reason. */
static int listen_on(const char *option, const char *text, int *fd)
{
    struct nw_addr a;
    char msg[256];
    nw_err err = nw_addr_parse(&a, text);
    if (err != NW_OK) {
        (void)snprintf(msg, sizeof(msg), "%s: invalid address (%s)", text, nw_err_str(err));
        return fail(option, msg);
    }
    errno = 0;
    err = nw_net_listen(&a, 256, fd);
    if (err != NW_OK) {
        (void)snprintf(msg, sizeof(msg), "cannot listen on %s: %s", text,
                       errno != 0 ? strerror(errno) : nw_err_str(err));
        return fail(option, msg);
    }
    return 0;
}

static void log_bound(const char *event, int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char text[NW_ADDR_TEXT_MAX];
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    nw_sockaddr_format(text, &ss, len);
    nw_log(NW_LOG_INFO, event, "addr", text, NULL);
}

/* --rpc-listen: POST /rpc as plain HTTP on loopback or unix: (checked by the config parser). */
static int
start_rpc(const struct nw_host_config *cfg, struct nw_host_ctx *ctx, struct nw_httpd **out)
{
    int fd = -1;
    if (cfg->rpc_listen == NULL)
        return 0;
    int rc = listen_on("--rpc-listen", cfg->rpc_listen, &fd);
    if (rc != 0)
        return rc;
    struct nw_httpd_options o = {
        .fd = fd,
        .threads = cfg->threads,
        .max_connections = cfg->max_connections,
        .max_body_bytes = cfg->max_body_bytes,
        .idle_timeout_s = cfg->idle_timeout_s,
        .request_timeout_ms = cfg->request_timeout_ms,
        .handler = nw_host_handle_rpc_only,
        .ctx = ctx,
    };
    log_bound("rpc_listening", fd);
    if (nw_httpd_start(out, &o) != NW_OK) {
        (void)close(fd);
        return fail("--rpc-listen", "the plain-HTTP JSON-RPC server did not start");
    }
    return 0;
}

static int
serve(const struct nw_host_config *cfg, struct nw_buf *cert, struct nw_buf *key, struct nw_buf *ca)
{
    struct nw_host_ctx ctx;
    struct nw_host_relay *relay = NULL;
    struct nw_httpd *httpd = NULL, *rpc_httpd = NULL;
    struct nw_diag d;
    int fd = -1, relay_fd = -1, sig = 0;
    memset(&d, 0, sizeof(d));
    if (nw_host_ctx_init(&ctx, cfg, &d) != NW_OK) {
        nw_host_ctx_clear(&ctx);
        return fail("start", d.msg);
    }
    int rc = listen_on("--listen", cfg->listen, &fd);
    if (rc == 0 && cfg->kms_relay != NULL)
        rc = listen_on("--kms-relay", cfg->kms_relay, &relay_fd);
    if (rc == 0) {
        struct nw_httpd_options o = {
            .fd = fd,
            .cert_pem = (const char *)cert->ptr,
            .key_pem = (const char *)key->ptr,
            .client_ca_pem = ca->len > 0 ? (const char *)ca->ptr : NULL,
            .require_client_cert = ca->len > 0,
            .threads = cfg->threads,
            .max_connections = cfg->max_connections,
            .max_body_bytes = cfg->max_body_bytes,
            .idle_timeout_s = cfg->idle_timeout_s,
            .request_timeout_ms = cfg->request_timeout_ms,
            .handler = nw_host_handle,
            .ctx = &ctx,
        };
        log_bound("listening", fd);
        nw_err err = nw_httpd_start(&httpd, &o);
        nw_buf_clear(key); /* the server keeps its own copy */
        if (err != NW_OK) {
            (void)close(fd);
            rc = fail("--listen", "the HTTPS server did not start (certificate or key invalid?)");
        }
    }
    if (rc == 0)
        rc = start_rpc(cfg, &ctx, &rpc_httpd);
    if (rc == 0 && relay_fd >= 0) {
        log_bound("kms_relay_listening", relay_fd);
        if (nw_host_relay_start(&relay, &ctx, relay_fd) != NW_OK) {
            (void)close(relay_fd);
            rc = fail("--kms-relay", "cannot start the relay");
        }
    } else if (relay_fd >= 0) {
        (void)close(relay_fd);
    }
    if (rc == 0) {
        sigset_t set;
        (void)sigemptyset(&set);
        (void)sigaddset(&set, SIGINT);
        (void)sigaddset(&set, SIGTERM);
        while (sigwait(&set, &sig) != 0) {
        }
        nw_log(NW_LOG_INFO, "stopping", NULL);
    }
    nw_httpd_stop(rpc_httpd);
    nw_httpd_stop(httpd);
    nw_host_relay_stop(relay);
    nw_host_ctx_clear(&ctx);
    return rc;
}

int main(int argc, char **argv)
{
    static struct nw_host_config cfg;
    struct nw_buf cert, key, ca;
    int rc = 1;
    if (nw_mem_hook_libraries() != 0 || nw_http_global_init(true) != NW_OK)
        return fail("start", "library initialisation failed");
    int status = nw_host_config_parse(&cfg, argc, argv);
    if (status >= 0) {
        nw_host_config_clear(&cfg);
        return status;
    }
    nw_log_setup("nw-host", cfg.log_level, cfg.log_json);
    if (nw_daemon_harden() != 0)
        nw_log(NW_LOG_WARN, "harden_failed", NULL);
    /* Signals are taken by sigwait in serve(): block them before any thread starts. */
    sigset_t set;
    (void)sigemptyset(&set);
    (void)sigaddset(&set, SIGINT);
    (void)sigaddset(&set, SIGTERM);
    (void)pthread_sigmask(SIG_BLOCK, &set, NULL);
    (void)signal(SIGPIPE, SIG_IGN);
    nw_buf_init(&cert, (size_t)1024 * 1024, false);
    nw_buf_init(&key, (size_t)1024 * 1024, true);
    nw_buf_init(&ca, (size_t)1024 * 1024, false);
    if (read_file(&cert, cfg.tls_cert) != NW_OK)
        rc = fail("--tls-cert", "cannot read the file");
    else if (read_file(&key, cfg.tls_key) != NW_OK)
        rc = fail("--tls-key", "cannot read the file");
    else if (cfg.client_ca != NULL && read_file(&ca, cfg.client_ca) != NW_OK)
        rc = fail("--client-ca", "cannot read the file");
    else
        rc = serve(&cfg, &cert, &key, &ca);
    nw_buf_clear(&cert);
    nw_buf_clear(&key);
    nw_buf_clear(&ca);
    nw_host_config_clear(&cfg);
    return rc;
}

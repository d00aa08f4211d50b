/*
 * nw-enclave: the signing server inside the enclave (DESIGN.md sections 1, 3, 5, 6).
 * Parses options, prepares the process (loopback, allocator hooks, libcurl, hardening, logging)
 * and runs the frame server; everything else lives in the modules beside this file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <nw/base64.h>
#include <nw/http.h>
#include <nw/log.h>
#include <nw/opt.h>
#include <nw/wire.h>

#include "enclave_int.h"

enum {
    NW_ENC_O_LISTEN = 1,
    NW_ENC_O_LOOPBACK,
    NW_ENC_O_WORKERS,
    NW_ENC_O_QUEUE,
    NW_ENC_O_DEADLINE,
    NW_ENC_O_DEMO,
    NW_ENC_O_LOGFMT,
    NW_ENC_O_LOGLEVEL
};

static const struct nw_opt options[] = {
    {"listen", 'l', "ADDR", NW_ENC_O_LISTEN,
     "where to take frames (default " NW_ENC_DEFAULT_LISTEN ")"},
    {"bring-up-loopback", 0, NULL, NW_ENC_O_LOOPBACK,
     "set interface lo up (ioctl) before anything else"},
    {"workers", 'w', "N", NW_ENC_O_WORKERS,
     "worker threads (default 8, nw-host's pool size: a worker waits out its audit commit)"},
    {"queue", 'q', "N", NW_ENC_O_QUEUE,
     "queued requests before answering overloaded (default 256)"},
    {"deadline-ms", 0, "MS", NW_ENC_O_DEADLINE,
     "per-request deadline, also the most a request may ask\n"
     "(default 30000)"},
    {"db-demo", 0, NULL, NW_ENC_O_DEMO,
     "on the first configure with a database, run the seed's\n"
     "key_storage demo and print its rows on stdout"},
    {"log-format", 0, "json|text", NW_ENC_O_LOGFMT, "log line format on stderr (default json)"},
    {"log-level", 0, "LEVEL", NW_ENC_O_LOGLEVEL, "debug, info (default), warn, error"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct nw_opt_cmd command = {
    "nw-enclave", "[--listen ADDR] [--bring-up-loopback] [options]",
    "Serve the host/enclave frame protocol: health and configure, then signing and key ops.\n"
    "ADDR is vsock:CID:PORT (CID may be any), tcp:HOST:PORT or unix:/PATH.",
    options,
    "Signals: TERM/INT stop (cached keys are wiped). Exit 0 on a clean stop, 1 on a\n"
    "start-up failure, 2 on a usage error."};

static int parse_int(const char *v, int min, int max, int *out)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || x < min || x > max)
        return -1;
    *out = (int)x;
    return 0;
}

static const char *opt_name(int id)
{
    for (const struct nw_opt *o = options; o->name != NULL; o++)
        if (o->id == id)
            return o->name;
    return "?";
}

static int parse_opts(struct nw_enc_opts *o, int argc, char **argv)
{
    struct nw_opt_parser p;
    const char *v;
    int id;
    o->listen = NW_ENC_DEFAULT_LISTEN;
    o->workers = 8;
    o->queue = 256;
    o->deadline_ms = 30000;
    o->log_json = true;
    o->log_level = "info";
    nw_opt_init(&p, &command, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        int bad = 0;
        switch (id) {
            case NW_ENC_O_LISTEN:
                o->listen = v;
                break;
            case NW_ENC_O_LOOPBACK:
                o->bring_up_loopback = true;
                break;
            case NW_ENC_O_WORKERS:
                bad = parse_int(v, 1, 256, &o->workers);
                break;
            case NW_ENC_O_QUEUE:
                bad = parse_int(v, 1, 100000, &o->queue);
                break;
            case NW_ENC_O_DEADLINE:
                bad = parse_int(v, 1, 600000, &o->deadline_ms);
                break;
            case NW_ENC_O_DEMO:
                o->db_demo = true;
                break;
            case NW_ENC_O_LOGFMT:
                bad = strcmp(v, "json") == 0 ? 0 : strcmp(v, "text") == 0 ? 0 : -1;
                o->log_json = strcmp(v, "json") == 0;
                break;
            case NW_ENC_O_LOGLEVEL:
                o->log_level = v;
                break;
            default:
                break;
        }
        if (bad != 0)
            return nw_opt_usage_error(&command, "bad value for --%s", opt_name(id));
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id) == 0 ? -1 : 2;
    if (p.optind < argc)
        return nw_opt_usage_error(&command, "unexpected operand '%s'", argv[p.optind]);
    return 0;
}

int main(int argc, char **argv)
{
    static struct nw_enclave e;
    enum nw_log_level level = NW_LOG_INFO;
    int rc = parse_opts(&e.opts, argc, argv);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (e.opts.bring_up_loopback) {
        int er = nw_enc_loopback_up();
        if (er != 0) {
            (void)fprintf(stderr, "nw-enclave: cannot set lo up: %s\n", strerror(er));
            return 1;
        }
    }
    if (!nw_log_level_parse(e.opts.log_level, &level))
        return nw_opt_usage_error(&command, "unknown --log-level '%s'", e.opts.log_level);
    if (nw_mem_hook_libraries() != 0 || nw_http_global_init(true) != NW_OK ||
        nw_daemon_harden() != 0) {
        (void)fputs("nw-enclave: process set-up failed (allocator hooks, libcurl, hardening)\n",
                    stderr);
        return 1;
    }
    nw_log_setup("nw-enclave", level, e.opts.log_json);
    if (e.opts.bring_up_loopback)
        nw_log(NW_LOG_INFO, "loopback_up", NULL);
    uint8_t rnd[16];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        return 1;
    nw_uuid4_format(e.instance, rnd);
    e.started_ms = nw_now_ms();
    (void)pthread_mutex_init(&e.cfg_lock, NULL);
    (void)pthread_mutex_init(&e.configure_lock, NULL);
    e.secp = nw_secp_new();
    if (e.secp == NULL) {
        nw_log(NW_LOG_ERROR, "start_failed", "error", "secp_context", NULL);
        return 1;
    }
    rc = nw_enc_serve(&e);
    nw_enc_cfg_shutdown(&e);
    nw_secp_free(e.secp);
    return rc;
}

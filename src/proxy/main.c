/*
 * nw-proxy: a byte relay between tcp:, unix: and vsock: addresses (the viproxy and vsock-proxy
 * roles of the seed). Parses options, loads and checks the allowlist, then runs the relay.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <nw/addr.h>
#include <nw/log.h>
#include <nw/opt.h>

#include "proxy.h"

static const char usage[] =
    "usage: nw-proxy --listen ADDR --connect ADDR [options]\n"
    "       nw-proxy --route LISTEN=CONNECT [--route LISTEN=CONNECT ...] [options]\n"
    "       nw-proxy LOCAL_VSOCK_PORT REMOTE_HOST REMOTE_PORT [--config FILE] [-w N] [-4|-6]\n"
    "\n"
    "ADDR is tcp:HOST:PORT (tcp:[v6]:PORT), unix:/PATH or vsock:CID:PORT (CID may be any).\n"
    "The third form is AWS vsock-proxy's: listen on vsock:any:LOCAL_VSOCK_PORT, relay to\n"
    "tcp:REMOTE_HOST:REMOTE_PORT, which must be in the allowlist (default "
    "config " NW_PROXY_DEFAULT_YAML ").\n"
    "\n"
    "options:\n"
    "  --config FILE          allowlist YAML (allowlist: - {address: HOST, port: N}); SIGHUP "
    "reloads\n"
    "  -w, --num_workers N    event-loop threads (default 1)\n"
    "  -4, --ipv4 | -6, --ipv6  resolve target names to IPv4 or IPv6 only\n"
    "  --max-conns N          open connections over all routes (default 4096)\n"
    "  --idle-timeout S       close connections idle for S seconds (default 0: never)\n"
    "  --connect-timeout MS   resolve+connect deadline per connection (default 10000)\n"
    "  --dns-ttl-max S        re-resolve target names after S seconds (default 60)\n"
    "  --drain-timeout S      on SIGTERM, wait up to S seconds for open connections (default 30)\n"
    "  --pipe-size BYTES      splice pipe size per direction (default 262144)\n"
    "  --log-format text|json, --log-level debug|info|warn|error\n"
    "  --listen-override ADDR (testing) listen here instead of vsock in the vsock-proxy form\n"
    "  --version              print the version and the library versions and exit\n"
    "signals: TERM/INT drain and exit, HUP reloads the allowlist, USR1 logs counters.\n";

int main(int argc, char **argv)
{
    static struct nw_proxy_cfg cfg;
    static struct nw_proxy_allowlist al;
    char diag[NW_PROXY_DIAG_MAX];
    for (int i = 1; i < argc; i++) { /* the conventions of <nw/opt.h> */
        if (strcmp(argv[i], "--version") == 0) {
            nw_opt_print_version(stdout, "nw-proxy");
            return 0;
        }
    }
    nw_err err = nw_proxy_parse_args(&cfg, diag, argc, (const char *const *)argv);
    if (err == NW_OK && cfg.help) {
        (void)fputs(usage, stdout);
        return 0;
    }
    if (err == NW_OK && cfg.config_path[0] != '\0') {
        err = nw_proxy_allowlist_load(&al, diag, cfg.config_path);
        if (err == NW_OK)
            err = nw_proxy_check_targets(&cfg, &al, diag);
    }
    if (err != NW_OK) {
        (void)fprintf(stderr, "nw-proxy: %s (%s)\n%s", diag, nw_err_name(err),
                      err == NW_ERR_PROXY_USAGE ? "try nw-proxy --help\n" : "");
        return 2;
    }
    nw_log_setup("nw-proxy", cfg.log_level, cfg.log_json);
    return nw_proxy_run(&cfg, cfg.config_path[0] != '\0' ? &al : NULL);
}

/*
 * nw-proxy: a byte relay between tcp:, unix: and vsock: addresses (the viproxy and vsock-proxy
 * roles of the seed). Parses options, loads and checks the allowlist, then runs the relay.
 * The options and the --help text are one table, nw_proxy_cmd (config.c, <nw/opt.h>).
 */
#include <stdio.h>

#include <nw/log.h>
#include <nw/opt.h>

#include "proxy.h"

int main(int argc, char **argv)
{
    static struct nw_proxy_cfg cfg;
    static struct nw_proxy_allowlist al;
    char diag[NW_PROXY_DIAG_MAX];
    nw_err err = nw_proxy_parse_args(&cfg, diag, argc, (const char *const *)argv);
    if (err != NW_OK) /* a bad command line: a usage error (exit 2) with the code */
        return nw_opt_usage_error(&nw_proxy_cmd, "%s (%s)", diag, nw_err_name(err));
    if (cfg.help) {
        nw_opt_print_help(stdout, &nw_proxy_cmd);
        return NW_OPT_EXIT_OK;
    }
    if (cfg.version) {
        nw_opt_print_version(stdout, "nw-proxy");
        return NW_OPT_EXIT_OK;
    }
    if (cfg.config_path[0] != '\0') {
        err = nw_proxy_allowlist_load(&al, diag, cfg.config_path);
        if (err == NW_OK)
            err = nw_proxy_check_targets(&cfg, &al, diag);
    }
    if (err != NW_OK) { /* bad configuration: exit 2, as a bad command line */
        (void)fprintf(stderr, "nw-proxy: %s (%s)\n", diag, nw_err_name(err));
        return 2;
    }
    nw_log_setup("nw-proxy", cfg.log_level, cfg.log_json);
    return nw_proxy_run(&cfg, cfg.config_path[0] != '\0' ? &al : NULL);
}

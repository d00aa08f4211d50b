/*
 * nw: the operator CLI. This file only dispatches; commands live in cmd_<area>.c.
 */
#include <stdio.h>
#include <string.h>

#include <nw/http.h>
#include <nw/log.h>

#include "cli.h"

static const struct nw_cli_cmd *const tables[] = {nw_cli_cmds_tx, nw_cli_cmds_msg, nw_cli_cmds_aws,
                                                  nw_cli_cmds_attest, nw_cli_cmds_enclave};

static void print_help(void)
{
    (void)fputs("usage: nw COMMAND [OPTIONS]\n\ncommands:\n", stdout);
    for (size_t t = 0; t < NW_ARRAY_LEN(tables); t++) {
        for (const struct nw_cli_cmd *c = tables[t]; c->name != NULL; c++)
            (void)fprintf(stdout, "  %-24s %s\n", c->name, c->summary);
    }
    (void)fputs("\n`nw COMMAND --help` describes a command.\n", stdout);
}

/* Match a one- or two-word command name against argv; returns words consumed or 0. */
static int match(const char *name, int argc, char **argv)
{
    const char *sp = strchr(name, ' ');
    if (sp == NULL)
        return strcmp(name, argv[0]) == 0 ? 1 : 0;
    size_t n = (size_t)(sp - name);
    if (argc < 2 || strlen(argv[0]) != n || strncmp(name, argv[0], n) != 0)
        return 0;
    return strcmp(sp + 1, argv[1]) == 0 ? 2 : 0;
}

int main(int argc, char **argv)
{
    nw_log_setup("nw", NW_LOG_WARN, false);
    /* Key files and KMS plaintexts pass through this process: no core dumps, and the heaps of
     * jansson, OpenSSL and libcurl go through the wiping allocator. */
    (void)nw_daemon_harden();
    if (nw_mem_hook_libraries() != 0 || nw_http_global_init(true) != NW_OK)
        return nw_cli_fail("internal", "cannot install allocator hooks");
    if (argc < 2) {
        print_help();
        return NW_CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help();
        return NW_CLI_EXIT_OK;
    }
    for (size_t t = 0; t < NW_ARRAY_LEN(tables); t++) {
        for (const struct nw_cli_cmd *c = tables[t]; c->name != NULL; c++) {
            int used = match(c->name, argc - 1, argv + 1);
            if (used > 0)
                return c->run(argc - used, argv + used);
        }
    }
    (void)fprintf(stderr, "nw: unknown command '%s' (see nw --help)\n", argv[1]);
    return NW_CLI_EXIT_USAGE;
}

/*
 * nw: the operator CLI. This file only dispatches; commands live in cmd_<area>.c, each with
 * its own option table (<nw/opt.h>).
 */
#include <stdio.h>
#include <string.h>

#include <nw/http.h>
#include <nw/log.h>

#include "cli.h"

static const struct nw_cli_cmd *const tables[] = {
    nw_cli_cmds_tx, nw_cli_cmds_msg, nw_cli_cmds_keystore, nw_cli_cmds_aws, nw_cli_cmds_attest,
    nw_cli_cmds_enclave};

/* Commands whose name starts with group ("kms"), or all commands with group NULL. */
static void print_commands(FILE *f, const char *group)
{
    size_t gl = group ? strlen(group) : 0;
    for (size_t t = 0; t < NW_ARRAY_LEN(tables); t++) {
        for (const struct nw_cli_cmd *c = tables[t]; c->name != NULL; c++) {
            if (group == NULL || (strncmp(c->name, group, gl) == 0 && c->name[gl] == ' '))
                (void)fprintf(f, "  %-26s %s\n", c->name, c->summary);
        }
    }
}

static void print_help(FILE *f)
{
    (void)fputs("usage: nw COMMAND [OPTIONS]\n"
                "       nw --version\n\n"
                "Ethereum keys and signing for nitro-wallet: offline signing and checks,\n"
                "keystores, KMS and Secrets Manager, attestation documents.\n\ncommands:\n",
                f);
    print_commands(f, NULL);
    (void)fputs("\n`nw COMMAND --help` describes a command. Exit status: 0 ok; 1 an error\n"
                "({\"error\":{\"code\",\"message\"}} on stderr); 2 a usage error.\n"
                "docs/cli.md has an example of every command.\n",
                f);
}

/* True if word is the first word of a two-word command (a group such as "kms"). */
static bool is_group(const char *word)
{
    size_t n = strlen(word);
    for (size_t t = 0; t < NW_ARRAY_LEN(tables); t++) {
        for (const struct nw_cli_cmd *c = tables[t]; c->name != NULL; c++) {
            if (strncmp(c->name, word, n) == 0 && c->name[n] == ' ')
                return true;
        }
    }
    return false;
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

/* `nw kms`, `nw kms --help`, `nw kms nosuch`: the group's commands. */
static int group_usage(int argc, char **argv)
{
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    FILE *f = help ? stdout : stderr;
    if (argc >= 2 && !help)
        (void)fprintf(f, "nw %s: unknown command '%s'\n", argv[0], argv[1]);
    else if (!help)
        (void)fprintf(f, "nw %s: missing a command\n", argv[0]);
    (void)fprintf(f, "usage: nw %s COMMAND [OPTIONS]\n\ncommands:\n", argv[0]);
    print_commands(f, argv[0]);
    (void)fprintf(f, "\n`nw %s COMMAND --help` describes a command.\n", argv[0]);
    return help ? NW_CLI_EXIT_OK : NW_CLI_EXIT_USAGE;
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
        print_help(stderr);
        return NW_CLI_EXIT_USAGE;
    }
    const char *a = argv[1];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0) {
        print_help(stdout);
        return NW_CLI_EXIT_OK;
    }
    if (strcmp(a, "--version") == 0 || strcmp(a, "version") == 0) {
        nw_opt_print_version(stdout, "nw");
        return NW_CLI_EXIT_OK;
    }
    for (size_t t = 0; t < NW_ARRAY_LEN(tables); t++) {
        for (const struct nw_cli_cmd *c = tables[t]; c->name != NULL; c++) {
            int used = match(c->name, argc - 1, argv + 1);
            if (used > 0)
                return c->run(argc - used, argv + used);
        }
    }
    if (is_group(a))
        return group_usage(argc - 1, argv + 1);
    (void)fprintf(stderr, "nw: unknown command '%s'\ntry 'nw --help'\n", a);
    return NW_CLI_EXIT_USAGE;
}

/*
 * The `nw` CLI: shared helpers and the per-area command tables.
 *
 * Exit codes: 0 success; 1 an error, reported as one JSON object
 * {"error":{"code":"...","message":"..."}} on stderr; 2 a usage error.
 * Each area (tx, msg, aws, attest, ...) keeps its commands in its own cmd_<area>.c.
 */
#ifndef NW_CLI_H
#define NW_CLI_H

#include <stdbool.h>

#include <nw/buf.h>

#define NW_CLI_EXIT_OK    0
#define NW_CLI_EXIT_ERR   1
#define NW_CLI_EXIT_USAGE 2

struct nw_cli_cmd {
    const char *name;    /* "sign-tx", or "attestation verify" for two-word commands */
    const char *summary; /* one line for `nw --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

/* Command tables, each terminated by an entry with name NULL. */
extern const struct nw_cli_cmd nw_cli_cmds_tx[];
extern const struct nw_cli_cmd nw_cli_cmds_msg[];
extern const struct nw_cli_cmd nw_cli_cmds_aws[];
extern const struct nw_cli_cmd nw_cli_cmds_attest[];
extern const struct nw_cli_cmd nw_cli_cmds_enclave[];

/* Print {"error":{"code":code,"message":msg}} on stderr; returns NW_CLI_EXIT_ERR. */
int nw_cli_fail(const char *code, const char *msg);
/* The same from an nw_err: code is nw_err_code(err), message nw_err_str(err) plus detail. */
int nw_cli_fail_err(nw_err err, const char *detail);
/* Print a usage message on stderr; returns NW_CLI_EXIT_USAGE. */
int nw_cli_usage(const char *usage);
/* True if argv holds -h or --help. */
bool nw_cli_wants_help(int argc, char **argv);

/* Read all of stdin (at most max bytes) into b. NW_ERR_TOO_LARGE past max, NW_ERR_IO. */
nw_err nw_cli_read_stdin(struct nw_buf *b, size_t max) NW_MUST_USE;
/* Read a whole file (at most max bytes) into b (a secret buffer for key files). */
nw_err nw_cli_read_file(struct nw_buf *b, const char *path, size_t max) NW_MUST_USE;

#endif /* NW_CLI_H */

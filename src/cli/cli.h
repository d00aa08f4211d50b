/*
 * The `nw` CLI: shared helpers and the per-area command tables (internal to src/cli).
 *
 * Exit codes: 0 success; 1 an error, reported as one JSON object
 * {"error":{"code":"...","message":"..."}} on stderr; 2 a usage error (what is wrong and
 * "try 'nw CMD --help'" on stderr, see <nw/opt.h>). Each area (tx, msg, aws, attest,
 * keystore) keeps its commands in its own cmd_<area>.c, each command with one option table
 * that both parses its argv and prints its --help.
 */
#ifndef NW_CLI_H
#define NW_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <nw/buf.h>
#include <nw/opt.h>
#include <nw/sign.h>

#define NW_CLI_EXIT_OK    0
#define NW_CLI_EXIT_ERR   1
#define NW_CLI_EXIT_USAGE 2

/* Largest key file read (a key is 64 hex digits; a little room for 0x and whitespace). */
#define NW_CLI_KEY_FILE_MAX 4096

struct nw_cli_cmd {
    const char *name;                  /* "sign-tx", or "kms encrypt" for two-word commands */
    const char *summary;               /* one line for `nw --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the (last word of the) command name */
};

/* Command tables, each terminated by an entry with name NULL. */
extern const struct nw_cli_cmd nw_cli_cmds_tx[];
extern const struct nw_cli_cmd nw_cli_cmds_msg[];
extern const struct nw_cli_cmd nw_cli_cmds_aws[];
extern const struct nw_cli_cmd nw_cli_cmds_attest[];
extern const struct nw_cli_cmd nw_cli_cmds_keystore[];
extern const struct nw_cli_cmd nw_cli_cmds_enclave[];
extern const struct nw_cli_cmd nw_cli_cmds_remote[]; /* cmd_remote.c */

/* Free text from json_dumps with jansson's own (in nw: wiping) allocator; NULL is ignored. */
void nw_cli_json_free(void *text);

/* Print {"error":{"code":code,"message":msg}} on stderr; returns NW_CLI_EXIT_ERR. */
int nw_cli_fail(const char *code, const char *msg);
/* The same from an nw_err: code is nw_err_code(err), message nw_err_str(err) plus detail. */
int nw_cli_fail_err(nw_err err, const char *detail);
/* As nw_cli_fail_err with a printf-style detail. */
int nw_cli_fail_errf(nw_err err, const char *fmt, ...) NW_PRINTF(2, 3);
/* The error object {"error":{"code","message"}} as one line of text into out (for --jsonl). */
void nw_cli_error_line(FILE *out, nw_err err, const char *detail);

/*
 * Read a whole input (at most max bytes) into b: path "-" or NULL is stdin. Reading stdin
 * from a terminal says so on stderr first (what is expected and how to end it). Empty input
 * is NW_ERR_NO_INPUT. Errors are reported (naming the path or stdin and `what`) and
 * returned as an exit code: NW_CLI_EXIT_OK or NW_CLI_EXIT_ERR.
 */
int nw_cli_read_input(struct nw_buf *b, const char *path, size_t max, const char *what);

/* Read all of stdin / a file (at most max bytes) into b. NW_ERR_TOO_LARGE, NW_ERR_IO, ... */
nw_err nw_cli_read_stdin(struct nw_buf *b, size_t max) NW_MUST_USE;
nw_err nw_cli_read_file(struct nw_buf *b, const char *path, size_t max) NW_MUST_USE;

/* Strip ASCII whitespace around c. */
struct nw_cur nw_cli_trim(struct nw_cur c);

/*
 * Load a key file as ssh loads an identity: a file readable or writable by group or others
 * is refused (NW_ERR_KEY_FILE_MODE, with the path and the chmod to run). Errors are reported
 * on stderr; returns NW_CLI_EXIT_OK or NW_CLI_EXIT_ERR. key is zeroed on failure.
 */
int nw_cli_load_key(const struct nw_secp *secp, struct nw_seckey *key, const char *path);

/*
 * Write n bytes to path ("-": stdout) as a new file: mode 0600, O_EXCL|O_NOFOLLOW (never
 * overwrites, never follows a planted link), fsync'd; removed again on a failed write.
 * Returns: NW_OK; NW_ERR_EXISTS; NW_ERR_PERMISSION; NW_ERR_IO.
 */
nw_err nw_cli_write_new_file(const char *path, const void *p, size_t n) NW_MUST_USE;

/* A signing context or a reported error (NULL). */
struct nw_secp *nw_cli_secp(void);

/* Write text and a newline to stdout; NW_CLI_EXIT_OK or an error report. */
int nw_cli_print_line(struct nw_cur text);

/*
 * Streaming line reader for --jsonl (one reader for every command that streams): lines are
 * handed out one at a time from a buffer of at most max_line bytes, so memory stays bounded
 * whatever the input. The buffer is secret (lines may carry keys) and wiped.
 */
struct nw_cli_lines {
    int fd;
    size_t max_line;
    struct nw_buf buf;
    size_t start;   /* first unread byte in buf */
    size_t line_no; /* 1-based number of the line last returned */
    bool eof;
    bool skipping; /* discarding the rest of an over-long line */
};

void nw_cli_lines_init(struct nw_cli_lines *r, int fd, size_t max_line);
void nw_cli_lines_clear(struct nw_cli_lines *r);

/*
 * The next non-blank line (surrounding whitespace, a CR and the LF removed) in *line, a view
 * valid until the next call. Returns: NW_OK with *line; NW_OK with *end true at the end of
 * input; NW_ERR_TOO_LARGE for a line longer than max_line (the rest of it is skipped and the
 * next call goes on with the following line); NW_ERR_IO; NW_ERR_NOMEM.
 */
nw_err nw_cli_lines_next(struct nw_cli_lines *r, struct nw_cur *line, bool *end) NW_MUST_USE;

/* One --jsonl line's work: its answer appended to out, or an error code with diag. */
typedef nw_err (*nw_cli_jsonl_fn)(void *arg,
                                  struct nw_buf *out,
                                  struct nw_diag *diag,
                                  struct nw_cur line);

/*
 * --jsonl for every command that streams: stdin through nw_cli_lines (lines of at most
 * max_line bytes), fn on each, and on stdout one line per input line: the answer, or the error
 * object of that line (an over-long line is an error line too, and the stream goes on).
 * out_cap bounds one answer. Returns: the exit status, 0 when every line succeeded, 1 when any
 * failed or stdin could not be read.
 */
int nw_cli_jsonl_run(size_t max_line, size_t out_cap, nw_cli_jsonl_fn fn, void *arg) NW_NONNULL(3);

#endif /* NW_CLI_H */

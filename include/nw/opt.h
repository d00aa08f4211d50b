/*
 * Command-line options for every binary: one table per command both parses argv (through
 * getopt_long) and prints the command's --help, so the two can never disagree.
 *
 * Conventions every binary gets from here (issue 13, point 5):
 *  - `--help`/`-h` prints the help on stdout and the command exits 0;
 *  - `--version` prints the version, git commit and the versions of the libraries the build
 *    was configured with (libsecp256k1, OpenSSL, libcurl, ...) on stdout, exit 0;
 *  - `--opt value` and `--opt=value` are the same; `--` ends the options; `-` is an operand;
 *  - a usage error says what is wrong on stderr ("missing --key-file", "unknown option
 *    '--keyfile' (did you mean '--key-file'?)"), then "try 'PROG --help'", and exits 2.
 *
 * Typical use (a command of `nw`; nw-devaws and nw-proxy do the same in main):
 *
 *     static const struct nw_opt opts[] = {
 *         {"key-file", 'k', "FILE", OPT_KEY, "the private key file"},
 *         {"jsonl", 0, NULL, OPT_JSONL, "one request per line"},
 *         {NULL, 0, NULL, 0, NULL},
 *     };
 *     static const struct nw_opt_cmd cmd = {"nw sign-tx", "--key-file FILE [--jsonl]",
 *                                           "Sign a transaction.", opts, NULL};
 *     struct nw_opt_parser p;
 *     const char *v;
 *     int id;
 *     nw_opt_init(&p, &cmd, argc, argv);
 *     while ((id = nw_opt_next(&p, &v)) > 0) { switch (id) { ... } }
 *     if (id != NW_OPT_END)
 *         return nw_opt_finish(&p, id);      // help, version (0) or a usage error (2)
 *     // operands: argv[p.optind .. argc-1]
 *
 * The parser keeps getopt's process-wide state (optind, optarg): parse one argv at a time,
 * from one thread. Nothing here allocates; no value is copied (option values point into argv).
 */
#ifndef NW_OPT_H
#define NW_OPT_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include <nw/common.h>

/* Most options one command may declare (--help and --version are added to these). */
#define NW_OPT_MAX 48

/* What nw_opt_next returns besides an option's id (ids are > 0). */
#define NW_OPT_END     0    /* no more options: operands start at parser.optind */
#define NW_OPT_HELP    (-1) /* --help / -h was given */
#define NW_OPT_VERSION (-2) /* --version was given */
#define NW_OPT_ERROR   (-3) /* a usage error; parser.error says what */

/* Exit statuses of the conventions above. */
#define NW_OPT_EXIT_OK    0
#define NW_OPT_EXIT_USAGE 2

/*
 * One option. A table is an array ended by an entry whose name is NULL.
 *  name:       long name without the dashes ("key-file"); required
 *  short_name: 'k' for -k, or 0
 *  arg:        placeholder of the value in the help ("FILE"), or NULL for a flag
 *  id:         what nw_opt_next returns for this option: > 0, unique in the table
 *  help:       the help text; a '\n' inside starts an indented continuation line
 * The members stay in this order, the one every table in the tree initialises positionally;
 * the 8 bytes of padding it costs per option are not worth rewriting all the tables.
 */
// NOLINTNEXTLINE(clang-analyzer-optin.performance.Padding): order of the positional tables
struct nw_opt {
    const char *name;
    char short_name;
    const char *arg;
    int id;
    const char *help;
};

/*
 * One command. Nothing is owned; every string is static.
 *  name:        the program and command as typed ("nw sign-tx", "nw-devaws")
 *  synopsis:    what follows the name in "usage:" lines; several forms separated by '\n'
 *  description: text printed after the usage lines (may be NULL)
 *  opts:        the option table
 *  epilog:      text printed after the options (exit codes, examples; may be NULL)
 */
struct nw_opt_cmd {
    const char *name;
    const char *synopsis;
    const char *description;
    const struct nw_opt *opts;
    const char *epilog;
};

/* Parser state; fields other than optind and error are private. */
struct nw_opt_parser {
    const struct nw_opt_cmd *cmd;
    int argc;
    char **argv;
    int optind;      /* after NW_OPT_END: index in argv of the first operand */
    char error[256]; /* after NW_OPT_ERROR: what was wrong (no trailing newline) */
    bool started;
    bool in_order;
    struct option longs[NW_OPT_MAX + 3];
    char shorts[3 * NW_OPT_MAX + 8];
};

/*
 * Start parsing argv (argv[0] is the command name and is skipped) against cmd's table.
 * Out: p. In: cmd (kept by pointer), argc/argv (getopt may permute argv so that operands
 * come last, as GNU tools do).
 */
void nw_opt_init(struct nw_opt_parser *p, const struct nw_opt_cmd *cmd, int argc, char **argv)
    NW_NONNULL(1, 2, 4);

/*
 * As nw_opt_init, but the first operand ends the options (POSIX order), for a command whose
 * operands are a subcommand with words of its own ("nw-devaws admin --state D create-role X").
 */
void nw_opt_init_in_order(struct nw_opt_parser *p,
                          const struct nw_opt_cmd *cmd,
                          int argc,
                          char **argv) NW_NONNULL(1, 2, 4);

/*
 * The next option.
 * Returns: the option's id (> 0) with *value set to its value (NULL for a flag);
 *          NW_OPT_END when only operands are left (p->optind is the first);
 *          NW_OPT_HELP or NW_OPT_VERSION;
 *          NW_OPT_ERROR with p->error set: an unknown option (with the closest known name as
 *          a suggestion), a missing value, a value given to a flag, a table too large.
 */
int nw_opt_next(struct nw_opt_parser *p, const char **value) NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Act on a non-option result of nw_opt_next: NW_OPT_HELP prints the help on stdout and
 * returns 0; NW_OPT_VERSION prints the version on stdout and returns 0; NW_OPT_ERROR prints
 * the error on stderr and returns 2.
 */
int nw_opt_finish(const struct nw_opt_parser *p, int result) NW_NONNULL(1);

/*
 * Report a usage error found after parsing (a missing or conflicting option, a bad value):
 * prints "NAME: MESSAGE" and "try 'NAME --help'" on stderr. Returns: 2 (NW_OPT_EXIT_USAGE).
 */
int nw_opt_usage_error(const struct nw_opt_cmd *cmd, const char *fmt, ...) NW_PRINTF(2, 3)
    NW_NONNULL(1, 2);

/* Print cmd's help (usage lines, description, options, epilog) to f. */
void nw_opt_print_help(FILE *f, const struct nw_opt_cmd *cmd) NW_NONNULL(1, 2);

/*
 * Print "PROG VERSION (commit C)" and the versions of the libraries the build was configured
 * with to f. prog is the first word printed (the binary's name).
 */
void nw_opt_print_version(FILE *f, const char *prog) NW_NONNULL(1, 2);

/* The project version ("0.1.0") and the git commit of the build ("unknown" outside git). */
const char *nw_version(void);
const char *nw_version_commit(void);

#endif /* NW_OPT_H */

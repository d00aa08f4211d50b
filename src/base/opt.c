/*
 * Option tables on top of getopt_long (see <nw/opt.h>). The table is turned into getopt's
 * long and short forms once per parse; --help and --version are appended to every table.
 * Errors are worded here rather than by getopt (opterr = 0), so every binary says the same.
 */
#include <stdarg.h>
#include <string.h>

#include <nw/opt.h>

#include "nw_version.h"

/* getopt's val for a long-only option: past every short character. */
#define LONG_BASE   0x1000
#define ID_HELP     (-1)
#define ID_VERSION  (-2)
#define HELP_COLUMN 28

const char *nw_version(void)
{
    return NW_VERSION_STRING;
}

const char *nw_version_commit(void)
{
    return NW_GIT_COMMIT;
}

void nw_opt_init(struct nw_opt_parser *p, const struct nw_opt_cmd *cmd, int argc, char **argv)
{
    memset(p, 0, sizeof(*p));
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    p->optind = argc;
}

void nw_opt_init_in_order(struct nw_opt_parser *p,
                          const struct nw_opt_cmd *cmd,
                          int argc,
                          char **argv)
{
    nw_opt_init(p, cmd, argc, argv);
    p->in_order = true;
}

static size_t table_len(const struct nw_opt *t)
{
    size_t n = 0;
    while (t != NULL && t[n].name != NULL)
        n++;
    return n;
}

/* Build getopt's tables; false if the command declares too many options. */
static bool build(struct nw_opt_parser *p)
{
    const struct nw_opt *t = p->cmd->opts;
    size_t n = table_len(t), s = 0;
    if (n > NW_OPT_MAX)
        return false;
    if (p->in_order)
        p->shorts[s++] = '+'; /* POSIX order: the first operand ends the options */
    p->shorts[s++] = ':';     /* report a missing value as ':' and print nothing */
    for (size_t i = 0; i < n; i++) {
        p->longs[i] = (struct option){t[i].name, t[i].arg ? required_argument : no_argument, NULL,
                                      LONG_BASE + (int)i};
        if (t[i].short_name != 0) {
            p->shorts[s++] = t[i].short_name;
            if (t[i].arg != NULL)
                p->shorts[s++] = ':';
        }
    }
    p->longs[n] = (struct option){"help", no_argument, NULL, LONG_BASE + (int)n};
    p->longs[n + 1] = (struct option){"version", no_argument, NULL, LONG_BASE + (int)n + 1};
    p->longs[n + 2] = (struct option){NULL, 0, NULL, 0};
    p->shorts[s++] = 'h';
    p->shorts[s] = '\0';
    return true;
}

/* Map getopt's val to the table index, ID_HELP or ID_VERSION; -3 when unknown. */
static int index_of(const struct nw_opt_parser *p, int val)
{
    const struct nw_opt *t = p->cmd->opts;
    size_t n = table_len(t);
    if (val >= LONG_BASE && (size_t)(val - LONG_BASE) < n)
        return val - LONG_BASE;
    if (val == LONG_BASE + (int)n || val == 'h')
        return ID_HELP;
    if (val == LONG_BASE + (int)n + 1)
        return ID_VERSION;
    for (size_t i = 0; i < n && val > 0 && val < 256; i++) {
        if (t[i].short_name == (char)val)
            return (int)i;
    }
    return -3;
}

/* Levenshtein distance of two short strings (capped inputs: option names are short). */
static size_t distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b), row[65];
    if (la > 64 || lb > 64)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

/* The known long option closest to name (without dashes), or NULL if none is close. */
static const char *suggest(const struct nw_opt_parser *p, const char *name, size_t len)
{
    const char *best = NULL;
    size_t best_d = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    for (size_t i = 0; p->longs[i].name != NULL; i++) {
        size_t d = distance(name, len, p->longs[i].name);
        if (d <= best_d) {
            best_d = d;
            best = p->longs[i].name;
        }
    }
    return best;
}

static int fail(struct nw_opt_parser *p, const char *fmt, ...) NW_PRINTF(2, 3);
static int fail(struct nw_opt_parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, va_start above
    (void)vsnprintf(p->error, sizeof(p->error), fmt, ap);
    va_end(ap);
    return NW_OPT_ERROR;
}

/* getopt returned '?': an unknown option, or a value given to a flag. */
static int unknown(struct nw_opt_parser *p)
{
    int idx = optopt != 0 ? index_of(p, optopt) : -3;
    if (idx >= 0)
        return fail(p, "option '--%s' takes no value", p->cmd->opts[idx].name);
    if (idx == ID_HELP || idx == ID_VERSION)
        return fail(p, "option '--%s' takes no value", idx == ID_HELP ? "help" : "version");
    if (optopt != 0 && optopt < LONG_BASE)
        return fail(p, "unknown option '-%c'", optopt);
    const char *arg = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : "?";
    if (strncmp(arg, "--", 2) != 0)
        return fail(p, "unknown option '%.80s'", arg);
    const char *name = arg + 2;
    size_t len = strcspn(name, "=");
    const char *s = suggest(p, name, len);
    if (s != NULL)
        return fail(p, "unknown option '--%.*s' (did you mean '--%s'?)", (int)(len > 80 ? 80 : len),
                    name, s);
    return fail(p, "unknown option '--%.*s'", (int)(len > 80 ? 80 : len), name);
}

/*
 * getopt_long accepts any unambiguous prefix of a long name ("--password" for
 * "--password-file"). A prefix that happens to match is how a password ends up read as a
 * file name, or a typo silently means something else: only exact names are taken.
 */
static bool exact(struct nw_opt_parser *p, int idx)
{
    const char *name = idx >= 0 ? p->cmd->opts[idx].name : idx == ID_HELP ? "help" : "version";
    bool sep =
        idx >= 0 && p->cmd->opts[idx].arg != NULL && optind >= 2 && p->argv[optind - 1] == optarg;
    const char *text = p->argv[optind - (sep ? 2 : 1)];
    if (strncmp(text, "--", 2) != 0)
        return true;
    size_t len = strcspn(text + 2, "=");
    if (len == strlen(name) && strncmp(text + 2, name, len) == 0)
        return true;
    (void)fail(p, "unknown option '--%.*s' (did you mean '--%s'?)", (int)(len > 80 ? 80 : len),
               text + 2, name);
    return false;
}

int nw_opt_next(struct nw_opt_parser *p, const char **value)
{
    *value = NULL;
    if (!p->started) {
        if (!build(p))
            return fail(p, "internal: too many options in the table of %s", p->cmd->name);
        p->started = true;
        optind = 0; /* glibc: 0 re-initialises getopt, so argv can be parsed again */
    }
    opterr = 0;
    int c = getopt_long(p->argc, p->argv, p->shorts, p->longs, NULL);
    if (c == -1) {
        p->optind = optind;
        return NW_OPT_END;
    }
    if (c == '?')
        return unknown(p);
    if (c == ':') {
        int idx = index_of(p, optopt);
        if (idx >= 0)
            return fail(p, "option '--%s' needs a value (%s)", p->cmd->opts[idx].name,
                        p->cmd->opts[idx].arg);
        return fail(p, "an option needs a value");
    }
    int idx = index_of(p, c);
    if (c >= LONG_BASE && !exact(p, idx))
        return NW_OPT_ERROR;
    if (idx == ID_HELP)
        return NW_OPT_HELP;
    if (idx == ID_VERSION)
        return NW_OPT_VERSION;
    if (idx < 0)
        return fail(p, "unknown option");
    *value = p->cmd->opts[idx].arg != NULL ? optarg : NULL;
    return p->cmd->opts[idx].id;
}

int nw_opt_usage_error(const struct nw_opt_cmd *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, va_start above
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    (void)fprintf(stderr, "%s: %s\ntry '%s --help'\n", cmd->name, msg, cmd->name);
    return NW_OPT_EXIT_USAGE;
}

int nw_opt_finish(const struct nw_opt_parser *p, int result)
{
    if (result == NW_OPT_HELP) {
        nw_opt_print_help(stdout, p->cmd);
        return NW_OPT_EXIT_OK;
    }
    if (result == NW_OPT_VERSION) {
        const char *sp = strchr(p->cmd->name, ' ');
        char prog[64];
        size_t n = sp != NULL ? (size_t)(sp - p->cmd->name) : strlen(p->cmd->name);
        (void)snprintf(prog, sizeof(prog), "%.*s", (int)(n < 63 ? n : 63), p->cmd->name);
        nw_opt_print_version(stdout, prog);
        return NW_OPT_EXIT_OK;
    }
    return nw_opt_usage_error(p->cmd, "%s", p->error[0] ? p->error : "usage error");
}

/* Print text with every line after the first indented by indent spaces. */
static void put_indented(FILE *f, const char *text, int indent)
{
    for (const char *s = text; *s != '\0';) {
        size_t n = strcspn(s, "\n");
        (void)fprintf(f, "%.*s\n", (int)n, s);
        s += n;
        if (*s == '\n' && *++s != '\0')
            (void)fprintf(f, "%*s", indent, "");
    }
}

static void print_opt(FILE *f, char short_name, const char *name, const char *arg, const char *help)
{
    char left[128];
    int n = snprintf(left, sizeof(left), "  %c%c%s--%s%s%s", short_name ? '-' : ' ',
                     short_name ? short_name : ' ', short_name ? ", " : "  ", name, arg ? " " : "",
                     arg ? arg : "");
    if (n < 0)
        return;
    if (n >= HELP_COLUMN - 1)
        (void)fprintf(f, "%s\n%*s", left, HELP_COLUMN, "");
    else
        (void)fprintf(f, "%-*s", HELP_COLUMN, left);
    put_indented(f, help ? help : "", HELP_COLUMN);
}

void nw_opt_print_help(FILE *f, const struct nw_opt_cmd *cmd)
{
    const char *s = cmd->synopsis ? cmd->synopsis : "";
    bool first = true;
    do {
        size_t n = strcspn(s, "\n");
        (void)fprintf(f, "%s %s %.*s\n", first ? "usage:" : "      ", cmd->name, (int)n, s);
        s += n;
        s += *s == '\n';
        first = false;
    } while (*s != '\0');
    if (cmd->description != NULL) {
        (void)fputc('\n', f);
        put_indented(f, cmd->description, 0);
    }
    (void)fputs("\noptions:\n", f);
    for (const struct nw_opt *o = cmd->opts; o != NULL && o->name != NULL; o++)
        print_opt(f, o->short_name, o->name, o->arg, o->help);
    print_opt(f, 'h', "help", NULL, "print this help and exit");
    print_opt(f, 0, "version", NULL, "print the version and the library versions and exit");
    if (cmd->epilog != NULL) {
        (void)fputc('\n', f);
        put_indented(f, cmd->epilog, 0);
    }
}

void nw_opt_print_version(FILE *f, const char *prog)
{
    (void)fprintf(f, "%s %s (commit %s)\n%s\n", prog, NW_VERSION_STRING, NW_GIT_COMMIT,
                  NW_LIB_VERSIONS);
}

/*
 * Helpers shared by the CLI commands: error reports, input files and stdin, key files, new
 * files, and the streaming --jsonl line reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nw/mem.h>

#include "cli.h"

void nw_cli_json_free(void *text)
{
    json_malloc_t m;
    json_free_t f;
    if (text == NULL)
        return;
    json_get_alloc_funcs(&m, &f);
    f(text);
}

static char *error_text(nw_err err, const char *code, const char *msg)
{
    json_t *o =
        json_pack("{s:{s:s,s:s}}", "error", "code", code ? code : nw_err_code(err), "message", msg);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

static void put_error(FILE *f, nw_err err, const char *code, const char *msg)
{
    char *text = error_text(err, code, msg);
    (void)fprintf(f, "%s\n",
                  text ? text : "{\"error\":{\"code\":\"nomem\",\"message\":\"out of memory\"}}");
    nw_cli_json_free(text);
}

int nw_cli_fail(const char *code, const char *msg)
{
    put_error(stderr, NW_ERR_INTERNAL, code, msg);
    return NW_CLI_EXIT_ERR;
}

static void message(char *msg, size_t n, nw_err err, const char *detail)
{
    if (detail != NULL && detail[0] != '\0')
        (void)snprintf(msg, n, "%s: %s", nw_err_str(err), detail);
    else
        (void)snprintf(msg, n, "%s", nw_err_str(err));
}

int nw_cli_fail_err(nw_err err, const char *detail)
{
    char msg[640];
    message(msg, sizeof(msg), err, detail);
    put_error(stderr, err, NULL, msg);
    return NW_CLI_EXIT_ERR;
}

int nw_cli_fail_errf(nw_err err, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, va_start above
    (void)vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return nw_cli_fail_err(err, detail);
}

void nw_cli_error_line(FILE *out, nw_err err, const char *detail)
{
    char msg[640];
    message(msg, sizeof(msg), err, detail);
    put_error(out, err, NULL, msg);
}

static nw_err read_fd(struct nw_buf *b, int fd, size_t max)
{
    nw_err err = NW_OK;
    for (;;) {
        if (b->len == max) { /* full: anything more is too much */
            uint8_t probe;
            ssize_t n = read(fd, &probe, 1);
            if (n < 0 && errno == EINTR)
                continue;
            err = n == 0 ? NW_OK : n > 0 ? NW_ERR_TOO_LARGE : NW_ERR_IO;
            break;
        }
        size_t want = max - b->len < 65536 ? max - b->len : 65536;
        if ((err = nw_buf_reserve(b, want)) != NW_OK)
            break;
        ssize_t n = read(fd, b->ptr + b->len, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = NW_ERR_IO;
            break;
        }
        if (n == 0)
            break;
        b->len += (size_t)n;
    }
    return err;
}

nw_err nw_cli_read_stdin(struct nw_buf *b, size_t max)
{
    return read_fd(b, STDIN_FILENO, max);
}

static nw_err errno_code(int e)
{
    return e == ENOENT || e == ENOTDIR ? NW_ERR_NOT_FOUND
           : e == EACCES || e == EPERM ? NW_ERR_PERMISSION
                                       : NW_ERR_IO;
}

nw_err nw_cli_read_file(struct nw_buf *b, const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno_code(errno);
    nw_err err = read_fd(b, fd, max);
    close(fd);
    return err;
}

int nw_cli_read_input(struct nw_buf *b, const char *path, size_t max, const char *what)
{
    bool in = path == NULL || strcmp(path, "-") == 0;
    if (in && isatty(STDIN_FILENO))
        (void)fprintf(stderr, "nw: reading %s from the terminal (end it with Ctrl-D)\n", what);
    nw_err err = in ? nw_cli_read_stdin(b, max) : nw_cli_read_file(b, path, max);
    if (err == NW_ERR_TOO_LARGE || err == NW_ERR_BUF_FULL)
        return nw_cli_fail_errf(NW_ERR_TOO_LARGE, "%s on %s exceeds %zu bytes", what,
                                in ? "stdin" : path, max);
    if (err != NW_OK && in)
        return nw_cli_fail_errf(err, "reading %s from stdin", what);
    if (err != NW_OK)
        return nw_cli_fail_errf(err, "%s: %s", err == NW_ERR_NOT_FOUND ? "no such file" : "reading",
                                path);
    if (nw_cli_trim(nw_buf_cur(b)).len == 0)
        return in ? nw_cli_fail_errf(NW_ERR_NO_INPUT, "expected %s", what)
                  : nw_cli_fail_errf(NW_ERR_NO_INPUT, "%s is empty (expected %s)", path, what);
    return NW_CLI_EXIT_OK;
}

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct nw_cur nw_cli_trim(struct nw_cur c)
{
    while (c.len > 0 && is_space(c.ptr[0])) {
        c.ptr++;
        c.len--;
    }
    while (c.len > 0 && is_space(c.ptr[c.len - 1]))
        c.len--;
    return c;
}

int nw_cli_load_key(const struct nw_secp *secp, struct nw_seckey *key, const char *path)
{
    struct nw_buf b;
    struct stat st;
    int rc = NW_CLI_EXIT_ERR;
    memset(key, 0, sizeof(*key));
    nw_buf_init(&b, NW_CLI_KEY_FILE_MAX, true);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        nw_err e = errno_code(errno);
        rc = nw_cli_fail_errf(e, "%s key file %s",
                              e == NW_ERR_NOT_FOUND ? "no such" : "cannot open", path);
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = nw_cli_fail_errf(NW_ERR_IO, "key file %s is not a regular file", path);
        goto out;
    }
    /* As ssh refuses a private key others can read: the key would be theirs too. */
    if ((st.st_mode & 077) != 0) {
        rc = nw_cli_fail_errf(NW_ERR_KEY_FILE_MODE,
                              "%s has mode %04o; run: chmod 600 '%s' (or chmod go-rwx)", path,
                              (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    nw_err err = read_fd(&b, fd, NW_CLI_KEY_FILE_MAX);
    if (err != NW_OK) {
        rc = nw_cli_fail_errf(err, "reading key file %s", path);
        goto out;
    }
    err = nw_seckey_parse(secp, key, nw_buf_cur(&b));
    if (err != NW_OK) {
        rc = nw_cli_fail_errf(err, "key file %s must hold 64 hex digits (optional 0x)", path);
        goto out;
    }
    rc = NW_CLI_EXIT_OK;
out:
    if (fd >= 0)
        close(fd);
    nw_buf_clear(&b);
    return rc;
}

static nw_err write_all(int fd, const uint8_t *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return NW_ERR_IO;
        done += (size_t)w;
    }
    return NW_OK;
}

nw_err nw_cli_write_new_file(const char *path, const void *p, size_t n)
{
    if (strcmp(path, "-") == 0) {
        (void)fflush(stdout);
        return write_all(STDOUT_FILENO, p, n);
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return errno == EEXIST ? NW_ERR_EXISTS : errno_code(errno);
    nw_err err = write_all(fd, p, n);
    if (err == NW_OK && fsync(fd) != 0)
        err = NW_ERR_IO;
    if (close(fd) != 0 && err == NW_OK)
        err = NW_ERR_IO;
    if (err != NW_OK)
        (void)unlink(path);
    return err;
}

struct nw_secp *nw_cli_secp(void)
{
    struct nw_secp *s = nw_secp_new();
    if (s == NULL)
        (void)nw_cli_fail_err(NW_ERR_CRYPTO, "cannot create a signing context");
    return s;
}

int nw_cli_print_line(struct nw_cur text)
{
    if (fwrite(text.ptr, 1, text.len, stdout) != text.len || fputc('\n', stdout) == EOF ||
        fflush(stdout) != 0)
        return nw_cli_fail_err(NW_ERR_IO, "writing stdout");
    return NW_CLI_EXIT_OK;
}

/* ---- the --jsonl line reader ---- */

void nw_cli_lines_init(struct nw_cli_lines *r, int fd, size_t max_line)
{
    memset(r, 0, sizeof(*r));
    r->fd = fd;
    r->max_line = max_line;
    nw_buf_init(&r->buf, max_line + 65536, true);
}

void nw_cli_lines_clear(struct nw_cli_lines *r)
{
    nw_buf_clear(&r->buf);
    r->start = 0;
}

/* Move the unread tail to the front (wiping what it leaves), then read more. */
static nw_err refill(struct nw_cli_lines *r)
{
    struct nw_buf *b = &r->buf;
    if (r->start > 0) {
        size_t keep = b->len - r->start;
        memmove(b->ptr, b->ptr + r->start, keep);
        nw_wipe(b->ptr + keep, r->start);
        b->len = keep;
        r->start = 0;
    }
    NW_TRY(nw_buf_reserve(b, 65536));
    for (;;) {
        ssize_t n = read(r->fd, b->ptr + b->len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return NW_ERR_IO;
        if (n == 0)
            r->eof = true;
        b->len += (size_t)n;
        return NW_OK;
    }
}

nw_err nw_cli_lines_next(struct nw_cli_lines *r, struct nw_cur *line, bool *end)
{
    struct nw_buf *b = &r->buf;
    *end = false;
    *line = nw_cur_of(NULL, 0);
    for (;;) {
        size_t avail = b->len - r->start;
        uint8_t *nl = avail > 0 ? memchr(b->ptr + r->start, '\n', avail) : NULL;
        if (r->skipping) { /* drop the rest of an over-long line */
            if (nl != NULL) {
                r->start = (size_t)(nl - b->ptr) + 1;
                r->skipping = false;
                continue;
            }
            r->start = b->len;
        } else if (nl != NULL || (r->eof && avail > 0)) {
            size_t stop = nl != NULL ? (size_t)(nl - b->ptr) : b->len;
            struct nw_cur l = nw_cur_of(b->ptr + r->start, stop - r->start);
            r->start = nl != NULL ? stop + 1 : b->len;
            r->line_no++;
            if (l.len > r->max_line)
                return NW_ERR_TOO_LARGE;
            *line = nw_cli_trim(l);
            if (line->len > 0)
                return NW_OK;
            continue;
        } else if (avail > r->max_line) {
            r->line_no++;
            r->skipping = true;
            r->start = b->len;
            return NW_ERR_TOO_LARGE;
        }
        if (r->eof) { /* everything was handed out or skipped */
            *end = true;
            return NW_OK;
        }
        NW_TRY(refill(r));
    }
}

int nw_cli_jsonl_run(size_t max_line, size_t out_cap, nw_cli_jsonl_fn fn, void *arg)
{
    struct nw_cli_lines lines;
    struct nw_buf out;
    struct nw_cur line;
    bool end = false, failed = false;
    int rc = NW_CLI_EXIT_OK;
    nw_cli_lines_init(&lines, STDIN_FILENO, max_line);
    nw_buf_init(&out, out_cap, false);
    while (!end) {
        struct nw_diag diag = {0};
        nw_err err = nw_cli_lines_next(&lines, &line, &end);
        if (err == NW_ERR_IO || err == NW_ERR_NOMEM) {
            rc = nw_cli_fail_err(err, "reading stdin");
            break;
        }
        if (end)
            break;
        out.len = 0;
        if (err == NW_OK)
            err = fn(arg, &out, &diag, line);
        else
            (void)nw_diag_set(&diag, err, "line %zu is longer than %zu bytes", lines.line_no,
                              max_line);
        if (err == NW_OK) {
            (void)nw_cli_print_line(nw_buf_cur(&out));
        } else {
            failed = true;
            nw_cli_error_line(stdout, err, diag.code == err ? diag.msg : NULL);
            (void)fflush(stdout);
        }
    }
    nw_cli_lines_clear(&lines);
    nw_buf_clear(&out);
    return rc == NW_CLI_EXIT_OK && failed ? NW_CLI_EXIT_ERR : rc;
}

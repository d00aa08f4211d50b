/*
 * Helpers shared by the CLI commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int nw_cli_fail(const char *code, const char *msg)
{
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text != NULL)
        (void)fprintf(stderr, "%s\n", text);
    else
        (void)fprintf(stderr,
                      "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}\n");
    if (text != NULL) {
        /* json_dumps allocates with jansson's (possibly hooked, wiping) allocator. */
        json_malloc_t m;
        json_free_t f;
        json_get_alloc_funcs(&m, &f);
        f(text);
    }
    json_decref(o);
    return NW_CLI_EXIT_ERR;
}

int nw_cli_fail_err(nw_err err, const char *detail)
{
    char msg[512];
    if (detail != NULL && detail[0] != '\0')
        (void)snprintf(msg, sizeof(msg), "%s: %s", nw_err_str(err), detail);
    else
        (void)snprintf(msg, sizeof(msg), "%s", nw_err_str(err));
    return nw_cli_fail(nw_err_code(err), msg);
}

int nw_cli_usage(const char *usage)
{
    (void)fprintf(stderr, "usage: %s\n", usage);
    return NW_CLI_EXIT_USAGE;
}

bool nw_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    }
    return false;
}

static nw_err read_fd(struct nw_buf *b, int fd, size_t max)
{
    uint8_t chunk[4096];
    nw_err err = NW_OK;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = NW_ERR_IO;
            break;
        }
        if (n == 0)
            break;
        if ((size_t)n > max - b->len) {
            err = NW_ERR_TOO_LARGE;
            break;
        }
        err = nw_buf_append(b, chunk, (size_t)n);
        if (err != NW_OK)
            break;
    }
    explicit_bzero(chunk, sizeof(chunk));
    return err;
}

nw_err nw_cli_read_stdin(struct nw_buf *b, size_t max)
{
    return read_fd(b, STDIN_FILENO, max);
}

nw_err nw_cli_read_file(struct nw_buf *b, const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? NW_ERR_NOT_FOUND : NW_ERR_IO;
    nw_err err = read_fd(b, fd, max);
    close(fd);
    return err;
}

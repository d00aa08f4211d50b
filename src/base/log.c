/*
 * Line-oriented logging for the daemons and the CLI.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <nw/buf.h>
#include <nw/log.h>

static const char *log_prog = "nw";
static enum nw_log_level log_min = NW_LOG_INFO;
static bool log_json = false;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void nw_log_setup(const char *prog, enum nw_log_level min_level, bool json)
{
    log_prog = prog;
    log_min = min_level;
    log_json = json;
}

bool nw_log_level_parse(const char *s, enum nw_log_level *out)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(level_names); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum nw_log_level)i;
            return true;
        }
    }
    return false;
}

static nw_err append_escaped(struct nw_buf *b, const char *s, bool json)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (json && (*p == '"' || *p == '\\')) {
            NW_TRY(nw_buf_append_byte(b, '\\'));
            NW_TRY(nw_buf_append_byte(b, *p));
        } else if (*p < 0x20 || *p == 0x7f) {
            NW_TRY(nw_buf_appendf(b, json ? "\\u%04x" : "\\x%02x", *p));
        } else if (!json && *p == ' ') {
            NW_TRY(nw_buf_append_byte(b, '_'));
        } else {
            NW_TRY(nw_buf_append_byte(b, *p));
        }
    }
    return NW_OK;
}

static nw_err format_line(struct nw_buf *b, enum nw_log_level level, const char *event, va_list ap)
{
    struct timeval tv;
    struct tm tm;
    char ts[40];
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    (void)snprintf(ts + n, sizeof(ts) - n, ".%03dZ", (int)(tv.tv_usec / 1000));

    if (log_json)
        NW_TRY(nw_buf_appendf(b, "{\"ts\":\"%s\",\"prog\":\"%s\",\"level\":\"%s\",\"event\":\"", ts,
                              log_prog, level_names[level]));
    else
        NW_TRY(nw_buf_appendf(b, "%s %s %s ", ts, log_prog, level_names[level]));
    NW_TRY(append_escaped(b, event, log_json));
    if (log_json)
        NW_TRY(nw_buf_append_byte(b, '"'));
    for (;;) {
        // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): caller ran va_start
        const char *k = va_arg(ap, const char *);
        if (k == NULL)
            break;
        const char *v = va_arg(ap, const char *);
        NW_TRY(nw_buf_append_str(b, log_json ? ",\"" : " "));
        NW_TRY(append_escaped(b, k, log_json));
        NW_TRY(nw_buf_append_str(b, log_json ? "\":\"" : "="));
        NW_TRY(append_escaped(b, v ? v : "-", log_json));
        if (log_json)
            NW_TRY(nw_buf_append_byte(b, '"'));
    }
    NW_TRY(nw_buf_append_str(b, log_json ? "}\n" : "\n"));
    return NW_OK;
}

void nw_log(enum nw_log_level level, const char *event, ...)
{
    if (level < log_min)
        return;
    struct nw_buf b;
    nw_buf_init(&b, 16384, false);
    va_list ap;
    va_start(ap, event);
    nw_err err = format_line(&b, level, event, ap);
    va_end(ap);
    if (err == NW_OK) {
        const uint8_t *p = b.ptr;
        size_t left = b.len;
        while (left > 0) {
            ssize_t w = write(STDERR_FILENO, p, left);
            if (w <= 0)
                break;
            p += w;
            left -= (size_t)w;
        }
    }
    nw_buf_clear(&b);
}

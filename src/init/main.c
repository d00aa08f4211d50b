/*
 * nw-init: the enclave image's entry point. The image has no shell, so this tiny supervisor
 * starts its children (nw-enclave and the nw-proxy that carries SQL to the parent), restarts
 * any that exits, with a backoff, reaps orphans when it runs as PID 1, and on TERM/INT stops
 * them all (TERM, then KILL after --stop-timeout-ms).
 *
 *   nw-init [options] -- /bin/nw-enclave --bring-up-loopback -- /bin/nw-proxy --listen ...
 *
 * Children are separated by "--"; each starts with an absolute path (no PATH search).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nw/log.h>
#include <nw/opt.h>

#define MAX_CHILDREN 8
#define STABLE_MS    10000 /* a child that ran this long restarts after the minimum delay */

struct child {
    char **argv;
    int64_t started_ms;
    int64_t restart_at_ms; /* 0 = not scheduled */
    int64_t backoff_ms;
    pid_t pid;
    unsigned restarts;
};

struct opts {
    int64_t min_ms;
    int64_t max_ms;
    int64_t stop_ms;
    enum nw_log_level level;
    bool json;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum { NW_INIT_O_MIN = 1, NW_INIT_O_MAX, NW_INIT_O_STOP, NW_INIT_O_FORMAT, NW_INIT_O_LEVEL };

static const struct nw_opt init_opts[] = {
    {"restart-min-ms", 0, "N", NW_INIT_O_MIN, "first restart delay (default 200)"},
    {"restart-max-ms", 0, "N", NW_INIT_O_MAX, "longest restart delay (default 5000)"},
    {"stop-timeout-ms", 0, "N", NW_INIT_O_STOP, "TERM to KILL on shutdown (default 5000)"},
    {"log-format", 0, "text|json", NW_INIT_O_FORMAT, "log lines as text (default) or JSON"},
    {"log-level", 0, "L", NW_INIT_O_LEVEL, "debug|info|warn|error (default info)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct nw_opt_cmd init_cmd = {
    "nw-init",
    "[options] -- PROG [ARGS...] [-- PROG [ARGS...]]...",
    "Starts each PROG (an absolute path), restarts it when it exits (with a backoff), reaps\n"
    "orphans as PID 1, and stops all on TERM/INT (TERM, then KILL after --stop-timeout-ms).",
    init_opts,
    "Delays are milliseconds, 1..3600000. Options end at the first \"--\".",
};

static bool parse_ms(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 3600000)
        return false;
    *out = v;
    return true;
}

/*
 * Parses options up to the first "--" (<nw/opt.h> conventions).
 * Returns: the index after "--" (> 0); 0 after --help/--version; -1 on a usage error (printed).
 */
static int parse_opts(int argc, char **argv, struct opts *o)
{
    struct nw_opt_parser p;
    const char *v = NULL;
    int id;
    nw_opt_init_in_order(&p, &init_cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        bool ok = false;
        switch (id) {
            case NW_INIT_O_MIN:
                ok = parse_ms(v, &o->min_ms);
                break;
            case NW_INIT_O_MAX:
                ok = parse_ms(v, &o->max_ms);
                break;
            case NW_INIT_O_STOP:
                ok = parse_ms(v, &o->stop_ms);
                break;
            case NW_INIT_O_FORMAT:
                ok = strcmp(v, "text") == 0 || strcmp(v, "json") == 0;
                o->json = strcmp(v, "json") == 0;
                break;
            case NW_INIT_O_LEVEL:
                ok = nw_log_level_parse(v, &o->level);
                break;
            default:
                break;
        }
        if (!ok) {
            (void)nw_opt_usage_error(&init_cmd, "bad option value: --%s '%.64s'",
                                     init_opts[id - 1].name, v != NULL ? v : "");
            return -1;
        }
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id) == NW_OPT_EXIT_OK ? 0 : -1;
    if (p.optind <= 1 || strcmp(argv[p.optind - 1], "--") != 0) {
        (void)nw_opt_usage_error(&init_cmd, "options end with \"--\" before the first PROG");
        return -1;
    }
    if (p.optind >= argc) {
        (void)nw_opt_usage_error(&init_cmd, "no program given after \"--\"");
        return -1;
    }
    return p.optind;
}

/* Splits argv[first..] at "--" into children (argv entries "--" become NULL terminators). */
static int split_children(int argc, char **argv, int first, struct child *c, size_t *n)
{
    *n = 0;
    int i = first;
    while (i < argc) {
        if (*n == MAX_CHILDREN) {
            (void)fprintf(stderr, "nw-init: at most %d programs\n", MAX_CHILDREN);
            return -1;
        }
        if (argv[i][0] != '/' || access(argv[i], X_OK) != 0) {
            (void)fprintf(stderr, "nw-init: not an executable absolute path: %s\n", argv[i]);
            return -1;
        }
        c[*n].argv = &argv[i];
        while (i < argc && strcmp(argv[i], "--") != 0)
            i++;
        if (i < argc)
            argv[i++] = NULL; /* argv[argc] is already NULL for the last one */
        (*n)++;
    }
    if (*n == 0) {
        (void)fprintf(stderr, "nw-init: no program given\n");
        return -1;
    }
    return 0;
}

static void start(struct child *c, const sigset_t *oldmask)
{
    char pidbuf[24];
    pid_t pid = fork();
    if (pid == 0) {
        (void)sigprocmask(SIG_SETMASK, oldmask, NULL);
        if (c->argv != NULL && c->argv[0] != NULL)
            execv(c->argv[0], c->argv);
        _exit(127);
    }
    c->restart_at_ms = 0;
    if (pid < 0) {
        nw_log(NW_LOG_ERROR, "fork-failed", "child", c->argv[0], "error", strerror(errno), NULL);
        c->pid = 0;
        c->restart_at_ms = now_ms() + c->backoff_ms;
        return;
    }
    c->pid = pid;
    c->started_ms = now_ms();
    (void)snprintf(pidbuf, sizeof(pidbuf), "%ld", (long)pid);
    nw_log(NW_LOG_INFO, "start", "child", c->argv[0], "pid", pidbuf, NULL);
}

/* Logs why a child ended and schedules its restart with a doubling backoff. */
static void on_exit_status(struct child *c, int status, const struct opts *o)
{
    char how[48], up[24], delay[24], count[16];
    int64_t t = now_ms();
    int64_t ran = t - c->started_ms;
    if (WIFEXITED(status))
        (void)snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(status));
    else
        (void)snprintf(how, sizeof(how), "signal %d", WTERMSIG(status));
    if (ran >= STABLE_MS)
        c->backoff_ms = o->min_ms;
    c->pid = 0;
    c->restart_at_ms = t + c->backoff_ms;
    c->restarts++;
    (void)snprintf(up, sizeof(up), "%lld", (long long)ran);
    (void)snprintf(delay, sizeof(delay), "%lld", (long long)c->backoff_ms);
    (void)snprintf(count, sizeof(count), "%u", c->restarts);
    nw_log(NW_LOG_WARN, "exited", "child", c->argv[0], "how", how, "uptime_ms", up, "restart_in_ms",
           delay, "restarts", count, NULL);
    c->backoff_ms = c->backoff_ms * 2 > o->max_ms ? o->max_ms : c->backoff_ms * 2;
}

static void reap(struct child *c, size_t n, const struct opts *o)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < n; i++) {
            if (c[i].pid == pid) {
                on_exit_status(&c[i], status, o);
                break;
            }
        }
    }
}

/* TERM to every child, KILL to what is left after stop_ms; reaps them all. */
static void stop_all(struct child *c, size_t n, const struct opts *o)
{
    for (size_t i = 0; i < n; i++) {
        if (c[i].pid > 0)
            (void)kill(c[i].pid, SIGTERM);
    }
    int64_t deadline = now_ms() + o->stop_ms;
    for (;;) {
        bool alive = false;
        int status;
        for (size_t i = 0; i < n; i++) {
            if (c[i].pid > 0 && waitpid(c[i].pid, &status, WNOHANG) == c[i].pid)
                c[i].pid = 0;
            alive = alive || c[i].pid > 0;
        }
        if (!alive)
            return;
        if (now_ms() >= deadline)
            break;
        struct timespec ts = {0, 20L * 1000000L};
        (void)nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        if (c[i].pid > 0) {
            nw_log(NW_LOG_WARN, "kill", "child", c[i].argv[0], NULL);
            (void)kill(c[i].pid, SIGKILL);
            (void)waitpid(c[i].pid, NULL, 0);
        }
    }
}

/* Milliseconds until the next scheduled restart (capped at 1 s), starting what is due. */
static int64_t run_due(struct child *c, size_t n, const sigset_t *oldmask)
{
    int64_t wait_ms = 1000;
    int64_t t = now_ms();
    for (size_t i = 0; i < n; i++) {
        if (c[i].pid != 0 || c[i].restart_at_ms == 0)
            continue;
        if (c[i].restart_at_ms <= t)
            start(&c[i], oldmask);
        else if (c[i].restart_at_ms - t < wait_ms)
            wait_ms = c[i].restart_at_ms - t;
    }
    return wait_ms;
}

static int supervise(struct child *c, size_t n, const struct opts *o)
{
    sigset_t set, oldmask;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (sigprocmask(SIG_BLOCK, &set, &oldmask) != 0)
        return 1;
    for (size_t i = 0; i < n; i++) {
        c[i].backoff_ms = o->min_ms;
        start(&c[i], &oldmask);
    }
    for (;;) {
        int64_t wait_ms = run_due(c, n, &oldmask);
        struct timespec ts = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGCHLD) {
            reap(c, n, o);
        } else if (sig == SIGTERM || sig == SIGINT) {
            nw_log(NW_LOG_INFO, "stopping", "signal", sig == SIGTERM ? "TERM" : "INT", NULL);
            stop_all(c, n, o);
            nw_log(NW_LOG_INFO, "stopped", NULL);
            return 0;
        }
    }
}

int main(int argc, char **argv)
{
    struct opts o = {.min_ms = 200, .max_ms = 5000, .stop_ms = 5000, .level = NW_LOG_INFO};
    struct child children[MAX_CHILDREN];
    size_t n = 0;
    memset(children, 0, sizeof(children));
    int first = parse_opts(argc, argv, &o);
    if (first <= 0)
        return first == 0 ? 0 : 2;
    if (o.min_ms > o.max_ms) {
        (void)fprintf(stderr, "nw-init: --restart-min-ms is above --restart-max-ms\n");
        return 2;
    }
    if (split_children(argc, argv, first, children, &n) != 0)
        return 2;
    nw_log_setup("nw-init", o.level, o.json);
    (void)nw_daemon_harden();
    return supervise(children, n, &o);
}

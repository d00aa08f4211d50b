/*
 * Loopback load generator for bench/proxy.sh (not part of the build; the script compiles it).
 *
 *   rtt server PORT                  echo server on 127.0.0.1:PORT (a thread per connection);
 *                                    at the client's EOF it sends an 8-byte count, then closes
 *   rtt rtt PORT SIZE CONNS SECS     round trips per second: SIZE-byte messages, echoed in full
 *   rtt conn PORT THREADS SECS       new connections per second (connect, 1-byte echo, close)
 *   rtt halfclose PORT               send 256 KiB, shut down writing, expect the echo and the
 *                                    count after EOF: prints ok or FAIL
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;
static size_t size;
static double secs;
static atomic_ullong total;
static atomic_bool failed;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int read_full(int fd, char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    static __thread char buf[1 << 16];
    uint64_t count = 0;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r <= 0)
            break;
        count += (uint64_t)r;
        if (write_full(fd, buf, (size_t)r) != 0)
            break;
    }
    (void)write_full(fd, (const char *)&count, sizeof(count));
    close(fd);
    return NULL;
}

static int server(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(ls, 4096) != 0) {
        perror("rtt server");
        return 1;
    }
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0)
            continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 1 << 18);
        if (pthread_create(&t, &at, serve, (void *)(intptr_t)fd) != 0)
            close(fd);
        pthread_attr_destroy(&at);
    }
}

static void *rtt_worker(void *arg)
{
    (void)arg;
    char *buf = malloc(size);
    memset(buf, 'x', size);
    int fd = dial();
    if (fd < 0) {
        atomic_store(&failed, true);
        free(buf);
        return NULL;
    }
    unsigned long long n = 0;
    double end = now() + secs;
    while (now() < end) {
        if (write_full(fd, buf, size) != 0 || read_full(fd, buf, size) != 0) {
            atomic_store(&failed, true);
            break;
        }
        n++;
    }
    atomic_fetch_add(&total, n);
    close(fd);
    free(buf);
    return NULL;
}

static void *conn_worker(void *arg)
{
    (void)arg;
    unsigned long long n = 0;
    double end = now() + secs;
    while (now() < end) {
        int fd = dial();
        char c = 'x';
        if (fd < 0 || write_full(fd, &c, 1) != 0 || read_full(fd, &c, 1) != 0) {
            if (fd >= 0)
                close(fd);
            atomic_store(&failed, true);
            break;
        }
        /* Reset instead of FIN: no TIME_WAIT pile-up on the client's ephemeral ports. */
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(fd);
        n++;
    }
    atomic_fetch_add(&total, n);
    return NULL;
}

static int run_threads(void *(*fn)(void *), int n)
{
    pthread_t th[256];
    double t0 = now();
    for (int i = 0; i < n; i++)
        pthread_create(&th[i], NULL, fn, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    double dt = now() - t0;
    printf("%.0f\n", (double)atomic_load(&total) / dt);
    return atomic_load(&failed) ? 1 : 0;
}

static int halfclose(void)
{
    size_t n = 256 * 1024;
    char *out = malloc(n), *in = malloc(n + 8);
    memset(out, 'h', n);
    int fd = dial();
    uint64_t count = 0;
    int ok = fd >= 0 && write_full(fd, out, n) == 0 && shutdown(fd, SHUT_WR) == 0 &&
             read_full(fd, in, n + 8) == 0;
    if (ok) {
        memcpy(&count, in + n, 8);
        char extra;
        ok = count == n && memcmp(in, out, n) == 0 && read(fd, &extra, 1) == 0;
    }
    puts(ok ? "ok" : "FAIL");
    if (fd >= 0)
        close(fd);
    free(out);
    free(in);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    port = (int)strtol(argv[2], NULL, 10);
    if (strcmp(argv[1], "server") == 0)
        return server();
    if (strcmp(argv[1], "halfclose") == 0)
        return halfclose();
    if (strcmp(argv[1], "rtt") == 0 && argc == 6) {
        size = (size_t)strtoul(argv[3], NULL, 10);
        secs = strtod(argv[5], NULL);
        return run_threads(rtt_worker, (int)strtol(argv[4], NULL, 10));
    }
    if (strcmp(argv[1], "conn") == 0 && argc == 5) {
        secs = strtod(argv[4], NULL);
        return run_threads(conn_worker, (int)strtol(argv[3], NULL, 10));
    }
    return 2;
}

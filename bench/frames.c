/*
 * bench_frames: the enclave's framed signing rate, the reference for bench/host.sh.
 * usage: bench_frames ADDR KEY_ID CONNECTIONS SECONDS
 * Each connection (one thread) sends sign_transaction frames by key id (the seed README's
 * EIP-1559 payload) one at a time and waits for each answer; prints one JSON line:
 * {"rate": signatures per second, "p50_ms", "p99_ms", "errors"}.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nw/addr.h>
#include <nw/wire.h>

#define MAX_SAMPLES 2000000

static struct nw_addr addr;
static const char *key_id;
static int64_t end_ms;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int32_t *lat_us;
static size_t n_lat;
static unsigned long errors;

static void *run(void *arg)
{
    (void)arg;
    int fd = -1;
    char req[1024];
    struct nw_buf ans;
    nw_buf_init(&ans, NW_WIRE_MAX_FRAME, false);
    if (nw_net_connect(&addr, 2000, &fd) != NW_OK) {
        (void)fprintf(stderr, "bench_frames: cannot connect\n");
        exit(1);
    }
    int n = snprintf(req, sizeof(req),
                     "{\"v\":1,\"id\":1,\"op\":\"sign_transaction\",\"key_id\":\"%s\","
                     "\"transaction_payload\":{\"value\":0.01,\"to\":"
                     "\"0xa5D3241A1591061F2a4bB69CA0215F66520E67cf\",\"nonce\":0,\"type\":2,"
                     "\"chainId\":4,\"gas\":100000,\"maxFeePerGas\":100000000000,"
                     "\"maxPriorityFeePerGas\":3000000000}}",
                     key_id);
    while (nw_now_ms() < end_ms) {
        struct timespec a, b;
        (void)clock_gettime(CLOCK_MONOTONIC, &a);
        ans.len = 0;
        bool ok = nw_wire_write(fd, (struct nw_cur){(const uint8_t *)req, (size_t)n},
                                nw_deadline_ms(10000)) == NW_OK &&
                  nw_wire_read(fd, &ans, 0, nw_deadline_ms(10000)) == NW_OK &&
                  memmem(ans.ptr, ans.len, "\"ok\":true", 9) != NULL;
        (void)clock_gettime(CLOCK_MONOTONIC, &b);
        int64_t us = (int64_t)(b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000;
        (void)pthread_mutex_lock(&mu);
        if (!ok)
            errors++;
        else if (n_lat < MAX_SAMPLES)
            lat_us[n_lat++] = (int32_t)us;
        (void)pthread_mutex_unlock(&mu);
        if (!ok)
            break;
    }
    nw_buf_clear(&ans);
    (void)close(fd);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 5 || nw_addr_parse(&addr, argv[1]) != NW_OK) {
        (void)fprintf(stderr, "usage: bench_frames ADDR KEY_ID CONNECTIONS SECONDS\n");
        return 2;
    }
    key_id = argv[2];
    int conns = atoi(argv[3]), secs = atoi(argv[4]);
    if (conns < 1 || conns > 256 || secs < 1)
        return 2;
    lat_us = calloc(MAX_SAMPLES, sizeof(*lat_us));
    pthread_t th[256];
    int64_t start = nw_now_ms();
    end_ms = start + (int64_t)secs * 1000;
    for (int i = 0; i < conns; i++)
        (void)pthread_create(&th[i], NULL, run, NULL);
    for (int i = 0; i < conns; i++)
        (void)pthread_join(th[i], NULL);
    double elapsed = (double)(nw_now_ms() - start) / 1000.0;
    qsort(lat_us, n_lat, sizeof(*lat_us), cmp);
    double p50 = n_lat ? lat_us[n_lat / 2] / 1000.0 : 0,
           p99 = n_lat ? lat_us[n_lat * 99 / 100] / 1000.0 : 0;
    (void)printf("{\"rate\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"errors\":%lu}\n",
                 (double)n_lat / elapsed, p50, p99, errors);
    free(lat_us);
    return errors == 0 ? 0 : 1;
}

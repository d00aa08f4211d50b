/*
 * Benchmark: EIP-1559 signing through the library (JSON dict text -> nw_tx_from_json ->
 * nw_tx_sign -> raw signed transaction, a full request cycle with init/clear each time)
 * against libsecp256k1 alone signing a precomputed 32-byte hash
 * (secp256k1_ecdsa_sign_recoverable), single thread, in the same run. Rounds of the two are
 * interleaved and the best round of each is kept, so a busy neighbour on the machine hurts
 * both alike; time is the thread's CPU time. The library runs with jansson routed through the
 * wiping allocator, as the nw binaries run it (nw_mem_hook_libraries), unless NW_BENCH_NO_HOOKS is
 * set.
 *
 * Usage: sign [--quick]   (prints ops/s for each and their ratio; target ratio >= 0.85)
 */
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nw/log.h>
#include <nw/sign.h>
#include <nw/tx.h>

/* The seed README's example transaction (its `to` in lower case: the README's casing fails EIP-55).
 */
static const char payload[] =
    "{\"value\": 0.01, \"to\": \"0xa5d3241a1591061f2a4bb69ca0215f4bfc6acda7\", \"nonce\": 0, "
    "\"type\": 2, \"chainId\": 4, \"gas\": 100000, \"maxFeePerGas\": 100000000000, "
    "\"maxPriorityFeePerGas\": 3000000000}";

static double now_s(void)
{
    /* Thread CPU time: other processes on a busy machine do not count against either side. */
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile uint8_t sink;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Median of n values (sorts v). */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return v[n / 2];
}

static double round_library(const struct nw_secp *secp, const struct nw_seckey *key, int n)
{
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        struct nw_tx tx;
        struct nw_tx_signed st;
        nw_tx_init(&tx);
        nw_tx_signed_init(&st);
        if (nw_tx_from_json(&tx, NULL, nw_cur_of(payload, sizeof(payload) - 1)) != NW_OK ||
            nw_tx_sign(secp, &st, &tx, key) != NW_OK) {
            fprintf(stderr, "bench: signing failed\n");
            exit(1);
        }
        sink ^= st.raw.ptr[st.raw.len - 1];
        nw_tx_clear(&tx);
        nw_tx_signed_clear(&st);
    }
    return (double)n / (now_s() - t0);
}

static double round_secp(const secp256k1_context *ctx, const uint8_t key32[32], int n)
{
    uint8_t hash[32];
    secp256k1_ecdsa_recoverable_signature sig;
    memset(hash, 0x5a, sizeof(hash));
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        hash[0] = (uint8_t)i;
        if (!secp256k1_ecdsa_sign_recoverable(ctx, &sig, hash, key32, NULL, NULL)) {
            fprintf(stderr, "bench: secp256k1 failed\n");
            exit(1);
        }
        sink ^= sig.data[0];
    }
    return (double)n / (now_s() - t0);
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int pairs = quick ? 3 : 301, batch = quick ? 50 : 200;
    struct nw_seckey key;
    memset(key.b, 0x42, sizeof(key.b));
    bool hooks = getenv("NW_BENCH_NO_HOOKS") == NULL;
    if (hooks && nw_mem_hook_libraries() != 0) {
        fprintf(stderr, "bench: cannot hook allocators\n");
        return 1;
    }
    struct nw_secp *secp = nw_secp_new();
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t seed[32] = {7};
    if (secp == NULL || ctx == NULL || !secp256k1_context_randomize(ctx, seed))
        return 1;
    /* Many short adjacent pairs; the medians resist a neighbour's bursts of load. */
    double *lib = calloc((size_t)pairs, sizeof(double)),
           *sec = calloc((size_t)pairs, sizeof(double)),
           *ratio = calloc((size_t)pairs, sizeof(double));
    if (lib == NULL || sec == NULL || ratio == NULL)
        return 1;
    (void)round_library(secp, &key, batch); /* warm up */
    (void)round_secp(ctx, key.b, batch);
    for (int r = 0; r < pairs; r++) {
        lib[r] = round_library(secp, &key, batch);
        sec[r] = round_secp(ctx, key.b, batch);
        ratio[r] = lib[r] / sec[r];
    }
    printf("library sign-tx (EIP-1559 JSON dict -> raw signed tx): %.0f ops/s%s\n",
           median(lib, pairs), hooks ? "" : " (jansson on plain malloc: NW_BENCH_NO_HOOKS)");
    printf("libsecp256k1 sign_recoverable (precomputed hash):      %.0f ops/s\n",
           median(sec, pairs));
    printf("ratio library/secp256k1: %.3f (median of %d pairs of %d ops; target >= 0.85)\n",
           median(ratio, pairs), pairs, batch);
    free(lib);
    free(sec);
    free(ratio);
    secp256k1_context_destroy(ctx);
    nw_secp_free(secp);
    nw_seckey_clear(&key);
    return 0;
}

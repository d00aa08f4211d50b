/*
 * Benchmark: EIP-1559 signing through the library (JSON dict text -> nw_tx_from_json ->
 * nw_tx_sign -> raw signed transaction, a full request cycle with init/clear each time)
 * against libsecp256k1 alone signing a precomputed 32-byte hash
 * (secp256k1_ecdsa_sign_recoverable), single thread, in the same run. Rounds of the two are
 * interleaved and the best round of each is kept, so a busy neighbour on the machine hurts
 * both alike. The library runs with jansson routed through the wiping allocator, as the nw
 * binaries run it (nw_mem_hook_libraries).
 *
 * Usage: sign [--quick]   (prints ops/s for each and their ratio; target ratio >= 0.85)
 */
#include <secp256k1.h>
#include <secp256k1_recovery.h>
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
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile uint8_t sink;

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
    int rounds = quick ? 2 : 9, per_round = quick ? 200 : 3000;
    struct nw_seckey key;
    memset(key.b, 0x42, sizeof(key.b));
    if (nw_mem_hook_libraries() != 0) {
        fprintf(stderr, "bench: cannot hook allocators\n");
        return 1;
    }
    struct nw_secp *secp = nw_secp_new();
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t seed[32] = {7};
    if (secp == NULL || ctx == NULL || !secp256k1_context_randomize(ctx, seed))
        return 1;
    double best_lib = 0, best_secp = 0;
    (void)round_library(secp, &key, per_round / 10); /* warm up */
    (void)round_secp(ctx, key.b, per_round / 10);
    for (int r = 0; r < rounds; r++) {
        double a = round_library(secp, &key, per_round);
        double b = round_secp(ctx, key.b, per_round);
        best_lib = a > best_lib ? a : best_lib;
        best_secp = b > best_secp ? b : best_secp;
    }
    printf("library sign-tx (EIP-1559 JSON dict -> raw signed tx): %.0f ops/s\n", best_lib);
    printf("libsecp256k1 sign_recoverable (precomputed hash):      %.0f ops/s\n", best_secp);
    printf("ratio library/secp256k1: %.3f (target >= 0.85)\n", best_lib / best_secp);
    secp256k1_context_destroy(ctx);
    nw_secp_free(secp);
    nw_seckey_clear(&key);
    return 0;
}

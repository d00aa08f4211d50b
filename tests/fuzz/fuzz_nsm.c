/*
 * libFuzzer target for the NSM simulator's request handling (untrusted CBOR from clients).
 * Target functions: nw_nsm_sim_handle (and through it nw_cbor_load and the answer encoders).
 * Properties: every input gets an answer, and every answer is well-formed CBOR. The simulator
 * is created once, in memory, with a fixed clock; its PCR state carries over between inputs.
 */
#include <stdlib.h>

#include <nw/nsm_sim.h>

#include "attest/attest_int.h"

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fixed_clock(void *ctx)
{
    (void)ctx;
    return 1700000000000ull;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nw_nsm_sim *sim;
    if (sim == NULL) {
        struct nw_nsm_sim_opts o = {.instance_id = "i-0fuzz0000000000000", .now_ms = fixed_clock};
        if (nw_nsm_sim_new(&sim, &o) != NW_OK)
            abort();
    }
    struct nw_buf resp;
    nw_buf_init(&resp, 1 << 16, false);
    if (nw_nsm_sim_handle(sim, &resp, nw_cur_of(data, size)) != NW_OK)
        abort();
    cbor_item_t *item = NULL;
    if (nw_cbor_load(&item, nw_buf_cur(&resp)) != NW_OK)
        abort();
    cbor_decref(&item);
    nw_buf_clear(&resp);
    return 0;
}

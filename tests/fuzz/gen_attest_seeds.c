/*
 * Generates the seed corpora of the attest fuzz targets (tests/fuzz/corpus/{cose,cms,nsm}/)
 * from our own simulator and CMS producer; no third-party test data is used. Run from the
 * build tree: gen_attest_seeds <repo>/tests/fuzz/corpus
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nw/cms.h>
#include <nw/nsm.h>
#include <nw/nsm_sim.h>

#include "attest/attest_int.h"

static void put(const char *dir, const char *sub, const char *name, struct nw_cur c)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(c.ptr, 1, c.len, f) != c.len) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    fclose(f);
}

static uint64_t fixed_clock(void *ctx)
{
    (void)ctx;
    return 1700000000000ull;
}

static void check(nw_err e, const char *what)
{
    if (e != NW_OK) {
        fprintf(stderr, "%s: %s\n", what, nw_err_name(e));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_attest_seeds CORPUS_DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    struct nw_nsm_sim *sim = NULL;
    struct nw_nsm_sim_opts so = {.instance_id = "i-0123456789abcdef0", .now_ms = fixed_clock};
    check(nw_nsm_sim_new(&sim, &so), "sim");

    /* nsm: one request of each kind, plus the simulator's answers as cose seeds */
    static const uint8_t d3[] = {1, 2, 3};
    struct nw_nsm_request reqs[] = {
        {.op = NW_NSM_OP_DESCRIBE_NSM},
        {.op = NW_NSM_OP_GET_RANDOM},
        {.op = NW_NSM_OP_DESCRIBE_PCR, .index = 4},
        {.op = NW_NSM_OP_EXTEND_PCR, .index = 16, .data = {d3, 3}},
        {.op = NW_NSM_OP_LOCK_PCR, .index = 17},
        {.op = NW_NSM_OP_LOCK_PCRS, .range = 20},
        {.op = NW_NSM_OP_ATTESTATION},
        {.op = NW_NSM_OP_ATTESTATION,
         .user_data = {d3, 3},
         .nonce = {d3, 2},
         .public_key = {d3, 1}},
    };
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        struct nw_buf b;
        char name[32];
        nw_buf_init(&b, 4096, false);
        check(nw_nsm_request_encode(&b, &reqs[i]), "encode");
        snprintf(name, sizeof(name), "req%zu.cbor", i);
        put(dir, "nsm", name, nw_buf_cur(&b));
        if (reqs[i].op == NW_NSM_OP_ATTESTATION) {
            struct nw_buf resp;
            nw_buf_init(&resp, 1 << 16, false);
            check(nw_nsm_sim_handle(sim, &resp, nw_buf_cur(&b)), "handle");
            cbor_item_t *item = NULL;
            check(nw_cbor_load(&item, nw_buf_cur(&resp)), "load");
            const cbor_item_t *inner = cbor_map_handle(item)[0].value;
            struct nw_cur doc = nw_cbor_bytes(cbor_map_handle(inner)[0].value);
            snprintf(name, sizeof(name), "sim_doc%zu.cbor", i);
            put(dir, "cose", name, doc);
            /* tagged form */
            uint8_t *t = malloc(doc.len + 1);
            t[0] = 0xd2;
            memcpy(t + 1, doc.ptr, doc.len);
            snprintf(name, sizeof(name), "sim_doc%zu_tagged.cbor", i);
            put(dir, "cose", name, nw_cur_of(t, doc.len + 1));
            free(t);
            cbor_decref(&item);
            nw_buf_clear(&resp);
        }
        nw_buf_clear(&b);
    }

    /* cms: our producer's output for a fresh key, small and chunked, and the recipient key */
    struct nw_recipient *r = NULL;
    struct nw_buf spki, ct;
    nw_buf_init(&spki, 4096, false);
    nw_buf_init(&ct, 1 << 16, false);
    check(nw_recipient_new(&r, 0), "recipient");
    check(nw_recipient_spki(r, &spki), "spki");
    put(dir, "cms", "spki.der", nw_buf_cur(&spki));
    static uint8_t pt[2100];
    memset(pt, 0x5a, sizeof(pt));
    check(nw_cms_envelope(&ct, nw_buf_cur(&spki), nw_cur_of(pt, 32)), "envelope");
    put(dir, "cms", "envelope32.ber", nw_buf_cur(&ct));
    ct.len = 0;
    check(nw_cms_envelope(&ct, nw_buf_cur(&spki), nw_cur_of(pt, sizeof(pt))), "envelope");
    put(dir, "cms", "envelope2100.ber", nw_buf_cur(&ct));
    nw_buf_clear(&ct);
    nw_buf_clear(&spki);
    nw_recipient_free(r);
    nw_nsm_sim_free(sim);
    return 0;
}

/*
 * libFuzzer target for attestation documents.
 * Target functions: nw_cose_sign1_decode, nw_attest_parse, nw_attest_payload_parse,
 * nw_attest_verify, nw_attest_doc_json.
 * Properties: verify never accepts what parse rejects; a parsed document renders as JSON; the
 * input is verified against its own cabundle[0] at its own timestamp, so mutations reach the
 * chain and signature checks rather than stopping at the pinned root.
 */
#include <stdlib.h>
#include <string.h>

#include <nw/attest.h>

#include "attest/attest_int.h"

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nw_attest_doc doc, doc2;
    static uint8_t root[NW_ATTEST_FIELD_MAX];
    struct nw_cur in = nw_cur_of(data, size);

    struct nw_cose_sign1 c;
    nw_cose_sign1_init(&c);
    if (nw_cose_sign1_decode(&c, in) == NW_OK) {
        struct nw_buf tbs;
        nw_buf_init(&tbs, NW_ATTEST_PAYLOAD_MAX + 256, false);
        if (nw_cose_sig_structure(&tbs, nw_buf_cur(&c.protected_hdr), nw_buf_cur(&c.payload)) !=
            NW_OK)
            abort();
        nw_buf_clear(&tbs);
    }
    nw_cose_sign1_clear(&c);

    memset(&doc2, 0, sizeof(doc2));
    nw_err se = nw_attest_payload_parse(&doc2, in); /* the payload schema on raw input */
    (void)se;

    nw_err pe = nw_attest_parse(&doc, in);
    struct nw_attest_opts o;
    memset(&o, 0, sizeof(o));
    o.time_s = 1700000000;
    if (pe == NW_OK) {
        struct nw_buf js;
        nw_buf_init(&js, 1 << 20, false);
        if (nw_attest_doc_json(&js, &doc) != NW_OK)
            abort();
        nw_buf_clear(&js);
        memcpy(root, doc.cabundle[0], doc.cabundle_len[0]);
        o.root = nw_cur_of(root, doc.cabundle_len[0]);
        o.time_s = (int64_t)(doc.timestamp_ms / 1000);
    }
    nw_err ve = nw_attest_verify(&doc2, &o, in);
    if (ve == NW_OK && pe != NW_OK)
        abort();
    return 0;
}

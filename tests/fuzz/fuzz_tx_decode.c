/*
 * Fuzz target: nw_tx_decode, nw_tx_recover_sender, nw_tx_to_json, nw_tx_encode_signed.
 * Property: a raw transaction that decodes (other than an EIP-4844 network wrapper, whose hash
 * covers only the inner transaction) re-encodes from its fields and signature to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <nw/keccak.h>
#include <nw/sign.h>
#include <nw/tx.h>

static struct nw_secp *secp;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); // NOLINT

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nw_tx tx;
    struct nw_tx_signed st, again;
    struct nw_buf json;
    uint8_t sender[20], h[32];
    if (secp == NULL && (secp = nw_secp_new()) == NULL)
        abort();
    nw_tx_init(&tx);
    nw_tx_signed_init(&st);
    nw_tx_signed_init(&again);
    nw_buf_init(&json, 1u << 24, false);
    if (nw_tx_decode(&tx, &st, nw_cur_of(data, size)) == NW_OK) {
        bool have_sender = nw_tx_recover_sender(secp, sender, &st) == NW_OK;
        if (nw_tx_to_json(&json, &tx, &st, have_sender ? sender : NULL) != NW_OK)
            abort();
        nw_keccak256(h, data, size);
        if (memcmp(h, st.hash32, 32) == 0) {
            if (nw_tx_encode_signed(&again, &tx, &st.sig) != NW_OK || again.raw.len != size ||
                memcmp(again.raw.ptr, data, size) != 0)
                abort();
        }
    }
    nw_buf_clear(&json);
    nw_tx_clear(&tx);
    nw_tx_signed_clear(&st);
    nw_tx_signed_clear(&again);
    return 0;
}

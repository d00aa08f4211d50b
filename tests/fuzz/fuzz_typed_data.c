/*
 * Fuzz target typed_data: nw_eip712_hash (eip712.c: JSON schema, type resolution, cycle check,
 * encodeType, encodeData of every kind) and nw_eip712_sign on arbitrary text.
 * Properties: no crash, hang or leak; the hash is deterministic and zero on failure; an
 * accepted input signs, and the signature recovers to the signer's address.
 */
#include <stdlib.h>
#include <string.h>

#include <nw/msg.h>
#include <nw/sign.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); // NOLINT

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nw_secp *ctx;
    static const uint8_t zero[32];
    uint8_t h1[32], h2[32], sig65[65], addr[20], rec[20];
    struct nw_diag diag;

    if (ctx == NULL && (ctx = nw_secp_new()) == NULL)
        abort();
    nw_err e1 = nw_eip712_hash(h1, &diag, nw_cur_of(data, size));
    nw_err e2 = nw_eip712_hash(h2, NULL, nw_cur_of(data, size));
    if (e1 != e2 || memcmp(h1, h2, 32) != 0)
        abort();
    if (e1 != NW_OK) {
        if (memcmp(h1, zero, 32) != 0 || diag.code != e1)
            abort();
        return 0;
    }
    struct nw_seckey key;
    memset(key.b, 0x11, sizeof(key.b));
    if (nw_eip712_sign(ctx, sig65, h2, NULL, nw_cur_of(data, size), &key) != NW_OK ||
        memcmp(h1, h2, 32) != 0 || nw_address_from_seckey(ctx, addr, &key) != NW_OK)
        abort();
    struct nw_sig sig;
    memcpy(sig.b, sig65, 65);
    sig.b[64] = (uint8_t)(sig65[64] - 27);
    if (nw_recover_address(ctx, rec, h1, &sig) != NW_OK || memcmp(rec, addr, 20) != 0)
        abort();
    nw_seckey_clear(&key);
    return 0;
}

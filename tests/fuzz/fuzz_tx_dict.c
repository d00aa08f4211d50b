/*
 * Fuzz target: nw_tx_from_json + nw_tx_sign (and, on their output, nw_tx_decode,
 * nw_tx_recover_sender, nw_tx_encode_signed, nw_tx_to_json).
 * Property: whatever request dict parses and signs, the signed transaction decodes back,
 * recovers to the signing key's address and re-encodes to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <nw/keccak.h>
#include <nw/sign.h>
#include <nw/tx.h>

static struct nw_secp *secp;
static struct nw_seckey key;
static uint8_t key_addr[20];

static void init_once(void)
{
    if (secp != NULL)
        return;
    secp = nw_secp_new();
    if (secp == NULL)
        abort();
    memset(key.b, 0x42, sizeof(key.b));
    if (nw_address_from_seckey(secp, key_addr, &key) != NW_OK)
        abort();
}

static void check_signed(const struct nw_tx_signed *st)
{
    struct nw_tx tx;
    struct nw_tx_signed dec, again;
    struct nw_buf json;
    uint8_t sender[20];
    nw_tx_init(&tx);
    nw_tx_signed_init(&dec);
    nw_tx_signed_init(&again);
    nw_buf_init(&json, 1u << 24, false);
    if (nw_tx_decode(&tx, &dec, nw_buf_cur(&st->raw)) != NW_OK)
        abort();
    if (memcmp(dec.hash32, st->hash32, 32) != 0 ||
        memcmp(dec.signing_hash32, st->signing_hash32, 32) != 0)
        abort();
    if (nw_tx_recover_sender(secp, sender, &dec) != NW_OK || memcmp(sender, key_addr, 20) != 0)
        abort();
    if (nw_tx_encode_signed(&again, &tx, &dec.sig) != NW_OK || again.raw.len != st->raw.len ||
        memcmp(again.raw.ptr, st->raw.ptr, st->raw.len) != 0)
        abort();
    if (nw_tx_to_json(&json, &tx, &dec, sender) != NW_OK)
        abort();
    nw_buf_clear(&json);
    nw_tx_clear(&tx);
    nw_tx_signed_clear(&dec);
    nw_tx_signed_clear(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); // NOLINT

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nw_tx tx;
    struct nw_tx_signed st;
    struct nw_diag diag;
    init_once();
    nw_tx_init(&tx);
    nw_tx_signed_init(&st);
    if (nw_tx_from_json(&tx, &diag, nw_cur_of(data, size)) == NW_OK &&
        nw_tx_sign(secp, &st, &tx, &key) == NW_OK)
        check_signed(&st);
    nw_tx_clear(&tx);
    nw_tx_signed_clear(&st);
    return 0;
}

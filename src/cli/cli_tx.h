/*
 * Transaction input and output shared by the tx commands of `nw` (internal to src/cli).
 */
#ifndef NW_CLI_TX_H
#define NW_CLI_TX_H

#include <nw/tx.h>

#include "cli.h"

/* How sign-tx reads a transaction. */
enum nw_cli_tx_format {
    NW_CLI_TX_DICT = 0, /* web3.py's sign_transaction dict (value in ether), nw_tx_from_json */
    NW_CLI_TX_RPC = 1,  /* a JSON-RPC transaction object (hex quantities, value in wei) */
};

/* "dict" or "rpc"; false for anything else. */
bool nw_cli_tx_format_parse(enum nw_cli_tx_format *f, const char *text);

/* Parse JSON text in format into tx (see nw_tx_from_json for tx and diag). */
nw_err nw_cli_tx_parse(struct nw_tx *tx,
                       struct nw_diag *diag,
                       struct nw_cur json,
                       enum nw_cli_tx_format format) NW_MUST_USE;

/* A decoded raw transaction and its recovered sender. */
struct nw_cli_decoded {
    struct nw_tx tx;
    struct nw_tx_signed st;
    uint8_t sender[20];
};

void nw_cli_decoded_init(struct nw_cli_decoded *d);
void nw_cli_decoded_clear(struct nw_cli_decoded *d);

/*
 * Decode the raw transaction given as arg (hex, with or without 0x) or, when arg is NULL or
 * "-", read from stdin: hex, or the JSON answer of `nw sign-tx` (its transaction_signed).
 * Errors are reported; returns NW_CLI_EXIT_OK or NW_CLI_EXIT_ERR.
 */
int nw_cli_decode_input(const struct nw_secp *secp, struct nw_cli_decoded *d, const char *arg);

/* decode-tx's JSON: nw_tx_to_json's fields plus valueWei (decimal) and valueEther. */
nw_err nw_cli_decoded_json(struct nw_buf *out, const struct nw_cli_decoded *d) NW_MUST_USE;

/*
 * Print the signer of a signature over hash32 and, when want20 is given, check it: prints
 * {"valid":true,"signer","hash"} or fails with signature_mismatch naming both addresses.
 * Returns an exit code.
 */
int nw_cli_report_signer(const uint8_t signer20[20],
                         const uint8_t hash32[32],
                         const uint8_t *want20);

/* nw keygen (cmd_keygen.c). */
int nw_cli_cmd_keygen(int argc, char **argv);

#endif /* NW_CLI_TX_H */

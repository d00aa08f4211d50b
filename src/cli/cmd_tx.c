/*
 * nw commands of the tx area: sign-tx, sign-authorization, decode-tx, recover-tx, address,
 * keygen.
 *
 * Keys are read from a key file (64 hex digits, optional 0x, surrounding whitespace ignored,
 * mode 0600 or stricter) into a secret buffer, parsed, and wiped on every path. No command
 * ever prints key material, nor echoes request bodies in errors.
 */
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include <nw/answer.h>
#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/mem.h>
#include <nw/tx.h>

#include "cli.h"
#include "cli_tx.h"

#define STDIN_MAX      ((size_t)2 * 1024 * 1024)
#define JSONL_LINE_MAX ((size_t)2 * 1024 * 1024)

enum {
    NW_TXO_KEY = 1,
    NW_TXO_JSONL,
    NW_TXO_OUT,
    NW_TXO_ADDRESS,
    NW_TXO_FORMAT,
    NW_TXO_KMS_KEY,
    NW_TXO_CONTEXT_ID
};

static const char EXIT_TEXT[] =
    "Exit: 0 ok; 1 error ({\"error\":{\"code\",\"message\"}} on stderr); 2 usage.";

/* Sign one tx dict (JSON text) with key into out (the answer line). */
/* With member, json is a line object and the tx dict is its value (read in place, so a JSON
 * number's literal text reaches the exact-ether check; re-serialising would change it). */
static nw_err sign_one(const struct nw_secp *secp,
                       struct nw_buf *out,
                       struct nw_diag *diag,
                       struct nw_cur json,
                       const char *member,
                       const struct nw_seckey *key,
                       enum nw_cli_tx_format format)
{
    struct nw_tx tx;
    struct nw_tx_signed st;
    uint8_t addr[20];
    nw_err err;

    diag->msg[0] = '\0';
    nw_tx_init(&tx);
    nw_tx_signed_init(&st);
    if (member != NULL && format == NW_CLI_TX_DICT)
        NW_CHECK(nw_tx_from_json_member(&tx, diag, json, member));
    else
        NW_CHECK(nw_cli_tx_parse(&tx, diag, json, format));
    NW_CHECK(nw_tx_sign(secp, &st, &tx, key));
    NW_CHECK(nw_address_from_seckey(secp, addr, key));
    NW_CHECK(nw_answer_tx(out, &st, addr));
out:
    if (err == NW_ERR_TX_FROM_MISMATCH && diag->msg[0] == '\0')
        (void)nw_diag_set(diag, err, "field 'from' is not the signing key's address");
    nw_tx_clear(&tx);
    nw_tx_signed_clear(&st);
    return err;
}

/* The JSON error of jansson's failure, in the codes nw_tx_from_json gives. */
static nw_err json_error(struct nw_diag *diag, const json_error_t *je)
{
    enum json_error_code jc = json_error_code(je);
    nw_err err = jc == json_error_numeric_overflow ? NW_ERR_JSON_NUMBER_TOO_BIG
                 : jc == json_error_duplicate_key  ? NW_ERR_JSON_DUPLICATE_KEY
                                                   : NW_ERR_JSON;
    return nw_diag_set(
        diag, err, "column %d of the line%s", je->column,
        err == NW_ERR_JSON_NUMBER_TOO_BIG ? " (send integers above 2^63-1 as 0x-hex strings)" : "");
}

/* One --jsonl line: a tx dict (with a key file) or {"key": "0x..", "tx": {...}}. */
static nw_err jsonl_line(const struct nw_secp *secp,
                         struct nw_buf *out,
                         struct nw_diag *diag,
                         struct nw_cur line,
                         const struct nw_seckey *file_key,
                         enum nw_cli_tx_format format)
{
    struct nw_seckey key;
    json_t *obj = NULL;
    char *tx_text = NULL;
    json_error_t je;
    nw_err err = NW_OK;

    if (file_key != NULL)
        return sign_one(secp, out, diag, line, NULL, file_key, format);
    memset(&key, 0, sizeof(key));
    obj = json_loadb((const char *)line.ptr, line.len, JSON_REJECT_DUPLICATES, &je);
    json_t *k = obj ? json_object_get(obj, "key") : NULL;
    json_t *t = obj ? json_object_get(obj, "tx") : NULL;
    if (obj == NULL) {
        err = json_error(diag, &je);
    } else if (!json_is_string(k) || !json_is_object(t) || json_object_size(obj) != 2) {
        err = nw_diag_set(diag, NW_ERR_INVALID_ARG, "expected {\"key\": \"0x...\", \"tx\": {...}}");
    } else if ((err = nw_seckey_parse(
                    secp, &key, nw_cur_of(json_string_value(k), json_string_length(k)))) != NW_OK) {
        (void)nw_diag_set(diag, err, "key must be 64 hex digits");
    } else if (format == NW_CLI_TX_DICT) {
        err = sign_one(secp, out, diag, line, "tx", &key, format);
    } else if ((tx_text = json_dumps(t, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
        err = NW_ERR_NOMEM; /* rpc objects carry wei as integers or hex: re-serialising is exact */
    } else {
        err = sign_one(secp, out, diag, nw_cur_str(tx_text), NULL, &key, format);
    }
    nw_seckey_clear(&key);
    nw_cli_json_free(tx_text);
    json_decref(obj);
    return err;
}

struct jsonl_arg {
    const struct nw_secp *secp;
    const struct nw_seckey *file_key;
    enum nw_cli_tx_format format;
};

static nw_err jsonl_cb(void *arg, struct nw_buf *out, struct nw_diag *diag, struct nw_cur line)
{
    const struct jsonl_arg *a = arg;
    return jsonl_line(a->secp, out, diag, line, a->file_key, a->format);
}

/* Stream stdin line by line: one answer (or error object) per line on stdout. */
static int run_jsonl(const struct nw_secp *secp,
                     const struct nw_seckey *file_key,
                     enum nw_cli_tx_format format)
{
    struct jsonl_arg a = {secp, file_key, format};
    return nw_cli_jsonl_run(JSONL_LINE_MAX, 4 * JSONL_LINE_MAX, jsonl_cb, &a);
}

static const struct nw_opt sign_tx_opts[] = {
    {"key-file", 'k', "FILE", NW_TXO_KEY, "private key: 64 hex digits, optional 0x (mode 0600)"},
    {"jsonl", 0, NULL, NW_TXO_JSONL,
     "one request per stdin line, one answer per stdout line: each line is a\n"
     "tx (signed with --key-file) or, without --key-file, {\"key\":\"0x..\",\"tx\":{...}};\n"
     "a failed line prints {\"error\":{...}} on stdout in its place, blank lines\n"
     "are skipped, lines are capped at 2 MiB; exit 1 if any line failed"},
    {"format", 'f', "FMT", NW_TXO_FORMAT,
     "dict (default): web3.py's sign_transaction dict, value in ether;\n"
     "rpc: a JSON-RPC transaction object (hex quantities, value in wei), such as\n"
     "`nw decode-tx` prints (its signature fields are ignored, from is checked)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct nw_opt_cmd sign_tx_cmd = {
    "nw sign-tx",
    "--key-file FILE [--format dict|rpc] [--jsonl] [TX.json|-]\n--jsonl [--format dict|rpc]",
    "Sign a transaction read as JSON from TX.json or stdin (docs/cli.md has the field table) and\n"
    "print {\"transaction_signed\":\"0x..\",\"transaction_hash\":\"0x..\",\"address\":\"0x..\"}.",
    sign_tx_opts, EXIT_TEXT};

static int cmd_sign_tx(int argc, char **argv)
{
    struct nw_opt_parser p;
    const char *v, *key_file = NULL;
    bool jsonl = false;
    enum nw_cli_tx_format format = NW_CLI_TX_DICT;
    int id;

    nw_opt_init(&p, &sign_tx_cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        if (id == NW_TXO_KEY)
            key_file = v;
        else if (id == NW_TXO_JSONL)
            jsonl = true;
        else if (id == NW_TXO_FORMAT && !nw_cli_tx_format_parse(&format, v))
            return nw_opt_usage_error(&sign_tx_cmd, "--format is dict or rpc, not '%.40s'", v);
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (key_file == NULL && !jsonl)
        return nw_opt_usage_error(&sign_tx_cmd, "missing --key-file (or --jsonl with keys inline)");
    if (argc - p.optind > (jsonl ? 0 : 1))
        return nw_opt_usage_error(&sign_tx_cmd, "unexpected argument '%.60s'", argv[argc - 1]);

    struct nw_seckey key;
    struct nw_buf in, out;
    struct nw_diag diag = {0};
    int rc = NW_CLI_EXIT_ERR;
    memset(&key, 0, sizeof(key));
    nw_buf_init(&in, STDIN_MAX, true);
    nw_buf_init(&out, 4 * STDIN_MAX, false);
    struct nw_secp *secp = nw_cli_secp();
    if (secp == NULL)
        goto out;
    if (key_file != NULL && (rc = nw_cli_load_key(secp, &key, key_file)) != NW_CLI_EXIT_OK)
        goto out;
    if (jsonl) {
        rc = run_jsonl(secp, key_file ? &key : NULL, format);
        goto out;
    }
    const char *path = p.optind < argc ? argv[p.optind] : NULL;
    if ((rc = nw_cli_read_input(&in, path, STDIN_MAX, "a transaction as JSON")) != NW_CLI_EXIT_OK)
        goto out;
    nw_err err = sign_one(secp, &out, &diag, nw_buf_cur(&in), NULL, &key, format);
    rc = err != NW_OK ? nw_cli_fail_err(err, diag.code == err ? diag.msg : NULL)
                      : nw_cli_print_line(nw_buf_cur(&out));
out:
    nw_seckey_clear(&key);
    nw_buf_clear(&in);
    nw_buf_clear(&out);
    nw_secp_free(secp);
    return rc;
}

static const struct nw_opt key_only_opts[] = {
    {"key-file", 'k', "FILE", NW_TXO_KEY, "private key: 64 hex digits, optional 0x (mode 0600)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct nw_opt_cmd sign_auth_cmd = {
    "nw sign-authorization", "--key-file FILE [AUTH.json|-]",
    "Sign an EIP-7702 authorization {\"chainId\",\"address\",\"nonce\"} read from AUTH.json or\n"
    "stdin and print the signed tuple, ready for a transaction's authorizationList:\n"
    "  {\"chainId\",\"address\",\"nonce\",\"yParity\",\"r\",\"s\" (0x quantities; address "
    "EIP-55),\n"
    "   \"authorizationHash\":keccak256(0x05||rlp([chainId,address,nonce])),\"signer\":address}",
    key_only_opts, EXIT_TEXT};

/* Parse the options of a command taking --key-file and at most one input operand. */
static int key_and_input(
    const struct nw_opt_cmd *cmd, int argc, char **argv, const char **key_file, const char **input)
{
    struct nw_opt_parser p;
    const char *v;
    int id;
    *key_file = NULL;
    *input = NULL;
    nw_opt_init(&p, cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        if (id == NW_TXO_KEY)
            *key_file = v;
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id) == NW_CLI_EXIT_OK ? -1 : NW_CLI_EXIT_USAGE;
    if (*key_file == NULL)
        return nw_opt_usage_error(cmd, "missing --key-file");
    if (argc - p.optind > 1)
        return nw_opt_usage_error(cmd, "unexpected argument '%.60s'", argv[argc - 1]);
    *input = p.optind < argc ? argv[p.optind] : NULL;
    return NW_CLI_EXIT_OK;
}

static int cmd_sign_auth(int argc, char **argv)
{
    const char *key_file, *input;
    int rc = key_and_input(&sign_auth_cmd, argc, argv, &key_file, &input);
    if (rc != NW_CLI_EXIT_OK)
        return rc < 0 ? NW_CLI_EXIT_OK : rc;
    struct nw_seckey key;
    struct nw_buf in, out;
    struct nw_diag diag = {0};
    struct nw_auth auth;
    struct nw_sig sig;
    uint8_t hash[32], signer[20];
    nw_err err;

    memset(&sig, 0, sizeof(sig));
    memset(&key, 0, sizeof(key));
    nw_buf_init(&in, STDIN_MAX, false);
    nw_buf_init(&out, 4096, false);
    struct nw_secp *secp = nw_cli_secp();
    rc = NW_CLI_EXIT_ERR;
    if (secp == NULL || (rc = nw_cli_load_key(secp, &key, key_file)) != NW_CLI_EXIT_OK ||
        (rc = nw_cli_read_input(&in, input, STDIN_MAX, "an authorization as JSON")) !=
            NW_CLI_EXIT_OK)
        goto out;
    if ((err = nw_auth_from_json(&auth, &diag, nw_buf_cur(&in))) != NW_OK ||
        (err = nw_auth_sign(secp, &sig, hash, &auth, &key)) != NW_OK ||
        (err = nw_address_from_seckey(secp, signer, &key)) != NW_OK ||
        (err = nw_answer_auth(&out, &auth, &sig, hash, signer)) != NW_OK) {
        rc = nw_cli_fail_err(err, diag.code == err ? diag.msg : NULL);
        goto out;
    }
    rc = nw_cli_print_line(nw_buf_cur(&out));
out:
    nw_wipe(&sig, sizeof(sig));
    nw_seckey_clear(&key);
    nw_buf_clear(&in);
    nw_buf_clear(&out);
    nw_secp_free(secp);
    return rc;
}

static const struct nw_opt decode_opts[] = {
    {NULL, 0, NULL, 0, NULL},
};

static const struct nw_opt_cmd decode_cmd = {
    "nw decode-tx", "[RAW_HEX|-]",
    "Decode a raw signed transaction and print its fields as JSON. The input is RAW_HEX, or\n"
    "stdin (`-` or no argument) holding the hex or the answer of `nw sign-tx`, so\n"
    "`nw sign-tx ... | nw decode-tx` works. Any type; strict canonical RLP; an EIP-4844\n"
    "network wrapper is accepted (hash is the transaction's).\n"
    "Fields: web3-style camelCase names, integers as 0x quantities (value in wei, as\n"
    "JSON-RPC), to null for contract creation, valueWei (decimal) and valueEther, type, v, r,\n"
    "s, yParity, hash, signingHash and the recovered sender as from (EIP-55). The object signs\n"
    "again to the same bytes with `nw sign-tx --format rpc`.",
    decode_opts, EXIT_TEXT};

static int cmd_decode_tx(int argc, char **argv)
{
    struct nw_opt_parser p;
    const char *v;
    int id;
    nw_opt_init(&p, &decode_cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (argc - p.optind > 1)
        return nw_opt_usage_error(&decode_cmd, "unexpected argument '%.60s'", argv[argc - 1]);

    struct nw_cli_decoded d;
    struct nw_buf out;
    int rc = NW_CLI_EXIT_ERR;
    nw_buf_init(&out, 32 * STDIN_MAX, false);
    nw_cli_decoded_init(&d);
    struct nw_secp *secp = nw_cli_secp();
    if (secp != NULL &&
        (rc = nw_cli_decode_input(secp, &d, p.optind < argc ? argv[p.optind] : NULL)) ==
            NW_CLI_EXIT_OK) {
        nw_err err = nw_cli_decoded_json(&out, &d);
        rc = err != NW_OK ? nw_cli_fail_err(err, NULL) : nw_cli_print_line(nw_buf_cur(&out));
    }
    nw_cli_decoded_clear(&d);
    nw_buf_clear(&out);
    nw_secp_free(secp);
    return rc;
}

static const struct nw_opt recover_opts[] = {
    {"address", 'a', "ADDR", NW_TXO_ADDRESS,
     "the expected signer: exit 1 with signature_mismatch when someone else signed"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct nw_opt_cmd recover_cmd = {
    "nw recover-tx", "[--address ADDR] [RAW_HEX|-]",
    "Recover the signer of a raw signed transaction (the same inputs as decode-tx) and print\n"
    "{\"signer\":\"0x..\",\"hash\":\"0x..\"}; with --address, check it is ADDR (as\n"
    "`cast wallet verify` does) and print {\"valid\":true,...}.",
    recover_opts, "Exit: 0 ok (and the signer matches); 1 error or signature_mismatch; 2 usage."};

static int cmd_recover_tx(int argc, char **argv)
{
    struct nw_opt_parser p;
    const char *v, *want_text = NULL;
    uint8_t want[20];
    int id;
    nw_opt_init(&p, &recover_cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        if (id == NW_TXO_ADDRESS)
            want_text = v;
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (argc - p.optind > 1)
        return nw_opt_usage_error(&recover_cmd, "unexpected argument '%.60s'", argv[argc - 1]);
    if (want_text != NULL && nw_ethaddr_parse(want, nw_cur_str(want_text)) != NW_OK)
        return nw_opt_usage_error(&recover_cmd, "--address is not an address (0x + 40 hex, EIP-55 "
                                                "when mixed case)");

    struct nw_cli_decoded d;
    int rc = NW_CLI_EXIT_ERR;
    nw_cli_decoded_init(&d);
    struct nw_secp *secp = nw_cli_secp();
    if (secp != NULL && (rc = nw_cli_decode_input(
                             secp, &d, p.optind < argc ? argv[p.optind] : NULL)) == NW_CLI_EXIT_OK)
        rc = nw_cli_report_signer(d.sender, d.st.hash32, want_text ? want : NULL);
    nw_cli_decoded_clear(&d);
    nw_secp_free(secp);
    return rc;
}

static const struct nw_opt_cmd address_cmd = {
    "nw address", "--key-file FILE", "Print the key's address: {\"address\":\"0x..\"} (EIP-55).",
    key_only_opts, EXIT_TEXT};

static int cmd_address(int argc, char **argv)
{
    const char *key_file, *input;
    int rc = key_and_input(&address_cmd, argc, argv, &key_file, &input);
    if (rc != NW_CLI_EXIT_OK)
        return rc < 0 ? NW_CLI_EXIT_OK : rc;
    if (input != NULL)
        return nw_opt_usage_error(&address_cmd, "unexpected argument '%.60s'", input);
    struct nw_seckey key;
    uint8_t addr[20];
    memset(&key, 0, sizeof(key));
    struct nw_secp *secp = nw_cli_secp();
    rc = NW_CLI_EXIT_ERR;
    if (secp != NULL && (rc = nw_cli_load_key(secp, &key, key_file)) == NW_CLI_EXIT_OK) {
        nw_err err = nw_address_from_seckey(secp, addr, &key);
        if (err != NW_OK) {
            rc = nw_cli_fail_err(err, NULL);
        } else {
            char a[NW_ETHADDR_TEXT_LEN], line[80];
            nw_ethaddr_format(a, addr);
            int n = snprintf(line, sizeof(line), "{\"address\":\"%s\"}", a);
            rc = nw_cli_print_line(nw_cur_of(line, (size_t)n));
        }
    }
    nw_seckey_clear(&key);
    nw_secp_free(secp);
    return rc;
}

const struct nw_cli_cmd nw_cli_cmds_tx[] = {
    {"sign-tx", "sign an Ethereum transaction (JSON on stdin or a file)", cmd_sign_tx},
    {"sign-authorization", "sign an EIP-7702 authorization (JSON)", cmd_sign_auth},
    {"decode-tx", "decode a raw signed transaction and recover its sender", cmd_decode_tx},
    {"recover-tx", "recover (and check) the signer of a raw transaction", cmd_recover_tx},
    {"address", "print the address of a key file", cmd_address},
    {"keygen", "generate a key (file, stdout, or KMS-encrypted forms)", nw_cli_cmd_keygen},
    {NULL, NULL, NULL},
};

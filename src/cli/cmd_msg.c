/*
 * nw commands of the msg area: EIP-191 personal_sign messages and EIP-712 typed data.
 *
 *   nw sign-message --key-file F [--hex] [FILE|-]   message bytes (--hex: 0x-hex text)
 *   nw sign-typed-data --key-file F [FILE|-]        eth_signTypedData_v4 JSON
 *   nw sign-message --jsonl                         lines {"key","message"} or {"key","messageHex"}
 *   nw sign-typed-data --jsonl                      lines {"key","typedData"}
 *   nw verify-message --address A --signature S [--hex] [FILE|-]
 *   nw verify-typed-data --address A --signature S [FILE|-]
 *
 * Each signature prints {"signature":"0x..","address":"0x..","hash":"0x.."} (address in
 * EIP-55). In --jsonl mode every input line gets one output line on stdout, a result or
 * {"error":{"code","message"}}; the exit code is 1 if any line failed. Keys travel in the
 * lines, so the line buffer is secret and jansson runs on the wiping allocator (main.c).
 */
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include <nw/answer.h>
#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/mem.h>
#include <nw/msg.h>

#include "cli_tx.h"

#define MAX_INPUT      NW_EIP712_MAX_JSON_BYTES
#define MAX_JSONL_LINE (2 * NW_EIP712_MAX_JSON_BYTES + 4096)
#define MAX_HEX_INPUT  (2 * NW_EIP712_MAX_JSON_BYTES + 4)

enum mode { NW_MSG_TEXT, NW_MSG_HEX, NW_MSG_TYPED };
enum { NW_MSO_KEY = 1, NW_MSO_HEX, NW_MSO_JSONL, NW_MSO_ADDRESS, NW_MSO_SIGNATURE };

/* The hash a signature covers: EIP-191 of bytes or hex text, or EIP-712 of typed data. */
static nw_err hash_input(uint8_t hash[32], struct nw_diag *diag, enum mode mode, struct nw_cur in)
{
    nw_err err = NW_OK;
    struct nw_buf bytes;
    if (mode == NW_MSG_TYPED)
        return nw_eip712_hash(hash, diag, in);
    if (mode == NW_MSG_TEXT) {
        nw_msg191_hash(hash, in);
        return NW_OK;
    }
    nw_buf_init(&bytes, NW_EIP712_MAX_JSON_BYTES, false);
    err = nw_hex_decode_buf(&bytes, nw_cli_trim(in), true);
    if (err == NW_ERR_BUF_FULL)
        err = NW_ERR_TOO_LARGE;
    if (err == NW_OK)
        nw_msg191_hash(hash, nw_buf_cur(&bytes));
    nw_buf_clear(&bytes);
    return err;
}

/* Sign one input (message bytes, hex text or typed-data JSON) with key; answer into out. */
static nw_err sign_one(const struct nw_secp *ctx,
                       struct nw_buf *out,
                       struct nw_diag *diag,
                       enum mode mode,
                       struct nw_cur in,
                       const struct nw_seckey *key)
{
    uint8_t sig[65], hash[32], addr[20];
    nw_err err = NW_OK;
    memset(diag, 0, sizeof(*diag));
    NW_CHECK(nw_address_from_seckey(ctx, addr, key));
    if (mode == NW_MSG_TYPED) {
        NW_CHECK(nw_eip712_sign(ctx, sig, hash, diag, in, key));
    } else {
        struct nw_buf bytes;
        nw_buf_init(&bytes, NW_EIP712_MAX_JSON_BYTES, false);
        err = mode == NW_MSG_HEX ? nw_hex_decode_buf(&bytes, nw_cli_trim(in), true) : NW_OK;
        if (err == NW_ERR_BUF_FULL)
            err = NW_ERR_TOO_LARGE;
        if (err == NW_OK)
            err = nw_msg191_sign(ctx, sig, hash, mode == NW_MSG_HEX ? nw_buf_cur(&bytes) : in, key);
        nw_buf_clear(&bytes);
        NW_CHECK(err);
    }
    NW_CHECK(nw_answer_sig(out, sig, hash, addr));
out:
    nw_wipe(sig, sizeof(sig));
    return err;
}

/* Read a message: raw bytes may be anything but empty; hex and JSON must not be blank. */
static int read_message(struct nw_buf *in, const char *path, enum mode mode)
{
    const char *what = mode == NW_MSG_TYPED ? "typed data (eth_signTypedData_v4 JSON)"
                       : mode == NW_MSG_HEX ? "a message as 0x-hex"
                                            : "a message";
    if (mode != NW_MSG_TEXT)
        return nw_cli_read_input(in, path, in->max, what);
    bool std = path == NULL || strcmp(path, "-") == 0;
    if (std && isatty(STDIN_FILENO))
        (void)fprintf(stderr, "nw: reading %s from the terminal (end it with Ctrl-D)\n", what);
    nw_err err = std ? nw_cli_read_stdin(in, in->max) : nw_cli_read_file(in, path, in->max);
    if (err != NW_OK)
        return nw_cli_fail_errf(err, "reading %s from %s", what, std ? "stdin" : path);
    if (in->len == 0)
        return std ? nw_cli_fail_err(NW_ERR_NO_INPUT, "expected a message")
                   : nw_cli_fail_errf(NW_ERR_NO_INPUT, "%s is empty", path);
    return NW_CLI_EXIT_OK;
}

static const char *line_shape(bool typed)
{
    return typed ? "a line must be {\"key\",\"typedData\"}"
                 : "a line must be {\"key\",\"message\"} or {\"key\",\"messageHex\"}";
}

/* One --jsonl line: parse, pick the input member, sign into out. */
static nw_err run_line(const struct nw_secp *ctx,
                       struct nw_buf *out,
                       struct nw_diag *diag,
                       bool typed,
                       struct nw_cur line)
{
    nw_err err = NW_OK;
    json_error_t jerr;
    char *td_text = NULL;
    struct nw_seckey key;

    memset(&key, 0, sizeof(key));
    json_t *o = json_loadb((const char *)line.ptr, line.len,
                           JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (o == NULL)
        return json_error_code(&jerr) == json_error_numeric_overflow ? NW_ERR_EIP712_INT_LITERAL
                                                                     : NW_ERR_JSON;
    const json_t *jk = json_object_get(o, "key");
    const json_t *jm = json_object_get(o, "message");
    const json_t *jh = json_object_get(o, "messageHex");
    const json_t *jt = json_object_get(o, "typedData");
    size_t want = 1 + (size_t)(typed ? (jt != NULL) : (jm != NULL) + (jh != NULL));
    if (!json_is_object(o) || !json_is_string(jk) || json_object_size(o) != want || want != 2) {
        err = nw_diag_set(diag, NW_ERR_INVALID_ARG, "%s", line_shape(typed));
        goto out;
    }
    NW_CHECK(nw_seckey_parse(ctx, &key, nw_cur_of(json_string_value(jk), json_string_length(jk))));
    if (typed) {
        td_text = json_dumps(jt, JSON_COMPACT | JSON_ENCODE_ANY);
        NW_CHECK_COND(td_text != NULL, NW_ERR_NOMEM);
        err = sign_one(ctx, out, diag, NW_MSG_TYPED, nw_cur_str(td_text), &key);
    } else {
        const json_t *m = jm != NULL ? jm : jh;
        NW_CHECK_COND(json_is_string(m), NW_ERR_INVALID_ARG);
        err = sign_one(ctx, out, diag, jm != NULL ? NW_MSG_TEXT : NW_MSG_HEX,
                       nw_cur_of(json_string_value(m), json_string_length(m)), &key);
    }
out:
    nw_seckey_clear(&key);
    nw_cli_json_free(td_text);
    json_decref(o);
    return err;
}

struct jsonl_arg {
    const struct nw_secp *ctx;
    bool typed;
};

static nw_err jsonl_line(void *arg, struct nw_buf *out, struct nw_diag *diag, struct nw_cur line)
{
    const struct jsonl_arg *a = arg;
    return run_line(a->ctx, out, diag, a->typed, line);
}

/* Stream stdin through the shared line reader: memory is bounded by one line. */
static int run_jsonl(bool typed)
{
    struct nw_secp *ctx = nw_cli_secp();
    if (ctx == NULL)
        return NW_CLI_EXIT_ERR;
    struct jsonl_arg a = {ctx, typed};
    int rc = nw_cli_jsonl_run(MAX_JSONL_LINE, 4096, jsonl_line, &a);
    nw_secp_free(ctx);
    return rc;
}

/* One-shot mode: key from a file, input from path or stdin. */
static int run_single(const char *key_file, const char *path, enum mode mode)
{
    int rc = NW_CLI_EXIT_ERR;
    struct nw_seckey key;
    struct nw_buf in, out;
    struct nw_diag diag;
    memset(&key, 0, sizeof(key));
    nw_buf_init(&in, mode == NW_MSG_HEX ? MAX_HEX_INPUT : MAX_INPUT, false);
    nw_buf_init(&out, 4096, false);
    struct nw_secp *ctx = nw_cli_secp();
    if (ctx == NULL || (rc = nw_cli_load_key(ctx, &key, key_file)) != NW_CLI_EXIT_OK ||
        (rc = read_message(&in, path, mode)) != NW_CLI_EXIT_OK)
        goto out;
    nw_err err = sign_one(ctx, &out, &diag, mode, nw_buf_cur(&in), &key);
    rc = err != NW_OK ? nw_cli_fail_err(err, diag.code == err ? diag.msg : NULL)
                      : nw_cli_print_line(nw_buf_cur(&out));
out:
    nw_seckey_clear(&key);
    nw_buf_clear(&in);
    nw_buf_clear(&out);
    nw_secp_free(ctx);
    return rc;
}

static const struct nw_opt sign_msg_opts[] = {
    {"key-file", 'k', "FILE", NW_MSO_KEY, "private key: 64 hex digits, optional 0x (mode 0600)"},
    {"hex", 0, NULL, NW_MSO_HEX, "the message is 0x-hex text (surrounding whitespace ignored)"},
    {"jsonl", 0, NULL, NW_MSO_JSONL,
     "each stdin line is {\"key\":\"0x..\",\"message\":\"text\"} or\n"
     "{\"key\":\"0x..\",\"messageHex\":\"0x..\"}; one answer line per line (lines are\n"
     "capped; a failed line prints its {\"error\":..}; exit 1 if any failed)"},
    {NULL, 0, NULL, 0, NULL},
};
static const struct nw_opt_cmd sign_msg_cmd = {
    "nw sign-message", "--key-file FILE [--hex] [MESSAGE_FILE|-]\n--jsonl",
    "Sign a message with EIP-191 personal_sign (eth_sign's prefix) and print\n"
    "{\"signature\":\"0x..\",\"address\":\"0x..\",\"hash\":\"0x..\"}. The message is the bytes of\n"
    "MESSAGE_FILE or stdin, exactly (no newline is stripped), or 0x-hex text with --hex.",
    sign_msg_opts, "Exit: 0 ok; 1 error (JSON on stderr); 2 usage."};

static const struct nw_opt sign_typed_opts[] = {
    {"key-file", 'k', "FILE", NW_MSO_KEY, "private key: 64 hex digits, optional 0x (mode 0600)"},
    {"jsonl", 0, NULL, NW_MSO_JSONL,
     "each stdin line is {\"key\":\"0x..\",\"typedData\":{...}}; one answer line per\n"
     "line (a failed line prints its {\"error\":..}; exit 1 if any failed)"},
    {NULL, 0, NULL, 0, NULL},
};
static const struct nw_opt_cmd sign_typed_cmd = {
    "nw sign-typed-data", "--key-file FILE [TYPED_DATA.json|-]\n--jsonl",
    "Sign EIP-712 typed data (eth_signTypedData_v4 JSON) and print\n"
    "{\"signature\":\"0x..\",\"address\":\"0x..\",\"hash\":\"0x..\"}.",
    sign_typed_opts, "Exit: 0 ok; 1 error (JSON on stderr); 2 usage."};

static int sign_cmd(const struct nw_opt_cmd *cmd, int argc, char **argv, bool typed)
{
    struct nw_opt_parser p;
    const char *v, *key_file = NULL;
    bool hex = false, jsonl = false;
    int id;
    nw_opt_init(&p, cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        key_file = id == NW_MSO_KEY ? v : key_file;
        hex |= id == NW_MSO_HEX;
        jsonl |= id == NW_MSO_JSONL;
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (jsonl && (key_file != NULL || hex))
        return nw_opt_usage_error(cmd, "--jsonl takes the keys from the lines: no --key-file%s",
                                  typed ? "" : " or --hex");
    if (!jsonl && key_file == NULL)
        return nw_opt_usage_error(cmd, "missing --key-file (or --jsonl)");
    if (argc - p.optind > (jsonl ? 0 : 1))
        return nw_opt_usage_error(cmd, "unexpected argument '%.60s'", argv[argc - 1]);
    if (jsonl)
        return run_jsonl(typed);
    return run_single(key_file, p.optind < argc ? argv[p.optind] : NULL,
                      typed ? NW_MSG_TYPED
                      : hex ? NW_MSG_HEX
                            : NW_MSG_TEXT);
}

static int cmd_sign_message(int argc, char **argv)
{
    return sign_cmd(&sign_msg_cmd, argc, argv, false);
}

static int cmd_sign_typed_data(int argc, char **argv)
{
    return sign_cmd(&sign_typed_cmd, argc, argv, true);
}

/* ---- verification ---- */

static const struct nw_opt verify_msg_opts[] = {
    {"address", 'a', "ADDR", NW_MSO_ADDRESS, "the address that should have signed"},
    {"signature", 's', "SIG", NW_MSO_SIGNATURE, "65 bytes of 0x-hex: r || s || v (v 27/28 or 0/1)"},
    {"hex", 0, NULL, NW_MSO_HEX, "the message is 0x-hex text, as for sign-message --hex"},
    {NULL, 0, NULL, 0, NULL},
};
static const struct nw_opt_cmd verify_msg_cmd = {
    "nw verify-message", "--address ADDR --signature SIG [--hex] [MESSAGE_FILE|-]",
    "Check an EIP-191 personal_sign signature over the message (read as for sign-message)\n"
    "as `cast wallet verify` does: print {\"valid\":true,\"signer\",\"hash\"} when ADDR signed it.",
    verify_msg_opts,
    "Exit: 0 valid; 1 signature_mismatch (someone else signed) or an error; 2 usage."};

static const struct nw_opt verify_typed_opts[] = {
    {"address", 'a', "ADDR", NW_MSO_ADDRESS, "the address that should have signed"},
    {"signature", 's', "SIG", NW_MSO_SIGNATURE, "65 bytes of 0x-hex: r || s || v (v 27/28 or 0/1)"},
    {NULL, 0, NULL, 0, NULL},
};
static const struct nw_opt_cmd verify_typed_cmd = {
    "nw verify-typed-data", "--address ADDR --signature SIG [TYPED_DATA.json|-]",
    "Check an EIP-712 signature over typed data (eth_signTypedData_v4 JSON): print\n"
    "{\"valid\":true,\"signer\",\"hash\"} when ADDR signed it.",
    verify_typed_opts,
    "Exit: 0 valid; 1 signature_mismatch (someone else signed) or an error; 2 usage."};

/* 65 bytes of hex, v 0/1 or 27/28, into sig (v made 0/1). */
static bool parse_sig(struct nw_sig *sig, const char *text)
{
    if (nw_hex_decode_fixed(sig->b, 65, nw_cli_trim(nw_cur_str(text)), false) != NW_OK)
        return false;
    if (sig->b[64] >= 27)
        sig->b[64] = (uint8_t)(sig->b[64] - 27);
    return sig->b[64] <= 1;
}

static int verify_cmd(const struct nw_opt_cmd *cmd, int argc, char **argv, bool typed)
{
    struct nw_opt_parser p;
    const char *v, *addr_text = NULL, *sig_text = NULL;
    bool hex = false;
    int id;
    nw_opt_init(&p, cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        addr_text = id == NW_MSO_ADDRESS ? v : addr_text;
        sig_text = id == NW_MSO_SIGNATURE ? v : sig_text;
        hex |= id == NW_MSO_HEX;
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    uint8_t want[20];
    struct nw_sig sig;
    if (addr_text == NULL || sig_text == NULL)
        return nw_opt_usage_error(cmd, "missing %s",
                                  addr_text == NULL ? "--address" : "--signature");
    if (nw_ethaddr_parse(want, nw_cur_str(addr_text)) != NW_OK)
        return nw_opt_usage_error(cmd, "--address is not an address (0x + 40 hex, EIP-55 when "
                                       "mixed case)");
    if (!parse_sig(&sig, sig_text))
        return nw_opt_usage_error(cmd, "--signature is not 65 bytes of hex with v 0/1/27/28");
    if (argc - p.optind > 1)
        return nw_opt_usage_error(cmd, "unexpected argument '%.60s'", argv[argc - 1]);

    enum mode mode = typed ? NW_MSG_TYPED : hex ? NW_MSG_HEX : NW_MSG_TEXT;
    struct nw_buf in;
    struct nw_diag diag = {0};
    uint8_t hash[32], signer[20];
    int rc = NW_CLI_EXIT_ERR;
    nw_buf_init(&in, mode == NW_MSG_HEX ? MAX_HEX_INPUT : MAX_INPUT, false);
    struct nw_secp *ctx = nw_cli_secp();
    if (ctx == NULL ||
        (rc = read_message(&in, p.optind < argc ? argv[p.optind] : NULL, mode)) != NW_CLI_EXIT_OK)
        goto out;
    nw_err err = hash_input(hash, &diag, mode, nw_buf_cur(&in));
    if (err == NW_OK)
        err = nw_recover_address(ctx, signer, hash, &sig);
    rc = err != NW_OK ? nw_cli_fail_err(err, diag.code == err ? diag.msg : NULL)
                      : nw_cli_report_signer(signer, hash, want);
out:
    nw_buf_clear(&in);
    nw_secp_free(ctx);
    return rc;
}

static int cmd_verify_message(int argc, char **argv)
{
    return verify_cmd(&verify_msg_cmd, argc, argv, false);
}

static int cmd_verify_typed_data(int argc, char **argv)
{
    return verify_cmd(&verify_typed_cmd, argc, argv, true);
}

const struct nw_cli_cmd nw_cli_cmds_msg[] = {
    {"sign-message", "sign a message with EIP-191 personal_sign", cmd_sign_message},
    {"sign-typed-data", "sign EIP-712 typed data (eth_signTypedData_v4 JSON)", cmd_sign_typed_data},
    {"verify-message", "check who signed an EIP-191 message", cmd_verify_message},
    {"verify-typed-data", "check who signed EIP-712 typed data", cmd_verify_typed_data},
    {NULL, NULL, NULL},
};

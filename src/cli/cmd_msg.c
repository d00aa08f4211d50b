/*
 * nw commands of the msg area: EIP-191 personal_sign messages and EIP-712 typed data.
 *
 *   nw sign-message --key-file F [--hex]     message bytes on stdin (--hex: 0x-hex text)
 *   nw sign-typed-data --key-file F          eth_signTypedData_v4 JSON on stdin
 *   nw sign-message --jsonl                  lines {"key","message"} or {"key","messageHex"}
 *   nw sign-typed-data --jsonl               lines {"key","typedData"}
 *
 * Each success prints {"signature":"0x..","address":"0x..","hash":"0x.."} (address in EIP-55).
 * In --jsonl mode every input line gets one output line on stdout, a result or
 * {"error":{"code","message"}}; the exit code is 1 if any line failed. Keys travel in the
 * lines, so the input buffer is secret and jansson runs on the wiping allocator (main.c).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/mem.h>
#include <nw/msg.h>
#include <nw/sign.h>

#include "cli.h"

#define MAX_KEY_FILE  4096
#define MAX_INPUT     NW_EIP712_MAX_JSON_BYTES
#define MAX_JSONL     ((size_t)256 * 1024 * 1024)
#define MAX_HEX_INPUT (2 * NW_EIP712_MAX_JSON_BYTES + 4)

enum mode { NW_MSG_TEXT, NW_MSG_HEX, NW_MSG_TYPED };

struct result {
    uint8_t sig[65];
    uint8_t hash[32];
    uint8_t addr[20];
};

static void print_result(const struct result *r)
{
    char sig[2 * 65 + 3], hash[2 * 32 + 3], addr[NW_ETHADDR_TEXT_LEN];
    if (nw_hex_encode(sig, sizeof(sig), r->sig, 65, true) != NW_OK ||
        nw_hex_encode(hash, sizeof(hash), r->hash, 32, true) != NW_OK)
        return;
    nw_ethaddr_format(addr, r->addr);
    (void)fprintf(stdout, "{\"signature\":\"%s\",\"address\":\"%s\",\"hash\":\"%s\"}\n", sig, addr,
                  hash);
}

/* Strip surrounding ASCII whitespace (a trailing newline from `echo`). */
static struct nw_cur trim(struct nw_cur c)
{
    while (c.len > 0 &&
           (c.ptr[0] == ' ' || c.ptr[0] == '\t' || c.ptr[0] == '\n' || c.ptr[0] == '\r')) {
        c.ptr++;
        c.len--;
    }
    while (c.len > 0 && (c.ptr[c.len - 1] == ' ' || c.ptr[c.len - 1] == '\t' ||
                         c.ptr[c.len - 1] == '\n' || c.ptr[c.len - 1] == '\r'))
        c.len--;
    return c;
}

/* Sign one input (message bytes, hex text or typed-data JSON) with key. */
static nw_err sign_one(const struct nw_secp *ctx,
                       struct result *r,
                       struct nw_diag *diag,
                       enum mode mode,
                       struct nw_cur in,
                       const struct nw_seckey *key)
{
    nw_err err = NW_OK;
    struct nw_buf bytes;
    nw_buf_init(&bytes, NW_EIP712_MAX_JSON_BYTES, false);
    memset(r, 0, sizeof(*r));
    memset(diag, 0, sizeof(*diag));

    NW_CHECK(nw_address_from_seckey(ctx, r->addr, key));
    if (mode == NW_MSG_TYPED) {
        NW_CHECK(nw_eip712_sign(ctx, r->sig, r->hash, diag, in, key));
    } else if (mode == NW_MSG_HEX) {
        err = nw_hex_decode_buf(&bytes, trim(in), true);
        if (err == NW_ERR_BUF_FULL)
            err = NW_ERR_TOO_LARGE;
        NW_CHECK(err);
        NW_CHECK(nw_msg191_sign(ctx, r->sig, r->hash, nw_buf_cur(&bytes), key));
    } else {
        NW_CHECK(nw_msg191_sign(ctx, r->sig, r->hash, in, key));
    }
out:
    nw_buf_clear(&bytes);
    return err;
}

static const char *const USAGE_MSG =
    "nw sign-message (--key-file FILE [--hex] | --jsonl)\n"
    "  Signs stdin with EIP-191 personal_sign: raw bytes, or 0x-hex text with --hex.\n"
    "  --jsonl: each stdin line is {\"key\":\"0x..\",\"message\":\"text\"} or\n"
    "  {\"key\":\"0x..\",\"messageHex\":\"0x..\"}; one result line per input line.\n"
    "  Prints {\"signature\":\"0x..\",\"address\":\"0x..\",\"hash\":\"0x..\"}.";

static const char *const USAGE_TYPED =
    "nw sign-typed-data (--key-file FILE | --jsonl)\n"
    "  Signs the EIP-712 typed data (eth_signTypedData_v4 JSON) read from stdin.\n"
    "  --jsonl: each stdin line is {\"key\":\"0x..\",\"typedData\":{...}}; one result line\n"
    "  per input line.\n"
    "  Prints {\"signature\":\"0x..\",\"address\":\"0x..\",\"hash\":\"0x..\"}.";

struct opts {
    const char *key_file;
    bool hex;
    bool jsonl;
};

static int parse_opts(int argc, char **argv, struct opts *o, bool allow_hex, const char *usage)
{
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--key-file") == 0 && i + 1 < argc)
            o->key_file = argv[++i];
        else if (allow_hex && strcmp(argv[i], "--hex") == 0)
            o->hex = true;
        else if (strcmp(argv[i], "--jsonl") == 0)
            o->jsonl = true;
        else
            return nw_cli_usage(usage);
    }
    if (o->jsonl == (o->key_file != NULL) || (o->jsonl && o->hex))
        return nw_cli_usage(usage);
    return NW_CLI_EXIT_OK;
}

static int fail_diag(nw_err err, const struct nw_diag *diag)
{
    return nw_cli_fail_err(err, diag->code == err && diag->msg[0] != '\0' ? diag->msg : NULL);
}

/* One-shot mode: key from a file, input from stdin. */
static int run_single(const struct opts *o, enum mode mode)
{
    int rc = NW_CLI_EXIT_ERR;
    nw_err err;
    struct nw_secp *ctx = NULL;
    struct nw_seckey key;
    struct nw_buf kb, in;
    struct nw_diag diag;
    struct result r;

    memset(&key, 0, sizeof(key));
    memset(&diag, 0, sizeof(diag));
    nw_buf_init(&kb, MAX_KEY_FILE, true);
    nw_buf_init(&in, mode == NW_MSG_HEX ? MAX_HEX_INPUT : MAX_INPUT, false);
    ctx = nw_secp_new();
    if (ctx == NULL) {
        rc = nw_cli_fail("internal", "cannot create the signing context");
        goto out;
    }
    err = nw_cli_read_file(&kb, o->key_file, MAX_KEY_FILE);
    if (err != NW_OK) {
        rc = nw_cli_fail_err(err, "reading the key file");
        goto out;
    }
    err = nw_seckey_parse(ctx, &key, nw_buf_cur(&kb));
    if (err != NW_OK) {
        rc = nw_cli_fail_err(err, "the key file must hold 64 hex digits");
        goto out;
    }
    err = nw_cli_read_stdin(&in, in.max);
    if (err != NW_OK) {
        rc = nw_cli_fail_err(err, "reading stdin");
        goto out;
    }
    err = sign_one(ctx, &r, &diag, mode, nw_buf_cur(&in), &key);
    if (err != NW_OK) {
        rc = fail_diag(err, &diag);
        goto out;
    }
    print_result(&r);
    rc = NW_CLI_EXIT_OK;
out:
    nw_seckey_clear(&key);
    nw_buf_clear(&kb);
    nw_buf_clear(&in);
    nw_secp_free(ctx);
    return rc;
}

/* Free text from json_dumps with jansson's own (hooked, wiping) allocator. */
static void json_text_free(char *text)
{
    json_malloc_t m;
    json_free_t f;
    if (text == NULL)
        return;
    json_get_alloc_funcs(&m, &f);
    f(text);
}

static void print_line_error(nw_err err, const char *detail)
{
    char msg[512];
    if (detail != NULL && detail[0] != '\0')
        (void)snprintf(msg, sizeof(msg), "%s: %s", nw_err_str(err), detail);
    else
        (void)snprintf(msg, sizeof(msg), "%s", nw_err_str(err));
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", nw_err_code(err), "message", msg);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    (void)fprintf(stdout, "%s\n",
                  text ? text : "{\"error\":{\"code\":\"nomem\",\"message\":\"out of memory\"}}");
    json_text_free(text);
    json_decref(o);
}

/* One --jsonl line: parse, pick the input member, sign, print. Returns the error. */
static nw_err run_line(const struct nw_secp *ctx, bool typed, struct nw_cur line)
{
    nw_err err = NW_OK;
    json_error_t jerr;
    json_t *o = NULL;
    char *td_text = NULL;
    size_t td_len = 0;
    struct nw_seckey key;
    struct nw_diag diag;
    struct result r;
    const char *detail = NULL;

    memset(&key, 0, sizeof(key));
    memset(&diag, 0, sizeof(diag));
    o = json_loadb((const char *)line.ptr, line.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                   &jerr);
    if (o == NULL) {
        err = json_error_code(&jerr) == json_error_numeric_overflow ? NW_ERR_EIP712_INT_LITERAL
                                                                    : NW_ERR_JSON;
        goto out;
    }
    const json_t *jk = json_object_get(o, "key");
    const json_t *jm = json_object_get(o, "message");
    const json_t *jh = json_object_get(o, "messageHex");
    const json_t *jt = json_object_get(o, "typedData");
    size_t want = 1 + (size_t)(typed ? (jt != NULL) : (jm != NULL) + (jh != NULL));
    if (!json_is_object(o) || !json_is_string(jk) || json_object_size(o) != want || want != 2) {
        err = NW_ERR_INVALID_ARG;
        detail = typed ? "a line must be {\"key\",\"typedData\"}"
                       : "a line must be {\"key\",\"message\"} or {\"key\",\"messageHex\"}";
        goto out;
    }
    err = nw_seckey_parse(ctx, &key, nw_cur_of(json_string_value(jk), json_string_length(jk)));
    if (err != NW_OK)
        goto out;
    if (typed) {
        td_text = json_dumps(jt, JSON_COMPACT | JSON_ENCODE_ANY);
        NW_CHECK_COND(td_text != NULL, NW_ERR_NOMEM);
        td_len = strlen(td_text);
        err = sign_one(ctx, &r, &diag, NW_MSG_TYPED, nw_cur_of(td_text, td_len), &key);
    } else if (jm != NULL) {
        NW_CHECK_COND(json_is_string(jm), NW_ERR_INVALID_ARG);
        err = sign_one(ctx, &r, &diag, NW_MSG_TEXT,
                       nw_cur_of(json_string_value(jm), json_string_length(jm)), &key);
    } else {
        NW_CHECK_COND(json_is_string(jh), NW_ERR_INVALID_ARG);
        err = sign_one(ctx, &r, &diag, NW_MSG_HEX,
                       nw_cur_of(json_string_value(jh), json_string_length(jh)), &key);
    }
    if (err == NW_OK)
        print_result(&r);
    else if (diag.code == err)
        detail = diag.msg;
out:
    if (err != NW_OK)
        print_line_error(err, detail);
    nw_seckey_clear(&key);
    json_text_free(td_text);
    json_decref(o);
    return err;
}

static int run_jsonl(bool typed)
{
    int rc = NW_CLI_EXIT_OK;
    struct nw_buf in;
    struct nw_secp *ctx = nw_secp_new();
    nw_buf_init(&in, MAX_JSONL, true);
    if (ctx == NULL) {
        rc = nw_cli_fail("internal", "cannot create the signing context");
        goto out;
    }
    nw_err err = nw_cli_read_stdin(&in, MAX_JSONL);
    if (err != NW_OK) {
        rc = nw_cli_fail_err(err, "reading stdin");
        goto out;
    }
    struct nw_cur rest = nw_buf_cur(&in);
    while (rest.len > 0) {
        const uint8_t *nl = memchr(rest.ptr, '\n', rest.len);
        size_t n = nl ? (size_t)(nl - rest.ptr) : rest.len;
        struct nw_cur line = trim(nw_cur_of(rest.ptr, n));
        rest.ptr += nl ? n + 1 : n;
        rest.len -= nl ? n + 1 : n;
        if (line.len == 0)
            continue;
        if (run_line(ctx, typed, line) != NW_OK)
            rc = NW_CLI_EXIT_ERR;
    }
    (void)fflush(stdout);
out:
    nw_buf_clear(&in);
    nw_secp_free(ctx);
    return rc;
}

static int cmd_sign_message(int argc, char **argv)
{
    struct opts o;
    if (nw_cli_wants_help(argc, argv)) {
        (void)fprintf(stdout, "usage: %s\n", USAGE_MSG);
        return NW_CLI_EXIT_OK;
    }
    if (parse_opts(argc, argv, &o, true, USAGE_MSG) != NW_CLI_EXIT_OK)
        return NW_CLI_EXIT_USAGE;
    if (o.jsonl)
        return run_jsonl(false);
    return run_single(&o, o.hex ? NW_MSG_HEX : NW_MSG_TEXT);
}

static int cmd_sign_typed_data(int argc, char **argv)
{
    struct opts o;
    if (nw_cli_wants_help(argc, argv)) {
        (void)fprintf(stdout, "usage: %s\n", USAGE_TYPED);
        return NW_CLI_EXIT_OK;
    }
    if (parse_opts(argc, argv, &o, false, USAGE_TYPED) != NW_CLI_EXIT_OK)
        return NW_CLI_EXIT_USAGE;
    if (o.jsonl)
        return run_jsonl(true);
    return run_single(&o, NW_MSG_TYPED);
}

const struct nw_cli_cmd nw_cli_cmds_msg[] = {
    {"sign-message", "sign a message with EIP-191 personal_sign", cmd_sign_message},
    {"sign-typed-data", "sign EIP-712 typed data (eth_signTypedData_v4 JSON)", cmd_sign_typed_data},
    {NULL, NULL, NULL},
};

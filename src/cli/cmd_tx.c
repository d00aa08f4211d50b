/*
 * nw commands of the tx area: sign-tx, sign-authorization, decode-tx, address, keygen.
 *
 * Keys are read from a key file (64 hex digits, optional 0x, surrounding whitespace ignored)
 * into a secret buffer, parsed, and wiped on every path. No command ever prints key material,
 * nor echoes request bodies in errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/mem.h>
#include <nw/sign.h>
#include <nw/tx.h>

#include "cli.h"

#define KEY_FILE_MAX   4096
#define STDIN_MAX      ((size_t)2 * 1024 * 1024)
#define JSONL_LINE_MAX ((size_t)2 * 1024 * 1024)

/* Options shared by the commands here. */
struct opts {
    const char *key_file;
    const char *out;
    bool jsonl;
};

/* Parse argv for the flags in `allowed` ("k" key-file, "o" out, "j" jsonl). */
static int parse_opts(struct opts *o, int argc, char **argv, const char *allowed)
{
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strchr(allowed, 'k') && strcmp(a, "--key-file") == 0 && i + 1 < argc)
            o->key_file = argv[++i];
        else if (strchr(allowed, 'o') && strcmp(a, "--out") == 0 && i + 1 < argc)
            o->out = argv[++i];
        else if (strchr(allowed, 'j') && strcmp(a, "--jsonl") == 0)
            o->jsonl = true;
        else
            return -1;
    }
    return 0;
}

static int help(const char *text)
{
    (void)fputs(text, stdout);
    return NW_CLI_EXIT_OK;
}

/* Read and parse a key file. The file's text lives only in a secret buffer, wiped here. */
static nw_err load_key(const struct nw_secp *secp, struct nw_seckey *key, const char *path)
{
    struct nw_buf b;
    nw_buf_init(&b, KEY_FILE_MAX, true);
    nw_err err = nw_cli_read_file(&b, path, KEY_FILE_MAX);
    if (err == NW_OK)
        err = nw_seckey_parse(secp, key, nw_buf_cur(&b));
    nw_buf_clear(&b);
    return err;
}

static int fail_key(nw_err err)
{
    if (err == NW_ERR_NOT_FOUND || err == NW_ERR_IO || err == NW_ERR_TOO_LARGE)
        return nw_cli_fail_err(err, "cannot read the key file");
    return nw_cli_fail_err(err, "the key file must hold 64 hex digits (optional 0x)");
}

static void print_json_line(FILE *f, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (text != NULL) {
        (void)fputs(text, f);
        (void)fputc('\n', f);
        json_malloc_t m;
        json_free_t fr;
        json_get_alloc_funcs(&m, &fr);
        fr(text);
    } else {
        (void)fputs("{\"error\":{\"code\":\"nomem\",\"message\":\"out of memory\"}}\n", f);
    }
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
    size_t len = 2 * n + 3;
    char *s = nw_malloc(len);
    json_t *j = NULL;
    if (s != NULL && nw_hex_encode(s, len, p, n, true) == NW_OK)
        j = json_stringn(s, len - 1);
    nw_free(s);
    return j;
}

static json_t *addr_json(const uint8_t addr20[20])
{
    char a[NW_ETHADDR_TEXT_LEN];
    nw_ethaddr_format(a, addr20);
    return json_string(a);
}

static json_t *error_json(nw_err err, const char *detail)
{
    char msg[512];
    if (detail != NULL && detail[0] != '\0')
        (void)snprintf(msg, sizeof(msg), "%s: %s", nw_err_str(err), detail);
    else
        (void)snprintf(msg, sizeof(msg), "%s", nw_err_str(err));
    return json_pack("{s:{s:s,s:s}}", "error", "code", nw_err_code(err), "message", msg);
}

/*
 * Sign one tx dict (JSON text) with key; on success *result is the result object, on failure
 * an error is returned with diag filled.
 */
static nw_err sign_one(const struct nw_secp *secp,
                       json_t **result,
                       struct nw_diag *diag,
                       struct nw_cur json,
                       const struct nw_seckey *key)
{
    struct nw_tx tx;
    struct nw_tx_signed st;
    uint8_t addr[20];
    nw_err err;

    *result = NULL;
    diag->msg[0] = '\0';
    nw_tx_init(&tx);
    nw_tx_signed_init(&st);
    NW_CHECK(nw_tx_from_json(&tx, diag, json));
    NW_CHECK(nw_tx_sign(secp, &st, &tx, key));
    NW_CHECK(nw_address_from_seckey(secp, addr, key));
    *result = json_object();
    NW_CHECK_COND(*result != NULL, NW_ERR_NOMEM);
    NW_CHECK_COND(
        json_object_set_new(*result, "transaction_signed", hex_json(st.raw.ptr, st.raw.len)) == 0 &&
            json_object_set_new(*result, "transaction_hash", hex_json(st.hash32, 32)) == 0 &&
            json_object_set_new(*result, "address", addr_json(addr)) == 0,
        NW_ERR_NOMEM);
out:
    if (err != NW_OK) {
        json_decref(*result);
        *result = NULL;
        if (err == NW_ERR_TX_FIELD_NOT_ALLOWED && diag->msg[0] == '\0')
            (void)nw_diag_set(diag, err, "field 'from' does not match the signing key");
    }
    nw_tx_clear(&tx);
    nw_tx_signed_clear(&st);
    return err;
}

/* One --jsonl line: a tx dict (with a key file) or {"key": "0x..", "tx": {...}}. */
static json_t *
jsonl_line(const struct nw_secp *secp, struct nw_cur line, const struct nw_seckey *file_key)
{
    struct nw_diag diag = {0};
    struct nw_seckey key;
    json_t *result = NULL, *obj = NULL;
    char *tx_text = NULL;
    nw_err err = NW_OK;

    memset(&key, 0, sizeof(key));
    if (file_key != NULL) {
        err = sign_one(secp, &result, &diag, line, file_key);
        return err == NW_OK ? result : error_json(err, diag.msg);
    }
    json_error_t je;
    obj = json_loadb((const char *)line.ptr, line.len, JSON_REJECT_DUPLICATES, &je);
    json_t *k = obj ? json_object_get(obj, "key") : NULL;
    json_t *t = obj ? json_object_get(obj, "tx") : NULL;
    if (obj == NULL) {
        /* The same codes nw_tx_from_json gives for the tx alone (never jansson's text). */
        enum json_error_code jc = json_error_code(&je);
        err = jc == json_error_numeric_overflow ? NW_ERR_JSON_NUMBER_TOO_BIG
              : jc == json_error_duplicate_key  ? NW_ERR_JSON_DUPLICATE_KEY
                                                : NW_ERR_JSON;
        (void)nw_diag_set(&diag, err, "column %d of the line%s", je.column,
                          err == NW_ERR_JSON_NUMBER_TOO_BIG
                              ? " (send integers above 2^63-1 as 0x-hex strings)"
                              : "");
    } else if (!json_is_string(k) || !json_is_object(t) || json_object_size(obj) != 2) {
        err =
            nw_diag_set(&diag, NW_ERR_INVALID_ARG, "expected {\"key\": \"0x...\", \"tx\": {...}}");
    } else if ((err = nw_seckey_parse(
                    secp, &key, nw_cur_of(json_string_value(k), json_string_length(k)))) != NW_OK) {
        (void)nw_diag_set(&diag, err, "key must be 64 hex digits");
    } else if ((tx_text = json_dumps(t, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
        err = NW_ERR_NOMEM;
    } else {
        err = sign_one(secp, &result, &diag, nw_cur_str(tx_text), &key);
    }
    nw_seckey_clear(&key);
    if (tx_text != NULL) {
        json_malloc_t m;
        json_free_t fr;
        json_get_alloc_funcs(&m, &fr);
        fr(tx_text);
    }
    json_decref(obj);
    return err == NW_OK ? result : error_json(err, diag.msg);
}

/* Stream stdin line by line (the buffer is secret: lines may carry keys). */
static int run_jsonl(const struct nw_secp *secp, const struct nw_seckey *file_key)
{
    struct nw_buf b;
    uint8_t chunk[65536];
    size_t start = 0;
    bool eof = false, any_failed = false;
    int rc = NW_CLI_EXIT_OK;

    nw_buf_init(&b, JSONL_LINE_MAX + sizeof(chunk), true);
    while (!eof || start < b.len) {
        uint8_t *nl = b.len > start ? memchr(b.ptr + start, '\n', b.len - start) : NULL;
        if (nl == NULL && !eof) {
            if (b.len - start > JSONL_LINE_MAX) {
                rc = nw_cli_fail_err(NW_ERR_TOO_LARGE, "a --jsonl line is too long");
                goto out;
            }
            if (start > 0) { /* slide the partial line to the front */
                memmove(b.ptr, b.ptr + start, b.len - start);
                nw_wipe(b.ptr + (b.len - start), start);
                b.len -= start;
                start = 0;
            }
            ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                rc = nw_cli_fail_err(NW_ERR_IO, "reading stdin");
                goto out;
            }
            if (n == 0)
                eof = true;
            else if (nw_buf_append(&b, chunk, (size_t)n) != NW_OK) {
                rc = nw_cli_fail_err(NW_ERR_NOMEM, NULL);
                goto out;
            }
            continue;
        }
        size_t end = nl ? (size_t)(nl - b.ptr) : b.len;
        struct nw_cur line = nw_cur_of(b.ptr + start, end - start);
        start = nl ? end + 1 : b.len;
        while (line.len > 0 && (line.ptr[line.len - 1] == '\r' || line.ptr[line.len - 1] == ' '))
            line.len--;
        if (line.len == 0)
            continue;
        json_t *r = jsonl_line(secp, line, file_key);
        any_failed |= r == NULL || json_object_get(r, "error") != NULL;
        print_json_line(stdout, r);
        (void)fflush(stdout);
        json_decref(r);
    }
    if (any_failed)
        rc = NW_CLI_EXIT_ERR;
out:
    nw_wipe(chunk, sizeof(chunk));
    nw_buf_clear(&b);
    return rc;
}

static const char sign_tx_help[] =
    "usage: nw sign-tx --key-file FILE [--jsonl]\n"
    "       nw sign-tx --jsonl\n"
    "\n"
    "Sign a web3.py-style transaction dict read as JSON from stdin (value in ether; integers as\n"
    "JSON integers or 0x-hex strings; see include/nw/tx.h) and print\n"
    "  {\"transaction_signed\":\"0x..\",\"transaction_hash\":\"0x..\",\"address\":\"0x..\"}\n"
    "\n"
    "  --key-file FILE  private key: 64 hex digits, optional 0x, whitespace ignored\n"
    "  --jsonl          one request per stdin line, one result per stdout line: each line is a\n"
    "                   tx dict (signed with --key-file) or, without --key-file,\n"
    "                   {\"key\":\"0x..\",\"tx\":{...}}. A failed line prints {\"error\":{...}} "
    "on\n"
    "                   stdout in its place; blank lines are skipped; the exit status is 1 if\n"
    "                   any line failed.\n"
    "\n"
    "Exit: 0 ok; 1 error ({\"error\":{\"code\",\"message\"}} on stderr); 2 usage.\n";

static int cmd_sign_tx(int argc, char **argv)
{
    struct opts o;
    struct nw_secp *secp = NULL;
    struct nw_seckey key;
    struct nw_buf in;
    struct nw_diag diag = {0};
    json_t *result = NULL;
    int rc = NW_CLI_EXIT_OK;
    nw_err err;

    if (nw_cli_wants_help(argc, argv))
        return help(sign_tx_help);
    if (parse_opts(&o, argc, argv, "kj") != 0 || (o.key_file == NULL && !o.jsonl))
        return nw_cli_usage("nw sign-tx --key-file FILE [--jsonl] | nw sign-tx --jsonl");
    memset(&key, 0, sizeof(key));
    nw_buf_init(&in, STDIN_MAX, true);
    secp = nw_secp_new();
    if (secp == NULL) {
        rc = nw_cli_fail_err(NW_ERR_CRYPTO, "cannot create a signing context");
        goto out;
    }
    if (o.key_file != NULL && (err = load_key(secp, &key, o.key_file)) != NW_OK) {
        rc = fail_key(err);
        goto out;
    }
    if (o.jsonl) {
        rc = run_jsonl(secp, o.key_file ? &key : NULL);
        goto out;
    }
    if ((err = nw_cli_read_stdin(&in, STDIN_MAX)) != NW_OK) {
        rc = nw_cli_fail_err(err, "reading the transaction from stdin");
        goto out;
    }
    if ((err = sign_one(secp, &result, &diag, nw_buf_cur(&in), &key)) != NW_OK) {
        rc = nw_cli_fail_err(err, diag.msg);
        goto out;
    }
    print_json_line(stdout, result);
out:
    json_decref(result);
    nw_seckey_clear(&key);
    nw_buf_clear(&in);
    nw_secp_free(secp);
    return rc;
}

static json_t *quantity_json(const struct nw_u256 *v)
{
    char q[67];
    nw_u256_to_quantity(q, v);
    return json_string(q);
}

static const char sign_auth_help[] =
    "usage: nw sign-authorization --key-file FILE\n"
    "\n"
    "Sign an EIP-7702 authorization read from stdin as {\"chainId\",\"address\",\"nonce\"} and "
    "print\n"
    "the signed tuple, ready for a transaction's authorizationList:\n"
    "  {\"chainId\",\"address\",\"nonce\",\"yParity\",\"r\",\"s\" (0x quantities; address "
    "EIP-55),\n"
    "   \"authorizationHash\":keccak256(0x05||rlp([chainId,address,nonce])),\"signer\":address}\n"
    "\n"
    "Exit: 0 ok; 1 error (JSON on stderr); 2 usage.\n";

static int cmd_sign_auth(int argc, char **argv)
{
    struct opts o;
    struct nw_secp *secp = NULL;
    struct nw_seckey key;
    struct nw_buf in;
    struct nw_diag diag = {0};
    struct nw_auth auth;
    struct nw_sig sig;
    uint8_t hash[32], signer[20];
    json_t *r = NULL;
    int rc = NW_CLI_EXIT_OK;
    nw_err err;

    if (nw_cli_wants_help(argc, argv))
        return help(sign_auth_help);
    if (parse_opts(&o, argc, argv, "k") != 0 || o.key_file == NULL)
        return nw_cli_usage("nw sign-authorization --key-file FILE");
    memset(&key, 0, sizeof(key));
    memset(&sig, 0, sizeof(sig));
    nw_buf_init(&in, STDIN_MAX, true);
    secp = nw_secp_new();
    if (secp == NULL) {
        rc = nw_cli_fail_err(NW_ERR_CRYPTO, "cannot create a signing context");
        goto out;
    }
    if ((err = load_key(secp, &key, o.key_file)) != NW_OK) {
        rc = fail_key(err);
        goto out;
    }
    if ((err = nw_cli_read_stdin(&in, STDIN_MAX)) != NW_OK ||
        (err = nw_auth_from_json(&auth, &diag, nw_buf_cur(&in))) != NW_OK ||
        (err = nw_auth_sign(secp, &sig, hash, &auth, &key)) != NW_OK ||
        (err = nw_address_from_seckey(secp, signer, &key)) != NW_OK) {
        rc = nw_cli_fail_err(err, diag.msg);
        goto out;
    }
    struct nw_u256 nonce = nw_u256_from_u64(auth.nonce), y = nw_u256_from_u64(sig.b[64]), rr, ss;
    if (nw_u256_from_be(&rr, nw_cur_of(sig.b, 32)) != NW_OK ||
        nw_u256_from_be(&ss, nw_cur_of(sig.b + 32, 32)) != NW_OK) {
        rc = nw_cli_fail_err(NW_ERR_INTERNAL, NULL);
        goto out;
    }
    r = json_object();
    if (r == NULL || json_object_set_new(r, "chainId", quantity_json(&auth.chain_id)) != 0 ||
        json_object_set_new(r, "address", addr_json(auth.address)) != 0 ||
        json_object_set_new(r, "nonce", quantity_json(&nonce)) != 0 ||
        json_object_set_new(r, "yParity", quantity_json(&y)) != 0 ||
        json_object_set_new(r, "r", quantity_json(&rr)) != 0 ||
        json_object_set_new(r, "s", quantity_json(&ss)) != 0 ||
        json_object_set_new(r, "authorizationHash", hex_json(hash, 32)) != 0 ||
        json_object_set_new(r, "signer", addr_json(signer)) != 0) {
        rc = nw_cli_fail_err(NW_ERR_NOMEM, NULL);
        goto out;
    }
    print_json_line(stdout, r);
out:
    json_decref(r);
    nw_wipe(&sig, sizeof(sig));
    nw_seckey_clear(&key);
    nw_buf_clear(&in);
    nw_secp_free(secp);
    return rc;
}

static const char decode_help[] =
    "usage: nw decode-tx\n"
    "\n"
    "Decode a raw signed transaction (0x-hex on stdin, any type, strict canonical RLP) and print\n"
    "its fields as JSON: web3-style camelCase names, integers as 0x quantities, value in WEI,\n"
    "to null for contract creation, plus type, v, r, s, yParity, hash, signingHash and the\n"
    "recovered sender as from (EIP-55). An EIP-4844 network wrapper is accepted; hash is the\n"
    "transaction's.\n"
    "\n"
    "Exit: 0 ok; 1 error (JSON on stderr); 2 usage.\n";

static int cmd_decode_tx(int argc, char **argv)
{
    struct nw_secp *secp = NULL;
    struct nw_buf in, raw, out;
    struct nw_tx tx;
    struct nw_tx_signed st;
    uint8_t sender[20];
    int rc = NW_CLI_EXIT_OK;
    nw_err err;

    if (nw_cli_wants_help(argc, argv))
        return help(decode_help);
    if (argc != 1)
        return nw_cli_usage("nw decode-tx < raw.hex");
    nw_buf_init(&in, STDIN_MAX * 2, false);
    nw_buf_init(&raw, STDIN_MAX, false);
    nw_buf_init(&out, 16u * STDIN_MAX, false);
    nw_tx_init(&tx);
    nw_tx_signed_init(&st);
    secp = nw_secp_new();
    if (secp == NULL) {
        rc = nw_cli_fail_err(NW_ERR_CRYPTO, "cannot create a signing context");
        goto out;
    }
    if ((err = nw_cli_read_stdin(&in, STDIN_MAX * 2)) != NW_OK) {
        rc = nw_cli_fail_err(err, "reading stdin");
        goto out;
    }
    struct nw_cur t = nw_buf_cur(&in);
    while (t.len > 0 && strchr(" \t\r\n", t.ptr[t.len - 1]) != NULL)
        t.len--;
    while (t.len > 0 && strchr(" \t\r\n", t.ptr[0]) != NULL) {
        t.ptr++;
        t.len--;
    }
    if ((err = nw_hex_decode_buf(&raw, t, false)) != NW_OK) {
        rc = nw_cli_fail_err(err, "stdin must hold the raw transaction as hex");
        goto out;
    }
    if ((err = nw_tx_decode(&tx, &st, nw_buf_cur(&raw))) != NW_OK ||
        (err = nw_tx_recover_sender(secp, sender, &st)) != NW_OK ||
        (err = nw_tx_to_json(&out, &tx, &st, sender)) != NW_OK) {
        rc = nw_cli_fail_err(err, NULL);
        goto out;
    }
    (void)fwrite(out.ptr, 1, out.len, stdout);
    (void)fputc('\n', stdout);
out:
    nw_buf_clear(&in);
    nw_buf_clear(&raw);
    nw_buf_clear(&out);
    nw_tx_clear(&tx);
    nw_tx_signed_clear(&st);
    nw_secp_free(secp);
    return rc;
}

static const char address_help[] = "usage: nw address --key-file FILE\n"
                                   "\n"
                                   "Print the key's address: {\"address\":\"0x..\"} (EIP-55).\n";

static int cmd_address(int argc, char **argv)
{
    struct opts o;
    struct nw_seckey key;
    uint8_t addr[20];
    int rc = NW_CLI_EXIT_OK;
    nw_err err;

    if (nw_cli_wants_help(argc, argv))
        return help(address_help);
    if (parse_opts(&o, argc, argv, "k") != 0 || o.key_file == NULL)
        return nw_cli_usage("nw address --key-file FILE");
    memset(&key, 0, sizeof(key));
    struct nw_secp *secp = nw_secp_new();
    if (secp == NULL) {
        rc = nw_cli_fail_err(NW_ERR_CRYPTO, "cannot create a signing context");
    } else if ((err = load_key(secp, &key, o.key_file)) != NW_OK) {
        rc = fail_key(err);
    } else if ((err = nw_address_from_seckey(secp, addr, &key)) != NW_OK) {
        rc = nw_cli_fail_err(err, NULL);
    } else {
        char a[NW_ETHADDR_TEXT_LEN];
        nw_ethaddr_format(a, addr);
        (void)printf("{\"address\":\"%s\"}\n", a);
    }
    nw_seckey_clear(&key);
    nw_secp_free(secp);
    return rc;
}

static const char keygen_help[] =
    "usage: nw keygen --out FILE\n"
    "\n"
    "Generate a private key from getrandom(2) and write it to FILE as 64 hex digits and a\n"
    "newline, with mode 0600. FILE must not exist (never overwritten). Prints\n"
    "{\"address\":\"0x..\",\"key_file\":FILE}.\n";

static nw_err write_key_file(const char *path, const struct nw_seckey *key)
{
    char hex[66];
    nw_err err = nw_hex_encode(hex, sizeof(hex), key->b, 32, false);
    if (err != NW_OK)
        return err;
    hex[64] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        nw_wipe(hex, sizeof(hex));
        return errno == EEXIST ? NW_ERR_EXISTS : errno == EACCES ? NW_ERR_PERMISSION : NW_ERR_IO;
    }
    size_t done = 0;
    while (done < 65 && err == NW_OK) {
        ssize_t n = write(fd, hex + done, 65 - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            err = NW_ERR_IO;
        else
            done += (size_t)n;
    }
    if (err == NW_OK && fsync(fd) != 0)
        err = NW_ERR_IO;
    if (close(fd) != 0 && err == NW_OK)
        err = NW_ERR_IO;
    if (err != NW_OK)
        (void)unlink(path);
    nw_wipe(hex, sizeof(hex));
    return err;
}

static int cmd_keygen(int argc, char **argv)
{
    struct opts o;
    struct nw_seckey key;
    uint8_t addr[20];
    int rc = NW_CLI_EXIT_OK;
    nw_err err;

    if (nw_cli_wants_help(argc, argv))
        return help(keygen_help);
    if (parse_opts(&o, argc, argv, "o") != 0 || o.out == NULL)
        return nw_cli_usage("nw keygen --out FILE");
    memset(&key, 0, sizeof(key));
    struct nw_secp *secp = nw_secp_new();
    if (secp == NULL) {
        rc = nw_cli_fail_err(NW_ERR_CRYPTO, "cannot create a signing context");
    } else if ((err = nw_seckey_generate(secp, &key)) != NW_OK ||
               (err = nw_address_from_seckey(secp, addr, &key)) != NW_OK) {
        rc = nw_cli_fail_err(err, NULL);
    } else if ((err = write_key_file(o.out, &key)) != NW_OK) {
        rc = nw_cli_fail_err(err, err == NW_ERR_EXISTS ? "refusing to overwrite the key file"
                                                       : "cannot write the key file");
    } else {
        json_t *r = json_pack("{s:o,s:s}", "address", addr_json(addr), "key_file", o.out);
        print_json_line(stdout, r);
        json_decref(r);
    }
    nw_seckey_clear(&key);
    nw_secp_free(secp);
    return rc;
}

const struct nw_cli_cmd nw_cli_cmds_tx[] = {
    {"sign-tx", "sign an Ethereum transaction dict (JSON on stdin)", cmd_sign_tx},
    {"sign-authorization", "sign an EIP-7702 authorization (JSON on stdin)", cmd_sign_auth},
    {"decode-tx", "decode a raw signed transaction and recover its sender", cmd_decode_tx},
    {"address", "print the address of a key file", cmd_address},
    {"keygen", "generate a key file (mode 0600, never overwrites)", cmd_keygen},
    {NULL, NULL, NULL},
};

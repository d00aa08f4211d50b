/*
 * nw keystore import|export: Web3 Secret Storage (V3) files in and out, so keys move between
 * nw and cast, geth or ethers without passing through a shell. The password comes from
 * --password-file (its first line) or a prompt on the terminal (echo off), never from an
 * argument, where ps(1) and the shell history would see it.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <string.h>
#include <sys/random.h>
#include <termios.h>
#include <unistd.h>

#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/mem.h>

#include "cli.h"
#include "keystore.h"

#define PASSWORD_MAX 4096
#define KS_FILE_MAX  ((size_t)64 * 1024)

enum { NW_KSO_OUT = 1, NW_KSO_KEY, NW_KSO_PASSWORD_FILE, NW_KSO_KDF, NW_KSO_COST };

/* Read one line from the terminal with echo off (prompt on the terminal, not stdout). */
static nw_err prompt(struct nw_buf *pw, const char *text)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    struct termios old, quiet;
    nw_err err = NW_OK;
    if (fd < 0)
        return NW_ERR_PASSWORD;
    if (tcgetattr(fd, &old) != 0) {
        close(fd);
        return NW_ERR_PASSWORD;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    (void)!write(fd, text, strlen(text));
    if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
        close(fd);
        return NW_ERR_PASSWORD;
    }
    for (;;) {
        uint8_t c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || c == '\n')
            break;
        if ((err = nw_buf_append_byte(pw, c)) != NW_OK)
            break;
    }
    (void)tcsetattr(fd, TCSAFLUSH, &old);
    (void)!write(fd, "\n", 1);
    close(fd);
    return err == NW_ERR_BUF_FULL ? NW_ERR_TOO_LARGE : err;
}

/* The password: the first line of path, or asked on the terminal (twice when confirm). */
static int get_password(struct nw_buf *pw, const char *path, bool confirm)
{
    if (path != NULL) {
        nw_err err = nw_cli_read_file(pw, path, PASSWORD_MAX);
        if (err != NW_OK)
            return nw_cli_fail_errf(err, "--password-file %s", path);
        uint8_t *nl = pw->len ? memchr(pw->ptr, '\n', pw->len) : NULL;
        size_t keep = nl ? (size_t)(nl - pw->ptr) : pw->len;
        if (keep > 0 && pw->ptr[keep - 1] == '\r')
            keep--;
        nw_wipe(pw->ptr + keep, pw->len - keep);
        pw->len = keep;
        return NW_CLI_EXIT_OK;
    }
    nw_err err = prompt(pw, "key store password: ");
    if (err == NW_OK && confirm) {
        struct nw_buf again;
        nw_buf_init(&again, PASSWORD_MAX, true);
        err = prompt(&again, "again: ");
        if (err == NW_OK && (again.len != pw->len ||
                             (pw->len > 0 && CRYPTO_memcmp(again.ptr, pw->ptr, pw->len) != 0)))
            err = NW_ERR_PASSWORD;
        nw_buf_clear(&again);
        if (err == NW_ERR_PASSWORD)
            return nw_cli_fail_err(err, "the two passwords differ");
    }
    if (err != NW_OK)
        return nw_cli_fail_err(err, "give --password-file FILE, or run on a terminal to be "
                                    "asked (a password is never an argument)");
    return NW_CLI_EXIT_OK;
}

static const struct nw_opt import_opts[] = {
    {"out", 'o', "KEYFILE", NW_KSO_OUT, "the new key file (mode 0600, never overwritten)"},
    {"password-file", 'p', "FILE", NW_KSO_PASSWORD_FILE,
     "the password is this file's first line (default: ask on the terminal)"},
    {NULL, 0, NULL, 0, NULL},
};
static const struct nw_opt_cmd import_cmd = {
    "nw keystore import", "FILE|- --out KEYFILE [--password-file FILE]",
    "Decrypt a Web3 Secret Storage (V3) key file, as geth, cast, ethers and web3.py write\n"
    "them (scrypt or pbkdf2, aes-128-ctr; the MAC is checked before anything is decrypted),\n"
    "and write its key as an nw key file. Prints {\"address\":\"0x..\",\"key_file\":KEYFILE}.",
    import_opts, "Exit: 0 ok; 1 error (keystore_mac: wrong password); 2 usage."};

static int import_run(const char *in, const char *out, const char *pwfile)
{
    struct nw_buf file, pw;
    struct nw_seckey key;
    struct nw_diag diag = {0};
    uint8_t addr[20], file_addr[20];
    bool has_addr = false;
    char hex[66], a[NW_ETHADDR_TEXT_LEN];
    int rc = NW_CLI_EXIT_ERR;
    nw_err err;
    memset(&key, 0, sizeof(key));
    nw_buf_init(&file, KS_FILE_MAX, false);
    nw_buf_init(&pw, PASSWORD_MAX, true);
    struct nw_secp *secp = nw_cli_secp();
    if (secp == NULL ||
        (rc = nw_cli_read_input(&file, in, KS_FILE_MAX, "a V3 key store (JSON)")) !=
            NW_CLI_EXIT_OK ||
        (rc = get_password(&pw, pwfile, false)) != NW_CLI_EXIT_OK)
        goto out;
    if ((err = nw_ks_decrypt(&key, file_addr, &has_addr, &diag, nw_buf_cur(&file),
                             nw_buf_cur(&pw))) != NW_OK ||
        (err = nw_seckey_verify(secp, &key)) != NW_OK ||
        (err = nw_address_from_seckey(secp, addr, &key)) != NW_OK) {
        rc = nw_cli_fail_err(err, diag.code == err ? diag.msg : NULL);
        goto out;
    }
    nw_ethaddr_format(a, addr);
    if (has_addr && memcmp(addr, file_addr, 20) != 0) {
        rc =
            nw_cli_fail_errf(NW_ERR_KEYSTORE_ADDRESS, "the key is %s's, not the file's address", a);
        goto out;
    }
    if ((err = nw_hex_encode(hex, sizeof(hex), key.b, 32, false)) == NW_OK) {
        hex[64] = '\n';
        err = nw_cli_write_new_file(out, hex, 65);
    }
    nw_wipe(hex, sizeof(hex));
    if (err != NW_OK) {
        rc = nw_cli_fail_errf(err, "%s %s",
                              err == NW_ERR_EXISTS ? "refusing to overwrite" : "cannot write", out);
        goto out;
    }
    if (strcmp(out, "-") == 0) {
        rc = NW_CLI_EXIT_OK;
        goto out;
    }
    json_t *o = json_pack("{s:s,s:s}", "address", a, "key_file", out);
    char *t = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    rc = t ? nw_cli_print_line(nw_cur_str(t)) : nw_cli_fail_err(NW_ERR_NOMEM, NULL);
    nw_cli_json_free(t);
    json_decref(o);
out:
    nw_seckey_clear(&key);
    nw_buf_clear(&file);
    nw_buf_clear(&pw);
    nw_secp_free(secp);
    return rc;
}

static int cmd_import(int argc, char **argv)
{
    struct nw_opt_parser p;
    const char *v, *out = NULL, *pwfile = NULL;
    int id;
    nw_opt_init(&p, &import_cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        out = id == NW_KSO_OUT ? v : out;
        pwfile = id == NW_KSO_PASSWORD_FILE ? v : pwfile;
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (argc - p.optind != 1)
        return nw_opt_usage_error(&import_cmd, argc == p.optind ? "missing FILE (or - for stdin)"
                                                                : "one FILE only");
    if (out == NULL)
        return nw_opt_usage_error(&import_cmd, "missing --out KEYFILE");
    if (pwfile == NULL && strcmp(argv[p.optind], "-") == 0)
        return nw_opt_usage_error(&import_cmd, "with the key store on stdin, give --password-file");
    return import_run(argv[p.optind], out, pwfile);
}

static const struct nw_opt export_opts[] = {
    {"key-file", 'k', "KEYFILE", NW_KSO_KEY, "the nw key file to export (mode 0600)"},
    {"out", 'o', "FILE", NW_KSO_OUT, "the new V3 key store (mode 0600, never overwritten), or -"},
    {"password-file", 'p', "FILE", NW_KSO_PASSWORD_FILE,
     "the password is this file's first line (default: ask twice on the terminal)"},
    {"kdf", 0, "KDF", NW_KSO_KDF,
     "scrypt (default: n 2^18, r 8, p 1, as geth) or pbkdf2 (c 262144)"},
    {"kdf-cost", 0, "N", NW_KSO_COST,
     "scrypt n (a power of two) or pbkdf2 c instead of the default"},
    {NULL, 0, NULL, 0, NULL},
};
static const struct nw_opt_cmd export_cmd = {
    "nw keystore export", "--key-file KEYFILE --out FILE|- [--password-file FILE] [--kdf KDF]",
    "Encrypt an nw key file into a Web3 Secret Storage (V3) key store that geth, cast\n"
    "(`cast wallet import --keystore-dir`), ethers and web3.py read. Prints\n"
    "{\"address\":\"0x..\",\"keystore\":FILE} unless FILE is -.",
    export_opts, "Exit: 0 ok; 1 error; 2 usage."};

static int export_run(const char *key_file,
                      const char *out,
                      const char *pwfile,
                      const struct nw_ks_params *params)
{
    struct nw_buf pw, text;
    struct nw_seckey key;
    uint8_t addr[20], rnd[64];
    char a[NW_ETHADDR_TEXT_LEN];
    int rc = NW_CLI_EXIT_ERR;
    nw_err err;
    memset(&key, 0, sizeof(key));
    nw_buf_init(&pw, PASSWORD_MAX, true);
    nw_buf_init(&text, KS_FILE_MAX, false);
    struct nw_secp *secp = nw_cli_secp();
    if (secp == NULL || (rc = nw_cli_load_key(secp, &key, key_file)) != NW_CLI_EXIT_OK ||
        (rc = get_password(&pw, pwfile, true)) != NW_CLI_EXIT_OK)
        goto out;
    if (pw.len == 0) {
        rc = nw_cli_fail_err(NW_ERR_PASSWORD, "an empty password protects nothing");
        goto out;
    }
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        rc = nw_cli_fail_err(NW_ERR_CRYPTO, "getrandom");
        goto out;
    }
    if ((err = nw_address_from_seckey(secp, addr, &key)) != NW_OK ||
        (err = nw_ks_encrypt(&text, &key, addr, nw_buf_cur(&pw), params, rnd)) != NW_OK ||
        (err = nw_buf_append_byte(&text, '\n')) != NW_OK ||
        (err = nw_cli_write_new_file(out, text.ptr, text.len)) != NW_OK) {
        rc = nw_cli_fail_errf(err, "%s",
                              err == NW_ERR_EXISTS ? "refusing to overwrite the "
                                                     "key store"
                                                   : "export");
        goto out;
    }
    rc = NW_CLI_EXIT_OK;
    if (strcmp(out, "-") != 0) {
        nw_ethaddr_format(a, addr);
        json_t *o = json_pack("{s:s,s:s}", "address", a, "keystore", out);
        char *t = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        rc = t ? nw_cli_print_line(nw_cur_str(t)) : nw_cli_fail_err(NW_ERR_NOMEM, NULL);
        nw_cli_json_free(t);
        json_decref(o);
    }
out:
    nw_wipe(rnd, sizeof(rnd));
    nw_seckey_clear(&key);
    nw_buf_clear(&pw);
    nw_buf_clear(&text);
    nw_secp_free(secp);
    return rc;
}

static int cmd_export(int argc, char **argv)
{
    struct nw_opt_parser p;
    struct nw_ks_params params = {NW_KS_SCRYPT, 0};
    const char *v, *out = NULL, *key = NULL, *pwfile = NULL;
    int id;
    nw_opt_init(&p, &export_cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        char *end = NULL;
        unsigned long n;
        switch (id) {
            case NW_KSO_OUT:
                out = v;
                break;
            case NW_KSO_KEY:
                key = v;
                break;
            case NW_KSO_PASSWORD_FILE:
                pwfile = v;
                break;
            case NW_KSO_KDF:
                if (strcmp(v, "scrypt") != 0 && strcmp(v, "pbkdf2") != 0)
                    return nw_opt_usage_error(&export_cmd, "--kdf is scrypt or pbkdf2");
                params.kdf = strcmp(v, "scrypt") == 0 ? NW_KS_SCRYPT : NW_KS_PBKDF2;
                break;
            default: /* NW_KSO_COST */
                n = strtoul(v, &end, 10);
                if (*v < '1' || *v > '9' || *end != '\0' || n > NW_KS_PBKDF2_C_MAX)
                    return nw_opt_usage_error(&export_cmd, "--kdf-cost wants 1..%u",
                                              NW_KS_PBKDF2_C_MAX);
                params.cost = (uint32_t)n;
                break;
        }
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (key == NULL || out == NULL)
        return nw_opt_usage_error(&export_cmd, "missing %s", key == NULL ? "--key-file" : "--out");
    if (p.optind < argc)
        return nw_opt_usage_error(&export_cmd, "unexpected argument '%.60s'", argv[p.optind]);
    if (params.kdf == NW_KS_SCRYPT && params.cost != 0 &&
        (params.cost < 2 || (params.cost & (params.cost - 1)) != 0 || params.cost > (1u << 20)))
        return nw_opt_usage_error(&export_cmd, "scrypt's n is a power of two, 2..2^20");
    return export_run(key, out, pwfile, &params);
}

const struct nw_cli_cmd nw_cli_cmds_keystore[] = {
    {"keystore import", "decrypt a V3 key store (geth, cast, ethers) into a key file", cmd_import},
    {"keystore export", "encrypt a key file into a V3 key store", cmd_export},
    {NULL, NULL, NULL},
};

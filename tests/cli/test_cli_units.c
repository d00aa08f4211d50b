/*
 * Unit tests of the pieces under the CLI: base64 (RFC 4648 section 10 vectors, strictness),
 * the UUID v4 formatter, the --jsonl line reader (caps, blank lines, CRLF, no final newline),
 * the option tables (<nw/opt.h>), wei -> ether text, and V3 key stores (the Web3 Secret
 * Storage definition's published test vectors, ethereum.org "Web3 secret storage
 * definition": password "testpassword", key 7a28b5ba...fe9d).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <nw/answer.h>
#include <nw/base64.h>
#include <nw/opt.h>
#include <nw/quantity.h>

#include "cli/cli.h"
#include "cli/keystore.h"
#include "nwtest.h"

static void test_base64(void **state)
{
    (void)state;
    static const char *const vec[][2] = {{"", ""},
                                         {"f", "Zg=="},
                                         {"fo", "Zm8="},
                                         {"foo", "Zm9v"},
                                         {"foob", "Zm9vYg=="},
                                         {"fooba", "Zm9vYmE="},
                                         {"foobar", "Zm9vYmFy"}};
    struct nw_buf b;
    nw_buf_init(&b, 1024, false);
    for (size_t i = 0; i < NW_ARRAY_LEN(vec); i++) {
        b.len = 0;
        assert_int_equal(nw_base64_encode(&b, nw_cur_str(vec[i][0])), NW_OK);
        assert_int_equal(b.len, strlen(vec[i][1]));
        assert_memory_equal(b.ptr ? (const char *)b.ptr : "", vec[i][1], b.len);
        b.len = 0;
        assert_int_equal(nw_base64_decode(&b, nw_cur_str(vec[i][1]), false), NW_OK);
        assert_int_equal(b.len, strlen(vec[i][0]));
        assert_memory_equal(b.ptr ? (const char *)b.ptr : "", vec[i][0], b.len);
    }
    /* every byte value, every length mod 3 */
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    for (size_t n = 250; n <= 256; n++) {
        struct nw_buf e, d;
        nw_buf_init(&e, 1024, false);
        nw_buf_init(&d, 1024, true);
        assert_int_equal(nw_base64_encode(&e, nw_cur_of(all, n)), NW_OK);
        assert_int_equal(e.len, nw_base64_encoded_len(n));
        assert_int_equal(nw_base64_decode(&d, nw_buf_cur(&e), false), NW_OK);
        assert_int_equal(d.len, n);
        assert_memory_equal(d.ptr, all, n);
        nw_buf_clear(&e);
        nw_buf_clear(&d);
    }
    static const char *const bad[] = {"Zg",      "Zg=",       "Z===", "Zm9v!A==", "Zm 9v",
                                      "=Zm9",    "Zg==Zg==",  "Zh==", "Zm9=",     "Zm8=Zm8=",
                                      "Zm9vYg=", "Zg==\n\n=", "Zm-_"};
    for (size_t i = 0; i < NW_ARRAY_LEN(bad); i++) {
        b.len = 0;
        if (nw_base64_decode(&b, nw_cur_str(bad[i]), false) != NW_ERR_BASE64)
            fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(b.len, 0);
    }
    b.len = 0; /* whitespace only where asked for */
    assert_int_equal(nw_base64_decode(&b, nw_cur_str(" Zm9v\r\nYmFy\n"), true), NW_OK);
    assert_memory_equal(b.ptr, "foobar", 6);
    b.len = 0;
    assert_int_equal(nw_base64_decode(&b, nw_cur_str("Zm9v\nYmFy"), false), NW_ERR_BASE64);
    nw_buf_clear(&b);
}

static void test_uuid(void **state)
{
    (void)state;
    uint8_t r[16];
    char u[37];
    memset(r, 0xff, sizeof(r));
    nw_uuid4_format(u, r);
    assert_string_equal(u, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    memset(r, 0, sizeof(r));
    nw_uuid4_format(u, r);
    assert_string_equal(u, "00000000-0000-4000-8000-000000000000");
    for (int i = 0; i < 16; i++)
        r[i] = (uint8_t)(0x10 * i + i);
    nw_uuid4_format(u, r);
    assert_string_equal(u, "00112233-4455-4677-8899-aabbccddeeff");
}

static void test_ether_text(void **state)
{
    (void)state;
    static const struct {
        uint64_t wei;
        const char *ether;
    } v[] = {{0, "0"},
             {1, "0.000000000000000001"},
             {10000000000000000ull, "0.01"},
             {1000000000000000000ull, "1"},
             {1500000000000000000ull, "1.5"},
             {18446744073709551615ull, "18.446744073709551615"}};
    for (size_t i = 0; i < NW_ARRAY_LEN(v); i++) {
        char t[82];
        struct nw_u256 w = nw_u256_from_u64(v[i].wei);
        nw_wei_to_ether_text(t, &w);
        assert_string_equal(t, v[i].ether);
    }
}

/* Feed text through a pipe to the line reader; returns the lines joined by '|', errors as '!'. */
static void read_lines(char *out, size_t out_len, const char *text, size_t max_line)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
    close(fds[1]);
    struct nw_cli_lines r;
    nw_cli_lines_init(&r, fds[0], max_line);
    out[0] = '\0';
    for (;;) {
        struct nw_cur line;
        bool end;
        nw_err err = nw_cli_lines_next(&r, &line, &end);
        if (err == NW_OK && end)
            break;
        size_t n = strlen(out);
        if (err == NW_ERR_TOO_LARGE)
            (void)snprintf(out + n, out_len - n, "!%zu|", r.line_no);
        else if (err == NW_OK)
            (void)snprintf(out + n, out_len - n, "%.*s|", (int)line.len, (const char *)line.ptr);
        else
            fail_msg("reader error %d", err);
    }
    nw_cli_lines_clear(&r);
    close(fds[0]);
}

static void test_lines(void **state)
{
    (void)state;
    char out[4096];
    read_lines(out, sizeof(out), "a\nbb\r\n\n  \nccc", 8);
    assert_string_equal(out, "a|bb|ccc|");
    read_lines(out, sizeof(out), "", 8);
    assert_string_equal(out, "");
    /* an over-long line is reported (with its number) and skipped; the next ones go on */
    read_lines(out, sizeof(out), "ok\n0123456789\nafter\n", 8);
    assert_string_equal(out, "ok|!2|after|");
    read_lines(out, sizeof(out), "0123456789", 8);
    assert_string_equal(out, "!1|");
    /* a line far past the cap, longer than one read, never grows the buffer past the cap */
    static char big[300000];
    memset(big, 'x', sizeof(big) - 8);
    memcpy(big + sizeof(big) - 8, "\nlast\n", 7);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    if (fork() == 0) {
        close(fds[0]);
        size_t n = strlen(big), done = 0;
        while (done < n) {
            ssize_t w = write(fds[1], big + done, n - done);
            if (w <= 0)
                _exit(1);
            done += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    struct nw_cli_lines r;
    struct nw_cur line;
    bool end;
    nw_cli_lines_init(&r, fds[0], 1024);
    assert_int_equal(nw_cli_lines_next(&r, &line, &end), NW_ERR_TOO_LARGE);
    assert_int_equal(nw_cli_lines_next(&r, &line, &end), NW_OK);
    assert_false(end);
    assert_int_equal(line.len, 4);
    assert_memory_equal(line.ptr, "last", 4);
    assert_true(r.buf.cap <= 2 * (1024 + 65536)); /* bounded by the cap, not the line */
    assert_int_equal(nw_cli_lines_next(&r, &line, &end), NW_OK);
    assert_true(end);
    nw_cli_lines_clear(&r);
    close(fds[0]);
}

/* A writable string (getopt may permute argv). */
#define S(text) ((char[]){text})

enum { O_KEY = 1, O_JSONL };
static const struct nw_opt opts[] = {
    {"key-file", 'k', "FILE", O_KEY, "the key"},
    {"jsonl", 0, NULL, O_JSONL, "lines"},
    {NULL, 0, NULL, 0, NULL},
};
static const struct nw_opt_cmd cmd = {"nw test", "--key-file FILE", "Test.", opts, NULL};

/* Parse args; returns the last result and, for an option, its value in *v. */
static int parse(struct nw_opt_parser *p, char **args, int n, const char **key, bool *jsonl)
{
    const char *v;
    int id;
    *key = NULL;
    *jsonl = false;
    nw_opt_init(p, &cmd, n, args);
    while ((id = nw_opt_next(p, &v)) > 0) {
        if (id == O_KEY)
            *key = v;
        if (id == O_JSONL)
            *jsonl = v == NULL;
    }
    return id;
}

static void test_opt(void **state)
{
    (void)state;
    struct nw_opt_parser p;
    const char *key;
    bool jsonl;
    char *a1[] = {S("test"), S("--key-file=k1"), S("--jsonl"), S("op"), NULL};
    assert_int_equal(parse(&p, a1, 4, &key, &jsonl), NW_OPT_END);
    assert_string_equal(key, "k1");
    assert_true(jsonl);
    assert_int_equal(p.optind, 3);
    assert_string_equal(a1[p.optind], "op");
    char *a2[] = {S("test"), S("op"), S("-k"), S("k2"), NULL}; /* operands may come first */
    assert_int_equal(parse(&p, a2, 4, &key, &jsonl), NW_OPT_END);
    assert_string_equal(key, "k2");
    assert_string_equal(a2[p.optind], "op");
    char *a3[] = {S("test"), S("--keyfile"), S("k"), NULL};
    assert_int_equal(parse(&p, a3, 3, &key, &jsonl), NW_OPT_ERROR);
    assert_string_equal(p.error, "unknown option '--keyfile' (did you mean '--key-file'?)");
    char *a4[] = {S("test"), S("--key-file"), NULL};
    assert_int_equal(parse(&p, a4, 2, &key, &jsonl), NW_OPT_ERROR);
    assert_string_equal(p.error, "option '--key-file' needs a value (FILE)");
    char *a5[] = {S("test"), S("--jsonl=yes"), NULL};
    assert_int_equal(parse(&p, a5, 2, &key, &jsonl), NW_OPT_ERROR);
    assert_string_equal(p.error, "option '--jsonl' takes no value");
    char *a6[] = {S("test"), S("-x"), NULL};
    assert_int_equal(parse(&p, a6, 2, &key, &jsonl), NW_OPT_ERROR);
    assert_string_equal(p.error, "unknown option '-x'");
    char *a7[] = {S("test"), S("--zzzzzzzz"), NULL};
    assert_int_equal(parse(&p, a7, 2, &key, &jsonl), NW_OPT_ERROR);
    assert_string_equal(p.error, "unknown option '--zzzzzzzz'");
    char *a12[] = {S("test"), S("--key"), S("k"), NULL}; /* no GNU abbreviations */
    assert_int_equal(parse(&p, a12, 3, &key, &jsonl), NW_OPT_ERROR);
    assert_string_equal(p.error, "unknown option '--key' (did you mean '--key-file'?)");
    char *a13[] = {S("test"), S("--js"), NULL};
    assert_int_equal(parse(&p, a13, 2, &key, &jsonl), NW_OPT_ERROR);
    char *a14[] = {S("test"), S("--hel"), NULL};
    assert_int_equal(parse(&p, a14, 2, &key, &jsonl), NW_OPT_ERROR);
    char *a8[] = {S("test"), S("-h"), NULL};
    assert_int_equal(parse(&p, a8, 2, &key, &jsonl), NW_OPT_HELP);
    char *a9[] = {S("test"), S("--version"), NULL};
    assert_int_equal(parse(&p, a9, 2, &key, &jsonl), NW_OPT_VERSION);
    char *a10[] = {S("test"), S("--"), S("--jsonl"), NULL}; /* "--" ends the options */
    assert_int_equal(parse(&p, a10, 3, &key, &jsonl), NW_OPT_END);
    assert_false(jsonl);
    assert_string_equal(a10[p.optind], "--jsonl");
    char *a11[] = {S("test"), S("-"), NULL}; /* "-" is an operand */
    assert_int_equal(parse(&p, a11, 2, &key, &jsonl), NW_OPT_END);
    assert_string_equal(a11[p.optind], "-");
    /* the help comes from the same table */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    nw_opt_print_help(f, &cmd);
    fclose(f);
    assert_non_null(strstr(text, "usage: nw test --key-file FILE\n"));
    assert_non_null(strstr(text, "-k, --key-file FILE"));
    assert_non_null(strstr(text, "--jsonl"));
    assert_non_null(strstr(text, "-h, --help"));
    free(text);
    assert_true(strlen(nw_version()) > 0 && strlen(nw_version_commit()) > 0);
}

/* The definition's vectors (see the file comment). */
#define KS_HEAD "{\"crypto\":{\"cipher\":\"aes-128-ctr\",\"cipherparams\":{\"iv\":\""
#define KS_PBKDF2                                                                                \
 KS_HEAD "6087dab2f9fdbbfaddc31a909735c1e6\"},\"ciphertext\":"                                   \
         "\"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46\",\"kdf\":"         \
         "\"pbkdf2\",\"kdfparams\":{\"c\":262144,\"dklen\":32,\"prf\":\"hmac-sha256\",\"salt\":" \
         "\"ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd\"},\"mac\":"        \
         "\"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2\"},\"id\":"         \
         "\"3198bc9c-6672-5ab3-d995-4942343ae5b6\",\"version\":3}"
#define KS_SCRYPT                                                                         \
 KS_HEAD "83dbcc02d8ccb40e466191a123791e0e\"},\"ciphertext\":"                            \
         "\"d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c\",\"kdf\":"  \
         "\"scrypt\",\"kdfparams\":{\"dklen\":32,\"n\":262144,\"r\":1,\"p\":8,\"salt\":"  \
         "\"ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19\"},\"mac\":" \
         "\"2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097\"},\"id\":"  \
         "\"3198bc9c-6672-5ab3-d995-4942343ae5b6\",\"version\":3}"
#define KS_KEY "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"

static nw_err ks_open(struct nw_seckey *key, const char *file, const char *pw)
{
    uint8_t addr[20];
    bool has;
    struct nw_diag d = {0};
    return nw_ks_decrypt(key, addr, &has, &d, nw_cur_str(file), nw_cur_str(pw));
}

static void replace(char *s, const char *from, const char *to)
{
    char *p = strstr(s, from);
    assert_non_null(p);
    assert_int_equal(strlen(from), strlen(to));
    memcpy(p, to, strlen(to));
}

static void test_keystore(void **state)
{
    (void)state;
    struct nw_seckey key, back;
    size_t wn = 0;
    uint8_t *want = nwt_unhex(KS_KEY, &wn);
    assert_int_equal(wn, 32);
    assert_int_equal(ks_open(&key, KS_PBKDF2, "testpassword"), NW_OK);
    assert_memory_equal(key.b, want, 32);
    assert_int_equal(ks_open(&key, KS_PBKDF2, "testpassworD"), NW_ERR_KEYSTORE_MAC);
    static const uint8_t zero[32];
    assert_memory_equal(key.b, zero, 32);
    /* OpenSSL refuses scrypt n >= 2^(16r) (RFC 7914); the definition's r = 1 vector says so */
    assert_int_equal(ks_open(&key, KS_SCRYPT, "testpassword"), NW_ERR_KEYSTORE_KDF);
    static char f[1024];
    (void)snprintf(f, sizeof(f), "%s", KS_PBKDF2); /* a flipped ciphertext digit: MAC first */
    replace(f, "5318b4d5", "5318b4d6");
    assert_int_equal(ks_open(&key, f, "testpassword"), NW_ERR_KEYSTORE_MAC);
    (void)snprintf(f, sizeof(f), "%s", KS_PBKDF2);
    replace(f, "aes-128-ctr", "aes-128-cbc");
    assert_int_equal(ks_open(&key, f, "testpassword"), NW_ERR_KEYSTORE_CIPHER);
    (void)snprintf(f, sizeof(f), "%s", KS_PBKDF2);
    replace(f, "hmac-sha256", "hmac-sha512");
    assert_int_equal(ks_open(&key, f, "testpassword"), NW_ERR_KEYSTORE_KDF);
    (void)snprintf(f, sizeof(f), "%s", KS_PBKDF2);
    replace(f, "\"version\":3", "\"version\":2");
    assert_int_equal(ks_open(&key, f, "testpassword"), NW_ERR_KEYSTORE_FORMAT);
    (void)snprintf(f, sizeof(f), "%s", KS_SCRYPT); /* 2^30 * 128 * r: past the memory bound */
    replace(f, "\"n\":262144,\"r\":1", "\"n\":262144,\"r\":9");
    replace(f, "\"n\":262144", "\"n\":999999");
    assert_int_equal(ks_open(&key, f, "testpassword"), NW_ERR_KEYSTORE_KDF);
    assert_int_equal(ks_open(&key, "not json", "x"), NW_ERR_KEYSTORE_FORMAT);
    /* our own files round-trip, with both KDFs */
    assert_int_equal(ks_open(&key, KS_PBKDF2, "testpassword"), NW_OK);
    uint8_t rnd[64], addr[20], got_addr[20];
    for (int i = 0; i < 64; i++)
        rnd[i] = (uint8_t)(i * 7);
    memset(addr, 0xab, sizeof(addr));
    for (int kdf = NW_KS_SCRYPT; kdf <= NW_KS_PBKDF2; kdf++) {
        struct nw_ks_params prm = {(enum nw_ks_kdf)kdf, kdf == NW_KS_SCRYPT ? 1024 : 1000};
        struct nw_buf out;
        bool has = false;
        struct nw_diag d = {0};
        nw_buf_init(&out, 4096, false);
        assert_int_equal(nw_ks_encrypt(&out, &key, addr, nw_cur_str("pw"), &prm, rnd), NW_OK);
        assert_int_equal(nw_buf_cstr(&out), NW_OK);
        assert_non_null(strstr((char *)out.ptr, "\"version\":3"));
        assert_null(strstr((char *)out.ptr, KS_KEY));
        assert_int_equal(
            nw_ks_decrypt(&back, got_addr, &has, &d, nw_buf_cur(&out), nw_cur_str("pw")), NW_OK);
        assert_true(has);
        assert_memory_equal(got_addr, addr, 20);
        assert_memory_equal(back.b, want, 32);
        nw_buf_clear(&out);
    }
    struct nw_ks_params badp = {NW_KS_SCRYPT, 1000}; /* not a power of two */
    struct nw_buf out;
    nw_buf_init(&out, 4096, false);
    assert_int_equal(nw_ks_encrypt(&out, &key, addr, nw_cur_str("pw"), &badp, rnd),
                     NW_ERR_INVALID_ARG);
    nw_buf_clear(&out);
    nw_seckey_clear(&key);
    nw_seckey_clear(&back);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64),     cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_ether_text), cmocka_unit_test(test_lines),
        cmocka_unit_test(test_opt),        cmocka_unit_test(test_keystore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

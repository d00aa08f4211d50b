/*
 * The tx commands of the `nw` binary, run as a user would: exit codes 0/1/2, the shape of the
 * error JSON on stderr, key files, keygen's refusal to overwrite, --jsonl, and a canary test
 * proving a distinctive key never appears (as hex, raw bytes or base64) in any output,
 * including the error paths.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nw/common.h>

#include "nwtest.h"

#define NW_BIN NW_BINARY_DIR "/src/cli/nw"

static char tmpdir[256];

struct result {
    int code;
    char *out;
    size_t out_len;
    char *err;
    size_t err_len;
};

static char *slurp(const char *path, size_t *len)
{
    uint8_t *p = nwt_read_file(path, len);
    assert_non_null(p);
    return (char *)p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Run nw with args (NULL-terminated), stdin from text; capture everything. */
static void run(struct result *r, const char *input, const char *const *args)
{
    char in[300], out[300], err[300];
    (void)snprintf(in, sizeof(in), "%s/stdin", tmpdir);
    (void)snprintf(out, sizeof(out), "%s/stdout", tmpdir);
    (void)snprintf(err, sizeof(err), "%s/stderr", tmpdir);
    write_file(in, input ? input : "");
    const char *argv[16] = {NW_BIN};
    size_t n = 1;
    for (; args[n - 1] != NULL && n < 15; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fi = open(in, O_RDONLY), fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
            fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fi < 0 || fo < 0 || fe < 0)
            _exit(127);
        dup2(fi, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(NW_BIN, (char *const *)argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    r->code = WEXITSTATUS(status);
    r->out = slurp(out, &r->out_len);
    r->err = slurp(err, &r->err_len);
}

static void result_free(struct result *r)
{
    free(r->out);
    free(r->err);
}

/* Exit 1 and exactly one JSON object {"error":{"code":code,"message":string}} on stderr. */
static void expect_error(struct result *r, const char *code)
{
    if (r->code != 1)
        fail_msg("exit %d, want 1; stderr: %s", r->code, r->err);
    json_error_t je;
    json_t *j = json_loads(r->err, 0, &je);
    if (j == NULL)
        fail_msg("stderr is not one JSON object: %s", r->err);
    json_t *e = json_object_get(j, "error");
    assert_int_equal(json_object_size(j), 1);
    assert_true(json_is_object(e));
    assert_int_equal(json_object_size(e), 2);
    assert_true(json_is_string(json_object_get(e, "message")));
    const char *got = json_string_value(json_object_get(e, "code"));
    assert_non_null(got);
    if (strcmp(got, code) != 0)
        fail_msg("code %s, want %s (%s)", got, code, r->err);
    json_decref(j);
    assert_int_equal(r->out_len, 0);
}

static int setup(void **state)
{
    (void)state;
    (void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/nw-cli-tx-XXXXXX");
    (void)umask(077); /* key files 0600: nw refuses keys others can read (issue 13) */
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The EIP-155 example (ethereum/EIPs EIPS/eip-155.md): key 0x46 x 32. */
#define EIP155_KEY "4646464646464646464646464646464646464646464646464646464646464646"
#define EIP155_TX                                              \
 "{\"nonce\":9,\"gasPrice\":20000000000,\"gas\":21000,\"to\":" \
 "\"0x3535353535353535353535353535353535353535\",\"value\":1,\"data\":\"\",\"chainId\":1}"
#define EIP155_RAW                                                                              \
 "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a0" \
 "28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb7033"    \
 "04b3800ccf555c9f3dc64214b297fb1966a3b6d83"

static const char *key_path(const char *name, const char *content)
{
    static char p[4][300];
    static int slot;
    char *s = p[slot++ % 4];
    (void)snprintf(s, 300, "%s/%s", tmpdir, name);
    if (content != NULL)
        write_file(s, content);
    return s;
}

static void test_sign_tx(void **state)
{
    (void)state;
    struct result r;
    const char *kf = key_path("k155", "  0x" EIP155_KEY "\n\n");
    run(&r, EIP155_TX, (const char *const[]){"sign-tx", "--key-file", kf, NULL});
    assert_int_equal(r.code, 0);
    json_t *j = json_loads(r.out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 3);
    assert_string_equal(json_string_value(json_object_get(j, "transaction_signed")), EIP155_RAW);
    assert_string_equal(json_string_value(json_object_get(j, "transaction_hash")),
                        "0x33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788");
    assert_string_equal(json_string_value(json_object_get(j, "address")),
                        "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
    json_decref(j);
    assert_int_equal(r.err_len, 0);
    result_free(&r);

    /* Errors: exit 1 with the JSON shape and a stable code. */
    static const struct {
        const char *input, *code;
    } bad[] = {
        {"{\"nonce\":", "json"},
        {"not json", "json"},
        {"[]", "tx_not_object"},
        {"{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"colour\":\"red\"}", "tx_unknown_field"},
        {"{\"nonce\":0,\"gasPrice\":1}", "tx_missing_field"},
        {"{\"nonce\":\"21000\",\"gas\":1,\"gasPrice\":1}", "int_ambiguous"},
        {"{\"nonce\":18446744073709551616,\"gas\":1,\"gasPrice\":1}", "json_number_too_big"},
        {"{\"nonce\":-1,\"gas\":1,\"gasPrice\":1}", "int_negative"},
        {"{\"nonce\":1.5,\"gas\":1,\"gasPrice\":1}", "int_float"},
        {"{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"value\":\"0.0000000000000000001\"}",
         "value_fraction_wei"},
        {"{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"to\":"
         "\"0xa5D3241A1591061F2a4bB69CA0215F4bFc6AcDA7\"}",
         "addr_checksum"},
        {"{\"nonce\":0,\"nonce\":1}", "json_duplicate_key"},
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(bad); i++) {
        run(&r, bad[i].input, (const char *const[]){"sign-tx", "--key-file", kf, NULL});
        expect_error(&r, bad[i].code);
        result_free(&r);
    }
    /* Bad key files. */
    run(&r, EIP155_TX,
        (const char *const[]){"sign-tx", "--key-file", key_path("bad1", "xyz\n"), NULL});
    expect_error(&r, "key_invalid");
    result_free(&r);
    run(&r, EIP155_TX,
        (const char *const[]){"sign-tx", "--key-file",
                              key_path("bad2", "000000000000000000000000000000000000000000000000"
                                               "0000000000000000\n"),
                              NULL});
    expect_error(&r, "key_invalid");
    result_free(&r);
    run(&r, EIP155_TX,
        (const char *const[]){"sign-tx", "--key-file", key_path("absent", NULL), NULL});
    expect_error(&r, "not_found");
    result_free(&r);
    /* Usage errors exit 2. */
    run(&r, EIP155_TX, (const char *const[]){"sign-tx", NULL});
    assert_int_equal(r.code, 2);
    result_free(&r);
    run(&r, EIP155_TX, (const char *const[]){"sign-tx", "--key-file", kf, "--bogus", NULL});
    assert_int_equal(r.code, 2);
    result_free(&r);
    run(&r, EIP155_TX, (const char *const[]){"sign-tx", "--key-file", NULL});
    assert_int_equal(r.code, 2);
    result_free(&r);
}

static void test_help(void **state)
{
    (void)state;
    static const char *const cmds[] = {"sign-tx", "sign-authorization", "decode-tx", "address",
                                       "keygen"};
    for (size_t i = 0; i < NW_ARRAY_LEN(cmds); i++) {
        struct result r;
        run(&r, "", (const char *const[]){cmds[i], "--help", NULL});
        assert_int_equal(r.code, 0);
        assert_non_null(strstr(r.out, "usage: nw"));
        result_free(&r);
    }
    struct result r;
    run(&r, "", (const char *const[]){"decode-tx", "0x01", "extra", NULL});
    assert_int_equal(r.code, 2);
    result_free(&r);
    run(&r, "", (const char *const[]){"keygen", NULL});
    assert_int_equal(r.code, 2);
    result_free(&r);
    run(&r, "", (const char *const[]){"address", NULL});
    assert_int_equal(r.code, 2);
    result_free(&r);
    run(&r, "", (const char *const[]){"sign-authorization", NULL});
    assert_int_equal(r.code, 2);
    result_free(&r);
}

static void test_keygen_address(void **state)
{
    (void)state;
    struct result r, a;
    const char *kf = key_path("generated", NULL);
    run(&r, "", (const char *const[]){"keygen", "--out", kf, NULL});
    assert_int_equal(r.code, 0);
    struct stat st;
    assert_int_equal(stat(kf, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    size_t n;
    char *text = slurp(kf, &n);
    assert_int_equal(n, 65);
    assert_int_equal(text[64], '\n');
    for (size_t i = 0; i < 64; i++)
        assert_non_null(strchr("0123456789abcdef", text[i]));
    /* The key is not printed. */
    text[64] = '\0';
    assert_null(strstr(r.out, text));
    assert_null(strstr(r.err, text));
    free(text);
    json_t *j = json_loads(r.out, 0, NULL);
    assert_non_null(j);
    run(&a, "", (const char *const[]){"address", "--key-file", kf, NULL});
    assert_int_equal(a.code, 0);
    json_t *ja = json_loads(a.out, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "address")),
                        json_string_value(json_object_get(ja, "address")));
    json_decref(j);
    json_decref(ja);
    result_free(&r);
    result_free(&a);
    /* Never overwrites. */
    run(&r, "", (const char *const[]){"keygen", "--out", kf, NULL});
    expect_error(&r, "exists");
    result_free(&r);
    assert_int_equal(stat(kf, &st), 0);
    assert_int_equal(st.st_size, 65);
}

static void test_decode_and_auth(void **state)
{
    (void)state;
    struct result r;
    run(&r, EIP155_RAW "\n", (const char *const[]){"decode-tx", NULL});
    assert_int_equal(r.code, 0);
    json_t *j = json_loads(r.out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "from")),
                        "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
    assert_string_equal(json_string_value(json_object_get(j, "chainId")), "0x1");
    assert_string_equal(json_string_value(json_object_get(j, "value")), "0xde0b6b3a7640000");
    assert_string_equal(json_string_value(json_object_get(j, "signingHash")),
                        "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
    assert_string_equal(json_string_value(json_object_get(j, "v")), "0x25");
    json_decref(j);
    result_free(&r);
    run(&r, "0xf86c09", (const char *const[]){"decode-tx", NULL});
    expect_error(&r, "rlp_truncated");
    result_free(&r);
    run(&r, "zz", (const char *const[]){"decode-tx", NULL});
    expect_error(&r, "hex_char");
    result_free(&r);

    /* eth-account's sign_authorization doctest (public tuple). */
    const char *kf =
        key_path("kaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    run(&r,
        "{\"chainId\":1337,\"address\":\"0x5ce9454909639d2d17a3f753ce7d93fa0b9ab12e\",\"nonce\":0}",
        (const char *const[]){"sign-authorization", "--key-file", kf, NULL});
    assert_int_equal(r.code, 0);
    j = json_loads(r.out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "r")),
                        "0x1dfa2c3c5b3bf61e364f7ce7ed744aef498fe26c981de726b139e0461c545a41");
    assert_string_equal(json_string_value(json_object_get(j, "s")),
                        "0xadae6b7a1ff6137fb698a9973f4706cf8fe56aba87e8241b76042af587175e6");
    assert_string_equal(json_string_value(json_object_get(j, "yParity")), "0x0");
    assert_string_equal(json_string_value(json_object_get(j, "chainId")), "0x539");
    assert_string_equal(json_string_value(json_object_get(j, "signer")),
                        "0x8fd379246834eac74B8419FfdA202CF8051F7A03");
    json_decref(j);
    result_free(&r);
    run(&r, "{\"chainId\":1337,\"nonce\":0}",
        (const char *const[]){"sign-authorization", "--key-file", kf, NULL});
    expect_error(&r, "tx_missing_field");
    result_free(&r);
}

static void test_jsonl(void **state)
{
    (void)state;
    struct result r;
    const char *kf = key_path("k155b", EIP155_KEY);
    run(&r, EIP155_TX "\n{\"bad\":1}\n\n" EIP155_TX "\n",
        (const char *const[]){"sign-tx", "--key-file", kf, "--jsonl", NULL});
    assert_int_equal(r.code, 1); /* one line failed */
    char *l1 = r.out, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
    assert_non_null(strstr(l1, EIP155_RAW));
    assert_true(strncmp(l2, "{\"error\":{\"code\":\"tx_unknown_field\"", 35) == 0);
    assert_non_null(strstr(l3, EIP155_RAW));
    assert_string_equal(strchr(l3, '\n'), "\n");
    result_free(&r);
    run(&r,
        "{\"key\":\"0x" EIP155_KEY "\",\"tx\":{\"nonce\":18446744073709551616}}\n"
        "{\"key\":\"0x" EIP155_KEY "\",\"tx\":{\"nonce\":\"21000\",\"gas\":1,\"gasPrice\":1}}\n",
        (const char *const[]){"sign-tx", "--jsonl", NULL});
    assert_int_equal(r.code, 1);
    assert_ptr_equal(strstr(r.out, "{\"error\":{\"code\":\"json_number_too_big\""), r.out);
    assert_non_null(strstr(r.out, "\n{\"error\":{\"code\":\"int_ambiguous\""));
    result_free(&r);
    run(&r, "{\"key\":\"0x" EIP155_KEY "\",\"tx\":" EIP155_TX "}\n",
        (const char *const[]){"sign-tx", "--jsonl", NULL});
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, EIP155_RAW));
    result_free(&r);
}

/* A distinctive key that must never appear in any output. */
#define CANARY "5ec2e7c0ffee5ec2e7c0ffee5ec2e7c0ffee5ec2e7c0ffee5ec2e7c0ffee5ec2"

static void base64(char *out, const uint8_t *in, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        for (int k = 3; k >= 0; k--)
            out[o++] = t[(v >> (6 * k)) & 63];
    }
    out[o] = '\0'; /* the first 30 bytes are enough to detect a leak */
}

static void assert_no_canary(const struct result *r)
{
    size_t n;
    uint8_t *raw = nwt_unhex(CANARY, &n);
    char upper[65], b64[64];
    for (size_t i = 0; i < 64; i++)
        upper[i] = (char)(CANARY[i] >= 'a' ? CANARY[i] - 32 : CANARY[i]);
    upper[64] = '\0';
    base64(b64, raw, 30);
    const char *outs[2] = {r->out, r->err};
    size_t lens[2] = {r->out_len, r->err_len};
    for (int k = 0; k < 2; k++) {
        assert_null(memmem(outs[k], lens[k], CANARY, 64));
        assert_null(memmem(outs[k], lens[k], &CANARY[1], 40)); /* any long fragment */
        assert_null(memmem(outs[k], lens[k], upper, 64));
        assert_null(memmem(outs[k], lens[k], raw, 32));
        assert_null(memmem(outs[k], lens[k], b64, strlen(b64)));
    }
    free(raw);
}

static void test_canary(void **state)
{
    (void)state;
    const char *kf = key_path("canary", "0x" CANARY "\n");
    static const char *const inputs[] = {
        EIP155_TX,
        "{\"nonce\":",
        "{\"" CANARY "\":1}",
        "{\"0x" CANARY "\":1}",
        "{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"to\":\"0x" CANARY "\"}",
        "{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"data\":\"" CANARY "\"}",
        "{\"nonce\":\"" CANARY "\",\"gas\":1,\"gasPrice\":1}",
        "{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"value\":\"" CANARY "\"}",
        "{\"nonce\":0,\"gas\":1,\"gasPrice\":1,\"from\":"
        "\"0x0000000000000000000000000000000000000001\"}",
        "{\"nonce\":" CANARY "}",
    };
    struct result r;
    for (size_t i = 0; i < NW_ARRAY_LEN(inputs); i++) {
        run(&r, inputs[i], (const char *const[]){"sign-tx", "--key-file", kf, NULL});
        assert_no_canary(&r);
        result_free(&r);
        run(&r, inputs[i], (const char *const[]){"sign-tx", "--key-file", kf, "--jsonl", NULL});
        assert_no_canary(&r);
        result_free(&r);
    }
    /* Keys inside --jsonl lines, valid and invalid, with good and bad transactions. */
    run(&r,
        "{\"key\":\"0x" CANARY "\",\"tx\":" EIP155_TX "}\n"
        "{\"key\":\"0x" CANARY "\",\"tx\":{\"bad\":1}}\n"
        "{\"key\":\"0x" CANARY "zz\",\"tx\":" EIP155_TX "}\n"
        "{\"key\":\"0x" CANARY "\",\"tx\":" EIP155_TX ",\"extra\":1}\n"
        "{\"key\":\"0x" CANARY "\"\n",
        (const char *const[]){"sign-tx", "--jsonl", NULL});
    assert_no_canary(&r);
    result_free(&r);
    run(&r,
        "{\"chainId\":1,\"address\":\"0x5ce9454909639d2d17a3f753ce7d93fa0b9ab12e\",\"nonce\":0}",
        (const char *const[]){"sign-authorization", "--key-file", kf, NULL});
    assert_int_equal(r.code, 0);
    assert_no_canary(&r);
    result_free(&r);
    run(&r, "{\"chainId\":1,\"" CANARY "\":0}",
        (const char *const[]){"sign-authorization", "--key-file", kf, NULL});
    assert_no_canary(&r);
    result_free(&r);
    run(&r, "", (const char *const[]){"address", "--key-file", kf, NULL});
    assert_int_equal(r.code, 0);
    assert_no_canary(&r);
    result_free(&r);
    run(&r, "0x" CANARY, (const char *const[]){"decode-tx", NULL});
    assert_no_canary(&r);
    result_free(&r);
    /* A key file holding the key with a typo. */
    const char *bad = key_path("canary-bad", "0x" CANARY "0\n");
    run(&r, EIP155_TX, (const char *const[]){"sign-tx", "--key-file", bad, NULL});
    expect_error(&r, "key_invalid");
    assert_no_canary(&r);
    result_free(&r);
}

int main(void)
{
    if (access(NW_BIN, X_OK) != 0) {
        nwt_skip("cli_tx", "the nw binary is not built");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_tx),        cmocka_unit_test(test_help),
        cmocka_unit_test(test_keygen_address), cmocka_unit_test(test_decode_and_auth),
        cmocka_unit_test(test_jsonl),          cmocka_unit_test(test_canary),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

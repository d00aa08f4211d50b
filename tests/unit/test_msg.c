/*
 * Unit tests for EIP-191 personal_sign (msg191.c) and EIP-712 typed data (eip712.c):
 * the public vectors of ../shared/testdata/ethereum (personal_sign.json, eip712.json), edge
 * values checked against ethers 6.17.0, and one negative test per error code of
 * <nw/err_core_msg.h> plus the generic codes the module returns.
 */
#include <stdio.h>
#include <string.h>

#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/keccak.h>
#include <nw/mem.h>
#include <nw/msg.h>
#include <nw/sign.h>

#include "nwtest.h"

static struct nw_secp *ctx;

static int setup(void **state)
{
    (void)state;
    ctx = nw_secp_new();
    return ctx == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    nw_secp_free(ctx);
    return 0;
}

static void load_key(struct nw_seckey *key, const char *hex)
{
    assert_int_equal(nw_seckey_parse(ctx, key, nw_cur_str(hex)), NW_OK);
}

static void check_vector(const json_t *exp,
                         const uint8_t sig[65],
                         const uint8_t hash[32],
                         const struct nw_seckey *key)
{
    uint8_t addr[20];
    char a55[NW_ETHADDR_TEXT_LEN];
    assert_int_equal(nw_address_from_seckey(ctx, addr, key), NW_OK);
    nw_ethaddr_format(a55, addr);
    assert_string_equal(nwt_hex(sig, 65), json_string_value(json_object_get(exp, "signature")));
    assert_string_equal(nwt_hex(hash, 32), json_string_value(json_object_get(exp, "hash")));
    assert_string_equal(a55, json_string_value(json_object_get(exp, "address")));
}

/* ---- EIP-191 ----------------------------------------------------------------------------- */

static void test_personal_sign_vectors(void **state)
{
    (void)state;
    json_t *cases = nwt_load_json("ethereum/personal_sign.json");
    if (cases == NULL)
        return;
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        const json_t *in = json_object_get(c, "input");
        struct nw_seckey key;
        uint8_t sig[65], hash[32];
        load_key(&key, json_string_value(json_object_get(in, "key")));
        const json_t *m = json_object_get(in, "message");
        const json_t *mh = json_object_get(in, "messageHex");
        if (m != NULL) {
            assert_int_equal(nw_msg191_sign(ctx, sig, hash,
                                            nw_cur_of(json_string_value(m), json_string_length(m)),
                                            &key),
                             NW_OK);
        } else {
            size_t n;
            uint8_t *b = nwt_unhex(json_string_value(mh), &n);
            assert_non_null(b);
            assert_int_equal(nw_msg191_sign(ctx, sig, hash, nw_cur_of(b, n), &key), NW_OK);
            free(b);
        }
        check_vector(json_object_get(c, "expected"), sig, hash, &key);
        nw_seckey_clear(&key);
    }
    json_decref(cases);
}

static void test_personal_hash_facts(void **state)
{
    (void)state;
    uint8_t h[32];
    /* ethers 6.17.0 hashMessage("") and hashMessage(Uint8Array [0x00, 0xff]) */
    nw_msg191_hash(h, nw_cur_of("", 0));
    assert_string_equal(nwt_hex(h, 32),
                        "0x5f35dce98ba4fba25530a026ed80b2cecdaa31091ba4958b99b52ea1d068adad");
    nw_msg191_hash(h, nw_cur_of("\x00\xff", 2));
    assert_string_equal(nwt_hex(h, 32),
                        "0x3638684d567df701dae9863c5df728a585cc74ce3859707edadcb509eb220f74");
}

static void test_sign_bad_key(void **state)
{
    (void)state;
    struct nw_seckey zero;
    uint8_t sig[65], hash[32];
    memset(&zero, 0, sizeof(zero));
    memset(sig, 0xaa, sizeof(sig));
    memset(hash, 0xaa, sizeof(hash));
    assert_int_equal(nw_msg191_sign(ctx, sig, hash, nw_cur_str("x"), &zero), NW_ERR_KEY_INVALID);
    for (size_t i = 0; i < 65; i++)
        assert_int_equal(sig[i], 0);
    for (size_t i = 0; i < 32; i++)
        assert_int_equal(hash[i], 0);
    struct nw_diag d;
    const char *td = "{\"types\":{\"T\":[]},\"primaryType\":\"T\",\"domain\":{},\"message\":{}}";
    assert_int_equal(nw_eip712_sign(ctx, sig, hash, &d, nw_cur_str(td), &zero), NW_ERR_KEY_INVALID);
    assert_int_equal(d.code, NW_ERR_KEY_INVALID);
    for (size_t i = 0; i < 65; i++)
        assert_int_equal(sig[i], 0);
}

/* ---- EIP-712 vectors --------------------------------------------------------------------- */

static void test_eip712_vectors(void **state)
{
    (void)state;
    json_t *cases = nwt_load_json("ethereum/eip712.json");
    if (cases == NULL)
        return;
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        const json_t *in = json_object_get(c, "input");
        struct nw_seckey key;
        struct nw_diag d;
        uint8_t sig[65], hash[32];
        load_key(&key, json_string_value(json_object_get(in, "key")));
        char *text = json_dumps(json_object_get(in, "typedData"), JSON_COMPACT);
        assert_non_null(text);
        assert_int_equal(nw_eip712_sign(ctx, sig, hash, &d, nw_cur_str(text), &key), NW_OK);
        check_vector(json_object_get(c, "expected"), sig, hash, &key);

        /* the standard-order domains also hash the same with EIP712Domain left out */
        json_t *td = json_deep_copy(json_object_get(in, "typedData"));
        const char *id = json_string_value(json_object_get(c, "id"));
        if (strcmp(id, "eip712-mail-httpOrigin") != 0) {
            uint8_t h2[32];
            json_object_del(json_object_get(td, "types"), "EIP712Domain");
            char *t2 = json_dumps(td, JSON_COMPACT);
            assert_int_equal(nw_eip712_hash(h2, NULL, nw_cur_str(t2)), NW_OK);
            assert_memory_equal(h2, hash, 32);
            free(t2);
        }
        json_decref(td);
        free(text);
        nw_seckey_clear(&key);
    }
    json_decref(cases);
}

/* Edge values (int8 min, int256 min as -0x.., uint256 max, bytes1, empty bytes, nested arrays,
 * struct arrays, bare uint) hashed by ethers 6.17.0 TypedDataEncoder.hash. */
static const char EDGE[] =
    "{\"types\":{\"EIP712Domain\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"chainId\","
    "\"type\":\"uint256\"}],\"T\":[{\"name\":\"a\",\"type\":\"int8\"},{\"name\":\"b\",\"type\":"
    "\"int256\"},{\"name\":\"c\",\"type\":\"uint256\"},{\"name\":\"d\",\"type\":\"bytes1\"},{"
    "\"name\":\"e\",\"type\":\"bytes\"},{\"name\":\"f\",\"type\":\"bool\"},{\"name\":\"g\","
    "\"type\":"
    "\"uint8[2][]\"},{\"name\":\"h\",\"type\":\"S[]\"},{\"name\":\"i\",\"type\":\"uint\"}],\"S\":[{"
    "\"name\":\"x\",\"type\":\"string\"},{\"name\":\"y\",\"type\":\"address\"}]},\"primaryType\":"
    "\"T\",\"domain\":{\"name\":\"N\",\"chainId\":1},\"message\":{\"a\":-128,\"b\":\"-"
    "0x8000000000000000000000000000000000000000000000000000000000000000\",\"c\":"
    "\"115792089237316195423570985008687907853269984665640564039457584007913129639935\",\"d\":"
    "\"0xff\",\"e\":\"0x\",\"f\":true,\"g\":[[1,2],[255,\"0x0\"]],\"h\":[{\"x\":\"\",\"y\":"
    "\"0x0000000000000000000000000000000000000000\"},{\"x\":\"\xc3\xa9\",\"y\":"
    "\"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826\"}],\"i\":\"12345678901234567890\"}}";

static void test_eip712_edges(void **state)
{
    (void)state;
    uint8_t h[32];
    struct nw_diag d;
    assert_int_equal(nw_eip712_hash(h, &d, nw_cur_str(EDGE)), NW_OK);
    assert_string_equal(nwt_hex(h, 32),
                        "0x9539aaee97b1c1580a72c83ded5ace10321dcad532d5b0a494eb33cea450577b");
}

/* ---- negative tests: one JSON per code --------------------------------------------------- */

static nw_err h712(const char *json)
{
    uint8_t h[32];
    struct nw_diag d;
    memset(h, 0xaa, sizeof(h));
    nw_err e = nw_eip712_hash(h, &d, nw_cur_str(json));
    if (e != NW_OK) {
        for (size_t i = 0; i < 32; i++)
            assert_int_equal(h[i], 0);
        assert_int_equal(d.code, e);
        assert_true(d.msg[0] != '\0');
    }
    return e;
}

/* Typed data with one struct T(fields) and a message, empty domain. */
static nw_err t1(const char *fields, const char *message)
{
    char buf[4096];
    int n = snprintf(buf, sizeof(buf),
                     "{\"types\":{\"T\":[%s]},\"primaryType\":\"T\",\"domain\":{},\"message\":%s}",
                     fields, message);
    assert_true(n > 0 && (size_t)n < sizeof(buf));
    return h712(buf);
}

#define F(name, type) "{\"name\":\"" name "\",\"type\":\"" type "\"}"

static void test_eip712_schema(void **state)
{
    (void)state;
    assert_int_equal(h712("[]"), NW_ERR_EIP712_SCHEMA);
    assert_int_equal(h712("{\"types\":{},\"primaryType\":\"EIP712Domain\",\"domain\":{},\"x\":1}"),
                     NW_ERR_EIP712_SCHEMA);
    assert_int_equal(h712("{\"types\":[],\"primaryType\":\"T\",\"domain\":{},\"message\":{}}"),
                     NW_ERR_EIP712_SCHEMA);
    assert_int_equal(h712("{\"types\":{},\"primaryType\":1,\"domain\":{},\"message\":{}}"),
                     NW_ERR_EIP712_SCHEMA);
    assert_int_equal(h712("{\"types\":{},\"primaryType\":\"T\",\"domain\":[],\"message\":{}}"),
                     NW_ERR_EIP712_SCHEMA);
    assert_int_equal(h712("{\"types\":{\"T\":{}},\"primaryType\":\"T\",\"domain\":{},"
                          "\"message\":{}}"),
                     NW_ERR_EIP712_SCHEMA);
    assert_int_equal(t1("{\"name\":\"a\",\"type\":\"bool\",\"x\":1}", "{\"a\":true}"),
                     NW_ERR_EIP712_SCHEMA);
    assert_int_equal(t1("{\"name\":\"a\"}", "{\"a\":true}"), NW_ERR_EIP712_SCHEMA);
    assert_int_equal(t1(F("a", "bool"), "[]"), NW_ERR_EIP712_SCHEMA);
    assert_int_equal(h712("{\"types\":{\"T\":[]},\"primaryType\":\"T\",\"domain\":{}}"),
                     NW_ERR_EIP712_SCHEMA);
    /* primaryType EIP712Domain needs no message (eth-sig-util) */
    assert_int_equal(h712("{\"types\":{},\"primaryType\":\"EIP712Domain\",\"domain\":{}}"), NW_OK);
}

static void test_eip712_type_names(void **state)
{
    (void)state;
    assert_int_equal(t1(F("a-b", "bool"), "{}"), NW_ERR_EIP712_TYPE_NAME);
    assert_int_equal(t1(F("", "bool"), "{}"), NW_ERR_EIP712_TYPE_NAME);
    assert_int_equal(t1(F("a", "uint7"), "{\"a\":1}"), NW_ERR_EIP712_TYPE_NAME);
    assert_int_equal(t1(F("a", "uint264"), "{\"a\":1}"), NW_ERR_EIP712_TYPE_NAME);
    assert_int_equal(t1(F("a", "int08"), "{\"a\":1}"), NW_ERR_EIP712_TYPE_NAME);
    assert_int_equal(t1(F("a", "bytes33"), "{\"a\":\"0x\"}"), NW_ERR_EIP712_TYPE_NAME);
    assert_int_equal(t1(F("a", "bytes0"), "{\"a\":\"0x\"}"), NW_ERR_EIP712_TYPE_NAME);
    assert_int_equal(t1(F("a", "uint8[01]"), "{\"a\":[1]}"), NW_ERR_EIP712_TYPE_NAME);
    assert_int_equal(t1(F("a", "uint8[1"), "{\"a\":[1]}"), NW_ERR_EIP712_TYPE_NAME);
    assert_int_equal(t1(F("a", "uint8[x]"), "{\"a\":[1]}"), NW_ERR_EIP712_TYPE_NAME);
    /* text between brackets must not be skipped (once read as uint8[1][] or uint8[1][2]) */
    assert_int_equal(t1(F("a", "uint8[1]x]"), "{\"a\":[[1]]}"), NW_ERR_EIP712_TYPE_NAME);
    assert_int_equal(t1(F("a", "uint8[1]x2]"), "{\"a\":[[1],[2]]}"), NW_ERR_EIP712_TYPE_NAME);
    assert_int_equal(h712("{\"types\":{\"1T\":[]},\"primaryType\":\"1T\",\"domain\":{},"
                          "\"message\":{}}"),
                     NW_ERR_EIP712_TYPE_NAME);
    assert_int_equal(h712("{\"types\":{\"uint256\":[]},\"primaryType\":\"uint256\",\"domain\":{},"
                          "\"message\":{}}"),
                     NW_ERR_EIP712_TYPE_NAME);
}

static void test_eip712_unknown_cycle_dup(void **state)
{
    (void)state;
    assert_int_equal(t1(F("a", "Foo"), "{\"a\":{}}"), NW_ERR_EIP712_UNKNOWN_TYPE);
    assert_int_equal(t1(F("a", "uint256 "), "{\"a\":1}"), NW_ERR_EIP712_UNKNOWN_TYPE);
    assert_int_equal(h712("{\"types\":{\"T\":[]},\"primaryType\":\"U\",\"domain\":{},"
                          "\"message\":{}}"),
                     NW_ERR_EIP712_UNKNOWN_TYPE);
    /* an unused type is checked too */
    assert_int_equal(
        h712("{\"types\":{\"T\":[],\"U\":[" F("x", "Nope") "]},\"primaryType\":\"T\","
                                                           "\"domain\":{},\"message\":{}}"),
        NW_ERR_EIP712_UNKNOWN_TYPE);

    assert_int_equal(t1(F("a", "T[]"), "{\"a\":[]}"), NW_ERR_EIP712_CYCLE);
    assert_int_equal(h712("{\"types\":{\"A\":[" F("b", "B") "],\"B\":[" F(
                         "a", "A[2]") "]},"
                                      "\"primaryType\":\"A\",\"domain\":{},\"message\":{}}"),
                     NW_ERR_EIP712_CYCLE);

    assert_int_equal(t1(F("a", "bool") "," F("a", "uint8"), "{\"a\":true}"),
                     NW_ERR_EIP712_DUP_FIELD);
}

static void test_eip712_fields(void **state)
{
    (void)state;
    assert_int_equal(t1(F("a", "uint8"), "{}"), NW_ERR_EIP712_MISSING_FIELD);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":null}"), NW_ERR_EIP712_MISSING_FIELD);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":1,\"b\":2}"), NW_ERR_EIP712_EXTRA_FIELD);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":1,\"b\":null}"), NW_OK); /* null = absent */
    assert_int_equal(
        h712("{\"types\":{\"EIP712Domain\":[" F(
            "name", "string") "],\"T\":[]},"
                              "\"primaryType\":\"T\",\"domain\":{\"name\":\"x\",\"version\":\"1\"},"
                              "\"message\":{}}"),
        NW_ERR_EIP712_EXTRA_FIELD);

    assert_int_equal(t1(F("a", "string"), "{\"a\":5}"), NW_ERR_EIP712_VALUE_TYPE);
    assert_int_equal(t1(F("a", "bool"), "{\"a\":\"true\"}"), NW_ERR_EIP712_VALUE_TYPE);
    assert_int_equal(t1(F("a", "bool"), "{\"a\":1}"), NW_ERR_EIP712_VALUE_TYPE);
    assert_int_equal(t1(F("a", "uint8[]"), "{\"a\":{}}"), NW_ERR_EIP712_VALUE_TYPE);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":[1]}"), NW_ERR_EIP712_VALUE_TYPE);
    assert_int_equal(t1(F("a", "address"), "{\"a\":1}"), NW_ERR_EIP712_VALUE_TYPE);
    assert_int_equal(t1(F("a", "bytes"), "{\"a\":1}"), NW_ERR_EIP712_VALUE_TYPE);
    assert_int_equal(
        h712("{\"types\":{\"T\":[" F("s", "S") "],\"S\":[]},\"primaryType\":\"T\","
                                               "\"domain\":{},\"message\":{\"s\":\"x\"}}"),
        NW_ERR_EIP712_VALUE_TYPE);

    assert_int_equal(t1(F("a", "uint8[2]"), "{\"a\":[1]}"), NW_ERR_EIP712_ARRAY_LEN);
    assert_int_equal(t1(F("a", "uint8[0]"), "{\"a\":[]}"), NW_OK);
}

static void test_eip712_integers(void **state)
{
    (void)state;
    /* in range, in every spelling */
    assert_int_equal(t1(F("a", "int8"), "{\"a\":-128}"), NW_OK);
    assert_int_equal(t1(F("a", "int8"), "{\"a\":\"127\"}"), NW_OK);
    assert_int_equal(t1(F("a", "int8"), "{\"a\":\"-0x80\"}"), NW_OK);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":\"0XFF\"}"), NW_OK);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":\"-0\"}"), NW_OK);
    assert_int_equal(t1(F("a", "uint64"), "{\"a\":9223372036854775807}"), NW_OK);
    assert_int_equal(t1(F("a", "int64"), "{\"a\":-9223372036854775808}"), NW_OK);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":3.0}"), NW_OK);

    assert_int_equal(t1(F("a", "uint8"), "{\"a\":256}"), NW_ERR_EIP712_INT_RANGE);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":-1}"), NW_ERR_EIP712_INT_RANGE);
    assert_int_equal(t1(F("a", "int8"), "{\"a\":128}"), NW_ERR_EIP712_INT_RANGE);
    assert_int_equal(t1(F("a", "int8"), "{\"a\":-129}"), NW_ERR_EIP712_INT_RANGE);
    assert_int_equal(t1(F("a", "int64"), "{\"a\":\"-9223372036854775809\"}"),
                     NW_ERR_EIP712_INT_RANGE);
    assert_int_equal(
        t1(F("a", "int256"),
           "{\"a\":\"0x8000000000000000000000000000000000000000000000000000000000000000\"}"),
        NW_ERR_EIP712_INT_RANGE);
    assert_int_equal(
        t1(F("a", "uint256"),
           "{\"a\":\"0x10000000000000000000000000000000000000000000000000000000000000000\"}"),
        NW_ERR_EIP712_INT_RANGE);

    assert_int_equal(t1(F("a", "uint8"), "{\"a\":1.5}"), NW_ERR_EIP712_INT_FORMAT);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":\"12a\"}"), NW_ERR_EIP712_INT_FORMAT);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":\"\"}"), NW_ERR_EIP712_INT_FORMAT);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":\"-\"}"), NW_ERR_EIP712_INT_FORMAT);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":\" 1\"}"), NW_ERR_EIP712_INT_FORMAT);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":\"0b1\"}"), NW_ERR_EIP712_INT_FORMAT);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":\"0x\"}"), NW_ERR_EIP712_INT_FORMAT);
    assert_int_equal(t1(F("a", "uint8"), "{\"a\":\"1.0\"}"), NW_ERR_EIP712_INT_FORMAT);

    assert_int_equal(t1(F("a", "uint256"), "{\"a\":1000000000000000000000000000000}"),
                     NW_ERR_EIP712_INT_LITERAL);
    assert_int_equal(t1(F("a", "uint256"), "{\"a\":1e300}"), NW_ERR_EIP712_INT_LITERAL);
    assert_int_equal(t1(F("a", "uint256"), "{\"a\":9007199254740992.0}"),
                     NW_ERR_EIP712_INT_LITERAL);
}

static void test_eip712_bytes_address(void **state)
{
    (void)state;
    assert_int_equal(t1(F("a", "bytes1"), "{\"a\":\"0xffff\"}"), NW_ERR_EIP712_BYTES);
    assert_int_equal(t1(F("a", "bytes1"), "{\"a\":\"ff\"}"), NW_ERR_EIP712_BYTES);
    assert_int_equal(t1(F("a", "bytes"), "{\"a\":\"0x1\"}"), NW_ERR_EIP712_BYTES);
    assert_int_equal(t1(F("a", "bytes"), "{\"a\":\"0xzz\"}"), NW_ERR_EIP712_BYTES);
    assert_int_equal(t1(F("a", "bytes"), "{\"a\":\"0X00\"}"), NW_ERR_EIP712_BYTES);

    assert_int_equal(t1(F("a", "address"), "{\"a\":\"0x1234\"}"), NW_ERR_EIP712_ADDRESS);
    assert_int_equal(
        t1(F("a", "address"), "{\"a\":\"0xgggggggggggggggggggggggggggggggggggggggg\"}"),
        NW_ERR_EIP712_ADDRESS);
    assert_int_equal(
        t1(F("a", "address"), "{\"a\":\"0Xcd2a3d9f938e13cd947ec05abc7fe734df8dd826\"}"),
        NW_ERR_EIP712_ADDRESS);
    /* one letter's case flipped from the EIP-55 form */
    assert_int_equal(
        t1(F("a", "address"), "{\"a\":\"0xcD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826\"}"),
        NW_ERR_EIP712_CHECKSUM);
    /* all lower, all upper, no prefix: accepted as ethers getAddress does */
    assert_int_equal(
        t1(F("a", "address"), "{\"a\":\"0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826\"}"), NW_OK);
    assert_int_equal(
        t1(F("a", "address"), "{\"a\":\"0xCD2A3D9F938E13CD947EC05ABC7FE734DF8DD826\"}"), NW_OK);
    assert_int_equal(t1(F("a", "address"), "{\"a\":\"CD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826\"}"),
                     NW_OK);
}

static void test_eip712_domain_json_limits(void **state)
{
    (void)state;
    assert_int_equal(h712("{\"types\":{\"T\":[]},\"primaryType\":\"T\",\"domain\":{\"foo\":1},"
                          "\"message\":{}}"),
                     NW_ERR_EIP712_DOMAIN);
    assert_int_equal(h712("{\"types\":{\"T\":[]},\"primaryType\":\"T\",\"domain\":{\"foo\":null},"
                          "\"message\":{}}"),
                     NW_OK);
    assert_int_equal(h712("{"), NW_ERR_JSON);
    assert_int_equal(h712("{\"types\":{},\"types\":{}}"), NW_ERR_JSON);
    assert_int_equal(h712(""), NW_ERR_JSON);

    /* 17 array dimensions */
    assert_int_equal(t1(F("a", "uint8[][][][][][][][][][][][][][][][][]"), "{\"a\":[]}"),
                     NW_ERR_EIP712_DEPTH);

    struct nw_buf b;
    nw_buf_init(&b, (size_t)4 * 1024 * 1024, false);
    /* a chain of 70 struct types, nested 70 deep in the message */
    assert_int_equal(nw_buf_append_str(&b, "{\"types\":{"), NW_OK);
    for (int i = 0; i < 70; i++) {
        if (i < 69)
            assert_int_equal(nw_buf_appendf(&b, "%s\"T%d\":[{\"name\":\"c\",\"type\":\"T%d\"}]",
                                            i ? "," : "", i, i + 1),
                             NW_OK);
        else
            assert_int_equal(nw_buf_appendf(&b, ",\"T%d\":[]", i), NW_OK);
    }
    assert_int_equal(nw_buf_append_str(&b, "},\"primaryType\":\"T0\",\"domain\":{},\"message\":"),
                     NW_OK);
    for (int i = 0; i < 69; i++)
        assert_int_equal(nw_buf_append_str(&b, "{\"c\":"), NW_OK);
    assert_int_equal(nw_buf_append_str(&b, "{}"), NW_OK);
    for (int i = 0; i < 70; i++)
        assert_int_equal(nw_buf_append_byte(&b, '}'), NW_OK);
    assert_int_equal(nw_buf_cstr(&b), NW_OK);
    assert_int_equal(h712((const char *)b.ptr), NW_ERR_EIP712_DEPTH);

    /* 257 types */
    b.len = 0;
    assert_int_equal(nw_buf_append_str(&b, "{\"types\":{"), NW_OK);
    for (int i = 0; i < 257; i++)
        assert_int_equal(nw_buf_appendf(&b, "%s\"T%d\":[]", i ? "," : "", i), NW_OK);
    assert_int_equal(
        nw_buf_append_str(&b, "},\"primaryType\":\"T0\",\"domain\":{},\"message\":{}}"), NW_OK);
    assert_int_equal(nw_buf_cstr(&b), NW_OK);
    assert_int_equal(h712((const char *)b.ptr), NW_ERR_TOO_LARGE);

    /* an encodeType over 64 KiB: 1000 fields with 70-character names */
    b.len = 0;
    assert_int_equal(nw_buf_append_str(&b, "{\"types\":{\"T\":["), NW_OK);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(
            nw_buf_appendf(&b, "%s{\"name\":\"f%069d\",\"type\":\"bool\"}", i ? "," : "", i),
            NW_OK);
    assert_int_equal(
        nw_buf_append_str(&b, "]},\"primaryType\":\"T\",\"domain\":{},\"message\":{}}"), NW_OK);
    assert_int_equal(nw_buf_cstr(&b), NW_OK);
    assert_int_equal(h712((const char *)b.ptr), NW_ERR_TOO_LARGE);

    /* 1025 fields in one struct */
    b.len = 0;
    assert_int_equal(nw_buf_append_str(&b, "{\"types\":{\"T\":["), NW_OK);
    for (int i = 0; i < 1025; i++)
        assert_int_equal(
            nw_buf_appendf(&b, "%s{\"name\":\"f%d\",\"type\":\"bool\"}", i ? "," : "", i), NW_OK);
    assert_int_equal(
        nw_buf_append_str(&b, "]},\"primaryType\":\"T\",\"domain\":{},\"message\":{}}"), NW_OK);
    assert_int_equal(nw_buf_cstr(&b), NW_OK);
    assert_int_equal(h712((const char *)b.ptr), NW_ERR_TOO_LARGE);

    /* more than 1 MiB of text */
    b.len = 0;
    assert_int_equal(nw_buf_append_str(&b, "{\"types\":{},\"x\":\""), NW_OK);
    for (int i = 0; i < 1100; i++)
        for (int k = 0; k < 1024; k++)
            assert_int_equal(nw_buf_append_byte(&b, 'a'), NW_OK);
    assert_int_equal(nw_buf_append_str(&b, "\"}"), NW_OK);
    assert_int_equal(nw_buf_cstr(&b), NW_OK);
    assert_int_equal(h712((const char *)b.ptr), NW_ERR_TOO_LARGE);
    nw_buf_clear(&b);
}

/* Allocation failure at every allocation of our own: NW_ERR_NOMEM, then success; no leaks. */
static void test_eip712_nomem(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        uint8_t h[32];
        (void)nw_mem_fail_after(n);
        nw_err e = nw_eip712_hash(h, NULL, nw_cur_str(EDGE));
        (void)nw_mem_fail_after(-1);
        if (e == NW_OK) {
            assert_string_equal(nwt_hex(h, 32), "0x9539aaee97b1c1580a72c83ded5ace10321dcad532d5b0a4"
                                                "94eb33cea450577b");
            break;
        }
        assert_int_equal(e, NW_ERR_NOMEM);
        assert_true(n < 1000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_personal_sign_vectors),
        cmocka_unit_test(test_personal_hash_facts),
        cmocka_unit_test(test_sign_bad_key),
        cmocka_unit_test(test_eip712_vectors),
        cmocka_unit_test(test_eip712_edges),
        cmocka_unit_test(test_eip712_schema),
        cmocka_unit_test(test_eip712_type_names),
        cmocka_unit_test(test_eip712_unknown_cycle_dup),
        cmocka_unit_test(test_eip712_fields),
        cmocka_unit_test(test_eip712_integers),
        cmocka_unit_test(test_eip712_bytes_address),
        cmocka_unit_test(test_eip712_domain_json_limits),
        cmocka_unit_test(test_eip712_nomem),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

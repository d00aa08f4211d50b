/*
 * Issue 13 transaction safety and the JSON-RPC transaction object: exact ether floats
 * (NW_ERR_ETHER_IMPRECISE), the RPC parser (value in wei, input/data), the RPC rendering of a
 * decoded transaction signing again to the same bytes for every type, and the network rules
 * (nw_tx_check when signing, nw_tx_validate for decoded transactions).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nw/ethaddr.h>
#include <nw/quantity.h>
#include <nw/rlp.h>
#include <nw/tx.h>

#include "nwtest.h"

static struct nw_secp *secp;
static struct nw_seckey key;
static uint8_t key_addr[20];

static const char test_key[] = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

#define TO    "\"to\":\"0x3535353535353535353535353535353535353535\""
#define VHASH "\"0x0100000000000000000000000000000000000000000000000000000000000001\""
#define BASE2 \
 "\"chainId\":1,\"nonce\":7,\"gas\":21000,\"maxFeePerGas\":2,\"maxPriorityFeePerGas\":1"

static int setup(void **state)
{
    (void)state;
    secp = nw_secp_new();
    if (secp == NULL || nw_seckey_parse(secp, &key, nw_cur_str(test_key)) != NW_OK)
        return -1;
    return nw_address_from_seckey(secp, key_addr, &key) == NW_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    nw_seckey_clear(&key);
    nw_secp_free(secp);
    return 0;
}

static void ether_ok(const char *literal, const char *wei_dec)
{
    struct nw_u256 wei;
    char dec[79];
    nw_err err = nw_ether_json_number_to_wei(&wei, nw_cur_str(literal));
    if (err != NW_OK)
        fail_msg("%s: %s", literal, nw_err_name(err));
    nw_u256_to_dec(dec, &wei);
    if (strcmp(dec, wei_dec) != 0)
        fail_msg("%s: %s wei, want %s", literal, dec, wei_dec);
}

static void ether_err(const char *literal, nw_err want)
{
    struct nw_u256 wei;
    nw_err err = nw_ether_json_number_to_wei(&wei, nw_cur_str(literal));
    if (err != want)
        fail_msg("%s: %s, want %s", literal, nw_err_name(err), nw_err_name(want));
    assert_true(nw_u256_is_zero(&wei));
}

static void test_ether_json_numbers(void **state)
{
    (void)state;
    /* What a double holds exactly (as its shortest decimal) keeps working. */
    ether_ok("0.01", "10000000000000000");
    ether_ok("0.010", "10000000000000000");
    ether_ok("1.5", "1500000000000000000");
    ether_ok("2.5e2", "250000000000000000000");
    ether_ok("1E-18", "1");
    ether_ok("0.1234567890123456", "123456789012345600"); /* 16 digits, round-trips */
    ether_ok("5", "5000000000000000000");
    ether_ok("-0", "0");
    ether_ok("-0.0", "0");
    /* Integers are exact at any size (no double involved). */
    ether_ok("123456789012345678901", "123456789012345678901000000000000000000");
    /* The examples: silently rounded before, refused now. */
    ether_err("1.000000000000000001", NW_ERR_ETHER_IMPRECISE);
    ether_err("0.123456789123456789", NW_ERR_ETHER_IMPRECISE);
    ether_err("0.30000000000000001", NW_ERR_ETHER_IMPRECISE); /* 17 digits, double says 0.3 */
    ether_err("1e-400", NW_ERR_ETHER_IMPRECISE);              /* underflows to 0 */
    ether_err("1e400", NW_ERR_JSON_NUMBER_TOO_BIG);
    ether_err("-1.5", NW_ERR_INT_NEGATIVE);
    ether_err("1e-19", NW_ERR_VALUE_FRACTION_WEI);
    ether_err("", NW_ERR_VALUE_FORMAT);

    /* Through the dict parser, with a message that names the field. */
    struct nw_tx tx;
    struct nw_diag d = {0};
    nw_tx_init(&tx);
    assert_int_equal(
        nw_tx_from_json(&tx, &d, nw_cur_str("{" BASE2 "," TO ",\"value\":1.000000000000000001}")),
        NW_ERR_ETHER_IMPRECISE);
    assert_non_null(strstr(d.msg, "value"));
    assert_int_equal(
        nw_tx_from_json(&tx, &d,
                        nw_cur_str("{" BASE2 "," TO ",\"value\":\"1.000000000000000001\"}")),
        NW_OK);
    assert_int_equal(tx.value.w[0], 1000000000000000001u);
    assert_int_equal(nw_tx_from_json(&tx, &d, nw_cur_str("{" BASE2 "," TO ",\"value\":0.01}")),
                     NW_OK);
    assert_int_equal(tx.value.w[0], 10000000000000000u);
    nw_tx_clear(&tx);
}

/* A tx inside a wrapper line keeps its literal numbers (no re-serialisation). */
static void test_member(void **state)
{
    (void)state;
    struct nw_tx tx;
    struct nw_diag d = {0};
    nw_tx_init(&tx);
    assert_int_equal(nw_tx_from_json_member(
                         &tx, &d,
                         nw_cur_str("{\"key\":\"0x01\",\"tx\":{" BASE2 "," TO ",\"value\":922.2}}"),
                         "tx"),
                     NW_OK);
    char dec[79];
    nw_u256_to_dec(dec, &tx.value);
    assert_string_equal(dec, "922200000000000000000");
    assert_int_equal(nw_tx_from_json_member(&tx, &d, nw_cur_str("{\"tx\":1}"), "tx"),
                     NW_ERR_TX_NOT_OBJECT);
    assert_int_equal(nw_tx_from_json_member(&tx, &d, nw_cur_str("{\"t\":{}}"), "tx"),
                     NW_ERR_TX_MISSING_FIELD);
    assert_non_null(strstr(d.msg, "tx"));
    nw_tx_clear(&tx);
}

static void test_wei_rendering(void **state)
{
    (void)state;
    static const struct {
        uint64_t wei;
        const char *ether;
    } cases[] = {
        {0, "0"},
        {1, "0.000000000000000001"},
        {10000000000000000u, "0.01"},
        {1000000000000000000u, "1"},
        {1500000000000000000u, "1.5"},
        {12345000000000000000u, "12.345"},
    };
    char out[82];
    for (size_t i = 0; i < NW_ARRAY_LEN(cases); i++) {
        struct nw_u256 w = nw_u256_from_u64(cases[i].wei);
        nw_wei_to_ether_text(out, &w);
        assert_string_equal(out, cases[i].ether);
    }
    struct nw_u256 max;
    memset(&max, 0xff, sizeof(max));
    nw_wei_to_ether_text(out, &max);
    assert_string_equal(out, "115792089237316195423570985008687907853269984665640564039457."
                             "584007913129639935");
}

static nw_err rpc_parse(struct nw_tx *tx, struct nw_diag *d, const char *json)
{
    return nw_tx_from_rpc_json(tx, d, nw_cur_str(json));
}

static void test_rpc_parser(void **state)
{
    (void)state;
    struct nw_tx tx;
    struct nw_diag d = {0};
    nw_tx_init(&tx);
    /* cast/ethers shape: hex quantities, value in wei, input. */
    assert_int_equal(rpc_parse(&tx, &d,
                               "{\"from\":\"0x2c7536e3605d9c16a7a3d7b1898e529396a65c23\","
                               "\"type\":\"0x2\",\"chainId\":\"0x1\",\"nonce\":\"0x0\","
                               "\"gas\":\"0x5208\",\"maxFeePerGas\":\"0x2\","
                               "\"maxPriorityFeePerGas\":\"0x1\",\"value\":\"0xde0b6b3a7640000\","
                               "\"input\":\"0xabcd\"," TO "}"),
                     NW_OK);
    assert_int_equal(tx.type, NW_TX_DYNAMIC_FEE);
    assert_int_equal(tx.value.w[0], 1000000000000000000u); /* wei, not ether */
    assert_int_equal(tx.data.len, 2);
    assert_true(tx.has_from);
    /* input and data: the same bytes are fine, different ones are refused. */
    assert_int_equal(
        rpc_parse(&tx, &d, "{" BASE2 "," TO ",\"input\":\"0xABCD\",\"data\":\"0xabcd\"}"), NW_OK);
    assert_int_equal(tx.data.len, 2);
    assert_int_equal(rpc_parse(&tx, &d, "{" BASE2 "," TO ",\"input\":\"0xabcd\",\"data\":\"0x\"}"),
                     NW_ERR_TX_INPUT_MISMATCH);
    assert_non_null(strstr(d.msg, "input"));
    assert_int_equal(tx.mem.len, 0);
    /* The checks of the dict parser apply. */
    assert_int_equal(rpc_parse(&tx, &d, "{" BASE2 ",\"value\":\"0x5\"}"), NW_ERR_TX_MISSING_TO);
    assert_int_equal(rpc_parse(&tx, &d, "{" BASE2 "," TO ",\"value\":1.5}"), NW_ERR_INT_FLOAT);
    assert_int_equal(rpc_parse(&tx, &d, "{" BASE2 "," TO ",\"value\":\"1.5\"}"), NW_ERR_INT_FORMAT);
    assert_int_equal(rpc_parse(&tx, &d, "{" BASE2 "," TO ",\"gasLimit\":\"0x1\"}"),
                     NW_ERR_TX_UNKNOWN_FIELD);
    /* input is an RPC name only. */
    struct nw_tx t2;
    nw_tx_init(&t2);
    assert_int_equal(nw_tx_from_json(&t2, &d, nw_cur_str("{" BASE2 "," TO ",\"input\":\"0x\"}")),
                     NW_ERR_TX_UNKNOWN_FIELD);
    nw_tx_clear(&t2);
    nw_tx_clear(&tx);
}

/* dict -> sign -> decode -> RPC object -> parse -> sign: the same bytes. */
static void round_trip(const char *dict)
{
    struct nw_tx tx, dec_tx, again_tx;
    struct nw_tx_signed st, dec, again;
    struct nw_diag d = {0};
    struct nw_buf rpc;
    nw_tx_init(&tx);
    nw_tx_init(&dec_tx);
    nw_tx_init(&again_tx);
    nw_tx_signed_init(&st);
    nw_tx_signed_init(&dec);
    nw_tx_signed_init(&again);
    nw_buf_init(&rpc, 1u << 20, false);
    if (nw_tx_from_json(&tx, &d, nw_cur_str(dict)) != NW_OK)
        fail_msg("%s: %s", dict, d.msg);
    assert_int_equal(nw_tx_sign(secp, &st, &tx, &key), NW_OK);
    assert_int_equal(nw_tx_decode(&dec_tx, &dec, nw_buf_cur(&st.raw)), NW_OK);
    assert_int_equal(nw_tx_to_rpc_json(&rpc, &dec_tx, key_addr), NW_OK);
    assert_int_equal(nw_buf_cstr(&rpc), NW_OK);
    if (nw_tx_from_rpc_json(&again_tx, &d, nw_buf_cur(&rpc)) != NW_OK)
        fail_msg("%s: %s", (const char *)rpc.ptr, d.msg);
    assert_int_equal(nw_tx_sign(secp, &again, &again_tx, &key), NW_OK);
    if (again.raw.len != st.raw.len || memcmp(again.raw.ptr, st.raw.ptr, st.raw.len) != 0)
        fail_msg("%s: re-signed bytes differ", (const char *)rpc.ptr);
    struct nw_tx_validity v;
    nw_tx_validate(&v, &dec_tx, &dec);
    assert_true(v.valid);
    assert_int_equal(v.count, 0);
    nw_buf_clear(&rpc);
    nw_tx_clear(&tx);
    nw_tx_clear(&dec_tx);
    nw_tx_clear(&again_tx);
    nw_tx_signed_clear(&st);
    nw_tx_signed_clear(&dec);
    nw_tx_signed_clear(&again);
}

static void test_rpc_round_trip(void **state)
{
    (void)state;
    /* Legacy pre-EIP-155, EIP-155, chainId 0 (eth-account: v 35/36), creation with data. */
    round_trip("{\"nonce\":1,\"gas\":21000,\"gasPrice\":1," TO ",\"value\":\"0.5\"}");
    round_trip("{\"nonce\":1,\"gas\":21000,\"gasPrice\":1,\"chainId\":1," TO ",\"data\":\"0x01\"}");
    round_trip("{\"nonce\":1,\"gas\":21000,\"gasPrice\":1,\"chainId\":0," TO "}");
    round_trip("{\"nonce\":1,\"gas\":99000,\"gasPrice\":1,\"chainId\":5,\"data\":\"0x6000\"}");
    /* EIP-2930 with an access list. */
    round_trip("{\"nonce\":2,\"gas\":21000,\"gasPrice\":3,\"chainId\":1," TO
               ",\"accessList\":[{\"address\":\"0x0000000000000000000000000000000000000001\","
               "\"storageKeys\":[\"0x000000000000000000000000000000000000000000000000000000000000"
               "0001\"]}]}");
    /* EIP-1559, a contract creation, and a huge value. */
    round_trip("{" BASE2 ",\"data\":\"0x60006000\",\"value\":\"123456789.000000000000000001\"}");
    /* EIP-4844. */
    round_trip("{" BASE2 "," TO ",\"maxFeePerBlobGas\":\"0x3\",\"blobVersionedHashes\":[" VHASH
               "]}");
    /* EIP-7702. */
    round_trip("{" BASE2 "," TO ",\"authorizationList\":[{\"chainId\":1,\"address\":"
               "\"0x5ce9454909639d2d17a3f753ce7d93fa0b9ab12e\",\"nonce\":3,\"yParity\":1,"
               "\"r\":\"0x1\",\"s\":\"0x2\"}]}");
}

/* Encode tx with a signature (no rules applied) and decode it back for validation. */
static void validate_encoded(struct nw_tx_validity *v, const struct nw_tx *tx, bool high_s)
{
    static const uint8_t n_minus_1[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
                                          0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
                                          0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x40};
    struct nw_sig sig;
    struct nw_tx_signed enc, dec;
    struct nw_tx back;
    memset(&sig, 0, sizeof(sig));
    sig.b[31] = 1;
    sig.b[63] = 1;
    if (high_s)
        memcpy(sig.b + 32, n_minus_1, 32);
    nw_tx_signed_init(&enc);
    nw_tx_signed_init(&dec);
    nw_tx_init(&back);
    assert_int_equal(nw_tx_encode_signed(&enc, tx, &sig), NW_OK);
    assert_int_equal(nw_tx_decode(&back, &dec, nw_buf_cur(&enc.raw)), NW_OK);
    nw_tx_validate(v, &back, &dec);
    nw_tx_clear(&back);
    nw_tx_signed_clear(&enc);
    nw_tx_signed_clear(&dec);
}

static void expect_reason(const struct nw_tx_validity *v, nw_err code, const char *field)
{
    assert_false(v->valid);
    for (size_t i = 0; i < v->count && i < NW_TX_MAX_REASONS; i++) {
        if (v->reasons[i].code == code && strstr(v->reasons[i].msg, field) != NULL)
            return;
    }
    fail_msg("no reason %s naming %s", nw_err_name(code), field);
}

/* A tx of the given type to TO with fee fields set; lists empty. */
static void base_tx(struct nw_tx *tx, enum nw_tx_type type)
{
    nw_tx_clear(tx);
    tx->type = type;
    tx->has_chain_id = true;
    tx->chain_id = nw_u256_from_u64(1);
    tx->gas = nw_u256_from_u64(21000);
    tx->has_to = true;
    memset(tx->to, 0x35, 20);
}

static void put_hash_list(struct nw_tx *tx, uint8_t first_byte)
{
    uint8_t h[32] = {0};
    size_t mark;
    h[0] = first_byte;
    tx->blob_hashes.off = tx->mem.len;
    nw_rlp_list_begin(&tx->mem, &mark);
    assert_int_equal(nw_rlp_put_bytes(&tx->mem, nw_cur_of(h, 32)), NW_OK);
    assert_int_equal(nw_rlp_list_end(&tx->mem, mark), NW_OK);
    tx->blob_hashes.len = tx->mem.len - tx->blob_hashes.off;
}

static void put_auth(struct nw_tx *tx, const struct nw_u256 *nonce, const struct nw_u256 *s)
{
    uint8_t addr[20] = {0};
    struct nw_u256 one = nw_u256_from_u64(1);
    size_t m1, m2;
    tx->auth_list.off = tx->mem.len;
    nw_rlp_list_begin(&tx->mem, &m1);
    nw_rlp_list_begin(&tx->mem, &m2);
    assert_int_equal(nw_rlp_put_u256(&tx->mem, &one), NW_OK);
    assert_int_equal(nw_rlp_put_bytes(&tx->mem, nw_cur_of(addr, 20)), NW_OK);
    assert_int_equal(nw_rlp_put_u256(&tx->mem, nonce), NW_OK);
    assert_int_equal(nw_rlp_put_u64(&tx->mem, 0), NW_OK);
    assert_int_equal(nw_rlp_put_u256(&tx->mem, &one), NW_OK);
    assert_int_equal(nw_rlp_put_u256(&tx->mem, s), NW_OK);
    assert_int_equal(nw_rlp_list_end(&tx->mem, m2), NW_OK);
    assert_int_equal(nw_rlp_list_end(&tx->mem, m1), NW_OK);
    tx->auth_list.len = tx->mem.len - tx->auth_list.off;
}

static void check_refused(const struct nw_tx *tx, nw_err code, const char *field)
{
    struct nw_diag d = {0};
    struct nw_tx_signed st;
    struct nw_tx_validity v;
    assert_int_equal(nw_tx_check(tx, &d), code);
    assert_non_null(strstr(d.msg, field));
    nw_tx_signed_init(&st);
    assert_int_equal(nw_tx_sign(secp, &st, tx, &key), code);
    assert_int_equal(st.raw.len, 0);
    nw_tx_signed_clear(&st);
    validate_encoded(&v, tx, false);
    expect_reason(&v, code, field);
}

static void test_network_rules(void **state)
{
    (void)state;
    struct nw_tx tx;
    struct nw_u256 big = {{0, 1, 0, 0}}, low = nw_u256_from_u64(2), high;
    struct nw_tx_validity v;
    memset(&high, 0xff, sizeof(high));
    nw_tx_init(&tx);
    /* Type 3: no hashes, a hash of the wrong version, a contract creation. */
    base_tx(&tx, NW_TX_BLOB);
    check_refused(&tx, NW_ERR_TX_NO_BLOB_HASHES, "blobVersionedHashes");
    put_hash_list(&tx, 0x02);
    check_refused(&tx, NW_ERR_TX_BLOB_HASH_VERSION, "blobVersionedHashes[0]");
    base_tx(&tx, NW_TX_BLOB);
    put_hash_list(&tx, 0x01);
    tx.has_to = false;
    check_refused(&tx, NW_ERR_TX_CREATE_NOT_ALLOWED, "to");
    /* Type 4: empty list, an authorization nonce above 2^64-1, a high s in an authorization. */
    base_tx(&tx, NW_TX_SET_CODE);
    check_refused(&tx, NW_ERR_TX_EMPTY_AUTH_LIST, "authorizationList");
    put_auth(&tx, &big, &low);
    check_refused(&tx, NW_ERR_TX_NONCE_RANGE, "authorizationList[0].nonce");
    base_tx(&tx, NW_TX_SET_CODE);
    put_auth(&tx, &low, &high);
    check_refused(&tx, NW_ERR_TX_HIGH_S, "authorizationList[0].s");
    /* EIP-2681 for the transaction's nonce; no recipient and no data. */
    base_tx(&tx, NW_TX_DYNAMIC_FEE);
    tx.nonce = big;
    check_refused(&tx, NW_ERR_TX_NONCE_RANGE, "nonce");
    base_tx(&tx, NW_TX_LEGACY);
    tx.has_to = false;
    check_refused(&tx, NW_ERR_TX_MISSING_TO, "to");
    /* A high-S signature decodes (old transactions carry it) and is flagged. */
    base_tx(&tx, NW_TX_DYNAMIC_FEE);
    validate_encoded(&v, &tx, true);
    expect_reason(&v, NW_ERR_TX_HIGH_S, "'s'");
    assert_int_equal(v.count, 1);
    /* Several reasons are all reported. */
    base_tx(&tx, NW_TX_SET_CODE);
    tx.nonce = big;
    validate_encoded(&v, &tx, true);
    assert_int_equal(v.count, 3);
    expect_reason(&v, NW_ERR_TX_NONCE_RANGE, "nonce");
    expect_reason(&v, NW_ERR_TX_EMPTY_AUTH_LIST, "authorizationList");
    expect_reason(&v, NW_ERR_TX_HIGH_S, "'s'");
    nw_tx_clear(&tx);
    /* libsecp256k1 always signs low-S. */
    assert_false(nw_sig_s_is_high(&low));
    assert_true(nw_sig_s_is_high(&high));
}

static void test_from_mismatch(void **state)
{
    (void)state;
    struct nw_tx tx;
    struct nw_tx_signed st;
    nw_tx_init(&tx);
    nw_tx_signed_init(&st);
    assert_int_equal(
        nw_tx_from_rpc_json(&tx, NULL,
                            nw_cur_str("{" BASE2 "," TO ",\"from\":"
                                       "\"0x0000000000000000000000000000000000000001\"}")),
        NW_OK);
    assert_int_equal(nw_tx_sign(secp, &st, &tx, &key), NW_ERR_TX_FROM_MISMATCH);
    assert_int_equal(st.raw.len, 0);
    nw_tx_clear(&tx);
    nw_tx_signed_clear(&st);
}

static void test_json_limits(void **state)
{
    (void)state;
    struct nw_tx tx;
    struct nw_diag d = {0};
    struct nw_buf b;
    nw_tx_init(&tx);
    nw_buf_init(&b, 1u << 21, false);
    /* A large object: duplicate keys found without quadratic work. */
    assert_int_equal(nw_buf_append_str(&b, "{\"accessList\":[{"), NW_OK);
    for (int i = 0; i < 50000; i++)
        assert_int_equal(nw_buf_appendf(&b, "\"k%d\":1,", i), NW_OK);
    assert_int_equal(nw_buf_append_str(&b, "\"k7\":1}]}"), NW_OK);
    assert_int_equal(nw_tx_from_json(&tx, &d, nw_buf_cur(&b)), NW_ERR_JSON_DUPLICATE_KEY);
    /* Too many values. */
    b.len = 0;
    assert_int_equal(nw_buf_append_str(&b, "{\"accessList\":["), NW_OK);
    for (int i = 0; i < 250000; i++)
        assert_int_equal(nw_buf_append_str(&b, "0,"), NW_OK);
    assert_int_equal(nw_buf_append_str(&b, "0]}"), NW_OK);
    assert_int_equal(nw_tx_from_json(&tx, &d, nw_buf_cur(&b)), NW_ERR_JSON_DEPTH);
    nw_buf_clear(&b);
    nw_tx_clear(&tx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ether_json_numbers), cmocka_unit_test(test_wei_rendering),
        cmocka_unit_test(test_rpc_parser),         cmocka_unit_test(test_rpc_round_trip),
        cmocka_unit_test(test_network_rules),      cmocka_unit_test(test_from_mismatch),
        cmocka_unit_test(test_json_limits),        cmocka_unit_test(test_member),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

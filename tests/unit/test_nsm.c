/*
 * Unit tests for the NSM client and the NSM simulator: request encodings against the byte
 * vectors of nitro-protocols.md 1.3, simulator semantics over a real unix socket, error
 * mapping, documents that verify against the development root, persistence of the root.
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <nw/attest.h>
#include <nw/hex.h>
#include <nw/nsm.h>
#include <nw/nsm_sim.h>

#include "attest/attest_int.h"
#include "nwtest.h"

/* ---- request encodings (vectors from nitro-protocols.md 1.3, serde_cbor) ---- */

static void expect_encoding(const struct nw_nsm_request *req, const char *hex)
{
    struct nw_buf b;
    nw_buf_init(&b, 4096, false);
    assert_int_equal(nw_nsm_request_encode(&b, req), NW_OK);
    size_t n = 0;
    uint8_t *want = nwt_unhex(hex, &n);
    assert_non_null(want);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.ptr, want, n);
    free(want);
    nw_buf_clear(&b);
}

static void test_request_vectors(void **state)
{
    (void)state;
    struct nw_nsm_request r = {.op = NW_NSM_OP_DESCRIBE_NSM};
    expect_encoding(&r, "6b44657363726962654e534d");
    r.op = NW_NSM_OP_GET_RANDOM;
    expect_encoding(&r, "6947657452616e646f6d");
    r = (struct nw_nsm_request){.op = NW_NSM_OP_DESCRIBE_PCR, .index = 0};
    expect_encoding(&r, "a16b4465736372696265504352a165696e64657800");
    static const uint8_t d[] = {1, 2, 3};
    r = (struct nw_nsm_request){.op = NW_NSM_OP_EXTEND_PCR, .index = 16, .data = {d, 3}};
    expect_encoding(&r, "a169457874656e64504352a265696e646578106464617461"
                        "43010203");
    r = (struct nw_nsm_request){.op = NW_NSM_OP_LOCK_PCRS, .range = 32};
    expect_encoding(&r, "a1684c6f636b50435273a16572616e67651820");
    r = (struct nw_nsm_request){.op = NW_NSM_OP_LOCK_PCR, .index = 16};
    expect_encoding(&r, "a1674c6f636b504352a165696e64657810");
    r = (struct nw_nsm_request){.op = NW_NSM_OP_ATTESTATION};
    expect_encoding(&r, "a16b4174746573746174696f6ea369757365725f64617461f6656e6f6e6365f6"
                        "6a7075626c69635f6b6579f6");
    r = (struct nw_nsm_request){.op = (enum nw_nsm_op)99};
    struct nw_buf b;
    nw_buf_init(&b, 64, false);
    assert_int_equal(nw_nsm_request_encode(&b, &r), NW_ERR_INVALID_ARG);
    nw_buf_clear(&b);
}

static void test_error_names(void **state)
{
    (void)state;
    static const nw_err codes[] = {
        NW_ERR_NSM_INVALID_ARGUMENT, NW_ERR_NSM_INVALID_INDEX,     NW_ERR_NSM_INVALID_RESPONSE,
        NW_ERR_NSM_READ_ONLY_INDEX,  NW_ERR_NSM_INVALID_OPERATION, NW_ERR_NSM_BUFFER_TOO_SMALL,
        NW_ERR_NSM_INPUT_TOO_LARGE,  NW_ERR_NSM_INTERNAL,
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(codes); i++) {
        const char *name = nw_nsm_error_name(codes[i]);
        assert_non_null(name);
        assert_int_equal(nw_nsm_error_from_name(nw_cur_str(name)), codes[i]);
    }
    assert_int_equal(nw_nsm_error_from_name(nw_cur_str("NoSuchError")), NW_ERR_NSM_INTERNAL);
    assert_null(nw_nsm_error_name(NW_ERR_IO));
}

/* ---- a simulator served on a unix socket in a thread ---- */

static uint64_t fixed_clock_ms = 1700000000000ull;
static uint64_t test_clock(void *ctx)
{
    (void)ctx;
    return fixed_clock_ms;
}

struct server {
    struct nw_nsm_sim *sim;
    char dir[64];
    char path[128];
    char addr[140];
    volatile int stop;
    pthread_t th;
};

static void *serve_main(void *arg)
{
    struct server *s = arg;
    nw_err e = nw_nsm_sim_serve_unix(s->sim, s->path, &s->stop);
    (void)e;
    return NULL;
}

static void server_start(struct server *s, struct nw_nsm_sim *sim)
{
    memset(s, 0, sizeof(*s));
    s->sim = sim;
    strcpy(s->dir, "/tmp/nw-nsm-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->path, sizeof(s->path), "%s/nsm.sock", s->dir);
    snprintf(s->addr, sizeof(s->addr), "unix:%s", s->path);
    assert_int_equal(pthread_create(&s->th, NULL, serve_main, s), 0);
    for (int i = 0; i < 200 && access(s->path, F_OK) != 0; i++)
        usleep(10000);
}

static void server_stop(struct server *s)
{
    s->stop = 1;
    pthread_join(s->th, NULL);
    rmdir(s->dir);
}

static char measured_path[128];
static uint8_t measured_pcr0[48];

static void make_measured_file(const char *content)
{
    strcpy(measured_path, "/tmp/nw-measure-XXXXXX");
    int fd = mkstemp(measured_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    /* Independent computation of SHA-384(0^48 || SHA-384(content)). */
    uint8_t inner[48], zero_inner[96] = {0};
    unsigned int n = 0;
    assert_int_equal(EVP_Digest(content, strlen(content), inner, &n, EVP_sha384(), NULL), 1);
    memcpy(zero_inner + 48, inner, 48);
    assert_int_equal(EVP_Digest(zero_inner, 96, measured_pcr0, &n, EVP_sha384(), NULL), 1);
}

static struct nw_nsm_sim *new_sim(bool debug, const char *state_dir)
{
    struct nw_nsm_sim_opts o = {.measure_path = measured_path,
                                .instance_id = "i-0123456789abcdef0",
                                .region = "eu-west-1",
                                .role_arn = "arn:aws:iam::123456789012:role/wallet",
                                .debug = debug,
                                .state_dir = state_dir,
                                .now_ms = test_clock};
    struct nw_nsm_sim *sim = NULL;
    assert_int_equal(nw_nsm_sim_new(&sim, &o), NW_OK);
    return sim;
}

static void test_sim_semantics(void **state)
{
    (void)state;
    make_measured_file("nw-enclave build 1");
    struct nw_nsm_sim *sim = new_sim(false, NULL);
    struct server srv;
    server_start(&srv, sim);
    struct nw_nsm *nsm = NULL;
    assert_int_equal(nw_nsm_open(&nsm, srv.addr), NW_OK);

    struct nw_nsm_description d;
    assert_int_equal(nw_nsm_describe(nsm, &d), NW_OK);
    assert_int_equal(d.max_pcrs, 32);
    assert_int_equal(d.locked_pcrs, 0xffffu);
    assert_string_equal(d.digest, "SHA384");
    assert_string_equal(d.module_id, nw_nsm_sim_module_id(sim));
    assert_true(strncmp(d.module_id, "i-0123456789abcdef0-enc", 23) == 0);

    bool locked = false;
    uint8_t v[64], v2[64], pcr4[48];
    size_t vl = 0, vl2 = 0;
    assert_int_equal(nw_nsm_describe_pcr(nsm, &locked, v, sizeof(v), &vl, 4), NW_OK);
    assert_true(locked);
    assert_int_equal(vl, 48);
    assert_int_equal(nw_nsm_pcr_of_text(pcr4, nw_cur_str("i-0123456789abcdef0")), NW_OK);
    assert_memory_equal(v, pcr4, 48);
    assert_int_equal(nw_nsm_describe_pcr(nsm, &locked, v, sizeof(v), &vl, 0), NW_OK);
    assert_memory_equal(v, measured_pcr0, 48);

    /* Extend: new = SHA-384(old || data), reported and then described. */
    assert_int_equal(nw_nsm_describe_pcr(nsm, &locked, v, sizeof(v), &vl, 16), NW_OK);
    assert_false(locked);
    uint8_t want[48];
    assert_int_equal(nw_sha384_2(want, nw_cur_of(v, 48), nw_cur_str("abc")), NW_OK);
    assert_int_equal(nw_nsm_extend_pcr(nsm, v2, sizeof(v2), &vl2, 16, nw_cur_str("abc")), NW_OK);
    assert_int_equal(vl2, 48);
    assert_memory_equal(v2, want, 48);
    assert_int_equal(nw_nsm_describe_pcr(nsm, &locked, v, sizeof(v), &vl, 16), NW_OK);
    assert_memory_equal(v, want, 48);

    /* Locks and indexes. */
    assert_int_equal(nw_nsm_extend_pcr(nsm, v, sizeof(v), &vl, 3, nw_cur_str("x")),
                     NW_ERR_NSM_READ_ONLY_INDEX);
    assert_int_equal(nw_nsm_extend_pcr(nsm, v, sizeof(v), &vl, 32, nw_cur_str("x")),
                     NW_ERR_NSM_INVALID_INDEX);
    assert_int_equal(nw_nsm_describe_pcr(nsm, &locked, v, sizeof(v), &vl, 99),
                     NW_ERR_NSM_INVALID_INDEX);
    assert_int_equal(nw_nsm_lock_pcr(nsm, 5), NW_ERR_NSM_READ_ONLY_INDEX);
    assert_int_equal(nw_nsm_lock_pcr(nsm, 40), NW_ERR_NSM_INVALID_INDEX);
    assert_int_equal(nw_nsm_lock_pcr(nsm, 17), NW_OK);
    assert_int_equal(nw_nsm_extend_pcr(nsm, v, sizeof(v), &vl, 17, nw_cur_str("x")),
                     NW_ERR_NSM_READ_ONLY_INDEX);
    assert_int_equal(nw_nsm_extend_pcr(nsm, v, sizeof(v), &vl, 18, nw_cur_str("x")), NW_OK);
    assert_int_equal(nw_nsm_lock_pcrs(nsm, 32), NW_OK);
    assert_int_equal(nw_nsm_lock_pcrs(nsm, 33), NW_ERR_NSM_INVALID_INDEX);
    assert_int_equal(nw_nsm_extend_pcr(nsm, v, sizeof(v), &vl, 18, nw_cur_str("x")),
                     NW_ERR_NSM_READ_ONLY_INDEX);
    assert_int_equal(nw_nsm_describe(nsm, &d), NW_OK);
    assert_int_equal(d.locked_pcrs, 0xffffffffu);

    /* Random: any length, differs between calls. */
    uint8_t r1[300], r2[300];
    assert_int_equal(nw_nsm_random(nsm, r1, sizeof(r1)), NW_OK);
    assert_int_equal(nw_nsm_random(nsm, r2, sizeof(r2)), NW_OK);
    assert_memory_not_equal(r1, r2, sizeof(r1));

    /* Oversized request: refused before sending, as the device's EMSGSIZE. */
    static uint8_t big[NW_NSM_REQUEST_MAX + 1];
    struct nw_buf resp;
    nw_buf_init(&resp, NW_NSM_RESPONSE_MAX, false);
    assert_int_equal(nw_nsm_call(nsm, &resp, nw_cur_of(big, sizeof(big))),
                     NW_ERR_NSM_INPUT_TOO_LARGE);
    /* The field limit of Attestation is checked on the client side. */
    static uint8_t f1025[1025];
    assert_int_equal(nw_nsm_attestation(nsm, &resp, nw_cur_of(f1025, sizeof(f1025)),
                                        nw_cur_of(NULL, 0), nw_cur_of(NULL, 0)),
                     NW_ERR_INVALID_ARG);
    nw_buf_clear(&resp);

    nw_nsm_close(nsm);
    server_stop(&srv);
    nw_nsm_sim_free(sim);
    unlink(measured_path);
}

/* The simulator's own answers to malformed requests, through nw_nsm_sim_handle. */
static void expect_sim_error(struct nw_nsm_sim *sim, struct nw_cur req, const char *name)
{
    struct nw_buf resp;
    nw_buf_init(&resp, NW_NSM_RESPONSE_MAX, false);
    assert_int_equal(nw_nsm_sim_handle(sim, &resp, req), NW_OK);
    cbor_item_t *item = NULL;
    assert_int_equal(nw_cbor_load(&item, nw_buf_cur(&resp)), NW_OK);
    assert_true(cbor_isa_map(item) && cbor_map_size(item) == 1);
    assert_true(nw_cbor_text_eq(cbor_map_handle(item)[0].key, "Error"));
    assert_true(nw_cbor_text_eq(cbor_map_handle(item)[0].value, name));
    cbor_decref(&item);
    nw_buf_clear(&resp);
}

static void test_sim_bad_requests(void **state)
{
    (void)state;
    make_measured_file("x");
    struct nw_nsm_sim *sim = new_sim(false, NULL);
    size_t n = 0;
    uint8_t *q;
    expect_sim_error(sim, nw_cur_of("\xff\x00", 2), "InvalidArgument");
    expect_sim_error(sim, nw_cur_str("\x65Hello"), "InvalidArgument");
    /* {"DescribePCR": {"index": -1}} */
    q = nwt_unhex("a16b4465736372696265504352a165696e64657820", &n);
    expect_sim_error(sim, nw_cur_of(q, n), "InvalidArgument");
    free(q);
    /* {"DescribePCR": {}} */
    q = nwt_unhex("a16b4465736372696265504352a0", &n);
    expect_sim_error(sim, nw_cur_of(q, n), "InvalidArgument");
    free(q);
    /* {"Attestation": {"nonce": half-float 0.0}}: found by fuzz_nsm */
    q = nwt_unhex("a16b4174746573746174696f6ea1656e6f6e6365f90000", &n);
    expect_sim_error(sim, nw_cur_of(q, n), "InvalidArgument");
    free(q);
    /* {"Attestation": {"nonce": 5}} */
    q = nwt_unhex("a16b4174746573746174696f6ea1656e6f6e636505", &n);
    expect_sim_error(sim, nw_cur_of(q, n), "InvalidArgument");
    free(q);
    static uint8_t big[NW_NSM_REQUEST_MAX + 1];
    expect_sim_error(sim, nw_cur_of(big, sizeof(big)), "InputTooLarge");
    nw_nsm_sim_free(sim);
    unlink(measured_path);
}

static void get_doc(
    struct nw_nsm *nsm, struct nw_buf *doc, struct nw_cur ud, struct nw_cur nonce, struct nw_cur pk)
{
    nw_buf_init(doc, NW_NSM_RESPONSE_MAX, false);
    assert_int_equal(nw_nsm_attestation(nsm, doc, ud, nonce, pk), NW_OK);
}

static void test_sim_attestation(void **state)
{
    (void)state;
    make_measured_file("nw-enclave build 1");
    struct nw_nsm_sim *sim = new_sim(false, NULL);
    struct server srv;
    server_start(&srv, sim);
    struct nw_nsm *nsm = NULL;
    assert_int_equal(nw_nsm_open(&nsm, srv.addr), NW_OK);
    struct nw_buf root, doc;
    nw_buf_init(&root, 4096, false);
    assert_int_equal(nw_nsm_sim_root_der(sim, &root), NW_OK);

    static uint8_t ud[1024], nonce[1024], pk[1024];
    memset(ud, 0x11, sizeof(ud));
    memset(nonce, 0x22, sizeof(nonce));
    memset(pk, 0x33, sizeof(pk));
    get_doc(nsm, &doc, nw_cur_of(ud, sizeof(ud)), nw_cur_of(nonce, sizeof(nonce)),
            nw_cur_of(pk, sizeof(pk)));
    assert_int_equal(doc.ptr[0], 0x84); /* untagged, as real NSMs emit */

    static struct nw_attest_doc out;
    struct nw_attest_pcr_expect pcr0 = {.index = 0};
    memcpy(pcr0.value, measured_pcr0, 48);
    struct nw_attest_opts o = {.time_s = (int64_t)(fixed_clock_ms / 1000),
                               .root = nw_buf_cur(&root),
                               .pcrs = &pcr0,
                               .pcr_count = 1,
                               .max_age_ms = 60000,
                               .nonce = nw_cur_of(nonce, sizeof(nonce)),
                               .public_key = nw_cur_of(pk, sizeof(pk)),
                               .reject_debug = true};
    assert_int_equal(nw_attest_verify(&out, &o, nw_buf_cur(&doc)), NW_OK);
    assert_int_equal(out.timestamp_ms, fixed_clock_ms);
    assert_string_equal(out.module_id, nw_nsm_sim_module_id(sim));
    assert_int_equal(out.pcr_present, 0xffffu);
    assert_true(out.has_user_data && out.user_data_len == 1024);
    assert_memory_equal(out.user_data, ud, 1024);
    assert_int_equal(out.cabundle_count, 4);
    assert_false(out.debug_mode);

    /* Policy failures, each with its own code. */
    struct nw_attest_opts bad = o;
    bad.root = nw_cur_of(NULL, 0); /* the pinned AWS root: the dev chain is refused */
    assert_int_equal(nw_attest_verify(&out, &bad, nw_buf_cur(&doc)), NW_ERR_ATTEST_ROOT_MISMATCH);
    bad = o;
    struct nw_attest_pcr_expect other = pcr0;
    other.value[0] ^= 1;
    bad.pcrs = &other;
    assert_int_equal(nw_attest_verify(&out, &bad, nw_buf_cur(&doc)), NW_ERR_ATTEST_PCR_MISMATCH);
    assert_int_equal(out.timestamp_ms, 0); /* zeroed on failure */
    struct nw_attest_pcr_expect p20 = {.index = 20};
    bad.pcrs = &p20;
    assert_int_equal(nw_attest_verify(&out, &bad, nw_buf_cur(&doc)), NW_ERR_ATTEST_PCR_MISSING);
    bad = o;
    bad.time_s += 61;
    assert_int_equal(nw_attest_verify(&out, &bad, nw_buf_cur(&doc)), NW_ERR_ATTEST_STALE);
    bad.time_s = o.time_s - 1; /* before the leaf's notBefore (= the document timestamp) */
    assert_int_equal(nw_attest_verify(&out, &bad, nw_buf_cur(&doc)),
                     NW_ERR_ATTEST_CERT_NOT_YET_VALID);
    bad = o;
    bad.nonce = nw_cur_of(nonce, 1023);
    assert_int_equal(nw_attest_verify(&out, &bad, nw_buf_cur(&doc)), NW_ERR_ATTEST_NONCE_MISMATCH);
    bad = o;
    bad.public_key = nw_cur_of(ud, sizeof(ud));
    assert_int_equal(nw_attest_verify(&out, &bad, nw_buf_cur(&doc)), NW_ERR_ATTEST_KEY_MISMATCH);
    bad = o;
    bad.time_s += 3 * 3600 + 1; /* the 3-hour leaf has expired */
    bad.max_age_ms = 0;
    assert_int_equal(nw_attest_verify(&out, &bad, nw_buf_cur(&doc)), NW_ERR_ATTEST_CERT_EXPIRED);
    nw_buf_clear(&doc);

    /* Absent fields come out as null; the tag-18 form verifies as well. */
    get_doc(nsm, &doc, nw_cur_of(NULL, 0), nw_cur_of(NULL, 0), nw_cur_of(NULL, 0));
    o.nonce = o.public_key = nw_cur_of(NULL, 0);
    assert_int_equal(nw_attest_verify(&out, &o, nw_buf_cur(&doc)), NW_OK);
    assert_false(out.has_user_data || out.has_nonce || out.has_public_key);
    nw_buf_clear(&doc);

    nw_nsm_close(nsm);
    server_stop(&srv);
    nw_nsm_sim_free(sim);

    /* A rebuilt binary measures differently: the old PCR0 policy denies it. */
    unlink(measured_path);
    make_measured_file("nw-enclave build 2");
    sim = new_sim(false, NULL);
    struct nw_buf resp, root2;
    nw_buf_init(&resp, NW_NSM_RESPONSE_MAX, false);
    nw_buf_init(&root2, 4096, false);
    assert_int_equal(nw_nsm_sim_root_der(sim, &root2), NW_OK);
    assert_int_equal(nw_nsm_sim_handle(sim, &resp,
                                       nw_cur_of("\xa1\x6b"
                                                 "Attestation\xa0",
                                                 14)),
                     NW_OK);
    cbor_item_t *item = NULL;
    assert_int_equal(nw_cbor_load(&item, nw_buf_cur(&resp)), NW_OK);
    const cbor_item_t *inner = cbor_map_handle(item)[0].value;
    struct nw_cur d2 = nw_cbor_bytes(cbor_map_handle(inner)[0].value);
    o.root = nw_buf_cur(&root2);
    assert_int_equal(nw_attest_verify(&out, &o, d2), NW_ERR_ATTEST_PCR_MISMATCH);
    o.pcr_count = 0;
    assert_int_equal(nw_attest_verify(&out, &o, d2), NW_OK);
    cbor_decref(&item);
    nw_buf_clear(&resp);
    nw_buf_clear(&root2);
    nw_buf_clear(&root);
    nw_nsm_sim_free(sim);
    unlink(measured_path);
}

static void test_sim_debug(void **state)
{
    (void)state;
    make_measured_file("nw-enclave");
    struct nw_nsm_sim *sim = new_sim(true, NULL);
    uint8_t z[48] = {0}, v[48];
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(nw_nsm_sim_pcr(sim, v, i), NW_OK);
        assert_memory_equal(v, z, 48);
    }
    assert_int_equal(nw_nsm_sim_pcr(sim, v, 4), NW_OK);
    assert_memory_not_equal(v, z, 48);
    assert_int_equal(nw_nsm_sim_pcr(sim, v, 32), NW_ERR_INVALID_ARG);
    struct nw_buf resp, root;
    nw_buf_init(&resp, NW_NSM_RESPONSE_MAX, false);
    nw_buf_init(&root, 4096, false);
    assert_int_equal(nw_nsm_sim_root_der(sim, &root), NW_OK);
    assert_int_equal(nw_nsm_sim_handle(sim, &resp,
                                       nw_cur_of("\xa1\x6b"
                                                 "Attestation\xa0",
                                                 14)),
                     NW_OK);
    cbor_item_t *item = NULL;
    assert_int_equal(nw_cbor_load(&item, nw_buf_cur(&resp)), NW_OK);
    const cbor_item_t *inner = cbor_map_handle(item)[0].value;
    struct nw_cur d = nw_cbor_bytes(cbor_map_handle(inner)[0].value);
    static struct nw_attest_doc out;
    struct nw_attest_opts o = {
        .time_s = (int64_t)(fixed_clock_ms / 1000), .root = nw_buf_cur(&root), .allow_debug = true};
    assert_int_equal(nw_attest_verify(&out, &o, d), NW_OK);
    assert_true(out.debug_mode);
    o.allow_debug = false; /* the default */
    assert_int_equal(nw_attest_verify(&out, &o, d), NW_ERR_ATTEST_DEBUG_MODE);
    cbor_decref(&item);
    nw_buf_clear(&resp);
    nw_buf_clear(&root);
    nw_nsm_sim_free(sim);
    unlink(measured_path);
}

static void test_sim_state_dir(void **state)
{
    (void)state;
    char dir[] = "/tmp/nw-nsmstate-XXXXXX";
    assert_non_null(mkdtemp(dir));
    measured_path[0] = '\0';
    struct nw_nsm_sim_opts o = {.state_dir = dir};
    struct nw_nsm_sim *a = NULL, *b = NULL;
    assert_int_equal(nw_nsm_sim_new(&a, &o), NW_OK);
    assert_int_equal(nw_nsm_sim_new(&b, &o), NW_OK);
    struct nw_buf ra, rb;
    nw_buf_init(&ra, 4096, false);
    nw_buf_init(&rb, 4096, false);
    assert_int_equal(nw_nsm_sim_root_der(a, &ra), NW_OK);
    assert_int_equal(nw_nsm_sim_root_der(b, &rb), NW_OK);
    assert_true(nw_cur_eq(nw_buf_cur(&ra), nw_buf_cur(&rb)));
    char kp[128], cp[128];
    snprintf(kp, sizeof(kp), "%s/nsm-root.key.pem", dir);
    snprintf(cp, sizeof(cp), "%s/nsm-root.pem", dir);
    struct stat st;
    assert_int_equal(stat(kp, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    nw_nsm_sim_free(a);
    nw_nsm_sim_free(b);
    /* A corrupt key file, then a missing one: the state is refused, never silently replaced. */
    FILE *f = fopen(kp, "w");
    fputs("not a key\n", f);
    fclose(f);
    assert_int_equal(nw_nsm_sim_new(&a, &o), NW_ERR_NSM_SIM_STATE);
    unlink(kp);
    assert_int_equal(nw_nsm_sim_new(&a, &o), NW_ERR_NSM_SIM_STATE);
    unlink(cp);
    struct nw_nsm_sim_opts missing = {.measure_path = "/nonexistent/nw-enclave"};
    assert_int_equal(nw_nsm_sim_new(&a, &missing), NW_ERR_IO);
    struct nw_nsm_sim_opts nodir = {.state_dir = "/nonexistent/dir"};
    assert_int_equal(nw_nsm_sim_new(&a, &nodir), NW_ERR_NSM_SIM_STATE);
    nw_buf_clear(&ra);
    nw_buf_clear(&rb);
    rmdir(dir);
}

/* ---- a fake device answering one canned frame, for client-side error handling ---- */

struct fake {
    int lfd;
    const uint8_t *answer;
    size_t answer_len;
    pthread_t th;
};

/* Read exactly n bytes (the client writes header and body separately). */
static bool read_n(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = recv(fd, p, n, 0);
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static void *fake_main(void *arg)
{
    struct fake *f = arg;
    int c = accept(f->lfd, NULL, NULL);
    if (c < 0)
        return NULL;
    uint8_t buf[8192];
    if (!read_n(c, buf, 4)) {
        close(c);
        return NULL;
    }
    size_t len = (size_t)buf[2] << 8 | buf[3];
    if (len > sizeof(buf) || !read_n(c, buf, len)) {
        close(c);
        return NULL;
    }
    if (f->answer != NULL) {
        uint8_t hdr[4] = {0, 0, (uint8_t)(f->answer_len >> 8), (uint8_t)f->answer_len};
        if (send(c, hdr, 4, MSG_NOSIGNAL) == 4 && f->answer_len > 0) {
            ssize_t n = send(c, f->answer, f->answer_len, MSG_NOSIGNAL);
            (void)n;
        }
    }
    close(c);
    return NULL;
}

static nw_err fake_call(const char *answer_hex, int mode)
{
    char dir[] = "/tmp/nw-fake-XXXXXX", path[128], addr[140];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/s", dir);
    snprintf(addr, sizeof(addr), "unix:%s", path);
    struct fake f = {0};
    size_t n = 0;
    uint8_t *ans = answer_hex != NULL ? nwt_unhex(answer_hex, &n) : NULL;
    f.answer = ans;
    f.answer_len = n;
    f.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    assert_int_equal(bind(f.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(f.lfd, 1), 0);
    assert_int_equal(pthread_create(&f.th, NULL, fake_main, &f), 0);
    struct nw_nsm *nsm = NULL;
    assert_int_equal(nw_nsm_open(&nsm, addr), NW_OK);
    nw_err err;
    if (mode == 1) {
        err = nw_nsm_lock_pcr(nsm, 16);
    } else if (mode == 2) {
        bool locked;
        uint8_t v[64];
        size_t vl;
        err = nw_nsm_describe_pcr(nsm, &locked, v, sizeof(v), &vl, 0);
    } else {
        uint8_t r[16];
        err = nw_nsm_random(nsm, r, sizeof(r));
    }
    nw_nsm_close(nsm);
    pthread_join(f.th, NULL);
    close(f.lfd);
    unlink(path);
    rmdir(dir);
    free(ans);
    return err;
}

static void test_client_errors(void **state)
{
    (void)state;
    struct nw_nsm *nsm = NULL;
    assert_int_equal(nw_nsm_open(&nsm, "unix:/nonexistent/nsm.sock"), NW_ERR_NSM_UNAVAILABLE);
    assert_int_equal(nw_nsm_open(&nsm, "/nonexistent/nsm"), NW_ERR_NSM_UNAVAILABLE);
    assert_int_equal(nw_nsm_open(&nsm, "unix:"), NW_ERR_INVALID_ARG);
    assert_null(nsm);
    /* Each NSM error name arrives as its code: {"Error": name} */
    static const char *names[] = {"InvalidArgument", "InvalidIndex",     "InvalidResponse",
                                  "ReadOnlyIndex",   "InvalidOperation", "BufferTooSmall",
                                  "InputTooLarge",   "InternalError",    "SomethingNew"};
    for (size_t i = 0; i < NW_ARRAY_LEN(names); i++) {
        char hex[128] = "a1654572726f72";
        size_t len = strlen(names[i]);
        snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%02x", (unsigned)(0x60 + len));
        for (size_t k = 0; k < len; k++)
            snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%02x",
                     (unsigned char)names[i][k]);
        nw_err want = nw_nsm_error_from_name(nw_cur_str(names[i]));
        assert_int_equal(fake_call(hex, 0), want);
    }
    /* Wrong variant, garbage, empty random, unit answer to the wrong request, closed peer. */
    assert_int_equal(fake_call("a1684c6f636b50435273a0", 0), NW_ERR_NSM_RESPONSE);
    assert_int_equal(fake_call("ffff", 0), NW_ERR_NSM_RESPONSE);
    assert_int_equal(fake_call("a16947657452616e646f6da16672616e646f6d40", 0), NW_ERR_NSM_RESPONSE);
    assert_int_equal(fake_call("684c6f636b50435273", 1), NW_ERR_NSM_RESPONSE);
    assert_int_equal(fake_call("674c6f636b504352", 1), NW_OK);
    assert_int_equal(fake_call(NULL, 0), NW_ERR_NSM_IO);
    assert_int_equal(fake_call("", 0), NW_ERR_NSM_RESPONSE);
    /* {"DescribePCR": {"lock": half-float, "data": h''}}: a float where a bool belongs */
    assert_int_equal(fake_call("a16b4465736372696265504352a2646c6f636bf90000646461746140", 2),
                     NW_ERR_NSM_RESPONSE);
}

static void test_measure(void **state)
{
    (void)state;
    uint8_t p0[48], p1[48], p2[48], want1[48];
    make_measured_file("hello");
    assert_int_equal(nw_nsm_measure_file(p0, p1, p2, measured_path), NW_OK);
    assert_memory_equal(p0, measured_pcr0, 48);
    assert_memory_equal(p2, measured_pcr0, 48);
    /* PCR1 = SHA-384(0^48 || SHA-384("")) */
    uint8_t e[48];
    unsigned int n = 0;
    assert_int_equal(EVP_Digest("", 0, e, &n, EVP_sha384(), NULL), 1);
    assert_int_equal(nw_nsm_pcr_of_text(want1, nw_cur_of(e, 48)), NW_OK);
    assert_memory_equal(p1, want1, 48);
    unlink(measured_path);
    assert_int_equal(nw_nsm_measure_file(p0, p1, p2, measured_path), NW_ERR_IO);
    /* PCR4 of a real document (nitro-protocols.md 2.5): i-09b153b9b6859a1de -> 17354aa3... */
    assert_int_equal(nw_nsm_pcr_of_text(p0, nw_cur_str("i-09b153b9b6859a1de")), NW_OK);
    assert_int_equal(p0[0], 0x17);
    assert_int_equal(p0[1], 0x35);
    assert_int_equal(p0[2], 0x4a);
    assert_int_equal(p0[3], 0xa3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_vectors), cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_sim_semantics),   cmocka_unit_test(test_sim_bad_requests),
        cmocka_unit_test(test_sim_attestation), cmocka_unit_test(test_sim_debug),
        cmocka_unit_test(test_sim_state_dir),   cmocka_unit_test(test_client_errors),
        cmocka_unit_test(test_measure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

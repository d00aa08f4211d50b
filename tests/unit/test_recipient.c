/*
 * The KMS Recipient flow end to end, without HTTP: the enclave side (recipient key, NSM
 * attestation over the simulator's unix socket, decryption) against the KMS side (document
 * verification with the development root, key-policy conditions, CiphertextForRecipient).
 */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nw/attest.h>
#include <nw/cms.h>
#include <nw/hex.h>
#include <nw/nsm.h>
#include <nw/nsm_sim.h>

#include "nwtest.h"

static uint64_t clock_ms = 1750000000000ull;
static uint64_t test_clock(void *ctx)
{
    (void)ctx;
    return clock_ms;
}

struct server {
    struct nw_nsm_sim *sim;
    char dir[64], path[128], addr[140];
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

/* A simulator measuring a file with the given content, served on a fresh unix socket. */
static void start(struct server *s, const char *content, char *file, size_t file_cap)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/nw-rcp-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(file, file_cap, "%s/nw-enclave", s->dir);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    struct nw_nsm_sim_opts o = {.measure_path = file,
                                .instance_id = "i-0abcdef0123456789",
                                .region = "us-east-1",
                                .now_ms = test_clock};
    assert_int_equal(nw_nsm_sim_new(&s->sim, &o), NW_OK);
    snprintf(s->path, sizeof(s->path), "%s/nsm.sock", s->dir);
    snprintf(s->addr, sizeof(s->addr), "unix:%s", s->path);
    assert_int_equal(pthread_create(&s->th, NULL, serve_main, s), 0);
    for (int i = 0; i < 200 && access(s->path, F_OK) != 0; i++)
        usleep(10000);
}

static void stop(struct server *s, const char *file)
{
    s->stop = 1;
    pthread_join(s->th, NULL);
    nw_nsm_sim_free(s->sim);
    unlink(file);
    rmdir(s->dir);
}

/* Enclave side: a recipient key and its attestation document. */
static void enclave_attest(struct nw_recipient *r, struct server *s, struct nw_buf *doc)
{
    struct nw_nsm *nsm = NULL;
    assert_int_equal(nw_nsm_open(&nsm, s->addr), NW_OK);
    nw_buf_init(doc, NW_NSM_RESPONSE_MAX, false);
    assert_int_equal(nw_recipient_attest(r, nsm, doc, nw_cur_of(NULL, 0), nw_cur_of(NULL, 0)),
                     NW_OK);
    nw_nsm_close(nsm);
}

static void test_recipient_flow(void **state)
{
    (void)state;
    struct server s;
    char file[128];
    start(&s, "nw-enclave build 1", file, sizeof(file));
    uint8_t pcr0[48], pcr1[48], pcr2[48];
    assert_int_equal(nw_nsm_measure_file(pcr0, pcr1, pcr2, file), NW_OK);
    char pcr0_hex[97], pcr0_upper[97];
    assert_int_equal(nw_hex_encode(pcr0_hex, sizeof(pcr0_hex), pcr0, 48, false), NW_OK);
    for (size_t i = 0; i < 97; i++)
        pcr0_upper[i] =
            (char)(pcr0_hex[i] >= 'a' && pcr0_hex[i] <= 'f' ? pcr0_hex[i] - 32 : pcr0_hex[i]);

    struct nw_buf doc, root;
    struct nw_recipient *r = NULL;
    assert_int_equal(nw_recipient_new(&r, (int64_t)(clock_ms / 1000)), NW_OK);
    enclave_attest(r, &s, &doc);
    nw_buf_init(&root, 4096, false);
    assert_int_equal(nw_nsm_sim_root_der(s.sim, &root), NW_OK);

    /* KMS side. */
    static struct nw_attest_doc d;
    struct nw_attest_opts o = {.time_s = (int64_t)(clock_ms / 1000) + 30,
                               .root = nw_buf_cur(&root)};
    assert_int_equal(nw_recipient_doc_verify(&d, &o, nw_buf_cur(&doc)), NW_OK);
    const char *img = "kms:RecipientAttestation:ImageSha384";
    assert_int_equal(nw_attest_kms_condition(&d, img, pcr0_hex), NW_OK);
    assert_int_equal(nw_attest_kms_condition(&d, img, pcr0_upper), NW_OK);
    assert_int_equal(nw_attest_kms_condition(&d, "kms:recipientattestation:pcr0", pcr0_hex), NW_OK);
    uint8_t pcr4[48];
    char pcr4_hex[97];
    assert_int_equal(nw_nsm_pcr_of_text(pcr4, nw_cur_str("i-0abcdef0123456789")), NW_OK);
    assert_int_equal(nw_hex_encode(pcr4_hex, sizeof(pcr4_hex), pcr4, 48, false), NW_OK);
    assert_int_equal(nw_attest_kms_condition(&d, "kms:RecipientAttestation:PCR4", pcr4_hex), NW_OK);
    /* A policy pinned to another PCR0 is denied. */
    char other[97];
    memcpy(other, pcr0_hex, sizeof(other));
    other[0] = other[0] == '0' ? '1' : '0';
    assert_int_equal(nw_attest_kms_condition(&d, img, other), NW_ERR_ATTEST_PCR_MISMATCH);
    assert_int_equal(nw_attest_kms_condition(&d, img, "00"), NW_ERR_ATTEST_PCR_MISMATCH);
    assert_int_equal(nw_attest_kms_condition(&d, "kms:RecipientAttestation:PCR20", pcr0_hex),
                     NW_ERR_ATTEST_PCR_MISSING);
    assert_int_equal(nw_attest_kms_condition(&d, "kms:RecipientAttestation:PCR32", pcr0_hex),
                     NW_ERR_UNSUPPORTED);
    assert_int_equal(nw_attest_kms_condition(&d, "kms:RecipientAttestation:PCR01", pcr0_hex),
                     NW_ERR_UNSUPPORTED);
    assert_int_equal(nw_attest_kms_condition(&d, "kms:ViaService", "x"), NW_ERR_UNSUPPORTED);

    /* CiphertextForRecipient for the attested key; only the enclave opens it. */
    uint8_t key[32];
    assert_int_equal(RAND_bytes(key, sizeof(key)), 1);
    struct nw_buf ct, pt;
    nw_buf_init(&ct, NW_CMS_MAX, false);
    nw_buf_init(&pt, 4096, true);
    assert_int_equal(nw_cms_envelope(&ct, nw_cur_of(d.public_key, d.public_key_len),
                                     nw_cur_of(key, sizeof(key))),
                     NW_OK);
    assert_int_equal(nw_recipient_decrypt(r, &pt, nw_buf_cur(&ct)), NW_OK);
    assert_int_equal(pt.len, 32);
    assert_memory_equal(pt.ptr, key, 32);
    assert_int_equal(nw_recipient_check_age(r, o.time_s, 300), NW_OK);
    assert_int_equal(nw_recipient_check_age(r, o.time_s + 300, 300), NW_ERR_RECIPIENT_EXPIRED);
    nw_buf_clear(&doc);

    /* A document without a public key, or with one KMS does not take. */
    struct nw_nsm *nsm = NULL;
    assert_int_equal(nw_nsm_open(&nsm, s.addr), NW_OK);
    nw_buf_init(&doc, NW_NSM_RESPONSE_MAX, false);
    assert_int_equal(
        nw_nsm_attestation(nsm, &doc, nw_cur_of(NULL, 0), nw_cur_of(NULL, 0), nw_cur_of(NULL, 0)),
        NW_OK);
    assert_int_equal(nw_recipient_doc_verify(&d, &o, nw_buf_cur(&doc)), NW_ERR_RECIPIENT_KEY);
    doc.len = 0;
    uint8_t x25519[32] = {9};
    assert_int_equal(nw_nsm_attestation(nsm, &doc, nw_cur_of(NULL, 0), nw_cur_of(NULL, 0),
                                        nw_cur_of(x25519, sizeof(x25519))),
                     NW_OK);
    assert_int_equal(nw_recipient_doc_verify(&d, &o, nw_buf_cur(&doc)), NW_ERR_RECIPIENT_KEY);
    /* Against the AWS root: refused. */
    struct nw_attest_opts aws = {.time_s = o.time_s};
    assert_int_equal(nw_recipient_doc_verify(&d, &aws, nw_buf_cur(&doc)),
                     NW_ERR_ATTEST_ROOT_MISMATCH);
    nw_nsm_close(nsm);
    nw_buf_clear(&doc);
    stop(&s, file);

    /* A rebuilt enclave binary: its documents fail the old policy. */
    start(&s, "nw-enclave build 2", file, sizeof(file));
    enclave_attest(r, &s, &doc);
    root.len = 0;
    assert_int_equal(nw_nsm_sim_root_der(s.sim, &root), NW_OK);
    o.root = nw_buf_cur(&root);
    assert_int_equal(nw_recipient_doc_verify(&d, &o, nw_buf_cur(&doc)), NW_OK);
    assert_int_equal(nw_attest_kms_condition(&d, img, pcr0_hex), NW_ERR_ATTEST_PCR_MISMATCH);
    nw_recipient_free(r);
    nw_buf_clear(&doc);
    stop(&s, file);

    nw_buf_clear(&root);
    nw_buf_clear(&ct);
    nw_buf_clear(&pt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recipient_flow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * NSM simulator: state (PCRs, locks, module id, development CA) and the request handler.
 * Behaviour follows AWS's device test nsm-check.rs and the real documents described in
 * nitro-protocols.md 1.5 and 2; what no public source settles is marked [U] below.
 */
#include <errno.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <nw/hex.h>
#include <nw/mem.h>
#include <nw/nsm.h>
#include <nw/nsm_sim.h>

#include "attest_int.h"
#include "devca.h"
#include "sim_int.h"

#define PCRS        32
#define BOOT_LOCKED 16 /* PCRs 0..15 locked from boot */
#define DOC_PCRS    16 /* real documents carry PCRs 0..15 [I: every public sample] */
#define LEAF_LIFE_S ((int64_t)3 * 3600)
#define HOUR_S      ((int64_t)3600)
#define DAY_S       ((int64_t)24 * 3600)
#define ROOT_LIFE_S ((int64_t)30 * 365 * DAY_S)

struct nw_nsm_sim {
    pthread_mutex_t mu;
    uint8_t pcr[PCRS][48];
    uint32_t locked;
    char instance_id[64];
    char region[32];
    char module_id[128];
    EVP_PKEY *root_key, *reg_key, *zon_key, *inst_key;
    X509 *root, *reg, *zon, *inst;
    int64_t inst_not_before_s, inst_not_after_s;
    uint64_t (*now_ms)(void *ctx);
    void *clock_ctx;
};

static uint64_t real_now_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static nw_err random_hex(char *out, size_t digits)
{
    uint8_t r[16];
    char hex[33];
    NW_ENSURE(digits <= 32, NW_ERR_INVALID_ARG);
    NW_ENSURE(RAND_bytes(r, sizeof(r)) == 1, NW_ERR_CRYPTO);
    NW_TRY(nw_hex_encode(hex, sizeof(hex), r, sizeof(r), false));
    memcpy(out, hex, digits);
    out[digits] = '\0';
    return NW_OK;
}

static nw_err make_root(struct nw_nsm_sim *sim, int64_t now_s)
{
    NW_TRY(nw_devca_keygen(&sim->root_key));
    struct nw_devca_cert spec = {
        .subject = {.c = "US",
                    .o = "nitro-wallet development",
                    .ou = "AWS",
                    .cn = "aws.nitro-enclaves"},
        .key = sim->root_key,
        .issuer_key = sim->root_key,
        .not_before_s = now_s - HOUR_S,
        .not_after_s = now_s + ROOT_LIFE_S,
        .basic_constraints = "critical,CA:TRUE",
        .key_usage = "critical,digitalSignature,keyCertSign,cRLSign",
    };
    return nw_devca_issue(&sim->root, &spec);
}

static void free_intermediates(struct nw_nsm_sim *sim)
{
    X509_free(sim->reg);
    X509_free(sim->zon);
    X509_free(sim->inst);
    EVP_PKEY_free(sim->reg_key);
    EVP_PKEY_free(sim->zon_key);
    EVP_PKEY_free(sim->inst_key);
    sim->reg = sim->zon = sim->inst = NULL;
    sim->reg_key = sim->zon_key = sim->inst_key = NULL;
}

/* Regional (20 days, pathLen 2), zonal (6 days, pathLen 1), instance (1 day, pathLen 0). */
static nw_err make_intermediates(struct nw_nsm_sim *sim, int64_t now_s)
{
    char h1[17], h2[17], cn_reg[96], cn_zon[112], cn_inst[128];
    free_intermediates(sim);
    NW_TRY(random_hex(h1, 16));
    NW_TRY(random_hex(h2, 16));
    (void)snprintf(cn_reg, sizeof(cn_reg), "%s.%s.aws.nitro-enclaves", h1, sim->region);
    (void)snprintf(cn_zon, sizeof(cn_zon), "%s.zonal.%s.aws.nitro-enclaves", h2, sim->region);
    (void)snprintf(cn_inst, sizeof(cn_inst), "%s.%s.aws.nitro-enclaves", sim->instance_id,
                   sim->region);
    NW_TRY(nw_devca_keygen(&sim->reg_key));
    NW_TRY(nw_devca_keygen(&sim->zon_key));
    NW_TRY(nw_devca_keygen(&sim->inst_key));
    const char *ku_ca = "critical,digitalSignature,keyCertSign,cRLSign";
    struct nw_devca_cert reg = {
        .subject = {.c = "US", .o = "nitro-wallet development", .ou = "AWS", .cn = cn_reg},
        .key = sim->reg_key,
        .issuer = sim->root,
        .issuer_key = sim->root_key,
        .not_before_s = now_s - HOUR_S,
        .not_after_s = now_s + 20 * DAY_S,
        .basic_constraints = "critical,CA:TRUE,pathlen:2",
        .key_usage = ku_ca};
    NW_TRY(nw_devca_issue(&sim->reg, &reg));
    struct nw_devca_cert zon = {.subject = {.c = "US",
                                            .st = "WA",
                                            .l = "Seattle",
                                            .o = "nitro-wallet development",
                                            .ou = "AWS",
                                            .cn = cn_zon},
                                .key = sim->zon_key,
                                .issuer = sim->reg,
                                .issuer_key = sim->reg_key,
                                .not_before_s = now_s - HOUR_S,
                                .not_after_s = now_s + 6 * DAY_S,
                                .basic_constraints = "critical,CA:TRUE,pathlen:1",
                                .key_usage = ku_ca};
    NW_TRY(nw_devca_issue(&sim->zon, &zon));
    struct nw_devca_cert inst = {.subject = {.c = "US",
                                             .st = "Washington",
                                             .l = "Seattle",
                                             .o = "nitro-wallet development",
                                             .ou = "AWS",
                                             .cn = cn_inst},
                                 .key = sim->inst_key,
                                 .issuer = sim->zon,
                                 .issuer_key = sim->zon_key,
                                 .not_before_s = now_s - HOUR_S,
                                 .not_after_s = now_s + DAY_S,
                                 .basic_constraints = "critical,CA:TRUE,pathlen:0",
                                 .key_usage = "critical,keyCertSign"};
    NW_TRY(nw_devca_issue(&sim->inst, &inst));
    sim->inst_not_before_s = inst.not_before_s;
    sim->inst_not_after_s = inst.not_after_s;
    return NW_OK;
}

static nw_err load_or_make_root(struct nw_nsm_sim *sim, const char *dir, int64_t now_s)
{
    if (dir == NULL)
        return make_root(sim, now_s);
    nw_err err = nw_devca_root_load(&sim->root_key, &sim->root, dir);
    if (err != NW_ERR_NOT_FOUND)
        return err;
    NW_TRY(make_root(sim, now_s));
    return nw_devca_root_save(dir, sim->root_key, sim->root);
}

static nw_err init_pcrs(struct nw_nsm_sim *sim, const struct nw_nsm_sim_opts *opts)
{
    memset(sim->pcr, 0, sizeof(sim->pcr));
    if (opts->measure_path != NULL)
        NW_TRY(nw_nsm_measure_file(sim->pcr[0], sim->pcr[1], sim->pcr[2], opts->measure_path));
    if (opts->role_arn != NULL)
        NW_TRY(nw_nsm_pcr_of_text(sim->pcr[3], nw_cur_str(opts->role_arn)));
    NW_TRY(nw_nsm_pcr_of_text(sim->pcr[4], nw_cur_str(sim->instance_id)));
    if (opts->debug)
        memset(sim->pcr, 0, 4 * sizeof(sim->pcr[0])); /* PCR0-3 zero; PCR4 stays */
    sim->locked = (1u << BOOT_LOCKED) - 1;
    return NW_OK;
}

nw_err nw_nsm_sim_new(struct nw_nsm_sim **out, const struct nw_nsm_sim_opts *opts)
{
    nw_err err = NW_OK;
    *out = NULL;
    struct nw_nsm_sim *sim = nw_calloc(1, sizeof(*sim));
    NW_ENSURE(sim != NULL, NW_ERR_NOMEM);
    NW_CHECK_COND(pthread_mutex_init(&sim->mu, NULL) == 0, NW_ERR_NOMEM);
    sim->now_ms = opts->now_ms != NULL ? opts->now_ms : real_now_ms;
    sim->clock_ctx = opts->clock_ctx;
    const char *region = opts->region != NULL ? opts->region : "us-east-1";
    NW_CHECK_COND(strlen(region) < sizeof(sim->region) && region[0] != '\0', NW_ERR_INVALID_ARG);
    memcpy(sim->region, region, strlen(region) + 1);
    if (opts->instance_id != NULL) {
        size_t n = strlen(opts->instance_id);
        NW_CHECK_COND(n > 0 && n < sizeof(sim->instance_id), NW_ERR_INVALID_ARG);
        memcpy(sim->instance_id, opts->instance_id, n + 1);
    } else {
        memcpy(sim->instance_id, "i-", 2);
        NW_CHECK(random_hex(sim->instance_id + 2, 17));
    }
    char enc[17];
    NW_CHECK(random_hex(enc, 16));
    (void)snprintf(sim->module_id, sizeof(sim->module_id), "%s-enc%s", sim->instance_id, enc);
    NW_CHECK(init_pcrs(sim, opts));
    int64_t now_s = (int64_t)(sim->now_ms(sim->clock_ctx) / 1000u);
    NW_CHECK(load_or_make_root(sim, opts->state_dir, now_s));
    NW_CHECK(make_intermediates(sim, now_s));
    *out = sim;
    sim = NULL;
out:
    nw_nsm_sim_free(sim);
    return err;
}

void nw_nsm_sim_free(struct nw_nsm_sim *sim)
{
    if (sim == NULL)
        return;
    free_intermediates(sim);
    X509_free(sim->root);
    EVP_PKEY_free(sim->root_key);
    pthread_mutex_destroy(&sim->mu);
    nw_wipe(sim, sizeof(*sim));
    nw_free(sim);
}

nw_err nw_nsm_sim_root_der(struct nw_nsm_sim *sim, struct nw_buf *out)
{
    return nw_devca_der(out, sim->root);
}

const char *nw_nsm_sim_module_id(const struct nw_nsm_sim *sim)
{
    return sim->module_id;
}

nw_err nw_nsm_sim_pcr(struct nw_nsm_sim *sim, uint8_t out48[48], unsigned index)
{
    NW_ENSURE(index < PCRS, NW_ERR_INVALID_ARG);
    pthread_mutex_lock(&sim->mu);
    memcpy(out48, sim->pcr[index], 48);
    pthread_mutex_unlock(&sim->mu);
    return NW_OK;
}

/* ---- answers ---- */

static nw_err answer_text(struct nw_buf *resp, const char *text)
{
    cbor_item_t *s = cbor_build_string(text);
    NW_ENSURE(s != NULL, NW_ERR_NOMEM);
    nw_err err = nw_cbor_serialize(resp, s);
    cbor_decref(&s);
    return err;
}

/* {name: value}, taking ownership of value. */
static nw_err answer_variant(struct nw_buf *resp, const char *name, cbor_item_t *value)
{
    cbor_item_t *m = cbor_new_definite_map(1);
    nw_err err = NW_ERR_NOMEM;
    if (m == NULL) {
        if (value != NULL)
            cbor_decref(&value);
        return err;
    }
    if (nw_cbor_map_put(m, name, value))
        err = nw_cbor_serialize(resp, m);
    cbor_decref(&m);
    return err;
}

nw_err nw_nsm_sim_answer_error(struct nw_buf *resp, nw_err code)
{
    const char *name = nw_nsm_error_name(code);
    return answer_variant(resp, "Error", cbor_build_string(name != NULL ? name : "InternalError"));
}

/* ---- request fields ---- */

static const cbor_item_t *req_field(const cbor_item_t *map, const char *key)
{
    struct cbor_pair *p = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++) {
        if (nw_cbor_text_eq(p[i].key, key))
            return p[i].value;
    }
    return NULL;
}

static nw_err req_u16(uint16_t *out, const cbor_item_t *map, const char *key)
{
    const cbor_item_t *v = req_field(map, key);
    NW_ENSURE(v != NULL && cbor_isa_uint(v) && cbor_get_int(v) <= UINT16_MAX,
              NW_ERR_NSM_INVALID_ARGUMENT);
    *out = (uint16_t)cbor_get_int(v);
    return NW_OK;
}

/* Optional bstr: absent or null -> ptr NULL (nitro-protocols.md 1.2: accept both). */
static nw_err req_opt_bytes(struct nw_cur *out, const cbor_item_t *map, const char *key)
{
    const cbor_item_t *v = req_field(map, key);
    *out = nw_cur_of(NULL, 0);
    if (v == NULL || nw_cbor_is_null(v))
        return NW_OK;
    NW_ENSURE(cbor_isa_bytestring(v) && cbor_bytestring_length(v) <= NW_NSM_USER_MAX,
              NW_ERR_NSM_INVALID_ARGUMENT);
    *out = nw_cbor_bytes(v);
    if (out->ptr == NULL)
        *out = nw_cur_of("", 0); /* an empty byte string is present, not null */
    return NW_OK;
}

/* ---- operations (called with the lock held) ---- */

static nw_err op_describe_pcr(struct nw_nsm_sim *sim, struct nw_buf *resp, const cbor_item_t *b)
{
    uint16_t idx = 0;
    NW_TRY(req_u16(&idx, b, "index"));
    NW_ENSURE(idx < PCRS, NW_ERR_NSM_INVALID_INDEX);
    cbor_item_t *m = cbor_new_definite_map(2);
    NW_ENSURE(m != NULL, NW_ERR_NOMEM);
    if (!nw_cbor_map_put(m, "lock", cbor_build_bool((sim->locked >> idx) & 1u)) ||
        !nw_cbor_map_put(m, "data", cbor_build_bytestring(sim->pcr[idx], 48))) {
        cbor_decref(&m);
        return NW_ERR_NOMEM;
    }
    return answer_variant(resp, "DescribePCR", m);
}

static nw_err op_extend_pcr(struct nw_nsm_sim *sim, struct nw_buf *resp, const cbor_item_t *b)
{
    uint16_t idx = 0;
    uint8_t next[48];
    NW_TRY(req_u16(&idx, b, "index"));
    const cbor_item_t *d = req_field(b, "data");
    NW_ENSURE(d != NULL && cbor_isa_bytestring(d), NW_ERR_NSM_INVALID_ARGUMENT);
    NW_ENSURE(idx < PCRS, NW_ERR_NSM_INVALID_INDEX);
    NW_ENSURE(((sim->locked >> idx) & 1u) == 0, NW_ERR_NSM_READ_ONLY_INDEX);
    NW_TRY(nw_sha384_2(next, nw_cur_of(sim->pcr[idx], 48), nw_cbor_bytes(d)));
    memcpy(sim->pcr[idx], next, 48);
    cbor_item_t *m = cbor_new_definite_map(1);
    NW_ENSURE(m != NULL, NW_ERR_NOMEM);
    if (!nw_cbor_map_put(m, "data", cbor_build_bytestring(next, 48))) {
        cbor_decref(&m);
        return NW_ERR_NOMEM;
    }
    return answer_variant(resp, "ExtendPCR", m);
}

static nw_err op_lock_pcr(struct nw_nsm_sim *sim, struct nw_buf *resp, const cbor_item_t *b)
{
    uint16_t idx = 0;
    NW_TRY(req_u16(&idx, b, "index"));
    NW_ENSURE(idx < PCRS, NW_ERR_NSM_INVALID_INDEX);
    /* nsm-check: LockPCR on 0..15 is an error; which code is [U], ReadOnlyIndex is our choice.
     * Locking an already locked 16..31 succeeds (idempotent) [U]. */
    NW_ENSURE(idx >= BOOT_LOCKED, NW_ERR_NSM_READ_ONLY_INDEX);
    sim->locked |= 1u << idx;
    return answer_text(resp, "LockPCR");
}

static nw_err op_lock_pcrs(struct nw_nsm_sim *sim, struct nw_buf *resp, const cbor_item_t *b)
{
    uint16_t range = 0;
    NW_TRY(req_u16(&range, b, "range"));
    NW_ENSURE(range <= PCRS, NW_ERR_NSM_INVALID_INDEX); /* nsm-check: range 33 fails */
    for (unsigned i = 0; i < range; i++)
        sim->locked |= 1u << i;
    return answer_text(resp, "LockPCRs");
}

static nw_err op_describe_nsm(struct nw_nsm_sim *sim, struct nw_buf *resp)
{
    cbor_item_t *m = cbor_new_definite_map(7);
    cbor_item_t *locked = cbor_new_definite_array((size_t)__builtin_popcount(sim->locked));
    bool ok = m != NULL && locked != NULL;
    for (unsigned i = 0; ok && i < PCRS; i++) {
        if ((sim->locked >> i) & 1u) {
            cbor_item_t *v = nw_cbor_uint(i);
            ok = v != NULL && cbor_array_push(locked, v);
            if (v != NULL)
                cbor_decref(&v);
        }
    }
    ok = ok && nw_cbor_map_put(m, "version_major", nw_cbor_uint(1)) &&
         nw_cbor_map_put(m, "version_minor", nw_cbor_uint(0)) &&
         nw_cbor_map_put(m, "version_patch", nw_cbor_uint(0)) &&
         nw_cbor_map_put(m, "module_id", cbor_build_string(sim->module_id)) &&
         nw_cbor_map_put(m, "max_pcrs", nw_cbor_uint(PCRS)) &&
         nw_cbor_map_put(m, "locked_pcrs", cbor_incref(locked)) &&
         nw_cbor_map_put(m, "digest", cbor_build_string("SHA384"));
    if (locked != NULL)
        cbor_decref(&locked);
    if (!ok) {
        if (m != NULL)
            cbor_decref(&m);
        return NW_ERR_NOMEM;
    }
    return answer_variant(resp, "DescribeNSM", m);
}

static nw_err op_get_random(struct nw_buf *resp)
{
    uint8_t r[NW_NSM_RANDOM_MAX];
    NW_ENSURE(RAND_bytes(r, sizeof(r)) == 1, NW_ERR_CRYPTO);
    cbor_item_t *m = cbor_new_definite_map(1);
    bool ok = m != NULL && nw_cbor_map_put(m, "random", cbor_build_bytestring(r, sizeof(r)));
    nw_wipe(r, sizeof(r));
    if (!ok) {
        if (m != NULL)
            cbor_decref(&m);
        return NW_ERR_NOMEM;
    }
    return answer_variant(resp, "GetRandom", m);
}

/* The payload map, keys in the order real NSMs emit (nitro-protocols.md 2.3). */
static nw_err build_payload(struct nw_nsm_sim *sim,
                            struct nw_buf *out,
                            X509 *leaf,
                            uint64_t now_ms,
                            struct nw_cur user_data,
                            struct nw_cur nonce,
                            struct nw_cur public_key)
{
    nw_err err = NW_ERR_NOMEM;
    struct nw_buf der;
    nw_buf_init(&der, 4096, false);
    cbor_item_t *m = cbor_new_definite_map(9), *pcrs = cbor_new_definite_map(DOC_PCRS),
                *bundle = cbor_new_definite_array(4);
    if (m == NULL || pcrs == NULL || bundle == NULL)
        goto out;
    for (unsigned i = 0; i < DOC_PCRS; i++) {
        cbor_item_t *k = nw_cbor_uint(i), *v = cbor_build_bytestring(sim->pcr[i], 48);
        bool ok = k != NULL && v != NULL && cbor_map_add(pcrs, (struct cbor_pair){k, v});
        if (k != NULL)
            cbor_decref(&k);
        if (v != NULL)
            cbor_decref(&v);
        if (!ok)
            goto out;
    }
    X509 *chain[4] = {sim->root, sim->reg, sim->zon, sim->inst};
    for (size_t i = 0; i < 4; i++) {
        der.len = 0;
        if ((err = nw_devca_der(&der, chain[i])) != NW_OK)
            goto out;
        err = NW_ERR_NOMEM;
        cbor_item_t *c = cbor_build_bytestring(der.ptr, der.len);
        bool ok = c != NULL && cbor_array_push(bundle, c);
        if (c != NULL)
            cbor_decref(&c);
        if (!ok)
            goto out;
    }
    der.len = 0;
    if ((err = nw_devca_der(&der, leaf)) != NW_OK)
        goto out;
    err = NW_ERR_NOMEM;
    if (nw_cbor_map_put(m, "module_id", cbor_build_string(sim->module_id)) &&
        nw_cbor_map_put(m, "digest", cbor_build_string("SHA384")) &&
        nw_cbor_map_put(m, "timestamp", nw_cbor_uint(now_ms)) &&
        nw_cbor_map_put(m, "pcrs", cbor_incref(pcrs)) &&
        nw_cbor_map_put(m, "certificate", cbor_build_bytestring(der.ptr, der.len)) &&
        nw_cbor_map_put(m, "cabundle", cbor_incref(bundle)) &&
        nw_cbor_map_put(m, "public_key", nw_cbor_bytes_or_null(public_key)) &&
        nw_cbor_map_put(m, "user_data", nw_cbor_bytes_or_null(user_data)) &&
        nw_cbor_map_put(m, "nonce", nw_cbor_bytes_or_null(nonce)))
        err = nw_cbor_serialize(out, m);
out:
    if (m != NULL)
        cbor_decref(&m);
    if (pcrs != NULL)
        cbor_decref(&pcrs);
    if (bundle != NULL)
        cbor_decref(&bundle);
    nw_buf_clear(&der);
    return err;
}

static nw_err op_attestation(struct nw_nsm_sim *sim, struct nw_buf *resp, const cbor_item_t *b)
{
    nw_err err = NW_OK;
    struct nw_cur ud, nonce, pk;
    struct nw_buf payload, doc;
    EVP_PKEY *leaf_key = NULL;
    X509 *leaf = NULL;
    nw_buf_init(&payload, NW_ATTEST_PAYLOAD_MAX, false);
    nw_buf_init(&doc, NW_NSM_RESPONSE_MAX, false);
    NW_CHECK(req_opt_bytes(&ud, b, "user_data"));
    NW_CHECK(req_opt_bytes(&nonce, b, "nonce"));
    NW_CHECK(req_opt_bytes(&pk, b, "public_key"));
    uint64_t now_ms = sim->now_ms(sim->clock_ctx);
    int64_t now_s = (int64_t)(now_ms / 1000u);
    if (now_s + LEAF_LIFE_S + 60 > sim->inst_not_after_s || now_s < sim->inst_not_before_s)
        NW_CHECK(make_intermediates(sim, now_s));
    char cn[192];
    (void)snprintf(cn, sizeof(cn), "%s.%s.aws", sim->module_id, sim->region);
    NW_CHECK(nw_devca_keygen(&leaf_key));
    struct nw_devca_cert spec = {.subject = {.c = "US",
                                             .st = "Washington",
                                             .l = "Seattle",
                                             .o = "nitro-wallet development",
                                             .ou = "AWS",
                                             .cn = cn},
                                 .key = leaf_key,
                                 .issuer = sim->inst,
                                 .issuer_key = sim->inst_key,
                                 .not_before_s = now_s,
                                 .not_after_s = now_s + LEAF_LIFE_S,
                                 .basic_constraints = "CA:FALSE",
                                 .key_usage = "digitalSignature,nonRepudiation"};
    NW_CHECK(nw_devca_issue(&leaf, &spec));
    NW_CHECK(build_payload(sim, &payload, leaf, now_ms, ud, nonce, pk));
    NW_CHECK(nw_cose_sign1_es384(&doc, leaf_key, nw_buf_cur(&payload), false));
    cbor_item_t *m = cbor_new_definite_map(1);
    NW_CHECK_COND(m != NULL, NW_ERR_NOMEM);
    if (!nw_cbor_map_put(m, "document", cbor_build_bytestring(doc.ptr, doc.len))) {
        cbor_decref(&m);
        NW_CHECK(NW_ERR_NOMEM);
    }
    err = answer_variant(resp, "Attestation", m);
out:
    X509_free(leaf);
    EVP_PKEY_free(leaf_key);
    nw_buf_clear(&payload);
    nw_buf_clear(&doc);
    return err;
}

/* Dispatch; NSM-level failures come back as NW_ERR_NSM_* and become Error answers. */
static nw_err dispatch(struct nw_nsm_sim *sim, struct nw_buf *resp, const cbor_item_t *req)
{
    if (nw_cbor_text_eq(req, "DescribeNSM"))
        return op_describe_nsm(sim, resp);
    if (nw_cbor_text_eq(req, "GetRandom"))
        return op_get_random(resp);
    NW_ENSURE(cbor_isa_map(req) && cbor_map_size(req) == 1, NW_ERR_NSM_INVALID_ARGUMENT);
    struct cbor_pair *p = cbor_map_handle(req);
    NW_ENSURE(cbor_isa_map(p[0].value), NW_ERR_NSM_INVALID_ARGUMENT);
    if (nw_cbor_text_eq(p[0].key, "DescribePCR"))
        return op_describe_pcr(sim, resp, p[0].value);
    if (nw_cbor_text_eq(p[0].key, "ExtendPCR"))
        return op_extend_pcr(sim, resp, p[0].value);
    if (nw_cbor_text_eq(p[0].key, "LockPCR"))
        return op_lock_pcr(sim, resp, p[0].value);
    if (nw_cbor_text_eq(p[0].key, "LockPCRs"))
        return op_lock_pcrs(sim, resp, p[0].value);
    if (nw_cbor_text_eq(p[0].key, "Attestation"))
        return op_attestation(sim, resp, p[0].value);
    return NW_ERR_NSM_INVALID_ARGUMENT;
}

nw_err nw_nsm_sim_handle(struct nw_nsm_sim *sim, struct nw_buf *resp, struct nw_cur req)
{
    if (req.len > NW_NSM_REQUEST_MAX)
        return nw_nsm_sim_answer_error(resp, NW_ERR_NSM_INPUT_TOO_LARGE);
    cbor_item_t *item = NULL;
    nw_err err = nw_cbor_load(&item, req);
    if (err == NW_ERR_NOMEM)
        return err;
    if (err != NW_OK)
        return nw_nsm_sim_answer_error(resp, NW_ERR_NSM_INVALID_ARGUMENT);
    size_t mark = resp->len;
    pthread_mutex_lock(&sim->mu);
    err = dispatch(sim, resp, item);
    pthread_mutex_unlock(&sim->mu);
    cbor_decref(&item);
    if (err != NW_OK)
        resp->len = mark;
    if (nw_nsm_error_name(err) != NULL)
        return nw_nsm_sim_answer_error(resp, err);
    return err;
}

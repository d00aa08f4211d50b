/*
 * Attestation document schema, chain verification and policy (nitro-protocols.md 2.3-2.5,
 * AWS attestation_process.md section 3). Payload fields are checked as a schema in the style
 * of s2n's handshake parsers: every key known, each at most once, exact types and ranges.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nw/hex.h>
#include <nw/mem.h>

#include "attest_int.h"

#define MAX_SKEW_MS                                                            \
 ((uint64_t)5 * 60 * 1000) /* timestamps this far ahead of the check time pass \
                            */

enum {
    NW_PK_MODULE_ID = 1u << 0,
    NW_PK_DIGEST = 1u << 1,
    NW_PK_TIMESTAMP = 1u << 2,
    NW_PK_PCRS = 1u << 3,
    NW_PK_CERTIFICATE = 1u << 4,
    NW_PK_CABUNDLE = 1u << 5,
    NW_PK_PUBLIC_KEY = 1u << 6,
    NW_PK_USER_DATA = 1u << 7,
    NW_PK_NONCE = 1u << 8,
};
#define NW_PK_REQUIRED                                                                \
 (NW_PK_MODULE_ID | NW_PK_DIGEST | NW_PK_TIMESTAMP | NW_PK_PCRS | NW_PK_CERTIFICATE | \
  NW_PK_CABUNDLE)

static const struct {
    const char *name;
    unsigned bit;
} payload_keys[] = {
    {"module_id", NW_PK_MODULE_ID},
    {"digest", NW_PK_DIGEST},
    {"timestamp", NW_PK_TIMESTAMP},
    {"pcrs", NW_PK_PCRS},
    {"certificate", NW_PK_CERTIFICATE},
    {"cabundle", NW_PK_CABUNDLE},
    {"public_key", NW_PK_PUBLIC_KEY},
    {"user_data", NW_PK_USER_DATA},
    {"nonce", NW_PK_NONCE},
};

/* A definite byte string of min..max bytes copied to dst. */
static nw_err get_bytes(uint8_t *dst, size_t *dst_len, const cbor_item_t *v, size_t min, size_t max)
{
    if (!cbor_isa_bytestring(v))
        return NW_ERR_ATTEST_PAYLOAD;
    struct nw_cur c = nw_cbor_bytes(v);
    if (c.len < min || c.len > max)
        return NW_ERR_ATTEST_PAYLOAD;
    if (c.len > 0)
        memcpy(dst, c.ptr, c.len);
    *dst_len = c.len;
    return NW_OK;
}

/* Optional field: null means absent (real NSMs emit null, nitro-protocols.md 2.3). */
static nw_err
get_opt_bytes(bool *has, uint8_t *dst, size_t *dst_len, const cbor_item_t *v, size_t min)
{
    *has = false;
    *dst_len = 0;
    if (nw_cbor_is_null(v))
        return NW_OK;
    NW_TRY(get_bytes(dst, dst_len, v, min, NW_ATTEST_FIELD_MAX));
    *has = true;
    return NW_OK;
}

static nw_err get_pcrs(struct nw_attest_doc *doc, const cbor_item_t *v)
{
    if (!cbor_isa_map(v) || cbor_map_size(v) < 1 || cbor_map_size(v) > NW_ATTEST_PCR_COUNT)
        return NW_ERR_ATTEST_PAYLOAD;
    struct cbor_pair *p = cbor_map_handle(v);
    for (size_t i = 0; i < cbor_map_size(v); i++) {
        if (!cbor_isa_uint(p[i].key) || cbor_get_int(p[i].key) >= NW_ATTEST_PCR_COUNT)
            return NW_ERR_ATTEST_PAYLOAD;
        unsigned idx = (unsigned)cbor_get_int(p[i].key);
        if (doc->pcr_present & (1u << idx))
            return NW_ERR_ATTEST_PAYLOAD; /* duplicate index */
        size_t n = 0;
        NW_TRY(get_bytes(doc->pcrs[idx], &n, p[i].value, NW_ATTEST_PCR_LEN, NW_ATTEST_PCR_LEN));
        doc->pcr_present |= 1u << idx;
    }
    return NW_OK;
}

static nw_err get_cabundle(struct nw_attest_doc *doc, const cbor_item_t *v)
{
    if (!cbor_isa_array(v) || cbor_array_size(v) < 1 || cbor_array_size(v) > NW_ATTEST_CABUNDLE_MAX)
        return NW_ERR_ATTEST_PAYLOAD;
    cbor_item_t **a = cbor_array_handle(v);
    for (size_t i = 0; i < cbor_array_size(v); i++)
        NW_TRY(get_bytes(doc->cabundle[i], &doc->cabundle_len[i], a[i], 1, NW_ATTEST_FIELD_MAX));
    doc->cabundle_count = cbor_array_size(v);
    return NW_OK;
}

static nw_err get_field(struct nw_attest_doc *doc, unsigned bit, const cbor_item_t *v)
{
    switch (bit) {
        case NW_PK_MODULE_ID: {
            if (!cbor_isa_string(v) || cbor_string_length(v) < 1 ||
                cbor_string_length(v) > NW_ATTEST_MODULE_ID_MAX)
                return NW_ERR_ATTEST_PAYLOAD;
            size_t n = cbor_string_length(v);
            const unsigned char *s = cbor_string_handle(v);
            for (size_t i = 0; i < n; i++) {
                if (s[i] < 0x20 || s[i] > 0x7e)
                    return NW_ERR_ATTEST_PAYLOAD; /* printable ASCII only: it reaches logs */
            }
            memcpy(doc->module_id, s, n);
            doc->module_id[n] = '\0';
            return NW_OK;
        }
        case NW_PK_DIGEST:
            if (!nw_cbor_text_eq(v, "SHA384"))
                return NW_ERR_ATTEST_PAYLOAD;
            memcpy(doc->digest, "SHA384", 7);
            return NW_OK;
        case NW_PK_TIMESTAMP:
            if (!cbor_isa_uint(v) || cbor_get_int(v) == 0)
                return NW_ERR_ATTEST_PAYLOAD;
            doc->timestamp_ms = cbor_get_int(v);
            return NW_OK;
        case NW_PK_PCRS:
            return get_pcrs(doc, v);
        case NW_PK_CERTIFICATE:
            return get_bytes(doc->certificate, &doc->certificate_len, v, 1, NW_ATTEST_FIELD_MAX);
        case NW_PK_CABUNDLE:
            return get_cabundle(doc, v);
        case NW_PK_PUBLIC_KEY:
            return get_opt_bytes(&doc->has_public_key, doc->public_key, &doc->public_key_len, v, 1);
        case NW_PK_USER_DATA:
            return get_opt_bytes(&doc->has_user_data, doc->user_data, &doc->user_data_len, v, 0);
        case NW_PK_NONCE:
            return get_opt_bytes(&doc->has_nonce, doc->nonce, &doc->nonce_len, v, 0);
        default:
            return NW_ERR_ATTEST_PAYLOAD;
    }
}

nw_err nw_attest_payload_parse(struct nw_attest_doc *doc, struct nw_cur payload)
{
    cbor_item_t *m = NULL;
    unsigned seen = 0;
    nw_err err = nw_cbor_load(&m, payload);
    if (err != NW_OK)
        return err == NW_ERR_NOMEM ? err : NW_ERR_ATTEST_PAYLOAD;
    NW_CHECK_COND(cbor_isa_map(m), NW_ERR_ATTEST_PAYLOAD);
    struct cbor_pair *p = cbor_map_handle(m);
    for (size_t i = 0; i < cbor_map_size(m); i++) {
        unsigned bit = 0;
        for (size_t k = 0; k < NW_ARRAY_LEN(payload_keys) && bit == 0; k++) {
            if (nw_cbor_text_eq(p[i].key, payload_keys[k].name))
                bit = payload_keys[k].bit;
        }
        NW_CHECK_COND(bit != 0 && (seen & bit) == 0, NW_ERR_ATTEST_PAYLOAD);
        seen |= bit;
        NW_CHECK(get_field(doc, bit, p[i].value));
    }
    NW_CHECK_COND((seen & NW_PK_REQUIRED) == NW_PK_REQUIRED, NW_ERR_ATTEST_PAYLOAD);
    static const uint8_t zero[NW_ATTEST_PCR_LEN] = {0};
    doc->debug_mode = (doc->pcr_present & 1u) && memcmp(doc->pcrs[0], zero, sizeof(zero)) == 0;
out:
    cbor_decref(&m);
    return err;
}

nw_err nw_attest_parse(struct nw_attest_doc *out, struct nw_cur doc)
{
    nw_err err = NW_OK;
    struct nw_cose_sign1 c;
    memset(out, 0, sizeof(*out));
    nw_cose_sign1_init(&c);
    NW_CHECK_COND(doc.len <= NW_ATTEST_DOC_MAX, NW_ERR_TOO_LARGE);
    NW_CHECK(nw_cose_sign1_decode(&c, doc));
    NW_CHECK(nw_attest_payload_parse(out, nw_buf_cur(&c.payload)));
    out->tagged = c.tagged;
out:
    nw_cose_sign1_clear(&c);
    if (err != NW_OK)
        memset(out, 0, sizeof(*out));
    return err;
}

/* d2i an X509 that must use every byte. */
static X509 *x509_from_der(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p != der + len) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

static nw_err sha256(uint8_t out[32], const uint8_t *p, size_t n)
{
    unsigned int len = 0;
    return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32 ? NW_OK
                                                                             : NW_ERR_CRYPTO;
}

/*
 * The trust anchor: the caller's root (PEM or DER), which cabundle[0] must equal, or cabundle[0]
 * itself when its SHA-256 is the pinned Root G1 fingerprint.
 */
static nw_err load_anchor(X509 **out, const struct nw_attest_doc *doc, struct nw_cur root)
{
    *out = NULL;
    if (root.ptr == NULL) {
        uint8_t want[32], got[32];
        NW_TRY(nw_hex_decode_fixed(want, sizeof(want), nw_cur_str(NW_ATTEST_AWS_ROOT_G1_SHA256),
                                   false));
        NW_TRY(sha256(got, doc->cabundle[0], doc->cabundle_len[0]));
        NW_ENSURE(memcmp(want, got, 32) == 0, NW_ERR_ATTEST_ROOT_MISMATCH);
        *out = x509_from_der(doc->cabundle[0], doc->cabundle_len[0]);
        return *out != NULL ? NW_OK : NW_ERR_ATTEST_CERT_PARSE;
    }
    X509 *x = NULL;
    static const char pem_mark[] = "-----BEGIN";
    if (root.len >= sizeof(pem_mark) - 1 && memcmp(root.ptr, pem_mark, sizeof(pem_mark) - 1) == 0) {
        BIO *b = BIO_new_mem_buf(root.ptr, (int)(root.len > INT32_MAX ? INT32_MAX : root.len));
        if (b != NULL)
            x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        BIO_free(b);
    } else {
        x = x509_from_der(root.ptr, root.len);
    }
    NW_ENSURE(x != NULL, NW_ERR_ATTEST_ROOT_INVALID);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    bool same =
        n > 0 && (size_t)n == doc->cabundle_len[0] && memcmp(der, doc->cabundle[0], (size_t)n) == 0;
    OPENSSL_free(der);
    if (!same) {
        X509_free(x);
        return NW_ERR_ATTEST_ROOT_MISMATCH;
    }
    *out = x;
    return NW_OK;
}

static nw_err map_verify_error(int e)
{
    switch (e) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return NW_ERR_ATTEST_CERT_EXPIRED;
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return NW_ERR_ATTEST_CERT_NOT_YET_VALID;
        case X509_V_ERR_OUT_OF_MEM:
            return NW_ERR_NOMEM;
        default:
            return NW_ERR_ATTEST_CHAIN;
    }
}

/* The leaf signs documents: a P-384 key, not a CA, keyUsage with digitalSignature. */
static nw_err check_leaf(X509 *leaf)
{
    EVP_PKEY *pub = X509_get0_pubkey(leaf);
    char group[32] = "";
    NW_ENSURE(pub != NULL && EVP_PKEY_is_a(pub, "EC"), NW_ERR_ATTEST_LEAF);
    NW_ENSURE(EVP_PKEY_get_group_name(pub, group, sizeof(group), NULL) == 1 &&
                  strcmp(group, "secp384r1") == 0,
              NW_ERR_ATTEST_LEAF);
    NW_ENSURE(X509_check_ca(leaf) == 0, NW_ERR_ATTEST_LEAF);
    NW_ENSURE((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) != 0 &&
                  (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) != 0,
              NW_ERR_ATTEST_LEAF);
    return NW_OK;
}

static nw_err
verify_chain(const struct nw_attest_doc *doc, const struct nw_attest_opts *opts, X509 **leaf_out)
{
    nw_err err = NW_OK;
    X509 *anchor = NULL, *leaf = NULL;
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    *leaf_out = NULL;
    NW_CHECK_COND(untrusted != NULL, NW_ERR_NOMEM);
    NW_CHECK(load_anchor(&anchor, doc, opts->root));
    leaf = x509_from_der(doc->certificate, doc->certificate_len);
    NW_CHECK_COND(leaf != NULL, NW_ERR_ATTEST_CERT_PARSE);
    for (size_t i = 1; i < doc->cabundle_count; i++) {
        X509 *x = x509_from_der(doc->cabundle[i], doc->cabundle_len[i]);
        NW_CHECK_COND(x != NULL, NW_ERR_ATTEST_CERT_PARSE);
        if (sk_X509_push(untrusted, x) <= 0) {
            X509_free(x);
            NW_CHECK(NW_ERR_NOMEM);
        }
    }
    store = X509_STORE_new();
    ctx = X509_STORE_CTX_new();
    NW_CHECK_COND(store != NULL && ctx != NULL, NW_ERR_NOMEM);
    NW_CHECK_COND(X509_STORE_add_cert(store, anchor) == 1, NW_ERR_NOMEM);
    NW_CHECK_COND(X509_STORE_CTX_init(ctx, store, leaf, untrusted) == 1, NW_ERR_NOMEM);
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    /* Sets X509_V_FLAG_USE_CHECK_TIME. CRLs are not used (attestation_process.md 3.2.3.1). */
    X509_VERIFY_PARAM_set_time(param, (time_t)opts->time_s);
    X509_VERIFY_PARAM_set_depth(param, NW_ATTEST_CABUNDLE_MAX + 1);
    /* Not X509_V_FLAG_X509_STRICT: real Nitro leaves carry no authorityKeyIdentifier. */
    if (X509_verify_cert(ctx) != 1)
        NW_CHECK(map_verify_error(X509_STORE_CTX_get_error(ctx)));
    NW_CHECK(check_leaf(leaf));
    *leaf_out = leaf;
    leaf = NULL;
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_pop_free(untrusted, X509_free);
    X509_free(leaf);
    X509_free(anchor);
    return err;
}

static nw_err
check_pcrs(const struct nw_attest_doc *doc, const struct nw_attest_opts *opts, struct nw_diag *diag)
{
    for (size_t i = 0; i < opts->pcr_count; i++) {
        const struct nw_attest_pcr_expect *e = &opts->pcrs[i];
        if (e->index >= NW_ATTEST_PCR_COUNT)
            return nw_diag_set(diag, NW_ERR_INVALID_ARG, "PCR index %u out of range 0..31",
                               e->index);
        if (!(doc->pcr_present & (1u << e->index)))
            return nw_diag_set(diag, NW_ERR_ATTEST_PCR_MISSING, "PCR%u is absent", e->index);
        if (CRYPTO_memcmp(doc->pcrs[e->index], e->value, NW_ATTEST_PCR_LEN) != 0)
            return nw_diag_set(diag, NW_ERR_ATTEST_PCR_MISMATCH, "PCR%u differs", e->index);
    }
    return NW_OK;
}

static nw_err check_policy(const struct nw_attest_doc *doc,
                           const struct nw_attest_opts *opts,
                           struct nw_diag *diag)
{
    /* Secure by default (issue 13): a debug-mode enclave's memory is readable by its parent,
     * so its documents prove nothing unless the caller explicitly allows them. */
    if (doc->debug_mode && (!opts->allow_debug || opts->reject_debug))
        return nw_diag_set(diag, NW_ERR_ATTEST_DEBUG_MODE,
                           "debug-mode document (PCR0 all zero); allow it explicitly "
                           "(--allow-debug) only for development");
    NW_TRY(check_pcrs(doc, opts, diag));
    int64_t now_ms = opts->time_s > 0 ? opts->time_s * 1000 : 0;
    uint64_t now = (uint64_t)now_ms;
    NW_ENSURE(doc->timestamp_ms <= now + MAX_SKEW_MS, NW_ERR_ATTEST_FUTURE);
    if (opts->max_age_ms != 0 && now > opts->max_age_ms) /* no wrap-around for huge bounds */
        NW_ENSURE(doc->timestamp_ms >= now - opts->max_age_ms, NW_ERR_ATTEST_STALE);
    if (opts->nonce.ptr != NULL) {
        NW_ENSURE(doc->has_nonce && doc->nonce_len == opts->nonce.len &&
                      CRYPTO_memcmp(doc->nonce, opts->nonce.ptr, opts->nonce.len) == 0,
                  NW_ERR_ATTEST_NONCE_MISMATCH);
    }
    if (opts->public_key.ptr != NULL) {
        NW_ENSURE(doc->has_public_key && doc->public_key_len == opts->public_key.len &&
                      memcmp(doc->public_key, opts->public_key.ptr, opts->public_key.len) == 0,
                  NW_ERR_ATTEST_KEY_MISMATCH);
    }
    return NW_OK;
}

/* Advice for chain-time failures: the document may simply be older than now. */
static nw_err chain_diag(struct nw_diag *diag, nw_err err)
{
    if (err == NW_ERR_ATTEST_CERT_EXPIRED)
        return nw_diag_set(diag, err,
                           "a certificate in the chain has expired at the check time (Nitro "
                           "leaf certificates live about 3 hours); to check an older document "
                           "at its own time, pass --at (RFC 3339 or seconds since the epoch)");
    if (err == NW_ERR_ATTEST_CERT_NOT_YET_VALID)
        return nw_diag_set(diag, err,
                           "a certificate in the chain is not yet valid at the check time "
                           "(check the clock, or --at)");
    return nw_diag_set(diag, err, "%s", nw_err_str(err));
}

nw_err
nw_attest_verify(struct nw_attest_doc *out, const struct nw_attest_opts *opts, struct nw_cur doc)
{
    return nw_attest_verify_diag(out, NULL, opts, doc);
}

nw_err nw_attest_verify_diag(struct nw_attest_doc *out,
                             struct nw_diag *diag,
                             const struct nw_attest_opts *opts,
                             struct nw_cur doc)
{
    nw_err err = NW_OK;
    struct nw_cose_sign1 c;
    X509 *leaf = NULL;
    memset(out, 0, sizeof(*out));
    nw_cose_sign1_init(&c);
    NW_CHECK_COND(doc.len <= NW_ATTEST_DOC_MAX, NW_ERR_TOO_LARGE);
    NW_CHECK(nw_cose_sign1_decode(&c, doc));
    NW_CHECK(nw_attest_payload_parse(out, nw_buf_cur(&c.payload)));
    out->tagged = c.tagged;
    if ((err = verify_chain(out, opts, &leaf)) != NW_OK) {
        (void)chain_diag(diag, err);
        goto out;
    }
    NW_CHECK(nw_cose_verify_es384(&c, X509_get0_pubkey(leaf)));
    NW_CHECK(check_policy(out, opts, diag));
out:
    if (err != NW_OK && diag != NULL && diag->code != err)
        (void)nw_diag_set(diag, err, "%s", nw_err_str(err));
    X509_free(leaf);
    nw_cose_sign1_clear(&c);
    if (err != NW_OK)
        memset(out, 0, sizeof(*out));
    return err;
}

/* hex of p[0..n) as a new JSON string, or JSON null when !has. */
static json_t *hex_or_null(bool has, const uint8_t *p, size_t n)
{
    if (!has)
        return json_null();
    char *s = malloc(2 * n + 1);
    if (s == NULL || nw_hex_encode(s, 2 * n + 1, p, n, false) != NW_OK) {
        free(s);
        return NULL;
    }
    json_t *j = json_string(s);
    free(s);
    return j;
}

struct dump_ctx {
    struct nw_buf *out;
    nw_err err;
};

static int dump_cb(const char *buffer, size_t size, void *data)
{
    struct dump_ctx *c = data;
    c->err = nw_buf_append(c->out, buffer, size);
    return c->err == NW_OK ? 0 : -1;
}

nw_err nw_attest_doc_json(struct nw_buf *out, const struct nw_attest_doc *doc)
{
    nw_err err = NW_ERR_NOMEM;
    json_t *pcrs = json_object();
    json_t *o = json_object();
    if (pcrs == NULL || o == NULL)
        goto out;
    for (unsigned i = 0; i < NW_ATTEST_PCR_COUNT; i++) {
        if ((doc->pcr_present & (1u << i)) == 0)
            continue;
        char key[4] = {(char)('0' + i / 10), (char)('0' + i % 10), 0, 0};
        const char *k = i < 10 ? key + 1 : key;
        if (json_object_set_new(pcrs, k, hex_or_null(true, doc->pcrs[i], NW_ATTEST_PCR_LEN)) != 0)
            goto out;
    }
    if (json_object_set_new(o, "module_id", json_string(doc->module_id)) != 0 ||
        json_object_set_new(o, "timestamp", json_integer((json_int_t)doc->timestamp_ms)) != 0 ||
        json_object_set_new(o, "digest", json_string(doc->digest)) != 0 ||
        json_object_set(o, "pcrs", pcrs) != 0 ||
        json_object_set_new(
            o, "public_key",
            hex_or_null(doc->has_public_key, doc->public_key, doc->public_key_len)) != 0 ||
        json_object_set_new(o, "user_data",
                            hex_or_null(doc->has_user_data, doc->user_data, doc->user_data_len)) !=
            0 ||
        json_object_set_new(o, "nonce", hex_or_null(doc->has_nonce, doc->nonce, doc->nonce_len)) !=
            0 ||
        json_object_set_new(o, "debug_mode", json_boolean(doc->debug_mode)) != 0 ||
        json_object_set_new(o, "tagged", json_boolean(doc->tagged)) != 0)
        goto out;
    /* Dump through a callback: json_dumps would allocate with whatever allocator the process
     * installed in jansson (nw_mem_hook_libraries), which this library must not free. */
    struct dump_ctx ctx = {out, NW_OK};
    if (json_dump_callback(o, dump_cb, &ctx, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0)
        err = NW_OK;
    else if (ctx.err != NW_OK)
        err = ctx.err;
out:
    json_decref(pcrs);
    json_decref(o);
    return err;
}

nw_err nw_attest_pcr_expect_parse(struct nw_attest_pcr_expect *out, const char *text)
{
    memset(out, 0, sizeof(*out));
    const char *eq = strchr(text, '=');
    NW_ENSURE(eq != NULL && eq > text && eq - text <= 2, NW_ERR_INVALID_ARG);
    unsigned idx = 0;
    for (const char *p = text; p < eq; p++) {
        NW_ENSURE(*p >= '0' && *p <= '9', NW_ERR_INVALID_ARG);
        idx = idx * 10 + (unsigned)(*p - '0');
    }
    NW_ENSURE(idx < NW_ATTEST_PCR_COUNT, NW_ERR_INVALID_ARG);
    const char *hex = eq + 1;
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
        hex += 2;
    if (nw_hex_decode_fixed(out->value, sizeof(out->value), nw_cur_str(hex), false) != NW_OK) {
        memset(out, 0, sizeof(*out));
        return NW_ERR_INVALID_ARG;
    }
    out->index = idx;
    return NW_OK;
}

nw_err nw_attest_kms_condition(const struct nw_attest_doc *doc, const char *key, const char *value)
{
    static const char prefix[] = "kms:RecipientAttestation:";
    NW_ENSURE(strncasecmp(key, prefix, sizeof(prefix) - 1) == 0, NW_ERR_UNSUPPORTED);
    const char *name = key + sizeof(prefix) - 1;
    unsigned idx = 0;
    if (strcasecmp(name, "ImageSha384") == 0) {
        idx = 0;
    } else {
        NW_ENSURE(strncasecmp(name, "PCR", 3) == 0, NW_ERR_UNSUPPORTED);
        const char *d = name + 3;
        size_t n = strlen(d);
        NW_ENSURE(n >= 1 && n <= 2 && !(n == 2 && d[0] == '0'), NW_ERR_UNSUPPORTED);
        for (size_t i = 0; i < n; i++) {
            NW_ENSURE(d[i] >= '0' && d[i] <= '9', NW_ERR_UNSUPPORTED);
            idx = idx * 10 + (unsigned)(d[i] - '0');
        }
        NW_ENSURE(idx < NW_ATTEST_PCR_COUNT, NW_ERR_UNSUPPORTED);
    }
    NW_ENSURE(doc->pcr_present & (1u << idx), NW_ERR_ATTEST_PCR_MISSING);
    uint8_t want[NW_ATTEST_PCR_LEN];
    NW_ENSURE(nw_hex_decode_fixed(want, sizeof(want), nw_cur_str(value), false) == NW_OK,
              NW_ERR_ATTEST_PCR_MISMATCH);
    return CRYPTO_memcmp(want, doc->pcrs[idx], sizeof(want)) == 0 ? NW_OK
                                                                  : NW_ERR_ATTEST_PCR_MISMATCH;
}

/*
 * Web3 Secret Storage V3 key files (keystore.h). The KDFs are OpenSSL 3's EVP_KDF "SCRYPT"
 * and "PBKDF2"; the cipher is EVP_aes_128_ctr; the MAC is keccak-256 as the definition says.
 * The order in decryption is the definition's: derive, check the MAC in constant time, and
 * only then decrypt, so a wrong password never produces a candidate key.
 */
#include "keystore.h"

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <string.h>

#include <nw/base64.h>
#include <nw/hex.h>
#include <nw/keccak.h>
#include <nw/mem.h>

#define DK_LEN   32
#define SALT_MAX 128
/* The default cost of either KDF (scrypt n = 2^18, pbkdf2 c): the same number for both. */
#define DEFAULT_COST 262144u
#define DEFAULT_R    8u
#define DEFAULT_P    1u

struct kdf_args {
    enum nw_ks_kdf kdf;
    uint64_t n; /* scrypt N or pbkdf2 c */
    uint32_t r, p;
    uint8_t salt[SALT_MAX];
    size_t salt_len;
};

static nw_err derive(uint8_t dk[DK_LEN], const struct kdf_args *a, struct nw_cur pw)
{
    nw_err err = NW_ERR_CRYPTO;
    OSSL_PARAM params[8], *q = params;
    uint64_t maxmem = NW_KS_SCRYPT_MEM_MAX + ((uint64_t)64 << 20), n = a->n;
    uint32_t r = a->r, p = a->p;
    int pkcs5 = 1; /* no SP 800-132 floor: the file's parameters are the file's */
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, a->kdf == NW_KS_SCRYPT ? "SCRYPT" : "PBKDF2", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    *q++ = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_PASSWORD, (void *)(pw.len ? pw.ptr : (const uint8_t *)""), pw.len);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)a->salt, a->salt_len);
    if (a->kdf == NW_KS_SCRYPT) {
        *q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
        *q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
        *q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
        *q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
    } else {
        *q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &n);
        *q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
        *q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5);
    }
    *q = OSSL_PARAM_construct_end();
    if (ctx != NULL && EVP_KDF_derive(ctx, dk, DK_LEN, params) == 1)
        err = NW_OK;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    if (err != NW_OK)
        nw_wipe(dk, DK_LEN);
    return err;
}

/* AES-128-CTR (encryption and decryption are the same operation). */
static nw_err
ctr(uint8_t *out, const uint8_t *in, size_t n, const uint8_t key16[16], const uint8_t iv16[16])
{
    nw_err err = NW_ERR_CRYPTO;
    int l1 = 0, l2 = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c != NULL && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key16, iv16) == 1 &&
        EVP_EncryptUpdate(c, out, &l1, in, (int)n) == 1 &&
        EVP_EncryptFinal_ex(c, out + l1, &l2) == 1 && (size_t)l1 + (size_t)l2 == n)
        err = NW_OK;
    EVP_CIPHER_CTX_free(c);
    return err;
}

static void mac_of(uint8_t mac[32], const uint8_t dk[DK_LEN], const uint8_t *ct, size_t n)
{
    struct nw_keccak k;
    nw_keccak_init(&k);
    nw_keccak_update(&k, dk + 16, 16);
    nw_keccak_update(&k, ct, n);
    nw_keccak_final(&k, mac);
    nw_wipe(&k, sizeof(k));
}

/* A hex member of exactly n bytes (n 0: 1..max bytes, length in *got). */
static nw_err hex_member(uint8_t *out,
                         size_t n,
                         size_t max,
                         size_t *got,
                         const json_t *o,
                         const char *name,
                         struct nw_diag *diag)
{
    const char *s = json_string_value(json_object_get(o, name));
    struct nw_cur t = nw_cur_str(s);
    if (t.len >= 2 && t.ptr[0] == '0' && (t.ptr[1] == 'x' || t.ptr[1] == 'X')) {
        t.ptr += 2;
        t.len -= 2;
    }
    size_t want = n ? n : t.len / 2;
    if (s == NULL || want == 0 || want > (n ? n : max) || t.len != 2 * want ||
        nw_hex_decode_fixed(out, want, t, false) != NW_OK)
        return nw_diag_set(diag, NW_ERR_KEYSTORE_FORMAT, "member '%s' is not %s hex", name,
                           n == 16   ? "16 bytes of"
                           : n == 32 ? "32 bytes of"
                                     : "valid");
    if (got != NULL)
        *got = want;
    return NW_OK;
}

/* A non-negative integer member within [lo, hi]. */
static bool int_member(uint64_t *v, const json_t *o, const char *name, uint64_t lo, uint64_t hi)
{
    json_t *j = json_object_get(o, name);
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return false;
    *v = (uint64_t)json_integer_value(j);
    return *v >= lo && *v <= hi;
}

static nw_err kdf_params(struct kdf_args *a, const json_t *crypto, struct nw_diag *diag)
{
    const char *kdf = json_string_value(json_object_get(crypto, "kdf"));
    const json_t *kp = json_object_get(crypto, "kdfparams");
    uint64_t dklen = 0, r = 0, p = 0;
    if (kdf == NULL || !json_is_object(kp))
        return nw_diag_set(diag, NW_ERR_KEYSTORE_FORMAT, "missing kdf or kdfparams");
    if (!int_member(&dklen, kp, "dklen", DK_LEN, DK_LEN))
        return nw_diag_set(diag, NW_ERR_KEYSTORE_KDF, "kdfparams.dklen must be 32");
    NW_TRY(hex_member(a->salt, 0, SALT_MAX, &a->salt_len, kp, "salt", diag));
    if (strcmp(kdf, "scrypt") == 0) {
        a->kdf = NW_KS_SCRYPT;
        if (!int_member(&a->n, kp, "n", 2, (uint64_t)1 << 30) || (a->n & (a->n - 1)) != 0 ||
            !int_member(&r, kp, "r", 1, 1024) || !int_member(&p, kp, "p", 1, 1024) ||
            128 * r * a->n > NW_KS_SCRYPT_MEM_MAX || r * p >= (1u << 30))
            return nw_diag_set(diag, NW_ERR_KEYSTORE_KDF,
                               "scrypt n (a power of two), r, p out of bounds (memory "
                               "128*r*n at most 1 GiB)");
        /* OpenSSL enforces RFC 7914's n < 2^(128*r/8); golang.org/x/crypto does not, so a
         * few files (r = 1 with n >= 2^16, as in the definition's own example) are refused
         * here with a clear word rather than OpenSSL's "memory limit exceeded". */
        if (16 * r < 64 && a->n >= ((uint64_t)1 << (16 * r)))
            return nw_diag_set(diag, NW_ERR_KEYSTORE_KDF,
                               "scrypt n must be below 2^(16*r) (RFC 7914 section 2, enforced by "
                               "OpenSSL); re-encrypt the key with r 8");
        a->r = (uint32_t)r;
        a->p = (uint32_t)p;
        return NW_OK;
    }
    if (strcmp(kdf, "pbkdf2") == 0) {
        const char *prf = json_string_value(json_object_get(kp, "prf"));
        a->kdf = NW_KS_PBKDF2;
        if (prf == NULL || strcmp(prf, "hmac-sha256") != 0)
            return nw_diag_set(diag, NW_ERR_KEYSTORE_KDF, "pbkdf2 prf must be hmac-sha256");
        if (!int_member(&a->n, kp, "c", 1, NW_KS_PBKDF2_C_MAX))
            return nw_diag_set(diag, NW_ERR_KEYSTORE_KDF, "pbkdf2 c must be 1..%u",
                               NW_KS_PBKDF2_C_MAX);
        return NW_OK;
    }
    return nw_diag_set(diag, NW_ERR_KEYSTORE_KDF, "kdf must be scrypt or pbkdf2");
}

/* Check the file's shape; fills the pieces the decryption needs. */
static nw_err read_file(const json_t *root,
                        struct kdf_args *a,
                        uint8_t iv[16],
                        uint8_t ct[32],
                        uint8_t mac[32],
                        struct nw_diag *diag)
{
    if (!json_is_object(root))
        return nw_diag_set(diag, NW_ERR_KEYSTORE_FORMAT, "not a JSON object");
    json_t *v = json_object_get(root, "version");
    if (!json_is_integer(v) || json_integer_value(v) != 3)
        return nw_diag_set(diag, NW_ERR_KEYSTORE_FORMAT, "version must be 3");
    json_t *crypto = json_object_get(root, "crypto");
    if (crypto == NULL)
        crypto = json_object_get(root, "Crypto"); /* older geth and MyEtherWallet */
    if (!json_is_object(crypto))
        return nw_diag_set(diag, NW_ERR_KEYSTORE_FORMAT, "missing crypto");
    const char *cipher = json_string_value(json_object_get(crypto, "cipher"));
    if (cipher == NULL || strcmp(cipher, "aes-128-ctr") != 0)
        return nw_diag_set(diag, NW_ERR_KEYSTORE_CIPHER, "cipher must be aes-128-ctr");
    NW_TRY(hex_member(iv, 16, 16, NULL, json_object_get(crypto, "cipherparams"), "iv", diag));
    NW_TRY(hex_member(ct, 32, 32, NULL, crypto, "ciphertext", diag));
    NW_TRY(hex_member(mac, 32, 32, NULL, crypto, "mac", diag));
    return kdf_params(a, crypto, diag);
}

nw_err nw_ks_decrypt(struct nw_seckey *key,
                     uint8_t addr20[20],
                     bool *has_addr,
                     struct nw_diag *diag,
                     struct nw_cur file,
                     struct nw_cur password)
{
    struct kdf_args a;
    uint8_t iv[16], ct[32], mac[32], want[32], dk[DK_LEN];
    nw_err err;
    memset(key, 0, sizeof(*key));
    memset(&a, 0, sizeof(a));
    memset(dk, 0, sizeof(dk));
    *has_addr = false;
    json_t *root = json_loadb((const char *)file.ptr, file.len, JSON_REJECT_DUPLICATES, NULL);
    NW_CHECK_COND(root != NULL,
                  nw_diag_set(diag, NW_ERR_KEYSTORE_FORMAT, "the key store is not JSON"));
    NW_CHECK(read_file(root, &a, iv, ct, mac, diag));
    const char *addr = json_string_value(json_object_get(root, "address"));
    if (addr != NULL) {
        struct nw_cur t = nw_cur_str(addr);
        if (t.len == 42 && t.ptr[0] == '0' && (t.ptr[1] == 'x' || t.ptr[1] == 'X'))
            t = nw_cur_of(t.ptr + 2, 40);
        NW_CHECK_COND(t.len == 40 && nw_hex_decode_fixed(addr20, 20, t, false) == NW_OK,
                      nw_diag_set(diag, NW_ERR_KEYSTORE_FORMAT,
                                  "member 'address' is not 20 bytes "
                                  "of hex"));
        *has_addr = true;
    }
    NW_CHECK(derive(dk, &a, password));
    mac_of(want, dk, ct, sizeof(ct));
    NW_CHECK_COND(CRYPTO_memcmp(want, mac, 32) == 0, nw_diag_set(diag, NW_ERR_KEYSTORE_MAC,
                                                                 "wrong password, or the file was "
                                                                 "changed"));
    NW_CHECK(ctr(key->b, ct, sizeof(ct), dk, iv));
out:
    nw_wipe(dk, sizeof(dk));
    nw_wipe(&a, sizeof(a));
    json_decref(root);
    if (err != NW_OK)
        nw_seckey_clear(key);
    return err;
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
    char h[2 * SALT_MAX + 1];
    if (n > SALT_MAX || nw_hex_encode(h, sizeof(h), p, n, false) != NW_OK)
        return NULL;
    return json_string(h);
}

nw_err nw_ks_encrypt(struct nw_buf *out,
                     const struct nw_seckey *key,
                     const uint8_t addr20[20],
                     struct nw_cur password,
                     const struct nw_ks_params *params,
                     const uint8_t random64[64])
{
    struct kdf_args a;
    uint8_t dk[DK_LEN], ct[32], mac[32];
    const uint8_t *iv = random64 + 32;
    char id[37];
    char *text = NULL;
    json_t *root = NULL;
    nw_err err;
    memset(&a, 0, sizeof(a));
    a.kdf = params->kdf == NW_KS_PBKDF2 ? NW_KS_PBKDF2 : NW_KS_SCRYPT;
    a.n = params->cost ? params->cost : DEFAULT_COST;
    a.r = DEFAULT_R;
    a.p = DEFAULT_P;
    memcpy(a.salt, random64, 32);
    a.salt_len = 32;
    if (a.kdf == NW_KS_SCRYPT &&
        (a.n < 2 || (a.n & (a.n - 1)) != 0 || 128 * (uint64_t)a.r * a.n > NW_KS_SCRYPT_MEM_MAX))
        return NW_ERR_INVALID_ARG;
    if (a.kdf == NW_KS_PBKDF2 && a.n > NW_KS_PBKDF2_C_MAX)
        return NW_ERR_INVALID_ARG;
    NW_CHECK(derive(dk, &a, password));
    NW_CHECK(ctr(ct, key->b, 32, dk, iv));
    mac_of(mac, dk, ct, sizeof(ct));
    nw_uuid4_format(id, random64 + 48);
    json_t *kp = a.kdf == NW_KS_SCRYPT
                     ? json_pack("{s:i,s:I,s:i,s:i,s:o}", "dklen", DK_LEN, "n", (json_int_t)a.n,
                                 "p", (int)a.p, "r", (int)a.r, "salt", hex_json(a.salt, 32))
                     : json_pack("{s:I,s:i,s:s,s:o}", "c", (json_int_t)a.n, "dklen", DK_LEN, "prf",
                                 "hmac-sha256", "salt", hex_json(a.salt, 32));
    root =
        json_pack("{s:o,s:{s:s,s:o,s:{s:o},s:s,s:o,s:o},s:s,s:i}", "address", hex_json(addr20, 20),
                  "crypto", "cipher", "aes-128-ctr", "ciphertext", hex_json(ct, 32), "cipherparams",
                  "iv", hex_json(iv, 16), "kdf", a.kdf == NW_KS_SCRYPT ? "scrypt" : "pbkdf2",
                  "kdfparams", kp, "mac", hex_json(mac, 32), "id", id, "version", 3);
    NW_CHECK_COND(root != NULL, NW_ERR_NOMEM);
    text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    NW_CHECK_COND(text != NULL, NW_ERR_NOMEM);
    NW_CHECK(nw_buf_append_str(out, text));
out:
    nw_wipe(dk, sizeof(dk));
    nw_wipe(&a, sizeof(a));
    if (text != NULL) {
        json_malloc_t m;
        json_free_t f;
        json_get_alloc_funcs(&m, &f);
        f(text);
    }
    json_decref(root);
    return err;
}

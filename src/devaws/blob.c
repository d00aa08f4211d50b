/*
 * KMS ciphertext blobs of the emulator. AWS's format is undocumented and clients treat the blob
 * as opaque, so the emulator uses its own self-describing, authenticated layout:
 *
 *   "NWKB" | version 0x01 | key-id length 0x24 | key id (36-char UUID) | IV (12) | C | tag (16)
 *
 * C and tag are AES-256-GCM under the key's 32-byte material. The AAD is the 42-byte header
 * followed by the canonical encryption context: its pairs sorted by key (bytewise), each
 * written as u32be(len(key)) key u32be(len(value)) value. A changed header, key or context fails
 * the tag, which the KMS layer reports as InvalidCiphertextException, as AWS does.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include <nw/mem.h>

#include "devaws_int.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static nw_err put_lp(struct nw_buf *b, const char *s)
{
    size_t n = strlen(s);
    uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    NW_TRY(nw_buf_append(b, len, 4));
    return nw_buf_append(b, s, n);
}

nw_err nw_dv_blob_context(struct nw_buf *b, const json_t *enc_ctx)
{
    nw_err err = NW_OK;
    size_t n = enc_ctx ? json_object_size(enc_ctx) : 0;
    if (n == 0)
        return NW_OK;
    const char **keys = nw_calloc(n, sizeof(*keys));
    if (keys == NULL)
        return NW_ERR_NOMEM;
    size_t i = 0;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)enc_ctx, k, v)
    {
        if (!json_is_string(v)) {
            err = NW_ERR_INVALID_ARG;
            goto out;
        }
        keys[i++] = k;
    }
    qsort(keys, n, sizeof(*keys), cmp_str);
    for (i = 0; i < n; i++) {
        NW_CHECK(put_lp(b, keys[i]));
        NW_CHECK(put_lp(b, json_string_value(json_object_get(enc_ctx, keys[i]))));
    }
out:
    nw_free(keys);
    return err;
}

/* Split a blob into its parts; NW_ERR_DEVAWS_BLOB_FORMAT unless the layout is right. */
static nw_err parse(struct nw_cur blob,
                    struct nw_cur *hdr,
                    struct nw_cur *iv,
                    struct nw_cur *ct,
                    struct nw_cur *tag)
{
    if (blob.len < NW_DV_BLOB_MIN || memcmp(blob.ptr, NW_DV_BLOB_MAGIC, 4) != 0 ||
        blob.ptr[4] != NW_DV_BLOB_VERSION || blob.ptr[5] != NW_DV_KEY_ID_LEN)
        return NW_ERR_DEVAWS_BLOB_FORMAT;
    for (size_t i = 0; i < NW_DV_KEY_ID_LEN; i++) {
        uint8_t c = blob.ptr[6 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
            return NW_ERR_DEVAWS_BLOB_FORMAT;
    }
    *hdr = nw_cur_of(blob.ptr, NW_DV_BLOB_HDR);
    *iv = nw_cur_of(blob.ptr + NW_DV_BLOB_HDR, NW_DV_BLOB_IV);
    *ct = nw_cur_of(blob.ptr + NW_DV_BLOB_HDR + NW_DV_BLOB_IV, blob.len - NW_DV_BLOB_MIN);
    *tag = nw_cur_of(blob.ptr + blob.len - NW_DV_BLOB_TAG, NW_DV_BLOB_TAG);
    return NW_OK;
}

nw_err nw_dv_blob_key_id(char out[NW_DV_KEY_ID_LEN + 1], struct nw_cur blob)
{
    struct nw_cur hdr, iv, ct, tag;
    out[0] = '\0';
    NW_TRY(parse(blob, &hdr, &iv, &ct, &tag));
    memcpy(out, blob.ptr + 6, NW_DV_KEY_ID_LEN);
    out[NW_DV_KEY_ID_LEN] = '\0';
    return NW_OK;
}

/* Run AES-256-GCM over in with aad; encrypt or decrypt (checking tag). */
static nw_err gcm(uint8_t *out,
                  uint8_t tag[NW_DV_BLOB_TAG],
                  bool enc,
                  const uint8_t key32[32],
                  const uint8_t *iv,
                  struct nw_cur aad,
                  struct nw_cur in)
{
    nw_err err = NW_ERR_CRYPTO;
    int n = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return NW_ERR_NOMEM;
    if (in.len > 0x7fffffff || aad.len > 0x7fffffff)
        goto out;
    if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc ? 1 : 0) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NW_DV_BLOB_IV, NULL) != 1 ||
        EVP_CipherInit_ex(c, NULL, NULL, key32, iv, enc ? 1 : 0) != 1 ||
        EVP_CipherUpdate(c, NULL, &n, aad.ptr, (int)aad.len) != 1)
        goto out;
    if (in.len > 0 && EVP_CipherUpdate(c, out, &n, in.ptr, (int)in.len) != 1)
        goto out;
    if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, NW_DV_BLOB_TAG, tag) != 1)
        goto out;
    if (EVP_CipherFinal_ex(c, out + n, &n) != 1) {
        err = enc ? NW_ERR_CRYPTO : NW_ERR_DEVAWS_BLOB_AUTH;
        goto out;
    }
    if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, NW_DV_BLOB_TAG, tag) != 1)
        goto out;
    err = NW_OK;
out:
    EVP_CIPHER_CTX_free(c);
    return err;
}

nw_err nw_dv_blob_seal(struct nw_buf *out,
                       const uint8_t key32[32],
                       const char *key_id,
                       const json_t *enc_ctx,
                       struct nw_cur plaintext)
{
    nw_err err = NW_OK;
    struct nw_buf aad;
    uint8_t iv[NW_DV_BLOB_IV], tag[NW_DV_BLOB_TAG];
    size_t start = out->len;
    if (strlen(key_id) != NW_DV_KEY_ID_LEN)
        return NW_ERR_INVALID_ARG;
    nw_buf_init(&aad, NW_DV_BODY_MAX, false);
    NW_CHECK(nw_dv_random(iv, sizeof(iv)));
    NW_CHECK(nw_buf_append(out, NW_DV_BLOB_MAGIC, 4));
    NW_CHECK(nw_buf_append_byte(out, NW_DV_BLOB_VERSION));
    NW_CHECK(nw_buf_append_byte(out, NW_DV_KEY_ID_LEN));
    NW_CHECK(nw_buf_append(out, key_id, NW_DV_KEY_ID_LEN));
    NW_CHECK(nw_buf_append(&aad, out->ptr + start, NW_DV_BLOB_HDR));
    NW_CHECK(nw_dv_blob_context(&aad, enc_ctx));
    NW_CHECK(nw_buf_append(out, iv, sizeof(iv)));
    NW_CHECK(nw_buf_reserve(out, plaintext.len + NW_DV_BLOB_TAG));
    NW_CHECK(gcm(out->ptr + out->len, tag, true, key32, iv, nw_buf_cur(&aad), plaintext));
    out->len += plaintext.len;
    NW_CHECK(nw_buf_append(out, tag, sizeof(tag)));
out:
    nw_buf_clear(&aad);
    if (err != NW_OK)
        out->len = start;
    return err;
}

nw_err nw_dv_blob_open(struct nw_buf *out,
                       const uint8_t key32[32],
                       const json_t *enc_ctx,
                       struct nw_cur blob)
{
    nw_err err = NW_OK;
    struct nw_cur hdr, iv, ct, tag;
    struct nw_buf aad;
    uint8_t tagc[NW_DV_BLOB_TAG];
    size_t start = out->len;
    NW_TRY(parse(blob, &hdr, &iv, &ct, &tag));
    memcpy(tagc, tag.ptr, sizeof(tagc));
    nw_buf_init(&aad, NW_DV_BODY_MAX, false);
    NW_CHECK(nw_buf_append(&aad, hdr.ptr, hdr.len));
    NW_CHECK(nw_dv_blob_context(&aad, enc_ctx));
    NW_CHECK(nw_buf_reserve(out, ct.len + 16));
    NW_CHECK(gcm(out->ptr + out->len, tagc, false, key32, iv.ptr, nw_buf_cur(&aad), ct));
    out->len += ct.len;
out:
    nw_buf_clear(&aad);
    if (err != NW_OK) {
        nw_wipe(out->ptr + start, out->cap - start);
        out->len = start;
    }
    return err;
}

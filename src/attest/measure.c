/*
 * PCR measurements with nitro-cli's formula (<nw/measure.h>).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include <nw/measure.h>

#include "attest_int.h"

nw_err nw_nsm_pcr_of_text(uint8_t out48[48], struct nw_cur text)
{
    static const uint8_t zero[48] = {0};
    return nw_sha384_2(out48, nw_cur_of(zero, sizeof(zero)), text);
}

nw_err nw_nsm_measure_file(uint8_t pcr0[48], uint8_t pcr1[48], uint8_t pcr2[48], const char *path)
{
    nw_err err = NW_OK;
    uint8_t h[48], chunk[8192];
    unsigned int n = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    FILE *f = fopen(path, "rb");
    NW_CHECK_COND(md != NULL, NW_ERR_NOMEM);
    NW_CHECK_COND(f != NULL, NW_ERR_IO);
    NW_CHECK_COND(EVP_DigestInit_ex(md, EVP_sha384(), NULL) == 1, NW_ERR_CRYPTO);
    for (;;) {
        size_t k = fread(chunk, 1, sizeof(chunk), f);
        if (k == 0)
            break;
        NW_CHECK_COND(EVP_DigestUpdate(md, chunk, k) == 1, NW_ERR_CRYPTO);
    }
    NW_CHECK_COND(ferror(f) == 0, NW_ERR_IO);
    NW_CHECK_COND(EVP_DigestFinal_ex(md, h, &n) == 1 && n == 48, NW_ERR_CRYPTO);
    NW_CHECK(nw_nsm_pcr_of_text(pcr0, nw_cur_of(h, sizeof(h))));
    memcpy(pcr2, pcr0, 48);
    NW_CHECK_COND(EVP_Digest("", 0, h, &n, EVP_sha384(), NULL) == 1, NW_ERR_CRYPTO);
    NW_CHECK(nw_nsm_pcr_of_text(pcr1, nw_cur_of(h, sizeof(h))));
out:
    if (f != NULL)
        (void)fclose(f);
    EVP_MD_CTX_free(md);
    return err;
}

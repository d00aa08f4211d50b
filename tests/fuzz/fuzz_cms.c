/*
 * libFuzzer target for CiphertextForRecipient (CMS EnvelopedData, BER).
 * Target functions: nw_cms_inspect, nw_recipient_decrypt, nw_cms_check_recipient_spki.
 * Properties: decrypt never succeeds on input inspect rejects; a failed decrypt leaves the
 * output buffer empty. One recipient key is generated on first use (RSA-2048).
 */
#include <stdlib.h>

#include <nw/cms.h>

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nw_recipient *r;
    if (r == NULL && nw_recipient_new(&r, 0) != NW_OK)
        abort();
    struct nw_cur in = nw_cur_of(data, size);
    struct nw_cms_info info;
    nw_err ie = nw_cms_inspect(&info, in);
    struct nw_buf pt;
    nw_buf_init(&pt, 1 << 16, true);
    nw_err de = nw_recipient_decrypt(r, &pt, in);
    if (de == NW_OK && ie != NW_OK)
        abort();
    if (de != NW_OK && pt.len != 0)
        abort();
    nw_buf_clear(&pt);
    nw_err ke = nw_cms_check_recipient_spki(in);
    (void)ke;
    return 0;
}

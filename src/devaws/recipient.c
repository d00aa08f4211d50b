/*
 * The KMS Recipient hook. A Decrypt, GenerateDataKey or GenerateRandom request with Recipient
 * carries a Nitro attestation document; KMS verifies it, exposes its PCRs to the key policy as
 * kms:RecipientAttestation:ImageSha384 / PCR<n> (policy.c nw_dv_policy_cond_value), and answers
 * CiphertextForRecipient, a CMS EnvelopedData to the document's RSA key, instead of Plaintext.
 *
 * Verification and CMS come from libnwattest: the document must chain to the NSM simulator's
 * development root, DIR/nsm-root.pem (written by the simulator that `--nsm-socket` starts, or by
 * any simulator run with the same state directory), be valid now, and carry an RSA-2048 public
 * key. What real KMS answers for an invalid document is not public (nitro-protocols.md 8.2): we
 * answer 400 ValidationException naming the check that failed.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <nw/attest.h>
#include <nw/cms.h>
#include <nw/hex.h>

#include "devaws_int.h"

#define ROOT_FILE   "nsm-root.pem"
#define ROOT_MAX    ((size_t)64 * 1024)
#define DOC_B64_MAX 262144 /* the model's limit for AttestationDocument (decoded) */

static char root_path[sizeof(((struct nw_dv_config *)0)->state_dir) + sizeof(ROOT_FILE) + 1];

void nw_dv_recipient_setup(const struct nw_dv_config *cfg)
{
    (void)snprintf(root_path, sizeof(root_path), "%s/%s", cfg->state_dir, ROOT_FILE);
}

static bool read_root(struct nw_buf *b)
{
    FILE *f = root_path[0] != '\0' ? fopen(root_path, "rb") : NULL;
    if (f == NULL)
        return false;
    uint8_t chunk[4096];
    bool ok = true;
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n == 0)
            break;
        if (nw_buf_append(b, chunk, n) != NW_OK) {
            ok = false;
            break;
        }
    }
    ok = ok && ferror(f) == 0 && b->len > 0;
    (void)fclose(f);
    return ok;
}

/* The decoded, verified document of a Recipient object; answers the error on failure. */
static bool
verified_doc(struct nw_dv_resp *resp, struct nw_attest_doc *doc, const json_t *recipient)
{
    const char *alg = nw_dv_jstr(recipient, "KeyEncryptionAlgorithm");
    const char *text = nw_dv_jstr(recipient, "AttestationDocument");
    if (!json_is_object(recipient) || alg == NULL || text == NULL ||
        strcmp(alg, "RSAES_OAEP_SHA_256") != 0) {
        nw_dv_error(resp, 400, "ValidationException", "message",
                    "Recipient needs KeyEncryptionAlgorithm RSAES_OAEP_SHA_256 and an "
                    "AttestationDocument");
        return false;
    }
    struct nw_buf raw, root;
    nw_buf_init(&raw, DOC_B64_MAX, false);
    nw_buf_init(&root, ROOT_MAX, false);
    bool ok = false;
    if (nw_base64_decode(&raw, nw_cur_str(text), false) != NW_OK || raw.len == 0) {
        nw_dv_error(resp, 400, "ValidationException", "message",
                    "Recipient.AttestationDocument is not valid base64");
    } else if (!read_root(&root)) {
        nw_dv_error(resp, 400, "UnsupportedOperationException", "message",
                    "Recipient: no NSM simulator root (%s); start nw-devaws with --nsm-socket",
                    ROOT_FILE);
    } else {
        struct nw_attest_opts o;
        memset(&o, 0, sizeof(o));
        o.time_s = (int64_t)time(NULL);
        o.root = nw_buf_cur(&root);
        nw_err err = nw_recipient_doc_verify(doc, &o, nw_buf_cur(&raw));
        if (err != NW_OK)
            nw_dv_error(resp, 400, "ValidationException", "message",
                        "The attestation document in Recipient is not valid (%s)",
                        nw_err_code(err));
        ok = err == NW_OK;
    }
    nw_buf_clear(&raw);
    nw_buf_clear(&root);
    return ok;
}

bool nw_dv_recipient_check(struct nw_dv_resp *resp,
                           struct nw_dv_attest_facts *facts,
                           const json_t *recipient)
{
    static __thread struct nw_attest_doc doc; /* 14 KiB: off the MHD thread's stack */
    memset(facts, 0, sizeof(*facts));
    if (!verified_doc(resp, &doc, recipient))
        return false;
    for (unsigned i = 0; i < NW_ATTEST_PCR_COUNT; i++) {
        if ((doc.pcr_present & (1u << i)) == 0)
            continue;
        if (nw_hex_encode(facts->pcr[i], sizeof(facts->pcr[i]), doc.pcrs[i], NW_ATTEST_PCR_LEN,
                          false) != NW_OK) {
            nw_dv_error(resp, 500, "KMSInternalException", "message", "%s", "");
            return false;
        }
        facts->pcr_set[i] = true;
    }
    if (facts->pcr_set[0])
        memcpy(facts->image_sha384, facts->pcr[0], sizeof(facts->image_sha384));
    facts->present = true;
    return true;
}

bool nw_dv_recipient_seal(struct nw_dv_resp *resp,
                          json_t *o,
                          const json_t *recipient,
                          struct nw_cur plaintext)
{
    static __thread struct nw_attest_doc doc;
    struct nw_buf ct, b64;
    bool ok = false;
    /* Checked by nw_dv_recipient_check for this request; parsed again for its public key. */
    if (!verified_doc(resp, &doc, recipient))
        return false;
    nw_buf_init(&ct, (size_t)64 * 1024, false);
    nw_buf_init(&b64, (size_t)96 * 1024, false);
    nw_err err = nw_cms_envelope(&ct, nw_cur_of(doc.public_key, doc.public_key_len), plaintext);
    if (err == NW_OK)
        err = nw_base64_encode(&b64, nw_cur_of(ct.ptr, ct.len));
    if (err == NW_OK)
        err = nw_buf_cstr(&b64);
    if (err == NW_OK &&
        json_object_set_new(o, "CiphertextForRecipient", json_string((const char *)b64.ptr)) == 0)
        ok = true;
    if (!ok)
        nw_dv_error(resp, 500, "KMSInternalException", "message", "%s", "");
    nw_buf_clear(&ct);
    nw_buf_clear(&b64);
    return ok;
}

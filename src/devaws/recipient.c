/*
 * The KMS Recipient hook. A Decrypt, GenerateDataKey or GenerateRandom request with Recipient
 * carries a Nitro attestation document; KMS verifies it, exposes its PCRs to the key policy as
 * kms:RecipientAttestation:ImageSha384 / PCR<n> (policy.c nw_dv_policy_cond_value), and answers
 * CiphertextForRecipient, a CMS EnvelopedData to the document's RSA key, instead of Plaintext.
 *
 * Document verification and CMS building come with the attestation library (branch attest).
 * Until it is wired here, the emulator checks the Recipient's shape and refuses it with a
 * clear error rather than answering a plaintext the real service would never send.
 */
#include <string.h>

#include "devaws_int.h"

bool nw_dv_recipient_check(struct nw_dv_resp *resp,
                           struct nw_dv_attest_facts *facts,
                           const json_t *recipient)
{
    memset(facts, 0, sizeof(*facts));
    const char *alg = nw_dv_jstr(recipient, "KeyEncryptionAlgorithm");
    const char *doc = nw_dv_jstr(recipient, "AttestationDocument");
    if (!json_is_object(recipient) || alg == NULL || doc == NULL ||
        strcmp(alg, "RSAES_OAEP_SHA_256") != 0) {
        nw_dv_error(resp, 400, "ValidationException", "message",
                    "Recipient needs KeyEncryptionAlgorithm RSAES_OAEP_SHA_256 and an "
                    "AttestationDocument");
        return false;
    }
    nw_dv_error(resp, 400, "UnsupportedOperationException", "message",
                "Recipient (attestation) is not available in this nw-devaws build");
    return false;
}

bool nw_dv_recipient_seal(struct nw_dv_resp *resp,
                          json_t *o,
                          const json_t *recipient,
                          struct nw_cur plaintext)
{
    (void)o;
    (void)recipient;
    (void)plaintext;
    nw_dv_error(resp, 400, "UnsupportedOperationException", "message",
                "Recipient (attestation) is not available in this nw-devaws build");
    return false;
}

/*
 * Fuzz target aws_response: the parsers of what AWS (or anyone on the path) sends back.
 * Target functions: nw_aws_parse_error, nw_aws_error_name, nw_kms_parse_response (every op),
 * nw_sm_parse_response (every op), nw_imds_parse_credentials, nw_sigv4_parse_authorization,
 * nw_sigv4_parse_presigned, the SigV4 canonical query, and sign -> verify round trips of
 * arbitrary requests (nw_sigv4_sign, nw_sigv4_presign, nw_sigv4_verify).
 * The first byte selects the parser; the rest is the input. Deterministic.
 * Properties checked beyond "no crash": stripped error names hold no '#' or ':'; the error code
 * is always an AWS error code; outputs are empty after a failed parse; canonicalising a
 * canonical query changes nothing; whatever request the signer accepts, the verifier accepts
 * as received (header and presigned forms) and rejects with a changed body.
 */
#include <stdlib.h>
#include <string.h>

#include <nw/aws.h>
#include <nw/imds.h>
#include <nw/kms.h>
#include <nw/secrets.h>
#include <nw/sigv4_verify.h>

#include "aws/aws_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); // NOLINT

static void check(int cond)
{
    if (!cond)
        abort();
}

static void fuzz_error(struct nw_cur in)
{
    struct nw_aws_error e;
    nw_aws_error_reset(&e);
    int status = in.len > 0 ? 400 + in.ptr[0] % 200 : 500;
    nw_err code = nw_aws_parse_error(&e, status, in, in.len > 3 ? "X#Y:Z" : NULL);
    check(code == e.code && code >= NW_ERR_AWS_ACCESS_DENIED && code <= NW_ERR_AWS_OTHER);
    check(strchr(e.name, '#') == NULL && strchr(e.name, ':') == NULL);
    for (const char *p = e.message; *p; p++)
        check(*p >= 0x20 && *p < 0x7f);
    char name[16];
    nw_aws_error_name(name, sizeof(name), in);
    check(strlen(name) < sizeof(name) && strchr(name, '#') == NULL);
}

static void fuzz_kms(struct nw_cur in, enum nw_kms_op op)
{
    struct nw_kms_result r;
    nw_kms_result_init(&r);
    if (nw_kms_parse_response(&r, op, in) != NW_OK)
        check(r.plaintext.len == 0 && r.ciphertext_blob.len == 0 && r.key_id[0] == '\0');
    nw_kms_result_clear(&r);
}

static void fuzz_sm(struct nw_cur in, enum nw_sm_op op)
{
    struct nw_sm_result r;
    nw_sm_result_init(&r);
    if (nw_sm_parse_response(&r, op, in) != NW_OK)
        check(r.secret_string.len == 0 && r.secret_binary.len == 0 && r.arn[0] == '\0');
    else if (op == NW_SM_GET_SECRET_VALUE)
        check(r.has_string != r.has_binary);
    nw_sm_result_clear(&r);
}

static void fuzz_query(struct nw_cur in)
{
    struct nw_buf a, b;
    nw_buf_init(&a, 1u << 20, false);
    nw_buf_init(&b, 1u << 20, false);
    if (nw_sigv4_append_canonical_query(&a, in) == NW_OK) {
        check(nw_sigv4_append_canonical_query(&b, nw_buf_cur(&a)) == NW_OK);
        check(nw_cur_eq(nw_buf_cur(&a), nw_buf_cur(&b)));
    }
    nw_buf_clear(&a);
    nw_buf_clear(&b);
}

/* Split "path\nquery\nname\nvalue\nbody" and sign it both ways, then verify as a server. */
static void fuzz_roundtrip(struct nw_cur in)
{
    struct nw_cur part[5] = {{NULL, 0}};
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= in.len && k < 4; i++) {
        if (i == in.len || in.ptr[i] == '\n') {
            part[k++] = nw_cur_of(in.ptr + start, i - start);
            start = i + 1;
        }
    }
    if (start <= in.len)
        part[4] = nw_cur_of(in.ptr + start, in.len - start);
    struct nw_aws_creds c;
    if (nw_aws_creds_set(&c, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "TOKEN",
                         0) != NW_OK)
        abort();
    struct nw_sigv4_header h[8] = {{nw_cur_str("Host"), nw_cur_str("example.amazonaws.com")},
                                   {part[2], part[3]}};
    size_t nh = part[2].len > 0 ? 2 : 1;
    struct nw_sigv4_request rq = {.method = "POST",
                                  .path = part[0],
                                  .query = part[1],
                                  .headers = h,
                                  .n_headers = nh,
                                  .body = part[4]};
    struct nw_sigv4_params p = {.region = "us-east-1",
                                .service = "kms",
                                .time_s = 1440938160,
                                .normalize_path = (in.len & 1) != 0,
                                .sign_body = true,
                                .expires_s = 300};
    struct nw_sigv4_result r;
    if (nw_sigv4_sign(&r, &c, &rq, &p) == NW_OK) {
        struct nw_sigv4_auth a;
        check(nw_sigv4_parse_authorization(&a, nw_buf_cur(&r.authorization)) == NW_OK);
        h[nh] = (struct nw_sigv4_header){nw_cur_str("X-Amz-Date"), nw_cur_str(r.amz_date)};
        h[nh + 1] =
            (struct nw_sigv4_header){nw_cur_str("X-Amz-Security-Token"), nw_cur_str("TOKEN")};
        h[nh + 2] = (struct nw_sigv4_header){nw_cur_str("X-Amz-Content-Sha256"),
                                             nw_cur_str(r.payload_hash)};
        struct nw_sigv4_request got = rq;
        got.n_headers = nh + 3;
        struct nw_cur secret = nw_cur_str(c.secret_access_key);
        check(nw_sigv4_verify(&got, &a, r.amz_date, secret, p.normalize_path) == NW_OK);
        got.body = nw_cur_str("changed");
        if (!nw_cur_eq(got.body, rq.body))
            check(nw_sigv4_verify(&got, &a, r.amz_date, secret, p.normalize_path) ==
                  NW_ERR_SIGV4_MISMATCH);
        nw_sigv4_result_clear(&r);
    }
    if (nw_sigv4_presign(&r, &c, &rq, &p) == NW_OK) {
        struct nw_sigv4_auth a;
        char date[17];
        uint32_t exp = 0;
        struct nw_sigv4_request got = rq;
        got.query = nw_buf_cur(&r.query);
        /* The caller's own parameters could shadow X-Amz-*: then parsing may refuse. */
        if (nw_sigv4_parse_presigned(&a, date, &exp, got.query) == NW_OK)
            check(nw_sigv4_verify(&got, &a, date, nw_cur_str(c.secret_access_key),
                                  p.normalize_path) == NW_OK);
        nw_sigv4_result_clear(&r);
    }
    nw_aws_creds_clear(&c);
}

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct nw_cur in = nw_cur_of(data + 1, size - 1);
    switch (data[0] % 16) {
        case 0:
            fuzz_error(in);
            break;
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
            fuzz_kms(in, (enum nw_kms_op)(data[0] % 16));
            break;
        case 6:
        case 7:
        case 8:
        case 9:
        case 10:
            fuzz_sm(in, (enum nw_sm_op)(data[0] % 16 - 5));
            break;
        case 11: {
            struct nw_aws_creds c;
            if (nw_imds_parse_credentials(&c, in) != NW_OK)
                check(c.secret_access_key[0] == '\0');
            nw_aws_creds_clear(&c);
            break;
        }
        case 12: {
            struct nw_sigv4_auth a;
            if (nw_sigv4_parse_authorization(&a, in) == NW_OK)
                check(strlen(a.signature) == 64 && a.scope[0] != '\0');
            break;
        }
        case 13: {
            struct nw_sigv4_auth a;
            char date[17];
            uint32_t exp;
            if (nw_sigv4_parse_presigned(&a, date, &exp, in) == NW_OK)
                check(exp >= 1 && exp <= 604800 && strlen(date) == 16);
            break;
        }
        case 14:
            fuzz_query(in);
            break;
        default:
            fuzz_roundtrip(in);
            break;
    }
    return 0;
}

/*
 * nw commands of the attest area: look at and verify Nitro attestation documents, and print
 * the measurements the NSM simulator (and so a KMS key policy) expects for a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nw/attest.h>
#include <nw/hex.h>
#include <nw/nsm_sim.h>

#include "cli.h"

#define VERIFY_USAGE                                                                           \
 "nw attestation verify --doc FILE [--root PEM] [--at UNIX_SECONDS] [--pcr N=HEX ...]\n"       \
 "       [--nonce HEX] [--max-age-ms N] [--reject-debug]\n"                                    \
 "  Verifies a COSE_Sign1 attestation document (FILE, or - for stdin) against the AWS Nitro\n" \
 "  root G1 (or --root), at --at (default: now), and prints its fields as JSON."
#define DESCRIBE_USAGE                  \
 "nw attestation describe --doc FILE\n" \
 "  Prints the fields of an attestation document as JSON without checking anything."
#define MEASURE_USAGE                   \
 "nw attestation measure --file PATH\n" \
 "  Prints PCR0/1/2 as the NSM simulator measures PATH (nitro-cli's formula)."

static nw_err read_input(struct nw_buf *b, const char *path, size_t max)
{
    if (strcmp(path, "-") == 0)
        return nw_cli_read_stdin(b, max);
    return nw_cli_read_file(b, path, max);
}

static int print_doc(const struct nw_attest_doc *doc)
{
    struct nw_buf js;
    nw_buf_init(&js, 1 << 20, false);
    nw_err err = nw_attest_doc_json(&js, doc);
    if (err == NW_OK)
        err = nw_buf_cstr(&js);
    if (err != NW_OK) {
        nw_buf_clear(&js);
        return nw_cli_fail_err(err, NULL);
    }
    (void)fprintf(stdout, "%s\n", (const char *)js.ptr);
    nw_buf_clear(&js);
    return NW_CLI_EXIT_OK;
}

/* Parse a decimal integer (optionally negative); false on junk or overflow. */
static bool parse_i64(const char *s, int64_t *out)
{
    char *end = NULL;
    if (s == NULL || *s == '\0')
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == NULL || *end != '\0' || errno == ERANGE)
        return false;
    *out = (int64_t)v;
    return true;
}

static int cmd_verify(int argc, char **argv)
{
    if (nw_cli_wants_help(argc, argv))
        return nw_cli_usage(VERIFY_USAGE);
    static struct nw_attest_doc doc;
    struct nw_attest_pcr_expect pcrs[NW_ATTEST_PCR_COUNT];
    struct nw_attest_opts o;
    struct nw_buf docb, root, nonce;
    const char *doc_path = NULL, *root_path = NULL;
    int rc = NW_CLI_EXIT_OK;
    memset(&o, 0, sizeof(o));
    o.time_s = (int64_t)time(NULL);
    nw_buf_init(&docb, NW_ATTEST_DOC_MAX, false);
    nw_buf_init(&root, (size_t)64 * 1024, false);
    nw_buf_init(&nonce, NW_ATTEST_FIELD_MAX, false);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--reject-debug") == 0) {
            o.reject_debug = true;
            continue;
        }
        if (v == NULL) {
            rc = nw_cli_usage(VERIFY_USAGE);
            goto out;
        }
        i++;
        int64_t n = 0;
        if (strcmp(a, "--doc") == 0) {
            doc_path = v;
        } else if (strcmp(a, "--root") == 0) {
            root_path = v;
        } else if (strcmp(a, "--at") == 0 && parse_i64(v, &n)) {
            o.time_s = n;
        } else if (strcmp(a, "--max-age-ms") == 0 && parse_i64(v, &n) && n > 0) {
            o.max_age_ms = (uint64_t)n;
        } else if (strcmp(a, "--pcr") == 0 && o.pcr_count < NW_ARRAY_LEN(pcrs)) {
            if (nw_attest_pcr_expect_parse(&pcrs[o.pcr_count], v) != NW_OK) {
                rc = nw_cli_fail("invalid_arg",
                                 "--pcr wants N=HEX with N in 0..31 and 96 hex digits");
                goto out;
            }
            o.pcr_count++;
        } else if (strcmp(a, "--nonce") == 0) {
            nw_err e = nw_hex_decode_buf(&nonce, nw_cur_str(v), false);
            if (e != NW_OK) {
                rc = nw_cli_fail_err(e, "--nonce");
                goto out;
            }
            o.nonce = nw_cur_of(nonce.ptr != NULL ? nonce.ptr : (const uint8_t *)"", nonce.len);
        } else {
            rc = nw_cli_usage(VERIFY_USAGE);
            goto out;
        }
    }
    if (doc_path == NULL) {
        rc = nw_cli_usage(VERIFY_USAGE);
        goto out;
    }
    o.pcrs = pcrs;
    nw_err err = read_input(&docb, doc_path, NW_ATTEST_DOC_MAX);
    if (err != NW_OK) {
        rc = nw_cli_fail_err(err, "--doc");
        goto out;
    }
    if (root_path != NULL) {
        err = nw_cli_read_file(&root, root_path, root.max);
        if (err != NW_OK) {
            rc = nw_cli_fail_err(err, "--root");
            goto out;
        }
        o.root = nw_buf_cur(&root);
    }
    err = nw_attest_verify(&doc, &o, nw_buf_cur(&docb));
    rc = err == NW_OK ? print_doc(&doc) : nw_cli_fail_err(err, NULL);
out:
    nw_buf_clear(&docb);
    nw_buf_clear(&root);
    nw_buf_clear(&nonce);
    return rc;
}

static int cmd_describe(int argc, char **argv)
{
    if (nw_cli_wants_help(argc, argv))
        return nw_cli_usage(DESCRIBE_USAGE);
    if (argc != 3 || strcmp(argv[1], "--doc") != 0)
        return nw_cli_usage(DESCRIBE_USAGE);
    static struct nw_attest_doc doc;
    struct nw_buf b;
    nw_buf_init(&b, NW_ATTEST_DOC_MAX, false);
    nw_err err = read_input(&b, argv[2], NW_ATTEST_DOC_MAX);
    if (err == NW_OK)
        err = nw_attest_parse(&doc, nw_buf_cur(&b));
    nw_buf_clear(&b);
    return err == NW_OK ? print_doc(&doc) : nw_cli_fail_err(err, NULL);
}

static int cmd_measure(int argc, char **argv)
{
    if (nw_cli_wants_help(argc, argv) || argc != 3 || strcmp(argv[1], "--file") != 0)
        return nw_cli_usage(MEASURE_USAGE);
    uint8_t p[3][48];
    char hex[3][97];
    nw_err err = nw_nsm_measure_file(p[0], p[1], p[2], argv[2]);
    for (int i = 0; err == NW_OK && i < 3; i++)
        err = nw_hex_encode(hex[i], sizeof(hex[i]), p[i], 48, false);
    if (err != NW_OK)
        return nw_cli_fail_err(err, argv[2]);
    /* nitro-cli build-enclave's shape */
    (void)fprintf(
        stdout,
        "{\"Measurements\":{\"HashAlgorithm\":\"Sha384 { ... }\",\"PCR0\":\"%s\",\"PCR1\":\"%s\","
        "\"PCR2\":\"%s\"}}\n",
        hex[0], hex[1], hex[2]);
    return NW_CLI_EXIT_OK;
}

const struct nw_cli_cmd nw_cli_cmds_attest[] = {
    {"attestation verify", "verify a Nitro attestation document and print its fields", cmd_verify},
    {"attestation describe", "print the fields of an attestation document (no checks)",
     cmd_describe},
    {"attestation measure", "PCR0/1/2 of a file as the NSM simulator measures it", cmd_measure},
    {NULL, NULL, NULL},
};

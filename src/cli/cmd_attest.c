/*
 * nw commands of the attest area: look at and verify Nitro attestation documents, and print
 * the measurements the NSM simulator (and so a KMS key policy) expects for a file.
 *
 * Documents are read as raw COSE_Sign1 bytes or as base64 text (how they travel in JSON, in
 * KMS requests and in logs), from a file or stdin. Verification is strict by default: a
 * debug-mode document fails unless --allow-debug.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nw/attest.h>
#include <nw/hex.h>
#include <nw/measure.h>

#include "cli.h"

enum {
    NW_ATO_DOC = 1,
    NW_ATO_ROOT,
    NW_ATO_AT,
    NW_ATO_PCR,
    NW_ATO_NONCE,
    NW_ATO_MAX_AGE,
    NW_ATO_ALLOW_DEBUG,
    NW_ATO_FILE
};

static const char EXIT_TEXT[] = "Exit: 0 ok; 1 error (JSON on stderr); 2 usage.";

/* Read a document: raw COSE_Sign1 bytes or their base64 (nw_attest_doc_from_input). */
static int read_doc(struct nw_buf *doc, const char *path)
{
    struct nw_buf text;
    nw_buf_init(&text, (size_t)2 * NW_ATTEST_DOC_MAX, false);
    int rc = nw_cli_read_input(&text, path, text.max, "an attestation document (CBOR or base64)");
    if (rc == NW_CLI_EXIT_OK) {
        nw_err err = nw_attest_doc_from_input(doc, nw_buf_cur(&text));
        if (err != NW_OK)
            rc = nw_cli_fail_errf(err, "%s",
                                  path == NULL || strcmp(path, "-") == 0 ? "stdin" : path);
    }
    nw_buf_clear(&text);
    return rc;
}

static int print_doc(const struct nw_attest_doc *doc)
{
    struct nw_buf js;
    nw_buf_init(&js, 1 << 20, false);
    nw_err err = nw_attest_doc_json(&js, doc);
    int rc = err == NW_OK ? nw_cli_print_line(nw_buf_cur(&js)) : nw_cli_fail_err(err, NULL);
    nw_buf_clear(&js);
    return rc;
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

static const struct nw_opt verify_opts[] = {
    {"doc", 'd', "FILE", NW_ATO_DOC, "the document: COSE_Sign1 bytes or their base64; - for stdin"},
    {"root", 0, "PEM", NW_ATO_ROOT, "trust anchor (default: the pinned AWS Nitro Root G1)"},
    {"at", 0, "TIME", NW_ATO_AT,
     "check the chain and freshness at TIME: Unix seconds or RFC 3339\n"
     "(2026-12-05T09:00:00Z); default now"},
    {"pcr", 0, "N=HEX", NW_ATO_PCR, "PCR N must equal HEX (96 hex digits); repeatable"},
    {"nonce", 0, "HEX", NW_ATO_NONCE, "the document's nonce must equal HEX"},
    {"max-age-ms", 0, "N", NW_ATO_MAX_AGE,
     "the document must be at most N ms older (or newer) than TIME"},
    {"allow-debug", 0, NULL, NW_ATO_ALLOW_DEBUG,
     "accept a document from a debug-mode enclave (PCR0 all zero); refused\n"
     "by default, since anyone can attach a debugger to such an enclave"},
    {NULL, 0, NULL, 0, NULL},
};
static const struct nw_opt_cmd verify_cmd = {
    "nw attestation verify",
    "--doc FILE|- [--root PEM] [--at TIME] [--pcr N=HEX]... [--nonce HEX]\n"
    "[--max-age-ms N] [--allow-debug]",
    "Verify a Nitro attestation document (COSE signature, certificate chain to the AWS\n"
    "Nitro root, time, PCRs, nonce) and print its fields as JSON.",
    verify_opts, EXIT_TEXT};

struct verify_args {
    struct nw_attest_opts o;
    struct nw_attest_pcr_expect pcrs[NW_ATTEST_PCR_COUNT];
    struct nw_buf nonce;
    const char *doc, *root;
};

/* Apply one option; returns 0 or a usage exit code. */
static int verify_opt(struct verify_args *a, int id, const char *v)
{
    int64_t n = 0;
    switch (id) {
        case NW_ATO_DOC:
            a->doc = v;
            break;
        case NW_ATO_ROOT:
            a->root = v;
            break;
        case NW_ATO_AT:
            if (nw_attest_time_parse(&n, v) != NW_OK)
                return nw_opt_usage_error(&verify_cmd, "--at wants Unix seconds or an RFC 3339 "
                                                       "time such as 2026-12-05T09:00:00Z");
            a->o.time_s = n;
            break;
        case NW_ATO_MAX_AGE:
            if (!parse_i64(v, &n) || n <= 0)
                return nw_opt_usage_error(&verify_cmd, "--max-age-ms wants a positive integer");
            a->o.max_age_ms = (uint64_t)n;
            break;
        case NW_ATO_PCR:
            if (a->o.pcr_count == NW_ATTEST_PCR_COUNT ||
                nw_attest_pcr_expect_parse(&a->pcrs[a->o.pcr_count], v) != NW_OK)
                return nw_opt_usage_error(&verify_cmd, "--pcr wants N=HEX with N in 0..31 and 96 "
                                                       "hex digits");
            a->o.pcr_count++;
            break;
        case NW_ATO_NONCE:
            a->nonce.len = 0;
            if (nw_hex_decode_buf(&a->nonce, nw_cur_str(v), false) != NW_OK)
                return nw_opt_usage_error(&verify_cmd, "--nonce wants hex");
            a->o.nonce = nw_cur_of(a->nonce.ptr ? a->nonce.ptr : (const uint8_t *)"", a->nonce.len);
            break;
        case NW_ATO_ALLOW_DEBUG:
            a->o.allow_debug = true;
            break;
        default:
            break;
    }
    return 0;
}

static int cmd_verify(int argc, char **argv)
{
    static struct nw_attest_doc doc;
    static struct verify_args a;
    struct nw_opt_parser p;
    struct nw_buf docb, root;
    const char *v;
    int id, rc = NW_CLI_EXIT_USAGE;
    memset(&a, 0, sizeof(a));
    a.o.time_s = (int64_t)time(NULL);
    nw_buf_init(&a.nonce, NW_ATTEST_FIELD_MAX, false);
    nw_buf_init(&docb, NW_ATTEST_DOC_MAX, false);
    nw_buf_init(&root, (size_t)64 * 1024, false);
    nw_opt_init(&p, &verify_cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        if ((rc = verify_opt(&a, id, v)) != 0)
            goto out;
    }
    if (id != NW_OPT_END) {
        rc = nw_opt_finish(&p, id);
        goto out;
    }
    if (a.doc == NULL || p.optind < argc) {
        rc = a.doc == NULL
                 ? nw_opt_usage_error(&verify_cmd, "missing --doc FILE|-")
                 : nw_opt_usage_error(&verify_cmd, "unexpected argument '%.60s'", argv[p.optind]);
        goto out;
    }
    a.o.pcrs = a.pcrs;
    if ((rc = read_doc(&docb, a.doc)) != NW_CLI_EXIT_OK)
        goto out;
    if (a.root != NULL) {
        if ((rc = nw_cli_read_input(&root, a.root, root.max, "a root certificate")) !=
            NW_CLI_EXIT_OK)
            goto out;
        a.o.root = nw_buf_cur(&root);
    }
    /* diag says what to do: which PCR differs, that --at or --allow-debug exist */
    struct nw_diag diag = {0};
    nw_err err = nw_attest_verify_diag(&doc, &diag, &a.o, nw_buf_cur(&docb));
    rc = err == NW_OK ? print_doc(&doc) : nw_cli_fail_err(err, diag.code == err ? diag.msg : NULL);
out:
    nw_buf_clear(&docb);
    nw_buf_clear(&root);
    nw_buf_clear(&a.nonce);
    return rc;
}

static const struct nw_opt describe_opts[] = {
    {"doc", 'd', "FILE", NW_ATO_DOC, "the document: COSE_Sign1 bytes or their base64; - for stdin"},
    {NULL, 0, NULL, 0, NULL},
};
static const struct nw_opt_cmd describe_cmd = {
    "nw attestation describe", "--doc FILE|-",
    "Print the fields of an attestation document as JSON without checking anything.", describe_opts,
    EXIT_TEXT};

static int cmd_describe(int argc, char **argv)
{
    static struct nw_attest_doc doc;
    struct nw_opt_parser p;
    const char *v, *path = NULL;
    int id;
    nw_opt_init(&p, &describe_cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0)
        path = v;
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (path == NULL)
        return nw_opt_usage_error(&describe_cmd, "missing --doc FILE|-");
    if (p.optind < argc)
        return nw_opt_usage_error(&describe_cmd, "unexpected argument '%.60s'", argv[p.optind]);
    struct nw_buf b;
    nw_buf_init(&b, NW_ATTEST_DOC_MAX, false);
    int rc = read_doc(&b, path);
    if (rc == NW_CLI_EXIT_OK) {
        nw_err err = nw_attest_parse(&doc, nw_buf_cur(&b));
        rc = err == NW_OK ? print_doc(&doc) : nw_cli_fail_err(err, NULL);
    }
    nw_buf_clear(&b);
    return rc;
}

static const struct nw_opt measure_opts[] = {
    {"file", 0, "PATH", NW_ATO_FILE, "the file to measure (an enclave binary or image)"},
    {NULL, 0, NULL, 0, NULL},
};
static const struct nw_opt_cmd measure_cmd = {
    "nw attestation measure", "--file PATH",
    "Print PCR0/1/2 of PATH as the NSM simulator measures it (nitro-cli's formula), in\n"
    "nitro-cli build-enclave's shape.",
    measure_opts, EXIT_TEXT};

static int cmd_measure(int argc, char **argv)
{
    struct nw_opt_parser p;
    const char *v, *path = NULL;
    int id;
    nw_opt_init(&p, &measure_cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0)
        path = v;
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (path == NULL)
        return nw_opt_usage_error(&measure_cmd, "missing --file PATH");
    if (p.optind < argc)
        return nw_opt_usage_error(&measure_cmd, "unexpected argument '%.60s'", argv[p.optind]);
    uint8_t pcr[3][48];
    char hex[3][97], line[512];
    nw_err err = nw_nsm_measure_file(pcr[0], pcr[1], pcr[2], path);
    for (int i = 0; err == NW_OK && i < 3; i++)
        err = nw_hex_encode(hex[i], sizeof(hex[i]), pcr[i], 48, false);
    if (err != NW_OK)
        return nw_cli_fail_errf(err, "%s", path);
    int n = snprintf(line, sizeof(line),
                     "{\"Measurements\":{\"HashAlgorithm\":\"Sha384 { ... }\",\"PCR0\":\"%s\","
                     "\"PCR1\":\"%s\",\"PCR2\":\"%s\"}}",
                     hex[0], hex[1], hex[2]);
    return nw_cli_print_line(nw_cur_of(line, (size_t)n));
}

const struct nw_cli_cmd nw_cli_cmds_attest[] = {
    {"attestation verify", "verify a Nitro attestation document and print its fields", cmd_verify},
    {"attestation describe", "print the fields of an attestation document (no checks)",
     cmd_describe},
    {"attestation measure", "PCR0/1/2 of a file as the NSM simulator measures it", cmd_measure},
    {NULL, NULL, NULL},
};

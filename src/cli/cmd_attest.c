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
#include <nw/base64.h>
#include <nw/hex.h>
#include <nw/measure.h>

#include "cli.h"

enum { O_DOC = 1, O_ROOT, O_AT, O_PCR, O_NONCE, O_MAX_AGE, O_ALLOW_DEBUG, O_FILE };

static const char EXIT_TEXT[] = "Exit: 0 ok; 1 error (JSON on stderr); 2 usage.";

/* Read a document: raw CBOR (first byte 0xd2 tag or 0x84 array) or base64 text of it. */
static int read_doc(struct nw_buf *doc, const char *path)
{
    struct nw_buf text;
    nw_buf_init(&text, 2 * NW_ATTEST_DOC_MAX, false);
    int rc = nw_cli_read_input(&text, path, text.max, "an attestation document (CBOR or base64)");
    if (rc == NW_CLI_EXIT_OK) {
        struct nw_cur t = nw_buf_cur(&text);
        nw_err err = NW_OK;
        if (t.ptr[0] == 0xd2 || t.ptr[0] == 0x84)
            err = nw_buf_append(doc, t.ptr, t.len);
        else if ((err = nw_base64_decode(doc, t, true)) != NW_OK)
            rc = nw_cli_fail_errf(err, "%s holds neither a CBOR document nor its base64",
                                  path == NULL || strcmp(path, "-") == 0 ? "stdin" : path);
        if (err != NW_OK && rc == NW_CLI_EXIT_OK)
            rc = nw_cli_fail_errf(err, "%s is too large", path);
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

/* Two decimal digits at s into *v; false if they are not digits. */
static bool two(const char *s, int *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return false;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return true;
}

/*
 * RFC 3339 date-time (section 5.6): YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), 't', 'z' and
 * a space for 'T' accepted; the fraction is dropped. Leap second 60 is refused (time_t has none).
 */
static bool parse_rfc3339(const char *s, int64_t *out)
{
    struct tm tm;
    int y1, y2, mo, d, h, mi, sec, oh = 0, om = 0;
    memset(&tm, 0, sizeof(tm));
    if (strlen(s) < 20 || !two(s, &y1) || !two(s + 2, &y2) || s[4] != '-' || !two(s + 5, &mo) ||
        s[7] != '-' || !two(s + 8, &d) || strchr("Tt ", s[10]) == NULL || !two(s + 11, &h) ||
        s[13] != ':' || !two(s + 14, &mi) || s[16] != ':' || !two(s + 17, &sec))
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int sign = 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        sign = 0;
    else if ((*p == '+' || *p == '-') && two(p + 1, &oh) && p[3] == ':' && two(p + 4, &om) &&
             p[6] == '\0' && oh <= 23 && om <= 59)
        sign = *p == '+' ? 1 : -1;
    else
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return false;
    tm.tm_year = y1 * 100 + y2 - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d) /* 2026-02-30 normalises to March */
        return false;
    *out = (int64_t)t - sign * (int64_t)(oh * 3600 + om * 60);
    return true;
}

static const struct nw_opt verify_opts[] = {
    {"doc", 'd', "FILE", O_DOC, "the document: COSE_Sign1 bytes or their base64; - for stdin"},
    {"root", 0, "PEM", O_ROOT, "trust anchor (default: the pinned AWS Nitro Root G1)"},
    {"at", 0, "TIME", O_AT,
     "check the chain and freshness at TIME: Unix seconds or RFC 3339\n"
     "(2026-12-05T09:00:00Z); default now"},
    {"pcr", 0, "N=HEX", O_PCR, "PCR N must equal HEX (96 hex digits); repeatable"},
    {"nonce", 0, "HEX", O_NONCE, "the document's nonce must equal HEX"},
    {"max-age-ms", 0, "N", O_MAX_AGE,
     "the document must be at most N ms older (or newer) than TIME"},
    {"allow-debug", 0, NULL, O_ALLOW_DEBUG,
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
        case O_DOC:
            a->doc = v;
            break;
        case O_ROOT:
            a->root = v;
            break;
        case O_AT:
            if (!parse_i64(v, &n) && !parse_rfc3339(v, &n))
                return nw_opt_usage_error(&verify_cmd, "--at wants Unix seconds or an RFC 3339 "
                                                       "time such as 2026-12-05T09:00:00Z");
            a->o.time_s = n;
            break;
        case O_MAX_AGE:
            if (!parse_i64(v, &n) || n <= 0)
                return nw_opt_usage_error(&verify_cmd, "--max-age-ms wants a positive integer");
            a->o.max_age_ms = (uint64_t)n;
            break;
        case O_PCR:
            if (a->o.pcr_count == NW_ATTEST_PCR_COUNT ||
                nw_attest_pcr_expect_parse(&a->pcrs[a->o.pcr_count], v) != NW_OK)
                return nw_opt_usage_error(&verify_cmd, "--pcr wants N=HEX with N in 0..31 and 96 "
                                                       "hex digits");
            a->o.pcr_count++;
            break;
        case O_NONCE:
            a->nonce.len = 0;
            if (nw_hex_decode_buf(&a->nonce, nw_cur_str(v), false) != NW_OK)
                return nw_opt_usage_error(&verify_cmd, "--nonce wants hex");
            a->o.nonce = nw_cur_of(a->nonce.ptr ? a->nonce.ptr : (const uint8_t *)"", a->nonce.len);
            break;
        case O_ALLOW_DEBUG:
            a->o.reject_debug = false;
            break;
        default:
            break;
    }
    return 0;
}

/* A failed verification, with what the user can do about it. */
static int verify_failed(nw_err err, const struct verify_args *a, struct nw_cur doc)
{
    static struct nw_attest_doc d;
    if (err == NW_ERR_ATTEST_CERT_EXPIRED)
        return nw_cli_fail_err(err, "to check a document as of its own time, give --at (Unix "
                                    "seconds or RFC 3339)");
    if (err == NW_ERR_ATTEST_DEBUG_MODE)
        return nw_cli_fail_err(err, "PCR0 is all zero; --allow-debug accepts it");
    if ((err == NW_ERR_ATTEST_PCR_MISMATCH || err == NW_ERR_ATTEST_PCR_MISSING) &&
        nw_attest_parse(&d, doc) == NW_OK) {
        for (size_t i = 0; i < a->o.pcr_count; i++) {
            unsigned k = a->pcrs[i].index;
            if ((d.pcr_present & (1u << k)) == 0)
                return nw_cli_fail_errf(NW_ERR_ATTEST_PCR_MISSING, "PCR%u is not in the document",
                                        k);
            if (memcmp(d.pcrs[k], a->pcrs[i].value, NW_ATTEST_PCR_LEN) != 0) {
                char hex[2 * NW_ATTEST_PCR_LEN + 1];
                if (nw_hex_encode(hex, sizeof(hex), d.pcrs[k], NW_ATTEST_PCR_LEN, false) != NW_OK)
                    hex[0] = '\0';
                return nw_cli_fail_errf(NW_ERR_ATTEST_PCR_MISMATCH, "PCR%u is %s", k, hex);
            }
        }
    }
    return nw_cli_fail_err(err, NULL);
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
    a.o.reject_debug = true;
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
    nw_err err = nw_attest_verify(&doc, &a.o, nw_buf_cur(&docb));
    rc = err == NW_OK ? print_doc(&doc) : verify_failed(err, &a, nw_buf_cur(&docb));
out:
    nw_buf_clear(&docb);
    nw_buf_clear(&root);
    nw_buf_clear(&a.nonce);
    return rc;
}

static const struct nw_opt describe_opts[] = {
    {"doc", 'd', "FILE", O_DOC, "the document: COSE_Sign1 bytes or their base64; - for stdin"},
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
    {"file", 0, "PATH", O_FILE, "the file to measure (an enclave binary or image)"},
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

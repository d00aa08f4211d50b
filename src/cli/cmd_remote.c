/*
 * nw remote ...: the same operations as the offline commands, done by a running nw-host over
 * HTTPS (DESIGN.md section 7, /v1 routes). `. .state/stack.env` is all the set-up: the URL and
 * the CA come from --url/--ca or NW_URL/NW_CA_BUNDLE; --cert/--key (or NW_CLIENT_CERT,
 * NW_CLIENT_KEY) give a client certificate when nw-host requires one.
 *
 *   nw remote health                                   GET  /v1/health
 *   nw remote keys list | get ID | generate [--label L] | disable ID
 *   nw remote keys import (--secret-id ID | --encrypted-key-file F) [--address A]
 *   nw remote sign-tx KEY [TX.json|-]                  POST /v1/transactions/sign
 *   nw remote sign-message KEY [--hex] [FILE|-]        POST /v1/messages/sign
 *   nw remote sign-typed-data KEY [FILE|-]             POST /v1/typed-data/sign
 *   nw remote sign-authorization KEY [AUTH.json|-]     POST /v1/authorizations/sign
 *   nw remote attest --nonce HEX [--root F] [--pcr N=HEX]... [--allow-debug]
 * KEY is one of --key-id ID, --address A, --secret-id ID. The answer of nw-host is printed as it
 * comes (one JSON line); an error answer goes to stderr as {"error":{...}} with exit 1.
 * JSON inputs are spliced into the request as text, never re-serialised (so 0.01 stays 0.01).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nw/base64.h>
#include <nw/http.h>

#include "cli.h"

#define MAX_INPUT  ((size_t)1024 * 1024)
#define MAX_ANSWER ((size_t)4 * 1024 * 1024)

enum {
    NW_RO_URL = 1,
    NW_RO_CA,
    NW_RO_CERT,
    NW_RO_KEY,
    NW_RO_KEY_ID,
    NW_RO_ADDRESS,
    NW_RO_SECRET_ID,
    NW_RO_HEX,
    NW_RO_LABEL,
    NW_RO_EKEY_FILE,
    NW_RO_NONCE,
    NW_RO_ROOT,
    NW_RO_PCR,
    NW_RO_ALLOW_DEBUG,
    NW_RO_AT,
    NW_RO_EXPECT_ADDR,
};

#define CONN_OPTS                                                                                \
 {"url", 'u', "URL", NW_RO_URL, "nw-host base URL (default $NW_URL)"},                           \
     {"ca", 0, "FILE", NW_RO_CA, "CA bundle for nw-host's certificate (default $NW_CA_BUNDLE)"}, \
     {"cert", 0, "FILE", NW_RO_CERT, "client certificate, PEM (default $NW_CLIENT_CERT)"},       \
 {                                                                                               \
  "key", 0, "FILE", NW_RO_KEY, "client certificate's private key (default $NW_CLIENT_KEY)"       \
 }
#define KEY_OPTS                                                                              \
 {"key-id", 'k', "ID", NW_RO_KEY_ID, "sign with this key store key"},                         \
     {"address", 'a', "ADDR", NW_RO_ADDRESS, "sign with the stored key of this address"},     \
 {                                                                                            \
  "secret-id", 's', "ID", NW_RO_SECRET_ID, "sign with the key in this Secrets Manager secret" \
 }

struct remote {
    const char *url, *ca, *cert, *key;
    const char *key_field, *key_value; /* key_id | address | secret_id */
    const char *label, *ekey_file, *nonce, *expect_addr;
    bool hex;
    const char *pass[24]; /* attest: options handed to `nw attestation verify` */
    int n_pass;
};

static const char EXIT_TEXT[] = "Exit: 0 ok; 1 error (JSON on stderr); 2 usage.";

/* Parse argv against cmd; operands start at *first. Returns -1 to go on, else an exit code. */
static int parse(struct remote *r, const struct nw_opt_cmd *cmd, int argc, char **argv, int *first)
{
    struct nw_opt_parser p;
    const char *v;
    int id;
    memset(r, 0, sizeof(*r));
    nw_opt_init(&p, cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        switch (id) {
            case NW_RO_URL:
                r->url = v;
                break;
            case NW_RO_CA:
                r->ca = v;
                break;
            case NW_RO_CERT:
                r->cert = v;
                break;
            case NW_RO_KEY:
                r->key = v;
                break;
            case NW_RO_KEY_ID:
            case NW_RO_ADDRESS:
            case NW_RO_SECRET_ID:
                if (r->key_field != NULL)
                    return nw_opt_usage_error(cmd, "give one of --key-id, --address, --secret-id");
                r->key_field = id == NW_RO_KEY_ID    ? "key_id"
                               : id == NW_RO_ADDRESS ? "address"
                                                     : "secret_id";
                r->key_value = v;
                break;
            case NW_RO_HEX:
                r->hex = true;
                break;
            case NW_RO_LABEL:
                r->label = v;
                break;
            case NW_RO_EKEY_FILE:
                r->ekey_file = v;
                break;
            case NW_RO_NONCE:
                r->nonce = v[0] == '0' && (v[1] == 'x' || v[1] == 'X') ? v + 2 : v;
                break;
            case NW_RO_EXPECT_ADDR:
                r->expect_addr = v;
                break;
            default: /* attest: --root, --pcr, --allow-debug, --at go to the verifier */
                if (r->n_pass + 2 >= (int)NW_ARRAY_LEN(r->pass))
                    return nw_opt_usage_error(cmd, "too many verification options");
                r->pass[r->n_pass++] = id == NW_RO_ROOT  ? "--root"
                                       : id == NW_RO_PCR ? "--pcr"
                                       : id == NW_RO_AT  ? "--at"
                                                         : "--allow-debug";
                if (v != NULL)
                    r->pass[r->n_pass++] = v;
        }
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (r->url == NULL)
        r->url = getenv("NW_URL");
    if (r->ca == NULL)
        r->ca = getenv("NW_CA_BUNDLE");
    if (r->cert == NULL)
        r->cert = getenv("NW_CLIENT_CERT");
    if (r->key == NULL)
        r->key = getenv("NW_CLIENT_KEY");
    if (r->url == NULL || r->url[0] == '\0')
        return nw_cli_fail_err(NW_ERR_REMOTE_NO_URL,
                               "give --url or set NW_URL (. .state/stack.env)");
    *first = p.optind;
    return -1;
}

/* One request to nw-host; the answer body into out. Returns an exit code; errors reported. */
static int perform(const struct remote *r,
                   struct nw_buf *out,
                   const char *method,
                   const char *path,
                   struct nw_cur body)
{
    struct nw_http *h = NULL;
    struct nw_http_response resp;
    struct nw_diag d;
    char url[2048];
    size_t ul = strlen(r->url);
    while (ul > 0 && r->url[ul - 1] == '/')
        ul--;
    if ((size_t)snprintf(url, sizeof(url), "%.*s%s", (int)ul, r->url, path) >= sizeof(url))
        return nw_cli_fail_err(NW_ERR_INVALID_ARG, "URL too long");
    struct nw_http_opts o = {.ca_file = r->ca,
                             .cert_file = r->cert,
                             .key_file = r->key,
                             .timeout_ms = 30000,
                             .max_response_bytes = MAX_ANSWER};
    struct nw_http_header hdr[] = {{"Content-Type", "application/json"}};
    struct nw_http_request rq = {.method = method,
                                 .url = url,
                                 .headers = hdr,
                                 .n_headers = body.len > 0 ? 1 : 0,
                                 .body = body};
    memset(&d, 0, sizeof(d));
    nw_http_response_init(&resp);
    nw_err err = nw_http_new(&h, &o);
    if (err == NW_OK)
        err = nw_http_perform(h, &resp, &rq, &d);
    int rc = NW_CLI_EXIT_OK;
    if (err != NW_OK) {
        rc = nw_cli_fail_errf(err, "%s %s: %s", method, url, d.msg[0] ? d.msg : nw_err_str(err));
    } else if (resp.status != 200) {
        /* nw-host's own {"error":{"code","message"}}, passed on as is when it is one */
        json_error_t je;
        json_t *e = json_loadb((const char *)resp.body.ptr, resp.body.len, 0, &je);
        if (json_is_object(json_object_get(e, "error"))) {
            (void)fwrite(resp.body.ptr, 1, resp.body.len, stderr);
            rc = NW_CLI_EXIT_ERR;
        } else {
            rc =
                nw_cli_fail_errf(NW_ERR_REMOTE_ANSWER, "%s %s: HTTP %ld", method, url, resp.status);
        }
        json_decref(e);
    } else if (nw_buf_append(out, resp.body.ptr, resp.body.len) != NW_OK) {
        rc = nw_cli_fail_err(NW_ERR_TOO_LARGE, "answer");
    }
    nw_http_response_clear(&resp);
    nw_http_free(h);
    return rc;
}

/* Perform and print the answer (one line). */
static int
run_print(const struct remote *r, const char *method, const char *path, struct nw_cur body)
{
    struct nw_buf out;
    nw_buf_init(&out, MAX_ANSWER, false);
    int rc = perform(r, &out, method, path, body);
    if (rc == NW_CLI_EXIT_OK)
        rc = nw_cli_print_line(nw_cli_trim(nw_buf_cur(&out)));
    nw_buf_clear(&out);
    return rc;
}

/* A JSON object text: fields (compact) with member:raw spliced in (raw may be NULL). */
static int make_body(struct nw_buf *body, json_t *fields, const char *member, struct nw_cur raw)
{
    size_t n = json_dumpb(fields, NULL, 0, JSON_COMPACT);
    nw_err err = n >= 2 ? nw_buf_reserve(body, n + raw.len + 64) : NW_ERR_NOMEM;
    if (err == NW_OK && json_dumpb(fields, (char *)body->ptr, n, JSON_COMPACT) != n)
        err = NW_ERR_NOMEM;
    json_decref(fields);
    if (err != NW_OK)
        return nw_cli_fail_err(err, "request");
    body->len = n - 1; /* drop the closing brace */
    if (member != NULL)
        err = nw_buf_appendf(body, "%s\"%s\":", n > 2 ? "," : "", member);
    if (err == NW_OK && member != NULL)
        err = nw_buf_append(body, raw.ptr, raw.len);
    if (err == NW_OK)
        err = nw_buf_append_byte(body, '}');
    return err == NW_OK ? NW_CLI_EXIT_OK : nw_cli_fail_err(err, "request");
}

/* The key selector as a JSON object (usage error when none was given). */
static int key_fields(const struct remote *r, const struct nw_opt_cmd *cmd, json_t **out)
{
    if (r->key_field == NULL)
        return nw_opt_usage_error(cmd, "give one of --key-id, --address, --secret-id");
    *out = json_pack("{s:s}", r->key_field, r->key_value);
    return *out != NULL ? -1 : nw_cli_fail_err(NW_ERR_NOMEM, "request");
}

/* Read a JSON object input (file or stdin), checked to be an object before it is sent. */
static int read_json_object(struct nw_buf *in, const char *path, const char *what)
{
    int rc = nw_cli_read_input(in, path, MAX_INPUT, what);
    if (rc != NW_CLI_EXIT_OK)
        return rc;
    json_error_t je;
    json_t *v = json_loadb((const char *)in->ptr, in->len, JSON_REJECT_DUPLICATES, &je);
    bool ok = json_is_object(v);
    json_decref(v);
    if (!ok)
        return nw_cli_fail_errf(NW_ERR_JSON, "%s: not a JSON object (line %d)", what, je.line);
    return NW_CLI_EXIT_OK;
}

static const struct nw_opt sign_opts[] = {CONN_OPTS, KEY_OPTS, {NULL, 0, NULL, 0, NULL}};
static const struct nw_opt msg_opts[] = {CONN_OPTS,
                                         KEY_OPTS,
                                         {"hex", 0, NULL, NW_RO_HEX, "the input is 0x-hex bytes"},
                                         {NULL, 0, NULL, 0, NULL}};

static const struct nw_opt_cmd sign_tx_cmd = {
    "nw remote sign-tx", "(--key-id ID | --address A | --secret-id ID) [TX.json|-]",
    "Sign a transaction (the web3 dict of `nw sign-tx`, value in ether) in the enclave behind\n"
    "nw-host; prints {\"transaction_signed\",\"transaction_hash\",\"address\"}.",
    sign_opts, EXIT_TEXT};
static const struct nw_opt_cmd sign_msg_cmd = {
    "nw remote sign-message", "(--key-id ID | --address A | --secret-id ID) [--hex] [FILE|-]",
    "EIP-191 personal_sign of the input bytes; prints {\"signature\",\"address\",\"hash\"}.",
    msg_opts, EXIT_TEXT};
static const struct nw_opt_cmd sign_td_cmd = {
    "nw remote sign-typed-data", "(--key-id ID | --address A | --secret-id ID) [FILE|-]",
    "EIP-712 signature over eth_signTypedData_v4 JSON; prints "
    "{\"signature\",\"address\",\"hash\"}.",
    sign_opts, EXIT_TEXT};
static const struct nw_opt_cmd sign_auth_cmd = {
    "nw remote sign-authorization", "(--key-id ID | --address A | --secret-id ID) [AUTH.json|-]",
    "EIP-7702 authorization {\"chainId\",\"address\",\"nonce\"}; prints the signed tuple.",
    sign_opts, EXIT_TEXT};

/* sign-tx, sign-typed-data, sign-authorization: a JSON object input spliced into member. */
static int
sign_json(int argc, char **argv, const struct nw_opt_cmd *cmd, const char *member, const char *path)
{
    struct remote r;
    struct nw_buf in, body;
    json_t *f = NULL;
    int first = 0, rc = parse(&r, cmd, argc, argv, &first);
    if (rc >= 0)
        return rc;
    if (argc - first > 1)
        return nw_opt_usage_error(cmd, "one input file at most");
    if ((rc = key_fields(&r, cmd, &f)) >= 0)
        return rc;
    nw_buf_init(&in, MAX_INPUT, false);
    nw_buf_init(&body, MAX_INPUT + 4096, false);
    rc = read_json_object(&in, first < argc ? argv[first] : NULL, member);
    if (rc == NW_CLI_EXIT_OK)
        rc = make_body(&body, f, member, nw_buf_cur(&in));
    else
        json_decref(f);
    if (rc == NW_CLI_EXIT_OK)
        rc = run_print(&r, "POST", path, nw_buf_cur(&body));
    nw_buf_clear(&in);
    nw_buf_clear(&body);
    return rc;
}

static int cmd_sign_tx(int argc, char **argv)
{
    return sign_json(argc, argv, &sign_tx_cmd, "transaction_payload", "/v1/transactions/sign");
}

static int cmd_sign_typed_data(int argc, char **argv)
{
    return sign_json(argc, argv, &sign_td_cmd, "typed_data", "/v1/typed-data/sign");
}

static int cmd_sign_authorization(int argc, char **argv)
{
    return sign_json(argc, argv, &sign_auth_cmd, "authorization", "/v1/authorizations/sign");
}

static int cmd_sign_message(int argc, char **argv)
{
    struct remote r;
    struct nw_buf in, body;
    json_t *f = NULL;
    int first = 0, rc = parse(&r, &sign_msg_cmd, argc, argv, &first);
    if (rc >= 0)
        return rc;
    if (argc - first > 1)
        return nw_opt_usage_error(&sign_msg_cmd, "one input file at most");
    if ((rc = key_fields(&r, &sign_msg_cmd, &f)) >= 0)
        return rc;
    nw_buf_init(&in, MAX_INPUT, false);
    nw_buf_init(&body, 2 * MAX_INPUT + 4096, false);
    rc = nw_cli_read_input(&in, first < argc ? argv[first] : NULL, MAX_INPUT, "a message");
    if (rc == NW_CLI_EXIT_OK) {
        struct nw_cur m = r.hex ? nw_cli_trim(nw_buf_cur(&in)) : nw_buf_cur(&in);
        json_t *s = json_stringn((const char *)m.ptr, m.len); /* NULL when not UTF-8 */
        if (s == NULL || json_object_set_new(f, r.hex ? "message_hex" : "message", s) != 0)
            rc = nw_cli_fail_err(NW_ERR_INVALID_ARG,
                                 "the message is not UTF-8 text: give its bytes as --hex");
    }
    if (rc == NW_CLI_EXIT_OK) {
        rc = make_body(&body, f, NULL, nw_cur_of(NULL, 0));
        f = NULL;
    }
    json_decref(f);
    if (rc == NW_CLI_EXIT_OK)
        rc = run_print(&r, "POST", "/v1/messages/sign", nw_buf_cur(&body));
    nw_buf_clear(&in);
    nw_buf_clear(&body);
    return rc;
}

static const struct nw_opt conn_opts[] = {CONN_OPTS, {NULL, 0, NULL, 0, NULL}};
static const struct nw_opt_cmd health_cmd = {"nw remote health", "",
                                             "nw-host's view of the enclave (GET /v1/health).",
                                             conn_opts, EXIT_TEXT};

static int cmd_health(int argc, char **argv)
{
    struct remote r;
    int first = 0, rc = parse(&r, &health_cmd, argc, argv, &first);
    if (rc >= 0)
        return rc;
    if (first != argc)
        return nw_opt_usage_error(&health_cmd, "no operands expected");
    return run_print(&r, "GET", "/v1/health", nw_cur_of(NULL, 0));
}

static const struct nw_opt keys_opts[] = {
    CONN_OPTS,
    {"label", 'l', "TEXT", NW_RO_LABEL, "generate: a label for the new key"},
    {"secret-id", 's', "ID", NW_RO_SECRET_ID, "import: the Secrets Manager secret holding the key"},
    {"encrypted-key-file", 0, "FILE", NW_RO_EKEY_FILE,
     "import: a file with the base64 KMS ciphertext (the seed's set_key output)"},
    {"address", 'a', "ADDR", NW_RO_EXPECT_ADDR, "import: the address the key must derive"},
    {NULL, 0, NULL, 0, NULL}};
static const struct nw_opt_cmd keys_cmd = {
    "nw remote keys",
    "list\nget ID|ADDRESS\ngenerate [--label TEXT]\ndisable ID|ADDRESS\n"
    "import (--secret-id ID | --encrypted-key-file FILE) [--address ADDR]",
    "The key store behind nw-host (/v1/keys).", keys_opts, EXIT_TEXT};

static bool id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strchr("/?#% ", id[i]) != NULL)
            return false;
    return true;
}

static int keys_import(const struct remote *r)
{
    struct nw_buf ct, body;
    json_t *f = json_object();
    int rc = NW_CLI_EXIT_OK;
    if ((r->key_value == NULL) == (r->ekey_file == NULL))
        return nw_opt_usage_error(&keys_cmd, "import: give --secret-id or --encrypted-key-file");
    nw_buf_init(&ct, (size_t)64 * 1024, false);
    nw_buf_init(&body, (size_t)128 * 1024, false);
    if (r->ekey_file != NULL)
        rc = nw_cli_read_input(&ct, r->ekey_file, ct.max, "a base64 KMS ciphertext");
    if (rc == NW_CLI_EXIT_OK && f != NULL) {
        struct nw_cur c = nw_cli_trim(nw_buf_cur(&ct));
        if ((r->key_value != NULL &&
             json_object_set_new(f, "secret_id", json_string(r->key_value)) != 0) ||
            (r->ekey_file != NULL &&
             json_object_set_new(f, "encrypted_key", json_stringn((const char *)c.ptr, c.len)) !=
                 0) ||
            (r->label != NULL && json_object_set_new(f, "label", json_string(r->label)) != 0))
            rc = nw_cli_fail_err(NW_ERR_INVALID_ARG, "import fields");
    }
    if (rc == NW_CLI_EXIT_OK && r->expect_addr != NULL &&
        json_object_set_new(f, "address", json_string(r->expect_addr)) != 0)
        rc = nw_cli_fail_err(NW_ERR_INVALID_ARG, "--address");
    if (rc == NW_CLI_EXIT_OK) {
        rc = make_body(&body, f, NULL, nw_cur_of(NULL, 0));
        f = NULL;
    }
    json_decref(f);
    if (rc == NW_CLI_EXIT_OK)
        rc = run_print(r, "POST", "/v1/keys/import", nw_buf_cur(&body));
    nw_buf_clear(&ct);
    nw_buf_clear(&body);
    return rc;
}

static int cmd_keys(int argc, char **argv)
{
    struct remote r;
    char path[160];
    int first = 0, rc = parse(&r, &keys_cmd, argc, argv, &first);
    if (rc >= 0)
        return rc;
    const char *sub = first < argc ? argv[first] : NULL;
    const char *id = first + 1 < argc ? argv[first + 1] : NULL;
    int extra = argc - first;
    if (sub == NULL)
        return nw_opt_usage_error(&keys_cmd,
                                  "missing a command: list, get, generate, disable, import");
    if (strcmp(sub, "list") == 0 && extra == 1)
        return run_print(&r, "GET", "/v1/keys", nw_cur_of(NULL, 0));
    if (strcmp(sub, "generate") == 0 && extra == 1) {
        struct nw_buf body;
        nw_buf_init(&body, 4096, false);
        json_t *f = r.label != NULL ? json_pack("{s:s}", "label", r.label) : json_object();
        rc = make_body(&body, f, NULL, nw_cur_of(NULL, 0));
        if (rc == NW_CLI_EXIT_OK)
            rc = run_print(&r, "POST", "/v1/keys", nw_buf_cur(&body));
        nw_buf_clear(&body);
        return rc;
    }
    if (strcmp(sub, "import") == 0 && extra == 1)
        return keys_import(&r); /* --secret-id is the one key option of this table */
    if ((strcmp(sub, "get") == 0 || strcmp(sub, "disable") == 0) && extra == 2) {
        if (!id_ok(id))
            return nw_opt_usage_error(&keys_cmd, "%s: a key id or an address", sub);
        (void)snprintf(path, sizeof(path), "/v1/keys/%s%s", id,
                       strcmp(sub, "disable") == 0 ? "/disable" : "");
        return run_print(&r, strcmp(sub, "get") == 0 ? "GET" : "POST", path,
                         strcmp(sub, "get") == 0 ? nw_cur_of(NULL, 0) : nw_cur_str("{}"));
    }
    return nw_opt_usage_error(&keys_cmd, "unknown command or wrong operands: %s", sub);
}

static const struct nw_opt attest_opts[] = {
    CONN_OPTS,
    {"nonce", 'n', "HEX", NW_RO_NONCE, "the nonce the document must carry (hex, required)"},
    {"root", 0, "FILE", NW_RO_ROOT, "root CA (default: AWS Nitro Enclaves root G1)"},
    {"pcr", 0, "N=HEX", NW_RO_PCR, "require PCR N to be HEX (repeatable)"},
    {"at", 0, "TIME", NW_RO_AT, "verify as of this time"},
    {"allow-debug", 0, NULL, NW_RO_ALLOW_DEBUG, "accept a debug-mode document"},
    {NULL, 0, NULL, 0, NULL}};
static const struct nw_opt_cmd attest_cmd = {
    "nw remote attest", "--nonce HEX [--root FILE] [--pcr N=HEX]... [--allow-debug]",
    "Ask the enclave for an attestation document over the nonce and verify it by the rules of\n"
    "`nw attestation verify` (chain to the root, nonce, optional pinned PCRs); prints the\n"
    "verifier's answer.",
    attest_opts, EXIT_TEXT};

/* Run `nw attestation verify` (the same code, in process) on the fetched document. */
static int verify_doc(const struct remote *r, const char *doc_path)
{
    char verb[] = "verify", doc[] = "--doc", non[] = "--nonce";
    char *av[40];
    int ac = 0;
    av[ac++] = verb;
    av[ac++] = doc;
    av[ac++] = (char *)doc_path;
    av[ac++] = non;
    av[ac++] = (char *)r->nonce;
    for (int i = 0; i < r->n_pass; i++)
        av[ac++] = (char *)r->pass[i];
    av[ac] = NULL;
    for (const struct nw_cli_cmd *c = nw_cli_cmds_attest; c->name != NULL; c++)
        if (strcmp(c->name, "attestation verify") == 0)
            return c->run(ac, av);
    return nw_cli_fail_err(NW_ERR_INTERNAL, "no attestation verifier");
}

static int cmd_attest(int argc, char **argv)
{
    struct remote r;
    struct nw_buf out, body;
    int first = 0, rc = parse(&r, &attest_cmd, argc, argv, &first);
    if (rc >= 0)
        return rc;
    if (r.nonce == NULL || first != argc)
        return nw_opt_usage_error(&attest_cmd, "--nonce HEX is required (and no operands)");
    nw_buf_init(&out, MAX_ANSWER, false);
    nw_buf_init(&body, 4096, false);
    char nonce[300];
    if ((size_t)snprintf(nonce, sizeof(nonce), "0x%s", r.nonce) >= sizeof(nonce))
        return nw_opt_usage_error(&attest_cmd, "--nonce: too long");
    rc = make_body(&body, json_pack("{s:s}", "nonce", nonce), NULL, nw_cur_of(NULL, 0));
    if (rc == NW_CLI_EXIT_OK)
        rc = perform(&r, &out, "POST", "/v1/attestation", nw_buf_cur(&body));
    json_t *a = NULL;
    json_error_t je;
    if (rc == NW_CLI_EXIT_OK)
        a = json_loadb((const char *)out.ptr, out.len, 0, &je);
    const char *doc = json_string_value(json_object_get(a, "document"));
    if (rc == NW_CLI_EXIT_OK && doc == NULL)
        rc = nw_cli_fail_err(NW_ERR_REMOTE_ANSWER, "the attestation answer has no document");
    char tmp[] = "/tmp/nw-remote-attest-XXXXXX";
    int fd = rc == NW_CLI_EXIT_OK ? mkstemp(tmp) : -1;
    if (rc == NW_CLI_EXIT_OK && fd < 0)
        rc = nw_cli_fail_err(NW_ERR_IO, "cannot create a temporary file");
    if (fd >= 0) {
        size_t n = strlen(doc);
        if (write(fd, doc, n) != (ssize_t)n)
            rc = nw_cli_fail_err(NW_ERR_IO, "cannot write a temporary file");
        (void)close(fd);
        if (rc == NW_CLI_EXIT_OK)
            rc = verify_doc(&r, tmp);
        (void)unlink(tmp);
    }
    json_decref(a);
    nw_buf_clear(&out);
    nw_buf_clear(&body);
    return rc;
}

const struct nw_cli_cmd nw_cli_cmds_remote[] = {
    {"remote health", "nw-host's enclave health (GET /v1/health)", cmd_health},
    {"remote keys", "list, get, generate, disable, import keys on nw-host", cmd_keys},
    {"remote sign-tx", "sign a transaction on nw-host (as sign-tx)", cmd_sign_tx},
    {"remote sign-message", "EIP-191 signature on nw-host", cmd_sign_message},
    {"remote sign-typed-data", "EIP-712 signature on nw-host", cmd_sign_typed_data},
    {"remote sign-authorization", "EIP-7702 authorization on nw-host", cmd_sign_authorization},
    {"remote attest", "fetch and verify an attestation document from nw-host", cmd_attest},
    {NULL, NULL, NULL},
};

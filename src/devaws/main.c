/*
 * nw-devaws: a local emulator of KMS, Secrets Manager and IMDSv2 for development and tests.
 *
 *   nw-devaws --state DIR [--listen ADDR] [--imds-listen ADDR] [--region R] [--account ID]
 *             [--instance-role NAME] [--instance-id ID] [--cred-lifetime-s N] [--skew-s N]
 *             [--log-level L] [--log-json] [--record FILE]
 *             [--nsm-socket PATH [--nsm-measure FILE] [--nsm-role-arn ARN] [--nsm-debug]]
 *   nw-devaws admin --state DIR create-role NAME
 *   nw-devaws admin --state DIR put-role-policy NAME FILE|-
 *   nw-devaws admin --state DIR create-access-key NAME [--session-s N]
 *
 * The server runs in the foreground until SIGINT/SIGTERM and writes DIR/env (export lines for
 * AWS clients), DIR/ports.json and DIR/ca.pem. See docs/devaws.md.
 *
 * --nsm-socket also serves the NSM simulator (libnwattest, docs/attest.md) on a unix socket:
 * PCR0/1/2 measured from --nsm-measure (the nw-enclave binary) as nitro-cli measures an image,
 * PCR4 from --instance-id, documents signed under a development root kept in DIR/nsm-root.pem,
 * which is also the anchor for KMS Recipient documents.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nw/addr.h>
#include <nw/log.h>
#include <nw/mem.h>
#include <nw/nsm_sim.h>
#include <nw/opt.h>

#include "devaws_http.h"
#include "devaws_int.h"

struct opts {
    struct nw_dv_config cfg;
    const char *listen;
    const char *imds_listen;
    const char *record;       /* --record FILE (tests) */
    const char *nsm_socket;   /* --nsm-socket PATH: serve the NSM simulator there */
    const char *nsm_measure;  /* --nsm-measure FILE: measured into PCR0/1/2 */
    const char *nsm_role_arn; /* --nsm-role-arn ARN: PCR3 */
    bool nsm_debug;           /* --nsm-debug: a debug-mode enclave (PCR0-3 zero) */
    enum nw_log_level level;
    bool json;
};

static bool copy_opt(char *dst, size_t cap, const char *v)
{
    if (v == NULL || v[0] == '\0' || strlen(v) >= cap)
        return false;
    memcpy(dst, v, strlen(v) + 1);
    return true;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    if (s == NULL)
        return false;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

enum {
    NW_DV_O_STATE = 1,
    NW_DV_O_LISTEN,
    NW_DV_O_IMDS_LISTEN,
    NW_DV_O_REGION,
    NW_DV_O_ACCOUNT,
    NW_DV_O_INSTANCE_ROLE,
    NW_DV_O_INSTANCE_ID,
    NW_DV_O_CRED_LIFETIME,
    NW_DV_O_SKEW,
    NW_DV_O_LOG_LEVEL,
    NW_DV_O_RECORD,
    NW_DV_O_LOG_JSON,
    NW_DV_O_NSM_SOCKET,
    NW_DV_O_NSM_MEASURE,
    NW_DV_O_NSM_ROLE,
    NW_DV_O_NSM_DEBUG,
};

static const struct nw_opt OPTS[] = {
    {"state", 0, "DIR", NW_DV_O_STATE, "state directory (keys, secrets, roles, env); created 0700"},
    {"listen", 0, "ADDR", NW_DV_O_LISTEN,
     "KMS and Secrets Manager over HTTPS (default tcp:127.0.0.1:0)"},
    {"imds-listen", 0, "ADDR", NW_DV_O_IMDS_LISTEN, "IMDSv2 over HTTP (default tcp:127.0.0.1:0)"},
    {"region", 0, "R", NW_DV_O_REGION, "region of ARNs and endpoints (default us-east-1)"},
    {"account", 0, "ID", NW_DV_O_ACCOUNT, "12-digit account id (default 111122223333)"},
    {"instance-role", 0, "NAME", NW_DV_O_INSTANCE_ROLE,
     "the IMDS instance role (default nw-instance-role)"},
    {"instance-id", 0, "ID", NW_DV_O_INSTANCE_ID, "the IMDS instance id"},
    {"cred-lifetime-s", 0, "N", NW_DV_O_CRED_LIFETIME,
     "lifetime of issued credentials, 2..43200 s"},
    {"skew-s", 0, "N", NW_DV_O_SKEW, "allowed request clock skew, 1..86400 s (default 300)"},
    {"log-level", 0, "L", NW_DV_O_LOG_LEVEL, "debug, info (default), warn, error"},
    {"log-json", 0, NULL, NW_DV_O_LOG_JSON, "log JSON lines instead of text"},
    {"record", 0, "FILE", NW_DV_O_RECORD,
     "tests: append request/response JSON lines (secrets too)"},
    {"nsm-socket", 0, "PATH", NW_DV_O_NSM_SOCKET, "serve the NSM simulator on this unix socket"},
    {"nsm-measure", 0, "FILE", NW_DV_O_NSM_MEASURE,
     "measure FILE into PCR0/1/2 (nitro-cli's formula)"},
    {"nsm-role-arn", 0, "ARN", NW_DV_O_NSM_ROLE, "the simulated instance role ARN (PCR3)"},
    {"nsm-debug", 0, NULL, NW_DV_O_NSM_DEBUG, "a debug-mode enclave (PCR0-3 zero)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct nw_opt_cmd CMD = {
    "nw-devaws",
    "--state DIR [--listen ADDR] [--imds-listen ADDR] [options]\n"
    "admin --state DIR create-role NAME\n"
    "admin --state DIR put-role-policy NAME FILE|-\n"
    "admin --state DIR create-access-key NAME [--session-s N]",
    "Local emulator of KMS, Secrets Manager, IMDSv2 and the NSM, for development and tests\n"
    "(docs/devaws.md). It writes DIR/env: `. DIR/env` points the AWS SDKs and nw at it.\n"
    "ADDR is tcp:HOST:PORT (port 0 picks a free one) or unix:/PATH.",
    OPTS, "Exit: 0 on SIGTERM/SIGINT; 1 an error; 2 a usage error."};

static const struct nw_opt_cmd ADMIN_CMD = {
    "nw-devaws admin", "--state DIR COMMAND ARGS...",
    "Administer the emulator's IAM: create-role NAME; put-role-policy NAME FILE|-;\n"
    "create-access-key NAME [--session-s N] (prints the new access key as JSON).",
    OPTS, "Exit: 0 ok; 1 an error; 2 a usage error."};

/* Apply one option; false (with a message) for a bad value. */
static bool apply(struct opts *o, const struct nw_opt_cmd *cmd, int id, const char *v)
{
    bool ok = true;
    switch (id) {
        case NW_DV_O_STATE:
            ok = copy_opt(o->cfg.state_dir, sizeof(o->cfg.state_dir), v);
            break;
        case NW_DV_O_LISTEN:
            o->listen = v;
            break;
        case NW_DV_O_IMDS_LISTEN:
            o->imds_listen = v;
            break;
        case NW_DV_O_REGION:
            ok = copy_opt(o->cfg.region, sizeof(o->cfg.region), v);
            break;
        case NW_DV_O_ACCOUNT:
            ok = strlen(v) == NW_DV_ACCOUNT_LEN && strspn(v, "0123456789") == NW_DV_ACCOUNT_LEN &&
                 copy_opt(o->cfg.account, sizeof(o->cfg.account), v);
            break;
        case NW_DV_O_INSTANCE_ROLE:
            ok = copy_opt(o->cfg.instance_role, sizeof(o->cfg.instance_role), v);
            break;
        case NW_DV_O_INSTANCE_ID:
            ok = copy_opt(o->cfg.instance_id, sizeof(o->cfg.instance_id), v);
            break;
        case NW_DV_O_CRED_LIFETIME:
            ok = parse_long(v, 2, 43200, &o->cfg.cred_lifetime_s);
            break;
        case NW_DV_O_SKEW:
            ok = parse_long(v, 1, 86400, &o->cfg.skew_s);
            break;
        case NW_DV_O_LOG_LEVEL:
            ok = nw_log_level_parse(v, &o->level);
            break;
        case NW_DV_O_RECORD:
            o->record = v;
            break;
        case NW_DV_O_LOG_JSON:
            o->json = true;
            break;
        case NW_DV_O_NSM_SOCKET:
            o->nsm_socket = v;
            break;
        case NW_DV_O_NSM_MEASURE:
            o->nsm_measure = v;
            break;
        case NW_DV_O_NSM_ROLE:
            o->nsm_role_arn = v;
            break;
        default:
            o->nsm_debug = true;
            break;
    }
    if (!ok)
        (void)nw_opt_usage_error(cmd, "bad value for --%s", OPTS[id - 1].name);
    return ok;
}

/* Parse argv against cmd; returns -1 to go on (operands from *first), else an exit code. */
static int
parse_opts(struct opts *o, const struct nw_opt_cmd *cmd, int argc, char **argv, int *first)
{
    struct nw_opt_parser p;
    const char *v;
    int id;
    if (cmd == &ADMIN_CMD)
        nw_opt_init_in_order(&p, cmd, argc, argv);
    else
        nw_opt_init(&p, cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        if (!apply(o, cmd, id, v))
            return 2;
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (o->cfg.state_dir[0] == '\0')
        return nw_opt_usage_error(cmd, "missing --state DIR");
    *first = p.optind;
    return -1;
}

static void defaults(struct opts *o)
{
    memset(o, 0, sizeof(*o));
    copy_opt(o->cfg.region, sizeof(o->cfg.region), "us-east-1");
    copy_opt(o->cfg.account, sizeof(o->cfg.account), "111122223333");
    copy_opt(o->cfg.instance_role, sizeof(o->cfg.instance_role), "nw-instance-role");
    copy_opt(o->cfg.instance_id, sizeof(o->cfg.instance_id), "i-0devaws0000000001");
    o->cfg.cred_lifetime_s = 6L * 3600;
    o->cfg.skew_s = 300;
    o->listen = "tcp:127.0.0.1:0";
    o->imds_listen = "tcp:127.0.0.1:0";
    o->level = NW_LOG_INFO;
    o->cfg.record_fd = -1;
}

/* Append  export NAME='value'  with the value single-quoted for sh. */
static nw_err export_line(struct nw_buf *b, const char *name, const char *value)
{
    NW_TRY(nw_buf_appendf(b, "export %s='", name));
    for (const char *p = value; *p; p++) {
        if (*p == '\'')
            NW_TRY(nw_buf_append_str(b, "'\\''"));
        else
            NW_TRY(nw_buf_append_byte(b, (uint8_t)*p));
    }
    return nw_buf_append_str(b, "'\n");
}

/* The bound address of fd as an nw address text and, for tcp, a URL base. */
static void bound(int fd, char addr[NW_ADDR_TEXT_MAX], char url_host[NW_ADDR_TEXT_MAX], int *port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct nw_addr a;
    memset(&ss, 0, sizeof(ss));
    addr[0] = url_host[0] = '\0';
    *port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    nw_sockaddr_format(addr, &ss, len);
    if (nw_addr_parse(&a, addr) == NW_OK && a.kind == NW_ADDR_TCP) {
        *port = a.port;
        (void)snprintf(url_host, NW_ADDR_TEXT_MAX, strchr(a.host, ':') ? "[%s]" : "%s", a.host);
    }
}

static nw_err write_env(const struct opts *o,
                        const struct nw_dv_listener *api,
                        const struct nw_dv_listener *imds,
                        const json_t *admin)
{
    char aaddr[NW_ADDR_TEXT_MAX], ahost[NW_ADDR_TEXT_MAX], iaddr[NW_ADDR_TEXT_MAX],
        ihost[NW_ADDR_TEXT_MAX], url[NW_ADDR_TEXT_MAX + 32], ca[512], arn[NW_DV_ARN_MAX];
    int aport, iport;
    struct nw_buf b;
    nw_err err = NW_OK;
    bound(api->fd, aaddr, ahost, &aport);
    bound(imds->fd, iaddr, ihost, &iport);
    (void)snprintf(ca, sizeof(ca), "%s/ca.pem", o->cfg.state_dir);
    nw_dv_role_arn(&o->cfg, arn, o->cfg.instance_role);
    nw_buf_init(&b, (size_t)64 * 1024, true); /* holds the administrator's secret key */
    NW_CHECK(nw_buf_append_str(&b, "# nw-devaws: `. THIS_FILE` points AWS clients at the "
                                   "emulator.\nunset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN "
                                   "AWS_PROFILE AWS_DEFAULT_PROFILE\n"));
    NW_CHECK(export_line(&b, "AWS_REGION", o->cfg.region));
    NW_CHECK(export_line(&b, "AWS_DEFAULT_REGION", o->cfg.region));
    NW_CHECK(export_line(&b, "AWS_ACCESS_KEY_ID", nw_dv_jstr(admin, "AccessKeyId")));
    NW_CHECK(export_line(&b, "AWS_SECRET_ACCESS_KEY", nw_dv_jstr(admin, "SecretAccessKey")));
    NW_CHECK(export_line(&b, "AWS_CA_BUNDLE", ca));
    if (aport > 0) {
        (void)snprintf(url, sizeof(url), "https://%s:%d", ahost, aport);
        NW_CHECK(export_line(&b, "AWS_ENDPOINT_URL_KMS", url));
        NW_CHECK(export_line(&b, "AWS_ENDPOINT_URL_SECRETS_MANAGER", url));
    }
    if (iport > 0) {
        (void)snprintf(url, sizeof(url), "http://%s:%d/", ihost, iport);
        NW_CHECK(export_line(&b, "AWS_EC2_METADATA_SERVICE_ENDPOINT", url));
    }
    NW_CHECK(export_line(&b, "NW_DEVAWS_STATE", o->cfg.state_dir));
    NW_CHECK(export_line(&b, "NW_DEVAWS_ADDR", aaddr));
    NW_CHECK(export_line(&b, "NW_DEVAWS_IMDS_ADDR", iaddr));
    NW_CHECK(export_line(&b, "NW_DEVAWS_ACCOUNT", o->cfg.account));
    NW_CHECK(export_line(&b, "NW_DEVAWS_INSTANCE_ROLE_ARN", arn));
    if (o->nsm_socket != NULL) {
        char nsm[NW_ADDR_TEXT_MAX + 8];
        (void)snprintf(nsm, sizeof(nsm), "unix:%s", o->nsm_socket);
        NW_CHECK(export_line(&b, "NW_DEVAWS_NSM", nsm));
    }
    NW_CHECK(nw_dv_write_file(o->cfg.state_dir, "env", b.ptr, b.len, 0600));
    nw_buf_clear(&b);
    json_t *ports = json_pack("{s:s, s:s, s:i, s:i}", "api", aaddr, "imds", iaddr, "api_port",
                              aport, "imds_port", iport);
    err = nw_dv_json_dump(&b, ports);
    json_decref(ports);
    if (err == NW_OK)
        err = nw_dv_write_file(o->cfg.state_dir, "ports.json", b.ptr, b.len, 0644);
    nw_log(NW_LOG_INFO, "listening", "api", aaddr, "imds", iaddr, "state", o->cfg.state_dir, NULL);
    /* The one line a person needs: how to point a shell at the emulator. */
    (void)fprintf(stderr, "nw-devaws: ready; to use it: . %s/env\n", o->cfg.state_dir);
out:
    nw_buf_clear(&b);
    return err;
}

/*
 * Listen on text; a tcp address with port 0 first tries the port the previous run on this
 * state directory used (ports.json), so that clients' saved endpoints survive a restart.
 */
static nw_err open_listener(struct nw_dv_listener *l, const char *text, int previous_port)
{
    struct nw_addr a;
    NW_TRY(nw_addr_parse(&a, text));
    if (a.kind == NW_ADDR_VSOCK)
        return NW_ERR_UNSUPPORTED;
    if (a.kind == NW_ADDR_TCP && a.port == 0 && previous_port > 0) {
        struct nw_addr again = a;
        again.port = (uint16_t)previous_port;
        if (nw_net_listen(&again, 64, &l->fd) == NW_OK)
            return NW_OK;
    }
    return nw_net_listen(&a, 64, &l->fd);
}

struct nsm_server {
    struct nw_nsm_sim *sim;
    const char *path;
    volatile int stop;
    pthread_t th;
    bool running;
};

static void *nsm_main(void *arg)
{
    struct nsm_server *n = arg;
    nw_err err = nw_nsm_sim_serve_unix(n->sim, n->path, &n->stop);
    if (err != NW_OK)
        nw_log(NW_LOG_ERROR, "nsm_serve", "error", nw_err_name(err), NULL);
    return NULL;
}

/* Create the simulator (its root persists in DIR) and serve it in a thread. */
static nw_err nsm_start(struct nsm_server *n, const struct opts *o)
{
    struct nw_nsm_sim_opts so = {.state_dir = o->cfg.state_dir,
                                 .measure_path = o->nsm_measure,
                                 .instance_id = o->cfg.instance_id,
                                 .role_arn = o->nsm_role_arn,
                                 .region = o->cfg.region,
                                 .debug = o->nsm_debug};
    memset(n, 0, sizeof(*n));
    n->path = o->nsm_socket;
    NW_TRY(nw_nsm_sim_new(&n->sim, &so));
    if (pthread_create(&n->th, NULL, nsm_main, n) != 0) {
        nw_nsm_sim_free(n->sim);
        n->sim = NULL;
        return NW_ERR_INTERNAL;
    }
    n->running = true;
    nw_log(NW_LOG_INFO, "nsm_listening", "socket", n->path, "module_id",
           nw_nsm_sim_module_id(n->sim), NULL);
    return NW_OK;
}

static void nsm_stop(struct nsm_server *n)
{
    if (n->running) {
        n->stop = 1;
        (void)pthread_join(n->th, NULL);
        n->running = false;
    }
    nw_nsm_sim_free(n->sim);
    n->sim = NULL;
}

static int fail(const char *what, nw_err err)
{
    nw_log(NW_LOG_ERROR, what, "error", nw_err_name(err), NULL);
    return 1;
}

static int serve(struct opts *o)
{
    struct nw_dv_listener api = {&o->cfg, false, -1, NULL}, imds = {&o->cfg, true, -1, NULL};
    struct nw_buf cert, key;
    struct nw_dv_state st;
    struct nsm_server nsm = {0};
    json_t *admin = NULL;
    sigset_t set;
    int sig = 0, rc = 1;
    nw_err err;
    nw_buf_init(&cert, (size_t)64 * 1024, false);
    nw_buf_init(&key, (size_t)64 * 1024, true);
    (void)sigemptyset(&set);
    (void)sigaddset(&set, SIGINT);
    (void)sigaddset(&set, SIGTERM);
    (void)pthread_sigmask(SIG_BLOCK, &set, NULL); /* before MHD starts its threads */
    (void)signal(SIGPIPE, SIG_IGN);
    if ((err = nw_dv_random(o->cfg.imds_key, sizeof(o->cfg.imds_key))) != NW_OK ||
        (err = nw_dv_tls_setup(&o->cfg, &cert, &key)) != NW_OK) {
        rc = fail("tls_setup", err);
        goto out;
    }
    if ((err = nw_dv_state_open(&st, &o->cfg)) == NW_OK) {
        err = nw_dv_iam_bootstrap(&st);
        if (err == NW_OK)
            err = nw_dv_iam_admin_key(&st, &admin);
        if (err == NW_OK)
            err = nw_dv_state_commit(&st);
        nw_dv_state_close(&st);
    }
    if (err != NW_OK) {
        rc = fail("state", err);
        goto out;
    }
    nw_dv_recipient_setup(&o->cfg);
    if (o->nsm_socket != NULL && (err = nsm_start(&nsm, o)) != NW_OK) {
        rc = fail("nsm_start", err);
        goto out;
    }
    int api_prev = nw_dv_previous_port(o->cfg.state_dir, "api_port");
    int imds_prev = nw_dv_previous_port(o->cfg.state_dir, "imds_port");
    if ((err = open_listener(&api, o->listen, api_prev)) != NW_OK ||
        (err = open_listener(&imds, o->imds_listen, imds_prev)) != NW_OK) {
        rc = fail("listen", err);
        goto out;
    }
    if ((err = nw_dv_listener_start(&api, (const char *)cert.ptr, (const char *)key.ptr)) !=
            NW_OK ||
        (err = nw_dv_listener_start(&imds, NULL, NULL)) != NW_OK) {
        rc = fail("http_start", err);
        goto out;
    }
    if ((err = write_env(o, &api, &imds, admin)) != NW_OK) {
        rc = fail("write_env", err);
        goto out;
    }
    json_decref(admin);
    admin = NULL;
    while (sigwait(&set, &sig) != 0) {
    }
    nw_log(NW_LOG_INFO, "stopping", NULL);
    rc = 0;
out:
    json_decref(admin);
    nw_dv_listener_stop(&api);
    nw_dv_listener_stop(&imds);
    nsm_stop(&nsm);
    if (api.server == NULL && api.fd >= 0 && rc != 0)
        close(api.fd);
    nw_buf_clear(&cert);
    nw_buf_clear(&key);
    return rc;
}

static int print_json(const json_t *v)
{
    struct nw_buf b;
    nw_buf_init(&b, (size_t)64 * 1024, true);
    int rc = nw_dv_json_dump(&b, v) == NW_OK && nw_buf_cstr(&b) == NW_OK ? 0 : 1;
    if (rc == 0)
        (void)fprintf(stdout, "%s\n", (const char *)b.ptr);
    nw_buf_clear(&b);
    return rc;
}

static int admin(struct opts *o, int argc, char **argv)
{
    struct nw_dv_state st;
    json_t *out = NULL;
    nw_err err;
    int rc = 1;
    if (argc < 2)
        return nw_opt_usage_error(&ADMIN_CMD, "missing COMMAND NAME");
    const char *cmd = argv[0], *name = argv[1];
    if ((err = nw_dv_state_open(&st, &o->cfg)) != NW_OK)
        return fail("state", err);
    err = nw_dv_iam_bootstrap(&st);
    if (err == NW_OK && strcmp(cmd, "create-role") == 0 && argc == 2) {
        err = nw_dv_iam_create_role(&st, name);
        char arn[NW_DV_ARN_MAX];
        nw_dv_role_arn(&o->cfg, arn, name);
        out = json_pack("{s:s, s:s}", "RoleName", name, "Arn", arn);
    } else if (err == NW_OK && strcmp(cmd, "put-role-policy") == 0 && argc == 3) {
        json_error_t jerr;
        json_t *p = strcmp(argv[2], "-") == 0 ? json_loadf(stdin, 0, &jerr)
                                              : json_load_file(argv[2], 0, &jerr);
        err = p ? nw_dv_iam_put_policy(&st, name, p) : NW_ERR_JSON;
        json_decref(p);
        out = json_pack("{s:s}", "RoleName", name);
    } else if (err == NW_OK && strcmp(cmd, "create-access-key") == 0 &&
               (argc == 2 || (argc == 4 && strcmp(argv[2], "--session-s") == 0))) {
        long life = 0;
        if (argc == 4 && !parse_long(argv[3], 1, 43200, &life))
            err = NW_ERR_INVALID_ARG;
        else
            err = nw_dv_iam_issue(&st, &out, name, life);
    } else if (err == NW_OK) {
        nw_dv_state_close(&st);
        return nw_opt_usage_error(&ADMIN_CMD, "unknown command or arguments: '%.60s'", cmd);
    }
    if (err == NW_OK)
        err = nw_dv_state_commit(&st);
    nw_dv_state_close(&st);
    if (err != NW_OK) {
        (void)fprintf(stderr, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n",
                      nw_err_code(err), nw_err_str(err));
    } else {
        rc = print_json(out);
    }
    json_decref(out);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    int i = 1, rc;
    bool is_admin = argc > 1 && strcmp(argv[1], "admin") == 0;
    defaults(&o);
    if (nw_mem_hook_libraries() != 0) {
        (void)fputs("nw-devaws: cannot install allocator hooks\n", stderr);
        return 1;
    }
    if (is_admin) {
        if ((rc = parse_opts(&o, &ADMIN_CMD, argc - 1, argv + 1, &i)) >= 0)
            return rc;
        i++; /* index in argv of the admin command */
    } else if ((rc = parse_opts(&o, &CMD, argc, argv, &i)) >= 0) {
        return rc;
    }
    if (!is_admin && i != argc)
        return nw_opt_usage_error(&CMD, "unexpected argument '%.60s'", argv[i]);
    nw_log_setup("nw-devaws", is_admin ? NW_LOG_WARN : o.level, o.json);
    if (mkdir(o.cfg.state_dir, 0700) != 0 && errno != EEXIST) {
        (void)fprintf(stderr, "nw-devaws: cannot create %s\n", o.cfg.state_dir);
        return 1;
    }
    char why[640];
    nw_err derr = nw_dv_state_dir_check(o.cfg.state_dir, why, sizeof(why));
    if (derr != NW_OK) {
        (void)fprintf(stderr, "nw-devaws: %s (%s)\n", why, nw_err_code(derr));
        return 1;
    }
    if (is_admin)
        return admin(&o, argc - i, argv + i);
    int lock_fd;
    if ((derr = nw_dv_instance_lock(o.cfg.state_dir, &lock_fd)) != NW_OK) {
        (void)fprintf(stderr, "nw-devaws: %s: %s (%s)\n", o.cfg.state_dir,
                      derr == NW_ERR_DEVAWS_LOCKED ? nw_err_str(derr) : "cannot lock",
                      nw_err_code(derr));
        return 1;
    }
    if (o.record != NULL) {
        o.cfg.record_fd = open(o.record, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (o.cfg.record_fd < 0) {
            (void)fprintf(stderr, "nw-devaws: cannot open %s\n", o.record);
            return 1;
        }
        nw_log(NW_LOG_WARN, "recording", "file", o.record, "note",
               "request and response bodies (secrets included) are written there", NULL);
    }
    if (nw_daemon_harden() != 0)
        nw_log(NW_LOG_WARN, "harden_failed", NULL);
    return serve(&o);
}

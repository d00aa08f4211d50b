/*
 * nw-proxy configuration: the command line (native and vsock-proxy forms, one <nw/opt.h> table
 * that also prints --help) and the vsock-proxy allowlist YAML. Pure parsing plus one file read;
 * no sockets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <yaml.h>

#include <nw/err.h>
#include <nw/opt.h>

#include "proxy.h"

#define DIAG(...)    (void)snprintf(diag, NW_PROXY_DIAG_MAX, __VA_ARGS__)
#define STRINGIFY(x) #x
#define TEXT_OF(x)   STRINGIFY(x)

static bool parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0' || strlen(s) > 20)
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > max)
            return false;
    }
    if (v < min)
        return false;
    *out = v;
    return true;
}

static void cfg_defaults(struct nw_proxy_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->family = AF_UNSPEC;
    cfg->workers = 1;
    cfg->max_conns = 4096;
    cfg->idle_timeout_s = 0;
    cfg->connect_timeout_ms = 10000;
    cfg->dns_ttl_max_s = 60;
    cfg->drain_s = 30;
    cfg->pipe_size = 256 * 1024;
    cfg->log_level = NW_LOG_INFO;
}

static nw_err add_route(struct nw_proxy_cfg *cfg, char *diag, const char *l, const char *c)
{
    if (cfg->nroutes == NW_PROXY_ROUTES_MAX) {
        DIAG("too many routes (at most %d)", NW_PROXY_ROUTES_MAX);
        return NW_ERR_PROXY_USAGE;
    }
    struct nw_proxy_route *r = &cfg->routes[cfg->nroutes];
    nw_err err = nw_addr_parse(&r->listen, l);
    if (err != NW_OK) {
        DIAG("listen address '%.100s': %s", l, nw_err_str(err));
        return err;
    }
    err = nw_addr_parse(&r->connect, c);
    if (err != NW_OK) {
        DIAG("connect address '%.100s': %s", c, nw_err_str(err));
        return err;
    }
    cfg->nroutes++;
    return NW_OK;
}

enum {
    NW_PX_O_LISTEN = 1,
    NW_PX_O_CONNECT,
    NW_PX_O_ROUTE,
    NW_PX_O_CONFIG,
    NW_PX_O_WORKERS,
    NW_PX_O_IPV4,
    NW_PX_O_IPV6,
    NW_PX_O_MAX_CONNS,
    NW_PX_O_IDLE_TIMEOUT,
    NW_PX_O_CONNECT_TIMEOUT,
    NW_PX_O_DNS_TTL_MAX,
    NW_PX_O_DRAIN_TIMEOUT,
    NW_PX_O_PIPE_SIZE,
    NW_PX_O_LOG_FORMAT,
    NW_PX_O_LOG_LEVEL,
    NW_PX_O_LISTEN_OVERRIDE,
};

/* The one table that parses the command line and prints --help (<nw/opt.h>). */
static const struct nw_opt opts[] = {
    {"listen", 0, "ADDR", NW_PX_O_LISTEN, "accept connections on ADDR (pairs with a --connect)"},
    {"connect", 0, "ADDR", NW_PX_O_CONNECT, "relay them to ADDR (pairs with a --listen)"},
    {"route", 0, "LISTEN=CONNECT", NW_PX_O_ROUTE,
     "one route; repeat for more (at most " TEXT_OF(NW_PROXY_ROUTES_MAX) ")"},
    {"config", 0, "FILE", NW_PX_O_CONFIG,
     "the allowlist YAML; SIGHUP reloads it\n(allowlist: - {address: HOST, port: N})"},
    {"num_workers", 'w', "N", NW_PX_O_WORKERS, "event-loop threads (default 1)"},
    {"ipv4", '4', NULL, NW_PX_O_IPV4, "resolve target names to IPv4 only"},
    {"ipv6", '6', NULL, NW_PX_O_IPV6, "resolve target names to IPv6 only"},
    {"max-conns", 0, "N", NW_PX_O_MAX_CONNS, "open connections over all routes (default 4096)"},
    {"idle-timeout", 0, "S", NW_PX_O_IDLE_TIMEOUT,
     "close connections idle for S seconds (default 0: never)"},
    {"connect-timeout", 0, "MS", NW_PX_O_CONNECT_TIMEOUT,
     "resolve+connect deadline per connection (default 10000)"},
    {"dns-ttl-max", 0, "S", NW_PX_O_DNS_TTL_MAX,
     "re-resolve target names after S seconds (default 60)"},
    {"drain-timeout", 0, "S", NW_PX_O_DRAIN_TIMEOUT,
     "on SIGTERM, wait up to S seconds for open connections\n(default 30)"},
    {"pipe-size", 0, "BYTES", NW_PX_O_PIPE_SIZE, "splice pipe size per direction (default 262144)"},
    {"log-format", 0, "text|json", NW_PX_O_LOG_FORMAT, "log lines as text (default) or JSON"},
    {"log-level", 0, "LEVEL", NW_PX_O_LOG_LEVEL, "debug, info (default), warn or error"},
    {"listen-override", 0, "ADDR", NW_PX_O_LISTEN_OVERRIDE,
     "(testing) listen here instead of vsock in the\nvsock-proxy form"},
    {NULL, 0, NULL, 0, NULL},
};

const struct nw_opt_cmd nw_proxy_cmd = {
    "nw-proxy",
    "--listen ADDR --connect ADDR [options]\n"
    "--route LISTEN=CONNECT [--route LISTEN=CONNECT ...] [options]\n"
    "LOCAL_VSOCK_PORT REMOTE_HOST REMOTE_PORT [--config FILE] [-w N] [-4|-6]",
    "A byte relay between tcp:, unix: and vsock: addresses (docs/proxy.md).\n"
    "The third form is AWS vsock-proxy's: listen on vsock:any:LOCAL_VSOCK_PORT and relay\n"
    "to tcp:REMOTE_HOST:REMOTE_PORT, which must be in the allowlist of --config FILE\n"
    "(default " NW_PROXY_DEFAULT_YAML ").",
    opts,
    "ADDR is tcp:HOST:PORT (tcp:[v6]:PORT), unix:/PATH or vsock:CID:PORT (CID may be any).\n"
    "Signals: TERM/INT drain and exit, HUP reloads the allowlist, USR1 logs counters.\n"
    "Exit: 0 after SIGTERM/SIGINT; 1 an error; 2 a usage error or bad configuration.",
};

/* The numeric options: their range and the unsigned field of the configuration they set. */
static const struct number_opt {
    int id;
    uint64_t min, max;
    size_t offset;
} number_opts[] = {
    {NW_PX_O_WORKERS, 1, 64, offsetof(struct nw_proxy_cfg, workers)},
    {NW_PX_O_MAX_CONNS, 1, 1000000, offsetof(struct nw_proxy_cfg, max_conns)},
    {NW_PX_O_IDLE_TIMEOUT, 0, 604800, offsetof(struct nw_proxy_cfg, idle_timeout_s)},
    {NW_PX_O_CONNECT_TIMEOUT, 1, 600000, offsetof(struct nw_proxy_cfg, connect_timeout_ms)},
    {NW_PX_O_DNS_TTL_MAX, 0, 86400, offsetof(struct nw_proxy_cfg, dns_ttl_max_s)},
    {NW_PX_O_DRAIN_TIMEOUT, 0, 3600, offsetof(struct nw_proxy_cfg, drain_s)},
    {NW_PX_O_PIPE_SIZE, 4096, 1 << 20, offsetof(struct nw_proxy_cfg, pipe_size)},
};

/* The long name of option id (without the dashes), for messages. */
static const char *opt_name(int id)
{
    for (const struct nw_opt *o = opts; o->name != NULL; o++) {
        if (o->id == id)
            return o->name;
    }
    return "?";
}

struct pending {
    const char *listen, *connect, *override;
    const char *pos[3];
    size_t npos;
};

static nw_err
set_number(struct nw_proxy_cfg *cfg, char *diag, const struct number_opt *o, const char *v)
{
    uint64_t n = 0;
    if (!parse_uint(v, o->min, o->max, &n)) {
        DIAG("--%s: '%.40s' is not a number in %llu..%llu", opt_name(o->id), v,
             (unsigned long long)o->min, (unsigned long long)o->max);
        return NW_ERR_PROXY_NUMBER;
    }
    unsigned u = (unsigned)n;
    memcpy((unsigned char *)cfg + o->offset, &u, sizeof(u));
    return NW_OK;
}

/* --listen or --connect: a route once both sides are known. */
static nw_err
set_side(struct nw_proxy_cfg *cfg, struct pending *p, char *diag, int id, const char *v)
{
    const char **slot = id == NW_PX_O_LISTEN ? &p->listen : &p->connect;
    if (*slot != NULL) {
        DIAG("--%s given twice before its pair (use --route LISTEN=CONNECT for more)",
             opt_name(id));
        return NW_ERR_PROXY_USAGE;
    }
    *slot = v;
    if (p->listen != NULL && p->connect != NULL) {
        NW_TRY(add_route(cfg, diag, p->listen, p->connect));
        p->listen = p->connect = NULL;
    }
    return NW_OK;
}

static nw_err set_route(struct nw_proxy_cfg *cfg, char *diag, const char *v)
{
    const char *eq = strchr(v, '=');
    char l[NW_ADDR_TEXT_MAX];
    if (eq == NULL || (size_t)(eq - v) >= sizeof(l)) {
        DIAG("--route '%.100s': expected LISTEN=CONNECT", v);
        return NW_ERR_PROXY_USAGE;
    }
    memcpy(l, v, (size_t)(eq - v));
    l[eq - v] = '\0';
    return add_route(cfg, diag, l, eq + 1);
}

/* Apply option id with value v (NULL for a flag). */
static nw_err apply(struct nw_proxy_cfg *cfg, struct pending *p, char *diag, int id, const char *v)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(number_opts); i++) {
        if (number_opts[i].id == id)
            return set_number(cfg, diag, &number_opts[i], v);
    }
    switch (id) {
        case NW_PX_O_LISTEN:
        case NW_PX_O_CONNECT:
            return set_side(cfg, p, diag, id, v);
        case NW_PX_O_ROUTE:
            return set_route(cfg, diag, v);
        case NW_PX_O_CONFIG:
            if (*v == '\0' || strlen(v) >= sizeof(cfg->config_path)) {
                DIAG("--config: bad path");
                return NW_ERR_PROXY_USAGE;
            }
            memcpy(cfg->config_path, v, strlen(v) + 1);
            return NW_OK;
        case NW_PX_O_IPV4:
            cfg->family = AF_INET;
            return NW_OK;
        case NW_PX_O_IPV6:
            cfg->family = AF_INET6;
            return NW_OK;
        case NW_PX_O_LOG_FORMAT:
            if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0) {
                DIAG("--log-format: '%.40s' (expected text or json)", v);
                return NW_ERR_PROXY_USAGE;
            }
            cfg->log_json = v[0] == 'j';
            return NW_OK;
        case NW_PX_O_LOG_LEVEL:
            if (!nw_log_level_parse(v, &cfg->log_level)) {
                DIAG("--log-level: '%.40s' (expected debug, info, warn or error)", v);
                return NW_ERR_PROXY_USAGE;
            }
            return NW_OK;
        case NW_PX_O_LISTEN_OVERRIDE:
            p->override = v;
            return NW_OK;
        default:
            DIAG("internal: option %d has no action", id);
            return NW_ERR_PROXY_USAGE;
    }
}

/* The vsock-proxy form: LOCAL_VSOCK_PORT REMOTE_HOST REMOTE_PORT. */
static nw_err compat_route(struct nw_proxy_cfg *cfg, const struct pending *p, char *diag)
{
    char l[NW_ADDR_TEXT_MAX], c[NW_ADDR_TEXT_MAX];
    uint64_t port;
    if (!parse_uint(p->pos[0], 0, 0xFFFFFFFEu, &port)) {
        DIAG("local vsock port '%.40s' is not a number in 0..4294967294", p->pos[0]);
        return NW_ERR_ADDR_PORT;
    }
    if (!parse_uint(p->pos[2], 0, 65535, &port)) {
        DIAG("remote port '%.40s' is not a number in 0..65535", p->pos[2]);
        return NW_ERR_ADDR_PORT;
    }
    if (p->override != NULL)
        (void)snprintf(l, sizeof(l), "%s", p->override);
    else
        (void)snprintf(l, sizeof(l), "vsock:any:%s", p->pos[0]);
    const char *h = p->pos[1];
    if (strchr(h, ':') != NULL && h[0] != '[')
        (void)snprintf(c, sizeof(c), "tcp:[%.300s]:%s", h, p->pos[2]);
    else
        (void)snprintf(c, sizeof(c), "tcp:%.300s:%s", h, p->pos[2]);
    cfg->compat = true;
    if (cfg->config_path[0] == '\0')
        memcpy(cfg->config_path, NW_PROXY_DEFAULT_YAML, sizeof(NW_PROXY_DEFAULT_YAML));
    return add_route(cfg, diag, l, c);
}

static nw_err finish(struct nw_proxy_cfg *cfg, struct pending *p, char *diag)
{
    if (p->listen != NULL || p->connect != NULL) {
        DIAG("%s needs a matching %s", p->listen ? "--listen" : "--connect",
             p->listen ? "--connect" : "--listen");
        return NW_ERR_PROXY_USAGE;
    }
    if (p->npos != 0 && p->npos != 3) {
        DIAG("expected LOCAL_VSOCK_PORT REMOTE_HOST REMOTE_PORT, got %zu positional argument(s)",
             p->npos);
        return NW_ERR_PROXY_USAGE;
    }
    if (p->npos == 3) {
        if (cfg->nroutes != 0) {
            DIAG("the vsock-proxy form cannot be mixed with --listen/--route");
            return NW_ERR_PROXY_USAGE;
        }
        NW_TRY(compat_route(cfg, p, diag));
    } else if (p->override != NULL) {
        DIAG("--listen-override only applies to the vsock-proxy form");
        return NW_ERR_PROXY_USAGE;
    }
    if (cfg->nroutes == 0) {
        DIAG("no route: give --listen ADDR --connect ADDR, --route LISTEN=CONNECT, or "
             "LOCAL_VSOCK_PORT REMOTE_HOST REMOTE_PORT");
        return NW_ERR_PROXY_USAGE;
    }
    for (size_t i = 0; i < cfg->nroutes; i++) {
        struct nw_proxy_route *r = &cfg->routes[i];
        char l[NW_ADDR_TEXT_MAX], c[NW_ADDR_TEXT_MAX];
        nw_addr_format(l, &r->listen);
        nw_addr_format(c, &r->connect);
        (void)snprintf(r->text, sizeof(r->text), "%s=%s", l, c);
    }
    return NW_OK;
}

nw_err nw_proxy_parse_args(struct nw_proxy_cfg *cfg,
                           char diag[NW_PROXY_DIAG_MAX],
                           int argc,
                           const char *const *argv)
{
    /* getopt permutes the pointers it is given (never the strings): hand it a copy. */
    char *args[NW_PROXY_ARGS_MAX];
    struct pending p;
    struct nw_opt_parser op;
    const char *v;
    int id;
    memset(&p, 0, sizeof(p));
    cfg_defaults(cfg);
    diag[0] = '\0';
    if (argc < 0 || (size_t)argc > NW_ARRAY_LEN(args)) {
        DIAG("too many arguments (at most %zu)", NW_ARRAY_LEN(args) - 1);
        return NW_ERR_PROXY_USAGE;
    }
    for (int i = 0; i < argc; i++)
        args[i] = (char *)argv[i];
    nw_opt_init(&op, &nw_proxy_cmd, argc, args);
    while ((id = nw_opt_next(&op, &v)) > 0)
        NW_TRY(apply(cfg, &p, diag, id, v));
    if (id == NW_OPT_HELP || id == NW_OPT_VERSION) {
        cfg->help = id == NW_OPT_HELP;
        cfg->version = id == NW_OPT_VERSION;
        return NW_OK;
    }
    if (id != NW_OPT_END) {
        DIAG("%s", op.error);
        return NW_ERR_PROXY_USAGE;
    }
    for (int i = op.optind; i < argc; i++) {
        if (p.npos == NW_ARRAY_LEN(p.pos)) {
            DIAG("unexpected argument '%.60s'", args[i]);
            return NW_ERR_PROXY_USAGE;
        }
        p.pos[p.npos++] = args[i];
    }
    return finish(cfg, &p, diag);
}

/* ---- allowlist YAML (vsock-proxy's format) ---- */

static const char *scalar(yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A scalar holding a NUL ("127.0.0.1\0evil") would be read up to the NUL only: refuse it. */
static bool has_nul(yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE &&
           strlen((const char *)n->data.scalar.value) != n->data.scalar.length;
}

/*
 * libyaml keeps every pair of a mapping, so a second `port:` would silently win: refuse
 * duplicate scalar keys and NULs in keys or values of the mapping at node.
 */
static nw_err check_mapping(char *diag, yaml_document_t *doc, yaml_node_t *node)
{
    unsigned long line = (unsigned long)node->start_mark.line + 1;
    yaml_node_pair_t *start = node->data.mapping.pairs.start, *top = node->data.mapping.pairs.top;
    for (yaml_node_pair_t *pr = start; pr < top; pr++) {
        yaml_node_t *kn = yaml_document_get_node(doc, pr->key);
        if (has_nul(kn) || has_nul(yaml_document_get_node(doc, pr->value))) {
            DIAG("line %lu: NUL character inside a key or value", line);
            return NW_ERR_PROXY_NUL;
        }
        const char *k = scalar(kn);
        for (yaml_node_pair_t *q = start; k != NULL && q < pr; q++) {
            const char *k2 = scalar(yaml_document_get_node(doc, q->key));
            if (k2 != NULL && strcmp(k, k2) == 0) {
                DIAG("line %lu: duplicate key '%.40s'", line, k);
                return NW_ERR_PROXY_DUP_KEY;
            }
        }
    }
    return NW_OK;
}

static nw_err
parse_entry(struct nw_proxy_allow *e, char *diag, yaml_document_t *doc, yaml_node_t *node)
{
    unsigned long line = (unsigned long)node->start_mark.line + 1;
    bool have_addr = false, have_port = false;
    if (node->type != YAML_MAPPING_NODE) {
        DIAG("line %lu: allowlist entry must be a mapping {address: HOST, port: N}", line);
        return NW_ERR_PROXY_ALLOWLIST;
    }
    NW_TRY(check_mapping(diag, doc, node));
    for (yaml_node_pair_t *pr = node->data.mapping.pairs.start; pr < node->data.mapping.pairs.top;
         pr++) {
        const char *k = scalar(yaml_document_get_node(doc, pr->key));
        const char *v = scalar(yaml_document_get_node(doc, pr->value));
        if (k == NULL || v == NULL) {
            DIAG("line %lu: allowlist entry keys and values must be scalars", line);
            return NW_ERR_PROXY_ALLOWLIST;
        }
        if (strcmp(k, "address") == 0) {
            size_t n = strlen(v);
            if (n == 0 || n >= sizeof(e->host) || strpbrk(v, " \t/") != NULL) {
                DIAG("line %lu: bad address '%.60s'", line, v);
                return NW_ERR_PROXY_ALLOWLIST;
            }
            memcpy(e->host, v, n + 1);
            have_addr = true;
        } else if (strcmp(k, "port") == 0) {
            uint64_t port;
            if (!parse_uint(v, 0, 65535, &port)) {
                DIAG("line %lu: port '%.40s' is not a number in 0..65535", line, v);
                return NW_ERR_PROXY_ALLOWLIST;
            }
            e->port = (uint16_t)port;
            have_port = true;
        } else {
            DIAG("line %lu: unknown allowlist key '%.40s' (expected address, port)", line, k);
            return NW_ERR_PROXY_ALLOWLIST;
        }
    }
    if (!have_addr || !have_port) {
        DIAG("line %lu: allowlist entry needs both address and port", line);
        return NW_ERR_PROXY_ALLOWLIST;
    }
    return NW_OK;
}

static nw_err walk(struct nw_proxy_allowlist *al, char *diag, yaml_document_t *doc)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    yaml_node_t *list = NULL;
    if (root == NULL || root->type != YAML_MAPPING_NODE) {
        DIAG("top level must be a mapping with an 'allowlist' key");
        return NW_ERR_PROXY_ALLOWLIST;
    }
    NW_TRY(check_mapping(diag, doc, root));
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top;
         pr++) {
        const char *k = scalar(yaml_document_get_node(doc, pr->key));
        if (k != NULL && strcmp(k, "allowlist") == 0)
            list = yaml_document_get_node(doc, pr->value);
    }
    if (list == NULL) {
        DIAG("no 'allowlist' key");
        return NW_ERR_PROXY_ALLOWLIST;
    }
    /* "allowlist:" with nothing after it is an empty list: nothing is allowed. */
    if (list->type == YAML_SCALAR_NODE && list->data.scalar.length == 0)
        return NW_OK;
    if (list->type != YAML_SEQUENCE_NODE) {
        DIAG("line %lu: 'allowlist' must be a list", (unsigned long)list->start_mark.line + 1);
        return NW_ERR_PROXY_ALLOWLIST;
    }
    for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top;
         it++) {
        if (al->n == NW_PROXY_ALLOW_MAX) {
            DIAG("too many allowlist entries (at most %d)", NW_PROXY_ALLOW_MAX);
            return NW_ERR_PROXY_ALLOWLIST;
        }
        yaml_node_t *e = yaml_document_get_node(doc, *it);
        if (e == NULL) {
            DIAG("allowlist entry missing");
            return NW_ERR_PROXY_ALLOWLIST;
        }
        NW_TRY(parse_entry(&al->v[al->n], diag, doc, e));
        al->n++;
    }
    return NW_OK;
}

#define ALLOWLIST_DEPTH_MAX 8

/*
 * An event pass that stops at the first collection nested deeper than ALLOWLIST_DEPTH_MAX.
 * Other parse errors pass here: the loading pass reports them with their line.
 */
static bool nesting_ok(unsigned long *line, yaml_parser_t *parser)
{
    int depth = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(parser, &ev))
            return true;
        yaml_event_type_t t = ev.type;
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (++depth > ALLOWLIST_DEPTH_MAX) {
                *line = (unsigned long)ev.start_mark.line + 1;
                yaml_event_delete(&ev);
                return false;
            }
        }
        yaml_event_delete(&ev);
        if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT)
            depth--;
        else if (t == YAML_STREAM_END_EVENT)
            return true;
    }
}

nw_err nw_proxy_allowlist_parse(struct nw_proxy_allowlist *al,
                                char diag[NW_PROXY_DIAG_MAX],
                                const uint8_t *text,
                                size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    nw_err err = NW_OK;
    memset(al, 0, sizeof(*al));
    diag[0] = '\0';
    if (!yaml_parser_initialize(&parser))
        return NW_ERR_NOMEM;
    yaml_parser_set_input_string(&parser, text != NULL ? text : (const uint8_t *)"", len);
    /* libyaml's scanner is quadratic in nesting depth: refuse deep input before loading it. */
    unsigned long deep_line = 0;
    if (!nesting_ok(&deep_line, &parser)) {
        DIAG("YAML error at line %lu: nested deeper than %d levels", deep_line,
             ALLOWLIST_DEPTH_MAX);
        yaml_parser_delete(&parser);
        return NW_ERR_PROXY_CONFIG_YAML;
    }
    yaml_parser_delete(&parser);
    if (!yaml_parser_initialize(&parser))
        return NW_ERR_NOMEM;
    yaml_parser_set_input_string(&parser, text != NULL ? text : (const uint8_t *)"", len);
    if (!yaml_parser_load(&parser, &doc)) {
        DIAG("YAML error at line %lu: %.120s", (unsigned long)parser.problem_mark.line + 1,
             parser.problem != NULL ? parser.problem : "parse error");
        yaml_parser_delete(&parser);
        return NW_ERR_PROXY_CONFIG_YAML;
    }
    err = walk(al, diag, &doc);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (err != NW_OK)
        memset(al, 0, sizeof(*al));
    return err;
}

nw_err nw_proxy_allowlist_load(struct nw_proxy_allowlist *al,
                               char diag[NW_PROXY_DIAG_MAX],
                               const char *path)
{
    static uint8_t text[1 << 20]; /* main thread only: at start and on SIGHUP */
    memset(al, 0, sizeof(*al));
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        DIAG("cannot read '%.200s': %s", path, strerror(errno));
        return NW_ERR_PROXY_CONFIG_READ;
    }
    size_t n = fread(text, 1, sizeof(text), f);
    bool bad = ferror(f) != 0 || n == sizeof(text);
    (void)fclose(f);
    if (bad) {
        DIAG("cannot read '%.200s': read error or larger than 1 MiB", path);
        return NW_ERR_PROXY_CONFIG_READ;
    }
    nw_err err = nw_proxy_allowlist_parse(al, diag, text, n);
    if (err != NW_OK) {
        char inner[NW_PROXY_DIAG_MAX];
        memcpy(inner, diag, NW_PROXY_DIAG_MAX);
        DIAG("%.100s: %.200s", path, inner);
    }
    return err;
}

static bool literal_equals(const char *host, const struct sockaddr_storage *ss)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (ss->ss_family == AF_INET && inet_pton(AF_INET, host, &a4) == 1)
        return memcmp(&a4, &((const struct sockaddr_in *)ss)->sin_addr, sizeof(a4)) == 0;
    if (ss->ss_family == AF_INET6 && inet_pton(AF_INET6, host, &a6) == 1)
        return memcmp(&a6, &((const struct sockaddr_in6 *)ss)->sin6_addr, sizeof(a6)) == 0;
    return false;
}

bool nw_proxy_allowed(const struct nw_proxy_allowlist *al,
                      const char *host,
                      uint16_t port,
                      const struct sockaddr_storage *ss)
{
    for (size_t i = 0; i < al->n; i++) {
        const struct nw_proxy_allow *e = &al->v[i];
        if (e->port != port)
            continue;
        if (strcasecmp(e->host, host) == 0)
            return true;
        if (ss != NULL && literal_equals(e->host, ss))
            return true;
    }
    return false;
}

/* vsock-proxy refuses to start when its one target is not allowlisted; so do we. */
nw_err nw_proxy_check_targets(const struct nw_proxy_cfg *cfg,
                              const struct nw_proxy_allowlist *al,
                              char diag[NW_PROXY_DIAG_MAX])
{
    for (size_t r = 0; r < cfg->nroutes; r++) {
        const struct nw_addr *t = &cfg->routes[r].connect;
        if (t->kind != NW_ADDR_TCP || nw_proxy_allowed(al, t->host, t->port, NULL))
            continue;
        struct sockaddr_storage ss[NW_PROXY_ADDRS_MAX];
        socklen_t lens[NW_PROXY_ADDRS_MAX];
        size_t n = 0;
        bool ok = false;
        if (nw_addr_resolve(t, cfg->family, ss, lens, NW_PROXY_ADDRS_MAX, &n) == NW_OK)
            for (size_t i = 0; i < n && !ok; i++)
                ok = nw_proxy_allowed(al, t->host, t->port, &ss[i]);
        if (!ok) {
            char text[NW_ADDR_TEXT_MAX];
            nw_addr_format(text, t);
            (void)snprintf(diag, NW_PROXY_DIAG_MAX, "target %.140s is not in the allowlist %.140s",
                           text, cfg->config_path);
            return NW_ERR_PROXY_DENIED;
        }
    }
    return NW_OK;
}

/*
 * nw-proxy internals: configuration (command line and allowlist YAML) and the relay runtime.
 *
 * nw-proxy is a byte pipe between tcp:, unix: and vsock: addresses (DESIGN.md sections 1-2). It
 * links libnwnet and the logger only: never core crypto, aws or attest; it never sees a key.
 */
#ifndef NW_PROXY_H
#define NW_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nw/addr.h>
#include <nw/err.h>
#include <nw/log.h>
#include <nw/opt.h>

#define NW_PROXY_ROUTES_MAX   16
#define NW_PROXY_ADDRS_MAX    8 /* resolved addresses tried per target */
#define NW_PROXY_ALLOW_MAX    256
#define NW_PROXY_PATH_MAX     4096
#define NW_PROXY_DEFAULT_YAML "/etc/nitro_enclaves/vsock-proxy.yaml"
#define NW_PROXY_DIAG_MAX     320
#define NW_PROXY_ARGS_MAX     512 /* argc, argv[0] included */

struct nw_proxy_route {
    struct nw_addr listen;
    struct nw_addr connect;
    char text[2 * NW_ADDR_TEXT_MAX + 2]; /* "LISTEN=CONNECT", for logs */
};

/* One allowlist entry: a host name or address literal and a port (vsock-proxy YAML). */
struct nw_proxy_allow {
    char host[NW_ADDR_HOST_MAX];
    uint16_t port;
};

struct nw_proxy_allowlist {
    struct nw_proxy_allow v[NW_PROXY_ALLOW_MAX];
    size_t n;
};

struct nw_proxy_cfg {
    struct nw_proxy_route routes[NW_PROXY_ROUTES_MAX];
    size_t nroutes;
    char config_path[NW_PROXY_PATH_MAX]; /* allowlist YAML; "" when none */
    bool compat;                         /* vsock-proxy positional form */
    int family;                          /* AF_UNSPEC, AF_INET (-4) or AF_INET6 (-6) */
    unsigned workers;                    /* event-loop threads */
    unsigned max_conns;                  /* open client connections, all routes */
    unsigned idle_timeout_s;             /* 0 = none */
    unsigned connect_timeout_ms;         /* resolve + connect deadline per connection */
    unsigned dns_ttl_max_s;              /* cache bound for resolved target names */
    unsigned drain_s;                    /* SIGTERM: deadline for open connections */
    unsigned pipe_size;                  /* splice pipe capacity in bytes */
    bool log_json;
    enum nw_log_level log_level;
    bool help;    /* --help/-h: print nw_proxy_cmd's help (the parse stopped there) */
    bool version; /* --version: print the version (the parse stopped there) */
};

/* nw-proxy's command line: the option table that parses argv and prints --help. */
extern const struct nw_opt_cmd nw_proxy_cmd;

/*
 * Parse nw-proxy's command line (argv[1..argc)) into *cfg, filled with defaults first, with the
 * table of nw_proxy_cmd (<nw/opt.h>: --opt=value or --opt value, exact long names, options and
 * operands in any order, `--` ends the options). argv is not modified (getopt permutes a copy);
 * argc is at most NW_PROXY_ARGS_MAX. --help or --version stop the parse with NW_OK and
 * cfg->help or cfg->version set.
 * Returns: NW_OK; NW_ERR_PROXY_USAGE (unknown option, with a did-you-mean, missing value, no
 * route), NW_ERR_PROXY_NUMBER, or an address error (NW_ERR_ADDR_*). Out: cfg; diag names the
 * problem (an option or value). Reads no files: the allowlist is loaded separately.
 */
nw_err nw_proxy_parse_args(struct nw_proxy_cfg *cfg,
                           char diag[NW_PROXY_DIAG_MAX],
                           int argc,
                           const char *const *argv) NW_MUST_USE NW_NONNULL(1, 2, 4);

/*
 * Parse vsock-proxy allowlist YAML text (`allowlist: - {address: HOST, port: N}`).
 * Returns: NW_OK, NW_ERR_PROXY_CONFIG_YAML (not YAML), NW_ERR_PROXY_ALLOWLIST (wrong shape, bad
 * entry, port out of range, too many entries), NW_ERR_PROXY_NUL (a NUL inside a key or value),
 * NW_ERR_PROXY_DUP_KEY (a key twice in one mapping). Out: al (empty on failure); diag names
 * the problem.
 */
nw_err nw_proxy_allowlist_parse(struct nw_proxy_allowlist *al,
                                char diag[NW_PROXY_DIAG_MAX],
                                const uint8_t *text,
                                size_t len) NW_MUST_USE NW_NONNULL(1, 2);

/* Read and parse a YAML file. Returns the parse codes and NW_ERR_PROXY_CONFIG_READ. */
nw_err nw_proxy_allowlist_load(struct nw_proxy_allowlist *al,
                               char diag[NW_PROXY_DIAG_MAX],
                               const char *path) NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * Is a connection to target host:port at resolved address ss allowed? True when an entry with
 * that port names the host (case-insensitive) or is an address literal equal to ss. ss may be
 * NULL (name check only).
 */
bool nw_proxy_allowed(const struct nw_proxy_allowlist *al,
                      const char *host,
                      uint16_t port,
                      const struct sockaddr_storage *ss) NW_NONNULL(1, 2);

/*
 * Check every tcp route target against the allowlist at start, as vsock-proxy does: by name, or
 * (resolving the name, blocking) by address. Returns NW_OK or NW_ERR_PROXY_DENIED (diag names it).
 */
nw_err nw_proxy_check_targets(const struct nw_proxy_cfg *cfg,
                              const struct nw_proxy_allowlist *al,
                              char diag[NW_PROXY_DIAG_MAX]) NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * Run the relay until SIGTERM/SIGINT (and the drain). Returns a process exit status: 0, 2 when a
 * listen address cannot be resolved or bound (bad configuration), 1 for other failures.
 */
int nw_proxy_run(const struct nw_proxy_cfg *cfg, const struct nw_proxy_allowlist *al);

#endif /* NW_PROXY_H */

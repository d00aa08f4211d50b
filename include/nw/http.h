/*
 * A small HTTP/1.1 client on libcurl for the AWS calls: one request at a time per client,
 * bounded responses, timeouts, TLS verified against a CA bundle, and three transports:
 *
 *   connect_to NULL          connect to the URL's own host and port (DNS as usual)
 *   connect_to "tcp:H:P"     connect to H:P instead; TLS SNI, certificate name and Host stay
 *                            the URL's host (CURLOPT_CONNECT_TO), e.g. a local proxy or emulator
 *   connect_to "unix:/path"  an AF_UNIX stream socket (CURLOPT_UNIX_SOCKET_PATH); TLS as above
 *   connect_to "vsock:C:P"   AF_VSOCK: the client connects the socket itself and hands it to
 *                            libcurl (CURLOPT_OPENSOCKETFUNCTION + CURL_SOCKOPT_ALREADY_CONNECTED);
 *                            no DNS is done (the URL host is pinned with CURLOPT_RESOLVE)
 *
 * Redirects are never followed; only http and https are allowed. The client never logs.
 *
 * Process set-up: libcurl's global state is initialised by nw_http_global_init(), which the
 * binaries (nw-host, nw-enclave, nw) call once at the start of main, before threads, right
 * after nw_mem_hook_libraries(), so that libcurl's heap (TLS buffers holding request bodies and
 * credentials) goes through the wiping allocator. Libraries never call it themselves; if no
 * one does, libcurl initialises itself with the plain allocator on first use.
 */
#ifndef NW_HTTP_H
#define NW_HTTP_H

#include <stdbool.h>

#include <nw/buf.h>

#define NW_HTTP_DEFAULT_MAX_RESPONSE (1u << 20) /* 1 MiB */
#define NW_HTTP_DEFAULT_CONNECT_MS   3000
#define NW_HTTP_DEFAULT_TIMEOUT_MS   10000

/*
 * Initialise libcurl once per process; with wiping, through nw_wiping_malloc and friends
 * (curl_global_init_mem). Not thread-safe. Returns: NW_OK; NW_ERR_INTERNAL.
 */
nw_err nw_http_global_init(bool wiping) NW_MUST_USE;

/* Client options; zero or NULL fields take the defaults shown. Strings are copied. */
struct nw_http_opts {
    const char *connect_to;    /* transport address (see above); NULL: the URL's host */
    const char *ca_file;       /* PEM CA bundle for https; NULL: the system store */
    int connect_timeout_ms;    /* 0: NW_HTTP_DEFAULT_CONNECT_MS */
    int timeout_ms;            /* whole request; 0: NW_HTTP_DEFAULT_TIMEOUT_MS */
    size_t max_response_bytes; /* body cap; 0: NW_HTTP_DEFAULT_MAX_RESPONSE */
    bool own_socket;           /* tcp only, for tests: connect the socket ourselves as the
                                  vsock transport does (exercises that code path on loopback) */
    const char *cert_file;     /* PEM client certificate for https (mutual TLS); NULL: none */
    const char *key_file;      /* PEM private key of cert_file; NULL: the key is in cert_file */
};

/* One header to send; NUL-terminated strings. */
struct nw_http_header {
    const char *name;
    const char *value;
};

/*
 * A request. url is "http[s]://host[:port]/path[?query]". method is "GET", "PUT" or "POST"
 * (others are sent as custom requests). A Host header, if given, replaces libcurl's.
 */
#define NW_HTTP_MAX_CAPTURE   8   /* response headers one request can ask for */
#define NW_HTTP_CAPTURE_BYTES 512 /* longest captured value kept (longer ones are truncated) */

/*
 * timeout_ms overrides the client's whole-request timeout for this request: 0 keeps it, a
 * negative value means none (a long poll such as the Lambda Runtime API's next invocation;
 * the connect timeout still applies). capture names response headers (case-insensitive) whose
 * values are copied into resp->captured[i], in the same order; "" when absent.
 */
struct nw_http_request {
    const char *method;
    const char *url;
    const struct nw_http_header *headers;
    size_t n_headers;
    struct nw_cur body;
    int timeout_ms;
    const char *const *capture;
    size_t n_capture; /* at most NW_HTTP_MAX_CAPTURE */
};

/*
 * A response. body is a secret buffer capped at the client's max_response_bytes (it can hold
 * plaintexts and credentials). The named headers are copied when present (truncated).
 */
struct nw_http_response {
    long status;
    struct nw_buf body;
    char request_id[96];  /* x-amzn-RequestId or x-amz-request-id */
    char error_type[128]; /* x-amzn-ErrorType */
    char content_type[128];
    char captured[NW_HTTP_MAX_CAPTURE][NW_HTTP_CAPTURE_BYTES]; /* see struct nw_http_request */
};

void nw_http_response_init(struct nw_http_response *r) NW_NONNULL(1);
/* Wipes and frees the body. */
void nw_http_response_clear(struct nw_http_response *r) NW_NONNULL(1);

struct nw_http;

/*
 * Create a client. Owner: the caller frees with nw_http_free (nw_http_free(NULL) is a no-op).
 * Returns: NW_OK; NW_ERR_NOMEM; NW_ERR_ADDR_SYNTAX and the other address errors for a bad
 * connect_to; NW_ERR_INTERNAL if libcurl cannot be set up.
 */
nw_err nw_http_new(struct nw_http **out, const struct nw_http_opts *opts) NW_MUST_USE NW_NONNULL(1);

/*
 * The CA bundle a client uses when none is configured (no ca_file, no AWS_CA_BUNDLE): the first
 * of candidates (NULL-terminated; NULL: the system bundles of Debian/Ubuntu, Amazon Linux 2023 /
 * RHEL / Fedora, SUSE, Alpine, in that order) that is a readable file, or NULL. libcurl only knows
 * the path of the distribution it was built on (Debian's), which Amazon Linux and the Lambda
 * provided.al2023 runtime, where the bundled binaries run, do not have.
 */
const char *nw_http_system_ca(const char *const *candidates);
void nw_http_free(struct nw_http *h);

/*
 * Perform one request (no retries: the AWS layer retries, re-signing each attempt). Any HTTP
 * status is a success here; the caller judges resp->status.
 * Out: resp (reset first; the body is kept on error only up to the failure).
 * Returns: NW_OK; NW_ERR_HTTP_URL (malformed URL); NW_ERR_HTTP_TRANSPORT (connect, send,
 * receive; detail in diag); NW_ERR_HTTP_TLS (handshake or certificate verification);
 * NW_ERR_TIMEOUT; NW_ERR_TOO_LARGE (body over the cap); NW_ERR_NOMEM; NW_ERR_INVALID_ARG.
 * diag (may be NULL) gets libcurl's message, which holds no request data.
 */
nw_err nw_http_perform(struct nw_http *h,
                       struct nw_http_response *resp,
                       const struct nw_http_request *req,
                       struct nw_diag *diag) NW_MUST_USE NW_NONNULL(1, 2, 3);

/*
 * Split an http(s) URL into its parts. host is without brackets for IPv6; port is the explicit
 * or default port; host_header is what a Host header must carry ("host" or "host:port" when
 * the port is not the scheme's default; IPv6 in brackets). path_query is "/..." (at least "/").
 */
struct nw_http_url {
    bool https;
    char host[256];
    unsigned port;
    char host_header[300];
    char path[2048];
    char query[2048];
};

/* Returns: NW_OK; NW_ERR_HTTP_URL. */
nw_err nw_http_url_parse(struct nw_http_url *out, const char *url) NW_MUST_USE NW_NONNULL(1, 2);

#endif /* NW_HTTP_H */

/*
 * A small HTTP/1.1 (and HTTPS) server over libmicrohttpd, shared by nw-host and nw-devaws.
 * Library: libnwhttpd. No HTTP parsing of our own: libmicrohttpd parses requests, keeps
 * connections alive, and (Debian's build) does TLS with GnuTLS from PEM strings.
 *
 * The server owns a listening socket the caller made (nw_net_listen: tcp: with port 0, unix:),
 * runs its own threads (a pool of epoll/poll threads, each serving many connections, so a slow
 * client never holds a thread while it dribbles bytes), gathers each request's body into a
 * capped buffer and calls one handler per complete request. The handler fills a response; the
 * server sends it and frees it.
 *
 * Limits: a body larger than max_body_bytes is not stored (the handler sees body_too_large and
 * answers as it likes); a connection idle for idle_timeout_s is closed; a request whose body is
 * still arriving request_timeout_ms after its headers is cut off (the connection is closed:
 * libmicrohttpd cannot answer in the middle of a body), and one whose body completed late is
 * passed to the handler with timed_out set; at most max_connections connections (others are
 * refused at accept).
 *
 * Client certificates (HTTPS only): with client_ca_pem set, the server asks for a certificate
 * and checks it against that CA; the handler sees client_cert_verified and, when verified, the
 * certificate's subject. require_client_cert makes the server answer 403 itself, without
 * calling the handler, when no trusted certificate was presented.
 *
 * Secrets: request bodies and response bodies are wiped when freed (they carry keys, secret
 * values and credentials in nw-devaws, signatures and ciphertexts in nw-host). This library never
 * logs.
 */
#ifndef NW_HTTPD_H
#define NW_HTTPD_H

#include <stdbool.h>

#include <nw/buf.h>

#define NW_HTTPD_MAX_HEADERS       64
#define NW_HTTPD_MAX_EXTRA_HEADERS 4

struct nw_httpd_header {
    const char *name;
    const char *value;
};

/* One complete request, valid only during the handler call. */
struct nw_httpd_request {
    const char *method;
    const char *path;     /* URL path, percent-decoded by the server (for routing) */
    const char *raw_path; /* the path exactly as sent (for SigV4) */
    const char *query;    /* the raw query string as sent ("" if none) */
    struct nw_httpd_header headers[NW_HTTPD_MAX_HEADERS]; /* first NW_HTTPD_MAX_HEADERS only */
    size_t n_headers;
    struct nw_cur body;  /* empty when body_too_large */
    bool body_too_large; /* the body exceeded max_body_bytes (not stored) */
    bool timed_out;      /* the body completed later than request_timeout_ms */
    bool tls;
    bool client_cert_verified; /* a client certificate chained to client_ca_pem */
    char client_subject[256];  /* its subject DN when verified, else "" */
    char peer[64];             /* "127.0.0.1:5555", "[::1]:5555" or "unix" */
};

/*
 * The handler's answer. The server passes it initialised (status 200, body empty with a cap of
 * max_response_bytes, secret); the handler sets status, content_type (a static string or NULL
 * for "application/json") and body, and may add up to NW_HTTPD_MAX_EXTRA_HEADERS headers with
 * nw_httpd_response_header.
 */
struct nw_httpd_response {
    unsigned status;
    const char *content_type;
    struct nw_buf body;
    char extra_name[NW_HTTPD_MAX_EXTRA_HEADERS][64];
    char extra_value[NW_HTTPD_MAX_EXTRA_HEADERS][128];
    size_t n_extra;
};

/*
 * Handler: called on one of the server's threads, possibly on several at once. It must not
 * keep pointers into req after returning.
 */
typedef void (*nw_httpd_handler)(void *ctx,
                                 struct nw_httpd_response *resp,
                                 const struct nw_httpd_request *req);

/*
 * Options; zero fields take the defaults shown.
 *  fd:                 listening socket (owned by the server once nw_httpd_start succeeds and
 *                      closed at stop; still the caller's when it fails)
 *  cert_pem, key_pem:  TLS server certificate chain and key (PEM text); both NULL: plain HTTP.
 *                      Copied; the caller may wipe its key copy after start.
 *  client_ca_pem:      CA certificates (PEM) for client certificates; NULL: none asked for
 *  threads:            server threads (default 2)
 *  max_connections:    default 1024
 *  max_body_bytes:     default 1 MiB
 *  max_response_bytes: default 4 MiB
 *  idle_timeout_s:     default 30
 *  request_timeout_ms: default 10000 (0 takes the default; there is no "no limit")
 */
struct nw_httpd_options {
    int fd;
    const char *cert_pem;
    const char *key_pem;
    const char *client_ca_pem;
    bool require_client_cert;
    unsigned threads;
    unsigned max_connections;
    size_t max_body_bytes;
    size_t max_response_bytes;
    unsigned idle_timeout_s;
    unsigned request_timeout_ms;
    nw_httpd_handler handler;
    void *ctx;
};

struct nw_httpd;

/*
 * Start serving o->fd with o->handler (required).
 * Returns: NW_OK; NW_ERR_INVALID_ARG (no handler, a key without a certificate);
 * NW_ERR_UNSUPPORTED (TLS asked for and libmicrohttpd built without it); NW_ERR_NET_LISTEN (the
 * library refused the socket or the certificate); NW_ERR_NOMEM.
 */
nw_err nw_httpd_start(struct nw_httpd **out, const struct nw_httpd_options *o)
    NW_MUST_USE NW_NONNULL(1, 2);

/* Stop: close the listener and every connection, join the threads, free. NULL is a no-op. */
void nw_httpd_stop(struct nw_httpd *h);

/* First value of a request header by case-insensitive name, or NULL. */
const char *nw_httpd_header(const struct nw_httpd_request *req, const char *name) NW_NONNULL(1, 2);

/*
 * Add a response header (name and value are copied, truncated to the fixed sizes; a value with
 * CR or LF is refused). Returns: NW_OK; NW_ERR_BUF_FULL (no room); NW_ERR_INVALID_ARG.
 */
nw_err nw_httpd_response_header(struct nw_httpd_response *resp, const char *name, const char *value)
    NW_NONNULL(1, 2, 3);

#endif /* NW_HTTPD_H */

/*
 * HTTP(S) server on libmicrohttpd (MHD). Debian 12's MHD is built with GnuTLS: one library gives
 * HTTP/1.1 parsing, keep-alive and TLS from PEM strings, takes a listening socket we made
 * ourselves (MHD_OPTION_LISTEN_SOCKET: tcp: port 0 or unix: alike) and runs a pool of polling
 * threads, each multiplexing many connections.
 *
 * Per request: MHD calls on_uri first (with the target exactly as sent: SigV4 needs it), then
 * on_request once with no data, once per body chunk, and once more when the body is complete.
 * The body goes into a capped secret buffer; the handler runs on the last call. Responses are
 * copied into wiping-allocator memory that MHD frees through nw_wiping_free.
 */
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <nw/err.h>
#include <nw/httpd.h>
#include <nw/mem.h>

struct nw_httpd {
    struct MHD_Daemon *daemon;
    struct nw_httpd_options o;
    char *cert;
    char *key;
    size_t key_len;
    char *ca;
};

/* Per-request state, from on_uri to on_completed. */
struct conn {
    struct nw_buf body;
    bool too_big;
    bool started;
    bool answered;
    int64_t deadline_ms;
    char *raw_uri; /* the request target as sent (path?query) */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup_str(const char *s, size_t *len_out)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s);
    char *p = nw_wiping_malloc(n + 1);
    if (p != NULL)
        memcpy(p, s, n + 1);
    if (len_out != NULL)
        *len_out = n;
    return p;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct nw_httpd *h = cls;
    (void)c;
    struct conn *cn = nw_calloc(1, sizeof(*cn));
    if (cn == NULL)
        return NULL;
    nw_buf_init(&cn->body, h->o.max_body_bytes, true);
    cn->deadline_ms = mono_ms() + (int64_t)h->o.request_timeout_ms;
    size_t n = strlen(uri);
    cn->raw_uri = nw_malloc(n + 1);
    if (cn->raw_uri != NULL)
        memcpy(cn->raw_uri, uri, n + 1);
    return cn;
}

static enum MHD_Result
collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct nw_httpd_request *rq = cls;
    (void)kind;
    if (rq->n_headers < NW_HTTPD_MAX_HEADERS) {
        rq->headers[rq->n_headers].name = key;
        rq->headers[rq->n_headers].value = value ? value : "";
        rq->n_headers++;
    }
    return MHD_YES;
}

const char *nw_httpd_header(const struct nw_httpd_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

nw_err nw_httpd_response_header(struct nw_httpd_response *resp, const char *name, const char *value)
{
    if (resp->n_extra >= NW_HTTPD_MAX_EXTRA_HEADERS)
        return NW_ERR_BUF_FULL;
    if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL || name[0] == '\0')
        return NW_ERR_INVALID_ARG;
    (void)snprintf(resp->extra_name[resp->n_extra], sizeof(resp->extra_name[0]), "%s", name);
    (void)snprintf(resp->extra_value[resp->n_extra], sizeof(resp->extra_value[0]), "%s", value);
    resp->n_extra++;
    return NW_OK;
}

static void peer_text(struct MHD_Connection *c, char *out, size_t out_len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char ip[INET6_ADDRSTRLEN];
    (void)snprintf(out, out_len, "unix");
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        if (inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip)) != NULL)
            (void)snprintf(out, out_len, "%s:%u", ip, (unsigned)ntohs(s4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        if (inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip)) != NULL)
            (void)snprintf(out, out_len, "[%s]:%u", ip, (unsigned)ntohs(s6->sin6_port));
    }
}

/* Client certificate, verified against the trust list MHD gave GnuTLS (HTTPS_MEM_TRUST). */
static void client_cert(struct MHD_Connection *c, struct nw_httpd_request *rq)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ci == NULL || ci->tls_session == NULL)
        return;
    rq->tls = true;
    gnutls_session_t s = (gnutls_session_t)ci->tls_session;
    unsigned status = 0;
    if (gnutls_certificate_verify_peers2(s, &status) != GNUTLS_E_SUCCESS || status != 0)
        return;
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
    if (certs == NULL || n == 0)
        return;
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) != GNUTLS_E_SUCCESS)
        return;
    size_t len = sizeof(rq->client_subject);
    if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == GNUTLS_E_SUCCESS &&
        gnutls_x509_crt_get_dn(crt, rq->client_subject, &len) == GNUTLS_E_SUCCESS)
        rq->client_cert_verified = true;
    else
        rq->client_subject[0] = '\0';
    gnutls_x509_crt_deinit(crt);
}

static enum MHD_Result respond(struct MHD_Connection *c, const struct nw_httpd_response *resp)
{
    size_t n = resp->body.len;
    void *copy = nw_wiping_malloc(n > 0 ? n : 1);
    if (copy == NULL)
        return MHD_NO;
    if (n > 0)
        memcpy(copy, resp->body.ptr, n);
    struct MHD_Response *r =
        MHD_create_response_from_buffer_with_free_callback(n, copy, nw_wiping_free);
    if (r == NULL) {
        nw_wiping_free(copy);
        return MHD_NO;
    }
    (void)MHD_add_response_header(r, "Content-Type",
                                  resp->content_type ? resp->content_type : "application/json");
    for (size_t i = 0; i < resp->n_extra; i++)
        (void)MHD_add_response_header(r, resp->extra_name[i], resp->extra_value[i]);
    enum MHD_Result ret = MHD_queue_response(c, resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Build the request view and call the handler (or answer 403 for a missing client cert). */
static enum MHD_Result dispatch(struct nw_httpd *h,
                                struct MHD_Connection *c,
                                struct conn *cn,
                                const char *url,
                                const char *method,
                                bool timed_out)
{
    struct nw_httpd_request rq;
    struct nw_httpd_response resp;
    memset(&rq, 0, sizeof(rq));
    memset(&resp, 0, sizeof(resp));
    resp.status = 200;
    nw_buf_init(&resp.body, h->o.max_response_bytes, true);
    /* rq.path is MHD's decoded path (routing); raw_path and query are what the client sent. */
    char *q = strchr(cn->raw_uri, '?');
    if (q != NULL)
        *q = '\0';
    rq.method = method;
    rq.path = url;
    rq.raw_path = cn->raw_uri;
    rq.query = q != NULL ? q + 1 : "";
    rq.body = cn->too_big || timed_out ? (struct nw_cur){NULL, 0} : nw_buf_cur(&cn->body);
    rq.body_too_large = cn->too_big;
    rq.timed_out = timed_out;
    peer_text(c, rq.peer, sizeof(rq.peer));
    client_cert(c, &rq);
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &rq);
    cn->answered = true;
    if (h->o.require_client_cert && !rq.client_cert_verified) {
        resp.status = 403;
        if (nw_buf_appendf(&resp.body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
                           nw_err_code(NW_ERR_CLIENT_CERT),
                           nw_err_str(NW_ERR_CLIENT_CERT)) != NW_OK)
            resp.body.len = 0;
    } else {
        h->o.handler(h->o.ctx, &resp, &rq);
    }
    enum MHD_Result ret = respond(c, &resp);
    nw_buf_clear(&resp.body);
    return ret;
}

static enum MHD_Result on_request(void *cls,
                                  struct MHD_Connection *c,
                                  const char *url,
                                  const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size,
                                  void **con_cls)
{
    struct nw_httpd *h = cls;
    struct conn *cn = *con_cls;
    (void)version;
    if (cn == NULL || cn->raw_uri == NULL)
        return MHD_NO;
    if (!cn->started) {
        cn->started = true;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (!cn->too_big && nw_buf_append(&cn->body, upload_data, n) != NW_OK) {
            cn->too_big = true;
            nw_buf_clear(&cn->body);
        }
        /* A body dribbled in past the deadline: MHD cannot answer in the middle of a body
         * (only before it or after it), so the connection is closed. */
        if (mono_ms() > cn->deadline_ms)
            return MHD_NO;
        return MHD_YES;
    }
    if (cn->answered)
        return MHD_YES;
    return dispatch(h, c, cn, url, method, mono_ms() > cn->deadline_ms);
}

static void on_completed(void *cls,
                         struct MHD_Connection *c,
                         void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn *cn = *con_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (cn != NULL) {
        nw_buf_clear(&cn->body);
        nw_free(cn->raw_uri);
        nw_free(cn);
        *con_cls = NULL;
    }
}

/* MHD reports its internal errors here; libraries never print, so they are dropped. */
static void quiet_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    (void)fmt;
    (void)ap;
}

static void set_defaults(struct nw_httpd_options *o)
{
    if (o->threads == 0)
        o->threads = 2;
    if (o->max_connections == 0)
        o->max_connections = 1024;
    if (o->max_body_bytes == 0)
        o->max_body_bytes = (size_t)1024 * 1024;
    if (o->max_response_bytes == 0)
        o->max_response_bytes = (size_t)4 * 1024 * 1024;
    if (o->idle_timeout_s == 0)
        o->idle_timeout_s = 30;
    if (o->request_timeout_ms == 0)
        o->request_timeout_ms = 10000;
}

static void free_server(struct nw_httpd *h)
{
    if (h->key != NULL)
        nw_wipe(h->key, h->key_len);
    nw_wiping_free(h->key);
    nw_wiping_free(h->cert);
    nw_wiping_free(h->ca);
    nw_free(h);
}

static struct MHD_Daemon *start_daemon(struct nw_httpd *h)
{
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD;
    struct MHD_OptionItem opts[8];
    size_t n = 0;
    if (h->cert != NULL) {
        flags |= MHD_USE_TLS;
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->key};
        if (h->ca != NULL)
            opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, h->ca};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, h->o.fd,
        MHD_OPTION_EXTERNAL_LOGGER, quiet_logger, NULL, MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
        h->o.idle_timeout_s, MHD_OPTION_CONNECTION_LIMIT, h->o.max_connections,
        MHD_OPTION_THREAD_POOL_SIZE, h->o.threads, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}

nw_err nw_httpd_start(struct nw_httpd **out, const struct nw_httpd_options *o)
{
    *out = NULL;
    nw_err err = NW_ERR_INVALID_ARG;
    struct nw_httpd *h = nw_calloc(1, sizeof(*h));
    if (h == NULL)
        return NW_ERR_NOMEM;
    h->o = *o;
    set_defaults(&h->o);
    if (o->handler == NULL || (o->cert_pem == NULL) != (o->key_pem == NULL))
        goto fail;
    err = NW_ERR_UNSUPPORTED;
    if (o->cert_pem != NULL && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        goto fail;
    err = NW_ERR_NOMEM;
    h->cert = dup_str(o->cert_pem, NULL);
    h->key = dup_str(o->key_pem, &h->key_len);
    h->ca = o->cert_pem != NULL ? dup_str(o->client_ca_pem, NULL) : NULL;
    if ((o->cert_pem != NULL && (h->cert == NULL || h->key == NULL)) ||
        (o->cert_pem != NULL && o->client_ca_pem != NULL && h->ca == NULL))
        goto fail;
    h->o.cert_pem = h->o.key_pem = h->o.client_ca_pem = NULL;
    h->daemon = start_daemon(h);
    if (h->daemon == NULL) {
        free_server(h);
        return NW_ERR_NET_LISTEN;
    }
    *out = h;
    return NW_OK;
fail:
    free_server(h);
    return err;
}

void nw_httpd_stop(struct nw_httpd *h)
{
    if (h == NULL)
        return;
    if (h->daemon != NULL)
        MHD_stop_daemon(h->daemon);
    free_server(h);
}

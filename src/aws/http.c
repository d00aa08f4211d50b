/*
 * HTTP client on libcurl (easy interface). One easy handle per client, reused so that the
 * connection stays open between calls. Transports are described in <nw/http.h>.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <nw/addr.h>
#include <nw/http.h>
#include <nw/mem.h>

#include "aws_int.h"

struct nw_http {
    CURL *curl;
    struct nw_addr addr;
    bool have_addr;
    bool own_socket;
    char *ca_file;
    char *cert_file;
    char *key_file;
    int connect_timeout_ms;
    int timeout_ms;
    size_t max_response;
    /* per request */
    struct nw_http_response *resp;
    const struct nw_http_request *req;
    bool too_large;
    int connect_errno;
};

nw_err nw_http_global_init(bool wiping)
{
    CURLcode rc;
    if (wiping)
        rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, nw_wiping_malloc, nw_wiping_free,
                                  nw_wiping_realloc, nw_wiping_strdup, nw_wiping_calloc);
    else
        rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    return rc == CURLE_OK ? NW_OK : NW_ERR_INTERNAL;
}

void nw_http_response_init(struct nw_http_response *r)
{
    memset(r, 0, sizeof(*r));
    nw_buf_init(&r->body, NW_HTTP_DEFAULT_MAX_RESPONSE, true);
}

void nw_http_response_clear(struct nw_http_response *r)
{
    nw_buf_clear(&r->body);
    r->status = 0;
    r->request_id[0] = r->error_type[0] = r->content_type[0] = '\0';
    for (size_t i = 0; i < NW_HTTP_MAX_CAPTURE; i++)
        r->captured[i][0] = '\0';
}

static char *dup_str(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = nw_malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

const char *nw_http_system_ca(const char *const *candidates)
{
    static const char *const system[] = {
        "/etc/ssl/certs/ca-certificates.crt",                /* Debian, Ubuntu, Alpine */
        "/etc/pki/tls/certs/ca-bundle.crt",                  /* Amazon Linux, RHEL, Fedora */
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* the same, newer layout */
        "/etc/ssl/ca-bundle.pem",                            /* SUSE */
        "/etc/ssl/cert.pem",                                 /* Alpine, BSDs */
        NULL};
    for (const char *const *p = candidates != NULL ? candidates : system; *p != NULL; p++)
        if (access(*p, R_OK) == 0)
            return *p;
    return NULL;
}

nw_err nw_http_new(struct nw_http **out, const struct nw_http_opts *opts)
{
    nw_err err = NW_OK;
    struct nw_http_opts none = {0};
    *out = NULL;
    if (opts == NULL)
        opts = &none;
    struct nw_http *h = nw_calloc(1, sizeof(*h));
    if (h == NULL)
        return NW_ERR_NOMEM;
    if (opts->connect_to != NULL) {
        NW_CHECK(nw_addr_parse(&h->addr, opts->connect_to));
        h->have_addr = true;
    }
    h->own_socket = opts->own_socket || (h->have_addr && h->addr.kind == NW_ADDR_VSOCK);
    const char *ca = opts->ca_file != NULL ? opts->ca_file : nw_http_system_ca(NULL);
    if (ca != NULL) {
        h->ca_file = dup_str(ca);
        NW_CHECK_COND(h->ca_file != NULL, NW_ERR_NOMEM);
    }
    if (opts->cert_file != NULL) {
        h->cert_file = dup_str(opts->cert_file);
        NW_CHECK_COND(h->cert_file != NULL, NW_ERR_NOMEM);
    }
    if (opts->key_file != NULL) {
        h->key_file = dup_str(opts->key_file);
        NW_CHECK_COND(h->key_file != NULL, NW_ERR_NOMEM);
    }
    h->connect_timeout_ms =
        opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : NW_HTTP_DEFAULT_CONNECT_MS;
    h->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : NW_HTTP_DEFAULT_TIMEOUT_MS;
    h->max_response =
        opts->max_response_bytes > 0 ? opts->max_response_bytes : NW_HTTP_DEFAULT_MAX_RESPONSE;
    h->curl = curl_easy_init();
    NW_CHECK_COND(h->curl != NULL, NW_ERR_INTERNAL);
    *out = h;
    return NW_OK;
out:
    nw_http_free(h);
    return err;
}

void nw_http_free(struct nw_http *h)
{
    if (h == NULL)
        return;
    if (h->curl != NULL)
        curl_easy_cleanup(h->curl);
    nw_free(h->ca_file);
    nw_free(h->cert_file);
    nw_free(h->key_file);
    nw_free(h);
}

/* ---- callbacks -------------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct nw_http *h = arg;
    size_t n = size * nmemb;
    if (n > h->max_response - h->resp->body.len) {
        h->too_large = true;
        return 0; /* makes libcurl fail with CURLE_WRITE_ERROR */
    }
    if (nw_buf_append(&h->resp->body, data, n) != NW_OK)
        return 0;
    return n;
}

/* Copy the value of "Name: value\r\n" into dst if the name matches. */
static void header_value(char *dst, size_t dst_len, const char *line, size_t n, const char *name)
{
    size_t nl = strlen(name);
    if (n <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
        return;
    size_t a = nl + 1, b = n;
    while (a < b && (line[a] == ' ' || line[a] == '\t'))
        a++;
    while (b > a && (line[b - 1] == '\r' || line[b - 1] == '\n' || line[b - 1] == ' '))
        b--;
    nw_aws_copy_printable(dst, dst_len, nw_cur_of(line + a, b - a));
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct nw_http *h = arg;
    size_t n = size * nmemb;
    struct nw_http_response *r = h->resp;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) { /* a new response (e.g. after 100) */
        r->request_id[0] = r->error_type[0] = r->content_type[0] = '\0';
        for (size_t i = 0; i < NW_HTTP_MAX_CAPTURE; i++)
            r->captured[i][0] = '\0';
        return n;
    }
    for (size_t i = 0; h->req != NULL && i < h->req->n_capture; i++)
        header_value(r->captured[i], sizeof(r->captured[i]), data, n, h->req->capture[i]);
    header_value(r->request_id, sizeof(r->request_id), data, n, "x-amzn-RequestId");
    if (r->request_id[0] == '\0')
        header_value(r->request_id, sizeof(r->request_id), data, n, "x-amz-request-id");
    header_value(r->error_type, sizeof(r->error_type), data, n, "x-amzn-ErrorType");
    header_value(r->content_type, sizeof(r->content_type), data, n, "Content-Type");
    return n;
}

/* The vsock (and own_socket) transport: connect here, hand the socket to libcurl. */
static curl_socket_t on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct nw_http *h = arg;
    (void)addr;
    int fd = -1;
    if (purpose != CURLSOCKTYPE_IPCXN)
        return CURL_SOCKET_BAD;
    if (nw_net_connect(&h->addr, h->connect_timeout_ms, &fd) != NW_OK) {
        h->connect_errno = 1;
        return CURL_SOCKET_BAD;
    }
    return fd;
}

static int on_sockopt(void *arg, curl_socket_t fd, curlsocktype purpose)
{
    (void)arg;
    (void)fd;
    (void)purpose;
    return CURL_SOCKOPT_ALREADY_CONNECTED;
}

/* ---- request ---------------------------------------------------------------------------- */

static nw_err map_curl(CURLcode rc, const struct nw_http *h)
{
    switch (rc) {
        case CURLE_OK:
            return NW_OK;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
            return NW_ERR_HTTP_URL;
        case CURLE_OPERATION_TIMEDOUT:
            return NW_ERR_TIMEOUT;
        case CURLE_OUT_OF_MEMORY:
            return NW_ERR_NOMEM;
        case CURLE_FILESIZE_EXCEEDED:
            return NW_ERR_TOO_LARGE;
        case CURLE_WRITE_ERROR:
            return h->too_large ? NW_ERR_TOO_LARGE : NW_ERR_NOMEM;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_CRL_BADFILE:
            return NW_ERR_HTTP_TLS;
        default:
            return NW_ERR_HTTP_TRANSPORT;
    }
}

/* Transport options: connect-to, unix path, or own socket with a pinned resolve entry. */
static nw_err set_transport(struct nw_http *h,
                            const struct nw_http_url *u,
                            struct curl_slist **connect_to,
                            struct curl_slist **resolve)
{
    CURL *c = h->curl;
    char line[700];
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, NULL);
    curl_easy_setopt(c, CURLOPT_CONNECT_TO, NULL);
    curl_easy_setopt(c, CURLOPT_RESOLVE, NULL);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, NULL);
    curl_easy_setopt(c, CURLOPT_SOCKOPTFUNCTION, NULL);
    if (!h->have_addr)
        return NW_OK;
    if (h->own_socket) {
        /* Pin the URL host to a dummy address: no DNS, the socket is ours anyway. */
        int n = snprintf(line, sizeof(line), "%s:%u:127.0.0.1", u->host, u->port);
        NW_ENSURE(n > 0 && (size_t)n < sizeof(line), NW_ERR_HTTP_URL);
        *resolve = curl_slist_append(NULL, line);
        NW_ENSURE(*resolve != NULL, NW_ERR_NOMEM);
        curl_easy_setopt(c, CURLOPT_RESOLVE, *resolve);
        curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
        curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, h);
        curl_easy_setopt(c, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
        curl_easy_setopt(c, CURLOPT_SOCKOPTDATA, h);
        return NW_OK;
    }
    if (h->addr.kind == NW_ADDR_UNIX) {
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, h->addr.path);
        return NW_OK;
    }
    bool v6 = strchr(h->addr.host, ':') != NULL;
    int n = snprintf(line, sizeof(line), "%s:%u:%s%s%s:%u", u->host, u->port, v6 ? "[" : "",
                     h->addr.host, v6 ? "]" : "", h->addr.port);
    NW_ENSURE(n > 0 && (size_t)n < sizeof(line), NW_ERR_HTTP_URL);
    *connect_to = curl_slist_append(NULL, line);
    NW_ENSURE(*connect_to != NULL, NW_ERR_NOMEM);
    curl_easy_setopt(c, CURLOPT_CONNECT_TO, *connect_to);
    return NW_OK;
}

static nw_err build_headers(struct curl_slist **list, const struct nw_http_request *req)
{
    struct nw_buf line;
    nw_err err = NW_OK;
    nw_buf_init(&line, (size_t)64 * 1024, true); /* header lines can hold a session token */
    for (size_t i = 0; i < req->n_headers; i++) {
        const struct nw_http_header *hd = &req->headers[i];
        NW_CHECK_COND(hd->name != NULL && hd->value != NULL, NW_ERR_INVALID_ARG);
        NW_CHECK_COND(strpbrk(hd->name, "\r\n:") == NULL && strpbrk(hd->value, "\r\n") == NULL,
                      NW_ERR_INVALID_ARG);
        line.len = 0;
        /* "Name;" sends an empty header; "Name:" would remove it. */
        if (hd->value[0] == '\0')
            NW_CHECK(nw_buf_appendf(&line, "%s;", hd->name));
        else
            NW_CHECK(nw_buf_appendf(&line, "%s: %s", hd->name, hd->value));
        NW_CHECK(nw_buf_cstr(&line));
        struct curl_slist *n = curl_slist_append(*list, (const char *)line.ptr);
        NW_CHECK_COND(n != NULL, NW_ERR_NOMEM);
        *list = n;
    }
    /* No "Expect: 100-continue" round trip, no default Accept. */
    struct curl_slist *n = curl_slist_append(*list, "Expect:");
    NW_CHECK_COND(n != NULL, NW_ERR_NOMEM);
    *list = n;
out:
    nw_buf_clear(&line);
    return err;
}

static void set_common(struct nw_http *h)
{
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->ca_file != NULL) {
        curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
        curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    }
    if (h->cert_file != NULL) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, h->cert_file);
        curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(c, CURLOPT_SSLKEY, h->key_file != NULL ? h->key_file : h->cert_file);
        curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    }
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)h->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_response);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 0L);
}

static void set_method(CURL *c, const struct nw_http_request *req)
{
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
    if (strcmp(req->method, "GET") == 0 && req->body.len == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        return;
    }
    /* Every other method sends the body (possibly empty) as a POST with a custom verb. */
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body.len);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body.len ? (const char *)req->body.ptr : "");
    if (strcmp(req->method, "POST") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
}

nw_err nw_http_perform(struct nw_http *h,
                       struct nw_http_response *resp,
                       const struct nw_http_request *req,
                       struct nw_diag *diag)
{
    nw_err err = NW_OK;
    struct curl_slist *hdrs = NULL, *connect_to = NULL, *resolve = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    struct nw_http_url u;

    nw_http_response_clear(resp);
    resp->body.max = h->max_response;
    NW_CHECK_COND(req->method != NULL && req->url != NULL, NW_ERR_INVALID_ARG);
    NW_CHECK_COND(req->n_capture <= NW_HTTP_MAX_CAPTURE, NW_ERR_INVALID_ARG);
    for (size_t i = 0; i < req->n_capture; i++)
        NW_CHECK_COND(req->capture[i] != NULL, NW_ERR_INVALID_ARG);
    NW_CHECK(nw_http_url_parse(&u, req->url));
    h->resp = resp;
    h->req = req;
    h->too_large = false;
    h->connect_errno = 0;
    curl_easy_reset(h->curl);
    set_common(h);
    if (req->timeout_ms != 0)
        curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS,
                         req->timeout_ms > 0 ? (long)req->timeout_ms : 0L);
    curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, errbuf);
    NW_CHECK(set_transport(h, &u, &connect_to, &resolve));
    NW_CHECK(build_headers(&hdrs, req));
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h->curl, CURLOPT_URL, req->url);
    set_method(h->curl, req);

    CURLcode rc = curl_easy_perform(h->curl);
    err = map_curl(rc, h);
    if (err != NW_OK) {
        nw_diag_set(diag, err, "http: %s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        goto out;
    }
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
out:
    /* Drop libcurl's references to our stack before returning. */
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h->curl, CURLOPT_CONNECT_TO, NULL);
    curl_easy_setopt(h->curl, CURLOPT_RESOLVE, NULL);
    curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
    curl_slist_free_all(hdrs); /* header strings can hold the session token */
    curl_slist_free_all(connect_to);
    curl_slist_free_all(resolve);
    h->resp = NULL;
    h->req = NULL;
    if (err != NW_OK && diag != NULL && diag->code != err)
        nw_diag_set(diag, err, "http: %s", nw_err_str(err));
    return err;
}

nw_err nw_http_url_parse(struct nw_http_url *out, const char *url)
{
    nw_err err = NW_ERR_HTTP_URL;
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL;
    memset(out, 0, sizeof(*out));
    CURLU *u = curl_url();
    if (u == NULL)
        return NW_ERR_NOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
        goto out;
    (void)curl_url_get(u, CURLUPART_QUERY, &query, 0);
    if (strcmp(scheme, "https") == 0)
        out->https = true;
    else if (strcmp(scheme, "http") != 0)
        goto out;
    char *end = NULL;
    unsigned long p = strtoul(port, &end, 10);
    if (end == port || *end != '\0' || p == 0 || p > 65535)
        goto out;
    out->port = (unsigned)p;
    /* curl returns IPv6 hosts in brackets. */
    size_t hl = strlen(host);
    bool v6 = hl >= 2 && host[0] == '[' && host[hl - 1] == ']';
    const char *h = v6 ? host + 1 : host;
    size_t hn = v6 ? hl - 2 : hl;
    if (hn == 0 || hn >= sizeof(out->host) || strlen(path) >= sizeof(out->path) ||
        (query != NULL && strlen(query) >= sizeof(out->query)))
        goto out;
    memcpy(out->host, h, hn);
    out->host[hn] = '\0';
    bool dflt = (out->https && p == 443) || (!out->https && p == 80);
    int n = dflt ? snprintf(out->host_header, sizeof(out->host_header), "%s", host)
                 : snprintf(out->host_header, sizeof(out->host_header), "%s:%lu", host, p);
    if (n < 0 || (size_t)n >= sizeof(out->host_header))
        goto out;
    memcpy(out->path, path, strlen(path) + 1);
    if (query != NULL)
        memcpy(out->query, query, strlen(query) + 1);
    err = NW_OK;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_url_cleanup(u);
    if (err != NW_OK)
        memset(out, 0, sizeof(*out));
    return err;
}

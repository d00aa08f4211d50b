/*
 * HTTP(S) front on libmicrohttpd. Debian 12's libmicrohttpd is built with GnuTLS, so one
 * library gives HTTP/1.1 parsing and TLS from PEM strings, a listen socket we create ourselves
 * (tcp: port 0 or unix: through nw_net_listen), and an internal polling thread per daemon.
 * (libevent's evhttp would need OpenSSL bufferevent glue for the same result.)
 *
 * Each request's body is gathered (capped at NW_DV_BODY_MAX) into a secret buffer, turned into a
 * struct nw_dv_req and handed to the KMS/Secrets Manager front or to IMDS. Responses are copied
 * into wiping-allocator memory that MHD frees through nw_wiping_free.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include <nw/log.h>
#include <nw/mem.h>

#include "devaws_http.h"
#include "devaws_int.h"

struct conn {
    struct nw_buf body;
    bool too_big;
    bool started;
    char *raw_uri; /* the request target as sent (path?query), for SigV4 */
};

/* MHD decodes the URL it passes to handlers; SigV4 needs it as sent, which this hook sees. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    struct conn *cn = nw_calloc(1, sizeof(*cn));
    if (cn == NULL)
        return NULL;
    nw_buf_init(&cn->body, NW_DV_BODY_MAX, true);
    size_t n = strlen(uri);
    cn->raw_uri = nw_malloc(n + 1);
    if (cn->raw_uri != NULL)
        memcpy(cn->raw_uri, uri, n + 1);
    return cn;
}

static enum MHD_Result
collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct nw_dv_req *rq = cls;
    (void)kind;
    if (rq->nhdr < NW_DV_HDR_MAX) {
        rq->hdr[rq->nhdr].name = key;
        rq->hdr[rq->nhdr].value = value ? value : "";
        rq->nhdr++;
    }
    return MHD_YES;
}

static enum MHD_Result
respond(struct MHD_Connection *c, const struct nw_dv_req *rq, const struct nw_dv_resp *resp)
{
    void *copy = nw_wiping_malloc(resp->body.len > 0 ? resp->body.len : 1);
    if (copy == NULL)
        return MHD_NO;
    if (resp->body.len > 0)
        memcpy(copy, resp->body.ptr, resp->body.len);
    struct MHD_Response *r =
        MHD_create_response_from_buffer_with_free_callback(resp->body.len, copy, nw_wiping_free);
    if (r == NULL) {
        nw_wiping_free(copy);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type",
                            resp->content_type ? resp->content_type : "text/plain");
    MHD_add_response_header(r, "x-amzn-RequestId", rq->request_id);
    if (resp->error_type[0] != '\0')
        MHD_add_response_header(r, "x-amzn-ErrorType", resp->error_type);
    if (resp->extra_name[0] != '\0')
        MHD_add_response_header(r, resp->extra_name, resp->extra_value);
    enum MHD_Result ret = MHD_queue_response(c, resp->status, r);
    MHD_destroy_response(r);
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
    struct nw_dv_listener *l = cls;
    struct conn *cn = *con_cls;
    (void)version;
    if (cn == NULL || cn->raw_uri == NULL)
        return MHD_NO;
    if (!cn->started) {
        cn->started = true;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!cn->too_big && nw_buf_append(&cn->body, upload_data, *upload_data_size) != NW_OK)
            cn->too_big = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct nw_dv_req rq;
    struct nw_dv_resp resp;
    memset(&rq, 0, sizeof(rq));
    memset(&resp, 0, sizeof(resp));
    nw_buf_init(&resp.body, 4 * NW_DV_BODY_MAX, true);
    /* Split the raw target at '?': rq.path keeps MHD's decoded path for routing, rq.raw_path
     * and rq.query are what the client signed. */
    char *q = strchr(cn->raw_uri, '?');
    if (q != NULL)
        *q = '\0';
    rq.method = method;
    rq.path = url;
    rq.raw_path = cn->raw_uri;
    rq.query = q != NULL ? q + 1 : "";
    rq.body = nw_buf_cur(&cn->body);
    if (nw_dv_uuid(rq.request_id) != NW_OK)
        (void)snprintf(rq.request_id, sizeof(rq.request_id),
                       "00000000-0000-0000-0000-000000000000");
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &rq);
    if (cn->too_big)
        nw_dv_error(&resp, 413, "RequestEntityTooLargeException", "message",
                    "Request body exceeds %zu bytes", NW_DV_BODY_MAX);
    else if (l->imds)
        nw_dv_handle_imds(l->cfg, &resp, &rq);
    else
        nw_dv_handle_aws(l->cfg, &resp, &rq);
    if (!l->imds)
        nw_dv_record(l->cfg, &rq, &resp);
    enum MHD_Result ret = respond(c, &rq, &resp);
    nw_buf_clear(&resp.body);
    return ret;
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

nw_err nw_dv_listener_start(struct nw_dv_listener *l, const char *cert_pem, const char *key_pem)
{
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (cert_pem != NULL) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
            return NW_ERR_UNSUPPORTED;
        flags |= MHD_USE_TLS;
        l->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, l, MHD_OPTION_LISTEN_SOCKET, l->fd,
            MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
            NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
            MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_END);
    } else {
        l->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l, MHD_OPTION_LISTEN_SOCKET,
                                     l->fd, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
                                     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    }
    return l->daemon != NULL ? NW_OK : NW_ERR_NET_LISTEN;
}

void nw_dv_listener_stop(struct nw_dv_listener *l)
{
    if (l->daemon != NULL)
        MHD_stop_daemon(l->daemon);
    l->daemon = NULL;
}

/*
 * HTTP(S) front: libnwhttpd (libmicrohttpd with GnuTLS) serves the listen socket; each complete
 * request becomes a struct nw_dv_req for the KMS/Secrets Manager front or for IMDS. Bodies are
 * capped at NW_DV_BODY_MAX; request and response bodies are secret buffers (wiped).
 */
#include <stdio.h>
#include <string.h>

#include <nw/httpd.h>

#include "devaws_http.h"
#include "devaws_int.h"

static void on_request(void *ctx, struct nw_httpd_response *out, const struct nw_httpd_request *hr)
{
    struct nw_dv_listener *l = ctx;
    struct nw_dv_req rq;
    struct nw_dv_resp resp;
    memset(&rq, 0, sizeof(rq));
    memset(&resp, 0, sizeof(resp));
    nw_buf_init(&resp.body, 4 * NW_DV_BODY_MAX, true);
    rq.method = hr->method;
    rq.path = hr->path;
    rq.raw_path = hr->raw_path;
    rq.query = hr->query;
    rq.body = hr->body;
    for (size_t i = 0; i < hr->n_headers && rq.nhdr < NW_DV_HDR_MAX; i++, rq.nhdr++) {
        rq.hdr[rq.nhdr].name = hr->headers[i].name;
        rq.hdr[rq.nhdr].value = hr->headers[i].value;
    }
    if (nw_dv_uuid(rq.request_id) != NW_OK)
        (void)snprintf(rq.request_id, sizeof(rq.request_id),
                       "00000000-0000-0000-0000-000000000000");
    if (hr->body_too_large)
        nw_dv_error(&resp, 413, "RequestEntityTooLargeException", "message",
                    "Request body exceeds %zu bytes", NW_DV_BODY_MAX);
    else if (l->imds)
        nw_dv_handle_imds(l->cfg, &resp, &rq);
    else
        nw_dv_handle_aws(l->cfg, &resp, &rq);
    if (!l->imds)
        nw_dv_record(l->cfg, &rq, &resp);
    out->status = resp.status;
    out->content_type = resp.content_type ? resp.content_type : "text/plain";
    if (nw_buf_append(&out->body, resp.body.ptr, resp.body.len) != NW_OK)
        out->status = 500;
    (void)nw_httpd_response_header(out, "x-amzn-RequestId", rq.request_id);
    if (resp.error_type[0] != '\0')
        (void)nw_httpd_response_header(out, "x-amzn-ErrorType", resp.error_type);
    if (resp.extra_name[0] != '\0')
        (void)nw_httpd_response_header(out, resp.extra_name, resp.extra_value);
    nw_buf_clear(&resp.body);
}

nw_err nw_dv_listener_start(struct nw_dv_listener *l, const char *cert_pem, const char *key_pem)
{
    struct nw_httpd_options o = {
        .fd = l->fd,
        .cert_pem = cert_pem,
        .key_pem = key_pem,
        .threads = 1,
        .max_body_bytes = NW_DV_BODY_MAX,
        .max_response_bytes = 4 * NW_DV_BODY_MAX,
        .idle_timeout_s = 30,
        .request_timeout_ms = 30000,
        .handler = on_request,
        .ctx = l,
    };
    return nw_httpd_start(&l->server, &o);
}

void nw_dv_listener_stop(struct nw_dv_listener *l)
{
    nw_httpd_stop(l->server);
    l->server = NULL;
}

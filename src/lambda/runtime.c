/*
 * The Lambda Runtime API client (AWS Lambda Developer Guide, "Using the Lambda runtime API for
 * custom runtimes"): GET /2018-06-01/runtime/invocation/next is a long poll that answers an
 * event with its request id and deadline in headers; the answer goes to
 * .../invocation/{id}/response, a failure to .../invocation/{id}/error, and a failure before the
 * first poll to .../init/error, each error body being {"errorMessage","errorType",
 * "stackTrace"} with the Lambda-Runtime-Function-Error-Type header.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nw/mem.h>

#include "lambda.h"

#define RT_EVENT_MAX ((size_t)6 * 1024 * 1024) /* Lambda's synchronous payload limit */

nw_err nw_rt_init(struct nw_rt *rt, const char *api)
{
    memset(rt, 0, sizeof(*rt));
    /* Host and port only: a path, scheme or whitespace would change where we poll. */
    if (api[0] == '\0' || strpbrk(api, "/?# \t\r\n@") != NULL)
        return NW_ERR_CONFIG;
    int n = snprintf(rt->base, sizeof(rt->base), "http://%s/2018-06-01/runtime", api);
    if (n < 0 || (size_t)n >= sizeof(rt->base))
        return NW_ERR_CONFIG;
    struct nw_http_opts o = {.max_response_bytes = RT_EVENT_MAX, .connect_timeout_ms = 2000};
    return nw_http_new(&rt->http, &o);
}

void nw_rt_clear(struct nw_rt *rt)
{
    nw_http_free(rt->http);
    rt->http = NULL;
}

static int64_t parse_ms(const char *s)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    return (end != s && *end == '\0' && v > 0) ? (int64_t)v : 0;
}

nw_err nw_rt_next(struct nw_rt *rt, struct nw_rt_invocation *inv, struct nw_diag *diag)
{
    static const char *const want[] = {
        "Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Deadline-Ms",
        "Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id"};
    char url[700];
    struct nw_http_response resp;
    nw_err err = NW_OK;

    nw_buf_clear(&inv->event);
    inv->request_id[0] = inv->function_arn[0] = inv->trace_id[0] = '\0';
    inv->deadline_ms = 0;
    int n = snprintf(url, sizeof(url), "%s/invocation/next", rt->base);
    if (n < 0 || (size_t)n >= sizeof(url))
        return NW_ERR_CONFIG;
    nw_http_response_init(&resp);
    struct nw_http_request req = {.method = "GET",
                                  .url = url,
                                  .timeout_ms = -1, /* the poll lasts until an event comes */
                                  .capture = want,
                                  .n_capture = NW_ARRAY_LEN(want)};
    NW_CHECK(nw_http_perform(rt->http, &resp, &req, diag));
    if (resp.status != 200) {
        err = nw_diag_set(diag, NW_ERR_HTTP_STATUS, "runtime API: next answered HTTP %ld",
                          resp.status);
        goto out;
    }
    if (resp.captured[0][0] == '\0') {
        err =
            nw_diag_set(diag, NW_ERR_AWS_RESPONSE, "runtime API: no Lambda-Runtime-Aws-Request-Id");
        goto out;
    }
    if (strlen(resp.captured[0]) >= sizeof(inv->request_id)) {
        err = nw_diag_set(diag, NW_ERR_AWS_RESPONSE, "runtime API: request id too long");
        goto out;
    }
    memcpy(inv->request_id, resp.captured[0], strlen(resp.captured[0]) + 1);
    inv->deadline_ms = parse_ms(resp.captured[1]);
    snprintf(inv->function_arn, sizeof(inv->function_arn), "%s", resp.captured[2]);
    snprintf(inv->trace_id, sizeof(inv->trace_id), "%s", resp.captured[3]);
    /* Move the body: the response buffer is secret and so is the event. */
    inv->event = resp.body;
    nw_buf_init(&resp.body, 0, true);
out:
    nw_http_response_clear(&resp);
    return err;
}

/* The request id goes into a URL path: only the characters Lambda uses (hex, '-') and a few
 * more are accepted, so an id cannot redirect the post elsewhere. */
static bool id_ok(const char *id)
{
    if (id[0] == '\0' || strlen(id) > 100)
        return false;
    for (const char *p = id; *p; p++) {
        char c = *p;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static nw_err post(struct nw_rt *rt, const char *url, struct nw_cur body, bool error)
{
    struct nw_http_header hd[] = {{"Content-Type", "application/json"},
                                  {"Lambda-Runtime-Function-Error-Type", "Unhandled"}};
    struct nw_http_response resp;
    nw_http_response_init(&resp);
    struct nw_http_request req = {
        .method = "POST", .url = url, .headers = hd, .n_headers = error ? 2 : 1, .body = body};
    nw_err err = nw_http_perform(rt->http, &resp, &req, NULL);
    /* 202 Accepted; 413 means the answer was too large, which the caller turns into an error. */
    if (err == NW_OK && resp.status != 202)
        err = resp.status == 413 ? NW_ERR_TOO_LARGE : NW_ERR_HTTP_STATUS;
    nw_http_response_clear(&resp);
    return err;
}

nw_err nw_rt_respond(struct nw_rt *rt, const char *request_id, struct nw_cur json)
{
    char url[800];
    NW_ENSURE(id_ok(request_id), NW_ERR_INVALID_ARG);
    int n = snprintf(url, sizeof(url), "%s/invocation/%s/response", rt->base, request_id);
    NW_ENSURE(n > 0 && (size_t)n < sizeof(url), NW_ERR_INVALID_ARG);
    return post(rt, url, json, false);
}

nw_err nw_rt_error(struct nw_rt *rt, const char *request_id, const char *type, const char *message)
{
    char url[800];
    int n;
    if (request_id == NULL) {
        n = snprintf(url, sizeof(url), "%s/init/error", rt->base);
    } else {
        NW_ENSURE(id_ok(request_id), NW_ERR_INVALID_ARG);
        n = snprintf(url, sizeof(url), "%s/invocation/%s/error", rt->base, request_id);
    }
    NW_ENSURE(n > 0 && (size_t)n < sizeof(url), NW_ERR_INVALID_ARG);
    json_t *o =
        json_pack("{s:s, s:s, s:[]}", "errorMessage", message, "errorType", type, "stackTrace");
    NW_ENSURE(o != NULL, NW_ERR_INVALID_ARG); /* NULL also for text that is not UTF-8 */
    struct nw_buf body;
    nw_buf_init(&body, (size_t)64 * 1024, false);
    nw_err err = nw_lambda_json_dump(&body, o);
    json_decref(o);
    if (err == NW_OK)
        err = post(rt, url, nw_buf_cur(&body), true);
    nw_buf_clear(&body);
    return err;
}

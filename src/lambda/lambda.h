/*
 * nw-lambda: an AWS Lambda custom runtime (`bootstrap` for provided.al2023) that answers the
 * seed's Lambda events (set_key, get_key, sign_transaction) and the key-store operations of
 * nw-host. Internal header of the binary.
 *
 *   runtime.c  the Lambda Runtime API client (next invocation, response, invocation error,
 *              init error), over the project's HTTP client
 *   handler.c  configuration from the environment and one function per operation
 *   main.c     process set-up and the loop
 */
#ifndef NW_LAMBDA_H
#define NW_LAMBDA_H

#include <stdbool.h>

#include <nw/aws.h>
#include <nw/buf.h>
#include <nw/http.h>

/* ---- Runtime API --------------------------------------------------------------------------- */

struct nw_rt {
    struct nw_http *http;
    char base[600]; /* http://HOST:PORT/2018-06-01/runtime */
};

/* One invocation as the Runtime API hands it out. event is the raw JSON body (not a secret
 * buffer by default: set_key events carry a key, so it is allocated as secret). */
struct nw_rt_invocation {
    char request_id[128];
    int64_t deadline_ms; /* Unix ms; 0 when the header was absent */
    char function_arn[512];
    char trace_id[512];
    struct nw_buf event;
};

/* api is AWS_LAMBDA_RUNTIME_API ("host:port"). */
nw_err nw_rt_init(struct nw_rt *rt, const char *api) NW_MUST_USE NW_NONNULL(1, 2);
void nw_rt_clear(struct nw_rt *rt) NW_NONNULL(1);

/* Long-poll for the next invocation. inv->event is reset first. */
nw_err nw_rt_next(struct nw_rt *rt, struct nw_rt_invocation *inv, struct nw_diag *diag)
    NW_MUST_USE NW_NONNULL(1, 2);

/* Post the JSON answer of request_id. */
nw_err nw_rt_respond(struct nw_rt *rt, const char *request_id, struct nw_cur json)
    NW_MUST_USE NW_NONNULL(1, 2);

/*
 * Post an error: to .../invocation/ID/error, or to .../init/error when request_id is NULL.
 * type and message must hold no secret (they are shown to the caller and logged by Lambda).
 */
nw_err nw_rt_error(struct nw_rt *rt, const char *request_id, const char *type, const char *message)
    NW_MUST_USE NW_NONNULL(1, 3, 4);

/* Append the compact JSON text of a jansson value (declared as void * to keep jansson out of
 * this header). */
nw_err nw_lambda_json_dump(struct nw_buf *out, const void *json) NW_MUST_USE NW_NONNULL(1, 2);

/* ---- handlers ------------------------------------------------------------------------------ */

struct nw_lambda_config {
    char key_arn[2048];     /* KEY_ARN */
    char secret_arn[2048];  /* SECRET_ARN */
    char host_url[600];     /* https://NITRO_INSTANCE_PRIVATE_DNS[:443] */
    char host_ca[1024];     /* NITRO_CA_CERT_PATH ("" = system store) */
    char client_cert[1024]; /* NW_CLIENT_CERT (optional mutual TLS to nw-host) */
    char client_key[1024];  /* NW_CLIENT_KEY */
    int host_timeout_ms;    /* NW_HOST_TIMEOUT_MS, default 10000 */
};

struct nw_lambda {
    struct nw_lambda_config cfg;
    struct nw_aws_creds_provider *creds;
    struct nw_aws_client *kms;
    struct nw_aws_client *sm;
    struct nw_http *host;
    int64_t deadline_ms; /* the current invocation's deadline, Unix ms; 0: none given */
};

/* A failure to report to the Runtime API: an error type (as the seed's Python exceptions are
 * named) and a message without secrets. */
struct nw_lambda_fail {
    char type[64];
    char message[512];
};

/* Read the environment, create the AWS clients and the HTTPS client for nw-host. */
nw_err nw_lambda_init(struct nw_lambda *l, struct nw_lambda_fail *fail)
    NW_MUST_USE NW_NONNULL(1, 2);
void nw_lambda_clear(struct nw_lambda *l) NW_NONNULL(1);

/*
 * Handle one event (JSON text). Out: answer (JSON text appended) or *fail. deadline_ms is the
 * invocation's Lambda-Runtime-Deadline-Ms (Unix ms; 0: none): the call to nw-host ends early
 * enough to report its failure before Lambda stops the function.
 * Handles secrets: set_key events carry a private key; it is wiped after use and never appears
 * in fail or in the answer.
 */
nw_err nw_lambda_handle(struct nw_lambda *l,
                        struct nw_buf *answer,
                        struct nw_lambda_fail *fail,
                        struct nw_cur event,
                        int64_t deadline_ms) NW_MUST_USE NW_NONNULL(1, 2, 3);

#endif /* NW_LAMBDA_H */

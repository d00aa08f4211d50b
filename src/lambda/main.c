/*
 * nw-lambda: the AWS Lambda custom runtime (`bootstrap` in the deployment zip).
 *
 * Configuration comes from the environment only, as Lambda sets it: AWS_LAMBDA_RUNTIME_API,
 * the function role's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
 * AWS_REGION, optionally AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL_SECRETS_MANAGER /
 * AWS_CA_BUNDLE, and the seed's KEY_ARN, SECRET_ARN, NITRO_INSTANCE_PRIVATE_DNS,
 * NITRO_CA_CERT_PATH, LOG_LEVEL (see handler.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <nw/http.h>
#include <nw/log.h>
#include <nw/mem.h>
#include <nw/opt.h>

#include "lambda.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct nw_opt lambda_opts[] = {{NULL, 0, NULL, 0, NULL}};

static const struct nw_opt_cmd lambda_cmd = {
    "nw-lambda",
    "[--help | --version]",
    "The wallet's AWS Lambda function: a custom runtime (bootstrap for provided.al2023),\n"
    "run by AWS Lambda and configured by the environment.",
    lambda_opts,
    "environment:\n"
    "  AWS_LAMBDA_RUNTIME_API    host:port of the Runtime API (set by Lambda)\n"
    "  KEY_ARN, SECRET_ARN       KMS key and Secrets Manager secret of the wallet key\n"
    "  NITRO_INSTANCE_PRIVATE_DNS  nw-host's name[:port] (HTTPS, default port 443)\n"
    "  NITRO_CA_CERT_PATH        CA bundle that signs nw-host's certificate\n"
    "  NW_CLIENT_CERT, NW_CLIENT_KEY  client certificate for nw-host (optional)\n"
    "  LOG_LEVEL                 DEBUG, INFO, WARNING (default) or ERROR",
};

static enum nw_log_level log_level(void)
{
    const char *v = getenv("LOG_LEVEL");
    if (v == NULL)
        return NW_LOG_WARN;
    if (strcasecmp(v, "DEBUG") == 0)
        return NW_LOG_DEBUG;
    if (strcasecmp(v, "INFO") == 0)
        return NW_LOG_INFO;
    if (strcasecmp(v, "ERROR") == 0 || strcasecmp(v, "CRITICAL") == 0)
        return NW_LOG_ERROR;
    return NW_LOG_WARN;
}

static void serve_one(struct nw_lambda *l, struct nw_rt *rt, struct nw_rt_invocation *inv)
{
    struct nw_buf answer;
    struct nw_lambda_fail fail;
    nw_buf_init(&answer, (size_t)6 * 1024 * 1024, true);
    int64_t t0 = now_ms();
    nw_err err = nw_lambda_handle(l, &answer, &fail, nw_buf_cur(&inv->event), inv->deadline_ms);
    nw_buf_clear(&inv->event);
    nw_err post;
    if (err == NW_OK) {
        post = nw_rt_respond(rt, inv->request_id, nw_buf_cur(&answer));
        if (post == NW_ERR_TOO_LARGE)
            post = nw_rt_error(rt, inv->request_id, "ResponseTooLarge",
                               "the answer exceeds Lambda's response size limit");
    } else {
        post = nw_rt_error(rt, inv->request_id, fail.type, fail.message);
    }
    char ms[32];
    (void)snprintf(ms, sizeof(ms), "%lld", (long long)(now_ms() - t0));
    nw_log(err == NW_OK ? NW_LOG_INFO : NW_LOG_WARN, "invocation", "request_id", inv->request_id,
           "outcome", nw_err_code(err), "error_type", err == NW_OK ? "" : fail.type, "duration_ms",
           ms, NULL);
    if (post != NW_OK)
        nw_log(NW_LOG_ERROR, "runtime_post_failed", "request_id", inv->request_id, "error",
               nw_err_name(post), NULL);
    nw_buf_clear(&answer);
}

int main(int argc, char **argv)
{
    struct nw_opt_parser p;
    const char *v = NULL;
    nw_opt_init(&p, &lambda_cmd, argc, argv);
    int id = nw_opt_next(&p, &v);
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (p.optind < argc)
        return nw_opt_usage_error(&lambda_cmd, "unexpected argument '%.64s'", argv[p.optind]);
    if (nw_mem_hook_libraries() != 0 || nw_http_global_init(true) != NW_OK) {
        (void)fputs("nw-lambda: cannot initialise the libraries\n", stderr);
        return 1;
    }
    (void)nw_daemon_harden();
    nw_log_setup("nw-lambda", log_level(), true);

    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    struct nw_rt rt;
    if (api == NULL || nw_rt_init(&rt, api) != NW_OK) {
        nw_log(NW_LOG_ERROR, "no_runtime_api", "detail",
               "AWS_LAMBDA_RUNTIME_API is missing or not host:port", NULL);
        return 1;
    }
    struct nw_lambda l;
    struct nw_lambda_fail fail = {0};
    if (nw_lambda_init(&l, &fail) != NW_OK) {
        nw_log(NW_LOG_ERROR, "init_failed", "error_type", fail.type, "message", fail.message, NULL);
        if (nw_rt_error(&rt, NULL, fail.type, fail.message) != NW_OK)
            nw_log(NW_LOG_ERROR, "runtime_post_failed", "what", "init/error", NULL);
        nw_lambda_clear(&l);
        nw_rt_clear(&rt);
        return 1;
    }
    struct nw_rt_invocation inv;
    memset(&inv, 0, sizeof(inv));
    nw_buf_init(&inv.event, 0, true);
    int failures = 0;
    for (;;) {
        struct nw_diag d = {0};
        nw_err err = nw_rt_next(&rt, &inv, &d);
        if (err != NW_OK) {
            /* The Runtime API is local: if it keeps failing the sandbox is going away. */
            nw_log(NW_LOG_ERROR, "next_failed", "error", nw_err_name(err), "detail", d.msg, NULL);
            if (++failures >= 5)
                break;
            struct timespec pause = {0, 200L * 1000 * 1000 * failures};
            nanosleep(&pause, NULL);
            continue;
        }
        failures = 0;
        serve_one(&l, &rt, &inv);
    }
    nw_buf_clear(&inv.event);
    nw_lambda_clear(&l);
    nw_rt_clear(&rt);
    return 1;
}

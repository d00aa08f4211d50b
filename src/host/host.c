/*
 * nw-host's shared context: the credentials provider (IMDSv2 by default: the instance role,
 * cached and refreshed before expiry by libnwaws), the region, AWS clients, the enclave pool,
 * the secrets cache and the metrics.
 */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nw/imds.h>
#include <nw/mem.h>
#include <nw/wire.h>

nw_err nw_host_aws_client(struct nw_host_ctx *ctx,
                          struct nw_aws_client **out,
                          enum nw_aws_service svc,
                          struct nw_diag *diag)
{
    struct nw_aws_config ac = {
        .region = ctx->region,
        .creds = ctx->creds,
        .connect_timeout_ms = 2000,
        .timeout_ms = 5000,
        .max_attempts = 2,
    };
    return nw_aws_client_new(out, svc, &ac, diag);
}

/* The region: --region, AWS_REGION / AWS_DEFAULT_REGION, else the instance identity. */
static nw_err find_region(struct nw_host_ctx *ctx, struct nw_diag *diag)
{
    const char *r = ctx->cfg->region;
    if (r == NULL)
        r = getenv("AWS_REGION");
    if (r == NULL || r[0] == '\0')
        r = getenv("AWS_DEFAULT_REGION");
    if (r != NULL && r[0] != '\0') {
        if (strlen(r) >= sizeof(ctx->region))
            return nw_diag_set(diag, NW_ERR_CONFIG, "region name too long");
        (void)snprintf(ctx->region, sizeof(ctx->region), "%s", r);
        return NW_OK;
    }
    struct nw_imds *m = NULL;
    struct nw_imds_opts o = {0};
    struct nw_imds_identity id;
    struct nw_aws_error ae;
    nw_aws_error_reset(&ae);
    nw_err err = nw_imds_new(&m, &o);
    if (err == NW_OK)
        err = nw_imds_identity(m, &id, &ae);
    nw_imds_free(m);
    if (err != NW_OK)
        return nw_diag_set(diag, err, "no --region and no region from IMDS (%s)", nw_err_code(err));
    (void)snprintf(ctx->region, sizeof(ctx->region), "%s", id.region);
    return NW_OK;
}

nw_err
nw_host_ctx_init(struct nw_host_ctx *ctx, const struct nw_host_config *cfg, struct nw_diag *diag)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->cfg = cfg;
    ctx->started_ms = nw_now_ms();
    (void)pthread_mutex_init(&ctx->mu, NULL);
    NW_TRY(nw_host_metrics_new(&ctx->metrics));
    NW_TRY(find_region(ctx, diag));
    nw_err err;
    if (strcmp(cfg->aws_credentials, "env") == 0)
        err = nw_aws_creds_provider_env(&ctx->creds);
    else
        err = nw_aws_creds_provider_imds(&ctx->creds, NULL, 0);
    if (err != NW_OK)
        return nw_diag_set(diag, err, "credentials provider: %s", nw_err_code(err));
    NW_TRY(nw_host_secrets_new(&ctx->secrets, ctx));
    err = nw_host_pool_new(&ctx->pool, ctx);
    if (err != NW_OK)
        return nw_diag_set(diag, err, "--enclave: %s", nw_err_str(err));
    return NW_OK;
}

void nw_host_ctx_clear(struct nw_host_ctx *ctx)
{
    nw_host_pool_free(ctx->pool);
    nw_host_secrets_free(ctx->secrets);
    nw_aws_creds_provider_free(ctx->creds);
    nw_host_metrics_free(ctx->metrics);
    (void)pthread_mutex_destroy(&ctx->mu);
    memset(ctx, 0, sizeof(*ctx));
}

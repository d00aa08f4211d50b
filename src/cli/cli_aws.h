/*
 * AWS plumbing shared by `nw kms`, `nw secrets` and `nw keygen --kms-key-id` (internal to
 * src/cli): the common options, client creation, error reports.
 */
#ifndef NW_CLI_AWS_H
#define NW_CLI_AWS_H

#include <jansson.h>

#include <nw/aws.h>
#include <nw/kms.h>
#include <nw/secrets.h>

#include "cli.h"

/* Option ids of the common AWS options (far from each command's own ids). */
enum {
    NW_CLI_O_PROFILE = 200,
    NW_CLI_O_REGION,
    NW_CLI_O_ENDPOINT_URL,
    NW_CLI_O_ALLOW_HTTP,
    NW_CLI_O_KMS_KEY_ID,
    NW_CLI_O_FORM,
    NW_CLI_O_SECRET_ID,
    NW_CLI_O_CA_BUNDLE,
};

/* The common AWS options, for an option table. */
#define NW_CLI_AWS_OPTS                                                                         \
 {"profile", 0, "NAME", NW_CLI_O_PROFILE,                                                       \
  "profile of the shared config/credentials files (default: AWS_PROFILE,\nthen default)"},      \
     {"region", 0, "REGION", NW_CLI_O_REGION, "AWS region (default: AWS_REGION, the profile)"}, \
     {"endpoint-url", 0, "URL", NW_CLI_O_ENDPOINT_URL,                                          \
      "service endpoint (default: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL,\n"              \
      "the profile's endpoint_url, https://SERVICE.REGION.amazonaws.com)"},                     \
     {"ca-bundle", 0, "FILE", NW_CLI_O_CA_BUNDLE,                                               \
      "CA certificates for the endpoint (default: AWS_CA_BUNDLE, the profile's\n"               \
      "ca_bundle, the system store)"},                                                          \
 {                                                                                              \
  "allow-http", 0, NULL, NW_CLI_O_ALLOW_HTTP,                                                   \
      "allow a plain http:// endpoint that is not loopback (credentials and\n"                  \
      "plaintexts then travel in clear text)"                                                   \
 }

struct nw_cli_aws_opts {
    const char *profile;
    const char *region;
    const char *endpoint_url;
    const char *ca_bundle;
    bool allow_http;
    const char *kms_key_id; /* keygen */
    const char *form;       /* keygen */
    const char *secret_id;  /* keygen */
};

void nw_cli_aws_opts_init(struct nw_cli_aws_opts *o);

/* Take option id with value v if it is a common AWS option; false if it is not one. */
bool nw_cli_aws_opt(struct nw_cli_aws_opts *o, int id, const char *v);

/* A client and what it needs. */
struct nw_cli_aws {
    struct nw_aws_resolved res; /* profile, region, endpoint, CA bundle, credentials */
    struct nw_aws_client *client;
};

/*
 * Create a client for svc from o, the environment and the shared files, refusing a plain
 * http:// endpoint that is not loopback unless o->allow_http. Errors are reported; returns
 * NW_CLI_EXIT_OK or NW_CLI_EXIT_ERR. Free with nw_cli_aws_done (also after a failure).
 */
int nw_cli_aws_open(struct nw_cli_aws *a, enum nw_aws_service svc, const struct nw_cli_aws_opts *o);
void nw_cli_aws_done(struct nw_cli_aws *a);

/* Report a failed call: the AWS error name and message when there is one. Returns 1. */
int nw_cli_aws_fail(nw_err err, const struct nw_aws_error *aerr);

/* keygen --kms-key-id (cmd_keygen.c calls it with a fresh key and its address). */
int nw_cli_keygen_kms(const struct nw_cli_aws_opts *o,
                      const char *out,
                      const uint8_t addr20[20],
                      const struct nw_seckey *key);

#endif /* NW_CLI_AWS_H */

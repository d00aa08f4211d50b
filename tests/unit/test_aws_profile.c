/*
 * AWS configuration as the AWS CLI reads it (nw_aws_resolve): shared config and credentials
 * files, profiles, the environment, their order, and the refusal of plain http:// endpoints
 * (issue 13 items 10 and 11a). Files live in a temporary directory; the environment is set per
 * case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nw/aws.h>

#include "nwtest.h"

static char dir[] = "/tmp/nwawsprofXXXXXX";
static char cfg_path[128], cred_path[128];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void clean_env(void)
{
    static const char *const vars[] = {
        "AWS_REGION",        "AWS_DEFAULT_REGION",    "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",  "AWS_ENDPOINT_URL_KMS",  "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        "AWS_CA_BUNDLE"};
    for (size_t i = 0; i < NW_ARRAY_LEN(vars); i++)
        (void)unsetenv(vars[i]);
    (void)setenv("AWS_CONFIG_FILE", cfg_path, 1);
    (void)setenv("AWS_SHARED_CREDENTIALS_FILE", cred_path, 1);
}

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL)
        return -1;
    (void)snprintf(cfg_path, sizeof(cfg_path), "%s/config", dir);
    (void)snprintf(cred_path, sizeof(cred_path), "%s/credentials", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    (void)unlink(cfg_path);
    (void)unlink(cred_path);
    (void)rmdir(dir);
    return 0;
}

static const char config_text[] = "# comment\n"
                                  "[default]\n"
                                  "region = us-east-2\n"
                                  "\n"
                                  "[profile dev]\n"
                                  "region=eu-west-1\n"
                                  "endpoint_url = https://127.0.0.1:4566\n"
                                  "ca_bundle = /tmp/dev-ca.pem\n"
                                  "aws_access_key_id = AKIDCONFIG\n"
                                  "aws_secret_access_key = configsecret\n"
                                  "s3 =\n"
                                  "  max_concurrent_requests = 20\n"
                                  "[profile noregion]\n"
                                  "output = json\n";
static const char cred_text[] = "[default]\n"
                                "aws_access_key_id = AKIDFILE\n"
                                "aws_secret_access_key = filesecret\n"
                                "aws_session_token = filetoken\n"
                                "; other\n"
                                "[noregion]\n"
                                "aws_access_key_id = AKIDNR\n"
                                "aws_secret_access_key = nrsecret\n";

static void expect_akid(struct nw_aws_resolved *r, const char *akid, const char *source)
{
    struct nw_aws_creds c;
    assert_non_null(r->creds);
    assert_int_equal(nw_aws_creds_provider_get(r->creds, &c, 1000, NULL), NW_OK);
    assert_string_equal(c.access_key_id, akid);
    assert_string_equal(r->creds_source, source);
    nw_aws_creds_clear(&c);
}

static void test_profiles(void **state)
{
    (void)state;
    struct nw_aws_resolved r;
    struct nw_diag d = {0};
    struct nw_aws_cli_opts o = {.no_imds = true};
    clean_env();
    write_text(cfg_path, config_text);
    write_text(cred_path, cred_text);
    /* default: region from config, credentials from the credentials file. */
    assert_int_equal(nw_aws_resolve(&r, &d, &o), NW_OK);
    assert_string_equal(r.region, "us-east-2");
    assert_string_equal(r.endpoint_url, "");
    expect_akid(&r, "AKIDFILE", "credentials file");
    struct nw_aws_config cfg = {0};
    nw_aws_resolved_apply(&cfg, &r);
    assert_string_equal(cfg.region, "us-east-2");
    assert_null(cfg.endpoint_url);
    nw_aws_resolved_clear(&r);
    /* [profile dev]: region, endpoint_url, ca_bundle and keys from the config file. */
    o.profile = "dev";
    assert_int_equal(nw_aws_resolve(&r, &d, &o), NW_OK);
    assert_string_equal(r.region, "eu-west-1");
    assert_string_equal(r.endpoint_url, "https://127.0.0.1:4566");
    assert_string_equal(r.ca_bundle, "/tmp/dev-ca.pem");
    expect_akid(&r, "AKIDCONFIG", "config file");
    nw_aws_resolved_clear(&r);
    /* AWS_PROFILE selects it too; the environment's region and keys win over the files. */
    o.profile = NULL;
    (void)setenv("AWS_PROFILE", "dev", 1);
    (void)setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
    (void)setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    (void)setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    assert_int_equal(nw_aws_resolve(&r, &d, &o), NW_OK);
    assert_string_equal(r.profile, "dev");
    assert_string_equal(r.region, "ap-south-1");
    expect_akid(&r, "AKIDENV", "environment");
    nw_aws_resolved_clear(&r);
    /* AWS_REGION beats AWS_DEFAULT_REGION, --region beats both; an explicit --profile ignores
     * the environment's keys (as botocore does). */
    (void)setenv("AWS_REGION", "ca-central-1", 1);
    assert_int_equal(nw_aws_resolve(&r, &d, &o), NW_OK);
    assert_string_equal(r.region, "ca-central-1");
    nw_aws_resolved_clear(&r);
    o.region = "sa-east-1";
    o.profile = "dev";
    o.endpoint_url = "https://example.test";
    o.ca_bundle = "/x.pem";
    assert_int_equal(nw_aws_resolve(&r, &d, &o), NW_OK);
    assert_string_equal(r.region, "sa-east-1");
    assert_string_equal(r.endpoint_url, "https://example.test");
    assert_string_equal(r.ca_bundle, "/x.pem");
    expect_akid(&r, "AKIDCONFIG", "config file");
    nw_aws_resolved_clear(&r);
    /* An environment endpoint wins over the profile's endpoint_url. */
    o = (struct nw_aws_cli_opts){.no_imds = true, .profile = "dev"};
    (void)setenv("AWS_ENDPOINT_URL_KMS", "https://kms.test", 1);
    assert_int_equal(nw_aws_resolve(&r, &d, &o), NW_OK);
    assert_string_equal(r.endpoint_url, "");
    nw_aws_resolved_clear(&r);
    clean_env();
}

static void test_profile_errors(void **state)
{
    (void)state;
    struct nw_aws_resolved r;
    struct nw_diag d = {0};
    struct nw_aws_cli_opts o = {.no_imds = true};
    clean_env();
    write_text(cfg_path, config_text);
    write_text(cred_path, cred_text);
    /* A missing region says where it looked. */
    o.profile = "noregion";
    assert_int_equal(nw_aws_resolve(&r, &d, &o), NW_ERR_AWS_NO_REGION);
    assert_non_null(strstr(d.msg, "AWS_DEFAULT_REGION"));
    assert_non_null(strstr(d.msg, cfg_path));
    assert_non_null(strstr(d.msg, "noregion"));
    assert_null(r.creds);
    /* A named profile that is nowhere. */
    o.profile = "nosuch";
    assert_int_equal(nw_aws_resolve(&r, &d, &o), NW_ERR_AWS_PROFILE_NOT_FOUND);
    assert_non_null(strstr(d.msg, "nosuch"));
    /* No credentials anywhere (and no IMDS). */
    o.profile = NULL;
    write_text(cred_path, "");
    write_text(cfg_path, "[default]\nregion = us-east-1\n");
    assert_int_equal(nw_aws_resolve(&r, &d, &o), NW_ERR_AWS_CREDS_MISSING);
    assert_non_null(strstr(d.msg, cred_path));
    /* A malformed line names its file and line. */
    write_text(cfg_path, "[default]\nregion us-east-1\n");
    assert_int_equal(nw_aws_resolve(&r, &d, &o), NW_ERR_AWS_CONFIG_FILE);
    assert_non_null(strstr(d.msg, "line 2"));
    write_text(cfg_path, "[default\nregion = x\n");
    assert_int_equal(nw_aws_resolve(&r, &d, &o), NW_ERR_AWS_CONFIG_FILE);
    /* Missing files are empty; a directory in their place is unreadable. */
    (void)unlink(cfg_path);
    (void)unlink(cred_path);
    (void)setenv("AWS_REGION", "us-west-2", 1);
    (void)setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    (void)setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    assert_int_equal(nw_aws_resolve(&r, &d, &o), NW_OK);
    expect_akid(&r, "AKIDENV", "environment");
    nw_aws_resolved_clear(&r);
    (void)setenv("AWS_CONFIG_FILE", dir, 1);
    assert_int_equal(nw_aws_resolve(&r, &d, &o), NW_ERR_AWS_CONFIG_FILE);
    clean_env();
}

static nw_err client_for(const char *endpoint, bool allow_http, const char *connect_to)
{
    struct nw_aws_creds c;
    struct nw_aws_creds_provider *p = NULL;
    struct nw_aws_client *cl = NULL;
    struct nw_diag d = {0};
    assert_int_equal(nw_aws_creds_set(&c, "AKID", "secret", NULL, 0), NW_OK);
    assert_int_equal(nw_aws_creds_provider_static(&p, &c), NW_OK);
    struct nw_aws_config cfg = {.region = "us-east-1",
                                .endpoint_url = endpoint,
                                .creds = p,
                                .allow_http = allow_http,
                                .connect_to = connect_to};
    nw_err err = nw_aws_client_new(&cl, NW_AWS_KMS, &cfg, &d);
    if (err == NW_ERR_AWS_INSECURE_ENDPOINT)
        assert_non_null(strstr(d.msg, "--allow-http"));
    nw_aws_client_free(cl);
    nw_aws_creds_provider_free(p);
    nw_aws_creds_clear(&c);
    return err;
}

static void test_insecure_endpoint(void **state)
{
    (void)state;
    clean_env();
    assert_int_equal(client_for("http://kms.example.com", false, NULL),
                     NW_ERR_AWS_INSECURE_ENDPOINT);
    assert_int_equal(client_for("http://10.0.0.1:4566", false, NULL), NW_ERR_AWS_INSECURE_ENDPOINT);
    assert_int_equal(client_for("http://127.evil.com", false, NULL), NW_ERR_AWS_INSECURE_ENDPOINT);
    assert_int_equal(client_for("http://kms.example.com", true, NULL), NW_OK);
    assert_int_equal(client_for("http://127.0.0.1:4566", false, NULL), NW_OK);
    assert_int_equal(client_for("http://localhost:4566", false, NULL), NW_OK);
    assert_int_equal(client_for("http://[::1]:4566", false, NULL), NW_OK);
    assert_int_equal(client_for("http://kms.local", false, "unix:/tmp/kms.sock"), NW_OK);
    assert_int_equal(client_for("https://kms.example.com", false, NULL), NW_OK);
    assert_int_equal(client_for("http://kms.example.com", false, "tcp:127.0.0.1:4566"), NW_OK);
    assert_int_equal(client_for("http://kms.example.com", false, "tcp:[::1]:4566"), NW_OK);
    assert_int_equal(client_for("http://localhost", false, "tcp:10.1.2.3:80"),
                     NW_ERR_AWS_INSECURE_ENDPOINT);
    assert_int_equal(client_for("http://localhost", false, "vsock:3:8000"),
                     NW_ERR_AWS_INSECURE_ENDPOINT);
    assert_true(nw_aws_host_is_loopback("127.0.0.1"));
    assert_false(nw_aws_host_is_loopback("127."));
    assert_false(nw_aws_host_is_loopback("128.0.0.1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_profile_errors),
        cmocka_unit_test(test_insecure_endpoint),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

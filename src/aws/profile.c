/*
 * AWS configuration the way the AWS CLI reads it (see nw_aws_resolve in <nw/aws.h>): command
 * line, environment, then the shared config and credentials files, then IMDSv2.
 *
 * The files are small INI texts ("Configuration and credential file settings" in the AWS CLI
 * User Guide): [default] / [profile NAME] in config, [NAME] in credentials, "key = value"
 * lines, '#' or ';' comments. Indented lines belong to nested settings (e.g. s3 = ...) that we
 * do not use, so they are skipped. The credentials file holds secret keys: its text is read into
 * a secret buffer and wiped, and values are copied only into struct nw_aws_creds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nw/aws.h>
#include <nw/imds.h>
#include <nw/mem.h>

#define FILE_MAX ((size_t)1024 * 1024)

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return (v != NULL && v[0] != '\0') ? v : NULL;
}

/* Read path into b (secret). A missing file is empty, not an error. */
static nw_err read_text(struct nw_buf *b, const char *path, struct nw_diag *diag)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return NW_OK;
        return nw_diag_set(diag, NW_ERR_AWS_CONFIG_FILE, "cannot read %s", path);
    }
    nw_err err = NW_OK;
    for (;;) {
        if ((err = nw_buf_reserve(b, 4096)) != NW_OK)
            break;
        ssize_t n = read(fd, b->ptr + b->len, 4096);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = nw_diag_set(diag, NW_ERR_AWS_CONFIG_FILE, "cannot read %s", path);
            break;
        }
        if (n == 0)
            break;
        b->len += (size_t)n;
    }
    close(fd);
    if (err == NW_ERR_BUF_FULL)
        err = nw_diag_set(diag, NW_ERR_AWS_CONFIG_FILE, "%s is larger than 1 MiB", path);
    return err;
}

/* A line of the file, trimmed. */
static struct nw_cur trim(struct nw_cur c)
{
    while (c.len > 0 && (c.ptr[0] == ' ' || c.ptr[0] == '\t'))
        c.ptr++, c.len--;
    while (c.len > 0 &&
           (c.ptr[c.len - 1] == ' ' || c.ptr[c.len - 1] == '\t' || c.ptr[c.len - 1] == '\r'))
        c.len--;
    return c;
}

static bool cur_is(struct nw_cur c, const char *s)
{
    return c.len == strlen(s) && memcmp(c.ptr, s, c.len) == 0;
}

/* One INI file and the section that matters. */
struct ini {
    struct nw_cur text;
    const char *path;
    const char *section; /* "default", "profile NAME" or "NAME" */
    const char *alt;     /* another accepted name (config: "profile default"), or NULL */
};

/*
 * Look key up in the section. Out: value (copied, NUL-terminated; "" when absent), *found_section.
 * Returns NW_OK or NW_ERR_AWS_CONFIG_FILE (a line that is neither a section, a comment nor a
 * key = value; a value too long).
 */
static nw_err ini_get(const struct ini *f,
                      const char *key,
                      char *value,
                      size_t value_len,
                      bool *found_section,
                      struct nw_diag *diag)
{
    struct nw_cur t = f->text;
    bool in = false;
    size_t lineno = 0;
    value[0] = '\0';
    while (t.len > 0) {
        const uint8_t *nl = memchr(t.ptr, '\n', t.len);
        size_t n = nl != NULL ? (size_t)(nl - t.ptr) : t.len;
        struct nw_cur raw = nw_cur_of(t.ptr, n), line = trim(raw);
        t.ptr += n + (nl != NULL), t.len -= n + (nl != NULL);
        lineno++;
        if (line.len == 0 || line.ptr[0] == '#' || line.ptr[0] == ';')
            continue;
        if (line.ptr[0] == '[') {
            if (line.ptr[line.len - 1] != ']')
                return nw_diag_set(diag, NW_ERR_AWS_CONFIG_FILE, "%s line %zu: bad section",
                                   f->path, lineno);
            struct nw_cur name = trim(nw_cur_of(line.ptr + 1, line.len - 2));
            in = cur_is(name, f->section) || (f->alt != NULL && cur_is(name, f->alt));
            *found_section |= in;
            continue;
        }
        if (raw.ptr[0] == ' ' || raw.ptr[0] == '\t')
            continue; /* a nested setting */
        const uint8_t *eq = memchr(line.ptr, '=', line.len);
        if (eq == NULL)
            return nw_diag_set(diag, NW_ERR_AWS_CONFIG_FILE, "%s line %zu: expected 'key = value'",
                               f->path, lineno);
        if (!in || !cur_is(trim(nw_cur_of(line.ptr, (size_t)(eq - line.ptr))), key))
            continue;
        struct nw_cur v = trim(nw_cur_of(eq + 1, line.len - (size_t)(eq + 1 - line.ptr)));
        if (v.len >= value_len)
            return nw_diag_set(diag, NW_ERR_AWS_CONFIG_FILE, "%s line %zu: value too long", f->path,
                               lineno);
        memcpy(value, v.ptr, v.len);
        value[v.len] = '\0';
    }
    return NW_OK;
}

static void set_path(char *out, size_t n, const char *env, const char *home_rel)
{
    const char *v = env_nonempty(env), *home = env_nonempty("HOME");
    if (v != NULL)
        (void)snprintf(out, n, "%s", v);
    else if (home != NULL)
        (void)snprintf(out, n, "%s/%s", home, home_rel);
    else
        out[0] = '\0';
}

/* Credentials from a file section: both keys or none. */
static nw_err
creds_from(struct nw_aws_resolved *r, const struct ini *f, const char *source, struct nw_diag *diag)
{
    struct nw_aws_creds c;
    bool found = false;
    nw_err err;
    memset(&c, 0, sizeof(c));
    NW_CHECK(
        ini_get(f, "aws_access_key_id", c.access_key_id, sizeof(c.access_key_id), &found, diag));
    NW_CHECK(ini_get(f, "aws_secret_access_key", c.secret_access_key, sizeof(c.secret_access_key),
                     &found, diag));
    NW_CHECK(
        ini_get(f, "aws_session_token", c.session_token, sizeof(c.session_token), &found, diag));
    if (c.access_key_id[0] != '\0' && c.secret_access_key[0] != '\0') {
        NW_CHECK(nw_aws_creds_provider_static(&r->creds, &c));
        r->creds_source = source;
    }
out:
    nw_aws_creds_clear(&c);
    return err;
}

/* --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region. */
static nw_err resolve_region(struct nw_aws_resolved *r,
                             const struct ini *cfg,
                             const struct nw_aws_cli_opts *o,
                             struct nw_diag *diag)
{
    bool found = false;
    const char *v = o->region != NULL ? o->region : env_nonempty("AWS_REGION");
    if (v == NULL)
        v = env_nonempty("AWS_DEFAULT_REGION");
    if (v != NULL) {
        (void)snprintf(r->region, sizeof(r->region), "%s", v);
        return NW_OK;
    }
    NW_TRY(ini_get(cfg, "region", r->region, sizeof(r->region), &found, diag));
    if (r->region[0] != '\0')
        return NW_OK;
    return nw_diag_set(diag, NW_ERR_AWS_NO_REGION,
                       "no region: looked at --region, AWS_REGION, AWS_DEFAULT_REGION and "
                       "'region' in profile '%s' of %s",
                       r->profile, r->config_file[0] != '\0' ? r->config_file : "(no HOME)");
}

static nw_err resolve_files(struct nw_aws_resolved *r,
                            const struct ini *cfg,
                            const struct ini *cred,
                            const struct nw_aws_cli_opts *o,
                            struct nw_diag *diag)
{
    bool in_cfg = false, in_cred = false;
    char tmp[8];
    /* A key no line can have: only the section and the syntax are checked. */
    NW_TRY(ini_get(cfg, "\n", tmp, sizeof(tmp), &in_cfg, diag));
    NW_TRY(ini_get(cred, "\n", tmp, sizeof(tmp), &in_cred, diag));
    bool named = strcmp(r->profile, "default") != 0;
    if (named && !in_cfg && !in_cred)
        return nw_diag_set(diag, NW_ERR_AWS_PROFILE_NOT_FOUND,
                           "profile '%s' is in neither %s nor %s", r->profile, r->config_file,
                           r->credentials_file);
    NW_TRY(resolve_region(r, cfg, o, diag));
    bool found = false;
    if (o->endpoint_url != NULL)
        (void)snprintf(r->endpoint_url, sizeof(r->endpoint_url), "%s", o->endpoint_url);
    else if (env_nonempty("AWS_ENDPOINT_URL") == NULL &&
             env_nonempty("AWS_ENDPOINT_URL_KMS") == NULL &&
             env_nonempty("AWS_ENDPOINT_URL_SECRETS_MANAGER") == NULL)
        /* The environment's endpoints win over the profile's (nw_aws_client_new reads them). */
        NW_TRY(
            ini_get(cfg, "endpoint_url", r->endpoint_url, sizeof(r->endpoint_url), &found, diag));
    const char *ca = o->ca_bundle != NULL ? o->ca_bundle : env_nonempty("AWS_CA_BUNDLE");
    if (ca != NULL)
        (void)snprintf(r->ca_bundle, sizeof(r->ca_bundle), "%s", ca);
    else
        NW_TRY(ini_get(cfg, "ca_bundle", r->ca_bundle, sizeof(r->ca_bundle), &found, diag));
    return NW_OK;
}

static nw_err resolve_creds(struct nw_aws_resolved *r,
                            const struct ini *cfg,
                            const struct ini *cred,
                            const struct nw_aws_cli_opts *o,
                            struct nw_diag *diag)
{
    struct nw_aws_creds c;
    /* botocore: an explicit --profile removes the environment provider; AWS_PROFILE does not. */
    if (o->profile == NULL && nw_aws_creds_from_env(&c) == NW_OK) {
        nw_aws_creds_clear(&c);
        r->creds_source = "environment";
        return nw_aws_creds_provider_env(&r->creds);
    }
    nw_aws_creds_clear(&c);
    NW_TRY(creds_from(r, cred, "credentials file", diag));
    if (r->creds == NULL)
        NW_TRY(creds_from(r, cfg, "config file", diag));
    if (r->creds != NULL)
        return NW_OK;
    if (o->no_imds)
        return nw_diag_set(diag, NW_ERR_AWS_CREDS_MISSING,
                           "no credentials in the environment, %s or %s (profile '%s')",
                           r->credentials_file, r->config_file, r->profile);
    struct nw_imds_opts io;
    memset(&io, 0, sizeof(io));
    r->creds_source = "imds";
    return nw_aws_creds_provider_imds(&r->creds, o->imds != NULL ? o->imds : &io, 0);
}

nw_err nw_aws_resolve(struct nw_aws_resolved *out,
                      struct nw_diag *diag,
                      const struct nw_aws_cli_opts *opts)
{
    struct nw_buf cfg_text, cred_text;
    char section[160];
    nw_err err;
    memset(out, 0, sizeof(*out));
    nw_buf_init(&cfg_text, FILE_MAX, true);
    nw_buf_init(&cred_text, FILE_MAX, true);
    const char *p = opts->profile != NULL ? opts->profile : env_nonempty("AWS_PROFILE");
    (void)snprintf(out->profile, sizeof(out->profile), "%s", p != NULL ? p : "default");
    out->allow_http = opts->allow_http;
    set_path(out->config_file, sizeof(out->config_file), "AWS_CONFIG_FILE", ".aws/config");
    set_path(out->credentials_file, sizeof(out->credentials_file), "AWS_SHARED_CREDENTIALS_FILE",
             ".aws/credentials");
    if (out->config_file[0] != '\0')
        NW_CHECK(read_text(&cfg_text, out->config_file, diag));
    if (out->credentials_file[0] != '\0')
        NW_CHECK(read_text(&cred_text, out->credentials_file, diag));
    bool is_default = strcmp(out->profile, "default") == 0;
    (void)snprintf(section, sizeof(section), "profile %s", out->profile);
    struct ini cfg = {nw_buf_cur(&cfg_text), out->config_file, is_default ? "default" : section,
                      is_default ? "profile default" : NULL};
    struct ini cred = {nw_buf_cur(&cred_text), out->credentials_file, out->profile, NULL};
    NW_CHECK(resolve_files(out, &cfg, &cred, opts, diag));
    NW_CHECK(resolve_creds(out, &cfg, &cred, opts, diag));
out:
    nw_buf_clear(&cfg_text);
    nw_buf_clear(&cred_text);
    if (err != NW_OK)
        nw_aws_resolved_clear(out);
    return err;
}

void nw_aws_resolved_clear(struct nw_aws_resolved *r)
{
    nw_aws_creds_provider_free(r->creds);
    memset(r, 0, sizeof(*r));
}

void nw_aws_resolved_apply(struct nw_aws_config *cfg, const struct nw_aws_resolved *r)
{
    cfg->region = r->region[0] != '\0' ? r->region : NULL;
    cfg->endpoint_url = r->endpoint_url[0] != '\0' ? r->endpoint_url : NULL;
    cfg->ca_file = r->ca_bundle[0] != '\0' ? r->ca_bundle : NULL;
    cfg->allow_http = r->allow_http;
    cfg->creds = r->creds;
}

/*
 * nw keygen: a fresh key from getrandom(2), written as a key file (mode 0600, never
 * overwriting) or to stdout, or straight into a KMS-encrypted form (cmd_keygen_kms in
 * cmd_aws.c) so the plaintext never reaches a disk.
 */
#include <jansson.h>
#include <string.h>

#include <nw/ethaddr.h>
#include <nw/hex.h>
#include <nw/mem.h>

#include "cli_aws.h"
#include "cli_tx.h"

enum { NW_KGO_OUT = 1 };

static const struct nw_opt keygen_opts[] = {
    {"out", 'o', "FILE", NW_KGO_OUT,
     "where the key goes: a new file (mode 0600, O_EXCL: never overwritten),\n"
     "or - for stdout (64 hex digits and a newline)"},
    NW_CLI_AWS_OPTS,
    {"kms-key-id", 0, "ID", NW_CLI_O_KMS_KEY_ID,
     "encrypt the key under this KMS key instead of writing it in clear (see below)"},
    {"form", 0, "FORM", NW_CLI_O_FORM, "with --kms-key-id: secret (default) or store (see below)"},
    {"secret-id", 0, "NAME", NW_CLI_O_SECRET_ID,
     "with --form secret: also create the Secrets Manager secret NAME holding it"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct nw_opt_cmd keygen_cmd = {
    "nw keygen",
    "--out FILE|-\n--kms-key-id ID [--form secret|store] [--secret-id NAME] [--out FILE|-]",
    "Generate a private key from getrandom(2). With --out FILE|-, print\n"
    "{\"address\":\"0x..\",\"key_file\":FILE} (the key itself only goes to FILE or stdout).\n"
    "With --kms-key-id the key is encrypted by KMS before anything is written, in one of two\n"
    "forms (the plaintext never touches a disk):\n"
    "  secret: the seed's Secrets-Manager SecretString, base64 of the KMS ciphertext of the\n"
    "          key's hex text; --secret-id creates the secret too, --out writes the text;\n"
    "  store:  the key store's import form {\"id\",\"address\",\"kms_key_id\",\"ciphertext\"}:\n"
    "          the 32 key bytes encrypted with the context {\"nw:key_id\": id}.\n"
    "It prints {\"address\",...} with the ARN of the key used and, for --secret-id, the\n"
    "secret's ARN.",
    keygen_opts, "Exit: 0 ok; 1 error (JSON on stderr); 2 usage."};

static int write_plain(const char *out, const uint8_t addr[20], const struct nw_seckey *key)
{
    char hex[66], a[NW_ETHADDR_TEXT_LEN];
    nw_err err = nw_hex_encode(hex, sizeof(hex), key->b, 32, false);
    if (err != NW_OK)
        return nw_cli_fail_err(err, NULL);
    hex[64] = '\n';
    err = nw_cli_write_new_file(out, hex, 65);
    nw_wipe(hex, sizeof(hex));
    if (err != NW_OK)
        return nw_cli_fail_errf(
            err, "%s %s", err == NW_ERR_EXISTS ? "refusing to overwrite" : "cannot write", out);
    if (strcmp(out, "-") == 0)
        return NW_CLI_EXIT_OK; /* stdout holds the key: nothing else goes there */
    nw_ethaddr_format(a, addr);
    json_t *o = json_pack("{s:s,s:s}", "address", a, "key_file", out);
    char *t = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    int rc = t ? nw_cli_print_line(nw_cur_str(t)) : nw_cli_fail_err(NW_ERR_NOMEM, NULL);
    nw_cli_json_free(t);
    json_decref(o);
    return rc;
}

int nw_cli_cmd_keygen(int argc, char **argv)
{
    struct nw_opt_parser p;
    struct nw_cli_aws_opts aws;
    const char *v, *out = NULL;
    int id;
    nw_cli_aws_opts_init(&aws);
    nw_opt_init(&p, &keygen_cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        if (id == NW_KGO_OUT)
            out = v;
        else if (!nw_cli_aws_opt(&aws, id, v))
            return nw_opt_usage_error(&keygen_cmd, "bad value for an option: '%.60s'", v);
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (p.optind < argc)
        return nw_opt_usage_error(&keygen_cmd, "unexpected argument '%.60s'", argv[p.optind]);
    if (aws.kms_key_id == NULL && out == NULL)
        return nw_opt_usage_error(&keygen_cmd, "missing --out FILE|- (or --kms-key-id ID)");
    if (aws.kms_key_id == NULL && (aws.form != NULL || aws.secret_id != NULL))
        return nw_opt_usage_error(&keygen_cmd, "--form and --secret-id need --kms-key-id");

    struct nw_seckey key;
    uint8_t addr[20];
    int rc = NW_CLI_EXIT_ERR;
    nw_err err;
    memset(&key, 0, sizeof(key));
    struct nw_secp *secp = nw_cli_secp();
    if (secp == NULL)
        goto out;
    if ((err = nw_seckey_generate(secp, &key)) != NW_OK ||
        (err = nw_address_from_seckey(secp, addr, &key)) != NW_OK) {
        rc = nw_cli_fail_err(err, NULL);
        goto out;
    }
    rc = aws.kms_key_id != NULL ? nw_cli_keygen_kms(&aws, out, addr, &key)
                                : write_plain(out, addr, &key);
out:
    nw_seckey_clear(&key);
    nw_secp_free(secp);
    return rc;
}

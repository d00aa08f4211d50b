"""Issue 13 points 9 (keygen --kms-key-id), 10, 11 and 11a, CLI side, against nw-devaws:
settings from flags, AWS CLI output shapes, the KMS-encrypted key forms, plain-http refusal.
Usage: aws_cli.py NW-DEVAWS NW"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from devaws_harness import Emulator, check, run_cases  # noqa: E402

NW = None
E = None
S = {}


def nw(*args, stdin=b"", ok=True, env=None):
    e = dict(os.environ)
    e.update(E.env)
    if env is not None:
        e = env
    r = subprocess.run([NW] + list(args), input=stdin, capture_output=True, env=e, timeout=60)
    if ok:
        check(r.returncode == 0, "nw %s: %d %s" % (" ".join(args), r.returncode, r.stderr))
    return r


def address_of(hexkey, tmp):
    path = os.path.join(tmp, "k-%d" % time.monotonic_ns())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, hexkey + b"\n")
    os.close(fd)
    return json.loads(nw("address", "--key-file", path).stdout)["address"]


def t_setup():
    S["key"] = json.loads(nw("kms", "create-key", "--description", "cli").stdout)["KeyMetadata"]["KeyId"]
    S["tmp"] = tempfile.mkdtemp(prefix="nw-aws-cli-")


def t_keygen_secret():
    r = json.loads(nw("keygen", "--kms-key-id", S["key"], "--secret-id", "cli/key").stdout)
    check(r["kms_key_id"].endswith(S["key"]) and "secret_arn" in r, "answer: %s" % r)
    got = nw("secrets", "get-secret-value", "--secret-id", "cli/key", "--raw").stdout
    check(got.decode() == r["secret_string"], "the secret holds the printed SecretString")
    plain = nw("kms", "decrypt", "--raw", stdin=got).stdout
    check(len(plain) == 64 and all(c in b"0123456789abcdef" for c in plain),
          "the seed's form: KMS ciphertext of the key's hex text")
    check(address_of(plain, S["tmp"]) == r["address"], "the address is the key's")
    out = os.path.join(S["tmp"], "secret.txt")
    r2 = json.loads(nw("keygen", "--kms-key-id", S["key"], "--out", out).stdout)
    check(os.stat(out).st_mode & 0o777 == 0o600 and "secret_string" not in r2, "--out FILE")
    with open(out, "rb") as f:
        plain2 = nw("kms", "decrypt", "--raw", stdin=f.read()).stdout
    check(address_of(plain2, S["tmp"]) == r2["address"], "--out file decrypts to the key")
    text = nw("keygen", "--kms-key-id", S["key"], "--out", "-").stdout
    base64.b64decode(text.strip(), validate=True)


def t_keygen_store():
    r = json.loads(nw("keygen", "--kms-key-id", S["key"], "--form", "store").stdout)
    check(set(r) == {"id", "address", "kms_key_id", "ciphertext"}, "store form: %s" % r)
    blob = r["ciphertext"].encode()
    bad = nw("kms", "decrypt", "--raw", stdin=blob, ok=False)
    check(bad.returncode == 1, "the ciphertext is bound to its id (no context: refused)")
    plain = nw("kms", "decrypt", "--raw", "--context", "nw:key_id=" + r["id"], stdin=blob).stdout
    check(len(plain) == 32, "32 raw key bytes")
    check(address_of(plain.hex().encode(), S["tmp"]).lower() == r["address"], "address")
    r2 = nw("keygen", "--kms-key-id", S["key"], "--form", "store", "--secret-id", "x", ok=False)
    check(r2.returncode == 1, "--secret-id with --form store refused")
    r3 = nw("keygen", "--form", "store", "--out", "-", ok=False)
    check(r3.returncode == 2, "--form without --kms-key-id is a usage error")


def t_flags():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({k: v for k, v in E.env.items()
                if k not in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_KMS",
                             "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER")})
    r = nw("kms", "list-keys", env=env, ok=False)
    check(r.returncode == 1 and b"region" in r.stderr, "a missing region says so: %s" % r.stderr)
    region = E.env.get("AWS_REGION") or E.env.get("AWS_DEFAULT_REGION")
    url = E.env["AWS_ENDPOINT_URL_KMS"]
    keys = json.loads(nw("kms", "list-keys", "--region", region, "--endpoint-url", url,
                         env=env).stdout)["Keys"]
    check(any(k["KeyId"] == S["key"] for k in keys), "--region and --endpoint-url")


def t_shapes():
    enc = nw("kms", "encrypt", "--key-id", S["key"], "--context", "a=b", stdin=b"pt").stdout
    j = json.loads(enc)
    check(set(j) == {"CiphertextBlob", "KeyId", "EncryptionAlgorithm"}, "encrypt shape: %s" % j)
    dec = json.loads(nw("kms", "decrypt", "--context", "a=b", stdin=enc).stdout)
    check(set(dec) == {"KeyId", "Plaintext", "EncryptionAlgorithm"} and
          base64.b64decode(dec["Plaintext"]) == b"pt", "decrypt shape, base64 by default")
    check(nw("kms", "decrypt", "--raw", "--context", "a=b", stdin=enc).stdout == b"pt", "--raw")
    d = json.loads(nw("kms", "describe-key", "--key-id", S["key"]).stdout)
    check(d["KeyMetadata"]["KeyId"] == S["key"], "describe-key shape")
    nw("secrets", "create-secret", "--name", "cli/v", "--secret-string", "v1")
    g = json.loads(nw("secrets", "get-secret-value", "--secret-id", "cli/v").stdout)
    check(g["SecretString"] == "v1" and g["Name"] == "cli/v" and "ARN" in g, "get shape: %s" % g)


def t_plain_http():
    e = dict(os.environ)
    e.update(E.env)
    t0 = time.time()
    r = nw("kms", "list-keys", "--endpoint-url", "http://192.0.2.1:9", ok=False)
    check(r.returncode == 1 and b"--allow-http" in r.stderr and
          b'"code":"aws_insecure_endpoint"' in r.stderr,
          "plain http to a non-loopback host refused: %s" % r.stderr)
    check(time.time() - t0 < 5, "refused before any connection")
    r = nw("kms", "list-keys", "--endpoint-url", "http://127.0.0.1:1", ok=False)
    check(r.returncode == 1 and b"--allow-http" not in r.stderr, "loopback http allowed: %s" % r.stderr)
    r = nw("kms", "list-keys", "--endpoint-url", "http://nw-test.invalid:1", "--allow-http", ok=False)
    check(r.returncode == 1 and b"--allow-http" not in r.stderr, "--allow-http lets it through")
    r = nw("keygen", "--kms-key-id", S["key"], "--endpoint-url", "http://192.0.2.1:9", ok=False)
    check(r.returncode == 1 and b"--allow-http" in r.stderr, "keygen refuses it too")


def t_profile():
    """--profile reads ~/.aws/config and ~/.aws/credentials as the AWS CLI does; an explicit
    --profile ignores the environment's credentials; an unknown profile is its own error."""
    d = tempfile.mkdtemp(prefix="nw-aws-profile-", dir=S["tmp"])
    region = E.env.get("AWS_REGION") or E.env.get("AWS_DEFAULT_REGION")
    url = E.env["AWS_ENDPOINT_URL_KMS"]
    with open(os.path.join(d, "config"), "w") as f:
        f.write("[default]\nregion = nowhere-1\n\n# comment\n[profile dev]\nregion = %s\n"
                "endpoint_url = %s\n" % (region, url))
    with open(os.path.join(d, "credentials"), "w") as f:
        f.write("[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                % (E.env["AWS_ACCESS_KEY_ID"], E.env["AWS_SECRET_ACCESS_KEY"]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({k: v for k, v in E.env.items() if not k.startswith("AWS_")})
    env.update({"AWS_CONFIG_FILE": os.path.join(d, "config"), "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_SHARED_CREDENTIALS_FILE": os.path.join(d, "credentials")})
    if "AWS_CA_BUNDLE" in E.env:
        env["AWS_CA_BUNDLE"] = E.env["AWS_CA_BUNDLE"]
    keys = json.loads(nw("kms", "list-keys", "--profile", "dev", env=env).stdout)["Keys"]
    check(any(k["KeyId"] == S["key"] for k in keys), "--profile dev: region, endpoint, keys")
    e2 = dict(env, AWS_PROFILE="dev")
    check(nw("kms", "list-keys", env=e2).returncode == 0, "AWS_PROFILE=dev")
    e3 = dict(env, AWS_ACCESS_KEY_ID="AKIDWRONGWRONGWRONG", AWS_SECRET_ACCESS_KEY="x" * 40)
    check(nw("kms", "list-keys", "--profile", "dev", env=e3).returncode == 0,
          "an explicit --profile wins over the environment's credentials")
    r = nw("kms", "list-keys", "--profile", "nope", env=env, ok=False)
    check(r.returncode == 1 and b'"code":"aws_profile_not_found"' in r.stderr, "unknown profile: %s"
          % r.stderr)
    r = nw("kms", "list-keys", env=env, ok=False)
    check(r.returncode == 1 and b'"code":"aws_creds_missing"' in r.stderr,
          "default profile has no credentials, IMDS disabled: %s" % r.stderr)


def main():
    global NW, E
    NW = sys.argv[2]
    E = Emulator(sys.argv[1])
    try:
        E.start()
        failed = run_cases([("setup", t_setup), ("keygen --kms-key-id (secret form)", t_keygen_secret),
                            ("keygen --kms-key-id --form store", t_keygen_store),
                            ("--region, --endpoint-url, missing region", t_flags),
                            ("AWS CLI output shapes", t_shapes), ("plain http refusal", t_plain_http),
                            ("--profile and the shared files", t_profile)])
        E.stop()
    finally:
        E.cleanup()
    print("aws_cli: %s" % ("all passed" if not failed else "%d failed" % failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

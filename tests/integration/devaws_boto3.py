#!/usr/bin/env python3
"""Integration test of nw-devaws against AWS's own SDK (Debian's python3-boto3: botocore signs
with the real SigV4 and parses with the real models), plus raw requests for the failure cases.

usage: devaws_boto3.py PATH/TO/nw-devaws [PATH/TO/nw]
"""
import base64
import json
import os
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from devaws_harness import Emulator, Fail, check, imds, raw_call, run_cases  # noqa: E402

os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
for v in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(v, None)

import boto3  # noqa: E402
import botocore  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

CANARY_SECRET = "nw-canary-secret-7f3a9c1e5b"
CANARY_PLAINTEXT = b"nw-canary-plaintext-0d1e2f3a"

E = None  # the running emulator
S = {}    # values shared between cases


def client(service, creds=None):
    """A boto3 client pointed at the emulator. Debian 12's botocore (1.29) predates
    AWS_ENDPOINT_URL_<SERVICE>, so the endpoint from DIR/env is passed explicitly."""
    creds = creds or E.admin_creds()
    url = E.env["AWS_ENDPOINT_URL_KMS" if service == "kms" else "AWS_ENDPOINT_URL_SECRETS_MANAGER"]
    return boto3.session.Session().client(
        service, region_name=E.env["AWS_REGION"], endpoint_url=url,
        verify=E.env["AWS_CA_BUNDLE"], aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("Token"),
        config=Config(retries={"max_attempts": 1}))


def expect_error(name, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == name, "expected %s, got %s (%s)" % (name, got, e))
        check(e.response["ResponseMetadata"].get("RequestId"), "error without x-amzn-RequestId")
        return e
    raise Fail("expected %s, call succeeded" % name)


def policy_doc(*statements):
    root = "arn:aws:iam::%s:root" % E.env["NW_DEVAWS_ACCOUNT"]
    base = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [base] + list(statements)})


# ---------------------------------------------------------------- env and files

def t_env_file():
    for k in ("AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_CA_BUNDLE",
              "AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL_SECRETS_MANAGER",
              "AWS_EC2_METADATA_SERVICE_ENDPOINT"):
        check(E.env.get(k), "DIR/env lacks " + k)
    check(E.env["AWS_ACCESS_KEY_ID"].startswith("AKIA"), "admin key is not a long-term key")
    for f in ("env", "iam.json", "ca-key.pem"):
        mode = stat.S_IMODE(os.stat(os.path.join(E.state, f)).st_mode)
        check(mode == 0o600, "%s has mode %o" % (f, mode))
    with open(E.env["AWS_CA_BUNDLE"]) as f:
        check("BEGIN CERTIFICATE" in f.read(), "ca.pem is not a certificate")


# ---------------------------------------------------------------- KMS

def t_kms_keys():
    kms = client("kms")
    md = kms.create_key(Description="integration key")["KeyMetadata"]
    check(md["Arn"] == "arn:aws:kms:%s:%s:key/%s" % (E.env["AWS_REGION"],
                                                     E.env["NW_DEVAWS_ACCOUNT"], md["KeyId"]),
          "key ARN form")
    check(md["KeyState"] == "Enabled" and md["Enabled"] and md["KeySpec"] == "SYMMETRIC_DEFAULT",
          "metadata")
    S["key"] = md["KeyId"]
    S["key_arn"] = md["Arn"]
    S["key2"] = kms.create_key()["KeyMetadata"]["KeyId"]
    d = kms.describe_key(KeyId=md["Arn"])["KeyMetadata"]
    check(d["KeyId"] == md["KeyId"] and d["Description"] == "integration key", "describe")
    ids = [k["KeyId"] for k in kms.list_keys()["Keys"]]
    check(md["KeyId"] in ids and S["key2"] in ids, "list_keys")
    kms.create_alias(AliasName="alias/nw-test", TargetKeyId=md["KeyId"])
    al = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/nw-test"]
    check(len(al) == 1 and al[0]["TargetKeyId"] == md["KeyId"], "list_aliases")
    check(kms.describe_key(KeyId="alias/nw-test")["KeyMetadata"]["KeyId"] == md["KeyId"],
          "describe by alias")
    expect_error("AlreadyExistsException", kms.create_alias, AliasName="alias/nw-test",
                 TargetKeyId=S["key2"])
    expect_error("NotFoundException", kms.describe_key,
                 KeyId="00000000-0000-4000-8000-000000000000")
    expect_error("NotFoundException", kms.describe_key, KeyId="alias/none")


def t_kms_crypto():
    kms = client("kms")
    ctx = {"nw:address": "0xabc", "purpose": "test"}
    e = kms.encrypt(KeyId="alias/nw-test", Plaintext=CANARY_PLAINTEXT, EncryptionContext=ctx)
    check(e["KeyId"] == S["key_arn"], "encrypt answers the key ARN")
    blob = e["CiphertextBlob"]
    S["blob"], S["ctx"] = blob, ctx
    d = kms.decrypt(CiphertextBlob=blob, EncryptionContext=dict(reversed(list(ctx.items()))))
    check(d["Plaintext"] == CANARY_PLAINTEXT and d["KeyId"] == S["key_arn"], "decrypt")
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob,
                 EncryptionContext={"nw:address": "0xabd", "purpose": "test"})
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob)
    bad = bytearray(blob)
    bad[-1] ^= 1
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=bytes(bad),
                 EncryptionContext=ctx)
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=b"not a blob")
    expect_error("IncorrectKeyException", kms.decrypt, CiphertextBlob=blob, EncryptionContext=ctx,
                 KeyId=S["key2"])
    check(kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx, KeyId="alias/nw-test")
          ["Plaintext"] == CANARY_PLAINTEXT, "decrypt with matching KeyId")
    g = kms.generate_data_key(KeyId=S["key"], KeySpec="AES_256", EncryptionContext=ctx)
    check(len(g["Plaintext"]) == 32, "data key length")
    check(kms.decrypt(CiphertextBlob=g["CiphertextBlob"], EncryptionContext=ctx)["Plaintext"]
          == g["Plaintext"], "data key round trip")
    g = kms.generate_data_key(KeyId=S["key"], NumberOfBytes=64)
    check(len(g["Plaintext"]) == 64, "NumberOfBytes")
    g = kms.generate_data_key_without_plaintext(KeyId=S["key"], KeySpec="AES_128")
    check("Plaintext" not in g and len(kms.decrypt(CiphertextBlob=g["CiphertextBlob"])
                                       ["Plaintext"]) == 16, "without plaintext")
    expect_error("ValidationException", kms.generate_data_key, KeyId=S["key"])
    r = kms.generate_random(NumberOfBytes=48)["Plaintext"]
    check(len(r) == 48 and r != kms.generate_random(NumberOfBytes=48)["Plaintext"], "random")
    re = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=ctx,
                        DestinationKeyId=S["key2"], DestinationEncryptionContext={"x": "y"})
    check(re["SourceKeyId"] == S["key_arn"], "re-encrypt source")
    check(kms.decrypt(CiphertextBlob=re["CiphertextBlob"], EncryptionContext={"x": "y"})
          ["Plaintext"] == CANARY_PLAINTEXT, "re-encrypted blob")


def t_kms_states():
    kms = client("kms")
    k = S["key2"]
    kms.disable_key(KeyId=k)
    check(kms.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] == "Disabled", "disabled state")
    expect_error("DisabledException", kms.encrypt, KeyId=k, Plaintext=b"x")
    kms.enable_key(KeyId=k)
    kms.encrypt(KeyId=k, Plaintext=b"x")
    r = kms.schedule_key_deletion(KeyId=k, PendingWindowInDays=7)
    check(r["KeyState"] == "PendingDeletion", "pending deletion")
    expect_error("KMSInvalidStateException", kms.encrypt, KeyId=k, Plaintext=b"x")
    kms.cancel_key_deletion(KeyId=k)
    kms.enable_key(KeyId=k)
    kms.encrypt(KeyId=k, Plaintext=b"x")


def t_kms_policies():
    kms = client("kms")
    role = E.admin("create-role", "lambda-role")
    check(role["Arn"] == "arn:aws:iam::%s:role/lambda-role" % E.env["NW_DEVAWS_ACCOUNT"],
          "role ARN form")
    creds = E.admin("create-access-key", "lambda-role")
    lam = client("kms", creds)
    k = kms.create_key(Description="policy key")["KeyMetadata"]["KeyId"]
    # Default policy: root only, and the role has no identity policy: denied.
    e = expect_error("AccessDeniedException", lam.encrypt, KeyId=k, Plaintext=b"x")
    check("lambda-role" in e.response["Error"]["Message"] and "kms:Encrypt" in
          e.response["Error"]["Message"], "AccessDenied message names principal and action")
    pol = policy_doc(
        {"Sid": "lambda encrypt", "Effect": "Allow", "Principal": {"AWS": role["Arn"]},
         "Action": ["kms:Encrypt", "kms:GenerateDataKey*"], "Resource": "*"},
        {"Sid": "block", "Effect": "Deny", "Principal": {"AWS": [role["Arn"]]},
         "Action": "kms:*", "Resource": "*",
         "Condition": {"StringEqualsIgnoreCase": {"kms:EncryptionContext:stage": "BLOCKED"}}},
        {"Sid": "exact", "Effect": "Allow", "Principal": {"AWS": role["Arn"]},
         "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:app": "wallet"}}})
    kms.put_key_policy(KeyId=k, PolicyName="default", Policy=pol)
    check(kms.get_key_policy(KeyId=k, PolicyName="default")["Policy"] == pol, "policy round trip")
    blob = lam.encrypt(KeyId=k, Plaintext=b"x", EncryptionContext={"app": "wallet"})[
        "CiphertextBlob"]
    lam.generate_data_key_without_plaintext(KeyId=k, KeySpec="AES_256")  # action wildcard
    expect_error("AccessDeniedException", lam.encrypt, KeyId=k, Plaintext=b"x",
                 EncryptionContext={"stage": "blocked"})  # IgnoreCase deny wins
    check(lam.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "wallet"})["Plaintext"]
          == b"x", "conditional allow")
    blob2 = kms.encrypt(KeyId=k, Plaintext=b"y", EncryptionContext={"app": "Wallet"})[
        "CiphertextBlob"]
    expect_error("AccessDeniedException", lam.decrypt, CiphertextBlob=blob2,
                 EncryptionContext={"app": "Wallet"})  # StringEquals is case-sensitive
    expect_error("AccessDeniedException", lam.describe_key, KeyId=k)
    expect_error("MalformedPolicyDocumentException", kms.put_key_policy, KeyId=k,
                 PolicyName="default", Policy='{"Statement": [{"Effect": "Maybe"}]}')
    # Identity policy through the root delegation of the default key policy.
    k2 = kms.create_key()["KeyMetadata"]["KeyId"]
    expect_error("AccessDeniedException", lam.encrypt, KeyId=k2, Plaintext=b"x")
    ip = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"},
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    E.admin("put-role-policy", "lambda-role", "-", stdin=json.dumps(ip).encode())
    lam.encrypt(KeyId=k2, Plaintext=b"x")
    expect_error("AccessDeniedException", lam.decrypt,
                 CiphertextBlob=kms.encrypt(KeyId=k2, Plaintext=b"z")["CiphertextBlob"])
    # An explicit Deny in the key policy beats the identity policy's Allow.
    kms.put_key_policy(KeyId=k2, PolicyName="default", Policy=policy_doc(
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalArn": role["Arn"]}}}))
    expect_error("AccessDeniedException", lam.encrypt, KeyId=k2, Plaintext=b"x")
    kms.encrypt(KeyId=k2, Plaintext=b"x")  # the admin is not matched by the condition
    S["lambda_creds"] = creds


# ---------------------------------------------------------------- Secrets Manager

def t_secrets():
    sm = client("secretsmanager")
    r = sm.create_secret(Name="nw/test", SecretString=CANARY_SECRET + "-1")
    arn, v1 = r["ARN"], r["VersionId"]
    check(arn.startswith("arn:aws:secretsmanager:%s:%s:secret:nw/test-" %
                         (E.env["AWS_REGION"], E.env["NW_DEVAWS_ACCOUNT"])), "secret ARN form")
    g = sm.get_secret_value(SecretId="nw/test")
    check(g["SecretString"] == CANARY_SECRET + "-1" and g["VersionStages"] == ["AWSCURRENT"],
          "get v1")
    v2 = sm.put_secret_value(SecretId=arn, SecretString=CANARY_SECRET + "-2")["VersionId"]
    check(sm.get_secret_value(SecretId="nw/test")["VersionId"] == v2, "v2 current")
    p = sm.get_secret_value(SecretId="nw/test", VersionStage="AWSPREVIOUS")
    check(p["VersionId"] == v1 and p["SecretString"] == CANARY_SECRET + "-1", "v1 previous")
    tok = "11111111-2222-4333-8444-555555555555"
    v3 = sm.put_secret_value(SecretId="nw/test", SecretString="three", ClientRequestToken=tok)
    check(v3["VersionId"] == tok and v3["VersionStages"] == ["AWSCURRENT"], "token = VersionId")
    again = sm.put_secret_value(SecretId="nw/test", SecretString="three", ClientRequestToken=tok)
    check(again["VersionId"] == tok, "idempotent repeat")
    expect_error("ResourceExistsException", sm.put_secret_value, SecretId="nw/test",
                 SecretString="other", ClientRequestToken=tok)
    stages = sm.describe_secret(SecretId="nw/test")["VersionIdsToStages"]
    check(stages == {tok: ["AWSCURRENT"], v2: ["AWSPREVIOUS"]}, "stages after v3: %s" % stages)
    check(sm.get_secret_value(SecretId="nw/test", VersionId=v1)["SecretString"] ==
          CANARY_SECRET + "-1", "old version by id")
    u = sm.update_secret(SecretId="nw/test", SecretBinary=b"\x00\x01binary")
    check(sm.get_secret_value(SecretId="nw/test")["SecretBinary"] == b"\x00\x01binary" and
          u["VersionId"], "binary value")
    u = sm.update_secret(SecretId="nw/test", Description="described")
    check("VersionId" not in u, "UpdateSecret without value creates no version")
    check(sm.describe_secret(SecretId="nw/test")["Description"] == "described", "description")
    expect_error("ResourceExistsException", sm.create_secret, Name="nw/test", SecretString="x")
    expect_error("ResourceNotFoundException", sm.get_secret_value, SecretId="nw/none")
    expect_error("ResourceNotFoundException", sm.get_secret_value, SecretId="nw/test",
                 VersionStage="NOPE")
    names = [s["Name"] for s in sm.list_secrets()["SecretList"]]
    check("nw/test" in names, "list_secrets")
    sm.create_secret(Name="nw/gone", SecretString="x")
    sm.delete_secret(SecretId="nw/gone", RecoveryWindowInDays=7)
    expect_error("InvalidRequestException", sm.get_secret_value, SecretId="nw/gone")
    sm.restore_secret(SecretId="nw/gone")
    sm.get_secret_value(SecretId="nw/gone")
    sm.delete_secret(SecretId="nw/gone", ForceDeleteWithoutRecovery=True)
    expect_error("ResourceNotFoundException", sm.get_secret_value, SecretId="nw/gone")
    # The lambda role may read (identity policy from t_kms_policies) but not write.
    lam = client("secretsmanager", S["lambda_creds"])
    check(lam.get_secret_value(SecretId="nw/test")["SecretBinary"] == b"\x00\x01binary",
          "role reads")
    expect_error("AccessDeniedException", lam.put_secret_value, SecretId="nw/test",
                 SecretString="x")
    S["secret_arn"] = arn


# ---------------------------------------------------------------- IMDS

def t_imds():
    st, h, body = imds(E, "PUT", "/latest/api/token")
    check(st == 400, "token without TTL: %d" % st)
    for ttl in ("0", "21601", "x"):
        st, _, _ = imds(E, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
        check(st == 400, "TTL %s accepted" % ttl)
    st, h, tok = imds(E, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    check(st == 200 and tok and h.get("x-aws-ec2-metadata-token-ttl-seconds") == "60", "token")
    st, _, _ = imds(E, "GET", "/latest/meta-data/iam/security-credentials/")
    check(st == 401, "IMDSv1 answered %d" % st)
    st, _, _ = imds(E, "GET", "/latest/meta-data/iam/security-credentials/",
                    {"X-aws-ec2-metadata-token": tok[:-2] + ("00" if tok[-2:] != "00" else "11")})
    check(st == 401, "forged token answered %d" % st)
    hdr = {"X-aws-ec2-metadata-token": tok}
    st, _, role = imds(E, "GET", "/latest/meta-data/iam/security-credentials/", hdr)
    check(st == 200 and role == "nw-instance-role", "role name %r" % role)
    st, _, c = imds(E, "GET", "/latest/meta-data/iam/security-credentials/" + role, hdr)
    c = json.loads(c)
    for k in ("Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey", "Token",
              "Expiration"):
        check(k in c, "credentials lack " + k)
    check(c["Code"] == "Success" and c["Type"] == "AWS-HMAC" and c["AccessKeyId"].startswith(
        "ASIA") and c["Expiration"].endswith("Z"), "credential fields")
    st, _, doc = imds(E, "GET", "/latest/dynamic/instance-identity/document", hdr)
    doc = json.loads(doc)
    check(doc["region"] == E.env["AWS_REGION"] and doc["accountId"] == E.env["NW_DEVAWS_ACCOUNT"]
          and doc["instanceId"].startswith("i-"), "identity document")
    st, _, _ = imds(E, "GET", "/latest/meta-data/iam/security-credentials/other-role", hdr)
    check(st == 404, "unknown role answered %d" % st)


def t_imds_botocore_rotation():
    """botocore's own IMDS provider fetches the role credentials; they rotate; old ones keep
    working until they expire, then answer ExpiredTokenException."""
    from botocore.utils import InstanceMetadataFetcher
    fetcher = InstanceMetadataFetcher(timeout=5, num_attempts=1,
                                      base_url=E.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"])
    a = fetcher.retrieve_iam_role_credentials()
    check(a.get("access_key", "").startswith("ASIA"), "botocore IMDS fetch: %s" % a)
    ca = {"AccessKeyId": a["access_key"], "SecretAccessKey": a["secret_key"],
          "Token": a["token"]}
    kms = client("kms")
    k = kms.create_key()["KeyMetadata"]["KeyId"]
    inst = "arn:aws:iam::%s:role/nw-instance-role" % E.env["NW_DEVAWS_ACCOUNT"]
    kms.put_key_policy(KeyId=k, PolicyName="default", Policy=policy_doc(
        {"Effect": "Allow", "Principal": {"AWS": inst}, "Action": "kms:Encrypt",
         "Resource": "*"}))
    # Timing from the credentials' own Expiration as IMDS serves it (botocore extends the
    # expiry_time it reports for soon-expiring credentials), so slow builds stay correct.
    import calendar
    _, _, tok = imds(E, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    _, _, raw = imds(E, "GET", "/latest/meta-data/iam/security-credentials/nw-instance-role",
                     {"X-aws-ec2-metadata-token": tok})
    raw = json.loads(raw)
    check(raw["AccessKeyId"] == a["access_key"], "IMDS and botocore disagree on the key")
    exp = calendar.timegm(time.strptime(raw["Expiration"], "%Y-%m-%dT%H:%M:%SZ"))
    life = int(os.environ.get("NW_DEVAWS_TEST_LIFETIME", "12"))
    if time.time() < exp - 1:
        client("kms", ca).encrypt(KeyId=k, Plaintext=b"x")
    time.sleep(max(0.0, exp - life / 2 + 0.5 - time.time()))
    b = fetcher.retrieve_iam_role_credentials()
    check(b["access_key"] != a["access_key"], "credentials did not rotate after half their life")
    if time.time() < exp - 1:
        client("kms", ca).encrypt(KeyId=k, Plaintext=b"x")  # old ones still valid
    time.sleep(max(0.0, exp + 1.2 - time.time()))
    expect_error("ExpiredTokenException", client("kms", ca).encrypt, KeyId=k, Plaintext=b"x")
    # The rotated credentials were issued about half a lifetime before exp: still valid unless
    # the machine stalled us for longer than that.
    if time.time() < exp + life / 2 - 1:
        client("kms", {"AccessKeyId": b["access_key"], "SecretAccessKey": b["secret_key"],
                       "Token": b["token"]}).encrypt(KeyId=k, Plaintext=b"x")


# ---------------------------------------------------------------- signatures

def _err(st, h, body, name, status=None):
    check(body.get("__type") == name, "expected %s, got %s %s" % (name, st, body))
    check(h.get("x-amzn-requestid"), "no x-amzn-RequestId")
    check(st == (status or 400), "%s status %d" % (name, st))


def t_signatures():
    ok = {"KeyId": S["key"], "Plaintext": base64.b64encode(b"x").decode()}
    st, h, b = raw_call(E, "kms", "Encrypt", ok)
    check(st == 200 and "CiphertextBlob" in b, "independent signer accepted: %s %s" % (st, b))

    def flip(headers, body):
        a = headers["authorization"]
        headers["authorization"] = a[:-1] + ("0" if a[-1] != "0" else "1")
        return body
    _err(*raw_call(E, "kms", "Encrypt", ok, mutate=flip), "InvalidSignatureException")
    _err(*raw_call(E, "kms", "Encrypt", ok, mutate=lambda h, b: b + b" "),
         "InvalidSignatureException")  # body changed after signing
    _err(*raw_call(E, "kms", "Encrypt", ok, creds={"AccessKeyId": "AKIAUNKNOWN000000000",
                                                   "SecretAccessKey": "x" * 40}),
         "UnrecognizedClientException")
    _err(*raw_call(E, "kms", "Encrypt", ok, creds={"AccessKeyId": E.env["AWS_ACCESS_KEY_ID"],
                                                   "SecretAccessKey": "x" * 40}),
         "InvalidSignatureException")
    old = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 600))
    st, h, b = raw_call(E, "kms", "Encrypt", ok, amz_date=old)
    _err(st, h, b, "InvalidSignatureException")
    check("Signature expired" in b.get("message", ""), "skew message: %s" % b)
    future = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() + 600))
    _err(*raw_call(E, "kms", "Encrypt", ok, amz_date=future), "InvalidSignatureException")
    _err(*raw_call(E, "kms", "Encrypt", ok, signed=["content-type", "x-amz-date",
                                                    "x-amz-target"]),
         "IncompleteSignatureException")
    _err(*raw_call(E, "kms", "Encrypt", ok, signed=["content-type", "host", "x-amz-target"]),
         "IncompleteSignatureException")
    # X-Amz-Target picks the operation: it must be covered by the signature.
    _err(*raw_call(E, "kms", "Encrypt", ok, signed=["content-type", "host", "x-amz-date"]),
         "IncompleteSignatureException")

    def no_auth(headers, body):
        del headers["authorization"]
        return body
    _err(*raw_call(E, "kms", "Encrypt", ok, mutate=no_auth), "MissingAuthenticationTokenException")
    _err(*raw_call(E, "kms", "Encrypt", ok, scope_region="eu-west-1"), "InvalidSignatureException")
    # Session credentials: token required, must match, must not be expired; the token may be
    # signed or added after signing (post-sts-header-after in the SigV4 suite).
    sess = E.admin("create-access-key", "nw-instance-role", "--session-s", "6")
    sess_end = time.time() + 6
    E_key = {"AccessKeyId": sess["AccessKeyId"], "SecretAccessKey": sess["SecretAccessKey"]}
    _err(*raw_call(E, "kms", "Encrypt", ok, creds=E_key), "UnrecognizedClientException")
    _err(*raw_call(E, "kms", "Encrypt", ok, creds=dict(E_key, Token=sess["Token"][:-1] + "A")),
         "UnrecognizedClientException")
    st, _, b = raw_call(E, "kms", "GenerateRandom", {"NumberOfBytes": 8},
                        creds=dict(E_key, Token=sess["Token"]))
    check(st in (200, 400) and b.get("__type") in (None, "AccessDeniedException"),
          "session signed token: %s" % b)
    st, _, b = raw_call(E, "kms", "GenerateRandom", {"NumberOfBytes": 8},
                        creds=dict(E_key, Token=sess["Token"]), token_unsigned=True)
    check(b.get("__type") in (None, "AccessDeniedException"), "token after signing: %s" % b)
    time.sleep(max(0.0, sess_end + 1.2 - time.time()))
    _err(*raw_call(E, "kms", "GenerateRandom", {"NumberOfBytes": 8},
                   creds=dict(E_key, Token=sess["Token"])), "ExpiredTokenException", 403)
    st, h, b = raw_call(E, "secretsmanager", "GetSecretValue", {"SecretId": "nw/test"})
    check(st == 200, "secretsmanager raw call: %s" % b)


def t_hostile_requests():
    """Malformed and oversized requests get clear errors and leave the server serving."""
    import http.client
    host, port = E.api_hostport()

    def send(method, body=b"", headers=None):
        c = http.client.HTTPSConnection(host, port, context=E.ssl_context(), timeout=30)
        c.request(method, "/", body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, (json.loads(data) if data else {})
    st, b = send("GET")
    check(st == 404 and b.get("__type") == "UnknownOperationException", "GET /: %s %s" % (st, b))
    st, b = send("POST", b"{}", {"X-Amz-Target": "Nope.Op"})
    check(st == 400 and b.get("__type") == "UnknownOperationException", "bad target: %s" % b)
    st, b = send("POST", b"{}", {"X-Amz-Target": "TrentService.Encrypt",
                                 "Authorization": "AWS4-HMAC-SHA256 garbage"})
    check(b.get("__type") == "IncompleteSignatureException", "garbage auth: %s" % b)
    st, b = send("POST", b"x" * (1024 * 1024 + 10), {"X-Amz-Target": "TrentService.Encrypt"})
    check(st == 413, "oversized body answered %d" % st)
    for body in (b"{", b"null", b"\xff\xfe", b'{"KeyId": "a", "KeyId": "b"}'):
        st, _, b = raw_call(E, "kms", "DescribeKey", body)
        check(st == 400 and b.get("__type") == "SerializationException", "body %r: %s" % (body, b))
    st, _, b = raw_call(E, "kms", "NoSuchOperation", {})
    check(st == 400 and b.get("__type") == "UnknownOperationException", "unknown op: %s" % b)
    st, _, b = raw_call(E, "secretsmanager", "CreateSecret",
                        {"Name": "x", "SecretString": "a", "SecretBinary": "YQ=="})
    check(b.get("__type") == "InvalidParameterException" and "Message" in b, "both values: %s" % b)
    st, _, _ = imds(E, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60",
                                                    "X-Forwarded-For": "10.0.0.1"})
    check(st == 403, "proxied token request answered %d" % st)
    client("kms").describe_key(KeyId=S["key"])  # still serving


def t_concurrency():
    """Parallel clients on both services: the state lock keeps every write."""
    import threading
    sm = client("secretsmanager")
    sm.create_secret(Name="nw/race", SecretString="0")
    errors, tokens = [], []

    def worker(n):
        try:
            kms, smc = client("kms"), client("secretsmanager")
            for i in range(8):
                ctx = {"w": str(n), "i": str(i)}
                blob = kms.encrypt(KeyId=S["key"], Plaintext=b"%d" % i,
                                   EncryptionContext=ctx)["CiphertextBlob"]
                check(kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] ==
                      b"%d" % i, "parallel round trip")
                tokens.append(smc.put_secret_value(SecretId="nw/race",
                                                   SecretString="%d-%d" % (n, i))["VersionId"])
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check(not errors, "worker errors: %s" % errors[:2])
    check(len(tokens) == 48 and len(set(tokens)) == 48, "versions: %d" % len(set(tokens)))
    stages = sm.describe_secret(SecretId="nw/race")["VersionIdsToStages"]
    labels = sorted(l for v in stages.values() for l in v)
    check(labels == ["AWSCURRENT", "AWSPREVIOUS"], "labels after the race: %s" % labels)
    for vid in tokens[:5]:
        sm.get_secret_value(SecretId="nw/race", VersionId=vid)


def t_unix_listener():
    """A second emulator on unix: sockets serves HTTPS and IMDS there."""
    u = Emulator(E.binary, extra=["--listen", "unix:%s/api.sock" % "{D}",
                                  "--imds-listen", "unix:%s/imds.sock" % "{D}"])
    u.extra = [a.replace("{D}", u.state) for a in u.extra]
    try:
        u.start()
        check("AWS_ENDPOINT_URL_KMS" not in u.env and u.env["NW_DEVAWS_ADDR"].startswith("unix:"),
              "unix env")
        st, _, b = raw_call(u, "kms", "CreateKey", {}, unix_path=u.env["NW_DEVAWS_ADDR"][5:])
        check(st == 200 and "KeyMetadata" in b, "CreateKey over unix: %s %s" % (st, b))
        u.stop()
    finally:
        u.cleanup()


# ---------------------------------------------------------------- restart and hygiene

def t_restart_keeps_state():
    with open(E.env["AWS_CA_BUNDLE"]) as f:
        ca_before = f.read()
    admin_before = E.env["AWS_ACCESS_KEY_ID"]
    E.stop()
    E.start()
    with open(E.env["AWS_CA_BUNDLE"]) as f:
        check(f.read() == ca_before, "CA changed across restart")
    check(E.env["AWS_ACCESS_KEY_ID"] == admin_before, "admin key changed across restart")
    kms = client("kms")
    check(kms.decrypt(CiphertextBlob=S["blob"], EncryptionContext=S["ctx"])["Plaintext"] ==
          CANARY_PLAINTEXT, "decrypt after restart")
    check(kms.describe_key(KeyId="alias/nw-test")["KeyMetadata"]["KeyId"] == S["key"], "alias")
    sm = client("secretsmanager")
    check(sm.get_secret_value(SecretId="nw/test", VersionStage="AWSPREVIOUS")["SecretString"]
          == "three", "secret after restart")


def t_env_only_client():
    """`. DIR/env` alone configures botocore >= 1.31 (AWS_ENDPOINT_URL_<SERVICE>); Debian 12's
    1.29 predates it, so there the case reports a skip."""
    major, minor = (int(x) for x in botocore.__version__.split(".")[:2])
    if (major, minor) < (1, 31):
        print("     (skip: botocore %s ignores AWS_ENDPOINT_URL_KMS)" % botocore.__version__)
        return
    saved = dict(os.environ)
    try:
        os.environ.update(E.env)
        kms = boto3.session.Session().client("kms")
        check(kms.describe_key(KeyId="alias/nw-test")["KeyMetadata"]["KeyId"] == S["key"],
              "env-only client")
        sm = boto3.session.Session().client("secretsmanager")
        sm.get_secret_value(SecretId="nw/test")
    finally:
        os.environ.clear()
        os.environ.update(saved)


def nw(*args, stdin=b"", ok=True):
    env = dict(os.environ)
    env.update(E.env)
    r = subprocess.run([S["nw"]] + list(args), input=stdin, capture_output=True, env=env,
                       timeout=30)
    if ok:
        check(r.returncode == 0, "nw %s: %d %s" % (" ".join(args), r.returncode, r.stderr))
    return r


def t_nw_cli():
    """The nw CLI's admin commands (libnwaws underneath) interoperate with boto3."""
    if not S.get("nw"):
        print("     (skip: no nw binary given)")
        return
    md = json.loads(nw("kms", "create-key", "--description", "cli").stdout)["KeyMetadata"]
    k = md["KeyId"]
    kms = client("kms")
    check(kms.describe_key(KeyId=k)["KeyMetadata"]["Description"] == "cli", "cli create-key")
    pol = policy_doc({"Sid": "cli", "Effect": "Allow", "Principal": {"AWS": "*"},
                      "Action": "kms:DescribeKey", "Resource": "*"})
    path = os.path.join(E.state, "cli-policy.json")
    with open(path, "w") as f:
        f.write(pol)
    nw("kms", "put-key-policy", "--key-id", k, "--policy", path)
    check(nw("kms", "get-key-policy", "--key-id", k, "--raw").stdout.decode().strip() == pol,
          "cli policy round trip")
    nw("kms", "create-alias", "--alias-name", "alias/cli", "--key-id", k)
    blob = json.loads(nw("kms", "encrypt", "--key-id", "alias/cli", "--context", "nw:address=0x1",
                         stdin=CANARY_PLAINTEXT).stdout)["CiphertextBlob"]
    check(kms.decrypt(CiphertextBlob=base64.b64decode(blob),
                      EncryptionContext={"nw:address": "0x1"})["Plaintext"] == CANARY_PLAINTEXT,
          "nw encrypt -> boto3 decrypt")
    b = kms.encrypt(KeyId=k, Plaintext=b"from boto3", EncryptionContext={"a": "b"})
    out = nw("kms", "decrypt", "--context", "a=b", "--raw",
             stdin=base64.b64encode(b["CiphertextBlob"]) + b"\n").stdout
    check(out == b"from boto3", "boto3 encrypt -> nw decrypt")
    out = json.loads(nw("kms", "decrypt", "--context", "a=b",
                        stdin=base64.b64encode(b["CiphertextBlob"])).stdout)
    check(base64.b64decode(out["Plaintext"]) == b"from boto3", "nw decrypt prints base64")
    r = nw("kms", "decrypt", "--context", "a=c", stdin=base64.b64encode(b["CiphertextBlob"]),
           ok=False)
    check(r.returncode == 1 and json.loads(r.stderr)["error"]["code"] ==
          "InvalidCiphertextException", "nw decrypt error: %s" % r.stderr)
    nw("secrets", "create-secret", "--name", "cli/s", "--secret-string", "-", stdin=b"cli-v1")
    sm = client("secretsmanager")
    check(sm.get_secret_value(SecretId="cli/s")["SecretString"] == "cli-v1", "nw -> boto3")
    sm.put_secret_value(SecretId="cli/s", SecretString="cli-v2")
    check(nw("secrets", "get-secret-value", "--secret-id", "cli/s", "--raw").stdout == b"cli-v2",
          "boto3 -> nw")
    got = json.loads(nw("secrets", "get-secret-value", "--secret-id", "cli/s").stdout)
    check(got["SecretString"] == "cli-v2" and got["Name"] == "cli/s", "get-secret-value JSON")
    check(nw("secrets", "get-secret-value", "--secret-id", "cli/s", "--version-stage",
             "AWSPREVIOUS", "--raw").stdout == b"cli-v1", "nw get AWSPREVIOUS")
    nw("secrets", "put-secret-value", "--secret-id", "cli/s", "--secret-string", "cli-v3")
    check(sm.get_secret_value(SecretId="cli/s")["SecretString"] == "cli-v3", "nw put")
    names = [s["Name"] for s in json.loads(nw("secrets", "list-secrets").stdout)["SecretList"]]
    check("cli/s" in names, "nw list-secrets")
    check(json.loads(nw("secrets", "describe-secret", "--secret-id", "cli/s").stdout)["Name"] ==
          "cli/s", "nw describe-secret")
    keys = [x["KeyId"] for x in json.loads(nw("kms", "list-keys").stdout)["Keys"]]
    check(k in keys, "nw list-keys")
    al = [x["AliasName"] for x in json.loads(nw("kms", "list-aliases", "--key-id", k).stdout)
          ["Aliases"]]
    check(al == ["alias/cli"], "nw list-aliases --key-id: %s" % al)
    dk = json.loads(nw("kms", "generate-data-key", "--key-id", k).stdout)
    check(len(base64.b64decode(dk["Plaintext"])) == 32, "nw generate-data-key")
    nw("secrets", "delete-secret", "--secret-id", "cli/s", "--recovery-window-in-days", "7")
    r = nw("secrets", "get-secret-value", "--secret-id", "cli/s", ok=False)
    check(r.returncode == 1 and b"InvalidRequestException" in r.stderr, "deleted: %s" % r.stderr)
    k2 = json.loads(nw("kms", "create-key").stdout)["KeyMetadata"]["KeyId"]
    d = json.loads(nw("kms", "schedule-key-deletion", "--key-id", k2,
                      "--pending-window-in-days", "7").stdout)
    check(kms.describe_key(KeyId=k2)["KeyMetadata"]["KeyState"] == "PendingDeletion" and
          d["KeyId"].endswith(k2), "nw schedule-key-deletion")
    r = nw("secrets", "get-secret-value", "--secret-id", "cli/none", ok=False)
    check(r.returncode == 1 and b"ResourceNotFoundException" in r.stderr, "nw get error")


def t_no_secrets_in_log():
    log = E.read_log()
    for canary in (CANARY_SECRET, CANARY_PLAINTEXT.decode(),
                   base64.b64encode(CANARY_PLAINTEXT).decode(), CANARY_PLAINTEXT.hex(),
                   E.env["AWS_SECRET_ACCESS_KEY"], S["lambda_creds"]["SecretAccessKey"]):
        check(canary not in log, "a secret reached the log")
    check("request" in log, "the log has request lines")


def main():
    global E
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 2
    S["nw"] = sys.argv[2] if len(sys.argv) == 3 else None
    print("botocore %s from %s" % (botocore.__version__, os.path.dirname(botocore.__file__)))
    life = os.environ.setdefault("NW_DEVAWS_TEST_LIFETIME", "12")
    E = Emulator(sys.argv[1], extra=["--cred-lifetime-s", life])
    try:
        E.start()
        failed = run_cases([
            ("env file and modes", t_env_file),
            ("kms keys and aliases", t_kms_keys),
            ("kms encrypt/decrypt/context", t_kms_crypto),
            ("kms key states", t_kms_states),
            ("kms key and identity policies", t_kms_policies),
            ("secrets versions and stages", t_secrets),
            ("imds v2 tokens and credentials", t_imds),
            ("imds botocore fetch and rotation", t_imds_botocore_rotation),
            ("sigv4 failures", t_signatures),
            ("hostile requests", t_hostile_requests),
            ("parallel clients", t_concurrency),
            ("unix: listeners", t_unix_listener),
            ("restart keeps state", t_restart_keeps_state),
            ("client configured by DIR/env alone", t_env_only_client),
            ("nw CLI admin commands", t_nw_cli),
            ("no secrets in the log", t_no_secrets_in_log),
        ])
        E.stop()
    finally:
        E.cleanup()
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks nw-devaws's JSON against the botocore service models (testdata/aws-models, read in
place), so the emulator cannot drift from AWS while agreeing with our own client:

  - every request this test sends validates against the operation's input shape;
  - every 200 response validates against the output shape: member names exist, JSON types
    match the shape types (string/enum/length, blob = base64, timestamp = epoch number,
    integer, boolean, list, map, nested structure), required members present;
  - removing any required input member is refused (400, ValidationException);
  - error answers name a shape the model lists for that operation (or a common error), and
    carry the message member the way that shape spells it.

  - the requests our own client library (libnwaws, through the nw CLI) sends, recorded by the
    emulator (--record), validate against the input shapes, and the answers it got against the
    output shapes: both sides of our client <-> emulator pair are held to AWS's models.

usage: devaws_models.py PATH/TO/nw-devaws MODELS_DIR [PATH/TO/nw]   (exit 77 = skipped)
"""
import base64
import binascii
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from devaws_harness import Emulator, Fail, check, raw_call, run_cases  # noqa: E402

COMMON_ERRORS = {"ValidationException", "SerializationException", "AccessDeniedException",
                 "UnrecognizedClientException", "InvalidSignatureException",
                 "IncompleteSignatureException", "MissingAuthenticationTokenException",
                 "ExpiredTokenException", "ThrottlingException", "InternalFailure",
                 "UnknownOperationException"}

MODELS = {}
CHECKED = {"input": set(), "output": set(), "error": set(), "client": set()}
E = None
S = {}
NW = None


def load_models(root):
    paths = {"kms": "kms/2014-11-01/service-2.json",
             "secretsmanager": "secretsmanager/2017-10-17/service-2.json"}
    for svc, rel in paths.items():
        with open(os.path.join(root, rel)) as f:
            MODELS[svc] = json.load(f)


def validate(svc, shape_name, value, where, kind):
    """Validate value against shape_name of svc's model; raises Fail naming the path."""
    shapes = MODELS[svc]["shapes"]
    shape = shapes[shape_name]
    t = shape["type"]
    CHECKED[kind].add("%s.%s" % (svc, shape_name))
    if t == "structure":
        check(isinstance(value, dict), "%s: %s is not an object" % (where, shape_name))
        members = shape.get("members", {})
        for k, v in value.items():
            check(k in members, "%s: member %s not in shape %s" % (where, k, shape_name))
            validate(svc, members[k]["shape"], v, where + "." + k, kind)
        for r in shape.get("required", []):
            check(r in value, "%s: required member %s of %s missing" % (where, r, shape_name))
    elif t == "list":
        check(isinstance(value, list), "%s: not a list" % where)
        for i, v in enumerate(value):
            validate(svc, shape["member"]["shape"], v, "%s[%d]" % (where, i), kind)
        if "min" in shape:
            check(len(value) >= shape["min"], "%s: list shorter than %d" % (where, shape["min"]))
        if "max" in shape:
            check(len(value) <= shape["max"], "%s: list longer than %d" % (where, shape["max"]))
    elif t == "map":
        check(isinstance(value, dict), "%s: not a map" % where)
        for k, v in value.items():
            validate(svc, shape["key"]["shape"], k, where + ".<key>", kind)
            validate(svc, shape["value"]["shape"], v, where + "." + k, kind)
    elif t == "string":
        check(isinstance(value, str), "%s: %r is not a string" % (where, value))
        if "enum" in shape:
            check(value in shape["enum"], "%s: %r not in enum %s" % (where, value, shape_name))
        if "min" in shape:
            check(len(value) >= shape["min"], "%s: shorter than %d" % (where, shape["min"]))
        if "max" in shape:
            check(len(value) <= shape["max"], "%s: longer than %d" % (where, shape["max"]))
    elif t == "blob":
        check(isinstance(value, str), "%s: blob is not a base64 string" % where)
        try:
            raw = base64.b64decode(value, validate=True)
        except binascii.Error:
            raise Fail("%s: blob is not valid base64" % where)
        if "min" in shape:
            check(len(raw) >= shape["min"], "%s: blob shorter than %d" % (where, shape["min"]))
        if "max" in shape:
            check(len(raw) <= shape["max"], "%s: blob longer than %d" % (where, shape["max"]))
    elif t == "timestamp":
        # JSON 1.1 default timestamp format: epoch seconds as a number.
        check(isinstance(value, (int, float)) and not isinstance(value, bool),
              "%s: timestamp %r is not epoch seconds" % (where, value))
    elif t in ("integer", "long"):
        check(isinstance(value, int) and not isinstance(value, bool), "%s: not an integer" % where)
        if "min" in shape:
            check(value >= shape["min"], "%s: below %d" % (where, shape["min"]))
        if "max" in shape:
            check(value <= shape["max"], "%s: above %d" % (where, shape["max"]))
    elif t == "boolean":
        check(isinstance(value, bool), "%s: not a boolean" % where)
    else:
        raise Fail("%s: shape type %s not handled by this checker" % (where, t))


def op_model(svc, op):
    ops = MODELS[svc]["operations"]
    check(op in ops, "operation %s not in the %s model" % (op, svc))
    return ops[op]


def call(svc, op, payload, want=200, creds=None):
    """Validate the request, send it, validate the answer (output or error shape)."""
    m = op_model(svc, op)
    validate(svc, m["input"]["shape"], payload, op + " request", "input")
    st, h, body = raw_call(E, svc, op, payload, creds=creds)
    if st == 200:
        check(want == 200, "%s: expected an error %s, got 200 %s" % (op, want, body))
        if "output" in m:
            validate(svc, m["output"]["shape"], body, op + " response", "output")
        else:
            check(body == {}, "%s: no output shape but body %s" % (op, body))
        return body
    check_error(svc, op, st, body)
    check(want == body.get("__type"), "%s: expected %s, got %d %s" % (op, want, st, body))
    return body


def check_error(svc, op, st, body):
    m = op_model(svc, op)
    name = body.get("__type", "")
    check(400 <= st < 600, "%s: error status %d" % (op, st))
    listed = {e["shape"] for e in m.get("errors", [])}
    check(name in listed or name in COMMON_ERRORS,
          "%s: error %s is neither in the model's list for the operation nor common" % (op, name))
    shapes = MODELS[svc]["shapes"]
    if name in shapes:
        members = shapes[name].get("members", {})
        rest = {k: v for k, v in body.items() if k != "__type"}
        validate(svc, name, rest, op + " error " + name, "error")
        check(any(k in members for k in ("message", "Message")) and
              all(k in members for k in rest), "%s: error members %s vs shape %s" %
              (op, sorted(rest), sorted(members)))
    else:
        check(isinstance(body.get("message", body.get("Message")), str),
              "%s: common error without a message" % op)


def required_members_enforced(svc, op, payload):
    m = op_model(svc, op)
    shape = MODELS[svc]["shapes"][m["input"]["shape"]]
    for r in shape.get("required", []):
        bad = {k: v for k, v in payload.items() if k != r}
        st, h, body = raw_call(E, svc, op, bad)
        check(st == 400 and body.get("__type") == "ValidationException",
              "%s without required %s: %d %s" % (op, r, st, body))
        check_error(svc, op, st, body)


def b64(b):
    return base64.b64encode(b).decode()


def t_kms_outputs():
    k = call("kms", "CreateKey", {"Description": "model check", "KeyUsage": "ENCRYPT_DECRYPT",
                                  "KeySpec": "SYMMETRIC_DEFAULT"})["KeyMetadata"]["KeyId"]
    k2 = call("kms", "CreateKey", {})["KeyMetadata"]["KeyId"]
    S["k"] = k
    call("kms", "DescribeKey", {"KeyId": k})
    call("kms", "ListKeys", {"Limit": 100})
    call("kms", "CreateAlias", {"AliasName": "alias/model", "TargetKeyId": k})
    call("kms", "ListAliases", {})
    call("kms", "ListAliases", {"KeyId": k})
    ctx = {"nw:address": "0x00"}
    blob = call("kms", "Encrypt", {"KeyId": "alias/model", "Plaintext": b64(b"abc"),
                                   "EncryptionContext": ctx,
                                   "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})["CiphertextBlob"]
    S["blob"], S["ctx"] = blob, ctx
    call("kms", "Decrypt", {"CiphertextBlob": blob, "EncryptionContext": ctx})
    call("kms", "Decrypt", {"CiphertextBlob": blob, "EncryptionContext": ctx, "KeyId": k})
    call("kms", "ReEncrypt", {"CiphertextBlob": blob, "SourceEncryptionContext": ctx,
                              "DestinationKeyId": k2})
    call("kms", "GenerateDataKey", {"KeyId": k, "KeySpec": "AES_256", "EncryptionContext": ctx})
    call("kms", "GenerateDataKey", {"KeyId": k, "NumberOfBytes": 1024})
    call("kms", "GenerateDataKeyWithoutPlaintext", {"KeyId": k, "KeySpec": "AES_128"})
    call("kms", "GenerateRandom", {"NumberOfBytes": 1024})
    pol = call("kms", "GetKeyPolicy", {"KeyId": k, "PolicyName": "default"})["Policy"]
    call("kms", "PutKeyPolicy", {"KeyId": k, "PolicyName": "default", "Policy": pol})
    call("kms", "ListKeyPolicies", {"KeyId": k})
    call("kms", "DisableKey", {"KeyId": k2})
    call("kms", "EnableKey", {"KeyId": k2})
    call("kms", "ScheduleKeyDeletion", {"KeyId": k2, "PendingWindowInDays": 7})
    call("kms", "CancelKeyDeletion", {"KeyId": k2})
    call("kms", "DeleteAlias", {"AliasName": "alias/model"})


def t_kms_errors():
    k = S["k"]
    call("kms", "DescribeKey", {"KeyId": "alias/missing"}, want="NotFoundException")
    call("kms", "Decrypt", {"CiphertextBlob": S["blob"]}, want="InvalidCiphertextException")
    call("kms", "Decrypt", {"CiphertextBlob": b64(b"junk")}, want="InvalidCiphertextException")
    k3 = call("kms", "CreateKey", {})["KeyMetadata"]["KeyId"]
    call("kms", "Decrypt", {"CiphertextBlob": S["blob"], "EncryptionContext": S["ctx"],
                            "KeyId": k3}, want="IncorrectKeyException")
    call("kms", "DisableKey", {"KeyId": k3})
    call("kms", "Encrypt", {"KeyId": k3, "Plaintext": b64(b"x")}, want="DisabledException")
    call("kms", "ScheduleKeyDeletion", {"KeyId": k3, "PendingWindowInDays": 7})
    call("kms", "Encrypt", {"KeyId": k3, "Plaintext": b64(b"x")},
         want="KMSInvalidStateException")
    call("kms", "CreateAlias", {"AliasName": "alias/dup", "TargetKeyId": k})
    call("kms", "CreateAlias", {"AliasName": "alias/dup", "TargetKeyId": k},
         want="AlreadyExistsException")
    call("kms", "PutKeyPolicy", {"KeyId": k, "PolicyName": "default", "Policy": "{}"},
         want="MalformedPolicyDocumentException")
    call("kms", "Encrypt", {"KeyId": k, "Plaintext": b64(b"x"), "DryRun": True},
         want="DryRunOperationException")


def t_kms_required():
    k = S["k"]
    blob = S["blob"]
    for op, payload in [
            ("DescribeKey", {"KeyId": k}),
            ("CreateAlias", {"AliasName": "alias/req", "TargetKeyId": k}),
            ("DeleteAlias", {"AliasName": "alias/req"}),
            ("Encrypt", {"KeyId": k, "Plaintext": b64(b"x")}),
            ("Decrypt", {"CiphertextBlob": blob}),
            ("ReEncrypt", {"CiphertextBlob": blob, "DestinationKeyId": k}),
            ("GenerateDataKey", {"KeyId": k, "KeySpec": "AES_256"}),
            ("GenerateDataKeyWithoutPlaintext", {"KeyId": k, "KeySpec": "AES_256"}),
            ("PutKeyPolicy", {"KeyId": k, "PolicyName": "default", "Policy": "{}"}),
            ("GetKeyPolicy", {"KeyId": k, "PolicyName": "default"}),
            ("ListKeyPolicies", {"KeyId": k}),
            ("EnableKey", {"KeyId": k}),
            ("DisableKey", {"KeyId": k}),
            ("ScheduleKeyDeletion", {"KeyId": k}),
            ("CancelKeyDeletion", {"KeyId": k})]:
        required_members_enforced("kms", op, payload)


def t_sm_outputs():
    tok1 = "aaaaaaaa-1111-4111-8111-111111111111"
    r = call("secretsmanager", "CreateSecret", {"Name": "model/s", "SecretString": "v1",
                                                "ClientRequestToken": tok1,
                                                "Description": "d"})
    S["arn"] = r["ARN"]
    call("secretsmanager", "CreateSecret", {"Name": "model/empty"})
    call("secretsmanager", "GetSecretValue", {"SecretId": "model/s"})
    call("secretsmanager", "PutSecretValue", {"SecretId": "model/s", "SecretBinary": b64(b"\0v2"),
                                              "ClientRequestToken":
                                                  "bbbbbbbb-2222-4222-8222-222222222222"})
    call("secretsmanager", "GetSecretValue", {"SecretId": S["arn"], "VersionStage": "AWSPREVIOUS"})
    call("secretsmanager", "GetSecretValue", {"SecretId": "model/s", "VersionId": tok1})
    call("secretsmanager", "UpdateSecret", {"SecretId": "model/s", "SecretString": "v3"})
    call("secretsmanager", "UpdateSecret", {"SecretId": "model/s", "Description": "e"})
    call("secretsmanager", "DescribeSecret", {"SecretId": "model/s"})
    call("secretsmanager", "ListSecrets", {"MaxResults": 10})
    call("secretsmanager", "DeleteSecret", {"SecretId": "model/empty", "RecoveryWindowInDays": 7})
    call("secretsmanager", "ListSecrets", {"IncludePlannedDeletion": True})
    call("secretsmanager", "RestoreSecret", {"SecretId": "model/empty"})
    call("secretsmanager", "DeleteSecret", {"SecretId": "model/empty",
                                            "ForceDeleteWithoutRecovery": True})


def t_sm_errors():
    call("secretsmanager", "GetSecretValue", {"SecretId": "model/none"},
         want="ResourceNotFoundException")
    call("secretsmanager", "CreateSecret", {"Name": "model/s", "SecretString": "x"},
         want="ResourceExistsException")
    call("secretsmanager", "PutSecretValue",
         {"SecretId": "model/s", "SecretString": "other",
          "ClientRequestToken": "bbbbbbbb-2222-4222-8222-222222222222"},
         want="ResourceExistsException")
    call("secretsmanager", "PutSecretValue", {"SecretId": "model/s"},
         want="InvalidParameterException")
    call("secretsmanager", "CreateSecret", {"Name": "model/del", "SecretString": "x"})
    call("secretsmanager", "DeleteSecret", {"SecretId": "model/del"})
    call("secretsmanager", "GetSecretValue", {"SecretId": "model/del"},
         want="InvalidRequestException")


def t_sm_required():
    for op, payload in [
            ("CreateSecret", {"Name": "model/req", "SecretString": "x"}),
            ("GetSecretValue", {"SecretId": "model/s"}),
            ("PutSecretValue", {"SecretId": "model/s", "SecretString": "x"}),
            ("UpdateSecret", {"SecretId": "model/s"}),
            ("DescribeSecret", {"SecretId": "model/s"}),
            ("DeleteSecret", {"SecretId": "model/s"}),
            ("RestoreSecret", {"SecretId": "model/s"})]:
        required_members_enforced("secretsmanager", op, payload)


def t_wrong_types():
    st, _, b = raw_call(E, "kms", "Encrypt", {"KeyId": 5, "Plaintext": b64(b"x")})
    check(st == 400 and b.get("__type") == "SerializationException", "KeyId as number: %s" % b)
    st, _, b = raw_call(E, "kms", "Encrypt", {"KeyId": S["k"], "Plaintext": "*not base64*"})
    check(st == 400 and b.get("__type") == "SerializationException", "bad base64: %s" % b)
    st, _, b = raw_call(E, "kms", "Encrypt", b"[1,2]")
    check(st == 400 and b.get("__type") == "SerializationException", "array body: %s" % b)
    st, _, b = raw_call(E, "kms", "Encrypt", {"KeyId": S["k"], "Plaintext": b64(b"x" * 4097)})
    check(st == 400 and b.get("__type") == "ValidationException", "plaintext too long: %s" % b)


def t_client_requests():
    """Record what libnwaws (via the nw CLI) sends and gets, and validate both sides."""
    import subprocess
    if not NW:
        print("     (skip: no nw binary given)")
        return
    u = Emulator(E.binary)
    rec = os.path.join(u.state, "record.jsonl")
    u.extra = ["--record", rec]
    try:
        u.start()
        env = dict(os.environ)
        env.update(u.env)

        def nw(*args, stdin=b""):
            r = subprocess.run([NW] + list(args), input=stdin, capture_output=True, env=env,
                               timeout=30)
            check(r.returncode == 0, "nw %s: %s" % (" ".join(args), r.stderr))
            return r.stdout
        k = json.loads(nw("kms", "create-key", "--description", "client"))["KeyMetadata"]["KeyId"]
        nw("kms", "describe-key", "--key-id", k)
        nw("kms", "create-alias", "--alias-name", "alias/client", "--key-id", k)
        pol = nw("kms", "get-key-policy", "--key-id", k, "--raw")
        path = os.path.join(u.state, "p.json")
        with open(path, "wb") as f:
            f.write(pol)
        nw("kms", "put-key-policy", "--key-id", k, "--policy", path)
        blob = nw("kms", "encrypt", "--key-id", "alias/client", "--context", "a=b",
                  stdin=b"client plaintext")
        nw("kms", "decrypt", "--context", "a=b", stdin=blob)
        nw("kms", "list-keys")
        nw("kms", "list-aliases")
        nw("kms", "generate-data-key", "--key-id", k)
        nw("secrets", "create-secret", "--name", "client/s", "--secret-string", "-", stdin=b"v1")
        nw("secrets", "put-secret-value", "--secret-id", "client/s", "--secret-string", "-",
           stdin=b"v2")
        nw("secrets", "get-secret-value", "--secret-id", "client/s")
        nw("secrets", "get-secret-value", "--secret-id", "client/s", "--version-stage",
           "AWSPREVIOUS")
        nw("secrets", "describe-secret", "--secret-id", "client/s")
        nw("secrets", "list-secrets")
        nw("secrets", "delete-secret", "--secret-id", "client/s", "--recovery-window-in-days", "7")
        k2 = json.loads(nw("kms", "create-key"))["KeyMetadata"]["KeyId"]
        nw("kms", "schedule-key-deletion", "--key-id", k2, "--pending-window-in-days", "7")
        u.stop()
        ops = set()
        with open(rec) as f:
            for line in f:
                x = json.loads(line)
                prefix, op = x["target"].split(".", 1)
                svc = "kms" if prefix == "TrentService" else "secretsmanager"
                m = op_model(svc, op)
                validate(svc, m["input"]["shape"], x["request"], "client %s request" % op,
                         "client")
                if x["status"] == 200 and "output" in m:
                    validate(svc, m["output"]["shape"], x["response"],
                             "client %s response" % op, "output")
                elif x["status"] == 200:
                    check(x["response"] in ({}, None), "%s: body without output shape" % op)
                else:
                    check_error(svc, op, x["status"], x["response"])
                ops.add(op)
        want = {"CreateKey", "DescribeKey", "CreateAlias", "GetKeyPolicy", "PutKeyPolicy",
                "Encrypt", "Decrypt", "CreateSecret", "PutSecretValue", "GetSecretValue",
                "ListKeys", "ListAliases", "GenerateDataKey", "ScheduleKeyDeletion",
                "DescribeSecret", "ListSecrets", "DeleteSecret"}
        check(want <= ops, "not recorded: %s" % sorted(want - ops))
    finally:
        u.cleanup()


def main():
    global E
    global NW
    if len(sys.argv) not in (3, 4):
        print(__doc__)
        return 2
    NW = sys.argv[3] if len(sys.argv) == 4 else None
    models = sys.argv[2]
    if os.environ.get("NW_TESTDATA"):  # the same override nwtest.h honours
        models = os.path.join(os.environ["NW_TESTDATA"], "aws-models")
    if not os.path.isfile(os.path.join(models, "kms/2014-11-01/service-2.json")):
        print("SKIPPED: botocore models not found under %s" % models, file=sys.stderr)
        return 77
    load_models(models)
    E = Emulator(sys.argv[1])
    try:
        E.start()
        failed = run_cases([
            ("kms outputs against the model", t_kms_outputs),
            ("kms errors against the model", t_kms_errors),
            ("kms required inputs enforced", t_kms_required),
            ("secretsmanager outputs", t_sm_outputs),
            ("secretsmanager errors", t_sm_errors),
            ("secretsmanager required inputs", t_sm_required),
            ("wrong JSON types refused", t_wrong_types),
            ("libnwaws client requests and answers", t_client_requests),
        ])
        E.stop()
    finally:
        E.cleanup()
    for kind in ("input", "output", "error", "client"):
        print("%s shapes checked (%d): %s" % (kind, len(CHECKED[kind]),
                                               " ".join(sorted(CHECKED[kind]))))
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""nw-lambda against the whole dev stack (label e2e): the Runtime API stand-in drives the real
bootstrap with the seed's Lambda environment pointed at scripts/demo --keep (nw-devaws for KMS
and Secrets Manager, nw-host over HTTPS verified with the stack's CA, the enclave behind it).
The seed's console flow, set_key then sign_transaction, must sign with the key just set (the
sender recovered from the signed transaction); then generate_key and a signature by its id.

usage: lambda_e2e.py SOURCE_DIR BUILD_DIR CASE   (CASE: stack)
"""
import json
import os
import secrets
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import host_e2e  # noqa: E402  (reads SOURCE_DIR BUILD_DIR CASE from argv)
from host_e2e import BUILD, SEED_PAYLOAD, address_of, check, same  # noqa: E402
from lambda_runtime import Bootstrap, Runtime  # noqa: E402

LAMBDA = os.path.join(BUILD, "src/lambda/nw-lambda")


def lambda_env(s, runtime_api):
    e = s.env
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "AWS_LAMBDA_RUNTIME_API": runtime_api,
           "KEY_ARN": e["NW_KMS_KEY_ID"], "SECRET_ARN": e["NW_SECRET_ID"],
           "NITRO_INSTANCE_PRIVATE_DNS": "127.0.0.1:%d" % s.port,
           "NITRO_CA_CERT_PATH": e["NW_CA_BUNDLE"], "LOG_LEVEL": "INFO"}
    for k in ("AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_CA_BUNDLE",
              "AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL_SECRETS_MANAGER"):
        env[k] = e[k]
    return env


def decode(raw):
    return json.loads(subprocess.run([host_e2e.NW, "decode-tx"], input=raw, capture_output=True,
                                     text=True, check=True).stdout)


def case_stack(s):
    s.demo()
    rt = Runtime()
    boot = Bootstrap([LAMBDA], lambda_env(s, rt.api))
    log = ""
    try:
        key = secrets.token_hex(32)
        addr = address_of(key, s.tmp)
        kind, ans = rt.invoke({"operation": "set_key", "eth_key": key})
        check(kind == "response" and ans.get("Name") and ans.get("VersionId"), "set_key: %s" % ans)
        kind, ans = rt.invoke({"operation": "get_key"})
        check(kind == "response" and isinstance(ans, str) and len(ans) > 100,
              "get_key answers the stored ciphertext: %s" % (ans,))
        kind, ans = rt.invoke({"operation": "sign_transaction",
                               "transaction_payload": SEED_PAYLOAD})
        check(kind == "response" and ans["transaction_signed"].startswith("0x02"),
              "sign_transaction: %s" % ans)
        d = decode(ans["transaction_signed"])
        check(same(d["from"], addr), "signed by the key set_key stored: %s, not %s" %
              (d["from"], addr))
        check(same(d["hash"], ans["transaction_hash"]), "hash %s" % d["hash"])
        kind, ans = rt.invoke({"operation": "generate_key"})
        check(kind == "response" and ans.get("key_id") and ans.get("address"),
              "generate_key: %s" % ans)
        kid, gen = ans["key_id"], ans["address"]
        kind, ans = rt.invoke({"operation": "sign_transaction", "key_id": kid,
                               "transaction_payload": dict(SEED_PAYLOAD, nonce=1)})
        check(kind == "response" and same(decode(ans["transaction_signed"])["from"], gen),
              "sign by key_id: %s" % ans)
        kind, ans = rt.invoke({"operation": "sign_transaction", "key_id": "00000000-0000-4000-8000-000000000000",
                               "transaction_payload": SEED_PAYLOAD})
        check(kind == "error" and ans["errorType"] == "HostError" and
              "key_not_found" in ans["errorMessage"], "unknown key: %s" % ans)
    finally:
        log = boot.stop()
        rt.close()
    check(key not in log, "the key set_key carried is in the bootstrap's log")


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}

if __name__ == "__main__":
    sys.exit(host_e2e.run_case(CASES, ("src/lambda/nw-lambda", "src/cli/nw")))

#!/usr/bin/env python3
"""Request rates of nw-devaws through boto3 (not a test; prints one line).
usage: bench/devaws_bench.py PATH/TO/nw-devaws      (run with Debian's /usr/bin/python3)"""
import os, sys, time, boto3
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from devaws_harness import Emulator
E = Emulator(sys.argv[1]).start()
try:
    kw = dict(region_name=E.env["AWS_REGION"], verify=E.env["AWS_CA_BUNDLE"],
              aws_access_key_id=E.env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=E.env["AWS_SECRET_ACCESS_KEY"])
    kms = boto3.client("kms", endpoint_url=E.env["AWS_ENDPOINT_URL_KMS"], **kw)
    sm = boto3.client("secretsmanager", endpoint_url=E.env["AWS_ENDPOINT_URL_KMS"], **kw)
    k = kms.create_key()["KeyMetadata"]["KeyId"]
    sm.create_secret(Name="b", SecretString="x")
    n = 300
    t = time.time()
    for i in range(n):
        kms.encrypt(KeyId=k, Plaintext=b"x" * 32, EncryptionContext={"a": "b"})
    enc = n / (time.time() - t)
    t = time.time()
    for i in range(100):
        sm.put_secret_value(SecretId="b", SecretString="v%d" % i)
    put = 100 / (time.time() - t)
    print("Encrypt: %.0f req/s (boto3, 1 client, %d calls); PutSecretValue: %.0f req/s (fsync per write, 100 calls)" % (enc, n, put))
    E.stop()
finally:
    E.cleanup()

"""nw-lambda end to end: a small stand-in for the Lambda Runtime API (the documented
2018-06-01 paths) drives the real bootstrap against nw-devaws (KMS, Secrets Manager) and an
HTTPS endpoint standing where nw-host answers `POST /`; then the deployment zip is unpacked into
an otherwise empty root at /var/task and run there with chroot, so it uses only what it carries.

usage: lambda_it.py NW_LAMBDA NW_DEVAWS LAMBDA_ZIP
"""
import base64
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from devaws_harness import Emulator, Fail, check, raw_call, run_cases  # noqa: E402
from lambda_runtime import Bootstrap, Runtime  # noqa: E402

LAMBDA, DEVAWS, ZIP = sys.argv[1], sys.argv[2], sys.argv[3]
# A canary key: a valid secp256k1 key whose text must never show in a log or an error.
CANARY = "c0ffee00" * 8


class FakeHost:
    """HTTPS where nw-host would be: records requests, answers what the test sets."""

    def __init__(self, cert, key):
        self.requests = []
        self.reply = (200, {"transaction_signed": "0x02f8", "transaction_hash": "0x12"})
        self.delay = 0.0  # seconds before answering
        host = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                host.requests.append((self.command, self.path, json.loads(self.rfile.read(n))))
                self._send()

            def do_GET(self):
                host.requests.append((self.command, self.path, None))
                self._send()

            def _send(self):
                time.sleep(host.delay)
                status, obj = host.reply
                body = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]

    def close(self):
        self.server.shutdown()


def make_ca(tmp, name):
    """A CA and a server certificate for `localhost` (openssl CLI)."""
    d = os.path.join(tmp, name)
    os.makedirs(d)
    run = lambda *a: subprocess.run(a, check=True, capture_output=True, cwd=d)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=%s CA" % name)
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "host.key", "-out", "host.csr", "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", "host.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "host.pem", "-days", "2", "-extfile", "ext")
    return d


def main():
    tmp = tempfile.mkdtemp(prefix="nw-lambda-it-")
    emu = Emulator(DEVAWS).start()
    rt = Runtime()
    good = make_ca(tmp, "good")
    other = make_ca(tmp, "other")
    host = FakeHost(os.path.join(good, "host.pem"), os.path.join(good, "host.key"))
    procs = []
    try:
        st, _, b = raw_call(emu, "kms", "CreateKey", {"Description": "wallet"})
        check(st == 200, "CreateKey: %s" % b)
        key_arn = b["KeyMetadata"]["Arn"]
        st, _, b = raw_call(emu, "secretsmanager", "CreateSecret",
                            {"Name": "nw-wallet", "SecretString": "placeholder"})
        check(st == 200, "CreateSecret: %s" % b)
        secret_arn = b["ARN"]
        base_env = {k: v for k, v in emu.env.items() if k.startswith("AWS_")}
        base_env.update({"KEY_ARN": key_arn, "SECRET_ARN": secret_arn,
                         "NITRO_INSTANCE_PRIVATE_DNS": "localhost:%d" % host.port,
                         "NITRO_CA_CERT_PATH": os.path.join(good, "ca.pem"),
                         "AWS_LAMBDA_RUNTIME_API": rt.api, "LOG_LEVEL": "DEBUG",
                         "PATH": "/usr/bin:/bin"})
        boot = Bootstrap([LAMBDA], base_env)
        procs.append(boot)

        def set_key():
            kind, ans = rt.invoke({"operation": "set_key", "eth_key": CANARY})
            check(kind == "response", "set_key failed: %s" % ans)
            check(set(ans) == {"ARN", "Name", "VersionId"} and ans["ARN"] == secret_arn,
                  "set_key answer %s" % ans)
            st, _, g = raw_call(emu, "secretsmanager", "GetSecretValue", {"SecretId": secret_arn})
            check(st == 200 and g["VersionId"] == ans["VersionId"], "secret version %s" % g)
            st, _, d = raw_call(emu, "kms", "Decrypt", {"CiphertextBlob": g["SecretString"]})
            check(st == 200 and base64.b64decode(d["Plaintext"]).decode() == CANARY,
                  "the secret does not decrypt to the key text: %s" % d)

        def get_key():
            kind, ans = rt.invoke({"operation": "get_key"})
            st, _, g = raw_call(emu, "secretsmanager", "GetSecretValue", {"SecretId": secret_arn})
            check(kind == "response" and ans == g["SecretString"], "get_key %s %s" % (kind, ans))

        def bad_key():
            kind, ans = rt.invoke({"operation": "set_key", "eth_key": "123"})
            check(kind == "error" and ans["errorType"] == "ValueError", "bad key: %s" % ans)
            check("123" not in ans["errorMessage"], "the key text is echoed: %s" % ans)

        def missing_and_unknown():
            kind, ans = rt.invoke({"eth_key": CANARY})
            check(kind == "error" and ans["errorMessage"] == "request needs to define operation",
                  "missing op: %s" % ans)
            kind, ans = rt.invoke({"operation": "transfer"})
            check(kind == "error" and ans["errorType"] == "ValueError" and
                  "not supported" in ans["errorMessage"], "unknown op: %s" % ans)
            kind, ans = rt.invoke(b"{not json")
            check(kind == "error" and ans["errorType"] == "ValueError", "bad JSON: %s" % ans)

        def sign_transaction():
            payload = {"value": 0.01, "to": "0xa5D3241A1591061F2a4bB69CA0215F66520E67cf",
                       "nonce": 0, "type": 2, "chainId": 4, "gas": 100000,
                       "maxFeePerGas": 100000000000, "maxPriorityFeePerGas": 3000000000}
            host.reply = (200, {"transaction_signed": "0x02ab", "transaction_hash": "0xcd"})
            kind, ans = rt.invoke({"operation": "sign_transaction", "transaction_payload": payload})
            check(kind == "response" and ans == host.reply[1], "sign_transaction: %s" % ans)
            method, path, body = host.requests[-1]
            check(method == "POST" and path == "/" and body == {"transaction_payload": payload,
                                                                 "secret_id": secret_arn},
                  "request to the host: %s %s %s" % (method, path, body))
            kind, ans = rt.invoke({"operation": "sign_transaction"})
            check(kind == "error" and "transaction_payload" in ans["errorMessage"], "%s" % ans)

        def host_error():
            host.reply = (403, {"error": {"code": "kms_denied", "message": "attestation refused"}})
            kind, ans = rt.invoke({"operation": "sign_transaction",
                                   "transaction_payload": {"nonce": 1}})
            check(kind == "error" and ans["errorType"] == "HostError" and
                  "kms_denied" in ans["errorMessage"] and "403" in ans["errorMessage"],
                  "host error: %s" % ans)

        def deadline():
            # Lambda-Runtime-Deadline-Ms bounds the call to nw-host: a slow host is given up in
            # time to report it, and no call starts when no time is left.
            host.reply = (200, {"transaction_signed": "0x02", "transaction_hash": "0x03"})
            host.delay = 5.0
            t0 = time.time()
            kind, ans = rt.invoke({"operation": "sign_transaction",
                                   "transaction_payload": {"nonce": 1}}, deadline_in_ms=2000)
            took = time.time() - t0
            host.delay = 0.0
            check(kind == "error" and took < 2.0, "slow host: %s after %.2fs" % (ans, took))
            n = len(host.requests)
            kind, ans = rt.invoke({"operation": "sign_transaction",
                                   "transaction_payload": {"nonce": 1}}, deadline_in_ms=100)
            check(kind == "error" and ans["errorType"] == "TimeoutError" and
                  len(host.requests) == n, "past deadline: %s" % ans)

        def v1_ops():
            host.reply = (200, {"key_id": "k", "address": "0x00"})
            kind, ans = rt.invoke({"operation": "generate_key", "label": "hot"})
            check(kind == "response" and host.requests[-1][:2] == ("POST", "/v1/keys") and
                  host.requests[-1][2] == {"label": "hot"}, "generate_key: %s %s" %
                  (ans, host.requests[-1]))
            kind, ans = rt.invoke({"operation": "disable_key", "key_id": "../../etc"})
            check(kind == "error" and ans["errorType"] == "ValueError", "path injection: %s" % ans)

        def wrong_ca():
            env = dict(base_env, NITRO_CA_CERT_PATH=os.path.join(other, "ca.pem"))
            rt2 = Runtime()
            env["AWS_LAMBDA_RUNTIME_API"] = rt2.api
            b2 = Bootstrap([LAMBDA], env)
            procs.append(b2)
            try:
                n = len(host.requests)
                kind, ans = rt2.invoke({"operation": "sign_transaction",
                                        "transaction_payload": {"nonce": 1}})
                check(kind == "error" and ans["errorType"] == "Exception", "wrong CA: %s" % ans)
                check(len(host.requests) == n, "a request reached a host with an unverified "
                      "certificate")
            finally:
                b2.stop()
                rt2.close()

        def init_error():
            env = dict(base_env)
            del env["KEY_ARN"]
            rt3 = Runtime()
            env["AWS_LAMBDA_RUNTIME_API"] = rt3.api
            b3 = Bootstrap([LAMBDA], env)
            rc = b3.proc.wait(timeout=20)
            b3.stop()
            rt3.close()
            check(rc != 0 and len(rt3.init_errors) == 1, "init error not posted: %s" %
                  rt3.init_errors)
            err, hdr = rt3.init_errors[0]
            check(err["errorType"] == "ValueError" and "KEY_ARN" in err["errorMessage"] and
                  hdr == "Unhandled", "init error %s %s" % (err, hdr))

        def zip_in_empty_root():
            root = os.path.join(tmp, "root")
            task = os.path.join(root, "var", "task")
            os.makedirs(task)
            with zipfile.ZipFile(ZIP) as z:
                names = z.namelist()
                check("bootstrap" in names and "lib/libc.so.6" in names and
                      "lib/ld-linux-x86-64.so.2" in names, "zip content %s" % names)
                for info in z.infolist():
                    z.extract(info, task)
                    os.chmod(os.path.join(task, info.filename), (info.external_attr >> 16) & 0o777)
            interp = subprocess.run(["readelf", "-l", os.path.join(task, "bootstrap")],
                                    capture_output=True, text=True).stdout
            check("/var/task/lib/ld-linux-x86-64.so.2" in interp, "interpreter: %s" % interp)
            # Only the CA bundles the function is given, as on Lambda.
            os.makedirs(os.path.join(root, "etc"))
            shutil.copy(emu.env["AWS_CA_BUNDLE"], os.path.join(root, "etc", "aws-ca.pem"))
            shutil.copy(os.path.join(good, "ca.pem"), os.path.join(root, "etc", "host-ca.pem"))
            shutil.copy("/etc/hosts", os.path.join(root, "etc", "hosts"))
            env = dict(base_env, AWS_CA_BUNDLE="/etc/aws-ca.pem",
                       NITRO_CA_CERT_PATH="/etc/host-ca.pem", LAMBDA_TASK_ROOT="/var/task",
                       LD_LIBRARY_PATH="/var/lang/lib:/lib64:/usr/lib64:/var/runtime:"
                                       "/var/runtime/lib:/var/task:/var/task/lib:/opt/lib")
            rt4 = Runtime()
            env["AWS_LAMBDA_RUNTIME_API"] = rt4.api
            b4 = Bootstrap(["/var/task/bootstrap"], env, root=root)
            procs.append(b4)
            try:
                try:
                    kind, ans = rt4.invoke({"operation": "get_key"}, timeout=15)
                except Fail as e:
                    raise Fail("%s; bootstrap said: %s" % (e, b4.stop()[-2000:]))
                check(kind == "response", "zip get_key: %s" % (ans,))
                host.reply = (200, {"transaction_signed": "0x02", "transaction_hash": "0x03"})
                kind, ans = rt4.invoke({"operation": "sign_transaction",
                                        "transaction_payload": {"nonce": 2}})
                check(kind == "response" and ans == host.reply[1], "zip sign: %s" % (ans,))
            finally:
                log = b4.stop()
                rt4.close()
            check(b4.proc.returncode is not None, "zip bootstrap still running")
            check("error while loading shared libraries" not in log, log)

        failed = run_cases([("set_key", set_key), ("get_key", get_key), ("bad_key", bad_key),
                            ("missing_and_unknown", missing_and_unknown),
                            ("sign_transaction", sign_transaction), ("host_error", host_error),
                            ("deadline", deadline),
                            ("v1_ops", v1_ops), ("wrong_ca", wrong_ca),
                            ("init_error", init_error), ("zip_in_empty_root", zip_in_empty_root)])
        log = boot.stop()
        for form in (CANARY, CANARY.upper(), base64.b64encode(CANARY.encode()).decode(),
                     base64.b64encode(bytes.fromhex(CANARY)).decode(),
                     emu.env["AWS_SECRET_ACCESS_KEY"]):
            if form in log or any(form in json.dumps(a) for a in rt.answers.values()):
                print("FAIL canary %s... found in the log or an answer" % form[:8])
                failed += 1
        print("%d passed, %d failed" % (10 - min(failed, 10), failed))
        return 1 if failed else 0
    finally:
        for p in procs:
            p.stop()
        host.close()
        rt.close()
        emu.stop()
        emu.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Fail as e:
        print("FAIL", e)
        sys.exit(1)

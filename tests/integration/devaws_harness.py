"""Test harness for nw-devaws: start/stop the emulator in a temp state dir on loopback port 0,
read DIR/env, and send raw SigV4-signed JSON 1.1 requests with an independent signer (written
from the AWS General Reference steps, not botocore's), so negative cases can bend any part."""
import datetime
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


class Emulator:
    def __init__(self, binary, state=None, extra=()):
        self.binary = binary
        self.own_state = state is None
        self.state = state or tempfile.mkdtemp(prefix="nw-devaws-test-")
        self.extra = list(extra)
        self.proc = None
        self.env = {}
        self.log_path = os.path.join(self.state, "server.log")

    def start(self):
        env_path = os.path.join(self.state, "env")
        if os.path.exists(env_path):
            os.unlink(env_path)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "--state", self.state] + self.extra,
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while not os.path.exists(env_path):
            if self.proc.poll() is not None:
                raise Fail("nw-devaws exited early with %d: %s" % (self.proc.returncode,
                                                                   self.read_log()))
            if time.time() > deadline:
                raise Fail("nw-devaws did not write env in time")
            time.sleep(0.05)
        self.env = parse_env(env_path)
        return self

    def stop(self):
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Fail("nw-devaws did not stop on SIGTERM")
        self.proc = None
        self.log.close()
        check(rc == 0, "nw-devaws exit status %d on SIGTERM: %s" % (rc, self.read_log()[-3000:]))
        return rc

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def admin(self, *args, stdin=None):
        r = subprocess.run([self.binary, "admin", "--state", self.state] + list(args),
                           input=stdin, capture_output=True, timeout=30)
        check(r.returncode == 0, "admin %s failed: %s" % (args, r.stderr.decode()))
        return json.loads(r.stdout)

    def cleanup(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        if self.own_state:
            shutil.rmtree(self.state, ignore_errors=True)

    # -- addresses --
    def api_hostport(self):
        url = self.env["AWS_ENDPOINT_URL_KMS"]
        hostport = url.split("://", 1)[1].rstrip("/")
        host, port = hostport.rsplit(":", 1)
        return host.strip("[]"), int(port)

    def imds_hostport(self):
        url = self.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"]
        hostport = url.split("://", 1)[1].rstrip("/")
        host, port = hostport.rsplit(":", 1)
        return host.strip("[]"), int(port)

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.env["AWS_CA_BUNDLE"])

    def admin_creds(self):
        return {"AccessKeyId": self.env["AWS_ACCESS_KEY_ID"],
                "SecretAccessKey": self.env["AWS_SECRET_ACCESS_KEY"]}


def parse_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("export "):
                k, v = line[7:].split("=", 1)
                env[k] = v[1:-1].replace("'\\''", "'")
    return env


def _h(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sign_headers(creds, region, service, target, body, host_header, amz_date=None,
                 signed=None, token_unsigned=False, scope_region=None):
    """SigV4 headers for POST / with a JSON 1.1 body (AWS General Reference, SigV4 steps)."""
    amz_date = amz_date or datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
    headers = {"host": host_header, "content-type": "application/x-amz-json-1.1",
               "x-amz-target": target, "x-amz-date": amz_date}
    token = creds.get("Token")
    if token and not token_unsigned:
        headers["x-amz-security-token"] = token
    names = sorted(signed if signed is not None else headers)
    canon = "".join("%s:%s\n" % (n, " ".join(headers[n].split())) for n in names)
    creq = "\n".join(["POST", "/", "", canon, ";".join(names),
                      hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], scope_region or region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    k = _h(("AWS4" + creds["SecretAccessKey"]).encode(), amz_date[:8])
    k = _h(k, scope_region or region)
    k = _h(k, service)
    k = _h(k, "aws4_request")
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
                                "Signature=%s" % (creds["AccessKeyId"], scope, ";".join(names),
                                                  sig))
    if token and token_unsigned:
        headers["x-amz-security-token"] = token
    return headers


class UnixHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, path, context):
        super().__init__("localhost", context=context, timeout=30)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.unix_path)
        self.sock = self._context.wrap_socket(s, server_hostname="localhost")


def raw_call(emu, service, op, payload, creds=None, mutate=None, unix_path=None, **kw):
    """Send one signed request; returns (status, headers dict (lower-case), parsed JSON)."""
    creds = creds or emu.admin_creds()
    prefix = "TrentService" if service == "kms" else "secretsmanager"
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    region = emu.env["AWS_REGION"]
    if unix_path:
        conn = UnixHTTPSConnection(unix_path, emu.ssl_context())
        host_header = "localhost"
    else:
        host, port = emu.api_hostport()
        conn = http.client.HTTPSConnection(host, port, context=emu.ssl_context(), timeout=30)
        host_header = "%s:%d" % (host, port)
    headers = sign_headers(creds, region, service, "%s.%s" % (prefix, op), body, host_header, **kw)
    if mutate:
        body = mutate(headers, body)
    conn.request("POST", "/", body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        parsed = {"_raw": data.decode("utf-8", "replace")}
    return r.status, hdrs, parsed


def imds(emu, method, path, headers=None):
    host, port = emu.imds_hostport()
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request(method, path, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    return r.status, hdrs, data.decode()


def run_cases(cases):
    """Run (name, fn) pairs; print one line each; return the number of failures."""
    failed = 0
    for name, fn in cases:
        t0 = time.time()
        try:
            fn()
            print("ok   %-40s %.2fs" % (name, time.time() - t0), flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print("FAIL %-40s %s: %s" % (name, type(e).__name__, e), flush=True)
    return failed

"""Test stack for nw-enclave: PostgreSQL with TLS (tests/lib/pgtest.sh), nw-devaws with the NSM
simulator measuring the built nw-enclave, the KMS relay driver (the host half of the relay), and
nw-enclave processes on unix: sockets. Everything runs on loopback, in one temporary directory,
bounded in time; stop() ends what start() began, by PID."""
import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devaws_harness as dh  # noqa: E402

Fail = dh.Fail
check = dh.check

# Canary secrets: must never appear in a log or an answer (raw, hex or base64).
CANARY_KEY = "c0ffee00" + "5ca1ab1e" * 6 + "0ddba11a"


def forms(secret):
    """The raw, hex and base64 forms of a secret, as grep patterns."""
    b = secret.encode()
    out = {secret, b.hex(), base64.b64encode(b).decode().rstrip("=")}
    if all(c in "0123456789abcdef" for c in secret) and len(secret) % 2 == 0:
        raw = bytes.fromhex(secret)
        out.add(base64.b64encode(raw).decode().rstrip("="))
    return {f for f in out if len(f) >= 12}


class Frames:
    """A blocking frame client (DESIGN.md section 3)."""

    def __init__(self, path, timeout=30):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.answers = []

    def send_raw(self, data):
        self.s.sendall(data)

    def send(self, req):
        b = req if isinstance(req, bytes) else json.dumps(req).encode()
        self.s.sendall(struct.pack(">I", len(b)) + b)

    def _read(self, n):
        d = b""
        while len(d) < n:
            c = self.s.recv(n - len(d))
            if not c:
                return None
            d += c
        return d

    def recv(self):
        h = self._read(4)
        if h is None:
            return None
        n = struct.unpack(">I", h)[0]
        d = self._read(n)
        if d is None:
            return None
        self.answers.append(d)
        return json.loads(d)

    def call(self, req):
        self.send(req)
        a = self.recv()
        check(a is not None, "connection closed instead of an answer")
        return a

    def close(self):
        self.s.close()


class Stack:
    def __init__(self, build_dir, source_dir, db=True):
        self.build = build_dir
        self.src = source_dir
        self.tmp = tempfile.mkdtemp(prefix="nw-enclave-it-")
        os.chmod(self.tmp, 0o755)
        self.enclave_bin = os.path.join(build_dir, "src/enclave/nw-enclave")
        self.devaws_bin = os.path.join(build_dir, "src/devaws/nw-devaws")
        self.relay_bin = os.path.join(build_dir, "tests/kms_relay_driver")
        self.proxy_bin = os.path.join(build_dir, "src/proxy/nw-proxy")
        self.nw_bin = os.path.join(build_dir, "src/cli/nw")
        self.pgtest = os.path.join(source_dir, "tests/lib/pgtest.sh")
        self.want_db = db
        self.pg = None
        self.emu = None
        self.procs = []
        self.logs = []
        self.answers = []
        self.n = 0

    # ---- start / stop ----
    def start(self):
        if self.want_db:
            self.pg_start()
        self.emu = dh.Emulator(self.devaws_bin, state=os.path.join(self.tmp, "aws"),
                               extra=["--nsm-socket", os.path.join(self.tmp, "nsm.sock"),
                                      "--nsm-measure", self.enclave_bin, "--log-level", "info",
                                      "--record", os.path.join(self.tmp, "kms.record")])
        os.makedirs(self.emu.state, exist_ok=True)
        self.emu.start()
        self.logs.append(self.emu.log_path)
        self.relay_sock = os.path.join(self.tmp, "relay.sock")
        self.relay = self.spawn([self.relay_bin, "--listen", "unix:" + self.relay_sock, "--env",
                                 os.path.join(self.emu.state, "env")], "relay.log")
        self.wait_path(self.relay_sock)
        self.pcr0 = self.measure()
        st, _, key = dh.raw_call(self.emu, "kms", "CreateKey", {})
        check(st == 200, "CreateKey: %s" % key)
        self.kms_key = key["KeyMetadata"]["Arn"]
        self.put_policy(self.pcr0)
        # A role whose session credentials are the canary AWS secret and token (direct mode).
        self.emu.admin("create-role", "nw-enclave-it")
        pol = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
        self.emu.admin("put-role-policy", "nw-enclave-it", "-", stdin=json.dumps(pol).encode())
        self.creds = self.emu.admin("create-access-key", "nw-enclave-it", "--session-s", "3600")
        return self

    def pg_start(self):
        d = os.path.join(self.tmp, "pg")
        r = subprocess.run(["sh", self.pgtest, "start", d, "--watch", str(os.getpid())],
                           capture_output=True, timeout=120)
        check(r.returncode == 0, "pgtest start: %s" % r.stderr.decode()[-2000:])
        self.pg = dh.parse_env(os.path.join(d, "env"))
        self.pg_dir = d

    def pg_cmd(self, what):
        r = subprocess.run(["sh", self.pgtest, what, self.pg_dir], capture_output=True,
                           timeout=120)
        check(r.returncode == 0, "pgtest %s: %s" % (what, r.stderr.decode()[-2000:]))

    def psql(self, sql):
        r = subprocess.run(["sh", self.pgtest, "psql", self.pg_dir, "-At", "-F", "|", "-c", sql],
                           capture_output=True, timeout=60)
        check(r.returncode == 0, "psql: %s" % r.stderr.decode()[-2000:])
        return [line.split("|") for line in r.stdout.decode().splitlines() if line]

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []
        if self.emu is not None:
            try:
                self.emu.stop()
            except Fail:
                pass
        if self.pg is not None:
            subprocess.run(["sh", self.pgtest, "stop", self.pg_dir], capture_output=True,
                           timeout=120)
        if os.environ.get("NW_KEEP_TMP") is None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def spawn(self, argv, log, env=None, stdout_file=None):
        path = os.path.join(self.tmp, log)
        f = open(path, "ab")
        out = open(os.path.join(self.tmp, stdout_file), "ab") if stdout_file else f
        p = subprocess.Popen(argv, stdout=out, stderr=f, env=env)
        self.procs.append(p)
        self.logs.append(path)
        return p

    def wait_path(self, path, timeout=20):
        end = time.time() + timeout
        while not os.path.exists(path):
            check(time.time() < end, "%s did not appear" % path)
            time.sleep(0.02)

    def wait_listening(self, sock, p, timeout=20):
        end = time.time() + timeout
        while True:
            check(p.poll() is None, "nw-enclave exited with %s" % p.returncode)
            try:
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                c.connect(sock)
                c.close()
                return
            except OSError:
                c.close()
                check(time.time() < end, "nw-enclave did not listen on %s" % sock)
                time.sleep(0.02)

    def measure(self):
        r = subprocess.run([self.nw_bin, "attestation", "measure", "--file", self.enclave_bin],
                           capture_output=True, timeout=60)
        check(r.returncode == 0, "nw attestation measure failed")
        return json.loads(r.stdout)["Measurements"]["PCR0"]

    def put_policy(self, pcr0):
        root = "arn:aws:iam::%s:root" % self.emu.env["NW_DEVAWS_ACCOUNT"]
        pol = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": root},
             "NotAction": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": root},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
             "Condition": {"StringEqualsIgnoreCase":
                           {"kms:RecipientAttestation:ImageSha384": pcr0}}}]}
        st, _, r = dh.raw_call(self.emu, "kms", "PutKeyPolicy",
                               {"KeyId": self.kms_key, "PolicyName": "default",
                                "Policy": json.dumps(pol)})
        check(st == 200, "PutKeyPolicy: %s" % r)

    def seed_ciphertext(self, key_hex):
        """What the seed's set_key stores: KMS Encrypt of the key's hex text, base64."""
        st, _, r = dh.raw_call(self.emu, "kms", "Encrypt",
                               {"KeyId": self.kms_key,
                                "Plaintext": base64.b64encode(key_hex.encode()).decode()})
        check(st == 200, "Encrypt: %s" % r)
        return r["CiphertextBlob"]

    def kms_calls(self, target="TrentService.Decrypt"):
        try:
            with open(os.path.join(self.tmp, "kms.record")) as f:
                return sum(1 for line in f if '"target":"%s"' % target in line)
        except FileNotFoundError:
            return 0

    # ---- enclaves ----
    def enclave(self, name="e", extra=(), wrap=None):
        sock = os.path.join(self.tmp, name + ".sock")
        argv = [self.enclave_bin, "--listen", "unix:" + sock] + list(extra)
        if wrap:
            argv = list(wrap) + argv
        p = self.spawn(argv, name + ".log", stdout_file=name + ".out")
        self.wait_listening(sock, p)
        p.sock = sock
        p.log = os.path.join(self.tmp, name + ".log")
        p.out = os.path.join(self.tmp, name + ".out")
        return p

    def database(self, port=None, password=None):
        return {"host": self.pg["NW_PG_HOST"], "hostaddr": "127.0.0.1",
                "port": int(port or self.pg["NW_PG_PORT"]), "dbname": self.pg["NW_PG_DB"],
                "user": self.pg["NW_PG_USER"],
                "password": password or self.pg["NW_PG_PASSWORD"],
                "sslrootcert": self.pg["NW_PG_CA"], "connect_timeout_ms": 3000}

    def configure(self, enc, mode="relay", audit=None, db=True, **kw):
        req = {"op": "configure", "region": self.emu.env["AWS_REGION"], "kms_mode": mode,
               "nsm": self.emu.env["NW_DEVAWS_NSM"], "kms_key_id": self.kms_key}
        if mode == "relay":
            req["kms_addr"] = "unix:" + self.relay_sock
        else:
            req["kms_addr"] = self.emu.env["NW_DEVAWS_ADDR"]
            req["kms_ca_bundle"] = self.emu.env["AWS_CA_BUNDLE"]
        if db and self.pg is not None:
            req["database"] = self.database()
            req["audit"] = audit or "required"
        else:
            req["audit"] = audit or "off"
        req.update(kw)
        a = self.call(enc, req)
        check(a["ok"], "configure: %s" % a)
        return a["result"]

    def call(self, enc, req, timeout=60):
        self.n += 1
        req = dict(req)
        req.setdefault("v", 1)
        req.setdefault("id", "t%d" % self.n)
        c = Frames(enc.sock, timeout)
        try:
            a = c.call(req)
        finally:
            c.close()
        self.answers.append(json.dumps(a))
        check(a.get("id") == req["id"], "answer id %r for %r" % (a.get("id"), req["id"]))
        return a

    def credential(self):
        return {"access_key_id": self.creds["AccessKeyId"],
                "secret_access_key": self.creds["SecretAccessKey"],
                "token": self.creds["Token"]}

    def canary_check(self):
        """No canary secret in any captured log, answer or enclave stdout."""
        secrets = [CANARY_KEY, self.creds["SecretAccessKey"], self.creds["Token"]]
        texts = list(self.answers)
        for path in self.logs + [os.path.join(self.tmp, f) for f in os.listdir(self.tmp)
                                 if f.endswith(".out")]:
            try:
                with open(path, "rb") as f:
                    texts.append(f.read().decode("utf-8", "replace"))
            except FileNotFoundError:
                pass
        for s in secrets:
            for form in forms(s):
                for t in texts:
                    check(form not in t, "a canary secret (%s...) leaked" % form[:6])

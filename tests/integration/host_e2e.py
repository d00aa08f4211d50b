#!/usr/bin/env python3
"""End-to-end tests of the whole stack (label e2e): scripts/demo starts PostgreSQL with TLS,
nw-devaws with the NSM simulator, the nw-proxy pair, nw-enclave and nw-host on loopback in a
temporary state directory and a free port; each case drives it over HTTPS and stops it.

usage: host_e2e.py SOURCE_DIR BUILD_DIR CASE
Cases: demo, seed_shapes, v1_ops, enclave_restart, pg_down_up, devaws_down, binary_changed,
http_abuse, canary. Exit 0 pass, 1 fail, 77 skip (no root, no PostgreSQL).
"""
import base64
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
import threading
import time

SRC, BUILD, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
NW = os.path.join(BUILD, "src/cli/nw")
SEED_PAYLOAD = {"value": 0.01, "to": "0xa5D3241A1591061F2a4bB69CA0215F66520E67cf", "nonce": 0,
                "type": 2, "chainId": 4, "gas": 100000, "maxFeePerGas": 100000000000,
                "maxPriorityFeePerGas": 3000000000}


def fail(msg):
    print("FAIL: " + msg, flush=True)
    raise SystemExit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def read_env(path):
    env = {}
    for line in open(path):
        line = line.strip()
        if line.startswith("export "):
            k, _, v = line[7:].partition("=")
            env[k] = v.strip("'\"")
    return env


class Stack:
    """One dev stack from scripts/demo --keep in a temporary directory."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="nw-e2e-")
        os.chmod(self.tmp, 0o755)
        self.state = os.path.join(self.tmp, "state")
        self.port = free_port()
        self.answers = []  # every HTTP answer body, for the canary scan

    def demo(self, *extra, keep=True):
        args = [os.path.join(SRC, "scripts/demo"), "--no-build", "--json", "--state", self.state,
                "--port", str(self.port), "--bin", BUILD] + (["--keep"] if keep else []) + list(extra)
        p = subprocess.run(args, capture_output=True, text=True, timeout=240)
        if p.returncode != 0:
            print(p.stderr)
            for f in sorted(os.listdir(os.path.join(self.state, "logs"))) if os.path.isdir(
                    os.path.join(self.state, "logs")) else []:
                print("---- " + f)
                print(open(os.path.join(self.state, "logs", f), errors="replace").read()[-3000:])
            fail("scripts/demo exited %d" % p.returncode)
        self.result = json.loads(p.stdout)
        self.answers.append(p.stdout)
        if keep:
            self.env = read_env(os.path.join(self.state, "stack.env"))
        return self.result

    def stop(self):
        subprocess.run([os.path.join(SRC, "scripts/demo"), "stop", "--state", self.state],
                       capture_output=True, timeout=120)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- processes ----
    def pid(self, name):
        for line in open(os.path.join(self.state, "pids")):
            n, p = line.split()
            if n == name:
                pid = int(p)
        return pid

    def kill(self, name, sig=signal.SIGKILL):
        pid = self.pid(name)
        os.kill(pid, sig)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        # a zombie of the demo's shell is gone enough once it no longer runs
        if open("/proc/%d/stat" % pid).read().split()[2] != "Z":
            fail("%s did not stop" % name)

    def restart(self, name):
        cmd = open(os.path.join(self.state, "run", name + ".cmd")).read().split()
        out = open(os.path.join(self.state, "logs", name + ".out"), "a")
        err = open(os.path.join(self.state, "logs", name + ".log"), "a")
        p = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)
        with open(os.path.join(self.state, "pids"), "a") as f:
            f.write("%s %d\n" % (name, p.pid))
        return p

    def pg(self, what):
        subprocess.run([os.path.join(SRC, "tests/lib/pgtest.sh"), what,
                        os.path.join(self.state, "pg")], check=True, capture_output=True,
                       timeout=60)

    # ---- HTTP ----
    def ctx(self):
        c = ssl.create_default_context(cafile=self.env["NW_CA_BUNDLE"])
        return c

    def conn(self):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx(), timeout=30)

    def call(self, method, path, body=None, ctype="application/json", conn=None, raw=None):
        c = conn or self.conn()
        headers = {}
        data = None
        if raw is not None:
            data = raw
            headers["Content-Type"] = ctype
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = ctype
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        text = r.read().decode()
        self.answers.append(text)
        if conn is None:
            c.close()
        try:
            return r.status, json.loads(text) if text else None
        except ValueError:
            return r.status, text

    def ok(self, method, path, body=None):
        st, v = self.call(method, path, body)
        check(st == 200, "%s %s: %d %s" % (method, path, st, v))
        return v

    def err(self, method, path, body, status, code, **kw):
        st, v = self.call(method, path, body, **kw)
        check(st == status and isinstance(v, dict) and v.get("error", {}).get("code") == code,
              "%s %s: expected %d %s, got %d %s" % (method, path, status, code, st, v))
        check(set(v) == {"error"} and set(v["error"]) == {"code", "message"},
              "error body shape: %s" % v)
        return v

    # ---- AWS (as the administrator, i.e. the seed's deploy and Lambda) ----
    def nw(self, *args, stdin=None):
        env = dict(os.environ)
        env.update(read_env(os.path.join(self.state, "devaws/env")))
        p = subprocess.run([NW] + list(args), input=stdin, capture_output=True, text=True,
                           env=env, timeout=60)
        check(p.returncode == 0, "nw %s: %s" % (" ".join(args), p.stderr))
        return p.stdout

    def set_key(self, secret_id, key_hex, create=True):
        """The seed's set_key: KMS Encrypt of the key as hex text, stored in the secret."""
        ct = json.loads(self.nw("kms", "encrypt", "--key-id", self.env["NW_KMS_KEY_ID"],
                                stdin=key_hex))["CiphertextBlob"]
        if create:
            self.nw("secrets", "create-secret", "--name", secret_id, "--secret-string", "-",
                    stdin=ct)
        else:
            self.nw("secrets", "put-secret-value", "--secret-id", secret_id, "--secret-string",
                    "-", stdin=ct)

    def decode(self, raw):
        return json.loads(subprocess.run([NW, "decode-tx"], input=raw, capture_output=True,
                                         text=True, check=True).stdout)


def address_of(key_hex, tmp):
    path = os.path.join(tmp, "k%d" % time.monotonic_ns())
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        f.write(key_hex + "\n")
    out = subprocess.run([NW, "address", "--key-file", path], capture_output=True, text=True,
                         check=True).stdout
    os.unlink(path)
    return json.loads(out)["address"]


def imds_credentials(base):
    """The instance role's current credentials, as nw-host gets them (IMDSv2)."""
    import urllib.request
    q = urllib.request.Request(base + "latest/api/token", method="PUT",
                               headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    tok = urllib.request.urlopen(q, timeout=10).read().decode()
    h = {"X-aws-ec2-metadata-token": tok}
    path = base + "latest/meta-data/iam/security-credentials/"
    role = urllib.request.urlopen(urllib.request.Request(path, headers=h), timeout=10).read()
    return json.loads(urllib.request.urlopen(
        urllib.request.Request(path + role.decode().strip(), headers=h), timeout=10).read())


def same(a, b):
    return a.lower() == b.lower()


def sign_seed(s, secret_id, payload=None):
    return s.ok("POST", "/", {"transaction_payload": payload or SEED_PAYLOAD,
                              "secret_id": secret_id})


# ---- cases ---------------------------------------------------------------------------------

def case_demo(s):
    """scripts/demo end to end (no --keep): result fields, then nothing left running."""
    r = s.demo(keep=False)
    check(same(r["sender"], r["wallet_address"]), "sender %s != wallet" % r["sender"])
    check(r["transaction_signed"].startswith("0x02"), "EIP-1559 envelope")
    check(len(r["db_demo_rows"]) == 3 and "master_key" in r["db_demo_rows"][0], "demo rows")
    g = r["generated_key"]
    check(same(g["signed_sender"], g["address"]), "generated key signature")
    check(not os.path.exists(os.path.join(s.state, "pids")), "pids left behind")
    time.sleep(1.5)  # pgtest.sh's watchdog notices its parent's exit within a second
    out = [l for l in subprocess.run(["ps", "-eo", "pid,args"], capture_output=True,
                                     text=True).stdout.splitlines() if s.state in l]
    check(not out, "processes of the stack still running:\n" + "\n".join(out))
    # A second run over the same state works without cleanup.
    r2 = s.demo(keep=False)
    check(same(r2["sender"], r2["wallet_address"]), "second run")
    # A taken port is reported by name.
    busy = socket.socket()
    busy.bind(("127.0.0.1", s.port))
    busy.listen()
    p = subprocess.run([os.path.join(SRC, "scripts/demo"), "--no-build", "--state", s.state,
                        "--port", str(s.port), "--bin", BUILD], capture_output=True, text=True,
                       timeout=60)
    busy.close()
    check(p.returncode != 0 and ("port %d" % s.port) in p.stderr and "nw-host" in p.stderr,
          "taken port: %s" % p.stderr)


def case_seed_shapes(s):
    s.demo()
    sid = s.env["NW_SECRET_ID"]
    wallet = s.result["wallet_address"]
    shapes = [
        SEED_PAYLOAD,
        dict(SEED_PAYLOAD, value="0.01"),
        {"type": 0, "chainId": 1, "nonce": 7, "gas": 21000, "gasPrice": 20000000000,
         "to": "0xa5D3241A1591061F2a4bB69CA0215F66520E67cf", "value": 1},
        {"chainId": "0x5", "nonce": "0x1", "gas": "0x5208", "maxFeePerGas": "0x174876e800",
         "maxPriorityFeePerGas": "0xb2d05e00", "to": "0xa5D3241A1591061F2a4bB69CA0215F66520E67cf",
         "value": 0},
        {"type": 1, "chainId": 1, "nonce": 2, "gas": 30000, "gasPrice": 1000000000,
         "to": "0xa5D3241A1591061F2a4bB69CA0215F66520E67cf", "value": 0, "accessList": []},
    ]
    for p in shapes:
        r = sign_seed(s, sid, p)
        check(set(r) == {"transaction_signed", "transaction_hash"}, "answer keys %s" % list(r))
        d = s.decode(r["transaction_signed"])
        check(same(d["from"], wallet), "sender of %s" % p)
        check(same(d["hash"], r["transaction_hash"]), "hash of %s" % p)
        check(int(d["nonce"], 16) == int(str(p["nonce"]), 0), "nonce")
    # The same request twice: RFC 6979, byte-identical.
    check(sign_seed(s, sid) == sign_seed(s, sid), "deterministic signatures")
    # Errors, with the status of their class.
    s.err("POST", "/", {"transaction_payload": SEED_PAYLOAD}, 400, "bad_request")
    s.err("POST", "/", {"transaction_payload": SEED_PAYLOAD, "secret_id": sid, "x": 1}, 400,
          "bad_request")
    s.err("POST", "/", {"transaction_payload": dict(SEED_PAYLOAD, bogus=1), "secret_id": sid},
          400, "tx_unknown_field")
    s.err("POST", "/", {"transaction_payload": SEED_PAYLOAD,
                        "secret_id": s.env["NW_SECRET_PREFIX"] + "absent"}, 404, "aws_not_found")
    s.nw("secrets", "create-secret", "--name", "outside/wallet", "--secret-string", "AAAA")
    s.err("POST", "/", {"transaction_payload": SEED_PAYLOAD, "secret_id": "outside/wallet"}, 403,
          "aws_access_denied")
    # set_key, then a signature a second later uses the new key (the cache never surprises).
    new_key = os.urandom(32).hex()
    s.set_key(sid, new_key, create=False)
    time.sleep(1.0)
    d = s.decode(sign_seed(s, sid)["transaction_signed"])
    check(same(d["from"], address_of(new_key, s.tmp)), "set_key not seen a second later")
    # Another wallet is one set_key away.
    other = os.urandom(32).hex()
    s.set_key(s.env["NW_SECRET_PREFIX"] + "second", other)
    d = s.decode(sign_seed(s, s.env["NW_SECRET_PREFIX"] + "second")["transaction_signed"])
    check(same(d["from"], address_of(other, s.tmp)), "second wallet")


def case_v1_ops(s):
    s.demo()
    sid = s.env["NW_SECRET_ID"]
    wallet = s.result["wallet_address"]
    k = s.ok("POST", "/v1/keys", {"label": "e2e"})
    kid, addr = k["key_id"], k["address"]
    keys = s.ok("GET", "/v1/keys")
    check(any(x.get("key_id") == kid for x in keys.get("keys", [])), "list_keys: %s" % keys)
    check(s.ok("GET", "/v1/keys/" + kid)["address"].lower() == addr.lower(), "get_key by id")
    check(s.ok("GET", "/v1/keys/" + addr)["key_id"] == kid, "get_key by address")
    for sel in ({"key_id": kid}, {"address": addr}):
        r = s.ok("POST", "/v1/transactions/sign", dict(sel, transaction_payload=SEED_PAYLOAD))
        check(same(s.decode(r["transaction_signed"])["from"], addr), "sign by %s" % sel)
    r = s.ok("POST", "/v1/transactions/sign", {"secret_id": sid, "transaction_payload": SEED_PAYLOAD})
    check(same(s.decode(r["transaction_signed"])["from"], wallet), "sign by secret_id")
    m = s.ok("POST", "/v1/messages/sign", {"key_id": kid, "message": "hello"})
    check(same(m["address"], addr) and len(m["signature"]) == 132, "sign_message %s" % m)
    typed = {"types": {"EIP712Domain": [{"name": "name", "type": "string"}],
                       "Mail": [{"name": "contents", "type": "string"}]},
             "primaryType": "Mail", "domain": {"name": "e2e"}, "message": {"contents": "hi"}}
    t = s.ok("POST", "/v1/typed-data/sign", {"key_id": kid, "typed_data": typed})
    check(same(t["address"], addr), "sign_typed_data %s" % t)
    a = s.ok("POST", "/v1/authorizations/sign", {"key_id": kid, "authorization": {
        "chainId": 1, "address": "0xa5D3241A1591061F2a4bB69CA0215F66520E67cf", "nonce": 0}})
    check(same(a["signer"], addr), "sign_authorization %s" % a)
    imp = s.ok("POST", "/v1/keys/import", {"secret_id": sid, "label": "seed"})
    check(same(imp["address"], wallet), "import_key %s" % imp)
    att = s.ok("POST", "/v1/attestation", {"nonce": "0x" + b"e2e-nonce".hex()})
    check(len(att.get("document", "")) > 100, "attest %s" % list(att))
    h = s.ok("GET", "/v1/health")
    check(h.get("configured") is True, "health %s" % h)
    s.ok("POST", "/v1/keys/%s/disable" % kid, {})
    s.err("POST", "/v1/transactions/sign", {"key_id": kid, "transaction_payload": SEED_PAYLOAD},
          403, "key_disabled")
    s.err("GET", "/v1/keys/00000000-0000-4000-8000-000000000000", None, 404, "key_not_found")
    s.err("POST", "/v1/keys", {"op": "list_keys"}, 400, "bad_request")
    s.err("GET", "/v1/nothing", None, 404, "route_not_found")
    s.err("DELETE", "/v1/keys", None, 400, "method_not_allowed")
    st, ready = s.call("GET", "/readyz")
    check(st == 200 and ready["status"] == "ready", "readyz %s" % ready)
    st, metrics = s.call("GET", "/metrics")
    check(st == 200 and 'nw_host_requests_total{route="sign_transaction",code="ok"}' in metrics
          and "nw_enclave_vault_cache_hits" in metrics and "nw_host_kms_relay_calls_total" in metrics,
          "metrics:\n" + str(metrics)[:2000])


def traffic(s, stop, out):
    """Sign by key id in a loop on one keep-alive connection; record (status, code)."""
    body = {"key_id": s.kid, "transaction_payload": SEED_PAYLOAD}
    c = None
    while not stop.is_set():
        try:
            c = c or s.conn()
            st, v = s.call("POST", "/v1/transactions/sign", body, conn=c)
            out.append((st, v.get("error", {}).get("code") if isinstance(v, dict) else None))
        except (OSError, http.client.HTTPException):
            c = None
            out.append((0, "transport"))
        time.sleep(0.02)


def case_enclave_restart(s):
    s.demo()
    s.kid = s.ok("POST", "/v1/keys", {})["key_id"]
    stop, out = threading.Event(), []
    t = threading.Thread(target=traffic, args=(s, stop, out))
    t.start()
    time.sleep(0.5)
    s.kill("nw-enclave")
    time.sleep(1.0)
    during = len(out)
    s.restart("nw-enclave")
    deadline = time.time() + 20
    while time.time() < deadline and not (out and out[-1][0] == 200 and len(out) > during + 3):
        time.sleep(0.2)
    stop.set()
    t.join()
    check(out[-1][0] == 200, "no recovery after the enclave restarted: %s" % out[-5:])
    bad = [o for o in out if o[0] != 200]
    check(bad, "the outage was not seen")
    check(all(o[0] == 503 for o in bad), "failures not unavailable-class: %s" % bad[:10])
    check(s.pid("nw-host") and "enclave_configured" in open(
        os.path.join(s.state, "logs/nw-host.log")).read(), "reconfigured")


def case_pg_down_up(s):
    s.demo()
    kid = s.ok("POST", "/v1/keys", {})["key_id"]
    body = {"key_id": kid, "transaction_payload": SEED_PAYLOAD}
    s.pg("down")
    s.err("POST", "/v1/transactions/sign", body, 503, "db_unavailable")
    s.pg("up")
    deadline = time.time() + 30
    st = 0
    while time.time() < deadline:
        st, v = s.call("POST", "/v1/transactions/sign", body)
        if st == 200:
            break
        time.sleep(0.5)
    check(st == 200, "signing did not come back with the database")


def case_devaws_down(s):
    s.demo()
    sid = s.env["NW_SECRET_ID"]
    kid = s.ok("POST", "/v1/keys", {})["key_id"]
    s.ok("POST", "/v1/transactions/sign", {"key_id": kid, "transaction_payload": SEED_PAYLOAD})
    sign_seed(s, sid)
    s.kill("nw-devaws", signal.SIGTERM)
    # Cached keys keep signing (the enclave's key cache; the host's cached secret value).
    r = s.ok("POST", "/v1/transactions/sign", {"key_id": kid, "transaction_payload": SEED_PAYLOAD})
    check(r["transaction_signed"].startswith("0x02"), "cached key by id")
    sign_seed(s, sid)
    s.err("POST", "/v1/keys", {}, 503, "kms_unavailable")
    s.restart("nw-devaws")
    deadline = time.time() + 20
    st = 0
    while time.time() < deadline:
        st, _ = s.call("POST", "/v1/keys", {})
        if st == 200:
            break
        time.sleep(0.5)
    check(st == 200, "generate_key after nw-devaws came back")


def case_kms_direct(s):
    """--kms-mode direct: the enclave reaches KMS over its own TLS (CA and name from nw-host's
    configure), signed with the instance credentials nw-host forwards; the relay stays idle."""
    s.demo("--kms-mode", "direct")
    check(s.result["transaction_signed"].startswith("0x02"), "the seed's flow in direct mode")
    kid = s.ok("POST", "/v1/keys", {})["key_id"]
    r = s.ok("POST", "/v1/transactions/sign", {"key_id": kid, "transaction_payload": SEED_PAYLOAD})
    check(r["transaction_signed"].startswith("0x02"), "a generated key signs in direct mode")
    st, text = s.call("GET", "/metrics")
    relayed = [ln for ln in text.splitlines()
               if ln.startswith("nw_host_kms_relay_calls_total{") and not ln.endswith(" 0")]
    check(st == 200 and not relayed, "no KMS call went through the relay: %s" % relayed)


def case_binary_changed(s):
    s.demo()
    kid = s.ok("POST", "/v1/keys", {})["key_id"]
    # A rebuilt enclave image after the key policy was written: the NSM simulator measures the
    # new image (as a new EIF launch would), and the enclave restarts with an empty key cache.
    s.kill("nw-nsm", signal.SIGTERM)
    s.kill("nw-enclave", signal.SIGTERM)
    with open(os.path.join(s.state, "nw-enclave"), "ab") as f:
        f.write(b"\0rebuilt")
    s.restart("nw-nsm")
    time.sleep(1.0)
    s.restart("nw-enclave")
    deadline = time.time() + 20
    v = None
    while time.time() < deadline:
        st, v = s.call("POST", "/v1/transactions/sign",
                       {"key_id": kid, "transaction_payload": SEED_PAYLOAD})
        if st != 503:
            break
        time.sleep(0.5)
    check(st == 403 and v["error"]["code"] == "kms_denied", "expected kms_denied, got %d %s" % (st, v))
    s.err("POST", "/", {"transaction_payload": SEED_PAYLOAD, "secret_id": s.env["NW_SECRET_ID"]},
          403, "kms_denied")


def tls_socket(s):
    raw = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    return s.ctx().wrap_socket(raw, server_hostname="127.0.0.1")


def case_http_abuse(s):
    s.demo()
    sid = s.env["NW_SECRET_ID"]
    s.err("POST", "/", None, 400, "content_type", raw=b"{}", ctype="text/plain")
    s.err("POST", "/", None, 400, "bad_request", raw=b"{not json")
    s.err("POST", "/", None, 400, "bad_request", raw=b"[1,2]")
    s.err("POST", "/", None, 400, "body_too_large", raw=b"{\"a\":\"" + b"x" * (300 * 1024) + b"\"}")
    # Malformed HTTP: the server answers 400 (or closes) and keeps serving.
    for junk in (b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x00\x01\x02\x03\r\n\r\n"):
        t = tls_socket(s)
        t.sendall(junk)
        data = b""
        try:
            data = t.recv(4096)
        except OSError:
            pass
        t.close()
        check(data == b"" or b" 400 " in data.split(b"\r\n")[0] or b" 505 " in data.split(b"\r\n")[0],
              "junk answered %r" % data[:80])
    # Slow clients: 20 connections dribbling a request do not stall others.
    slow = []
    for _ in range(20):
        t = tls_socket(s)
        t.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n{")
        slow.append(t)
    t0 = time.monotonic()
    for _ in range(10):
        sign_seed(s, sid)
    took = time.monotonic() - t0
    check(took < 5.0, "10 requests took %.1fs beside slow clients" % took)
    for t in slow:
        t.close()
    # Keep-alive: several requests on one connection.
    c = s.conn()
    for _ in range(5):
        st, _ = s.call("GET", "/healthz", conn=c)
        check(st == 200, "keep-alive")
    c.close()


def case_canary(s):
    s.demo()
    canary_key = "c0ffee" * 10 + "c0de"
    sid = s.env["NW_SECRET_PREFIX"] + "canary"
    s.set_key(sid, canary_key)
    r = sign_seed(s, sid)
    check(same(s.decode(r["transaction_signed"])["from"], address_of(canary_key, s.tmp)),
          "canary signature")
    s.ok("POST", "/v1/keys/import", {"secret_id": sid})
    s.call("POST", "/", {"transaction_payload": dict(SEED_PAYLOAD, bogus=1), "secret_id": sid})
    s.call("GET", "/metrics")
    # Secrets that must appear nowhere: the key (hex, raw-as-latin1, base64), the administrator's
    # and the instance role's secret keys and token, the database password.
    env = read_env(os.path.join(s.state, "devaws/env"))
    role = imds_credentials(env["AWS_EC2_METADATA_SERVICE_ENDPOINT"])
    pg = read_env(os.path.join(s.state, "pg.env"))
    raw = bytes.fromhex(canary_key)
    needles = [canary_key, canary_key.upper(), base64.b64encode(raw).decode(),
               base64.b64encode(canary_key.encode()).decode()[:40], env["AWS_SECRET_ACCESS_KEY"],
               pg["NW_PG_PASSWORD"], role["SecretAccessKey"], role["Token"][:40]]
    logs = ""
    for root, _, files in os.walk(os.path.join(s.state, "logs")):
        for f in files:
            logs += open(os.path.join(root, f), errors="replace").read()
    logs += open(os.path.join(s.state, "pg", "log"), errors="replace").read() if os.path.exists(
        os.path.join(s.state, "pg", "log")) else ""
    hay = logs + "\n".join(s.answers)
    for n in needles:
        check(n not in hay, "a canary secret (%s...) leaked" % n[:6])
    check(raw.decode("latin1") not in hay, "raw canary key leaked")


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}


def run_case(cases, extra_bins=()):
    """Run the case CASE (argv) of cases on a fresh Stack; 0 pass, 77 skipped (said why)."""
    if os.geteuid() != 0 or not os.path.exists("/usr/lib/postgresql/15/bin/initdb"):
        print("SKIPPED: needs root and PostgreSQL 15 (tests/lib/pgtest.sh)")
        return 77
    bins = ("src/enclave/nw-enclave", "src/host/nw-host", "src/devaws/nw-devaws")
    for b in bins + tuple(extra_bins):
        if not os.path.exists(os.path.join(BUILD, b)):
            print("SKIPPED: %s not built" % b)
            return 77
    s = Stack()
    try:
        cases[CASE](s)
    finally:
        s.cleanup()
    print("PASS " + CASE)
    return 0


if __name__ == "__main__":
    sys.exit(run_case(CASES))

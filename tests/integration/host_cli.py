#!/usr/bin/env python3
"""nw-host on its own (no enclave, no AWS): options, config file, TLS and client certificates,
HTTP limits and JSON errors. usage: host_cli.py NW_HOST CASE
Cases: options, client_cert, errors. Exit 0 pass, 1 fail."""
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HOST, CASE = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="nw-host-")


def fail(msg):
    print("FAIL: " + msg, flush=True)
    raise SystemExit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def sh(*args):
    subprocess.run(args, check=True, capture_output=True)


def pki():
    """A CA, a server certificate for 127.0.0.1 and a client certificate (EC P-256)."""
    d = TMP
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for name in ("ca", "other"):
        sh("openssl", "req", "-x509", *ec, "-days", "2", "-subj", "/CN=test %s" % name,
           "-keyout", d + "/%s.key" % name, "-out", d + "/%s.pem" % name)
    for name, ca, ext in (("server", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                          ("client", "ca", "extendedKeyUsage=clientAuth\n"),
                          ("stranger", "other", "extendedKeyUsage=clientAuth\n")):
        sh("openssl", "req", "-new", *ec, "-subj", "/CN=%s" % name, "-keyout",
           d + "/%s.key" % name, "-out", d + "/%s.csr" % name)
        with open(d + "/%s.ext" % name, "w") as f:
            f.write(ext)
        sh("openssl", "x509", "-req", "-in", d + "/%s.csr" % name, "-CA", d + "/%s.pem" % ca,
           "-CAkey", d + "/%s.key" % ca, "-CAcreateserial", "-days", "2", "-extfile",
           d + "/%s.ext" % name, "-out", d + "/%s.pem" % name)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(*extra):
    port = free_port()
    log = open(TMP + "/host.log", "a")
    env = dict(os.environ, AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
               AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    p = subprocess.Popen([HOST, "--listen", "tcp:127.0.0.1:%d" % port, "--tls-cert",
                          TMP + "/server.pem", "--tls-key", TMP + "/server.key", "--enclave",
                          "unix:" + TMP + "/no-enclave.sock", "--aws-credentials", "env",
                          "--max-body-bytes", "1024", "--request-timeout-ms", "1000"] + list(extra),
                         stdout=log, stderr=log, env=env)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p, port
        except OSError:
            time.sleep(0.05)
    p.kill()
    fail("nw-host did not listen:\n" + open(TMP + "/host.log").read())


def ctx(cert=None):
    c = ssl.create_default_context(cafile=TMP + "/ca.pem")
    if cert:
        c.load_cert_chain(TMP + "/%s.pem" % cert, TMP + "/%s.key" % cert)
    return c


def request(port, method, path, body=None, ctype="application/json", cert=None):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx(cert), timeout=10)
    c.request(method, path, body=body, headers={"Content-Type": ctype} if body is not None else {})
    r = c.getresponse()
    text = r.read().decode()
    c.close()
    return r.status, json.loads(text) if text.startswith("{") else text


def case_options():
    p = subprocess.run([HOST, "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "--kms-relay ADDR" in p.stdout and "--secret-ttl-ms" in p.stdout,
          "--help")
    p = subprocess.run([HOST, "--version"], capture_output=True, text=True)
    check(p.returncode == 0 and p.stdout.startswith("nw-host "), "--version")
    for bad in (["--bogus"], ["--tls-cert"], ["--pool-size", "x", "--tls-cert", "a", "--tls-key", "b"],
                ["--kms-mode", "sideways", "--tls-cert", "a", "--tls-key", "b"], []):
        p = subprocess.run([HOST] + bad, capture_output=True, text=True)
        check(p.returncode == 2 and "nw-host:" in p.stderr, "bad options %s: %s" % (bad, p.stderr))
    cfg = TMP + "/cfg.json"
    with open(cfg, "w") as f:
        json.dump({"listen": "tcp:127.0.0.1:1", "pool-size": 2, "log-json": True}, f)
    with open(TMP + "/badcfg.json", "w") as f:
        json.dump({"no-such-option": 1}, f)
    p = subprocess.run([HOST, "--config", TMP + "/badcfg.json", "--tls-cert", "a", "--tls-key", "b"],
                       capture_output=True, text=True)
    check(p.returncode == 2 and "no-such-option" in p.stderr, "config file: unknown key")
    # A taken port is reported with the address and the reason.
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    p = subprocess.run([HOST, "--config", cfg, "--listen", "tcp:127.0.0.1:%d" % port, "--tls-cert",
                        TMP + "/server.pem", "--tls-key", TMP + "/server.key", "--region",
                        "us-east-1", "--aws-credentials", "env"], capture_output=True, text=True,
                       timeout=20)
    busy.close()
    check(p.returncode == 1 and ("127.0.0.1:%d" % port) in p.stderr and "in use" in p.stderr,
          "taken port: %s" % p.stderr)
    # The config file is used (flags win): log-json from the file.
    h, port = start("--config", cfg)
    request(port, "GET", "/healthz")
    h.terminate()
    h.wait(10)
    check(h.returncode == 0, "clean stop on SIGTERM")
    lines = [l for l in open(TMP + "/host.log") if l.startswith("{")]
    check(lines and json.loads(lines[-1])["event"], "log-json from the config file")


def case_client_cert():
    h, port = start("--client-ca", TMP + "/ca.pem")
    try:
        st, v = request(port, "GET", "/healthz", cert="client")
        check(st == 200 and v["status"] == "ok", "trusted client certificate: %s" % v)
        for who in (None, "stranger"):
            try:
                st, v = request(port, "GET", "/healthz", cert=who)
                check(st == 403 and v["error"]["code"] == "client_cert", "%s: %d %s" % (who, st, v))
            except (ssl.SSLError, ConnectionError):
                pass  # refusing the handshake is as good
    finally:
        h.kill()
        h.wait()


def case_errors():
    h, port = start()
    try:
        st, v = request(port, "GET", "/healthz")
        check(st == 200 and v["status"] == "ok", "healthz")
        st, v = request(port, "GET", "/readyz")
        check(st == 503 and v["error"]["code"] == "enclave_unavailable", "readyz %s" % v)
        st, v = request(port, "GET", "/metrics")
        check(st == 200 and "nw_enclave_up 0" in v and 'route="readyz"' in v, "metrics")
        st, v = request(port, "GET", "/nope")
        check(st == 404 and v["error"]["code"] == "route_not_found", "404")
        st, v = request(port, "PUT", "/v1/keys", "{}")
        check(st == 400 and v["error"]["code"] == "method_not_allowed", "method")
        st, v = request(port, "POST", "/v1/keys", "{}", ctype="text/plain")
        check(st == 400 and v["error"]["code"] == "content_type", "content type")
        st, v = request(port, "POST", "/v1/keys", "{\"x\":\"" + "a" * 2000 + "\"}")
        check(st == 400 and v["error"]["code"] == "body_too_large", "size %s" % v)
        st, v = request(port, "POST", "/v1/keys", "{\"v\":2}")
        check(st == 400 and v["error"]["code"] == "bad_request", "reserved field %s" % v)
        st, v = request(port, "POST", "/v1/keys", "{}")
        check(st == 503 and v["error"]["code"] == "enclave_unavailable", "no enclave %s" % v)
        # A body still dribbling in past the request time limit is cut off (closed).
        for rest, expect in ((b" ", b""), (b"}", b"")):
            t = ctx().wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                  server_hostname="127.0.0.1")
            t.sendall(b"POST /v1/keys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 2\r\n\r\n{" if expect else
                      b"POST /v1/keys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{")
            time.sleep(1.3)
            data = b""
            try:
                t.sendall(rest)
                data = t.recv(4096)
            except OSError:
                pass
            t.close()
            check((expect == b"" and data == b"") or (b" 400 " in data and expect in data),
                  "slow body: %r" % data[:200])
    finally:
        h.kill()
        h.wait()


try:
    pki()
    {"options": case_options, "client_cert": case_client_cert, "errors": case_errors}[CASE]()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
print("PASS " + CASE)

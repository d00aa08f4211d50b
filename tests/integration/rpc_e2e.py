#!/usr/bin/env python3
"""End-to-end tests of nw-host's JSON-RPC signer (POST /rpc, issue 12) against the dev stack of
scripts/demo (labels e2e, integration). Each case starts its own stack in a temporary directory
and stops it by PID (host_e2e.Stack). Signatures are checked with the nw CLI's verifiers and
decode-tx, never against hard-coded answers.

usage: rpc_e2e.py SOURCE_DIR BUILD_DIR CASE
Cases: methods, errors, batch, listen, upstream. Exit 0 pass, 1 fail, 77 skip.
"""
import http.client
import http.server
import json
import os
import ssl
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import host_e2e  # noqa: E402  (reads SOURCE_DIR BUILD_DIR CASE from argv as this script does)
from host_e2e import BUILD, NW, check, free_port  # noqa: E402

DEAD = "0x000000000000000000000000000000000000dEaD"


def rpc(s, body, url=None, raw=False):
    """POST body (object, list or text) to NW_RPC_URL (plain HTTP); the parsed answer."""
    url = url or s.env["NW_RPC_URL"]
    hostport, path = url[len("http://"):].split("/", 1)
    host, port = hostport.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    c.request("POST", "/" + path, data, {"Content-Type": "application/json"})
    r = c.getresponse()
    text = r.read().decode()
    c.close()
    s.answers.append(text)
    check(r.status == 200, "HTTP %d for %s: %s" % (r.status, str(body)[:80], text))
    if raw:
        return text
    return json.loads(text)


def call(s, method, params=None, id_=1):
    req = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        req["params"] = params
    return rpc(s, req)


def result(s, method, params=None):
    a = call(s, method, params)
    check("result" in a, "%s failed: %s" % (method, a))
    return a["result"]


def error(s, method, params, code, data_code=None):
    a = call(s, method, params)
    check("error" in a and a["error"]["code"] == code,
          "%s %s: expected error %d, got %s" % (method, str(params)[:60], code, a))
    if data_code is not None:
        check(a["error"]["data"]["code"] == data_code,
              "%s: expected data.code %s, got %s" % (method, data_code, a))
    return a


def nw(*args, stdin=None):
    p = subprocess.run([NW] + list(args), input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def https_post(s, path, obj):
    ctx = ssl.create_default_context(cafile=s.env["NW_CA_BUNDLE"])
    c = http.client.HTTPSConnection("127.0.0.1", s.port, context=ctx, timeout=30)
    c.request("POST", path, json.dumps(obj), {"Content-Type": "application/json"})
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    s.answers.append(body)
    return r.status, json.loads(body) if body else None


def accounts(s):
    a = result(s, "eth_accounts")
    check(isinstance(a, list) and len(a) >= 1, "eth_accounts: %s" % a)
    return a


def case_methods(s):
    s.demo("--rpc-port", str(free_port()))
    addr = accounts(s)[0]
    # A new key appears in eth_accounts; a disabled one disappears.
    st, k = https_post(s, "/v1/keys", {"label": "rpc-test"})
    check(st == 200, "generate_key: %s" % k)
    check(k["address"] in accounts(s), "generated key missing from eth_accounts")
    st, d = https_post(s, "/v1/keys/%s/disable" % k["key_id"], {})
    check(st == 200, "disable_key: %s" % d)
    check(k["address"] not in accounts(s), "disabled key still in eth_accounts")
    # personal_sign (hex bytes and text) and eth_sign: EIP-191, verified by nw verify-message.
    sig = result(s, "personal_sign", ["0x68656c6c6f", addr])
    rc, out, err = nw("verify-message", "--address", addr, "--signature", sig, "-", stdin="hello")
    check(rc == 0 and '"valid":true' in out, "personal_sign does not verify: %s %s" % (out, err))
    check(result(s, "eth_sign", [addr, "0x68656c6c6f"]) == sig, "eth_sign != personal_sign")
    sig2 = result(s, "personal_sign", ["plain text", addr, ""])
    rc, out, err = nw("verify-message", "--address", addr, "--signature", sig2, "-",
                      stdin="plain text")
    check(rc == 0, "personal_sign of text does not verify: %s %s" % (out, err))
    # eth_signTypedData_v4: object and JSON text.
    td = {"types": {"EIP712Domain": [{"name": "name", "type": "string"},
                                     {"name": "chainId", "type": "uint256"}],
                    "Mail": [{"name": "to", "type": "address"}, {"name": "n", "type": "uint256"}]},
          "primaryType": "Mail", "domain": {"name": "nw", "chainId": 1},
          "message": {"to": DEAD, "n": "42"}}
    for form in (td, json.dumps(td)):
        tsig = result(s, "eth_signTypedData_v4", [addr, form])
        rc, out, err = nw("verify-typed-data", "--address", addr, "--signature", tsig, "-",
                          stdin=json.dumps(td))
        check(rc == 0, "typed data does not verify: %s %s" % (out, err))
    # eth_signTransaction: value in wei, input or data, legacy/2930/1559, contract creation.
    txs = [
        {"from": addr, "to": DEAD, "value": "0xde0b6b3a7640001", "gas": "0x5208",
         "maxFeePerGas": "0x3b9aca00", "maxPriorityFeePerGas": "0x1", "nonce": "0x7",
         "chainId": "0x7a69"},
        {"from": addr, "to": DEAD, "value": "0x1", "gas": "0x7530", "gasPrice": "0x3b9aca00",
         "nonce": "0x0", "chainId": "0x1", "input": "0xabcd"},
        {"from": addr, "to": DEAD, "value": "0x0", "gas": "0x7530", "gasPrice": "0x1",
         "nonce": "0x1", "chainId": "0x5", "type": "0x1", "data": "0xabcd", "accessList": []},
        {"from": addr, "gas": "0x100000", "gasPrice": "0x1", "nonce": "0x2", "chainId": "0x1",
         "input": "0x6080604052"},
    ]
    for tx in txs:
        raw = result(s, "eth_signTransaction", [tx])
        rc, out, err = nw("decode-tx", raw)
        check(rc == 0, "decode-tx: %s" % err)
        d = json.loads(out)
        check(d["from"].lower() == addr.lower(), "signed by %s, not %s" % (d["from"], addr))
        check(int(d["value"], 16) == int(tx["value"] if "value" in tx else "0x0", 16),
              "value (wei) changed: %s vs %s" % (d["value"], tx.get("value")))
        check(d["nonce"] == tx["nonce"], "nonce changed")
        want = tx.get("input", tx.get("data", "0x"))
        check(d["data"] == want, "data changed: %s vs %s" % (d["data"], want))
        check((d["to"] is None) == ("to" not in tx), "to changed")
    # HTTPS /rpc answers the same.
    st, a = https_post(s, "/rpc", {"jsonrpc": "2.0", "id": "x", "method": "eth_accounts"})
    check(st == 200 and a["id"] == "x" and addr in a["result"], "HTTPS /rpc: %s" % a)


def case_errors(s):
    s.demo("--rpc-port", str(free_port()))
    addr = accounts(s)[0]
    a = rpc(s, "{not json")
    check(a["error"]["code"] == -32700 and a["id"] is None, "parse error: %s" % a)
    check(a["error"]["data"]["code"] == "rpc_parse", "parse data: %s" % a)
    for bad in ({"jsonrpc": "1.0", "id": 1, "method": "eth_accounts"},
                {"jsonrpc": "2.0", "id": 1}, {"jsonrpc": "2.0", "id": 1, "method": 5},
                {"jsonrpc": "2.0", "id": {}, "method": "eth_accounts"},
                {"jsonrpc": "2.0", "id": 1, "method": "eth_accounts", "params": 3}, 7, '"x"'):
        a = rpc(s, bad)
        check(a["error"]["code"] == -32600, "invalid request %s: %s" % (bad, a))
    a = rpc(s, [])
    check(a["error"]["code"] == -32600, "empty batch: %s" % a)
    a = rpc(s, [{"jsonrpc": "2.0", "id": i, "method": "eth_accounts"} for i in range(101)])
    check(isinstance(a, dict) and a["error"]["code"] == -32600, "oversized batch: %s" % str(a)[:200])
    error(s, "eth_getBalance", [addr, "latest"], -32601, "rpc_method_not_found")
    error(s, "eth_sendTransaction", [{"from": addr}], -32601, "rpc_method_not_found")
    error(s, "eth_accounts", [1], -32602, "rpc_invalid_params")
    error(s, "eth_sign", [addr], -32602, "rpc_invalid_params")
    error(s, "eth_sign", ["0x12", "0x00"], -32602, "rpc_invalid_params")
    error(s, "eth_sign", [addr, "hello"], -32602, "rpc_invalid_params")
    error(s, "personal_sign", ["0x00"], -32602, "rpc_invalid_params")
    error(s, "eth_signTypedData_v4", [addr, 5], -32602, "rpc_invalid_params")
    error(s, "eth_signTypedData_v4", [addr, {"types": {}}], -32602)
    error(s, "eth_signTransaction", [], -32602, "rpc_invalid_params")
    error(s, "eth_signTransaction", [{"to": DEAD}], -32602, "rpc_invalid_params")
    tx = {"from": addr, "to": DEAD, "gas": "0x5208", "gasPrice": "0x1", "nonce": "0x0"}
    error(s, "eth_signTransaction", [dict(tx, gasPrice="1")], -32602)  # ambiguous quantity
    error(s, "eth_signTransaction", [dict(tx, bogus=1)], -32602)
    error(s, "eth_signTransaction", [dict(tx, input="0x01", data="0x02")], -32602)
    # A well-formed request for a key that does not exist: a server error with our code.
    error(s, "eth_signTransaction", [dict(tx, **{"from": DEAD})], -32000, "key_not_found")
    error(s, "personal_sign", ["0x00", DEAD], -32000, "key_not_found")
    # A notification gets no answer at all.
    text = rpc(s, {"jsonrpc": "2.0", "method": "eth_accounts"}, raw=True)
    check(text.strip() == "", "a notification was answered: %r" % text)


def case_batch(s):
    s.demo("--rpc-port", str(free_port()))
    addr = accounts(s)[0]
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_accounts"},
        {"jsonrpc": "2.0", "method": "eth_accounts"},  # notification: no entry
        {"jsonrpc": "2.0", "id": "two", "method": "personal_sign", "params": ["0x01", addr]},
        {"jsonrpc": "2.0", "id": 3, "method": "nope"},
        5,
        {"jsonrpc": "2.0", "id": 4, "method": "eth_sign", "params": [addr, "0x01"]},
    ]
    a = rpc(s, batch)
    check(isinstance(a, list) and len(a) == 5, "batch answer: %s" % a)
    by_id = {json.dumps(x["id"]): x for x in a}
    check(addr in by_id["1"]["result"], "batch eth_accounts")
    check(by_id['"two"']["result"] == by_id["4"]["result"], "batch personal_sign != eth_sign")
    check(by_id["3"]["error"]["code"] == -32601, "batch unknown method")
    check(by_id["null"]["error"]["code"] == -32600, "batch invalid entry")
    text = rpc(s, [{"jsonrpc": "2.0", "method": "eth_accounts"}] * 3, raw=True)
    check(text.strip() == "", "an all-notification batch was answered: %r" % text)


def case_listen(s):
    """--rpc-listen: plain HTTP serves only /rpc, and only on loopback or unix:."""
    host = os.path.join(BUILD, "src/host/nw-host")
    for addr in ("tcp:0.0.0.0:1", "tcp:192.0.2.1:8545", "tcp:[::]:8545", "vsock:3:8545"):
        p = subprocess.run([host, "--tls-cert", "x", "--tls-key", "y", "--rpc-listen", addr],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 2 and "rpc-listen" in p.stderr,
              "--rpc-listen %s accepted: %d %s" % (addr, p.returncode, p.stderr))
    p = subprocess.run([host, "--tls-cert", "x", "--tls-key", "y", "--rpc-upstream", "ftp://x"],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 2, "--rpc-upstream ftp:// accepted")
    s.demo("--rpc-port", str(free_port()))
    base = s.env["NW_RPC_URL"][len("http://"):].split("/", 1)[0]
    h, port = base.rsplit(":", 1)
    for method, path in (("GET", "/v1/keys"), ("GET", "/healthz"), ("POST", "/")):
        c = http.client.HTTPConnection(h, int(port), timeout=30)
        c.request(method, path, "{}", {"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        c.close()
        check(r.status == 404, "plain listener served %s %s (%d)" % (method, path, r.status))
    c = http.client.HTTPConnection(h, int(port), timeout=30)
    c.request("GET", "/rpc")
    r = c.getresponse()
    body = r.read().decode()
    check(r.status == 400 and "method_not_allowed" in body, "GET /rpc: %d %s" % (r.status, body))


class FakeNode(http.server.BaseHTTPRequestHandler):
    """A minimal JSON-RPC node: fixed chain state; records what it was sent."""
    calls = []

    def log_message(self, *a):
        pass

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeNode.calls.append(req)
        m = req["method"]
        answers = {"eth_chainId": "0x7a69", "eth_getTransactionCount": "0x5",
                   "eth_gasPrice": "0x3b9aca00", "eth_maxPriorityFeePerGas": "0x1",
                   "eth_estimateGas": "0x5208", "eth_blockNumber": "0x10"}
        if m == "eth_sendRawTransaction":
            res = {"result": "0x" + "ab" * 32}
        elif m in answers:
            res = {"result": answers[m]}
        else:
            res = {"error": {"code": -32601, "message": "no " + m}}
        body = json.dumps(dict(res, jsonrpc="2.0", id=req["id"])).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def case_upstream(s):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeNode)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        s.demo("--rpc-port", str(free_port()), "--rpc-upstream",
               "http://127.0.0.1:%d/" % srv.server_address[1])
        addr = accounts(s)[0]
        check(result(s, "eth_blockNumber") == "0x10", "eth_blockNumber not proxied")
        a = call(s, "eth_getBalance", [addr, "latest"], id_="b")
        check(a["id"] == "b" and a["error"]["code"] == -32601, "upstream error not passed: %s" % a)
        h = result(s, "eth_sendTransaction", [{"from": addr, "to": DEAD, "value": "0x2"}])
        check(h == "0x" + "ab" * 32, "eth_sendTransaction answer: %s" % h)
        raws = [c["params"][0] for c in FakeNode.calls if c["method"] == "eth_sendRawTransaction"]
        check(len(raws) == 1, "eth_sendRawTransaction calls: %d" % len(raws))
        rc, out, err = nw("decode-tx", raws[0])
        d = json.loads(out)
        check(d["from"].lower() == addr.lower() and d["nonce"] == "0x5" and
              d["chainId"] == "0x7a69" and d["gas"] == "0x5208" and d["type"] == "0x2" and
              int(d["maxFeePerGas"], 16) == 2 * 1000000000 + 1 and d["value"] == "0x2",
              "filled transaction: %s" % out)
        # Given fields are kept: a legacy transaction with its own nonce and gas.
        FakeNode.calls.clear()
        result(s, "eth_sendTransaction", [{"from": addr, "to": DEAD, "gasPrice": "0x9",
                                           "nonce": "0x63", "gas": "0x6000"}])
        raw = [c["params"][0] for c in FakeNode.calls if c["method"] == "eth_sendRawTransaction"]
        d = json.loads(nw("decode-tx", raw[0])[1])
        check(d["type"] == "0x0" and d["nonce"] == "0x63" and d["gas"] == "0x6000" and
              d["gasPrice"] == "0x9", "given fields changed: %s" % d)
        sent = [c["method"] for c in FakeNode.calls]
        check("eth_getTransactionCount" not in sent and "eth_estimateGas" not in sent,
              "asked the node for fields already given: %s" % sent)
    finally:
        srv.shutdown()
        srv.server_close()


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}



if __name__ == "__main__":
    sys.exit(host_e2e.run_case(CASES, ("src/cli/nw",)))

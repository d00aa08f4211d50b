#!/usr/bin/env python3
"""End-to-end tests of `nw remote ...` (issue 12) against the dev stack of scripts/demo (labels
e2e, integration): every command, with the set-up only from stack.env; answers checked with the
offline verifiers (decode-tx, verify-message, verify-typed-data), errors by their stable codes.

usage: remote_e2e.py SOURCE_DIR BUILD_DIR CASE
Cases: commands, errors. Exit 0 pass, 1 fail, 77 skip.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import host_e2e  # noqa: E402  (reads SOURCE_DIR BUILD_DIR CASE from argv)
from host_e2e import NW, check, free_port  # noqa: E402

DEAD = "0x000000000000000000000000000000000000dEaD"


def run(s, *args, stdin=None, env=None):
    e = dict(os.environ)
    for k in ("NW_URL", "NW_CA_BUNDLE", "NW_CLIENT_CERT", "NW_CLIENT_KEY"):
        e.pop(k, None)
    e.update(s.env if env is None else env)
    p = subprocess.run([NW] + list(args), input=stdin, capture_output=True, text=True,
                       timeout=60, env=e)
    s.answers.append(p.stdout + p.stderr)
    return p.returncode, p.stdout, p.stderr


def ok(s, *args, stdin=None):
    rc, out, err = run(s, *args, stdin=stdin)
    check(rc == 0, "nw %s: exit %d %s" % (" ".join(args), rc, err))
    return json.loads(out)


def err_code(s, code, *args, stdin=None, env=None, rc_want=1):
    rc, out, err = run(s, *args, stdin=stdin, env=env)
    check(rc == rc_want, "nw %s: exit %d (want %d) %s" % (" ".join(args), rc, rc_want, err))
    if code is not None:
        check('"code":"%s"' % code in err, "nw %s: want %s, got %s" % (" ".join(args), code, err))


def case_commands(s):
    s.demo("--rpc-port", str(free_port()))
    h = ok(s, "remote", "health")
    check(h.get("configured") is True, "health: %s" % h)
    k = ok(s, "remote", "keys", "generate", "--label", "remote-cli")
    addr, kid = k["address"], k["key_id"]
    check(any(x["key_id"] == kid for x in ok(s, "remote", "keys", "list")["keys"]), "keys list")
    check(ok(s, "remote", "keys", "get", kid)["address"] == addr, "keys get by id")
    check(ok(s, "remote", "keys", "get", addr)["key_id"] == kid, "keys get by address")
    # sign-tx: the web3 dict of the offline sign-tx (value in ether), by each key selector.
    tx = '{"to":"%s","value":0.01,"nonce":3,"gas":21000,"maxFeePerGas":2000000000,' \
         '"maxPriorityFeePerGas":1,"chainId":1}' % DEAD
    for sel in (["--key-id", kid], ["--address", addr]):
        a = ok(s, "remote", "sign-tx", *sel, stdin=tx)
        d = json.loads(run(s, "decode-tx", a["transaction_signed"])[1])
        check(d["from"] == addr and d["valueWei"] == "10000000000000000" and d["nonce"] == "0x3",
              "remote sign-tx %s: %s" % (sel, d))
        check(d["hash"] == a["transaction_hash"], "transaction_hash")
    a = ok(s, "remote", "sign-tx", "--secret-id", s.env["NW_SECRET_ID"], stdin=tx)
    d = json.loads(run(s, "decode-tx", a["transaction_signed"])[1])
    check(d["from"] == a["address"], "sign-tx by secret id: %s" % d)
    # sign-message (text and --hex), sign-typed-data, sign-authorization.
    m = ok(s, "remote", "sign-message", "--key-id", kid, stdin="hello remote")
    rc, out, e = run(s, "verify-message", "--address", addr, "--signature", m["signature"], "-",
                     stdin="hello remote")
    check(rc == 0, "remote sign-message does not verify: %s" % e)
    mh = ok(s, "remote", "sign-message", "--address", addr, "--hex", stdin="0x68656c6c6f\n")
    rc, out, e = run(s, "verify-message", "--address", addr, "--signature", mh["signature"], "-",
                     stdin="hello")
    check(rc == 0, "remote sign-message --hex does not verify: %s" % e)
    td = json.dumps({"types": {"EIP712Domain": [{"name": "name", "type": "string"}],
                               "T": [{"name": "v", "type": "uint256"}]},
                     "primaryType": "T", "domain": {"name": "r"}, "message": {"v": "7"}})
    t = ok(s, "remote", "sign-typed-data", "--key-id", kid, stdin=td)
    rc, out, e = run(s, "verify-typed-data", "--address", addr, "--signature", t["signature"],
                     "-", stdin=td)
    check(rc == 0, "remote sign-typed-data does not verify: %s" % e)
    au = ok(s, "remote", "sign-authorization", "--key-id", kid,
            stdin='{"chainId":1,"address":"%s","nonce":5}' % DEAD)
    check(au["signer"] == addr and au["nonce"] == "0x5", "sign-authorization: %s" % au)
    # attest: verified by the `nw attestation verify` rules against the simulator's root.
    root = os.path.join(s.state, "nsm", "nsm-root.pem")
    v = ok(s, "remote", "attest", "--nonce", "0a0b0c", "--root", root)
    check(v.get("nonce") == "0a0b0c" or "0a0b0c" in json.dumps(v), "attest nonce: %s" % v)
    pcr0 = v["pcrs"]["0"]
    ok(s, "remote", "attest", "--nonce", "0x01", "--root", root, "--pcr", "0=" + pcr0)
    err_code(s, "attest_pcr_mismatch", "remote", "attest", "--nonce", "01", "--root", root,
             "--pcr", "0=" + "00" * 48)
    err_code(s, "attest_root_mismatch", "remote", "attest", "--nonce", "01")  # AWS root pinned
    # disable, then signing is refused with nw-host's code; import from the secret.
    check(ok(s, "remote", "keys", "disable", kid).get("disabled") is True, "disable")
    err_code(s, "key_disabled", "remote", "sign-message", "--key-id", kid, stdin="x")
    imp = ok(s, "remote", "keys", "import", "--secret-id", s.env["NW_SECRET_ID"])
    check(imp["address"] == a["address"], "import: %s vs %s" % (imp, a["address"]))


def case_errors(s):
    s.demo("--rpc-port", str(free_port()))
    err_code(s, "remote_no_url", "remote", "health", env={})
    env = dict(s.env)
    env.pop("NW_CA_BUNDLE")
    rc, out, e = run(s, "remote", "health", env=env)  # the system store does not know the dev CA
    check(rc == 1 and ('"code":"http_tls"' in e or '"code":"http_transport"' in e),
          "unknown CA accepted: %d %s" % (rc, e))
    err_code(s, "key_not_found", "remote", "sign-message", "--address", DEAD, stdin="x")
    err_code(s, "key_not_found", "remote", "keys", "get", "00000000-0000-0000-0000-000000000000")
    err_code(s, None, "remote", "sign-message", stdin="x", rc_want=2)  # no key selector
    err_code(s, None, "remote", "sign-message", "--key-id", "a", "--address", DEAD, stdin="x",
             rc_want=2)
    err_code(s, None, "remote", "keys", "frobnicate", rc_want=2)
    err_code(s, None, "remote", "keys", "get", "a/b", rc_want=2)
    err_code(s, None, "remote", "attest", rc_want=2)
    err_code(s, "json", "remote", "sign-tx", "--key-id", "x", stdin="[1]")
    err_code(s, "no_input", "remote", "sign-tx", "--key-id", "x", stdin="")
    err_code(s, "tx_unknown_field", "remote", "sign-tx", "--address", DEAD, stdin='{"bogus":1}')
    rc, out, e = run(s, "remote", "--help")
    check(rc == 0 and "remote sign-tx" in out, "nw remote --help: %s" % out)


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}



if __name__ == "__main__":
    sys.exit(host_e2e.run_case(CASES, ("src/cli/nw",)))

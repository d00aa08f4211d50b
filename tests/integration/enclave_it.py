#!/usr/bin/env python3
"""nw-enclave against real PostgreSQL (TLS), nw-devaws (KMS + NSM simulator measuring the built
nw-enclave) and the KMS relay driver. usage: enclave_it.py BUILD_DIR SOURCE_DIR GROUP
GROUP: ops-relay | ops-direct | audit | outage | instances | frames | loopback | proxy"""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enclave_stack as es  # noqa: E402
from enclave_stack import check, Fail  # noqa: E402

# The seed's request as its parent sends it (docs/nitro-protocols.md 5.3), plus our envelope.
SEED_TX = {"value": 0.01, "to": "0xa5D3241A1591061F2a4bB69CA0215F66520E67cf", "nonce": 0,
           "type": 2, "chainId": 4, "gas": 100000, "maxFeePerGas": 100000000000,
           "maxPriorityFeePerGas": 3000000000}
CANARY_ADDR = None
TX = {"nonce": 9, "gasPrice": 20000000000, "gas": 21000,
      "to": "0x3535353535353535353535353535353535353535", "value": 1, "chainId": 1}
TYPED = {"types": {"EIP712Domain": [{"name": "name", "type": "string"},
                                    {"name": "chainId", "type": "uint256"}],
                   "Mail": [{"name": "contents", "type": "string"}]},
         "primaryType": "Mail", "domain": {"name": "nw", "chainId": 1},
         "message": {"contents": "hello"}}
AUTH = {"chainId": 1, "address": "0x3535353535353535353535353535353535353535", "nonce": 7}


def local_sign(stack, key_hex, tx):
    """The core library's answer for the same transaction (nw sign-tx), the reference."""
    kf = os.path.join(stack.tmp, "key-%s" % key_hex[:8])
    if not os.path.exists(kf):
        with open(kf, "w") as f:
            f.write(key_hex)
        os.chmod(kf, 0o600)
    r = subprocess.run([stack.nw_bin, "sign-tx", "--key-file", kf], input=json.dumps(tx).encode(),
                       capture_output=True, timeout=30)
    check(r.returncode == 0, "nw sign-tx: %s" % r.stderr.decode())
    return json.loads(r.stdout)


def ops_all(stack, mode):
    """Every op in one KMS mode, the seed's payload verbatim, cache hits counted at the emulator."""
    enc = stack.enclave("ops-" + mode, ["--log-format", "json"])
    check(stack.call(enc, {"op": "health"})["result"]["configured"] is False, "fresh: configured")
    a = stack.call(enc, {"op": "sign_transaction", "transaction_payload": TX})
    check(a["error"]["code"] == "not_configured", "before configure: %s" % a)
    stack.configure(enc, mode)
    cred = stack.credential()
    ct = stack.seed_ciphertext(es.CANARY_KEY)
    seed = {"credential": cred, "transaction_payload": SEED_TX, "encrypted_key": ct}
    before = stack.kms_calls()
    a = stack.call(enc, dict(seed, op="sign_transaction"))
    check(a["ok"], "seed payload: %s" % a)
    want = local_sign(stack, es.CANARY_KEY, SEED_TX)
    check(a["result"]["transaction_signed"] == want["transaction_signed"], "signed tx differs")
    check(a["result"]["transaction_hash"] == want["transaction_hash"], "tx hash differs")
    check(a["result"]["address"] == want["address"], "address differs")
    check(stack.kms_calls() == before + 1, "first use: one Decrypt")
    for _ in range(3):
        a = stack.call(enc, dict(seed, op="sign_transaction"))
        check(a["ok"], "cached sign: %s" % a)
    check(stack.kms_calls() == before + 1, "cached: no more Decrypt calls (%d)"
          % (stack.kms_calls() - before))
    h = stack.call(enc, {"op": "health"})["result"]
    check(h["vault"]["cache_hits"] >= 3, "health cache hits: %s" % h["vault"])
    # Stored keys: generate, sign by id and by address, every signing op, list/get/disable.
    g = stack.call(enc, {"op": "generate_key", "label": "it", "credential": cred})
    check(g["ok"], "generate_key: %s" % g)
    kid, addr = g["result"]["key_id"], g["result"]["address"]
    check(len(base64.b64decode(g["result"]["ciphertext"])) > 32, "ciphertext returned")
    ref = {"key_id": kid, "credential": cred}
    a = stack.call(enc, dict(ref, op="sign_transaction", transaction_payload=TX))
    check(a["ok"] and a["result"]["address"] == addr, "sign by key_id: %s" % a)
    a = stack.call(enc, {"op": "sign_message", "address": addr.lower(), "message": "hi",
                         "credential": cred})
    check(a["ok"] and a["result"]["address"] == addr, "sign_message by address: %s" % a)
    a = stack.call(enc, dict(ref, op="sign_message", message_hex="0x6869"))
    check(a["ok"] and a["result"]["hash"] ==
          stack.call(enc, dict(ref, op="sign_message", message="hi"))["result"]["hash"],
          "message_hex = message")
    a = stack.call(enc, dict(ref, op="sign_typed_data", typed_data=TYPED))
    check(a["ok"] and len(a["result"]["signature"]) == 132, "sign_typed_data: %s" % a)
    a = stack.call(enc, dict(ref, op="sign_authorization", authorization=AUTH))
    check(a["ok"] and a["result"]["signer"] == addr, "sign_authorization: %s" % a)
    # import_key: the seed's ciphertext registered after one decrypt.
    imp = stack.call(enc, {"op": "import_key", "encrypted_key": ct, "credential": cred,
                           "label": "seed"})
    check(imp["ok"] and imp["result"]["address"] == want["address"], "import_key: %s" % imp)
    a = stack.call(enc, {"op": "sign_transaction", "address": want["address"], "credential": cred,
                         "transaction_payload": SEED_TX})
    check(a["ok"] and a["result"]["transaction_signed"] == want["transaction_signed"],
          "sign with imported key: %s" % a)
    again = stack.call(enc, {"op": "import_key", "encrypted_key": ct, "credential": cred})
    check(again["error"]["code"] == "exists", "import twice: %s" % again)
    keys = stack.call(enc, {"op": "list_keys"})["result"]["keys"]
    check({k["address"] for k in keys} >= {addr, want["address"]}, "list_keys: %s" % keys)
    gk = stack.call(enc, {"op": "get_key", "key_id": kid})
    check(gk["ok"] and gk["result"]["ciphertext"] == g["result"]["ciphertext"], "get_key")
    nonce = "0x" + os.urandom(16).hex()
    at = stack.call(enc, {"op": "attest", "nonce": nonce})
    check(at["ok"], "attest: %s" % at)
    check(addr.lower() in at["result"]["addresses"], "attest commits to the key")
    import hashlib
    ud = hashlib.sha256(("nw-attest-v1\n" + "".join(x + "\n" for x in
                                                   sorted(at["result"]["addresses"])))
                        .encode()).hexdigest()
    check(at["result"]["user_data"] == "0x" + ud, "user_data is the documented hash")
    doc = base64.b64decode(at["result"]["document"])
    check(bytes.fromhex(nonce[2:]) in doc and bytes.fromhex(ud) in doc,
          "document carries the nonce and user_data")
    d = stack.call(enc, {"op": "disable_key", "key_id": kid})
    check(d["ok"], "disable_key: %s" % d)
    a = stack.call(enc, dict(ref, op="sign_message", message="x"))
    check(a["error"]["code"] == "key_disabled", "disabled key: %s" % a)
    check(addr.lower() not in stack.call(enc, {"op": "attest", "nonce": nonce})
          ["result"]["addresses"], "disabled key no longer committed")
    if mode == "direct":
        a = stack.call(enc, {"op": "sign_transaction", "encrypted_key": ct,
                             "transaction_payload": TX})
        check(a["error"]["code"] in ("credentials_required",) or a["ok"],
              "direct without credential: %s" % a)
    rows = stack.psql("select op, outcome from nw_audit order by seq")
    check(["sign_message", "key_disabled"] in rows, "refusal audited: %s" % rows[-3:])
    check(sum(1 for r in rows if r[0] == "sign_transaction" and r[1] == "ok") >= 6,
          "signatures audited")
    stack.canary_check()


def swapped_and_mismatch(stack):
    """A ciphertext swapped between rows is refused; a key not deriving its row's address too."""
    enc = stack.enclave("swap")
    stack.configure(enc, "relay")
    cred = stack.credential()
    g1 = stack.call(enc, {"op": "generate_key", "label": "a"})["result"]
    g2 = stack.call(enc, {"op": "generate_key", "label": "b"})["result"]
    # Swap the two generated ciphertexts: KMS refuses (context binds each to its row).
    stack.psql("update nw_keys set ciphertext = (select ciphertext from nw_keys where id='%s') "
               "where id='%s'" % (g2["key_id"], g1["key_id"]))
    enc2 = stack.enclave("swap2")  # a fresh cache
    stack.configure(enc2, "relay")
    a = stack.call(enc2, {"op": "sign_message", "key_id": g1["key_id"], "message": "x"})
    check(not a["ok"] and a["error"]["code"] in ("kms_denied", "key_mismatch"),
          "swapped ciphertext: %s" % a)
    # Imported seed keys have no context: a row whose address is not the key's is refused.
    k2 = "7" * 64
    imp = stack.call(enc2, {"op": "import_key", "encrypted_key": stack.seed_ciphertext(k2),
                            "credential": cred})["result"]
    other = stack.seed_ciphertext(es.CANARY_KEY)
    stack.psql("update nw_keys set ciphertext = decode('%s','base64') where id='%s'"
               % (other, imp["key_id"]))
    enc3 = stack.enclave("swap3")
    stack.configure(enc3, "relay")
    a = stack.call(enc3, {"op": "sign_message", "key_id": imp["key_id"], "message": "x"})
    check(a["error"]["code"] == "key_mismatch", "address mismatch: %s" % a)
    a = stack.call(enc3, {"op": "import_key", "encrypted_key": stack.seed_ciphertext("8" * 64),
                          "address": "0x3535353535353535353535353535353535353535"})
    check(a["error"]["code"] == "key_mismatch", "import with the wrong address: %s" % a)
    stack.canary_check()


def kms_denied_unreachable(stack):
    enc = stack.enclave("deny")
    stack.configure(enc, "relay", db=False)
    ct = stack.seed_ciphertext("9" * 64)
    stack.put_policy("00" * 48)
    a = stack.call(enc, {"op": "sign_message", "encrypted_key": ct, "message": "x"})
    check(a["error"]["code"] == "kms_denied", "other PCR0: %s" % a)
    stack.put_policy(stack.pcr0)
    a = stack.call(enc, {"op": "sign_message", "encrypted_key": ct, "message": "x"})
    check(a["ok"], "PCR0 back: %s" % a)
    stack.configure(enc, "relay", db=False, kms_addr="unix:" + stack.tmp + "/nothing.sock",
                    cache_ttl_s=0)
    a = stack.call(enc, {"op": "sign_message", "encrypted_key": ct, "message": "x"})
    check(a["error"]["code"] == "kms_unavailable", "unreachable: %s" % a)


def audit_modes(stack):
    """Database down and back in each audit mode."""
    cred = stack.credential()
    ct = stack.seed_ciphertext(es.CANARY_KEY)
    req = {"op": "sign_transaction", "encrypted_key": ct, "credential": cred,
           "transaction_payload": TX}
    for mode in ("required", "best_effort", "off"):
        enc = stack.enclave("audit-" + mode)
        stack.configure(enc, "relay", audit=mode)
        n0 = len(stack.psql("select seq from nw_audit"))
        check(stack.call(enc, dict(req, id="%s-up" % mode))["ok"], "up")
        stack.pg_cmd("down")
        answers = [stack.call(enc, dict(req, id="%s-down-%d" % (mode, i), deadline_ms=4000))
                   for i in range(3)]
        if mode == "required":
            for a in answers:
                check(not a["ok"] and a["error"]["code"] in ("db_unavailable",
                                                              "deadline_exceeded"),
                      "required, db down: no signature: %s" % a)
        else:
            check(all(a["ok"] for a in answers), "%s, db down: still signs" % mode)
        stack.pg_cmd("up")
        end = time.time() + 30
        while True:
            a = stack.call(enc, dict(req, id="%s-back" % mode, deadline_ms=5000))
            if a["ok"] or time.time() > end:
                break
            time.sleep(0.5)
        check(a["ok"], "%s: db back: %s" % (mode, a))
        time.sleep(1.5)
        rows = stack.psql("select request_id from nw_audit where seq > 0 order by seq")
        ids = [r[0] for r in rows][n0:]
        if mode == "required":
            check("%s-up" % mode in ids and "%s-back" % mode in ids, "rows: %s" % ids)
            ok_down = stack.psql("select request_id from nw_audit where outcome = 'ok' and "
                                 "request_id like 'required-down-%'")
            check(not ok_down, "required: a signature recorded during the outage: %s" % ok_down)
        elif mode == "best_effort":
            want = ["best_effort-up"] + ["best_effort-down-%d" % i for i in range(3)]
            got = [i for i in ids if i in want]
            check(got == want, "best_effort rows in order: %s" % ids)
        else:
            check(not ids, "off: no rows: %s" % ids)
    stack.canary_check()


def db_demo(stack):
    enc = stack.enclave("demo", ["--db-demo"])
    stack.configure(enc, "relay")
    time.sleep(0.2)
    with open(enc.out) as f:
        out = f.read().splitlines()
    check(out[:3] == ["(1, 'master_key', 'Super important key')",
                      "(2, 'secondary_key', 'Less important key')",
                      "(3, 'backup_key', 'Somehow important key')"], "demo rows: %s" % out)


def two_instances(stack):
    """Two enclaves started at once on a fresh database: both migrate, share keys and audit."""
    a_enc = stack.enclave("inst-a")
    b_enc = stack.enclave("inst-b")
    res = {}

    def conf(name, enc):
        try:
            res[name] = stack.configure(enc, "relay")
        except Exception as e:  # noqa: BLE001
            res[name] = e
    ts = [threading.Thread(target=conf, args=(n, e)) for n, e in (("a", a_enc), ("b", b_enc))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check(all(isinstance(v, dict) for v in res.values()), "both configure: %s" % res)
    g = stack.call(a_enc, {"op": "generate_key"})["result"]
    s = stack.call(b_enc, {"op": "sign_message", "key_id": g["key_id"], "message": "m"})
    check(s["ok"] and s["result"]["address"] == g["address"], "key from a signs on b: %s" % s)
    stack.call(a_enc, {"op": "sign_message", "key_id": g["key_id"], "message": "m"})
    inst = {r[0] for r in stack.psql("select distinct instance from nw_audit")}
    check({res["a"]["instance"], res["b"]["instance"]} <= inst, "audit rows from both")


def main():
    build, src, group = sys.argv[1], sys.argv[2], sys.argv[3]
    groups = {
        "ops-relay": [("every op, relay", lambda s: ops_all(s, "relay")),
                      ("swapped ciphertexts, mismatched addresses", swapped_and_mismatch)],
        "ops-direct": [("every op, direct", lambda s: ops_all(s, "direct"))],
        "kms": [("kms denied and unreachable", kms_denied_unreachable)],
        "audit": [("db down and back, each audit mode", audit_modes), ("--db-demo", db_demo)],
        "instances": [("two instances on a fresh database", two_instances)],
    }
    stack = es.Stack(build, src).start()
    try:
        failed = es.dh.run_cases([(n, (lambda f: lambda: f(stack))(f)) for n, f in groups[group]])
    finally:
        stack.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

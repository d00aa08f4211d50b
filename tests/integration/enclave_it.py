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
    # A disable on a: refused on a at once; on b once b's cached row is older than
    # key_row_ttl_ms (b reads the row again and forgets the decrypted key), at once with 0.
    stack.configure(b_enc, "relay", key_row_ttl_ms=1500)
    c_enc = stack.enclave("inst-c")
    stack.configure(c_enc, "relay", key_row_ttl_ms=0)
    msg = {"op": "sign_message", "key_id": g["key_id"], "message": "m"}
    for enc in (b_enc, c_enc):
        check(stack.call(enc, msg)["ok"], "signs before the disable")
    check(stack.call(a_enc, {"op": "disable_key", "key_id": g["key_id"]})["ok"], "disable on a")
    check(stack.call(a_enc, msg)["error"]["code"] == "key_disabled", "a refuses at once")
    check(stack.call(c_enc, msg)["error"]["code"] == "key_disabled", "ttl 0 refuses at once")
    check(stack.call(b_enc, msg)["ok"], "b's cached row is still fresh")
    time.sleep(1.6)
    check(stack.call(b_enc, msg)["error"]["code"] == "key_disabled", "b refuses after the ttl")
    n = len(stack.psql("select seq from nw_audit where op = 'sign_message' and key_id = '%s'"
                       % g["key_id"]))
    check(n == 8, "every signing request audited, cached rows too (%d)" % n)

def bad(stack, enc, req, code="bad_request", want_id=True):
    c = es.Frames(enc.sock, 30)
    try:
        c.send(req)
        a = c.recv()
    finally:
        c.close()
    check(a is not None, "no answer to %r" % (req,))
    stack.answers.append(json.dumps(a))
    check(not a["ok"] and a["error"]["code"] == code, "%r -> %s (want %s)" % (req, a, code))
    if want_id and isinstance(req, dict) and "id" in req:
        check(a["id"] == req["id"], "answer id for %r: %s" % (req, a))
    return a


def frames_fields(stack):
    """Every malformed frame and field gets its code; the server stays up."""
    enc = stack.enclave("frames", ["--queue", "8", "--workers", "2"])
    # Frames that lose the stream: bad_request with "id":null, then the connection closes.
    for hdr in (struct.pack(">I", 0), struct.pack(">I", (1 << 20) + 1), b"\xff\xff\xff\xff"):
        c = es.Frames(enc.sock, 10)
        c.send_raw(hdr)
        a = c.recv()
        check(a is not None and a["id"] is None and a["error"]["code"] == "bad_request",
              "length %r: %s" % (hdr, a))
        check(c.recv() is None, "connection closes after a bad length")
        c.close()
    # A frame cut short: no answer, the connection closes; a header then silence is the same
    # once the peer closes.
    c = es.Frames(enc.sock, 10)
    c.send_raw(struct.pack(">I", 100) + b'{"v":1')
    c.s.shutdown(socket.SHUT_WR)
    check(c.recv() is None, "truncated frame: no answer")
    c.close()
    # Payloads that cannot be read as a request.
    for payload, code, has_id in [
            (b"nonsense", "bad_request", False), (b"[1,2]", "bad_request", False),
            (b'"str"', "bad_request", False), (b"\xff\xfe{}", "bad_request", False),
            (b'{"v":1,"id":1,"op":"health"} trailing', "bad_request", False),
            (b'{"v":1,"id":1,"id":2,"op":"health"}', "json_duplicate_key", False),
            (b'{"v":1,"id":99999999999999999999999,"op":"health"}', "json_number_too_big",
             False),
            (b'{"v":1,"op":"health"}', "bad_request", False),
            (b'{"v":1,"id":1.5,"op":"health"}', "bad_request", False),
            (b'{"v":1,"id":{},"op":"health"}', "bad_request", False),
            (b'{"v":1,"id":"","op":"health"}', "bad_request", False),
            (('{"v":1,"id":"%s","op":"health"}' % ("x" * 65)).encode(), "bad_request", False),
            (b'{"v":1,"id":"a\\u0001","op":"health"}', "bad_request", False)]:
        a = bad(stack, enc, payload, code, want_id=has_id)
        check(a["id"] is None, "%r answered with id %r" % (payload, a["id"]))
    for req, code in [
            ({"id": 1, "op": "health"}, "bad_request"),
            ({"v": 2, "id": 1, "op": "health"}, "bad_request"),
            ({"v": "1", "id": 1, "op": "health"}, "bad_request"),
            ({"v": 1, "id": 1}, "bad_request"),
            ({"v": 1, "id": 1, "op": 5}, "bad_request"),
            ({"v": 1, "id": 1, "op": "Health"}, "bad_request"),
            ({"v": 1, "id": 1, "op": "x" * 40}, "bad_request"),
            ({"v": 1, "id": 1, "op": "nope"}, "unknown_op"),
            ({"v": 1, "id": 1, "op": "health", "extra": 1}, "bad_request"),
            ({"v": 1, "id": 1, "op": "health", "deadline_ms": 0}, "bad_request"),
            ({"v": 1, "id": 1, "op": "health", "deadline_ms": "5"}, "bad_request"),
            ({"v": 1, "id": 1, "op": "sign_message", "message": "x"}, "not_configured"),
            ({"v": 1, "id": 1, "op": "configure"}, "bad_request"),
            ({"v": 1, "id": 1, "op": "configure", "region": "r", "kms_mode": "x"},
             "bad_request"),
            ({"v": 1, "id": 1, "op": "configure", "region": "r", "audit": "required"},
             "bad_request"),
            ({"v": 1, "id": 1, "op": "configure", "region": "r", "kms_addr": "nope"},
             "bad_request"),
            ({"v": 1, "id": 1, "op": "configure", "region": "r", "database": 1}, "bad_request"),
            ({"v": 1, "id": 1, "op": "configure", "region": "r", "database": {"host": "h",
              "dbname": "d", "user": "u", "bogus": 1}}, "bad_request"),
            ({"v": 1, "id": 1, "op": "configure", "region": "r", "cache_ttl_s": -1},
             "bad_request")]:
        bad(stack, enc, req, code)
    stack.configure(enc, "relay")
    ct = stack.seed_ciphertext(es.CANARY_KEY)
    cred = stack.credential()
    k = {"encrypted_key": ct, "credential": cred}
    for req, code in [
            ({"op": "sign_transaction", "transaction_payload": TX}, "bad_request"),
            (dict(k, op="sign_transaction"), "bad_request"),
            (dict(k, op="sign_transaction", transaction_payload="tx"), "bad_request"),
            (dict(k, op="sign_transaction", transaction_payload=dict(TX, bogus=1)),
             "tx_unknown_field"),
            (dict(k, op="sign_transaction", transaction_payload=dict(TX, gas="21000")), None),
            (dict(k, op="sign_transaction", transaction_payload=TX, key_id="x"), "bad_request"),
            ({"op": "sign_transaction", "encrypted_key": "***", "transaction_payload": TX},
             "bad_request"),
            ({"op": "sign_transaction", "encrypted_key": "", "transaction_payload": TX},
             "bad_request"),
            ({"op": "sign_transaction", "encrypted_key": 5, "transaction_payload": TX},
             "bad_request"),
            (dict(k, op="sign_transaction", transaction_payload=TX, credential=[]),
             "bad_request"),
            (dict(k, op="sign_transaction", transaction_payload=TX,
                  credential={"access_key_id": "A"}), "bad_request"),
            (dict(k, op="sign_transaction", transaction_payload=TX,
                  credential=dict(cred, extra="x")), "bad_request"),
            ({"op": "sign_transaction", "key_id": "not-a-uuid", "transaction_payload": TX},
             "bad_request"),
            ({"op": "sign_transaction", "key_id": "00000000-0000-4000-8000-000000000000",
              "transaction_payload": TX}, "key_not_found"),
            ({"op": "sign_transaction", "address": "0x12", "transaction_payload": TX},
             "bad_request"),
            ({"op": "sign_transaction", "address": "0x" + "ab" * 20, "transaction_payload": TX},
             "key_not_found"),
            (dict(k, op="sign_message"), "bad_request"),
            (dict(k, op="sign_message", message=1), "bad_request"),
            (dict(k, op="sign_message", message="a", message_hex="0x61"), "bad_request"),
            (dict(k, op="sign_message", message_hex="61"), "bad_request"),
            (dict(k, op="sign_typed_data", typed_data=[]), "bad_request"),
            (dict(k, op="sign_typed_data", typed_data=dict(TYPED, primaryType="Nope")), None),
            (dict(k, op="sign_authorization", authorization={"chainId": 1}), None),
            ({"op": "generate_key", "label": "x" * 200}, "bad_request"),
            ({"op": "generate_key", "kms_key_id": 1}, "bad_request"),
            ({"op": "import_key"}, "bad_request"),
            ({"op": "import_key", "encrypted_key": ct, "address": "0x1"}, "bad_request"),
            ({"op": "get_key"}, "bad_request"),
            ({"op": "get_key", "key_id": "00000000-0000-4000-8000-000000000000"},
             "key_not_found"),
            ({"op": "disable_key", "address": "nope"}, "bad_request"),
            ({"op": "list_keys", "limit": 0}, "bad_request"),
            ({"op": "list_keys", "include_disabled": "yes"}, "bad_request"),
            ({"op": "attest"}, "bad_request"),
            ({"op": "attest", "nonce": "0x"}, "bad_request"),
            ({"op": "attest", "nonce": "0x" + "00" * 513}, "bad_request"),
            ({"op": "attest", "nonce": "zz"}, "bad_request")]:
        a = stack.call(enc, req)
        check(not a["ok"], "%r accepted" % (req,))
        if code is not None:
            check(a["error"]["code"] == code, "%r -> %s (want %s)" % (req, a, code))
        check(a["error"]["message"] and es.CANARY_KEY not in a["error"]["message"], "message")
    # Many requests on one connection, answered in order.
    c = es.Frames(enc.sock, 30)
    for i in range(8):
        c.send({"v": 1, "id": "p%d" % i, "op": "sign_message", "message": "m%d" % i,
                "encrypted_key": ct, "credential": cred})
    ids = [c.recv()["id"] for _ in range(8)]
    c.close()
    check(ids == ["p%d" % i for i in range(8)], "in order: %s" % ids)
    stack.canary_check()


def overload_deadline(stack):
    """A full queue answers overloaded at once; a request past its deadline deadline_exceeded."""
    hang = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hang_path = os.path.join(stack.tmp, "hang.sock")
    hang.bind(hang_path)
    hang.listen(64)  # accepts (backlog) and never answers: a KMS relay that hangs
    enc = stack.enclave("overload", ["--queue", "3", "--workers", "2"])
    stack.configure(enc, "relay", db=False, kms_addr="unix:" + hang_path, cache_ttl_s=0,
                    kms_timeout_ms=3000)
    ct = stack.seed_ciphertext("5" * 64)
    t0 = time.time()
    a = stack.call(enc, {"op": "sign_message", "encrypted_key": ct, "message": "x",
                         "deadline_ms": 500})
    check(a["error"]["code"] in ("deadline_exceeded", "kms_unavailable"), "deadline: %s" % a)
    check(time.time() - t0 < 2.5, "deadline honoured (%.1fs)" % (time.time() - t0))
    conns = [es.Frames(enc.sock, 30) for _ in range(6)]
    for i, c in enumerate(conns):
        c.send({"v": 1, "id": i, "op": "sign_message", "encrypted_key": ct, "message": "x",
                "deadline_ms": 2000})
    codes = [c.recv()["error"]["code"] for c in conns]
    for c in conns:
        c.close()
    check("overloaded" in codes, "overloaded among %s" % codes)
    h = stack.call(enc, {"op": "health"})["result"]["server"]
    check(h["overloaded"] >= 1 and h["deadline_exceeded"] + codes.count("deadline_exceeded") >= 1,
          "health counters: %s" % h)
    hang.close()


def loopback(stack):
    """`lo` brought up inside `unshare -n` (a network namespace with lo down, like an enclave)."""
    script = ('%s --listen tcp:127.0.0.1:5000 %s 2>/dev/null & sleep 0.5; '
              'echo \'{"v":1,"id":1,"op":"health"}\' | %s enclave-call --addr tcp:127.0.0.1:5000 '
              '--timeout-ms 2000; rc=$?; python3 -c "%s"; kill $! 2>/dev/null; '
              'exit $rc')
    # lo's flags by SIOCGIFFLAGS inside the namespace (sysfs would show the mount's namespace).
    flags_py = ("import fcntl,socket,struct;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                "print(hex(struct.unpack('16sH',fcntl.ioctl(s,0x8913,"
                "struct.pack('16sH',b'lo',0))[:18])[1]))")
    for flag, want in (("", 1), ("--bring-up-loopback", 0)):
        r = subprocess.run(["unshare", "-n", "sh", "-c",
                            script % (stack.enclave_bin, flag, stack.nw_bin, flags_py)],
                           capture_output=True, timeout=30)
        if r.returncode != 0 and b"unshare" in r.stderr:
            raise Fail("unshare -n not permitted here: %s" % r.stderr.decode())
        check(r.returncode == want, "%s: rc %d %s" % (flag or "no flag", r.returncode, r.stdout))
        flags = int(r.stdout.decode().split()[-1], 16)
        check(bool(flags & 1) == (want == 0), "lo flags %#x with %r" % (flags, flag))


def proxy_pair(stack):
    """libpq -> tcp:127.0.0.1:free -> nw-proxy -> unix: -> nw-proxy -> PostgreSQL, as in the
    enclave (viproxy) and on the parent (vsock-proxy), with unix: in place of vsock."""
    mid = os.path.join(stack.tmp, "rds.sock")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    stack.spawn([stack.proxy_bin, "--listen", "unix:" + mid, "--connect",
                 "tcp:127.0.0.1:%s" % stack.pg["NW_PG_PORT"]], "proxy-parent.log")
    stack.spawn([stack.proxy_bin, "--listen", "tcp:127.0.0.1:%d" % port, "--connect",
                 "unix:" + mid], "proxy-enclave.log")
    stack.wait_path(mid)
    time.sleep(0.3)
    enc = stack.enclave("viaproxy")
    req = {"op": "configure", "region": stack.emu.env["AWS_REGION"],
           "nsm": stack.emu.env["NW_DEVAWS_NSM"], "kms_addr": "unix:" + stack.relay_sock,
           "kms_key_id": stack.kms_key, "database": stack.database(port=port),
           "audit": "required"}
    a = stack.call(enc, req)
    check(a["ok"], "configure through the proxy pair: %s" % a)
    g = stack.call(enc, {"op": "generate_key"})
    check(g["ok"], "generate through the proxies: %s" % g)
    a = stack.call(enc, {"op": "sign_transaction", "key_id": g["result"]["key_id"],
                         "transaction_payload": TX})
    check(a["ok"], "sign through the proxies: %s" % a)
    rows = stack.psql("select outcome from nw_audit where tx_hash = '%s'"
                      % a["result"]["transaction_hash"])
    check(rows == [["ok"]], "audit row through the proxies: %s" % rows)
    # Wrong CA: verify-full refuses (the RDS name is checked even though bytes go to 127.0.0.1).
    req2 = dict(req, database=dict(stack.database(port=port), sslrootcert=stack.pg["NW_PG_OTHER_CA"]))
    a = stack.call(enc, req2)
    check(a["error"]["code"] == "db_unavailable", "wrong CA: %s" % a)
    stack.canary_check()


def main():
    build, src, group = sys.argv[1], sys.argv[2], sys.argv[3]
    groups = {
        "ops-relay": [("every op, relay", lambda s: ops_all(s, "relay")),
                      ("swapped ciphertexts, mismatched addresses", swapped_and_mismatch)],
        "ops-direct": [("every op, direct", lambda s: ops_all(s, "direct"))],
        "kms": [("kms denied and unreachable", kms_denied_unreachable)],
        "audit": [("db down and back, each audit mode", audit_modes), ("--db-demo", db_demo)],
        "instances": [("two instances on a fresh database", two_instances)],
        "frames": [("malformed frames and fields", frames_fields),
                   ("overloaded and deadline", overload_deadline)],
        "loopback": [("lo up inside unshare -n", loopback)],
        "proxy": [("nw-proxy pair to PostgreSQL", proxy_pair)],
    }
    if shutil.which("unshare") is None and group == "loopback":
        print("SKIP: no unshare")
        sys.exit(77)
    stack = es.Stack(build, src)
    if group != "loopback":  # the namespace test needs only the binaries
        stack.start()
    try:
        failed = es.dh.run_cases([(n, (lambda f: lambda: f(stack))(f)) for n, f in groups[group]])
    finally:
        stack.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/bin/sh
# CLI test of `nw attestation verify|describe|measure` on the real UID2 document
# (../shared/testdata/attestation, read in place). Exit 77 (skip) when the data is absent.
set -u
nw=$1
data=${NW_TESTDATA:-$2}
doc=$data/attestation/uid2_debug.cbor
if [ ! -r "$doc" ]; then
    echo "*** SKIPPED: $doc not found (set NW_TESTDATA) ***"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
at=1619410753
zero=000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
pcr4=abf3ca5026b60f4d641ec3788d19cdd70849dc49a7a01709818c56866ba786f663341eb3b1abc6960531527c416bed71

# Debug-mode documents (this one: PCR0 all zero) pass only with --allow-debug (issue 13).
"$nw" attestation verify --doc "$doc" --at $at --pcr 0=$zero --pcr 4=$pcr4 --allow-debug \
    >"$tmp/out" 2>"$tmp/err" ||
    fail "verify at the recorded time: $(cat "$tmp/err")"
grep -q '"module_id":"i-0fd25f30661854f2b-enc01790c5d9eab829d"' "$tmp/out" || fail "module_id"
grep -q '"timestamp":1619410153100' "$tmp/out" || fail "timestamp"
grep -q "\"4\":\"$pcr4\"" "$tmp/out" || fail "pcr4"
grep -q '"nonce":null' "$tmp/out" || fail "nonce null"
grep -q '"debug_mode":true' "$tmp/out" || fail "debug_mode"

"$nw" attestation verify --doc - --at $at --allow-debug --root "$data/attestation/aws_nitro_enclaves_root_g1.pem" \
    <"$doc" >/dev/null 2>&1 || fail "verify from stdin with --root"

expect_error() { # code, args...
    code=$1; shift
    if "$nw" attestation verify "$@" >"$tmp/out" 2>"$tmp/err"; then fail "accepted: $*"; fi
    grep -q "\"code\":\"$code\"" "$tmp/err" || fail "expected $code for $*: $(cat "$tmp/err")"
}
expect_error attest_cert_expired --doc "$doc" --allow-debug
grep -q -- '--at' "$tmp/err" || fail "an expired chain should mention --at: $(cat "$tmp/err")"
expect_error attest_cert_expired --doc "$doc" --at 4102444800 --allow-debug
expect_error attest_cert_not_yet_valid --doc "$doc" --at 0 --allow-debug
expect_error attest_pcr_mismatch --doc "$doc" --at $at --pcr 4=$zero --allow-debug
grep -q 'PCR4' "$tmp/err" || fail "a PCR mismatch should name the index: $(cat "$tmp/err")"
expect_error attest_pcr_missing --doc "$doc" --at $at --pcr 20=$zero --allow-debug
grep -q 'PCR20' "$tmp/err" || fail "a missing PCR should name the index: $(cat "$tmp/err")"
expect_error attest_nonce_mismatch --doc "$doc" --at $at --nonce 0102 --allow-debug
expect_error attest_debug_mode --doc "$doc" --at $at
grep -q -- '--allow-debug' "$tmp/err" || fail "debug refusal should mention --allow-debug"
expect_error attest_stale --doc "$doc" --at $at --max-age-ms 1000 --allow-debug
printf 'not a certificate' >"$tmp/root.pem"
expect_error attest_root_invalid --doc "$doc" --at $at --root "$tmp/root.pem" --allow-debug

# --at takes RFC 3339 as well as Unix seconds; documents are accepted as base64 too.
"$nw" attestation verify --doc "$doc" --at 2021-04-26T04:19:13Z --allow-debug >/dev/null 2>&1 ||
    fail "--at RFC 3339 (Z)"
"$nw" attestation verify --doc "$doc" --at 2021-04-26T06:19:13.5+02:00 --allow-debug >/dev/null \
    2>&1 || fail "--at RFC 3339 (offset, fraction)"
"$nw" attestation verify --doc "$doc" --at 2021-04-26 --allow-debug >/dev/null 2>&1
[ $? -eq 2 ] || fail "--at date only is a usage error"
"$nw" attestation verify --doc "$doc" --at 2021-02-30T00:00:00Z --allow-debug >/dev/null 2>&1
[ $? -eq 2 ] || fail "--at 30 February is a usage error"
base64 "$doc" >"$tmp/doc.b64"
"$nw" attestation verify --doc "$tmp/doc.b64" --at $at --allow-debug >"$tmp/out" 2>"$tmp/err" ||
    fail "base64 document: $(cat "$tmp/err")"
base64 -w0 "$doc" | "$nw" attestation describe --doc - >/dev/null 2>&1 || fail "base64 on stdin"
"$nw" attestation verify --doc "$doc" --reject-debug >/dev/null 2>"$tmp/err"
# shellcheck disable=SC2015 # fail unless both hold: (A && B) || C is meant
[ $? -eq 2 ] && grep -q "unknown option" "$tmp/err" || fail "--reject-debug is gone: $(cat "$tmp/err")"
"$nw" attestation verify --help | grep -q -- '--allow-debug' || fail "--help lists --allow-debug"
# a flipped byte in the signature
cp "$doc" "$tmp/bad.cbor"
printf '\377' | dd of="$tmp/bad.cbor" bs=1 seek=4395 conv=notrunc 2>/dev/null
expect_error cose_signature --doc "$tmp/bad.cbor" --at $at --allow-debug
if "$nw" attestation verify --doc "$doc" --pcr 1=zz >/dev/null 2>&1; then fail "bad --pcr"; fi

"$nw" attestation describe --doc "$doc" >"$tmp/out" 2>&1 || fail "describe"
grep -q '"digest":"SHA384"' "$tmp/out" || fail "describe digest"
printf 'junk' >"$tmp/junk"
if "$nw" attestation describe --doc "$tmp/junk" >/dev/null 2>"$tmp/err"; then fail "describe junk"; fi
grep -q '"code":"attest_doc_encoding"' "$tmp/err" || fail "describe junk code: $(cat "$tmp/err")"
printf '\204junk' >"$tmp/junk84"
if "$nw" attestation describe --doc "$tmp/junk84" >/dev/null 2>"$tmp/err"; then fail "describe junk"; fi
grep -q '"code":"cbor_malformed"' "$tmp/err" || fail "describe CBOR junk code: $(cat "$tmp/err")"

printf 'hello' >"$tmp/f"
"$nw" attestation measure --file "$tmp/f" >"$tmp/out" || fail "measure"
grep -q '"PCR0":"[0-9a-f]\{96\}"' "$tmp/out" || fail "measure PCR0"
echo "attest_cli: all passed"

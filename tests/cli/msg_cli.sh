#!/bin/sh
# CLI checks for `nw sign-message` and `nw sign-typed-data`: outputs, exit codes (0 ok, 1 error
# with {"error":{...}} on stderr, 2 usage), --hex, --jsonl and --help. Usage: msg_cli.sh NW
set -u
nw=$1
umask 077 # key files 0600: nw refuses keys others can read
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
check() { # check NAME CONDITION-RESULT
    if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}
# eth-account tests/core/test_accounts.py, "Some data" (public vector)
printf '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n' >"$dir/key"
want='{"signature":"0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c","address":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","hash":"0x1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655"}'

out=$(printf 'Some data' | "$nw" sign-message --key-file "$dir/key"); rc=$?
[ $rc -eq 0 ] && [ "$out" = "$want" ]; check "sign-message raw stdin" $?
out=$(echo 0x536f6d652064617461 | "$nw" sign-message --key-file "$dir/key" --hex); rc=$?
[ $rc -eq 0 ] && [ "$out" = "$want" ]; check "sign-message --hex" $?
out=$(printf '{"key":"0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318","message":"Some data"}\n{"key":"0x00","message":"x"}\n' |
    "$nw" sign-message --jsonl); rc=$?
[ $rc -eq 1 ] && [ "$(echo "$out" | head -1)" = "$want" ] &&
    echo "$out" | sed -n 2p | grep -q '"code":"key_invalid"'; check "sign-message --jsonl (one good, one bad line)" $?

echo 0x123 | "$nw" sign-message --key-file "$dir/key" --hex 2>"$dir/err"; rc=$?
[ $rc -eq 1 ] && grep -q '^{"error":{"code":"hex_odd"' "$dir/err"; check "sign-message --hex odd digits" $?
"$nw" sign-message --key-file "$dir/nokey" </dev/null 2>"$dir/err"; rc=$?
[ $rc -eq 1 ] && grep -q '"code":"not_found"' "$dir/err"; check "missing key file" $?
printf 'zz\n' >"$dir/badkey"
"$nw" sign-message --key-file "$dir/badkey" </dev/null 2>"$dir/err"; rc=$?
[ $rc -eq 1 ] && grep -q '"code":"key_invalid"' "$dir/err" && ! grep -q zz "$dir/err"; check "bad key file" $?

td='{"types":{"T":[{"name":"a","type":"uint8"}]},"primaryType":"T","domain":{},"message":{"a":1}}'
out=$(printf '%s' "$td" | "$nw" sign-typed-data --key-file "$dir/key"); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q '^{"signature":"0x[0-9a-f]\{130\}","address":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","hash":"0x[0-9a-f]\{64\}"}$'
check "sign-typed-data" $?
out2=$(printf '{"key":"0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318","typedData":%s}\n' "$td" |
    "$nw" sign-typed-data --jsonl); rc=$?
[ $rc -eq 0 ] && [ "$out" = "$out2" ]; check "sign-typed-data --jsonl equals one-shot" $?
printf '{"types":{"T":[{"name":"a","type":"uint8"}]},"primaryType":"T","domain":{},"message":{}}' |
    "$nw" sign-typed-data --key-file "$dir/key" 2>"$dir/err"; rc=$?
[ $rc -eq 1 ] && grep -q '^{"error":{"code":"eip712_missing_field","message":".*T.a' "$dir/err"
check "sign-typed-data missing field" $?
printf '{"types":{"T":[{"name":"a","type":"uint256"}]},"primaryType":"T","domain":{},"message":{"a":100000000000000000000000000}}' |
    "$nw" sign-typed-data --key-file "$dir/key" 2>"$dir/err"; rc=$?
[ $rc -eq 1 ] && grep -q '"code":"eip712_int_literal"' "$dir/err"; check "sign-typed-data big literal" $?

"$nw" sign-message >/dev/null 2>&1; check "usage: no key" $(( $? == 2 ? 0 : 1 ))
"$nw" sign-message --key-file "$dir/key" --jsonl >/dev/null 2>&1; check "usage: key and jsonl" $(( $? == 2 ? 0 : 1 ))
"$nw" sign-typed-data --key-file "$dir/key" --hex >/dev/null 2>&1; check "usage: --hex on typed data" $(( $? == 2 ? 0 : 1 ))
"$nw" sign-typed-data --help | grep -q 'usage: nw sign-typed-data'; check "--help" $?
"$nw" sign-message --help | grep -q 'usage: nw sign-message'; check "--help" $?

[ $fails -eq 0 ] && echo "msg_cli: all passed" || echo "msg_cli: $fails failed"
exit $((fails > 0))

#!/bin/sh
# Issue 13 points 4, 7 and 8: key-file modes; commands that compose (sign-tx | decode-tx, raw
# hex arguments, `-` for stdin/stdout, value in wei and ether); verify-message,
# verify-typed-data and recover-tx (exit 1 with signature_mismatch). Usage: tx_cli.sh NW
set -u
nw=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
umask 077
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi; }
me=0x2c7536E3605D9C16a7a3D7b1898e529396a65c23 # eth-account's test key below
other=0x000000000000000000000000000000000000dEaD
printf '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n' >"$dir/key"

# Point 4: a key others can read is refused, naming the file and the chmod to run.
for mode in 644 640 604 660 606; do
    chmod $mode "$dir/key"
    "$nw" address --key-file "$dir/key" >/dev/null 2>"$dir/e"; rc=$?
    [ $rc -eq 1 ] && grep -q '"code":"key_file_mode"' "$dir/e" && grep -q "chmod 600 '$dir/key'" "$dir/e" &&
        grep -q "mode 0$mode" "$dir/e"
    check "key file mode $mode refused" $?
done
chmod 400 "$dir/key"
"$nw" address --key-file "$dir/key" >/dev/null; check "key file mode 400 accepted" $?
chmod 600 "$dir/key"
tx='{"nonce":7,"chainId":1,"to":"0x000000000000000000000000000000000000dEaD","gas":21000,"maxFeePerGas":2000000000,"maxPriorityFeePerGas":1000000000,"value":"1.5"}'
chmod 644 "$dir/key"
printf '%s' "$tx" | "$nw" sign-tx --key-file "$dir/key" >"$dir/o" 2>"$dir/e"; rc=$?
[ $rc -eq 1 ] && [ ! -s "$dir/o" ]; check "sign-tx refuses a readable key too" $?
chmod 600 "$dir/key"

# Point 7: sign-tx | decode-tx; the answer, raw hex on stdin, a hex argument, `-`.
printf '%s' "$tx" | "$nw" sign-tx --key-file "$dir/key" >"$dir/signed"; check "sign-tx" $?
raw=$(sed 's/.*"transaction_signed":"\(0x[0-9a-f]*\)".*/\1/' "$dir/signed")
printf '%s' "$tx" | "$nw" sign-tx --key-file "$dir/key" | "$nw" decode-tx >"$dir/d1"; check "sign-tx | decode-tx" $?
echo "$raw" | "$nw" decode-tx >"$dir/d2" && cmp -s "$dir/d1" "$dir/d2"; check "decode-tx: hex on stdin" $?
"$nw" decode-tx "$raw" >"$dir/d3" && cmp -s "$dir/d1" "$dir/d3"; check "decode-tx RAW_HEX argument" $?
"$nw" decode-tx "${raw#0x}" >"$dir/d4" && cmp -s "$dir/d1" "$dir/d4"; check "decode-tx hex without 0x" $?
"$nw" decode-tx - <"$dir/signed" >"$dir/d5" && cmp -s "$dir/d1" "$dir/d5"; check "decode-tx - reads stdin" $?
grep -q '"valueWei":"1500000000000000000"' "$dir/d1" && grep -q '"valueEther":"1.5"' "$dir/d1" &&
    grep -q '"value":"0x14d1120d7b160000"' "$dir/d1" && grep -q "\"from\":\"$me\"" "$dir/d1"
check "decode-tx: value in wei (decimal and quantity) and ether, from" $?
printf '%s' "$tx" >"$dir/tx.json"
"$nw" sign-tx --key-file "$dir/key" "$dir/tx.json" | cmp -s - "$dir/signed"; check "sign-tx TX.json" $?
"$nw" sign-tx --key-file "$dir/key" - <"$dir/tx.json" | cmp -s - "$dir/signed"; check "sign-tx -" $?
"$nw" decode-tx zz 2>"$dir/e"; rc=$?
[ $rc -eq 1 ] && grep -q '"code":"hex_char"' "$dir/e"; check "decode-tx bad hex: exit 1" $?
echo '{"transaction_hash":"0x00"}' | "$nw" decode-tx 2>"$dir/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'transaction_signed' "$dir/e"; check "decode-tx JSON without transaction_signed" $?
# decode-tx's object signs again to the same bytes with --format rpc, for every type.
"$nw" decode-tx "$raw" | "$nw" sign-tx --format rpc --key-file "$dir/key" >"$dir/again" 2>"$dir/e" &&
    cmp -s "$dir/again" "$dir/signed"
check "decode-tx | sign-tx --format rpc: the same bytes (type 2)" $?
for t in \
    '{"nonce":1,"gasPrice":"0x3b9aca00","gas":21000,"to":"0x000000000000000000000000000000000000dEaD","value":"0.000000000000000001","chainId":5}' \
    '{"type":1,"nonce":2,"gasPrice":1,"gas":50000,"to":"0x000000000000000000000000000000000000dEaD","value":0,"data":"0x1234","chainId":1,"accessList":[{"address":"0x000000000000000000000000000000000000dEaD","storageKeys":["0x0000000000000000000000000000000000000000000000000000000000000001"]}]}' \
    '{"type":2,"nonce":3,"maxFeePerGas":2,"maxPriorityFeePerGas":1,"gas":90000,"data":"0x6000","value":0,"chainId":1}' \
    '{"type":3,"nonce":4,"maxFeePerGas":2,"maxPriorityFeePerGas":1,"maxFeePerBlobGas":3,"gas":90000,"to":"0x000000000000000000000000000000000000dEaD","value":0,"chainId":1,"blobVersionedHashes":["0x0100000000000000000000000000000000000000000000000000000000000001"]}'; do
    printf '%s' "$t" | "$nw" sign-tx --key-file "$dir/key" >"$dir/s1" 2>"$dir/e" &&
        "$nw" decode-tx <"$dir/s1" | "$nw" sign-tx --format rpc --key-file "$dir/key" >"$dir/s2" 2>>"$dir/e" &&
        cmp -s "$dir/s1" "$dir/s2"
    check "round trip through --format rpc: $(echo "$t" | cut -c1-40)..." $?
done
"$nw" decode-tx "$raw" | sed 's/"from":"0x[0-9a-fA-F]*"/"from":"0x000000000000000000000000000000000000dEaD"/' |
    "$nw" sign-tx --format rpc --key-file "$dir/key" >/dev/null 2>"$dir/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'from' "$dir/e"; check "--format rpc: a from of someone else is refused" $?

# decode-tx flags what the network would refuse: valid true, or false with the reasons (the
# EIP-155 example with s replaced by n - s and v flipped: the same signer, a high s, EIP-2).
grep -q '"valid":true' "$dir/d1"; check "decode-tx: valid true" $?
eip155=0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83
if command -v python3 >/dev/null 2>&1; then
    high=$(python3 -c '
import sys
b = bytearray.fromhex(sys.argv[1][2:])
n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141
s = int.from_bytes(b[-32:], "big")
b[-32:] = (n - s).to_bytes(32, "big")
b[-67] ^= 0x25 ^ 0x26
print("0x" + b.hex())' "$eip155")
    "$nw" decode-tx "$high" >"$dir/h" 2>"$dir/e"; rc=$?
    [ $rc -eq 0 ] && grep -q '"valid":false' "$dir/h" && grep -q '"code":"tx_high_s"' "$dir/h" &&
        "$nw" decode-tx "$eip155" | grep -q "$(sed 's/.*"from":"\([^"]*\)".*/\1/' "$dir/h")"
    check "decode-tx: a high-s signature is valid:false with its reason" $?
fi

# keygen --out -: the key on stdout, no file named "-".
(cd "$dir" && "$nw" keygen --out - >"$dir/k2.txt") && [ ! -e "$dir/-" ] &&
    grep -q '^[0-9a-f]\{64\}$' "$dir/k2.txt" && [ "$(wc -l <"$dir/k2.txt")" -eq 1 ]
check "keygen --out - writes the key to stdout" $?
"$nw" keygen --out "$dir/k3" >"$dir/o" && [ "$(stat -c %a "$dir/k3")" = 600 ] && grep -q '"key_file"' "$dir/o"
check "keygen --out FILE (0600)" $?
"$nw" keygen --out "$dir/k3" >/dev/null 2>"$dir/e"; rc=$?
[ $rc -eq 1 ] && grep -q '"code":"exists"' "$dir/e"; check "keygen never overwrites" $?
ln -s "$dir/target" "$dir/link"
"$nw" keygen --out "$dir/link" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && [ ! -e "$dir/target" ]; check "keygen does not follow a planted link" $?

# Point 8: verification, as cast wallet verify.
"$nw" recover-tx "$raw" >"$dir/o"; rc=$?
[ $rc -eq 0 ] && grep -q "\"signer\":\"$me\"" "$dir/o"; check "recover-tx" $?
"$nw" recover-tx --address "$me" <"$dir/signed" | grep -q '"valid":true'; check "recover-tx --address (match)" $?
"$nw" recover-tx --address "$other" "$raw" >"$dir/o" 2>"$dir/e"; rc=$?
[ $rc -eq 1 ] && [ ! -s "$dir/o" ] && grep -q '"code":"signature_mismatch"' "$dir/e" && grep -q "$me" "$dir/e"
check "recover-tx --address (someone else): exit 1 signature_mismatch" $?
"$nw" recover-tx --address 0x1234 "$raw" >/dev/null 2>&1; check "recover-tx bad --address: exit 2" $(( $? == 2 ? 0 : 1 ))

printf 'hello nw' | "$nw" sign-message --key-file "$dir/key" >"$dir/m"
sig=$(sed 's/.*"signature":"\(0x[0-9a-f]*\)".*/\1/' "$dir/m")
printf 'hello nw' | "$nw" verify-message --address "$me" --signature "$sig" | grep -q '"valid":true'
check "verify-message (match)" $?
printf 'hello nW' | "$nw" verify-message --address "$me" --signature "$sig" 2>"$dir/e"; rc=$?
[ $rc -eq 1 ] && grep -q '"code":"signature_mismatch"' "$dir/e"; check "verify-message: another message, exit 1" $?
printf 'hello nw' | "$nw" verify-message --address "$other" --signature "$sig" 2>"$dir/e"; rc=$?
[ $rc -eq 1 ] && grep -q '"code":"signature_mismatch"' "$dir/e"; check "verify-message: another address, exit 1" $?
echo 0x68656c6c6f206e77 | "$nw" verify-message --hex --address "$me" --signature "$sig" | grep -q '"valid":true'
check "verify-message --hex" $?
# v as 0/1 is accepted too (last byte 1b/1c -> 00/01)
v01=$(echo "$sig" | sed 's/1b$/00/; s/1c$/01/')
printf 'hello nw' | "$nw" verify-message --address "$me" --signature "$v01" | grep -q '"valid":true'
check "verify-message: v 0/1" $?
printf 'hello nw' | "$nw" verify-message --address "$me" --signature 0x1234 >/dev/null 2>&1
check "verify-message: short signature is a usage error" $(( $? == 2 ? 0 : 1 ))
td='{"types":{"EIP712Domain":[{"name":"name","type":"string"}],"Mail":[{"name":"to","type":"address"},{"name":"amount","type":"uint256"}]},"primaryType":"Mail","domain":{"name":"nw"},"message":{"to":"0x000000000000000000000000000000000000dEaD","amount":"1000"}}'
printf '%s' "$td" >"$dir/td.json"
tsig=$("$nw" sign-typed-data --key-file "$dir/key" "$dir/td.json" | sed 's/.*"signature":"\(0x[0-9a-f]*\)".*/\1/')
"$nw" verify-typed-data --address "$me" --signature "$tsig" "$dir/td.json" | grep -q '"valid":true'
check "verify-typed-data (match)" $?
sed 's/"1000"/"1001"/' "$dir/td.json" | "$nw" verify-typed-data --address "$me" --signature "$tsig" 2>"$dir/e"
rc=$?
[ $rc -eq 1 ] && grep -q '"code":"signature_mismatch"' "$dir/e"; check "verify-typed-data: changed amount, exit 1" $?

[ $fails -eq 0 ] && echo "tx_cli: all passed" || echo "tx_cli: $fails failed"
exit $((fails > 0))

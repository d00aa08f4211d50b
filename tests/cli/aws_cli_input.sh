#!/bin/sh
# CLI checks of `nw kms` / `nw secrets` / `nw attestation` input handling that need no endpoint
# nor data: input that cannot be sent as given must be refused, never silently dropped or clamped.
# Usage: aws_cli_input.sh NW
set -u
nw=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
check() { # check NAME CONDITION-RESULT
    if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}
# No AWS settings at all, so nothing can reach a network even if a check is missing.
run() { env -i PATH="$PATH" "$nw" "$@"; }

bad=$(printf 'a=\377')
run kms encrypt --key-id k --context "$bad" </dev/null >/dev/null 2>&1; rc=$?
check "kms encrypt: non-UTF-8 --context value is a usage error" $(( rc == 2 ? 0 : 1 ))
bad=$(printf '\377=v')
run kms decrypt --context "$bad" </dev/null >/dev/null 2>&1; rc=$?
check "kms decrypt: non-UTF-8 --context key is a usage error" $(( rc == 2 ? 0 : 1 ))

printf 'Zq7plain\377' | run secrets create-secret --name n --secret-string - >/dev/null 2>"$dir/err"; rc=$?
[ $rc -eq 1 ] && grep -q '^{"error":{"code":"invalid_arg"' "$dir/err" && ! grep -q Zq7plain "$dir/err"
check "secrets create: non-UTF-8 value refused, not dropped" $?

bad=$(printf 'AWSPREVIOUS\377')
run secrets get-secret-value --secret-id n --version-stage "$bad" </dev/null >/dev/null 2>&1; rc=$?
check "secrets get: non-UTF-8 --version-stage is a usage error (not AWSCURRENT)" $(( rc == 2 ? 0 : 1 ))
bad=$(printf 'd\377')
run kms create-key --description "$bad" </dev/null >/dev/null 2>&1; rc=$?
check "kms create-key: non-UTF-8 --description is a usage error" $(( rc == 2 ? 0 : 1 ))
printf '{"Version":"2012-10-17","Statement":[{"Sid":"\377"}]}' >"$dir/policy"
run kms create-key --policy "$dir/policy" </dev/null >/dev/null 2>"$dir/err"; rc=$?
[ $rc -eq 1 ] && grep -q '^{"error":{"code":"invalid_arg"' "$dir/err"
check "kms create-key: non-UTF-8 policy file refused (never the default policy)" $?

# nw attestation verify: an out-of-range integer option is refused, never clamped to INT64_MAX
run attestation verify --doc "$dir/none" --at 99999999999999999999 >/dev/null 2>&1; rc=$?
check "attestation verify: --at beyond int64 is a usage error" $(( rc == 2 ? 0 : 1 ))
run attestation verify --doc "$dir/none" --max-age-ms 99999999999999999999 >/dev/null 2>&1; rc=$?
check "attestation verify: --max-age-ms beyond int64 is a usage error" $(( rc == 2 ? 0 : 1 ))

[ $fails -eq 0 ]

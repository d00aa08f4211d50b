#!/bin/sh
# Canary check: runs an AWS test program (which signs and sends requests with a distinctive
# secret key and session token, including failing ones) and fails if the raw, hex or base64 form
# of either canary appears anywhere in its captured output.
# usage: aws_canary.sh PROGRAM [ARGS...]
set -u
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" >"$out" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
    cat "$out"
    echo "aws_canary: program failed with $rc"
    exit 1
fi
status=0
for canary in 'nwCanarySecretKey/7f3a9c1e5b+QqZ0wXyYvU' \
              'nwCanarySessionToken//AQoDYXdzEJr+9f8e7d6c5b4a3'; do
    hex=$(printf '%s' "$canary" | od -An -tx1 | tr -d ' \n')
    b64=$(printf '%s' "$canary" | base64 -w0)
    b64url=$(printf '%s' "$canary" | base64 -w0 | tr '+/' '-_')
    for form in "$canary" "$hex" "$b64" "$b64url" "$(printf '%s' "$canary" | cut -c1-20)"; do
        if grep -qiF -- "$form" "$out"; then
            echo "aws_canary: a canary form appears in the output: ${form%"${form#????}"}..."
            status=1
        fi
    done
done
[ "$status" -eq 0 ] && echo "aws_canary: no canary in $(wc -c <"$out") bytes of output"
exit $status

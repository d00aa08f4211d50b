#!/bin/sh
# nw-proxy exits 2 for a bad listen address (docs/proxy.md: bad configuration exits 2), whether
# the address is malformed, does not resolve, or cannot be bound; loopback and temp paths only.
set -u
p=$1
fail() { echo "FAIL: $*"; exit 1; }
check() { # args...
    timeout 10 "$p" "$@" >/dev/null 2>"$tmp/err"
    rc=$?
    [ "$rc" = 2 ] || fail "exit $rc, want 2, for $*: $(cat "$tmp/err")"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check --listen tcp:127.0.0.1:0x --connect tcp:127.0.0.1:1
check --listen tcp:nosuchhost.invalid:80 --connect tcp:127.0.0.1:1
check --listen tcp:192.0.2.1:8080 --connect tcp:127.0.0.1:1
check --listen "unix:$tmp/no/such/dir/s" --connect tcp:127.0.0.1:1
printf 'allowlist:\n- {address: "127.0.0.1\\0evil", port: 1}\n' >"$tmp/a.yaml"
check --listen "unix:$tmp/s" --connect tcp:127.0.0.1:1 --config "$tmp/a.yaml"
grep -q NW_ERR_PROXY_NUL "$tmp/err" || fail "NUL: $(cat "$tmp/err")"
echo ok

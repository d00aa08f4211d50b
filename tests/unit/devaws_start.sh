#!/bin/sh
# nw-devaws start-up (issue 13 item 12), the real binary on loopback: a state directory writable
# by others is refused; a second instance on the same directory is refused while the first
# runs; a restart reuses the previous ports; the start-up line says ". DIR/env".
set -u
dv=$1
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/log1" ] && cat "$tmp/log1"; exit 1; }
d=$tmp/state
mkdir -m 0777 "$d"
if "$dv" --state "$d" >/dev/null 2>"$tmp/err"; then fail "world-writable state accepted"; fi
grep -q 'devaws_state_perms' "$tmp/err" || fail "perms message: $(cat "$tmp/err")"
grep -q 'chmod go-w' "$tmp/err" || fail "no chmod advice: $(cat "$tmp/err")"
chmod 0700 "$d"

start() { # log file; waits for DIR/env to be (re)written
    rm -f "$d/env"
    "$dv" --state "$d" 2>"$1" &
    pid=$!
    i=0
    while [ ! -s "$d/env" ]; do
        i=$((i + 1))
        [ $i -gt 300 ] && fail "no env after 30 s"
        kill -0 "$pid" 2>/dev/null || fail "nw-devaws exited: $(cat "$1")"
        sleep 0.1
    done
}
start "$tmp/log1"
grep -q "\. $d/env" "$tmp/log1" || fail "start-up line lacks '. $d/env'"
ports1=$(cat "$d/ports.json")
if "$dv" --state "$d" >/dev/null 2>"$tmp/err2"; then fail "second instance ran"; fi
grep -q 'devaws_locked' "$tmp/err2" || fail "second instance message: $(cat "$tmp/err2")"
[ "$(cat "$d/ports.json")" = "$ports1" ] || fail "second instance touched ports.json"
kill "$pid"; wait "$pid" 2>/dev/null; pid=
start "$tmp/log2"
ports2=$(cat "$d/ports.json")
[ "$ports1" = "$ports2" ] || fail "ports changed on restart: $ports1 -> $ports2"
echo ok

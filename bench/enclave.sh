#!/bin/sh
# nw-enclave's figures (issue 10), on the dev stack (scripts/demo --keep) built in release:
#  - warm sign_transaction frames per second over unix:, 1 and 8 connections (bench_frames, key
#    by id, key cache warm, audit required through the nw-proxy pair to PostgreSQL), against the
#    core library's in-process rate measured in the same run (bench_sign: one thread; the 8
#    connection figure is compared with that rate times the cores, min(8, nproc));
#    target >= 0.7;
#  - the same warm 8-connection rate with audit "off" (a second stack), and the ratio
#    required/off (target >= 0.5);
#  - nw-enclave's resident memory (VmRSS, VmHWM) after --signatures N signatures
#    (default 100000; target < 16 MiB);
#  - the cold path: KMS Decrypt with Recipient through the relay to nw-devaws, warm Recipient
#    key, median and p99 (bench_vault; target median < 20 ms), beside the seed's per-request
#    RSA-2048 generation.
# usage: bench/enclave.sh [--bin DIR] [--no-build] [--seconds N] [--signatures N] [--no-cold]
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
bin=build/release build=1 secs=10 sigs=100000 cold=1
usage() {
    echo "usage: bench/enclave.sh [--bin DIR] [--no-build] [--seconds N] [--signatures N] [--no-cold]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin=$2; shift ;;
        --no-build) build=0 ;;
        --seconds) secs=$2; shift ;;
        --signatures) sigs=$2; shift ;;
        --no-cold) cold=0 ;;
        *) usage ;;
    esac
    shift
done
case $bin in /*) ;; *) bin=$root/$bin ;; esac
if [ $build = 1 ]; then
    preset=$(basename "$bin")
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j2 --target nw nw-devaws nw-proxy nw-enclave nw-host \
        bench_frames bench_sign bench_vault kms_relay_driver >/dev/null
fi
tmp=$(mktemp -d)
chmod 755 "$tmp"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
state=
stop_stack() { [ -z "$state" ] || scripts/demo stop --state "$state" >/dev/null 2>&1 || true; }
cleanup() { stop_stack; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_stack AUDIT: a fresh stack in $tmp/AUDIT; sets key_id, enclave addr and pid.
start_stack() {
    stop_stack
    state=$tmp/$1
    echo "== starting the stack (audit $1, $bin)" >&2
    scripts/demo --no-build --keep --json --state "$state" --port "$port" --bin "$bin" \
        --audit "$1" >"$tmp/demo-$1.json"
    # shellcheck disable=SC1091
    . "$state/stack.env"
    key_id=$(curl -sS --cacert "$NW_CA_BUNDLE" -H 'Content-Type: application/json' -d '{}' \
        "$NW_URL/v1/keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')
    enclave=$NW_ENCLAVE_ADDR
    pid=$(awk '$1 == "nw-enclave" { p = $2 } END { print p }' "$state/pids")
    if [ -z "$pid" ] || [ ! -d "/proc/$pid" ]; then echo "bench/enclave.sh: no nw-enclave PID" >&2; exit 1; fi
    "$bin/bench/bench_frames" "$enclave" "$key_id" 1 1 >/dev/null # warm the key cache
}
# frames CONNECTIONS SECONDS: one JSON line {rate, p50_ms, p99_ms, errors}
frames() { "$bin/bench/bench_frames" "$enclave" "$key_id" "$1" "$2"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

cores=$(nproc)
[ "$cores" -lt 8 ] || cores=8
echo "== core library in-process rate (bench_sign, one thread)" >&2
inproc=$("$bin/bench/bench_sign" | sed -n 's/^library sign-tx.*: \([0-9.]*\) ops\/s.*/\1/p')
[ -n "$inproc" ] || { echo "bench/enclave.sh: bench_sign printed no rate" >&2; exit 1; }

start_stack required
echo "== audit required: 1 connection, ${secs}s" >&2
req1=$(frames 1 "$secs")
echo "== audit required: 8 connections, ${secs}s" >&2
req8=$(frames 8 "$secs")
done_sigs=$(python3 -c "import json,sys; a,b=(json.loads(x) for x in sys.argv[1:3]); print(int((a['rate']+b['rate'])*$secs))" "$req1" "$req8")
if [ "$done_sigs" -lt "$sigs" ]; then
    # 20 % more time than the measured rate needs, so the count does not fall short
    more=$(python3 -c "import math,sys; print(max(1, math.ceil(1.2 * ($sigs - $done_sigs) / float(sys.argv[1]))))" "$(field "$req8" rate)")
    echo "== $((sigs - done_sigs)) more signatures for the memory figure (8 connections, ${more}s)" >&2
    extra=$(frames 8 "$more")
    done_sigs=$((done_sigs + $(python3 -c "import json,sys; print(int(json.loads(sys.argv[1])['rate']*$more))" "$extra")))
fi
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")

start_stack off
echo "== audit off: 8 connections, ${secs}s" >&2
off8=$(frames 8 "$secs")
stop_stack
state=

python3 - "$inproc" "$req1" "$req8" "$off8" "$cores" "$done_sigs" "$rss" "$hwm" <<'PY'
import json, sys
inproc = float(sys.argv[1])
r1, r8, o8 = (json.loads(x) for x in sys.argv[2:5])
cores, sigs, rss, hwm = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
print("core library in-process (1 thread):          %8.0f sig/s" % inproc)
for name, r in (("1 connection, audit required", r1), ("8 connections, audit required", r8),
                ("8 connections, audit off", o8)):
    print("enclave frames over unix:, %-30s %6.0f sig/s  p50 %.2f ms  p99 %.2f ms  errors %d"
          % (name + ":", r["rate"], r["p50_ms"], r["p99_ms"], r["errors"]))
print("ratio 1 connection / in-process 1 thread:       %.2f (target >= 0.7)" % (r1["rate"] / inproc))
print("ratio 8 connections / in-process x %d cores:     %.2f (target >= 0.7)"
      % (cores, r8["rate"] / (inproc * cores)))
print("ratio 8 connections audit off / in-process x %d: %.2f (the enclave's own cost, no database)"
      % (cores, o8["rate"] / (inproc * cores)))
print("ratio audit required / audit off (8 conns):     %.2f (target >= 0.5)" % (r8["rate"] / o8["rate"]))
print("nw-enclave memory after %d signatures: VmRSS %.1f MiB, VmHWM %.1f MiB (target < 16 MiB)"
      % (sigs, rss / 1024.0, hwm / 1024.0))
PY

if [ $cold = 1 ]; then
    echo "== cold path: KMS Recipient decrypt through the relay (bench_vault)" >&2
    "$bin/bench/bench_vault" "$bin/src/devaws/nw-devaws" "$bin/tests/kms_relay_driver" --n 200 --rsa 10
fi

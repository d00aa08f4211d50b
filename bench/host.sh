#!/bin/sh
# nw-host throughput and latency over the full dev stack on loopback (scripts/demo --keep):
# HTTPS POST /v1/transactions/sign by key id with keep-alive (wrk, warm key cache) against the
# enclave's framed rate from the same run (bench_frames on its unix: socket, same connection
# count), and the seed's path (POST / by secret_id, warm). Prints the figures and ratios
# (targets: HTTPS >= 0.5 of the framed rate on 2 cores; p99 < 5 ms at about half the peak).
# usage: bench/host.sh [--bin DIR] [--no-build] [--seconds N] [--connections N]
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
bin=build/release build=1 secs=10 conns=8
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin=$2; shift ;;
        --no-build) build=0 ;;
        --seconds) secs=$2; shift ;;
        --connections) conns=$2; shift ;;
        *) echo "usage: bench/host.sh [--bin DIR] [--no-build] [--seconds N] [--connections N]" >&2; exit 2 ;;
    esac
    shift
done
case $bin in /*) ;; *) bin=$root/$bin ;; esac
command -v wrk >/dev/null || { echo "bench/host.sh: wrk not installed (scripts/deps)" >&2; exit 1; }
if [ $build = 1 ]; then
    preset=$(basename "$bin")
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j2 --target nw nw-devaws nw-proxy nw-enclave nw-host \
        bench_frames >/dev/null
fi
tmp=$(mktemp -d)
chmod 755 "$tmp"
state=$tmp/state
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { scripts/demo stop --state "$state" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "== starting the stack ($bin)" >&2
scripts/demo --no-build --keep --json --state "$state" --port "$port" --bin "$bin" >"$tmp/demo.json"
. "$state/stack.env"
url=$NW_URL
hcurl() { curl -sS --cacert "$NW_CA_BUNDLE" -H 'Content-Type: application/json' "$@"; }
key_id=$(hcurl -d '{}' "$url/v1/keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')
payload='{"value":0.01,"to":"0xa5D3241A1591061F2a4bB69CA0215F66520E67cf","nonce":0,"type":2,"chainId":4,"gas":100000,"maxFeePerGas":100000000000,"maxPriorityFeePerGas":3000000000}'
printf '{"key_id":"%s","transaction_payload":%s}' "$key_id" "$payload" >"$tmp/by-id.json"
printf '{"secret_id":"%s","transaction_payload":%s}' "$NW_SECRET_ID" "$payload" >"$tmp/seed.json"
for f in by-id seed; do
    cat >"$tmp/$f.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$tmp/$f.json", "r")
wrk.body = f:read("*a")
f:close()
LUA
done
hcurl --data-binary "@$tmp/by-id.json" "$url/v1/transactions/sign" >/dev/null # warm the cache
hcurl --data-binary "@$tmp/seed.json" "$url/" >/dev/null

# wrk_run NAME PATH CONNECTIONS: one JSON line {rate, p50_ms, p99_ms, errors}
wrk_run() {
    t=2; [ "$3" -ge 2 ] || t=1
    wrk -t$t -c"$3" -d"${secs}s" --latency -s "$tmp/$1.lua" "$url$2" >"$tmp/wrk.out" 2>&1
    python3 - "$tmp/wrk.out" <<'PY'
import json, re, sys
t = open(sys.argv[1]).read()
def ms(v, u):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[u]
lat = dict((p, ms(v, u)) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", t, re.M))
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
errs = re.search(r"Socket errors: .*", t)
print(json.dumps({"rate": rate, "p50_ms": lat.get("50"), "p99_ms": lat.get("99"),
                  "errors": int(non2xx.group(1)) if non2xx else 0,
                  "socket_errors": errs.group(0) if errs else None}))
PY
}
enclave=$NW_ENCLAVE_ADDR
echo "== enclave framed rate: bench_frames $conns connections, ${secs}s" >&2
framed=$("$bin/bench/bench_frames" "$enclave" "$key_id" "$conns" "$secs")
echo "== HTTPS POST /v1/transactions/sign by key id: wrk -c$conns, ${secs}s" >&2
https=$(wrk_run by-id /v1/transactions/sign "$conns")
echo "== HTTPS at low load: wrk -c1, ${secs}s" >&2
https1=$(wrk_run by-id /v1/transactions/sign 1)
echo "== the seed's path: POST / by secret_id, wrk -c$conns, ${secs}s" >&2
seed=$(wrk_run seed / "$conns")
python3 - "$framed" "$https" "$https1" "$seed" "$conns" <<'PY'
import json, sys
f, h, h1, s = (json.loads(x) for x in sys.argv[1:5])
c = sys.argv[5]
print("enclave framed (unix:, %s conns):   %8.0f sig/s  p50 %.2f ms  p99 %.2f ms" % (c, f["rate"], f["p50_ms"], f["p99_ms"]))
print("HTTPS /v1 by key id (%s conns):     %8.0f req/s  p50 %.2f ms  p99 %.2f ms  errors %d" % (c, h["rate"], h["p50_ms"], h["p99_ms"], h["errors"]))
print("HTTPS /v1 by key id (1 conn):       %8.0f req/s  p50 %.2f ms  p99 %.2f ms  (%.2f of the HTTPS peak)" % (h1["rate"], h1["p50_ms"], h1["p99_ms"], h1["rate"] / h["rate"]))
print("seed POST / by secret_id (%s conns): %8.0f req/s  p50 %.2f ms  p99 %.2f ms  errors %d" % (c, s["rate"], s["p50_ms"], s["p99_ms"], s["errors"]))
print("ratio HTTPS / framed: %.2f (target >= 0.5)" % (h["rate"] / f["rate"]))
print("ratio seed path / framed: %.2f" % (s["rate"] / f["rate"]))
PY

#!/usr/bin/env bash
# nw-proxy benchmark: prints figures for a direct connection, nw-proxy and socat (Debian; plain
# and with nodelay), all on loopback in the same run, with each relay's figure as a ratio to
# direct. Not a test. Needs root (PostgreSQL runs as the postgres user), socat, iperf3, pgbench.
#
#   bench/proxy.sh                 BENCH_SECONDS=N (default 3) per measurement, BENCH_ROUNDS=N (3)
#   NW_PROXY_ARGS="-w 2" bench/proxy.sh   extra nw-proxy options
#   BENCH_METRICS="rtt bulk" bench/proxy.sh   only some groups: bulk rtt conn halfclose pgbench
#                                             (default all; without pgbench no PostgreSQL is set up)
#
# Metrics: bulk throughput (iperf3, 1 and 4 streams) and the relay's CPU seconds per GB (1
# stream; utime+stime, children included for socat's forks); 64 B and 16 KiB round trips per
# second on 1 and 8 connections (bench/rtt.c); new connections per second; half-close
# correctness; pgbench -S through two relays in a chain (client -> relay -> relay -> postgres,
# the enclave's path) with 1 and 8 clients.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${BENCH_SECONDS:-3}
METRICS=" ${BENCH_METRICS:-bulk rtt conn halfclose pgbench} "
want() { [[ "$METRICS" == *" $1 "* ]]; }
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
for tool in socat iperf3 "$PGBIN/pgbench" "$PGBIN/initdb" cc python3; do
    command -v "$tool" >/dev/null || { echo "bench/proxy.sh: $tool missing (scripts/deps)" >&2; exit 1; }
done

cmake --preset release >/dev/null
cmake --build --preset release --target nw-proxy >/dev/null
NWP=$PWD/build/release/src/proxy/nw-proxy

T=$(mktemp -d /tmp/nwbench.XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -d "$T/pg" ]; then
        su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $T/pg -m immediate stop" >/dev/null 2>&1 || true
    fi
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
cc -O2 -pthread -o "$T/rtt" bench/rtt.c

freeport() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
    for _ in $(seq 1 200); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1).close()" 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    echo "bench: nothing listens on $1" >&2
    exit 1
}
cpu_ticks() { awk '{print $14+$15+$16+$17}' "/proc/$1/stat"; }
CLK=$(getconf CLK_TCK)

# relay KIND LISTEN_PORT TARGET_PORT: starts a relay, sets RPID.
relay() {
    # shellcheck disable=SC2086 # NW_PROXY_ARGS is a list of options, split on purpose
    case "$1" in
        nw-proxy) "$NWP" --listen "tcp:127.0.0.1:$2" --connect "tcp:127.0.0.1:$3" ${NW_PROXY_ARGS:-} \
                      2>>"$T/nw-proxy.log" & ;;
        socat) socat "TCP-LISTEN:$2,bind=127.0.0.1,fork,reuseaddr,backlog=4096" "TCP:127.0.0.1:$3" & ;;
        socat-nodelay) socat "TCP-LISTEN:$2,bind=127.0.0.1,fork,reuseaddr,backlog=4096,nodelay" \
                           "TCP:127.0.0.1:$3,nodelay" & ;;
    esac
    RPID=$!
    PIDS+=("$RPID")
    wait_port "$2"
}

# Backends: echo server, iperf3 server, PostgreSQL.
ECHO=$(freeport); "$T/rtt" server "$ECHO" & PIDS+=($!)
IPERF=$(freeport); iperf3 -s -p "$IPERF" >/dev/null 2>&1 & PIDS+=($!)
PG=$(freeport)
if want pgbench; then
mkdir "$T/pg" && chown postgres "$T/pg" && chmod 700 "$T/pg"
su postgres -s /bin/sh -c "$PGBIN/initdb -D $T/pg -A trust -U postgres" >/dev/null
su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $T/pg -l $T/pg/log -w -o '-p $PG -k $T/pg -c listen_addresses=127.0.0.1 -c max_connections=100' start" >/dev/null
"$PGBIN/pgbench" -q -i -s 10 -h 127.0.0.1 -p "$PG" -U postgres postgres >/dev/null 2>&1
fi
wait_port "$ECHO"
wait_port "$IPERF"

R=$T/results
: >"$R"
put() { echo "$1 $2 $3" >>"$R"; }

iperf() { # PORT STREAMS -> "bits_per_second bytes"
    iperf3 -c 127.0.0.1 -p "$1" -P "$2" -t "$SECS" -J |
        python3 -c 'import json,sys; j=json.load(sys.stdin)["end"]["sum_received"]; print(j["bits_per_second"], j["bytes"])'
}
pgb() { # PORT CLIENTS -> tps
    "$PGBIN/pgbench" -S -n -c "$2" -j "$2" -T "$SECS" -h 127.0.0.1 -p "$1" -U postgres postgres 2>/dev/null |
        awk '/^tps/ {print $3; exit}'
}

# Every relay kind gets its own relays to the three backends, all started up front; the
# measurements then interleave the kinds (rotating the order each round) so that load from
# other processes on the machine falls on all of them alike. Each figure is the median of
# BENCH_ROUNDS rounds (default 3).
KINDS="direct nw-proxy socat socat-nodelay"
declare -A EP IP PP IPID
EP[direct]=$ECHO; IP[direct]=$IPERF; PP[direct]=$PG
for k in nw-proxy socat socat-nodelay; do
    EP[$k]=$(freeport); relay "$k" "${EP[$k]}" "$ECHO"
    IP[$k]=$(freeport); relay "$k" "${IP[$k]}" "$IPERF"; IPID[$k]=$RPID
    if want pgbench; then
        mid=$(freeport); relay "$k" "$mid" "$PG"
        PP[$k]=$(freeport); relay "$k" "${PP[$k]}" "$mid"
    fi
done
ROUNDS=${BENCH_ROUNDS:-3}
order() { # round -> the kinds, rotated
    # shellcheck disable=SC2206 # KINDS is a space-separated list, split on purpose
    local r=$1 a=($KINDS) n=4 i
    for i in 0 1 2 3; do echo "${a[$(((i + r) % n))]}"; done
}
for r in $(seq 1 "$ROUNDS"); do
    echo "bench: round $r of $ROUNDS" >&2
    want bulk && for k in $(order "$r"); do
        c0=0
        [ "$k" != direct ] && c0=$(cpu_ticks "${IPID[$k]}")
        out=$(iperf "${IP[$k]}" 1)
        put "$k" bulk1_gbps "$(echo "$out" | awk '{print $1/1e9}')"
        if [ "$k" != direct ]; then
            sleep 0.3
            c1=$(cpu_ticks "${IPID[$k]}")
            put "$k" cpu_s_per_gb "$(echo "$out $c0 $c1 $CLK" | awk '{print ($4-$3)/$5/($2/1e9)}')"
        fi
    done
    want bulk && for k in $(order "$r"); do put "$k" bulk4_gbps "$(iperf "${IP[$k]}" 4 | awk '{print $1/1e9}')"; done
    want rtt && for s in 64 16384; do
        for c in 1 8; do
            for k in $(order "$r"); do
                put "$k" "rtt${s}B_c${c}" "$("$T/rtt" rtt "${EP[$k]}" "$s" "$c" "$SECS")"
            done
        done
    done
    want conn && for k in $(order "$r"); do put "$k" conn_per_s "$("$T/rtt" conn "${EP[$k]}" 4 "$SECS")"; done
    want halfclose && for k in $(order "$r"); do
        hc=1
        for _ in 1 2 3; do "$T/rtt" halfclose "${EP[$k]}" >/dev/null || hc=0; done
        put "$k" halfclose_ok "$hc"
    done
    want pgbench && for c in 1 8; do
        for k in $(order "$r"); do put "$k" "pgbench_c${c}_tps" "$(pgb "${PP[$k]}" "$c")"; done
    done
done

python3 - "$R" "$SECS" "${NW_PROXY_ARGS:-}" "$ROUNDS" <<'EOF'
import sys
rows = {}
order = []
for line in open(sys.argv[1]):
    k, m, v = line.split()
    rows.setdefault(m, {}).setdefault(k, []).append(float(v) if v else float("nan"))
    if m not in order:
        order.append(m)
import statistics
for m in rows:
    for k in rows[m]:
        vals = rows[m][k]
        rows[m][k] = min(vals) if m == "halfclose_ok" else statistics.median(vals)
kinds = ["direct", "nw-proxy", "socat", "socat-nodelay"]
labels = {
    "bulk1_gbps": "bulk 1 stream (Gbit/s)", "cpu_s_per_gb": "relay CPU s per GB (1 stream)",
    "bulk4_gbps": "bulk 4 streams (Gbit/s)", "rtt64B_c1": "64 B round trips/s, 1 conn",
    "rtt64B_c8": "64 B round trips/s, 8 conns", "rtt16384B_c1": "16 KiB round trips/s, 1 conn",
    "rtt16384B_c8": "16 KiB round trips/s, 8 conns", "conn_per_s": "new connections/s (4 threads)",
    "halfclose_ok": "half-close correct (3 tries a round)", "pgbench_c1_tps": "pgbench -S 2 hops, 1 client (tps)",
    "pgbench_c8_tps": "pgbench -S 2 hops, 8 clients (tps)",
}
print("nw-proxy benchmark, loopback, median of %s rounds of %s s per figure, nw-proxy args: '%s'"
      % (sys.argv[4], sys.argv[2], sys.argv[3]))
print("%-36s %12s %22s %22s %22s" % ("metric", *kinds))
for m in order:
    r = rows[m]
    cells = []
    for k in kinds:
        v = r.get(k)
        if v is None:
            cells.append("-")
        elif m == "halfclose_ok":
            cells.append("yes" if v == 1 else "NO")
        elif k == "direct" or m == "cpu_s_per_gb" or not r.get("direct"):
            cells.append("%.3g" % v)
        else:
            cells.append("%.3g (%.2f)" % (v, v / r["direct"]))
    print("%-36s %12s %22s %22s %22s" % (labels.get(m, m), *cells))
print("(ratio to direct in parentheses)")
EOF

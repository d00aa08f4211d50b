#!/bin/sh
# bench/store.sh [BUILD_DIR]: audit throughput of libnwstore against a throw-away PostgreSQL 15
# (tests/lib/pgtest.sh, TLS verify-full, fsync on): required (group commit) at 1 and 16 threads,
# best_effort and off at 16, and the ratios. Needs root. Not a test. SECS (default 5) per run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
bin=$build/tests/bench_store
[ -x "$bin" ] || bin=$(find "$build" -name bench_store -type f | head -n 1)
if [ -z "$bin" ] || [ ! -x "$bin" ]; then echo "bench_store not built in $build" >&2; exit 1; fi
secs=${SECS:-5}
t=$(mktemp -d /tmp/nw-store-bench.XXXXXX)
chmod 755 "$t"
trap 'rm -rf "$t"' EXIT
# shellcheck disable=SC2016  # the inner script expands its own positional arguments
"$here/../tests/lib/pgtest.sh" with "$t/pg" -- sh -c '
    set -e
    for run in "required 1" "required 16" "best_effort 16" "off 16"; do
        # shellcheck disable=SC2086
        "$0" $run "$1" | tee -a "$2/out"
    done' "$bin" "$secs" "$t"
awk '{ split($4, a, "="); r[$1 $2] = a[2] }
     END {
        printf "group commit: required@16 / required@1 = %.1f\n", r["requiredthreads=16"] / r["requiredthreads=1"]
        printf "required@16 / off@16 = %.4f\n", r["requiredthreads=16"] / r["offthreads=16"]
        printf "required@16 / best_effort@16 = %.2f\n", r["requiredthreads=16"] / r["best_effortthreads=16"]
     }' "$t/out"

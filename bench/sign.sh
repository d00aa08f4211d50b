#!/bin/sh
# Builds the release preset and prints the signing benchmark: EIP-1559 sign-tx through the
# library (JSON text -> parsed -> signed raw tx) versus libsecp256k1 signing a precomputed hash,
# single thread, same run, and their ratio (target >= 0.85).
set -eu
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target bench_sign >/dev/null
exec build/release/bench/bench_sign "$@"

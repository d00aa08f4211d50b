#!/bin/sh
# Builds the release preset and prints the vault's cold-path latency: KMS Decrypt with Recipient
# through the relay (kms_relay_driver -> nw-devaws), cache off, Recipient key warm, median and
# p99 (target: median < 20 ms), the same in direct mode, and the seed's per-request RSA-2048
# generation (nw_recipient_new) measured in the same run, with their ratio.
# Options go to bench_vault: --n N (relay samples, default 200), --rsa N (default 30), --quick.
set -eu
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target bench_vault nw-devaws kms_relay_driver >/dev/null
exec build/release/bench/bench_vault build/release/src/devaws/nw-devaws \
    build/release/tests/kms_relay_driver "$@"

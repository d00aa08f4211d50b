#!/bin/sh
# Turns the enclave root file system (build-rootfs.sh) into an enclave image file (EIF) with
# `docker build` (FROM scratch) and `nitro-cli build-enclave`, and reads its PCR0/1/2 from
# nitro-cli's own output: the PCR0 the KMS key policy needs (cdk deploy -c pcr0=...) comes from
# the image file, never from a running instance. Needs docker and nitro-cli (Amazon Linux:
# dnf install aws-nitro-enclaves-cli aws-nitro-enclaves-cli-devel); the tar can be copied from
# the Debian machine that built it.
#
# Usage: deploy/enclave/build-eif.sh [--rootfs-dir DIR] [--out FILE] [--tag NAME]
#   defaults: build/deploy/enclave, build/deploy/nitro-wallet.eif, nitro-wallet-enclave:latest
#   writes beside --out: eif-build.txt (nitro-cli's output) and pcrs.env (PCR0=.. PCR1=.. PCR2=..)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$top/build/deploy/enclave
out=$top/build/deploy/nitro-wallet.eif
tag=nitro-wallet-enclave:latest
while [ $# -gt 0 ]; do
    case "$1" in
        --rootfs-dir) dir=${2:?}; shift 2 ;;
        --out) out=${2:?}; shift 2 ;;
        --tag) tag=${2:?}; shift 2 ;;
        *) echo "build-eif: unknown option $1" >&2; exit 2 ;;
    esac
done
for f in enclave-rootfs.tar Dockerfile; do
    [ -f "$dir/$f" ] || { echo "build-eif: $dir/$f missing: run deploy/enclave/build-rootfs.sh" >&2; exit 1; }
done
for t in docker nitro-cli; do
    command -v "$t" >/dev/null || { echo "build-eif: $t not found (see the comment at the top)" >&2; exit 1; }
done
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$top" log -1 --format=%ct 2>/dev/null || echo 1)
fi
export SOURCE_DATE_EPOCH
docker build --platform linux/amd64 --build-arg SOURCE_DATE_EPOCH -t "$tag" "$dir"
odir=$(dirname "$out")
mkdir -p "$odir"
nitro-cli build-enclave --docker-uri "$tag" --output-file "$out" | tee "$odir/eif-build.txt"
"$top/scripts/aws/pcrs.sh" "$odir/eif-build.txt" >"$odir/pcrs.env"
echo "build-eif: $out; measurements in $odir/pcrs.env:" >&2
cat "$odir/pcrs.env" >&2

#!/bin/sh
# Builds every deployment artifact into build/deploy (what infra/ ships as assets):
#   release build -> enclave root file system -> EIF and its PCRs (needs docker + nitro-cli)
#   -> host TLS (once) -> host bundle -> Lambda zip with the host CA.
# Then prints the cdk deploy command with the image's PCR0.
#
# Usage: deploy/build.sh --rds-ca FILE [--skip-eif]
#   --rds-ca    the RDS CA bundle the enclave verifies the database with
#   --skip-eif  stop before the EIF (no nitro-cli here: copy build/deploy/enclave to a machine
#               that has it and run deploy/enclave/build-eif.sh there)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
rds_ca=""
skip_eif=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rds-ca) rds_ca=${2:?}; shift 2 ;;
        --skip-eif) skip_eif=1; shift ;;
        *) echo "build: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -n "$rds_ca" ] || { echo "build: --rds-ca FILE is required" >&2; exit 2; }
cd "$top"
cmake --preset release
cmake --build --preset release
deploy/enclave/build-rootfs.sh --build-dir build/release --rds-ca "$rds_ca"
if [ "$skip_eif" = 0 ]; then
    deploy/enclave/build-eif.sh
fi
scripts/aws/host-cert.sh
deploy/host/package.sh --build-dir build/release
deploy/lambda/stage.sh --zip build/release/src/lambda/nw-lambda.zip
if [ -f build/deploy/pcrs.env ]; then
    pcr0=$(sed -n 's/^PCR0=//p' build/deploy/pcrs.env)
    echo "build: done. Deploy with: (cd infra && npx cdk deploy -c pcr0=$pcr0 --outputs-file ../build/deploy/cdk-outputs.json)"
else
    echo "build: done except the EIF (build-eif.sh on a machine with nitro-cli)"
fi

#!/bin/sh
# Makes the Lambda asset: the nw-lambda deployment zip (bootstrap, lib/, loader: built by the
# nw-lambda-zip target) plus host-ca.pem at its root, the CA nw-lambda verifies nw-host with
# (NITRO_CA_CERT_PATH=/var/task/host-ca.pem). Writes build/deploy/lambda.zip.
#
# Usage: deploy/lambda/stage.sh [--zip FILE] [--ca FILE] [--out FILE]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
zip=$top/build/release/src/lambda/nw-lambda.zip
ca=$top/build/deploy/tls/ca.pem
out=$top/build/deploy/lambda.zip
while [ $# -gt 0 ]; do
    case "$1" in
        --zip) zip=${2:?}; shift 2 ;;
        --ca) ca=${2:?}; shift 2 ;;
        --out) out=${2:?}; shift 2 ;;
        *) echo "stage: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -f "$zip" ] || { echo "stage: $zip missing: cmake --build --preset release --target nw-lambda-zip" >&2; exit 1; }
[ -f "$ca" ] || { echo "stage: $ca missing: run scripts/aws/host-cert.sh" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
python3 - "$zip" "$ca" "$out.tmp" <<'PY'
import sys, zipfile
src, ca, out = sys.argv[1:4]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
    names = zin.namelist()
    if "bootstrap" not in names:
        sys.exit("stage: no bootstrap at the root of " + src)
    date = zin.getinfo("bootstrap").date_time
    for info in zin.infolist():
        if info.filename != "host-ca.pem":
            zout.writestr(info, zin.read(info.filename))
    ent = zipfile.ZipInfo("host-ca.pem", date_time=date)
    ent.external_attr = 0o100644 << 16
    ent.compress_type = zipfile.ZIP_DEFLATED
    with open(ca, "rb") as f:
        zout.writestr(ent, f.read())
PY
mv "$out.tmp" "$out"
echo "stage: $out ($(wc -c <"$out") bytes)" >&2

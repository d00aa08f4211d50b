#!/bin/sh
# Makes nw-host's TLS identity for an AWS deployment: a private CA (kept here, never uploaded)
# and a server certificate for the internal NLB's DNS name (*.elb.REGION.amazonaws.com: one
# label, which the NLB name is) signed by it. nw-lambda verifies nw-host with the CA
# (NITRO_CA_CERT_PATH); nothing skips verification.
#
# Usage: scripts/aws/host-cert.sh [--region R] [--out-dir DIR] [--days N] [--force]
#   region from --region, else CDK_DEPLOY_REGION; files in build/deploy/tls by default:
#   ca.pem, ca.key (0600, keep it offline), host.pem (host cert then CA), host.key (0600).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
region=${CDK_DEPLOY_REGION:-}
out=$top/build/deploy/tls
days=825
force=0
while [ $# -gt 0 ]; do
    case "$1" in
        --region) region=${2:?}; shift 2 ;;
        --out-dir) out=${2:?}; shift 2 ;;
        --days) days=${2:?}; shift 2 ;;
        --force) force=1; shift ;;
        *) echo "host-cert: unknown option $1" >&2; exit 2 ;;
    esac
done
case "$region" in
    '' | *[!a-z0-9-]*) echo "host-cert: give --region or CDK_DEPLOY_REGION (e.g. us-east-1)" >&2; exit 2 ;;
esac
if [ -f "$out/host.pem" ] && [ "$force" != 1 ]; then
    echo "host-cert: $out/host.pem exists (--force to replace)" >&2
    exit 0
fi
mkdir -p "$out"
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -days "$days" -subj "/CN=nitro-wallet host CA" -keyout "$out/ca.key" -out "$out/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -subj "/CN=nitro-wallet host" -keyout "$out/host.key" -out "$tmp/host.csr" 2>/dev/null
cat >"$tmp/ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:*.elb.$region.amazonaws.com,DNS:localhost,IP:127.0.0.1
EXT
openssl x509 -req -in "$tmp/host.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" -CAcreateserial \
    -days "$days" -sha256 -extfile "$tmp/ext" -out "$tmp/host.crt" 2>/dev/null
cat "$tmp/host.crt" "$out/ca.pem" >"$out/host.pem"
rm -f "$out/ca.srl"
chmod 0644 "$out/ca.pem" "$out/host.pem"
echo "host-cert: $out/host.pem for *.elb.$region.amazonaws.com, CA $out/ca.pem (keep ca.key offline)" >&2

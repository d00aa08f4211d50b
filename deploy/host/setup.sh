#!/bin/sh
# Sets up a parent instance (Amazon Linux 2023) once, from the user data: nitro-cli, the enclave
# allocator sized from the image, the nw-proxy allowlist for the RDS endpoint, nw-host's
# configuration, and three systemd units (nw-enclave-runner, nw-rds-relay, nw-host).
#
# Usage: setup.sh DEPLOY_ENV   (the KEY=VALUE file the user data writes: NW_REGION, NW_DEV,
#        NW_PCR0, NW_KMS_KEY_ARN, NW_RDS_SECRET_ARN, NW_RDS_HOST, NW_RDS_PORT, NW_ENCLAVE_CPUS, ...)
# Environment for tests: NW_ROOT (default /opt/nitro-wallet), NW_ETC (default /etc/nitro-wallet),
# NW_SYSTEMD_DIR, NW_ALLOCATOR_YAML, NW_SKIP_SYSTEM=1 (write files only: no dnf, useradd, systemctl).
set -eu
env_file=${1:?usage: setup.sh DEPLOY_ENV}
root=${NW_ROOT:-/opt/nitro-wallet}
etc=${NW_ETC:-/etc/nitro-wallet}
unit_dir=${NW_SYSTEMD_DIR:-/etc/systemd/system}
allocator=${NW_ALLOCATOR_YAML:-/etc/nitro_enclaves/allocator.yaml}
skip=${NW_SKIP_SYSTEM:-0}

log() {
    echo "nitro-wallet setup: $*" >&2
    if [ "$skip" != 1 ] && command -v logger >/dev/null; then logger -t nitro-wallet-setup -- "$*"; fi
}

# shellcheck disable=SC1090
. "$env_file"
: "${NW_REGION:?} ${NW_RDS_HOST:?} ${NW_RDS_PORT:?} ${NW_RDS_SECRET_ARN:?} ${NW_KMS_KEY_ARN:?}"
: "${NW_ENCLAVE_CPUS:=2}" "${NW_ENCLAVE_CID:=16}" "${NW_DEV:=0}"

eif=$root/enclave/nitro-wallet.eif
[ -f "$eif" ] || { log "missing $eif"; exit 1; }

# Enclave memory from the image: nitro-cli needs about four times the EIF size; 512 MiB more
# for nw-enclave's own use (threads, key cache, TLS); rounded up to 256 MiB.
eif_bytes=$(wc -c <"$eif")
mib=$(((eif_bytes * 4 + 1048575) / 1048576 + 512))
mib=$(((mib + 255) / 256 * 256))
log "enclave image $eif_bytes bytes: allocating ${mib} MiB and $NW_ENCLAVE_CPUS vCPUs"

if [ "$skip" != 1 ]; then
    dnf install -y -q aws-nitro-enclaves-cli jq
    id nitro-wallet >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin nitro-wallet
fi

mkdir -p "$(dirname "$allocator")" "$etc/tls"
cat >"$allocator" <<EOF
---
# Written by nitro-wallet setup.sh from the size of $eif.
memory_mib: $mib
cpu_count: $NW_ENCLAVE_CPUS
EOF
{
    echo "NW_ENCLAVE_MEMORY_MIB=$mib"
} >"$etc/runner.env"

# The RDS relay may reach exactly the RDS endpoint (nw-proxy's vsock-proxy allowlist).
cat >"$etc/rds-allowlist.yaml" <<EOF
allowlist:
- {address: $NW_RDS_HOST, port: $NW_RDS_PORT}
EOF

# nw-host: HTTPS on 443, enclave on vsock 16:5000, KMS relay on vsock 8000, database settings
# from the RDS secret at every enclave (re)connect; the enclave reaches the database through
# its own nw-proxy on 127.0.0.1:5432 and verifies it with the CA bundle inside the image.
install -m 0644 "$root/etc/tls/host.pem" "$etc/tls/host.pem"
install -m 0640 "$root/etc/tls/host.key" "$etc/tls/host.key"
cat >"$etc/nw-host.json" <<EOF
{
  "listen": "tcp:0.0.0.0:443",
  "tls-cert": "$etc/tls/host.pem",
  "tls-key": "$etc/tls/host.key",
  "enclave": "vsock:$NW_ENCLAVE_CID:5000",
  "kms-relay": "vsock:any:8000",
  "region": "$NW_REGION",
  "kms-mode": "relay",
  "kms-key-id": "$NW_KMS_KEY_ARN",
  "db-secret-id": "$NW_RDS_SECRET_ARN",
  "db-port": 5432,
  "db-sslrootcert": "/etc/nw/ca/rds.pem",
  "log-json": true
}
EOF

mkdir -p "$unit_dir"
for u in "$root"/share/systemd/*.service; do
    install -m 0644 "$u" "$unit_dir/$(basename "$u")"
done

if [ "$skip" != 1 ]; then
    chgrp nitro-wallet "$etc/tls/host.key"
    systemctl daemon-reload
    systemctl enable --now nitro-enclaves-allocator.service
    systemctl enable --now nw-enclave-runner.service nw-rds-relay.service nw-host.service
fi
if [ "$NW_DEV" = 1 ]; then
    log "DEV deployment: the enclave runs in debug mode (PCR0 all zeros, console readable by the parent)"
fi
log "done"

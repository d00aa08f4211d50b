#!/bin/sh
# Assembles the enclave image's root file system as a reproducible tar: nw-init (entry point),
# nw-enclave, nw-proxy, the shared libraries they load and the loader, the CA bundles (KMS,
# RDS) and the empty mount points the enclave's init fills. Nothing else: no shell, no
# package manager, no base image. Owners 0:0, fixed modes, every time SOURCE_DATE_EPOCH
# (default: the commit time of HEAD), entries sorted: two builds of the same binaries give the
# same bytes. Then copies the Dockerfile beside the tar, ready for `docker build` and
# `nitro-cli build-enclave` (deploy/enclave/build-eif.sh).
#
# Usage: deploy/enclave/build-rootfs.sh [--build-dir DIR] [--out-dir DIR] --rds-ca FILE
#            [--kms-ca FILE] [--programs "nw-init nw-enclave nw-proxy"] [--tree DIR]
#   --build-dir  CMake build tree with the binaries (default build/release)
#   --out-dir    where enclave-rootfs.tar and Dockerfile go (default build/deploy/enclave)
#   --rds-ca     CA bundle of the RDS certificates (the RDS global bundle), required
#   --kms-ca     CA bundle for KMS over TLS in direct mode (default: the Amazon roots from the
#                system's ca-certificates)
#   --programs   which binaries (tests leave out one not built yet)
#   --tree       also keep the assembled tree in DIR (tests chroot into it)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build_dir=$top/build/release
out_dir=$top/build/deploy/enclave
rds_ca=""
kms_ca=""
programs="nw-init nw-enclave nw-proxy"
keep_tree=""

die() {
    echo "build-rootfs: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || die "option $1 needs a value"
    case "$1" in
        --build-dir) build_dir=$2 ;;
        --out-dir) out_dir=$2 ;;
        --rds-ca) rds_ca=$2 ;;
        --kms-ca) kms_ca=$2 ;;
        --programs) programs=$2 ;;
        --tree) keep_tree=$2 ;;
        *) die "unknown option $1 (see the comment at the top of this script)" ;;
    esac
    shift 2
done

[ -n "$rds_ca" ] || die "--rds-ca FILE is required: the RDS CA bundle the enclave verifies the database with (download the global bundle from the RDS documentation's 'Using SSL/TLS' page)"
grep -q 'BEGIN CERTIFICATE' "$rds_ca" 2>/dev/null || die "--rds-ca $rds_ca: no PEM certificate in it"

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$top" log -1 --format=%ct 2>/dev/null || echo 1)
fi
case "$SOURCE_DATE_EPOCH" in
    '' | *[!0-9]*) die "SOURCE_DATE_EPOCH must be a number of seconds" ;;
esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM
root=$stage/root
mkdir -p "$root/bin" "$root/lib/x86_64-linux-gnu" "$root/lib64" "$root/etc/nw/ca" \
    "$root/dev" "$root/proc" "$root/sys" "$root/run" "$root/tmp"

# Where CMake puts each binary: src/<name without nw->/<name>.
find_bin() {
    p=$build_dir/src/${1#nw-}/$1
    [ -x "$p" ] || die "$p not found: build it first (cmake --preset release && cmake --build --preset release)"
    echo "$p"
}

# Copies the libraries a binary loads (as the dynamic loader resolves them) and the loader.
copy_libs() {
    ldd "$1" | while read -r name arrow path _; do
        case "$name" in
            linux-vdso.so.*) continue ;;
            /*) cp -L "$name" "$root/lib64/$(basename "$name")"; continue ;;
        esac
        if [ "$arrow" != "=>" ] || [ ! -f "$path" ]; then
            die "$1 needs $name, which the loader cannot find"
        fi
        cp -L "$path" "$root/lib/x86_64-linux-gnu/$name"
    done
}

for prog in $programs; do
    src=$(find_bin "$prog")
    cp "$src" "$root/bin/$prog"
    if readelf -l "$src" | grep -q 'Requesting program interpreter'; then
        copy_libs "$src"
    fi
done

if [ -n "$kms_ca" ]; then
    cp "$kms_ca" "$root/etc/nw/ca/kms.pem"
else
    moz=/usr/share/ca-certificates/mozilla
    for c in Amazon_Root_CA_1 Amazon_Root_CA_2 Amazon_Root_CA_3 Amazon_Root_CA_4 \
        Starfield_Services_Root_Certificate_Authority_-_G2; do
        [ -f "$moz/$c.crt" ] || die "$moz/$c.crt missing: install ca-certificates or give --kms-ca"
        cat "$moz/$c.crt"
    done >"$root/etc/nw/ca/kms.pem"
fi
cp "$rds_ca" "$root/etc/nw/ca/rds.pem"

# Fixed modes: directories and executables 0755 (the loader and libraries too), data 0644,
# /tmp sticky and world-writable.
find "$root" -type d -exec chmod 0755 {} +
find "$root/bin" "$root/lib" "$root/lib64" -type f -exec chmod 0755 {} +
find "$root/etc" -type f -exec chmod 0644 {} +
chmod 1777 "$root/tmp"

mkdir -p "$out_dir"
tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
    --mtime="@$SOURCE_DATE_EPOCH" -C "$root" -cf "$out_dir/enclave-rootfs.tar.tmp" .
mv "$out_dir/enclave-rootfs.tar.tmp" "$out_dir/enclave-rootfs.tar"
cp "$here/Dockerfile" "$out_dir/Dockerfile"
if [ -n "$keep_tree" ]; then
    rm -rf "$keep_tree"
    mkdir -p "$keep_tree"
    tar -C "$keep_tree" -xf "$out_dir/enclave-rootfs.tar"
fi
sum=$(sha256sum "$out_dir/enclave-rootfs.tar" | cut -d' ' -f1)
echo "build-rootfs: $out_dir/enclave-rootfs.tar sha256 $sum (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)" >&2

#!/bin/sh
# Packs the parent instance's software for Amazon Linux 2023 into one tar.gz (the CDK asset
# unpacked at /opt/nitro-wallet by the user data):
#   bin/      nw-host, nw-proxy, nw: program interpreter /opt/nitro-wallet/lib/ld-linux-x86-64.so.2
#             and DT_RPATH /opt/nitro-wallet/lib (patchelf), so they load the glibc and the
#             libraries they were built with (Debian 12, glibc 2.36), never AL2023's (2.34)
#   lib/      every library ldd resolves for them, and the loader
#   share/    setup.sh (run once by the user data), enclave-runner.sh, systemd units
#   etc/tls/  host.pem and host.key (nw-host's certificate; scripts/aws/host-cert.sh makes them)
# Reproducible like the enclave image: sorted entries, owners 0:0, SOURCE_DATE_EPOCH times,
# gzip without a name or time stamp.
#
# Usage: deploy/host/package.sh [--build-dir DIR] [--out FILE] [--tls-dir DIR] [--programs "..."]
#        [--prefix /opt/nitro-wallet]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build_dir=$top/build/release
out=$top/build/deploy/host-bundle.tar.gz
tls_dir=$top/build/deploy/tls
programs="nw-host nw-proxy nw"
prefix=/opt/nitro-wallet

die() {
    echo "package: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || die "option $1 needs a value"
    case "$1" in
        --build-dir) build_dir=$2 ;;
        --out) out=$2 ;;
        --tls-dir) tls_dir=$2 ;;
        --programs) programs=$2 ;;
        --prefix) prefix=$2 ;;
        *) die "unknown option $1" ;;
    esac
    shift 2
done
command -v patchelf >/dev/null || die "patchelf is missing (scripts/deps installs it)"
for f in host.pem host.key; do
    [ -f "$tls_dir/$f" ] || die "$tls_dir/$f missing: run scripts/aws/host-cert.sh first"
done
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$top" log -1 --format=%ct 2>/dev/null || echo 1)
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM
root=$stage/root
mkdir -p "$root/bin" "$root/lib" "$root/share/systemd" "$root/etc/tls"

bin_path() {
    case "$1" in
        nw) echo "$build_dir/src/cli/nw" ;;
        *) echo "$build_dir/src/${1#nw-}/$1" ;;
    esac
}

for prog in $programs; do
    src=$(bin_path "$prog")
    [ -x "$src" ] || die "$src not found: build it first (cmake --preset release && cmake --build --preset release)"
    ldd "$src" | while read -r name arrow path _; do
        case "$name" in
            linux-vdso.so.*) continue ;;
            /*) cp -L "$name" "$root/lib/$(basename "$name")"; continue ;;
        esac
        if [ "$arrow" != "=>" ] || [ ! -f "$path" ]; then
            die "$src needs $name, which the loader cannot find"
        fi
        cp -L "$path" "$root/lib/$name"
    done
    cp "$src" "$root/bin/$prog"
    patchelf --set-interpreter "$prefix/lib/ld-linux-x86-64.so.2" --force-rpath \
        --set-rpath "$prefix/lib" "$root/bin/$prog"
done
[ -f "$root/lib/ld-linux-x86-64.so.2" ] || die "no loader found for the programs"

cp "$here/setup.sh" "$here/enclave-runner.sh" "$root/share/"
cp "$here"/systemd/*.service "$root/share/systemd/"
cp "$tls_dir/host.pem" "$tls_dir/host.key" "$root/etc/tls/"

find "$root" -type d -exec chmod 0755 {} +
find "$root/bin" "$root/lib" -type f -exec chmod 0755 {} +
chmod 0755 "$root/share/setup.sh" "$root/share/enclave-runner.sh"
chmod 0644 "$root"/share/systemd/*.service "$root/etc/tls/host.pem"
chmod 0600 "$root/etc/tls/host.key"

mkdir -p "$(dirname "$out")"
tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
    --mtime="@$SOURCE_DATE_EPOCH" -C "$root" -cf - . | gzip -n -9 >"$out.tmp"
mv "$out.tmp" "$out"
echo "package: $out ($(wc -c <"$out") bytes)" >&2

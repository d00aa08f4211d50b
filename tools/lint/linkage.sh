#!/bin/sh
# The layer rules of DESIGN.md section 1, checked on the built artefacts (CTest lint.linkage):
#   - nw-proxy needs only libc, libyaml (and pthread): its DT_NEEDED entries and its undefined
#     dynamic symbols say so, and it holds no symbol of libnwcore, libnwaws, libnwattest, libnwsim;
#   - libnwbase uses no other nw library; libnwnet only libnwbase; libnwcore only libnwbase and
#     no I/O or randomness call;
#   - no development-only symbol (NSM simulator, development CA, SigV4 verifier) in libnwattest
#     or libnwaws.
# Usage: linkage.sh NM PROXY LIBDIR   (LIBDIR: the build tree holding src/<lib>/libnw<lib>.a)
set -u
nm=$1 proxy=$2 top=$3
status=0
fail() { echo "linkage: $*"; status=1; }
oneline() { printf '%s\n' "$1" | tr '\n' ' '; }
lib() { echo "$top/src/$1/libnw$1.a"; }
defs() { "$nm" -g --defined-only "$@" 2>/dev/null | awk 'NF == 3 {print $3}' | sort -u; }
undefs() { "$nm" -g --undefined-only "$@" 2>/dev/null | awk '{print $NF}' | sort -u; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for l in base net core aws attest sim; do
    [ -f "$(lib $l)" ] || { fail "missing $(lib $l)"; continue; }
    defs "$(lib $l)" > "$tmp/$l.defs"
    undefs "$(lib $l)" > "$tmp/$l.undefs"
done

# 1. nw-proxy: DT_NEEDED.
needed=$(readelf -d "$proxy" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for n in $needed; do
    case $n in
        libc.so.*|libyaml-0.so.*|libpthread.so.*|ld-linux*) ;;
        *) fail "nw-proxy needs $n (only libc, libyaml, pthread allowed)" ;;
    esac
done
# Undefined dynamic symbols: each from libc or libyaml.
libc=$(ldd "$proxy" | awk '$1 ~ /^libc\.so/ {print $3}')
libyaml=$(ldd "$proxy" | awk '$1 ~ /^libyaml/ {print $3}')
"$nm" -D --defined-only "$libc" ${libyaml:+"$libyaml"} 2>/dev/null | awk 'NF == 3 {print $3}' \
    | sed 's/@.*//' | sort -u > "$tmp/sys.defs"
"$nm" -D --undefined-only "$proxy" | awk '$1 == "U" {print $2}' | sed 's/@.*//' | sort -u \
    > "$tmp/proxy.dyn"
extra=$(comm -23 "$tmp/proxy.dyn" "$tmp/sys.defs")
[ -z "$extra" ] || fail "nw-proxy uses symbols from outside libc/libyaml: $(oneline "$extra")"
# No symbol of a library above base and net.
"$nm" "$proxy" 2>/dev/null | awk 'NF == 3 && $3 ~ /^nw_/ {print $3}' | sort -u > "$tmp/proxy.nw"
[ -s "$tmp/proxy.nw" ] || fail "nw-proxy has no symbol table (stripped?): cannot check"
for l in core aws attest sim; do
    both=$(comm -12 "$tmp/proxy.nw" "$tmp/$l.defs" 2>/dev/null)
    [ -z "$both" ] || fail "nw-proxy contains libnw$l symbols: $(oneline "$both")"
done

# 2. Layer order among the libraries: nw_* names a library uses come from the allowed ones.
check_uses() { # LIB ALLOWED...
    l=$1; shift
    for a in "$l" "$@"; do cat "$tmp/$a.defs"; done | sort -u > "$tmp/allowed"
    bad=$(grep '^nw_' "$tmp/$l.undefs" | comm -23 - "$tmp/allowed")
    [ -z "$bad" ] || fail "libnw$l reaches above its layer: $(oneline "$bad")"
}
check_uses base
check_uses net base
check_uses core base
io=$(grep -E '^(nw_random_os|getrandom|getentropy|socket|connect|accept4?|listen|bind|open|open64|fopen|fopen64|read|write|send|recv|poll|ioctl)$' "$tmp/core.undefs")
[ -z "$io" ] || fail "libnwcore calls I/O or randomness: $(oneline "$io")"

# 3. No development-only code in the libraries a daemon links.
dev='^(nw_nsm_sim_|nw_devca_|nw_sigv4_verify|nw_sigv4_parse_authorization|nw_sigv4_parse_presigned)'
for l in attest aws; do
    hits=$("$nm" "$(lib $l)" 2>/dev/null | awk '{print $NF}' | grep -E "$dev" | sort -u)
    [ -z "$hits" ] || fail "libnw$l holds development-only symbols: $(oneline "$hits")"
done
[ $status -eq 0 ] && echo "linkage: ok"
exit $status

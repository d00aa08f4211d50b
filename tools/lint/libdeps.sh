#!/bin/sh
# Print, for each built libnw*.a, the other nw libraries whose symbols it uses (from nm).
# Usage: tools/lint/libdeps.sh [BUILD_DIR]   (default build/dev)
set -eu
b=${1:-build/dev}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
libs=$(find "$b/src" -name 'libnw*.a' | sort)
for l in $libs; do
    nm -g --defined-only "$l" 2>/dev/null | awk -v L="$(basename "$l" .a)" 'NF == 3 {print $3, L}'
done | sort -u > "$tmp/defs"
for l in $libs; do
    n=$(basename "$l" .a)
    nm -g --undefined-only "$l" 2>/dev/null | awk '{print $NF}' | sort -u > "$tmp/u"
    uses=$(join "$tmp/u" "$tmp/defs" | awk -v N="$n" '$2 != N {print $2}' | sort -u | tr '\n' ' ')
    echo "$n: ${uses:-(none)}"
done

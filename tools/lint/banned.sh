#!/bin/sh
# Banned calls in library code (curl CODE_STYLE.md, s2n grep_simple_mistakes.sh): no unbounded
# string functions, no rand, no printing from libraries (only binaries log).
set -u
status=0
libs="src/core src/net src/aws src/attest src/store"
dirs=""
for d in $libs; do [ -d "$d" ] && dirs="$dirs $d"; done
[ -n "$dirs" ] || exit 0
check() {
    # $1 = regex, $2 = what, $3.. = dirs
    re=$1; what=$2; shift 2
    hits=$(grep -rnE --include='*.c' --include='*.h' "$re" "$@" | grep -v 'nw-lint: allow' || true)
    if [ -n "$hits" ]; then
        echo "banned: $what"; echo "$hits"; status=1
    fi
}
# shellcheck disable=SC2086
check '(^|[^_a-z])(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets|rand|srand)[[:space:]]*\(' 'unsafe call' $dirs
# shellcheck disable=SC2086
check '(^|[^_a-z])(printf|puts|perror)[[:space:]]*\(|fprintf[[:space:]]*\([[:space:]]*std(out|err)' 'printing in a library' $dirs
# Anywhere: realloc on secret buffers is handled by nw_buf; flag direct realloc in libraries.
# shellcheck disable=SC2086
check '(^|[^_a-z])realloc[[:space:]]*\(' 'realloc in library code (use nw_buf)' $dirs
exit $status

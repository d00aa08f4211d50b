#!/bin/sh
# Every public header compiles on its own (aws-c-common AwsCheckHeaders.cmake).
set -u
cc=${1:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for h in include/nw/*.h; do
    printf '#include <nw/%s>\nint nw_header_check_;\n' "$(basename "$h")" > "$tmp/t.c"
    if ! "$cc" -std=c17 -D_DEFAULT_SOURCE -Wall -Wextra -Wpedantic -Werror -Iinclude -c "$tmp/t.c" -o "$tmp/t.o"; then
        echo "header not self-contained: $h"; status=1
    fi
done
exit $status

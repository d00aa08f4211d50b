#!/bin/sh
# Fails when any tracked (or new, unignored) C file is not clang-formatted.
set -eu
cf=${1:-clang-format}
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find src include tests bench -name '*.[ch]')
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
exec "$cf" --dry-run --Werror $files

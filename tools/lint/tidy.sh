#!/bin/sh
# clang-tidy 14 with the repository's .clang-tidy over every C file under src/ that the build
# compiles (CTest lint.tidy). Any finding fails; a suppression is a NOLINT comment with its
# reason on the same line. Runs two files at a time (NW_TIDY_JOBS to change).
# Usage: tools/lint/tidy.sh CLANG_TIDY BUILD_DIR   (from the source directory)
set -u
tidy=$1 build=$2
jobs=${NW_TIDY_JOBS:-2}
db=$build/compile_commands.json
[ -f "$db" ] || { echo "tidy: no $db (configure with CMAKE_EXPORT_COMPILE_COMMANDS)"; exit 1; }
files=$(find src -name '*.c' | sort | while read -r f; do
    grep -q "\"file\": \".*/$f\"" "$db" && echo "$f"
done)
[ -n "$files" ] || { echo "tidy: no source file in $db"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2086
printf '%s\n' $files | xargs -P "$jobs" -n 4 "$tidy" -p "$build" --quiet > "$out" 2>/dev/null
findings=$(grep -cE '(warning|error):' "$out")
if [ "$findings" -ne 0 ]; then
    grep -E '(warning|error):' "$out" | sort -u
    echo "tidy: $findings finding(s)"
    exit 1
fi
echo "tidy: $(printf '%s\n' "$files" | wc -l) files, no findings"

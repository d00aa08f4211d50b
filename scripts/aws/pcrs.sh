#!/bin/sh
# Reads PCR0/1/2 from what `nitro-cli build-enclave` printed (its progress lines, then a JSON
# object {"Measurements": {"HashAlgorithm": ..., "PCR0": ..., "PCR1": ..., "PCR2": ...}}), or
# from `nitro-cli describe-eif`: measured from the image file, not from a running instance.
#
# Usage: scripts/aws/pcrs.sh [--pcr0 | --json] [FILE]    (FILE or stdin)
#   default: PCR0=.. PCR1=.. PCR2=.. lines (shell-sourceable); --pcr0: PCR0 alone; --json.
set -eu
mode=lines
case "${1:-}" in
    --pcr0) mode=pcr0; shift ;;
    --json) mode=json; shift ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
esac
in=${1:--}
if [ "$in" != - ] && [ ! -f "$in" ]; then
    echo "pcrs: $in: no such file" >&2
    exit 2
fi
# The JSON object starts at the first line that is exactly "{" or begins with "{".
json=$(cat -- "$in" | sed -n '/^[[:space:]]*{/,$p')
if [ -z "$json" ] || ! m=$(printf '%s\n' "$json" | jq -e -c '.Measurements | {PCR0, PCR1, PCR2}' 2>/dev/null); then
    echo "pcrs: no Measurements object in the input (expected nitro-cli build-enclave or describe-eif output)" >&2
    exit 1
fi
for k in PCR0 PCR1 PCR2; do
    v=$(printf '%s' "$m" | jq -r --arg k "$k" '.[$k] // ""')
    if ! printf '%s' "$v" | grep -Eq '^[0-9a-fA-F]{96}$'; then
        echo "pcrs: $k is not 96 hex digits (SHA-384): '$v'" >&2
        exit 1
    fi
done
case "$mode" in
    pcr0) printf '%s' "$m" | jq -r '.PCR0 | ascii_downcase' ;;
    json) printf '%s' "$m" | jq 'map_values(ascii_downcase)' ;;
    *) printf '%s' "$m" | jq -r 'to_entries[] | "\(.key)=\(.value | ascii_downcase)"' ;;
esac

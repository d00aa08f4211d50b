#!/bin/sh
# Issue 13 points 5 and 6: every command's --help on stdout with exit 0, --version, --opt=value,
# usage errors that say what is wrong (exit 2), errors that name their file, "no input on
# stdin", the notice when stdin is a terminal. Usage: conventions_cli.sh NW [OTHER-BINARY...]
set -u
nw=$1
umask 077
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi; }

# Every command listed by `nw --help` answers --help on stdout, exit 0, nothing on stderr.
"$nw" --help >"$dir/help" 2>"$dir/err"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$dir/err" ] && grep -q '^usage: nw COMMAND' "$dir/help"; check "nw --help" $?
cmds=$(sed -n 's/^  \([a-z][a-z0-9-]*\( [a-z][a-z0-9-]*\)\?\)  .*/\1/p' "$dir/help")
echo "$cmds" | while IFS= read -r c; do
    # shellcheck disable=SC2086
    "$nw" $c --help >"$dir/h" 2>"$dir/e"; rc=$?
    if [ $rc -ne 0 ] || [ -s "$dir/e" ] || ! grep -q "^usage: nw $c" "$dir/h" ||
        ! grep -q -- '--version' "$dir/h"; then
        echo "FAIL nw $c --help (exit $rc)"; exit 1
    fi
    # shellcheck disable=SC2086  # $c is "cmd" or "cmd sub": two words on purpose
    "$nw" $c --version | grep -q '^nw [0-9]' || { echo "FAIL nw $c --version"; exit 1; }
done
check "every command: --help on stdout, exit 0; --version" $?
[ "$(echo "$cmds" | wc -l)" -ge 25 ]; check "nw --help lists the commands ($(echo "$cmds" | wc -l))" $?

"$nw" --version >"$dir/v"; rc=$?
[ $rc -eq 0 ] && grep -q '^nw [0-9][0-9.]* (commit [0-9a-f]' "$dir/v" && grep -q 'libsecp256k1 ' "$dir/v" &&
    grep -q 'OpenSSL 3' "$dir/v" && grep -q 'libcurl ' "$dir/v"; check "nw --version: version, commit, libraries" $?

"$nw" kms --help >"$dir/h" 2>"$dir/e"; rc=$?
[ $rc -eq 0 ] && grep -q 'kms encrypt' "$dir/h" && [ ! -s "$dir/e" ]; check "nw kms --help lists the kms commands" $?
"$nw" kms encrypt --help >"$dir/h" 2>"$dir/e"; rc=$?
[ $rc -eq 0 ] && ! grep -q 'usage: usage' "$dir/h" && [ ! -s "$dir/e" ]; check "nw kms encrypt --help (exit 0, stdout)" $?
"$nw" kms >/dev/null 2>"$dir/e"; rc=$?
[ $rc -eq 2 ] && grep -q 'missing a command' "$dir/e"; check "nw kms: exit 2, missing a command" $?
"$nw" nosuch >/dev/null 2>&1; check "unknown command: exit 2" $(( $? == 2 ? 0 : 1 ))

printf '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n' >"$dir/key"
"$nw" address --keyfile "$dir/key" >/dev/null 2>"$dir/e"; rc=$?
[ $rc -eq 2 ] && grep -q "unknown option '--keyfile' (did you mean '--key-file'?)" "$dir/e" &&
    grep -q "try 'nw address --help'" "$dir/e"; check "did you mean, exit 2" $?
"$nw" address >/dev/null 2>"$dir/e"; rc=$?
[ $rc -eq 2 ] && grep -q 'missing --key-file' "$dir/e"; check "missing --key-file, exit 2" $?
a=$("$nw" address --key-file="$dir/key"); rc=$?
[ $rc -eq 0 ] && [ "$a" = '{"address":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"}' ]; check "--opt=value" $?
b=$("$nw" address -k "$dir/key"); [ "$a" = "$b" ]; check "short option" $?
"$nw" sign-tx --key-file >/dev/null 2>"$dir/e"; rc=$?
[ $rc -eq 2 ] && grep -q "needs a value" "$dir/e"; check "option without its value" $?
"$nw" sign-tx --jsonl=1 >/dev/null 2>"$dir/e"; rc=$?
[ $rc -eq 2 ] && grep -q "takes no value" "$dir/e"; check "a flag given a value" $?

# Point 6: errors name what they are about.
"$nw" address --key-file "$dir/nope" 2>"$dir/e"; rc=$?
[ $rc -eq 1 ] && grep -q "$dir/nope" "$dir/e" && grep -q '"code":"not_found"' "$dir/e"; check "missing key file names its path" $?
"$nw" sign-tx --key-file "$dir/key" </dev/null 2>"$dir/e"; rc=$?
[ $rc -eq 1 ] && grep -q '"code":"no_input","message":"no input on stdin' "$dir/e"; check "empty stdin: no input on stdin" $?
"$nw" sign-tx --key-file "$dir/key" "$dir/none.json" 2>"$dir/e"; rc=$?
[ $rc -eq 1 ] && grep -q "$dir/none.json" "$dir/e"; check "missing input file names its path" $?
: >"$dir/empty.json"
"$nw" sign-typed-data --key-file "$dir/key" "$dir/empty.json" 2>"$dir/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'empty.json is empty' "$dir/e"; check "empty input file named" $?
"$nw" decode-tx </dev/null 2>"$dir/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'no input on stdin' "$dir/e"; check "decode-tx: no input on stdin" $?
if command -v python3 >/dev/null 2>&1; then
    # stdin is a terminal: nw says what it waits for (a pty from python; EOF right away)
    python3 - "$nw" "$dir/key" <<'PY' >"$dir/tty" 2>&1
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "sign-tx", "--key-file", sys.argv[2]])
os.write(fd, b"\x04")
out = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
PY
    grep -q 'reading a transaction as JSON from the terminal' "$dir/tty"; check "stdin on a terminal is announced" $?
fi

# The other binaries (nw-devaws, nw-proxy, nw-enclave, nw-host, nw-init, nw-lambda) share the
# option module.
shift
for bin in "$@"; do
    name=$(basename "$bin")
    "$bin" --help >"$dir/h" 2>"$dir/e"; rc=$?
    [ $rc -eq 0 ] && grep -q "^usage: $name" "$dir/h" && [ ! -s "$dir/e" ]; check "$name --help: stdout, exit 0" $?
    "$bin" --version | grep -q "^$name [0-9].*commit"; check "$name --version" $?
    "$bin" --nosuch-option >/dev/null 2>"$dir/e"; rc=$?
    [ $rc -eq 2 ] && grep -q "unknown option '--nosuch-option'" "$dir/e" &&
        grep -q "try '$name --help'" "$dir/e"; check "$name unknown option: exit 2" $?
    "$bin" --versio >/dev/null 2>"$dir/e"; rc=$?
    [ $rc -eq 2 ] && grep -q "(did you mean '--version'?)" "$dir/e"; check "$name --versio: did you mean" $?
done

[ $fails -eq 0 ] && echo "conventions_cli: all passed" || echo "conventions_cli: $fails failed"
exit $((fails > 0))

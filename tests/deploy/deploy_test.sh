#!/bin/sh
# Deployment tests (CTest label deploy), one case per run: deploy_test.sh CASE BUILD_DIR.
# Nothing here calls AWS: the CDK synth runs in a network namespace without network when it
# can, nitro-cli and the aws CLI are stand-ins that record their arguments.
# Exit 0 pass, 1 fail, 77 skip (said loudly on stderr).
set -eu
case_name=${1:?usage: deploy_test.sh CASE BUILD_DIR}
build=$(cd "${2:?usage: deploy_test.sh CASE BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
data=$top/tests/deploy/data
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
PCR0_A=$(printf 'ab%.0s' $(seq 48))
ZERO=$(printf '0%.0s' $(seq 96))

fail() {
    echo "FAIL [$case_name]: $*" >&2
    exit 1
}
skip() {
    echo "SKIP [$case_name]: $*" >&2
    exit 77
}
ok() {
    echo "ok [$case_name]: $*"
}
# Runs a command expected to fail; its stderr must match a pattern.
must_fail() {
    pattern=$1
    shift
    if "$@" >"$tmp/out" 2>"$tmp/err"; then
        fail "succeeded, expected failure: $*"
    fi
    grep -Eq "$pattern" "$tmp/err" || fail "error text lacks /$pattern/: $(cat "$tmp/err")"
}

can_unshare() {
    unshare -n true 2>/dev/null
}

test_ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/rdsca.key" \
        -out "$tmp/rdsca.pem" -subj /CN=test-rds-ca -days 2 2>/dev/null
}

# Programs present in this build for the enclave image (nw-enclave comes with issue 10).
rootfs_programs() {
    p="nw-init nw-proxy"
    if [ -x "$build/src/enclave/nw-enclave" ]; then p="$p nw-enclave"; fi
    echo "$p"
}

# Sends one frame {"v":1,"id":1,"op":"health"} to a unix socket; prints the answer JSON.
health_frame() {
    python3 - "$1" <<'PY'
import json, socket, struct, sys, time
path = sys.argv[1]
deadline = time.time() + 10
while True:
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(path)
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("no listener at " + path)
        time.sleep(0.1)
body = json.dumps({"v": 1, "id": 1, "op": "health"}).encode()
s.sendall(struct.pack(">I", len(body)) + body)
def read(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit("connection closed")
        b += c
    return b
n = struct.unpack(">I", read(4))[0]
print(read(n).decode())
PY
}

# ---------------------------------------------------------------- infra
infra_ready() {
    command -v node >/dev/null || fail "node not found (scripts/deps installs it)"
    [ -d "$top/infra/node_modules/aws-cdk-lib" ] || fail "infra/node_modules missing: run scripts/deps (npm ci in infra)"
}

fake_artifacts() {
    mkdir -p "$1"
    echo eif >"$1/nitro-wallet.eif"
    echo bundle | gzip -n >"$1/host-bundle.tar.gz"
    printf 'PK' >"$1/lambda.zip"
}

case_infra_unit() {
    infra_ready
    cd "$top/infra"
    npx --no-install tsc
    npx --no-install jest --ci
    ok "infra unit tests"
}

# `cdk synth` through the CLI with cdk-nag AwsSolutions: fails on any unacknowledged finding.
case_infra_synth() {
    infra_ready
    cd "$top/infra"
    npx --no-install tsc
    fake_artifacts "$tmp/art"
    # No credentials, no IMDS, no notices, no telemetry: nothing may reach AWS. Inside a
    # network namespace (when allowed) there is no network at all.
    run() {
        set -- env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
            AWS_EC2_METADATA_DISABLED=true CDK_DISABLE_CLI_TELEMETRY=true AWS_REGION=us-east-1 \
            npx --no-install cdk synth --no-notices --no-version-reporting --quiet \
            -o "$tmp/cdk.out" -c "artifacts=$tmp/art" "$@"
        if can_unshare; then unshare -n "$@"; else "$@"; fi
    }
    can_unshare || echo "note [$case_name]: unshare -n not allowed: synth runs with the network present" >&2
    run -c "pcr0=$PCR0_A" >"$tmp/synth.log" 2>&1 || { cat "$tmp/synth.log" >&2; fail "cdk synth failed"; }
    t=$tmp/cdk.out/devNitroWalletEth.template.json
    [ -f "$t" ] || fail "no template"
    jq -e --arg p "$PCR0_A" '[.Resources[] | select(.Type == "AWS::KMS::Key") | .Properties.KeyPolicy.Statement[]
        | select(.Condition.StringEqualsIgnoreCase["kms:RecipientAttestation:ImageSha384"] == $p)] | length == 1' "$t" >/dev/null \
        || fail "PCR0 not in the synthesized key policy"
    grep -q "AwsSolutions" "$tmp/synth.log" && fail "cdk-nag reported findings: $(grep AwsSolutions "$tmp/synth.log" | head -5)"
    ok "cdk synth clean under cdk-nag AwsSolutions"

    must_fail 'context pcr0 is required' run
    must_fail 'all zeros.*debug=true' run -c "pcr0=$ZERO"
    run -c "pcr0=$ZERO" -c debug=true >"$tmp/synth2.log" 2>&1 || { cat "$tmp/synth2.log" >&2; fail "debug synth failed"; }
    ok "synth refuses a missing pcr0 and an unflagged all-zero one; debug synth passes"

    # An unacknowledged finding must fail the synth: remove one acknowledgement in a copy.
    cp -r "$top/infra/dist" "$tmp/dist"
    sed -i "s/'AwsSolutions-RDS11'/'AwsSolutions-RDS11-disabled'/" "$tmp/dist/lib/nitro-wallet-stack.js"
    grep -q "RDS11-disabled" "$tmp/dist/lib/nitro-wallet-stack.js" || fail "could not disable an acknowledgement"
    ln -s "$top/infra/node_modules" "$tmp/node_modules"
    must_fail 'AwsSolutions-RDS11' run -c "pcr0=$PCR0_A" --app "node $tmp/dist/bin/app.js"
    ok "an unacknowledged cdk-nag finding fails cdk synth"
}

# ---------------------------------------------------------------- enclave image
case_rootfs_reproducible() {
    test_ca
    progs=$(rootfs_programs)
    "$top/deploy/enclave/build-rootfs.sh" --build-dir "$build" --out-dir "$tmp/a" --rds-ca "$tmp/rdsca.pem" \
        --programs "$progs" 2>/dev/null
    sleep 1 # a different wall-clock second must not change the bytes
    "$top/deploy/enclave/build-rootfs.sh" --build-dir "$build" --out-dir "$tmp/b" --rds-ca "$tmp/rdsca.pem" \
        --programs "$progs" 2>/dev/null
    cmp "$tmp/a/enclave-rootfs.tar" "$tmp/b/enclave-rootfs.tar" || fail "two builds differ"
    ok "two builds byte-identical ($(sha256sum "$tmp/a/enclave-rootfs.tar" | cut -c1-16)...; programs: $progs)"
    SOURCE_DATE_EPOCH=1700000000 "$top/deploy/enclave/build-rootfs.sh" --build-dir "$build" --out-dir "$tmp/c" \
        --rds-ca "$tmp/rdsca.pem" --programs "$progs" 2>/dev/null
    cmp -s "$tmp/a/enclave-rootfs.tar" "$tmp/c/enclave-rootfs.tar" && fail "SOURCE_DATE_EPOCH ignored"
    tar -tvf "$tmp/c/enclave-rootfs.tar" >"$tmp/list"
    awk '$2 != "0/0" { exit 1 }' "$tmp/list" || fail "an entry not owned by 0/0"
    grep -v ' 2023-11-14 22:13 ' "$tmp/list" && fail "an entry without the SOURCE_DATE_EPOCH time"
    ok "owners 0/0, every time = SOURCE_DATE_EPOCH"
    must_fail 'rds-ca FILE is required' "$top/deploy/enclave/build-rootfs.sh" --build-dir "$build" --out-dir "$tmp/d"
}

case_rootfs_contents() {
    test_ca
    progs=$(rootfs_programs)
    "$top/deploy/enclave/build-rootfs.sh" --build-dir "$build" --out-dir "$tmp/a" --rds-ca "$tmp/rdsca.pem" \
        --programs "$progs" 2>/dev/null
    tar -tf "$tmp/a/enclave-rootfs.tar" | sed 's|^\./||; s|/$||' | grep -v '^$' | sort >"$tmp/names"
    # Nothing but our programs, libraries, the loader, the CA bundles and empty mount points.
    while read -r n; do
        case "$n" in
            bin | bin/nw-init | bin/nw-proxy | bin/nw-enclave) ;;
            lib | lib/x86_64-linux-gnu | lib/x86_64-linux-gnu/*.so.*) ;;
            lib64 | lib64/ld-linux-x86-64.so.2) ;;
            etc | etc/nw | etc/nw/ca | etc/nw/ca/kms.pem | etc/nw/ca/rds.pem) ;;
            dev | proc | sys | run | tmp) ;;
            *) fail "unexpected entry in the image: $n" ;;
        esac
    done <"$tmp/names"
    for sh in sh bash dash ash busybox; do
        grep -Eq "(^|/)$sh$" "$tmp/names" && fail "a shell in the image: $sh"
    done
    tar -tvf "$tmp/a/enclave-rootfs.tar" | awk '$1 !~ /^[d-]/ { exit 1 }' || fail "a link or special file in the image"
    grep -q 'bin/nw-init' "$tmp/names" || fail "no entry point"
    grep -q '"/bin/nw-init"' "$top/deploy/enclave/Dockerfile" || fail "Dockerfile entry point is not nw-init"
    grep -q '^FROM scratch$' "$top/deploy/enclave/Dockerfile" || fail "Dockerfile not FROM scratch"
    grep -q '"tcp:127.0.0.1:5432", "--connect", "vsock:3:8001"' "$top/deploy/enclave/Dockerfile" || fail "proxy route"
    grep -q '"--bring-up-loopback"' "$top/deploy/enclave/Dockerfile" || fail "nw-enclave without --bring-up-loopback"
    ok "only programs, libraries, loader, CA bundles and mount points; no shell ($(wc -l <"$tmp/names") entries)"
}

# The image's programs run from it alone: chroot (no host libraries), no network.
case_rootfs_chroot() {
    can_unshare || skip "unshare -n not allowed here (needs root or user namespaces)"
    test_ca
    progs=$(rootfs_programs)
    "$top/deploy/enclave/build-rootfs.sh" --build-dir "$build" --out-dir "$tmp/a" --rds-ca "$tmp/rdsca.pem" \
        --programs "$progs" --tree "$tmp/root" 2>/dev/null
    unshare -n chroot "$tmp/root" /bin/nw-proxy --help >/dev/null || fail "nw-proxy does not start in the chroot"
    unshare -n chroot "$tmp/root" /bin/nw-init --version >/dev/null || fail "nw-init does not start in the chroot"
    # nw-init supervising nw-proxy inside the namespace: the proxy's unix listener appears.
    unshare -n chroot "$tmp/root" /bin/nw-init --restart-min-ms 50 -- \
        /bin/nw-proxy --listen unix:/tmp/p.sock --connect unix:/tmp/none.sock 2>"$tmp/init.log" &
    pids="$pids $!"
    i=0
    while [ ! -S "$tmp/root/tmp/p.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ -S "$tmp/root/tmp/p.sock" ] || fail "nw-proxy under nw-init did not listen: $(cat "$tmp/init.log")"
    ok "nw-proxy and nw-init run from the image alone (chroot, no network)"
    if [ ! -x "$build/src/enclave/nw-enclave" ]; then
        skip "nw-enclave not built in this tree (issue 10): the health check from the image is not run"
    fi
    unshare -n chroot "$tmp/root" /bin/nw-init --restart-min-ms 50 -- \
        /bin/nw-enclave --bring-up-loopback --listen unix:/tmp/e.sock -- \
        /bin/nw-proxy --listen tcp:127.0.0.1:5432 --connect unix:/tmp/none.sock 2>"$tmp/enc.log" &
    pids="$pids $!"
    ans=$(health_frame "$tmp/root/tmp/e.sock") || fail "no health answer: $(tail -5 "$tmp/enc.log")"
    printf '%s' "$ans" | jq -e '.ok == true and .id == 1' >/dev/null || fail "health answer: $ans"
    grep -q 'loopback_up' "$tmp/enc.log" || fail "nw-enclave did not bring lo up: $(cat "$tmp/enc.log")"
    ok "nw-enclave from the image answers health over unix: ($ans)"
}

# ---------------------------------------------------------------- nw-init
case_init_supervise() {
    init=$build/src/init/nw-init
    [ -x "$init" ] || fail "nw-init not built"
    must_fail 'absolute path' "$init" -- relative
    must_fail 'no program' "$init" --
    must_fail 'bad option' "$init" --restart-min-ms 0 -- /bin/true
    # One child exits at once, one stays: the first is restarted with a growing delay, the
    # second keeps its pid; TERM stops everything.
    cat >"$tmp/flap" <<EOF
#!/bin/sh
echo x >>"$tmp/flaps"
exit 3
EOF
    chmod +x "$tmp/flap"
    "$init" --restart-min-ms 50 --restart-max-ms 400 -- "$tmp/flap" -- /bin/sleep 60 2>"$tmp/log" &
    ipid=$!
    pids="$pids $ipid"
    sleep 2
    n=$(wc -l <"$tmp/flaps")
    [ "$n" -ge 4 ] || fail "flapping child restarted $n times in 2 s"
    [ "$n" -le 12 ] || fail "no backoff: $n restarts in 2 s"
    grep -q 'how=exit_3' "$tmp/log" || fail "exit status not logged"
    grep -q 'restart_in_ms=400' "$tmp/log" || fail "backoff did not reach the maximum: $(tail -3 "$tmp/log")"
    [ "$(grep -c 'child=/bin/sleep pid=' "$tmp/log")" = 1 ] || fail "the stable child was restarted"
    kill -TERM "$ipid"
    i=0
    while kill -0 "$ipid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -0 "$ipid" 2>/dev/null && fail "nw-init did not stop on TERM"
    wait "$ipid" || fail "nw-init exit status $? on TERM"
    pgrep -f "^/bin/sleep 60$" -P "$ipid" >/dev/null 2>&1 && fail "child left behind"
    grep -q 'event=stopped\|stopped' "$tmp/log" || fail "no stop line"
    # A child that ignores TERM is killed after --stop-timeout-ms.
    cat >"$tmp/stubborn" <<'EOF'
#!/bin/sh
trap '' TERM
while :; do sleep 1; done
EOF
    chmod +x "$tmp/stubborn"
    "$init" --stop-timeout-ms 300 -- "$tmp/stubborn" 2>"$tmp/log2" &
    ipid=$!
    sleep 0.5
    kill -TERM "$ipid"
    sleep 1.5
    kill -0 "$ipid" 2>/dev/null && fail "nw-init hangs on a child ignoring TERM"
    grep -q 'kill' "$tmp/log2" || fail "no kill line"
    ok "restarts with backoff, keeps stable children, stops all on TERM (KILL after the timeout)"
}

# ---------------------------------------------------------------- parent instance
case_host_bundle() {
    command -v patchelf >/dev/null || fail "patchelf missing (scripts/deps installs it)"
    progs=""
    for p in nw-host nw-proxy nw; do
        case "$p" in nw) f=$build/src/cli/nw ;; *) f=$build/src/${p#nw-}/$p ;; esac
        if [ -x "$f" ]; then progs="$progs $p"; fi
    done
    case "$progs" in *nw-host*) ;; *) echo "note [$case_name]: nw-host not built in this tree (issue 11): bundling$progs" >&2 ;; esac
    "$top/scripts/aws/host-cert.sh" --region us-east-1 --out-dir "$tmp/tls" 2>/dev/null
    openssl verify -CAfile "$tmp/tls/ca.pem" "$tmp/tls/host.pem" >/dev/null || fail "host cert does not verify"
    openssl x509 -in "$tmp/tls/host.pem" -noout -ext subjectAltName | grep -q 'DNS:\*\.elb\.us-east-1\.amazonaws\.com' \
        || fail "host cert lacks the NLB name"
    "$top/deploy/host/package.sh" --build-dir "$build" --tls-dir "$tmp/tls" --out "$tmp/b1.tar.gz" --programs "$progs" 2>/dev/null
    sleep 1
    "$top/deploy/host/package.sh" --build-dir "$build" --tls-dir "$tmp/tls" --out "$tmp/b2.tar.gz" --programs "$progs" 2>/dev/null
    cmp "$tmp/b1.tar.gz" "$tmp/b2.tar.gz" || fail "two host bundles differ"
    # Unpacked at /opt/nitro-wallet in an otherwise empty root: the programs run with the
    # bundle's own loader and libraries (nothing from this Debian, nothing from AL2023).
    mkdir -p "$tmp/root/opt/nitro-wallet"
    tar -C "$tmp/root/opt/nitro-wallet" -xzf "$tmp/b1.tar.gz"
    [ "$(stat -c %a "$tmp/root/opt/nitro-wallet/etc/tls/host.key")" = 600 ] || fail "host.key not 0600"
    for p in $progs; do
        f=$tmp/root/opt/nitro-wallet/bin/$p
        [ "$(patchelf --print-interpreter "$f")" = /opt/nitro-wallet/lib/ld-linux-x86-64.so.2 ] || fail "$p interpreter"
        if can_unshare; then
            unshare -n chroot "$tmp/root" "/opt/nitro-wallet/bin/$p" --help >/dev/null 2>&1 \
                || fail "$p does not start from the bundle alone"
        fi
    done
    # What each would need from a system glibc (informational: the bundle brings its own 2.36).
    for p in $progs; do
        v=$(objdump -T "$tmp/root/opt/nitro-wallet/bin/$p" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
        echo "note [$case_name]: $p's highest glibc symbol version: $v (bundle ships its own glibc)" >&2
    done
    ok "host bundle reproducible; $progs start from it alone (own loader and libraries)"
}

case_host_setup() {
    mkdir -p "$tmp/opt/enclave" "$tmp/opt/share/systemd" "$tmp/opt/etc/tls"
    truncate -s 300M "$tmp/opt/enclave/nitro-wallet.eif"
    cp "$top"/deploy/host/systemd/*.service "$tmp/opt/share/systemd/"
    echo cert >"$tmp/opt/etc/tls/host.pem"
    echo key >"$tmp/opt/etc/tls/host.key"
    cat >"$tmp/deploy.env" <<EOF
NW_STACK=devNitroWalletEth
NW_REGION=us-east-1
NW_DEV=0
NW_PCR0=$PCR0_A
NW_KMS_KEY_ARN=arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
NW_RDS_SECRET_ARN=arn:aws:secretsmanager:us-east-1:123456789012:secret:devNitroWalletEth/rds-AbCdEf
NW_RDS_HOST=db.abcdefghijkl.us-east-1.rds.amazonaws.com
NW_RDS_PORT=5432
NW_SECRET_PREFIX=devNitroWalletEth/
NW_ENCLAVE_CPUS=2
NW_ENCLAVE_CID=16
EOF
    NW_ROOT=$tmp/opt NW_ETC=$tmp/etc NW_SYSTEMD_DIR=$tmp/units NW_ALLOCATOR_YAML=$tmp/allocator.yaml \
        NW_SKIP_SYSTEM=1 "$top/deploy/host/setup.sh" "$tmp/deploy.env" 2>"$tmp/log" || fail "setup: $(cat "$tmp/log")"
    # 300 MiB image: 4x = 1200 MiB + 512 = 1712, rounded up to 256 MiB -> 1792.
    grep -q '^memory_mib: 1792$' "$tmp/allocator.yaml" || fail "allocator memory: $(cat "$tmp/allocator.yaml")"
    grep -q '^cpu_count: 2$' "$tmp/allocator.yaml" || fail "allocator cpus"
    grep -q 'NW_ENCLAVE_MEMORY_MIB=1792' "$tmp/etc/runner.env" || fail "runner memory"
    "$build/src/proxy/nw-proxy" --help >/dev/null 2>&1 || fail "nw-proxy not built"
    grep -q '{address: db.abcdefghijkl.us-east-1.rds.amazonaws.com, port: 5432}' "$tmp/etc/rds-allowlist.yaml" \
        || fail "allowlist: $(cat "$tmp/etc/rds-allowlist.yaml")"
    # The allowlist is one nw-proxy accepts (its vsock-proxy form, listening on unix: here).
    "$build/src/proxy/nw-proxy" 8001 db.abcdefghijkl.us-east-1.rds.amazonaws.com 5432 \
        --config "$tmp/etc/rds-allowlist.yaml" --listen-override "unix:$tmp/relay.sock" 2>"$tmp/proxy.log" &
    ppid=$!
    pids="$pids $ppid"
    i=0
    while [ ! -S "$tmp/relay.sock" ] && kill -0 "$ppid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    if [ ! -S "$tmp/relay.sock" ]; then
        grep -q 'resolve' "$tmp/proxy.log" && echo "note [$case_name]: RDS name does not resolve here" >&2
        grep -qi 'allowlist\|denied' "$tmp/proxy.log" && fail "nw-proxy refused the generated allowlist: $(cat "$tmp/proxy.log")"
    fi
    jq -e '."db-secret-id" == "arn:aws:secretsmanager:us-east-1:123456789012:secret:devNitroWalletEth/rds-AbCdEf"
        and .enclave == "vsock:16:5000" and ."kms-relay" == "vsock:any:8000" and .listen == "tcp:0.0.0.0:443"
        and ."db-sslrootcert" == "/etc/nw/ca/rds.pem"' "$tmp/etc/nw-host.json" >/dev/null || fail "nw-host.json: $(cat "$tmp/etc/nw-host.json")"
    if [ -x "$build/src/host/nw-host" ]; then
        # Every key of the generated config is an option nw-host knows.
        for k in $(jq -r 'keys[]' "$tmp/etc/nw-host.json"); do
            "$build/src/host/nw-host" --help 2>&1 | grep -q -- "--$k" || fail "nw-host has no option --$k"
        done
        ok "nw-host.json uses only options nw-host has"
    else
        echo "note [$case_name]: nw-host not built in this tree: its option names were not checked" >&2
    fi
    for u in nw-host nw-rds-relay nw-enclave-runner; do
        [ -f "$tmp/units/$u.service" ] || fail "unit $u not installed"
    done
    if command -v systemd-analyze >/dev/null; then
        systemd-analyze verify --man=no "$tmp"/units/*.service 2>&1 | grep -v 'not found\|Failed to\|/opt/nitro-wallet\|nitro-cli\|No such file' | grep . \
            && fail "systemd-analyze"
    fi
    ok "allocator sized from the image, RDS allowlist, nw-host config, units"
}

# The enclave runner against a stand-in nitro-cli that records calls and simulates states.
fake_nitro_cli() {
    cat >"$tmp/nitro-cli" <<EOF
#!/bin/sh
echo "\$*" >>"$tmp/calls"
state=\$(cat "$tmp/state" 2>/dev/null || echo "")
case "\$1" in
    describe-enclaves)
        if [ -n "\$state" ]; then
            printf '[{"EnclaveName":"nitro-wallet","EnclaveID":"i-0-enc-1","State":"%s","Flags":"NONE"}]\n' "\$state"
        else
            echo '[]'
        fi ;;
    describe-eif) printf '{"Measurements":{"HashAlgorithm":"Sha384 { ... }","PCR0":"%s","PCR1":"%s","PCR2":"%s"}}\n' "\$(cat "$tmp/eif-pcr0")" "$PCR0_A" "$PCR0_A" ;;
    run-enclave)
        if [ -f "$tmp/fail-run" ]; then echo "[ E26 ] Insufficient memory requested." >&2; exit 1; fi
        echo RUNNING >"$tmp/state"
        echo '{"EnclaveName":"nitro-wallet","EnclaveID":"i-0-enc-1","State":"RUNNING","Flags":"NONE"}' ;;
    terminate-enclave) rm -f "$tmp/state"; echo '{"Terminated":true}' ;;
    console) sleep 0.2; echo "console line" ;;
esac
EOF
    chmod +x "$tmp/nitro-cli"
    mkdir -p "$tmp/nelogs"
    echo "Action: Run Enclave: Failure: E26 Insufficient memory" >"$tmp/nelogs/err2026-01-01T00:00:00.log"
}

runner() {
    NITRO_CLI=$tmp/nitro-cli NW_EIF=$tmp/x.eif NW_RUNNER_INTERVAL_S=0.2 NW_RUNNER_MAX_LOOPS=$1 \
        NW_NITRO_LOG_DIR=$tmp/nelogs "$top/deploy/host/enclave-runner.sh" "$tmp/env" 2>>"$tmp/runner.log"
}

case_host_runner() {
    command -v jq >/dev/null || fail "jq missing (scripts/deps installs it)"
    fake_nitro_cli
    printf '%s' "$PCR0_A" >"$tmp/eif-pcr0"
    printf 'NW_DEV=0\nNW_PCR0=%s\nNW_ENCLAVE_CPUS=2\nNW_ENCLAVE_MEMORY_MIB=1792\n' "$PCR0_A" >"$tmp/env"
    runner 3
    [ "$(grep -c '^run-enclave' "$tmp/calls")" = 1 ] || fail "expected one start: $(cat "$tmp/calls")"
    grep '^run-enclave' "$tmp/calls" | grep -q -- '--debug-mode' && fail "production start in debug mode"
    grep -q -- '--cpu-count 2 --memory 1792 --enclave-cid 16' "$tmp/calls" || fail "run-enclave args: $(cat "$tmp/calls")"
    grep -q 'not running: not in describe-enclaves' "$tmp/runner.log" || fail "no reason logged"
    # The enclave dies: the runner sees it gone and starts it again, saying why.
    rm -f "$tmp/state"
    : >"$tmp/calls"
    runner 2
    [ "$(grep -c '^run-enclave' "$tmp/calls")" = 1 ] || fail "not restarted after it died"
    # A leftover in another state is terminated first.
    echo TERMINATING >"$tmp/state"
    : >"$tmp/calls"
    runner 1
    grep -q '^terminate-enclave' "$tmp/calls" || fail "leftover not terminated"
    grep -q 'state TERMINATING' "$tmp/runner.log" || fail "state not logged"
    # run-enclave failing: the error and nitro-cli's error log are logged.
    rm -f "$tmp/state"
    touch "$tmp/fail-run"
    runner 1 || true
    grep -q 'run-enclave failed: .*E26' "$tmp/runner.log" || fail "failure not logged: $(tail -3 "$tmp/runner.log")"
    grep -q 'nitro-cli error log: Action: Run Enclave' "$tmp/runner.log" || fail "nitro-cli error log not quoted"
    rm -f "$tmp/fail-run"
    # An image whose PCR0 differs from the policy's is reported.
    printf '%s' "$(printf 'cd%.0s' $(seq 48))" >"$tmp/eif-pcr0"
    runner 1
    grep -q 'ERROR: .* has PCR0 cdcd.* but the key policy names abab' "$tmp/runner.log" || fail "PCR0 mismatch not reported"
    # Dev deployment: debug mode.
    rm -f "$tmp/state"
    : >"$tmp/calls"
    printf 'NW_DEV=1\nNW_PCR0=%s\n' "$ZERO" >"$tmp/env"
    runner 1
    grep '^run-enclave' "$tmp/calls" | grep -q -- '--debug-mode' || fail "dev start without debug mode"
    ok "no debug mode in production, debug in dev; restarts when gone; logs why"
}

# ---------------------------------------------------------------- scripts/aws
case_aws_pcrs() {
    out=$("$top/scripts/aws/pcrs.sh" "$data/build-enclave.out")
    printf '%s\n' "$out" | grep -q '^PCR0=bacbeb2ec6194a1e23e714dc2441d178ec3d30169645a6fe9e2fb650a3fc2be2f956ddd7d27e5d52b1f1c33186078d1d$' \
        || fail "PCR0 line: $out"
    [ "$(printf '%s\n' "$out" | wc -l)" = 3 ] || fail "three lines expected"
    [ "$("$top/scripts/aws/pcrs.sh" --pcr0 <"$data/build-enclave.out")" = \
        bacbeb2ec6194a1e23e714dc2441d178ec3d30169645a6fe9e2fb650a3fc2be2f956ddd7d27e5d52b1f1c33186078d1d ] || fail "--pcr0 from stdin"
    "$top/scripts/aws/pcrs.sh" --json "$data/build-enclave.out" | jq -e 'keys == ["PCR0","PCR1","PCR2"]' >/dev/null || fail "--json"
    echo "Start building the Enclave Image..." >"$tmp/bad"
    must_fail 'no Measurements' "$top/scripts/aws/pcrs.sh" "$tmp/bad"
    sed 's/"PCR1": "[0-9a-f]*"/"PCR1": "abc"/' "$data/build-enclave.out" >"$tmp/short"
    must_fail 'PCR1 is not 96 hex' "$top/scripts/aws/pcrs.sh" "$tmp/short"
    must_fail 'no such file' "$top/scripts/aws/pcrs.sh" "$tmp/none"
    ok "PCRs read from nitro-cli build-enclave output; malformed input refused"
}

case_aws_key_policy() {
    kp=$top/scripts/aws/key-policy.sh
    o=$data/cdk-outputs.json
    CDK_DEPLOY_REGION=us-east-1 "$kp" "$o" --measurements "$data/build-enclave.out" \
        --admin-role arn:aws:iam::123456789012:role/WalletAdmin >"$tmp/p.json" 2>"$tmp/err"
    pcr=bacbeb2ec6194a1e23e714dc2441d178ec3d30169645a6fe9e2fb650a3fc2be2f956ddd7d27e5d52b1f1c33186078d1d
    jq -e --arg p "$pcr" '
      (.Statement | length) == 3 and
      ([.Statement[] | select(.Action | if type == "array" then . else [.] end
          | any(test("^(kms:)?[*]$|Decrypt|GenerateDataKey|ReEncrypt")))] | all(.Condition.StringEqualsIgnoreCase["kms:RecipientAttestation:ImageSha384"] == $p)) and
      (.Statement[] | select(.Sid == "EnclaveDecryptOnlyWithAttestation") | .Principal.AWS
          == "arn:aws:iam::123456789012:role/devNitroWalletEth-InstanceRole3CCE2F1D-AbCdEf012345") and
      (.Statement[] | select(.Sid == "LambdaEncrypt") | .Action == "kms:Encrypt") and
      (.Statement[] | select(.Sid == "KeyAdministration") | .Principal.AWS | index("arn:aws:iam::123456789012:role/WalletAdmin") != null) and
      (.Statement[] | select(.Sid == "KeyAdministration") | .Action | all(test("Decrypt|Encrypt|GenerateDataKey") | not)) and
      ([.. | strings | select(test(":root$"))] | length == 0)' "$tmp/p.json" >/dev/null || fail "policy: $(cat "$tmp/p.json")"
    grep -q 'WARNING' "$tmp/err" && fail "warning on a real PCR0"
    ok "policy from the outputs file: decrypt only under PCR0, encrypt for the Lambda, admin without crypto, no root"
    CDK_DEPLOY_REGION=us-east-1 "$kp" "$o" --debug >"$tmp/d.json" 2>"$tmp/derr"
    grep -q 'WARNING: DEBUG POLICY' "$tmp/derr" || fail "debug policy without its warning"
    [ "$(grep -c 'key-policy: ' "$tmp/derr")" -ge 5 ] || fail "debug warning is not loud"
    jq -e --arg z "$ZERO" '[.Statement[] | select(.Condition)] | .[0].Condition.StringEqualsIgnoreCase["kms:RecipientAttestation:ImageSha384"] == $z' \
        "$tmp/d.json" >/dev/null || fail "debug policy PCR0"
    ok "debug variant: all-zero PCR0 with a loud warning"
    export CDK_DEPLOY_REGION=us-east-1
    must_fail 'say --debug' "$kp" "$o" --pcr0 "$ZERO"
    must_fail '96 hex' "$kp" "$o" --pcr0 abc
    must_fail 'give --pcr0' "$kp" "$o"
    must_fail 'no prodNitroWalletEth.EC2InstanceRoleARN' "$kp" "$o" --pcr0 "$PCR0_A" --stack prodNitroWalletEth
    must_fail 'not a role ARN' "$kp" "$o" --pcr0 "$PCR0_A" --admin-role arn:aws:iam::1:user/x
    ok "bad inputs refused with a clear line"
}

case_aws_asg_instances() {
    mkdir -p "$tmp/bin"
    cat >"$tmp/bin/aws" <<EOF
#!/bin/sh
echo "\$*" >"$tmp/aws-args"
cat <<'JSON'
{"AutoScalingGroups":[{"AutoScalingGroupName":"devNitroWalletEth-ASG46ED3070-0123456789AB","Instances":[
 {"InstanceId":"i-0aaa","LifecycleState":"InService","HealthStatus":"Healthy"},
 {"InstanceId":"i-0bbb","LifecycleState":"Terminating","HealthStatus":"Unhealthy"},
 {"InstanceId":"i-0ccc","LifecycleState":"InService","HealthStatus":"Healthy"},
 {"InstanceId":"i-0ddd","LifecycleState":"Pending","HealthStatus":"Healthy"}]}]}
JSON
EOF
    chmod +x "$tmp/bin/aws"
    got=$(PATH=$tmp/bin:$PATH "$top/scripts/aws/asg-instances.sh" "$data/cdk-outputs.json" --region us-east-1 | tr '\n' ' ')
    [ "$got" = "i-0aaa i-0ccc " ] || fail "instances: '$got'"
    grep -q -- '--region us-east-1 autoscaling describe-auto-scaling-groups --auto-scaling-group-names devNitroWalletEth-ASG46ED3070-0123456789AB' \
        "$tmp/aws-args" || fail "aws args: $(cat "$tmp/aws-args")"
    must_fail 'no prodNitroWalletEth.ASGGroupName' env PATH="$tmp/bin:$PATH" "$top/scripts/aws/asg-instances.sh" \
        "$data/cdk-outputs.json" --stack prodNitroWalletEth
    ok "in-service instances of the ASG named in the outputs file"
}

case_lambda_stage() {
    mkdir -p "$tmp/z/lib"
    echo bootstrap >"$tmp/z/bootstrap"
    chmod 0755 "$tmp/z/bootstrap"
    echo lib >"$tmp/z/lib/libx.so.1"
    (cd "$tmp/z" && python3 -m zipfile -c "$tmp/in.zip" bootstrap lib)
    echo "-----BEGIN CERTIFICATE-----" >"$tmp/ca.pem"
    "$top/deploy/lambda/stage.sh" --zip "$tmp/in.zip" --ca "$tmp/ca.pem" --out "$tmp/out.zip" 2>/dev/null
    python3 - "$tmp/out.zip" <<'PY' || fail "staged zip"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
assert "bootstrap" in names and "host-ca.pem" in names, names
assert z.read("host-ca.pem").startswith(b"-----BEGIN CERTIFICATE-----")
PY
    must_fail 'host-cert.sh' "$top/deploy/lambda/stage.sh" --zip "$tmp/in.zip" --ca "$tmp/none.pem" --out "$tmp/o2.zip"
    ok "Lambda zip carries the host CA at /var/task/host-ca.pem"
}

# ---------------------------------------------------------------- shellcheck
case_shellcheck() {
    command -v shellcheck >/dev/null || fail "shellcheck missing (scripts/deps installs it)"
    cd "$top"
    # Every tracked (or new) shell script: *.sh, and extension-less files with a sh/bash shebang.
    git ls-files --cached --others --exclude-standard 2>/dev/null | grep -v '^infra/node_modules/\|node_modules/' >"$tmp/files" \
        || find . -type f -not -path '*/node_modules/*' -not -path './build/*' -not -path './.git/*' | sed 's|^\./||' >"$tmp/files"
    : >"$tmp/scripts"
    while read -r f; do
        [ -f "$f" ] || continue
        case "$f" in
            *.sh) echo "$f" >>"$tmp/scripts" ;;
            *.*) ;;
            *) head -c 64 "$f" | head -n 1 | grep -Eq '^#!.*(/|env )(ba|da)?sh( |$)' && echo "$f" >>"$tmp/scripts" ;;
        esac
    done <"$tmp/files"
    n=$(wc -l <"$tmp/scripts")
    [ "$n" -gt 10 ] || fail "found only $n shell scripts"
    # SC1091 (info) only says that a file sourced at run time (a state directory's env file)
    # is not there to follow now; everything else counts, informational findings included.
    # shellcheck disable=SC2046
    shellcheck -x -e SC1091 $(cat "$tmp/scripts") || fail "shellcheck findings"
    ok "shellcheck clean on $n shell scripts"
}

case "$case_name" in
    infra_unit | infra_synth | rootfs_reproducible | rootfs_contents | rootfs_chroot | init_supervise | \
        host_bundle | host_setup | host_runner | aws_pcrs | aws_key_policy | aws_asg_instances | \
        lambda_stage | shellcheck)
        "case_$case_name" ;;
    *) fail "unknown case" ;;
esac

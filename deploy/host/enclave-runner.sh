#!/bin/sh
# Keeps the nitro-wallet enclave running (systemd unit nw-enclave-runner). Every interval it
# asks `nitro-cli describe-enclaves`; when the enclave is not RUNNING it logs why (the state it
# saw, or that it is gone, and nitro-cli's last error log), terminates any leftover, and starts
# it again. The enclave starts WITHOUT debug mode unless the deployment is a dev one
# (NW_DEV=1): a debug-mode enclave has PCR0 all zeros and a console the parent can read, and
# a production key policy (a real PCR0) refuses it anyway.
#
# Usage: enclave-runner.sh DEPLOY_ENV [RUNNER_ENV]
# Environment: NITRO_CLI (default nitro-cli), NW_EIF (default /opt/nitro-wallet/enclave/
# nitro-wallet.eif), NW_RUNNER_INTERVAL_S (default 5), NW_RUNNER_MAX_LOOPS (tests; default
# forever), NW_ENCLAVE_NAME (default nitro-wallet), NW_NITRO_LOG_DIR (default /var/log/nitro_enclaves).
set -eu
# shellcheck disable=SC1090
. "${1:?usage: enclave-runner.sh DEPLOY_ENV [RUNNER_ENV]}"
if [ -n "${2:-}" ] && [ -f "$2" ]; then
    # shellcheck disable=SC1090
    . "$2"
fi
cli=${NITRO_CLI:-nitro-cli}
eif=${NW_EIF:-/opt/nitro-wallet/enclave/nitro-wallet.eif}
name=${NW_ENCLAVE_NAME:-nitro-wallet}
interval=${NW_RUNNER_INTERVAL_S:-5}
max_loops=${NW_RUNNER_MAX_LOOPS:-0}
logdir=${NW_NITRO_LOG_DIR:-/var/log/nitro_enclaves}
cpus=${NW_ENCLAVE_CPUS:-2}
mem=${NW_ENCLAVE_MEMORY_MIB:-2048}
cid=${NW_ENCLAVE_CID:-16}
dev=${NW_DEV:-0}

log() {
    echo "enclave-runner: $*" >&2
}

# State of our enclave from describe-enclaves ("" when absent).
state() {
    "$cli" describe-enclaves 2>/dev/null |
        jq -r --arg n "$name" '[.[] | select(.EnclaveName == $n) | .State][0] // ""' 2>/dev/null || true
}

last_error() {
    # shellcheck disable=SC2012 # nitro-cli names its logs err<date>.log: no odd characters
    f=$(ls -t "$logdir"/err*.log 2>/dev/null | head -n 1 || true)
    if [ -n "$f" ]; then
        tr '\n' ' ' <"$f" | cut -c1-400
    fi
}

check_measurement() {
    [ -n "${NW_PCR0:-}" ] || return 0
    got=$("$cli" describe-eif --eif-path "$eif" 2>/dev/null | jq -r '.Measurements.PCR0 // ""' 2>/dev/null || true)
    if [ "$dev" = 1 ]; then
        log "DEV deployment: debug mode, KMS sees PCR0 all zeros (image PCR0 ${got:-unknown})"
    elif [ -z "$got" ]; then
        log "WARNING: could not read the PCR0 of $eif"
    elif [ "$got" != "$NW_PCR0" ]; then
        log "ERROR: $eif has PCR0 $got but the key policy names $NW_PCR0: KMS will refuse this enclave (update the policy with scripts/aws/key-policy.sh or redeploy)"
    fi
}

start() {
    set -- run-enclave --enclave-name "$name" --eif-path "$eif" --cpu-count "$cpus" \
        --memory "$mem" --enclave-cid "$cid"
    if [ "$dev" = 1 ]; then
        set -- "$@" --debug-mode
    fi
    log "starting: $cli $*"
    if out=$("$cli" "$@" 2>&1); then
        log "started: $(echo "$out" | jq -c '{EnclaveID, State: .State, Flags}' 2>/dev/null || echo "$out" | tr '\n' ' ')"
        if [ "$dev" = 1 ]; then
            # Debug mode only: the console goes to the journal.
            "$cli" console --enclave-name "$name" 2>&1 | sed 's/^/enclave-console: /' >&2 &
        fi
        return 0
    fi
    log "run-enclave failed: $(echo "$out" | tr '\n' ' ' | cut -c1-400); nitro-cli error log: $(last_error)"
    return 1
}

check_measurement
loops=0
backoff=$interval
while :; do
    s=$(state)
    if [ "$s" = "RUNNING" ]; then
        backoff=$interval
    else
        if [ -z "$s" ]; then
            why="not in describe-enclaves (exited or never started)"
        else
            why="state $s"
            "$cli" terminate-enclave --enclave-name "$name" >/dev/null 2>&1 || true
        fi
        log "enclave $name not running: $why; last nitro-cli error: $(last_error)"
        if start; then
            backoff=$interval
        else
            backoff=$((backoff * 2 > 300 ? 300 : backoff * 2))
        fi
    fi
    loops=$((loops + 1))
    if [ "$max_loops" -gt 0 ] && [ "$loops" -ge "$max_loops" ]; then
        exit 0
    fi
    sleep "$backoff"
done

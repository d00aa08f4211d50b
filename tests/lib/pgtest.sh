#!/bin/sh
# pgtest.sh: a throw-away PostgreSQL 15 cluster for tests, with TLS for a fake RDS host name.
#
#   pgtest.sh start DIR [--name RDSNAME] [--watch PID]
#       initdb in DIR/data as the postgres user, a test CA (DIR/tls/ca.crt) and a server certificate
#       for RDSNAME (default nw-dev.cluster-abc.us-east-1.rds.amazonaws.com), ssl=on, listen on
#       127.0.0.1 on a free port, role nw (random password, scram-sha-256, TLS only), database nw.
#       Prints shell export lines (also kept in DIR/env): NW_PG_DIR NW_PG_HOST NW_PG_HOSTADDR
#       NW_PG_PORT NW_PG_DB NW_PG_USER NW_PG_PASSWORD NW_PG_CA, and NW_PG_OTHER_CA (a second CA
#       that did not sign the server: for "wrong CA" tests).
#       --watch PID: a detached watchdog stops the server when PID exits (a killed test leaks nothing).
#   pgtest.sh stop DIR        stop the server (fast); removes nothing
#   pgtest.sh down DIR        stop the server (fast) but keep everything, to simulate an outage
#   pgtest.sh up DIR          start it again on the same port with the same data
#   pgtest.sh psql DIR ARGS   psql as superuser postgres on database nw over DIR's unix socket
#   pgtest.sh with DIR [--name RDSNAME] -- CMD ARGS
#       start, export the variables, run CMD, stop whatever happens; exits with CMD's status.
#
# Needs root (PostgreSQL refuses to run as root, so the server runs as postgres), openssl, python3.
# DIR must be reachable by the postgres user (every parent directory searchable): `mktemp -d`
# makes a 0700 directory, so create DIR inside it only after `chmod 755` on it, or use DIR itself.
# Every step is bounded in time; errors name what failed and where the log is.
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DEFAULT_NAME=nw-dev.cluster-abc.us-east-1.rds.amazonaws.com

die() {
    echo "pgtest.sh: $*" >&2
    exit 1
}

as_pg() {
    # Runs a command as postgres with a bounded time; the caller quotes for sh.
    timeout "${PGTEST_STEP_TIMEOUT:-60}" su postgres -s /bin/sh -c "$1"
}

abspath() {
    case $1 in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$(pwd)" "$1" ;;
    esac
}

need_tools() {
    [ "$(id -u)" = 0 ] || die "must run as root (the server is started as the postgres user)"
    [ -x "$PGBIN/initdb" ] || die "no PostgreSQL at $PGBIN (install postgresql; set PGBIN)"
    command -v openssl >/dev/null || die "openssl not found"
    command -v python3 >/dev/null || die "python3 not found (used to find a free port)"
    id postgres >/dev/null 2>&1 || die "no postgres user"
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

make_certs() {
    # $1 tls dir, $2 server name. EC P-256 keys: fast to make.
    t=$1
    n=$2
    days=3
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days $days \
        -subj "/CN=nw pgtest CA" -keyout "$t/ca.key" -out "$t/ca.crt" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        >/dev/null 2>&1 || die "openssl: cannot make the test CA"
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days $days \
        -subj "/CN=nw pgtest other CA" -keyout "$t/other-ca.key" -out "$t/other-ca.crt" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        >/dev/null 2>&1 || die "openssl: cannot make the second CA"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$n" \
        -keyout "$t/server.key" -out "$t/server.csr" >/dev/null 2>&1 ||
        die "openssl: cannot make the server key"
    printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$n" \
        >"$t/server.ext"
    openssl x509 -req -in "$t/server.csr" -CA "$t/ca.crt" -CAkey "$t/ca.key" -CAcreateserial \
        -days $days -extfile "$t/server.ext" -out "$t/server.crt" >/dev/null 2>&1 ||
        die "openssl: cannot sign the server certificate"
    rm -f "$t/server.csr" "$t/server.ext" "$t/ca.key" "$t/other-ca.key" "$t/ca.srl"
    chown postgres "$t/server.key" "$t/server.crt"
    chmod 600 "$t/server.key"
    chmod 644 "$t/ca.crt" "$t/other-ca.crt" "$t/server.crt"
}

pg_start() {
    # $1 DIR. Starts the server as configured in DIR/data; returns pg_ctl's status.
    as_pg "$PGBIN/pg_ctl -D '$1/data' -l '$1/log' -w -t 30 start" >/dev/null 2>&1
}

pg_stop() {
    [ -f "$1/data/postmaster.pid" ] || return 0
    as_pg "$PGBIN/pg_ctl -D '$1/data' -m fast -w -t 30 stop" >/dev/null 2>&1 ||
        as_pg "$PGBIN/pg_ctl -D '$1/data' -m immediate -w -t 30 stop" >/dev/null 2>&1 ||
        die "cannot stop the server in $1 (see $1/log)"
}

set_port() {
    sed -i '/^port = /d' "$1/data/postgresql.auto.conf"
    echo "port = $2" >>"$1/data/postgresql.auto.conf"
}

watchdog() {
    # $1 DIR, $2 PID: detached, so a killed test process group does not take it along. It watches
    # PID only (not the server), so a server taken down and up again is still stopped at the end.
    setsid sh -c "while kill -0 $2 2>/dev/null; do sleep 1; done
        '$0' stop '$1' >/dev/null 2>&1" </dev/null >/dev/null 2>&1 &
}

cmd_start() {
    dir=$(abspath "$1")
    shift
    name=$DEFAULT_NAME
    watch=
    while [ $# -gt 0 ]; do
        case $1 in
            --name) [ $# -ge 2 ] || die "--name needs a value"; name=$2; shift 2 ;;
            --watch) [ $# -ge 2 ] || die "--watch needs a PID"; watch=$2; shift 2 ;;
            *) die "start: unknown option $1" ;;
        esac
    done
    need_tools
    [ ! -e "$dir/data" ] || die "$dir/data exists already (use up, or a fresh DIR)"
    mkdir -p "$dir"
    chmod 755 "$dir"
    su postgres -s /bin/sh -c "test -x '$dir'" ||
        die "$dir is not reachable by the postgres user (a parent directory is not searchable: chmod 755 it)"
    mkdir -p "$dir/tls" "$dir/sock"
    make_certs "$dir/tls" "$name"
    chown postgres "$dir" "$dir/sock"
    as_pg "$PGBIN/initdb -D '$dir/data' -A trust -U postgres --no-sync -E UTF8 --locale=C" \
        >"$dir/initdb.log" 2>&1 || die "initdb failed (see $dir/initdb.log)"
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/sock'
ssl = on
ssl_cert_file = '$dir/tls/server.crt'
ssl_key_file = '$dir/tls/server.key'
password_encryption = 'scram-sha-256'
max_connections = 60
fsync = on
EOF
    cat >"$dir/data/pg_hba.conf" <<EOF
local all postgres trust
hostssl all nw 127.0.0.1/32 scram-sha-256
EOF
    pw=$(openssl rand -hex 16)
    tries=0
    while :; do
        port=$(free_port)
        set_port "$dir" "$port"
        if pg_start "$dir"; then
            break
        fi
        tries=$((tries + 1))
        # Another process may have taken the port between the probe and the bind: try another.
        # shellcheck disable=SC2015 # die unless both hold: (A && B) || C is meant
        grep -q 'could not bind\|Address already in use' "$dir/log" 2>/dev/null && [ $tries -lt 5 ] ||
            die "the server did not start (see $dir/log)"
    done
    [ -z "$watch" ] || watchdog "$dir" "$watch"
    # The password goes on stdin, not on a command line.
    printf "CREATE ROLE nw LOGIN PASSWORD '%s';\nCREATE DATABASE nw OWNER nw;\n" "$pw" |
        timeout 30 "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/sock" -p "$port" -U postgres \
            -d postgres >/dev/null 2>"$dir/setup.err" || {
        pg_stop "$dir"
        die "cannot create role/database nw (see $dir/setup.err)"
    }
    umask 077
    cat >"$dir/env" <<EOF
export NW_PG_DIR='$dir'
export NW_PG_HOST='$name'
export NW_PG_HOSTADDR='127.0.0.1'
export NW_PG_PORT='$port'
export NW_PG_DB='nw'
export NW_PG_USER='nw'
export NW_PG_PASSWORD='$pw'
export NW_PG_CA='$dir/tls/ca.crt'
export NW_PG_OTHER_CA='$dir/tls/other-ca.crt'
EOF
    cat "$dir/env"
}

cmd_up() {
    dir=$(abspath "$1")
    need_tools
    [ -d "$dir/data" ] || die "no cluster in $dir (use start)"
    [ ! -f "$dir/data/postmaster.pid" ] || die "the server in $dir is running already"
    pg_start "$dir" || die "the server did not start again (port taken? see $dir/log)"
}

cmd_with() {
    dir=$1
    shift
    opts=
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        opts="$opts $1"
        shift
    done
    [ $# -gt 1 ] || die "with: usage: pgtest.sh with DIR [--name N] -- CMD ARGS"
    shift
    # shellcheck disable=SC2086
    envs=$(cmd_start "$dir" $opts --watch $$) || exit 1
    eval "$envs"
    trap 'pg_stop "$NW_PG_DIR"' EXIT
    trap 'exit 143' INT TERM
    set +e
    "$@"
    rc=$?
    set -e
    exit $rc
}

[ $# -ge 2 ] || die "usage: pgtest.sh start|stop|down|up|psql|with DIR [...]"
cmd=$1
shift
case $cmd in
    start) cmd_start "$@" ;;
    stop | down) need_tools; pg_stop "$(abspath "$1")" ;;
    up) cmd_up "$1" ;;
    psql)
        dir=$(abspath "$1")
        shift
        port=$(sed -n "s/^export NW_PG_PORT='\(.*\)'/\1/p" "$dir/env")
        exec timeout 120 "$PGBIN/psql" -X -h "$dir/sock" -p "$port" -U postgres -d nw "$@"
        ;;
    with) cmd_with "$@" ;;
    *) die "unknown command $cmd" ;;
esac

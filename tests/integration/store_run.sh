#!/bin/sh
# Run one store integration case against a fresh PostgreSQL (tests/lib/pgtest.sh) and clean up.
# Usage: store_run.sh CMD ARGS...  Exits 77 (skipped) without root or PostgreSQL.
set -u
here=$(cd "$(dirname "$0")" && pwd)
pgtest=$here/../lib/pgtest.sh
if [ "$(id -u)" != 0 ] || [ ! -x "${PGBIN:-/usr/lib/postgresql/15/bin}/initdb" ]; then
    echo "*** SKIPPED: store integration test needs root and PostgreSQL 15 (scripts/deps) ***" >&2
    exit 77
fi
t=$(mktemp -d /tmp/nw-store-it.XXXXXX) || exit 1
chmod 755 "$t"
NW_PGTEST=$pgtest
export NW_PGTEST
"$pgtest" with "$t/pg" -- "$@"
rc=$?
rm -rf "$t"
exit $rc

#!/usr/bin/env bash
# Starts the real servers the integration tests talk to, runs a command with
# their addresses in the environment, and stops them afterwards, also when
# the command fails or is interrupted.
#
#   scripts/harness.sh [--] COMMAND...
#
# Exports:
#   COUNTERSIGN_TEST_PG   libpq connection string of a throwaway PostgreSQL
#                         (loopback, a free non-default port, data in a temp dir)
#   PGHOST PGPORT PGUSER PGDATABASE   the same, for psql and libpq defaults
set -euo pipefail

[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: $0 [--] COMMAND..." >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/countersign-harness.XXXXXX")
chmod 755 "$work"
pg_data="$work/postgres"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pg_bin" ] || { echo "harness: PostgreSQL is not installed (run scripts/setup.sh)" >&2; exit 1; }

# initdb refuses to run as root: use the postgres account then.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

stop_all() {
    status=$?
    if [ -f "$pg_data/postmaster.pid" ]; then
        as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
    exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

mkdir -p "$pg_data"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pg_data"
as_pg "$pg_bin/initdb" -D "$pg_data" -A trust -U postgres -E UTF8 --no-sync >"$work/initdb.log" 2>&1 \
    || { cat "$work/initdb.log" >&2; exit 1; }
pg_port=$(free_port)
as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -t 60 \
    -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50" \
    start >/dev/null || { cat "$pg_data/server.log" >&2; exit 1; }
psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qAtc "create database countersign_test" >/dev/null

export PGHOST=127.0.0.1 PGPORT=$pg_port PGUSER=postgres PGDATABASE=countersign_test
export COUNTERSIGN_TEST_PG="host=127.0.0.1 port=$pg_port user=postgres dbname=countersign_test"
echo "harness: PostgreSQL on 127.0.0.1:$pg_port (data in $pg_data)"

"$@"

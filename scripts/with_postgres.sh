#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL 15 cluster.
#
#   scripts/with_postgres.sh CMD [ARGS...]
#
# Makes a fresh cluster in a temporary directory, listening only on a unix socket inside
# that directory, creates the database `tether_test`, exports
#   TETHER_TEST_PG_URL=postgresql://<user>@/tether_test?host=<socketdir>&port=<port>
# runs CMD, then stops the server and removes the directory (also when CMD fails or the
# run is interrupted) and exits with CMD's status.
#
# The server must not run as root, so when this script runs as root the cluster belongs to
# the `postgres` system user (created if missing). Binaries come from Debian's
# postgresql-15 package, installed with apt-get when missing. Override with PG_BIN.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_DB="tether_test"

log() { echo "with_postgres: $*" >&2; }

if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "PostgreSQL 15 binaries not found in $PG_BIN; installing postgresql-15"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >&2
    fi
    if [ ! -x "$PG_BIN/initdb" ]; then
        log "cannot find PostgreSQL 15 in $PG_BIN (install Debian's postgresql-15 package)"
        exit 1
    fi
fi

# Choose who owns and runs the cluster: PostgreSQL refuses to run as root.
if [ "$(id -u)" -eq 0 ]; then
    PG_USER="postgres"
    if ! id "$PG_USER" >/dev/null 2>&1; then
        log "creating system user $PG_USER"
        useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$PG_USER"
    fi
    as_pg() {
        if command -v runuser >/dev/null 2>&1; then
            runuser -u "$PG_USER" -- "$@"
        else
            su -s /bin/sh "$PG_USER" -c "$(printf '%q ' "$@")"
        fi
    }
else
    PG_USER="$(id -un)"
    as_pg() { "$@"; }
fi

# A short base directory keeps the socket path under the 107-byte unix socket limit.
BASE_TMP="${TETHER_PG_TMPDIR:-/tmp}"
PG_TMP="$(mktemp -d "$BASE_TMP/tether-pg.XXXXXX")"
PG_DATA="$PG_TMP/data"
PG_LOG="$PG_TMP/server.log"
STARTED=0

cleanup() {
    local status=$?
    trap - EXIT INT TERM HUP
    if [ "$STARTED" -eq 1 ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ "$(id -u)" -eq 0 ]; then
    chown "$PG_USER" "$PG_TMP"
fi
chmod 700 "$PG_TMP"

# The server listens on no TCP address, so the port only names the socket file inside
# our private directory; a random number keeps logs from different runs apart.
PG_PORT="$(( 20000 + RANDOM % 20000 ))"

as_pg "$PG_BIN/initdb" -D "$PG_DATA" --auth=trust --encoding=UTF8 --locale=C \
    --no-sync --username="$PG_USER" >"$PG_TMP/initdb.log" 2>&1 || {
    log "initdb failed:"; cat "$PG_TMP/initdb.log" >&2; exit 1; }

# Speed over durability: this cluster lives for one test run.
PG_OPTS="-c listen_addresses='' -c unix_socket_directories='$PG_TMP' -p $PG_PORT"
PG_OPTS="$PG_OPTS -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
PG_OPTS="$PG_OPTS -c max_connections=100"

STARTED=1
if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -o "$PG_OPTS" -l "$PG_LOG" -w -t 60 start >/dev/null; then
    log "PostgreSQL did not start; server log:"
    cat "$PG_LOG" >&2 || true
    exit 1
fi

as_pg "$PG_BIN/createdb" -h "$PG_TMP" -p "$PG_PORT" -U "$PG_USER" "$PG_DB"

export TETHER_TEST_PG_URL="postgresql://$PG_USER@/$PG_DB?host=$PG_TMP&port=$PG_PORT"
log "$("$PG_BIN/postgres" --version) ready: $TETHER_TEST_PG_URL"

# Root can reach the socket; for other callers the directory must let them in.
chmod 755 "$PG_TMP"

set +e
"$@"
CMD_STATUS=$?
set -e
exit "$CMD_STATUS"

#!/usr/bin/env bash
# Chinese text search (xs_kit::search) at scale, on SQLite and on PostgreSQL: loads synthetic
# reports (title + 200–1,500-character body) through search::index in batched transactions,
# then times a list endpoint's query (one district, newest first, LIMIT 50, filtered by
# search::matching) for common, medium, tail and rare two-character words and for three- and
# four-character phrases. See services/kit/examples/search_bench/.
#
#   bench/search.sh                        # both backends, 1,000,000 reports
#   BACKENDS=postgres DOCS=100000 bench/search.sh
#   KEEP=1 bench/search.sh                 # keep the loaded databases; a later KEEP=1 run reuses them
#   RUNS=24 WRITES=1000 VERBOSE=1 bench/search.sh
# Needs a PostgreSQL server (trust auth for the URL given) and psql for the PostgreSQL half.
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${PG:-postgres://root@127.0.0.1:5432}
DB=xs_bench_search
DOCS=${DOCS:-1000000}
BACKENDS=${BACKENDS:-sqlite postgres}
SQLITE_FILE=${SQLITE_FILE:-${TMPDIR:-/tmp}/xs_bench_search.db}
export DOCS RUNS="${RUNS:-24}" WRITES="${WRITES:-1000}"

cargo build --release -q -p xs-kit --example search_bench
BIN=${CARGO_TARGET_DIR:-target}/release/examples/search_bench

echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for backend in $BACKENDS; do
    echo
    echo "== $backend =="
    case $backend in
    sqlite)
        [ "${KEEP:-0}" = 1 ] || rm -f "$SQLITE_FILE" "$SQLITE_FILE-wal" "$SQLITE_FILE-shm"
        XS_BENCH_DB=$SQLITE_FILE "$BIN"
        [ "${KEEP:-0}" = 1 ] || rm -f "$SQLITE_FILE" "$SQLITE_FILE-wal" "$SQLITE_FILE-shm"
        ;;
    postgres)
        if [ "${KEEP:-0}" != 1 ] || ! psql -q "$PG/$DB" -c 'SELECT 1' >/dev/null 2>&1; then
            psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
        fi
        XS_BENCH_DB=$PG/$DB "$BIN"
        [ "${KEEP:-0}" = 1 ] || psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
        ;;
    *)
        echo "unknown backend $backend (sqlite or postgres)" >&2
        exit 2
        ;;
    esac
done

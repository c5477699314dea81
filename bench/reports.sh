#!/usr/bin/env bash
# The reports service at scale, on PostgreSQL and SQLite: loads REPORTS synthetic reports
# (the kit's search corpus: title + 200–1,500 characters, authors and search entries included;
# services/reports/examples/load_reports: on SQLite through the service's own model, on
# PostgreSQL the same rows streamed with COPY, about 1,000,000 in 15 minutes instead of over
# an hour; LOAD=model forces the model there too), starts the whole stack on that database,
# and through the gateway measures
#   1. `GET /api/v1/reports?district=…&q=…&limit=50` (newest first, the kit's Chinese search)
#      for common, medium, tail and rare two-character words and three- and four-character
#      phrases: p50/p95/p99 over RUNS requests per query, rotating over the six districts;
#   2. the whole list as CSV (`Accept: text/csv`, every report): time, rows, bytes, and the
#      serving process's resident memory before and at its peak during the export.
#
#   bench/reports.sh                               # both backends, 1,000,000 reports
#   BACKENDS=sqlite REPORTS=100000 bench/reports.sh
#   KEEP=1 bench/reports.sh                        # keep the loaded databases; a later KEEP=1 run reuses them
#   BACKENDS=postgres DB=xs_mine KEEP=1 bench/reports.sh   # another database name
#   EXPORT=0 bench/reports.sh                      # the search only, no CSV export
# Needs a PostgreSQL server (trust auth for the URL given) and psql for the PostgreSQL half.
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${PG:-postgres://root@127.0.0.1:5432}
DB=${DB:-xs_bench_reports}
REPORTS=${REPORTS:-1000000}
RUNS=${RUNS:-12}
BACKENDS=${BACKENDS:-postgres sqlite}
SQLITE_FILE=${SQLITE_FILE:-${TMPDIR:-/tmp}/xs_bench_reports.db}
export REPORTS

cargo build --release -q
cargo build --release -q -p xs-reports --example load_reports
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$TARGET/release/xieshang
LOADER=$TARGET/release/examples/load_reports
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

GW=127.0.0.1:18190
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $REPORTS reports"
for backend in $BACKENDS; do
    echo
    echo "== $backend =="
    case $backend in
    postgres)
        if [ "${KEEP:-0}" != 1 ] || ! psql -q "$PG/$DB" -c 'SELECT 1' >/dev/null 2>&1; then
            psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
        fi
        URL=$PG/$DB
        ;;
    sqlite)
        [ "${KEEP:-0}" = 1 ] || rm -f "$SQLITE_FILE" "$SQLITE_FILE-wal" "$SQLITE_FILE-shm"
        URL=$SQLITE_FILE
        ;;
    *)
        echo "unknown backend $backend (sqlite or postgres)" >&2
        exit 2
        ;;
    esac
    XS_BENCH_DB=$URL QUERIES=$WORK/queries.tsv "$LOADER"

    export XS_ADDR=$GW XS_DATA_DIR=$WORK/data XS_MEMBERSHIP_ADDR=127.0.0.1:18191 \
        XS_CONSULTATION_ADDR=127.0.0.1:18192 XS_REPORTS_ADDR=127.0.0.1:18193 \
        XS_LIAISON_ADDR=127.0.0.1:18194 XS_ADMIN_PASSWORD=bench-password XS_LOG=warn \
        XS_RATE_LIMIT_PER_MINUTE=1000000000 XS_REPORTS_DATABASE_URL=$URL
    rm -rf "$WORK/data"
    "$BIN" serve > "$WORK/stack.log" 2>&1 &
    STACK=$!
    PIDS+=("$STACK")
    for _ in $(seq 1 300); do curl -fs "http://$GW/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
    TOKEN=$(curl -fs -X POST "http://$GW/auth/token" -d grant_type=password -d username=admin \
            -d password=bench-password | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

    # 1. Search through the gateway.
    : > "$WORK/times.tsv"
    districts=(siming huli jimei haicang tongan xiangan)
    while IFS=$'\t' read -r class query; do
        q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$query")
        found=$(curl -fs -H "Authorization: Bearer $TOKEN" \
            "http://$GW/api/v1/reports?district=siming&q=$q&limit=50" \
            | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')   # warm-up
        [ "$found" -gt 0 ] || echo "  (no report of siming holds $query)"
        for run in $(seq 1 "$RUNS"); do
            d=${districts[$((run % 6))]}
            t=$(curl -fs -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" \
                "http://$GW/api/v1/reports?district=$d&q=$q&limit=50")
            printf '%s\t%s\n' "$class" "$t" >> "$WORK/times.tsv"
        done
    done < "$WORK/queries.tsv"
    python3 - "$WORK/times.tsv" <<'PY'
import math, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
def pct(xs, p):
    xs = sorted(xs)
    return xs[max(1, math.ceil(p / 100 * len(xs))) - 1]
classes = {}
for c, t in rows:
    classes.setdefault(c, []).append(float(t) * 1000)
print(f"{'q= search through the gateway (ms)':<36} {'n':>5} {'p50':>8} {'p95':>8} {'p99':>8}")
for c, xs in list(classes.items()) + [("all queries", [x for v in classes.values() for x in v])]:
    print(f"{c:<36} {len(xs):>5} {pct(xs, 50):8.1f} {pct(xs, 95):8.1f} {pct(xs, 99):8.1f}")
PY

    # 2. The whole list as CSV through the gateway, with the serving process's memory.
    alive() { kill -0 "$STACK" 2>/dev/null || { echo "the stack stopped:"; tail -20 "$WORK/stack.log"; exit 1; }; }
    rss() { awk '/^VmRSS/ {print $2}' "/proc/$STACK/status" 2>/dev/null || echo 0; }
    alive
    if [ "${EXPORT:-1}" != 0 ]; then
        before=$(rss)
        ( peak=0; while kill -0 "$STACK" 2>/dev/null && [ ! -f "$WORK/done" ]; do
              r=$(rss); [ "$r" -gt "$peak" ] && peak=$r; echo "$peak" > "$WORK/peak"; sleep 0.1
          done ) &
        SAMPLER=$!
        start=$(date +%s.%N)
        curl -fsN -H "Authorization: Bearer $TOKEN" -H 'Accept: text/csv' "http://$GW/api/v1/reports" \
            | python3 -c '
import sys
rows = size = 0
for line in sys.stdin.buffer:
        size += len(line)
        rows += line.endswith(b"\r\n")
print(rows - 1, size)' > "$WORK/export"
        end=$(date +%s.%N)
        touch "$WORK/done"; wait "$SAMPLER" || true; rm -f "$WORK/done"
        alive
        read -r rows bytes < "$WORK/export"
        printf 'CSV export of every report: %s rows, %s MB in %.1f s; RSS of the serving process %s kB before, %s kB peak\n' \
            "$rows" "$((bytes / 1048576))" "$(echo "$end - $start" | bc)" "$before" "$(cat "$WORK/peak")"
    fi
    kill "$STACK"; wait "$STACK" 2>/dev/null || true
    case $backend in
    postgres) [ "${KEEP:-0}" = 1 ] || psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" ;;
    sqlite) [ "${KEEP:-0}" = 1 ] || rm -f "$SQLITE_FILE" "$SQLITE_FILE-wal" "$SQLITE_FILE-shm" ;;
    esac
done

#!/usr/bin/env bash
# Liaison benchmark on PostgreSQL: 200,000 compatriots, 50,000 liaison events with 1,000,000
# registrations and 200,000 compatriot requests, then the latency of the liaison lists, the
# overdue list and the statistics through the gateway, and the rate of registrations taken
# concurrently for one event (with the check that its capacity was never exceeded).
#
#   bench/liaison.sh
#   PG=postgres://root@127.0.0.1:5432 COMPATRIOTS=200000 EVENTS=50000 REGISTRATIONS=1000000 bench/liaison.sh
#   KEEP=1 bench/liaison.sh    # keep the loaded database; a later KEEP=1 run reuses it
# Needs a PostgreSQL server (trust auth for the URL given) and psql; installs wrk if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${PG:-postgres://root@127.0.0.1:5432}
DB=xs_bench_liaison
MDB=xs_bench_liaison_membership
COMPATRIOTS=${COMPATRIOTS:-200000}
EVENTS=${EVENTS:-50000}
REGISTRATIONS=${REGISTRATIONS:-1000000}
REQUESTS=${REQUESTS:-200000}
CONNS=${CONNS:-8}
DURATION=${DURATION:-10s}
CAPACITY=${CAPACITY:-500}

command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }; }
cargo build --release -q
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/xieshang}
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

export XS_LIAISON_DATABASE_URL=$PG/$DB XS_MEMBERSHIP_DATABASE_URL=$PG/$MDB
loaded=$(psql -tA "$PG/$DB" -c 'SELECT count(*) FROM event_registrations' 2>/dev/null || echo 0)
if [ "${KEEP:-0}" = 1 ] && [ "$loaded" = "$REGISTRATIONS" ]; then
    echo "reusing $DB ($loaded registrations)"
    XS_DATA_DIR=$WORK/data "$BIN" migrate liaison >/dev/null
    XS_DATA_DIR=$WORK/data "$BIN" migrate membership >/dev/null
else
for d in $DB $MDB; do psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" -c "CREATE DATABASE $d"; done
XS_DATA_DIR=$WORK/data "$BIN" migrate liaison >/dev/null
XS_DATA_DIR=$WORK/data "$BIN" migrate membership >/dev/null
psql -q -v ON_ERROR_STOP=1 "$PG/$MDB" <<SQL
INSERT INTO districts (code, name, created_at, created_by, updated_at, updated_by)
SELECT d, d, now(), 'bench', now(), 'bench'
FROM unnest(ARRAY['siming','huli','jimei','haicang','tongan','xiangan']) AS d;
SQL

echo "loading $COMPATRIOTS compatriots, $EVENTS events, $REGISTRATIONS registrations, $REQUESTS requests…"
start=$(date +%s)
psql -q -v ON_ERROR_STOP=1 "$PG/$DB" <<SQL
CREATE TEMP TABLE ds AS SELECT * FROM unnest(ARRAY['siming','huli','jimei','haicang','tongan','xiangan']) WITH ORDINALITY AS t(code, i);
CREATE TEMP TABLE origins AS SELECT * FROM unnest(ARRAY['taipei','new_taipei','taichung','tainan','kaohsiung','kinmen']) WITH ORDINALITY AS t(name, i);
CREATE TEMP TABLE kinds AS SELECT * FROM unnest(ARRAY['lecture','study_class','symposium','enterprise_visit',
    'youth_base_visit','cultural_exchange','volunteer_service','social_event','heritage_survey']) WITH ORDINALITY AS t(name, i);
CREATE TEMP TABLE rkinds AS SELECT * FROM unnest(ARRAY['entrepreneurship','employment','medical','housing',
    'education','legal','travel','other']) WITH ORDINALITY AS t(name, i);

-- Compatriot n lives in district n % 6.
INSERT INTO compatriots (id, name, origin, occupation, employer, district_code, contact, id_number,
    account_sub, version, created_at, created_by, updated_at, updated_by)
SELECT md5('c' || n)::uuid::text, '台胞' || n, origins.name, '工程师', NULL, ds.code,
       '139' || lpad((n % 100000000)::text, 8, '0'), 'A' || lpad((n % 1000000000)::text, 9, '0'),
       NULL, 1, now(), 'bench', now(), 'bench'
FROM generate_series(1, $COMPATRIOTS) AS n
JOIN ds ON ds.i = n % 6 + 1 JOIN origins ON origins.i = n % 6 + 1;
INSERT INTO kit_search_pending (kind, doc_id, body) SELECT 'compatriot', id, name FROM compatriots;

-- Event e is in district e % 6, over the last 400 days; nine in ten are held.
INSERT INTO liaison_events (id, kind, title, district_code, starts_at, ends_at, place, liaison_point,
    enterprise_id, capacity, status, people_served, volunteers, summary, cancel_reason, version,
    created_at, created_by, updated_at, updated_by)
SELECT md5('e' || e)::uuid::text, kinds.name, '活动' || e, ds.code,
       date_trunc('day', now() AT TIME ZONE 'UTC') - make_interval(days => e % 400) + interval '10 hours',
       NULL, '台胞驿站', NULL, NULL, NULL,
       CASE WHEN e % 10 = 0 THEN 'planned' ELSE 'held' END,
       CASE WHEN e % 10 = 0 THEN NULL ELSE 50 + e % 200 END,
       CASE WHEN e % 10 = 0 THEN NULL ELSE e % 12 END, NULL, NULL, 1, now(), 'bench', now(), 'bench'
FROM generate_series(1, $EVENTS) AS e
JOIN ds ON ds.i = e % 6 + 1 JOIN kinds ON kinds.i = e % 9 + 1;

-- Registration g: of event g % EVENTS, by a compatriot of the event's district.
INSERT INTO event_registrations (id, event_id, compatriot_id, member_id, person, status, queue_no,
    attended, promoted_at, cancelled_at, version, created_at, created_by, updated_at, updated_by)
SELECT md5('r' || g)::uuid::text, md5('e' || ev)::uuid::text, md5('c' || c)::uuid::text, NULL,
       'compatriot:' || md5('c' || c)::uuid::text, 'confirmed', g / $EVENTS + 1,
       CASE WHEN ev % 10 = 0 THEN NULL ELSE g % 5 <> 0 END, NULL, NULL, 1, now(), 'bench', now(), 'bench'
FROM generate_series(0, $REGISTRATIONS - 1) AS g
CROSS JOIN LATERAL (SELECT g % $EVENTS + 1 AS ev) evs
-- A compatriot of the same district (n % 6 = ev % 6), distinct within the event (needs
-- COMPATRIOTS > 6 * (REGISTRATIONS / EVENTS + 2)).
CROSS JOIN LATERAL (SELECT (g / $EVENTS) * 6 + ev % 6 + 6 AS c) cc;

INSERT INTO event_suggestions (id, event_id, district_code, title, body, raised_by, report_id,
    version, created_at, created_by, updated_at, updated_by)
SELECT md5('s' || e)::uuid::text, md5('e' || e)::uuid::text, ds.code, '建议' || e, '内容', NULL, NULL,
       1, now(), 'bench', now(), 'bench'
FROM generate_series(1, $EVENTS) AS e JOIN ds ON ds.i = e % 6 + 1 WHERE e % 10 <> 0 AND e % 3 = 0;

-- Request q of compatriot q, received over the last 400 days; two in three are resolved.
INSERT INTO compatriot_requests (id, district_code, compatriot_id, enterprise_id, kind, description,
    assigned_member, status, received_on, closed_on, resolution, unresolvable_reason, version,
    created_at, created_by, updated_at, updated_by)
SELECT md5('q' || q)::uuid::text, ds.code, md5('c' || q)::uuid::text, NULL, rkinds.name, '诉求',
       NULL, CASE WHEN q % 3 = 0 THEN 'received' ELSE 'resolved' END,
       (now() AT TIME ZONE 'UTC')::date - q % 400,
       CASE WHEN q % 3 = 0 THEN NULL ELSE (now() AT TIME ZONE 'UTC')::date - q % 400 + q % 30 END,
       NULL, NULL, 1, now(), 'bench', now(), 'bench'
FROM generate_series(1, LEAST($REQUESTS, $COMPATRIOTS)) AS q
JOIN ds ON ds.i = q % 6 + 1 JOIN rkinds ON rkinds.i = q % 8 + 1;
SQL
XS_DATA_DIR=$WORK/data "$BIN" migrate liaison >/dev/null
psql -q "$PG/$DB" -c 'VACUUM ANALYZE'
echo "loaded in $(( $(date +%s) - start )) s: $(psql -tA "$PG/$DB" -c 'SELECT count(*) FROM compatriots') compatriots, $(psql -tA "$PG/$DB" -c 'SELECT count(*) FROM liaison_events') events, $(psql -tA "$PG/$DB" -c 'SELECT count(*) FROM event_registrations') registrations"
fi

GW=127.0.0.1:18190
export XS_ADDR=$GW XS_DATA_DIR=$WORK/data XS_MEMBERSHIP_ADDR=127.0.0.1:18191 XS_CONSULTATION_ADDR=127.0.0.1:18192 \
       XS_REPORTS_ADDR=127.0.0.1:18193 XS_LIAISON_ADDR=127.0.0.1:18194 XS_ADMIN_PASSWORD=bench-password \
       XS_LOG=warn XS_RATE_LIMIT_PER_MINUTE=1000000000
"$BIN" serve > "$WORK/stack.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fs "http://$GW/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
TOKEN=$(curl -fs -X POST "http://$GW/auth/token" -d grant_type=password -d username=admin -d password=bench-password \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
EVENT=$(psql -tA "$PG/$DB" -c "SELECT md5('e7')::uuid::text")
FROM=$(date -u -d '-365 days' +%F); TO=$(date -u +%F)

declare -a NAMES URLS
NAMES+=("compatriots: district page, audited"); URLS+=("/api/v1/compatriots?district=huli&limit=50")
NAMES+=("compatriots: name search");            URLS+=("/api/v1/compatriots?district=huli&q=%E5%8F%B0%E8%83%9E1234&limit=50")
NAMES+=("events: district held page");          URLS+=("/api/v1/liaison-events?district=huli&status=held&limit=50")
NAMES+=("registrations: one event's page");     URLS+=("/api/v1/liaison-events/$EVENT/registrations?limit=50")
NAMES+=("requests: overdue in district");       URLS+=("/api/v1/compatriot-requests/overdue?district=huli&days=60&limit=50")
NAMES+=("stats: district, one year");           URLS+=("/api/v1/stats/liaison?district=huli&from=$FROM&to=$TO")

report() {
    python3 - "$1" "$2" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if not m:
        sys.exit(f"cannot read the latency {v!r}:\n{text}")
    n, unit = m.groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{sys.argv[2]:<40} {rps:8.0f} {p50:9.2f} {p99:9.2f}" + (f"  ({bad.group(1)} non-2xx)" if bad else ""))
PY
}

echo "wrk -t2 -c$CONNS -d$DURATION through the gateway, $(nproc) cores"
printf '%-40s %8s %9s %9s\n' query req/s p50_ms p99_ms
for i in "${!NAMES[@]}"; do
    code=$(curl -s -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://$GW${URLS[$i]}")
    [ "$code" = 200 ] || { echo "${URLS[$i]} answered $code: $(head -c 300 "$WORK/body")"; exit 1; }
    wrk -t2 -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "http://$GW${URLS[$i]}" > "$WORK/wrk"
    report "$WORK/wrk" "${NAMES[$i]}"
done

# Registrations taken concurrently for one new event of capacity $CAPACITY: each request
# registers another compatriot of huli (each wrk thread takes every other one).
NEW=$(curl -fs -X POST "http://$GW/api/v1/liaison-events" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -d "{\"kind\":\"lecture\",\"title\":\"压测\",\"district\":\"huli\",\"starts_at\":\"$(date -u +%FT%TZ)\",\"place\":\"台胞驿站\",\"capacity\":$CAPACITY}" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -fs -X POST "http://$GW/api/v1/liaison-events/$NEW/transitions" -H "Authorization: Bearer $TOKEN" \
     -H 'Content-Type: application/json' -d '{"action":"open_registration"}' >/dev/null
{
    echo "ids = {"
    psql -tA "$PG/$DB" -c "SELECT '\"' || id || '\",' FROM compatriots WHERE district_code = 'huli' ORDER BY id LIMIT 30000"
    echo "}"
    cat <<LUA
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) n = 0 end
request = function()
    n = n + 1
    local i = ((n - 1) * 2 + tid) % #ids + 1
    return wrk.format("POST", "/api/v1/liaison-events/$NEW/registrations",
        {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $TOKEN"},
        '{"compatriot":"' .. ids[i] .. '"}')
end
LUA
} > "$WORK/register.lua"
wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$WORK/register.lua" "http://$GW" > "$WORK/wrk"
report "$WORK/wrk" "registrations: one event, concurrent"
counts=$(psql -tA "$PG/$DB" -c "SELECT count(*) FILTER (WHERE status = 'confirmed') || ' confirmed, ' || count(*) FILTER (WHERE status = 'waitlisted') || ' waiting' FROM event_registrations WHERE event_id = '$NEW'")
confirmed=$(psql -tA "$PG/$DB" -c "SELECT count(*) FROM event_registrations WHERE event_id = '$NEW' AND status = 'confirmed'")
echo "  capacity $CAPACITY: $counts"
[ "$confirmed" -le "$CAPACITY" ] || { echo "OVERBOOKED"; exit 1; }
if [ "${KEEP:-0}" != 1 ]; then
    for d in $DB $MDB; do psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)"; done
fi

#!/usr/bin/env bash
# Membership benchmark on PostgreSQL: 300,000 members and 3,000,000 activity records, then the
# latency of filtered member pages, name search, a district's ranked evaluation and its yearly
# statistics, through the gateway.
#
#   bench/membership.sh
#   PG=postgres://root@127.0.0.1:5432 MEMBERS=300000 ACTIVITIES=3000000 bench/membership.sh
#   KEEP=1 bench/membership.sh    # keep the loaded database; a later KEEP=1 run reuses it
# Needs a PostgreSQL server (trust auth for the URL given) and psql; installs wrk if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${PG:-postgres://root@127.0.0.1:5432}
DB=xs_bench_membership
MEMBERS=${MEMBERS:-300000}
ACTIVITIES=${ACTIVITIES:-3000000}
CONNS=${CONNS:-8}
DURATION=${DURATION:-10s}

command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }; }
cargo build --release -q
BIN=target/release/xieshang
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

export XS_MEMBERSHIP_DATABASE_URL=$PG/$DB
loaded=$(psql -tA "$PG/$DB" -c 'SELECT count(*) FROM activities' 2>/dev/null || echo 0)
if [ "${KEEP:-0}" = 1 ] && [ "$loaded" = "$ACTIVITIES" ]; then
    echo "reusing $DB ($loaded activities)"
    XS_DATA_DIR=$WORK/data "$BIN" migrate membership >/dev/null
else
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
XS_DATA_DIR=$WORK/data "$BIN" migrate membership >/dev/null

echo "loading $MEMBERS members and $ACTIVITIES activities…"
start=$(date +%s)
psql -q -v ON_ERROR_STOP=1 "$PG/$DB" <<SQL
INSERT INTO districts (code, name, created_at, created_by, updated_at, updated_by)
SELECT d, d, now(), 'bench', now(), 'bench'
FROM unnest(ARRAY['siming','huli','jimei','haicang','tongan','xiangan']) AS d;
INSERT INTO subdistricts (code, district_code, name, kind, created_at, created_by, updated_at, updated_by)
SELECT d || '-s' || s, d, d || '街道' || s, 'subdistrict', now(), 'bench', now(), 'bench'
FROM unnest(ARRAY['siming','huli','jimei','haicang','tongan','xiangan']) AS d, generate_series(1, 10) AS s;
INSERT INTO sectors (code, name, created_at, created_by, updated_at, updated_by)
SELECT 's' || lpad(s::text, 2, '0'), '界别' || s, now(), 'bench', now(), 'bench' FROM generate_series(1, 30) AS s;

-- Member n lives in district n % 6, sector n % 30, subdistrict (n / 6) % 10.
CREATE TEMP TABLE ds AS SELECT * FROM unnest(ARRAY['siming','huli','jimei','haicang','tongan','xiangan']) WITH ORDINALITY AS t(code, i);
INSERT INTO members (id, name, gender, birth_year, sector_code, affiliation, district_code,
    residence_subdistrict, workplace_subdistrict, phone, photo_url, taiwan_origin, term, status,
    version, created_at, created_by, updated_at, updated_by)
SELECT md5('m' || n)::uuid::text, '委员' || n, CASE WHEN n % 2 = 0 THEN 'male' ELSE 'female' END,
       1950 + n % 50, 's' || lpad((n % 30 + 1)::text, 2, '0'), NULL, ds.code,
       ds.code || '-s' || ((n / 6) % 10 + 1), NULL, '138' || lpad((n % 100000000)::text, 8, '0'),
       NULL, n % 50 = 0, '第十四届', CASE WHEN n % 20 = 0 THEN 'retired' ELSE 'active' END,
       1, now(), 'bench', now(), 'bench'
FROM generate_series(1, $MEMBERS) AS n JOIN ds ON ds.i = n % 6 + 1;
INSERT INTO member_specialties (member_id, specialty, position)
SELECT md5('m' || n)::uuid::text, (ARRAY['法律','医疗','教育','经济','调解'])[n % 5 + 1], 0
FROM generate_series(1, $MEMBERS) AS n;
-- Members loaded by hand: the kit indexes their names for search at the next migrate (below).
INSERT INTO kit_search_pending (kind, doc_id, body) SELECT 'member', id, name FROM members;

CREATE TEMP TABLE types AS SELECT * FROM unnest(ARRAY['duty_shift','check_in','consultation','reception',
    'mediation','report_submitted','report_adopted','lecture','volunteer_service','free_clinic',
    'warmth_delivery','research_visit','emergency_relief','liaison_event','other']) WITH ORDINALITY AS t(name, i);
INSERT INTO activities (id, member_id, district_code, activity_type, activity_date, workroom_id,
    beneficiaries, problems_solved, note, points, rule_year, points_overridden, source_service,
    source_event_id, created_at, created_by)
SELECT md5('a' || g)::uuid::text, md5('m' || m)::uuid::text, ds.code, types.name,
       DATE '2026-01-01' + (g % 330), NULL, g % 40, (g % 97 = 0)::int, NULL, r.points, 2026, false,
       'manual', NULL, now(), 'bench'
FROM generate_series(1, $ACTIVITIES) AS g
CROSS JOIN LATERAL (SELECT ((g::bigint * 7919) % $MEMBERS + 1)::int AS m) mm
JOIN ds ON ds.i = mm.m % 6 + 1
JOIN types ON types.i = g % 15 + 1
JOIN evaluation_rules r ON r.year = 2026 AND r.activity_type = types.name;

-- Records loaded by hand: rebuild the per-member yearly points as the migration says.
DELETE FROM member_year_points;
INSERT INTO member_year_points (member_id, year, district_code, points, activity_count)
SELECT a.member_id, EXTRACT(YEAR FROM a.activity_date)::int, m.district_code, SUM(a.points), COUNT(*)
FROM activities a JOIN members m ON m.id = a.member_id GROUP BY 1, 2, 3;
-- And the per-day totals the statistics read, as their migration says.
DELETE FROM activity_day_totals;
INSERT INTO activity_day_totals (district_code, activity_date, activity_type, activities,
    beneficiaries, problems_solved)
SELECT district_code, activity_date, activity_type, COUNT(*), SUM(beneficiaries), SUM(problems_solved)
FROM activities GROUP BY district_code, activity_date, activity_type;
SQL
indexing=$(date +%s)
XS_DATA_DIR=$WORK/data "$BIN" migrate membership >/dev/null
echo "indexed member names for search in $(( $(date +%s) - indexing )) s"
psql -q "$PG/$DB" -c 'VACUUM ANALYZE'
echo "loaded in $(( $(date +%s) - start )) s: $(psql -tA "$PG/$DB" -c 'SELECT count(*) FROM members') members, $(psql -tA "$PG/$DB" -c 'SELECT count(*) FROM activities') activities"
fi

GW=127.0.0.1:18180
export XS_ADDR=$GW XS_DATA_DIR=$WORK/data XS_MEMBERSHIP_ADDR=127.0.0.1:18181 XS_CONSULTATION_ADDR=127.0.0.1:18182 \
       XS_REPORTS_ADDR=127.0.0.1:18183 XS_LIAISON_ADDR=127.0.0.1:18184 XS_ADMIN_PASSWORD=bench-password \
       XS_LOG=warn XS_RATE_LIMIT_PER_MINUTE=1000000000
"$BIN" serve > "$WORK/stack.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fs "http://$GW/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
TOKEN=$(curl -fs -X POST "http://$GW/auth/token" -d grant_type=password -d username=admin -d password=bench-password \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
ONE=$(psql -tA "$PG/$DB" -c "SELECT md5('m1')::uuid::text")

declare -a NAMES URLS
NAMES+=("members: district+sector page");       URLS+=("/api/v1/members?district=siming&sector=s07&limit=50")
NAMES+=("members: district+specialty page");    URLS+=("/api/v1/members?district=huli&specialty=%E6%B3%95%E5%BE%8B&status=active&limit=50")
NAMES+=("members: name search in district");    URLS+=("/api/v1/members?district=jimei&q=%E5%A7%94%E5%91%9833&limit=50")
NAMES+=("members: 2-char search, all match");  URLS+=("/api/v1/members?district=jimei&q=%E5%A7%94%E5%91%98&limit=50")
NAMES+=("evaluations: district ranked page");   URLS+=("/api/v1/evaluations?year=2026&district=siming")
NAMES+=("evaluation: one member with rank");    URLS+=("/api/v1/members/$ONE/evaluation?year=2026")
NAMES+=("stats: district, whole year");         URLS+=("/api/v1/stats/membership?district=siming&from=2026-01-01&to=2026-12-31")

echo "wrk -t2 -c$CONNS -d$DURATION through the gateway, $(nproc) cores"
printf '%-36s %8s %9s %9s\n' query req/s p50_ms p99_ms
for i in "${!NAMES[@]}"; do
    code=$(curl -s -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://$GW${URLS[$i]}")
    [ "$code" = 200 ] || { echo "${URLS[$i]} answered $code: $(head -c 300 "$WORK/body")"; exit 1; }
    wrk -t2 -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "http://$GW${URLS[$i]}" > "$WORK/wrk"
    python3 - "$WORK/wrk" "${NAMES[$i]}" <<'PY'
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
print(f"{sys.argv[2]:<36} {rps:8.0f} {p50:9.2f} {p99:9.2f}" + (f"  ({bad.group(1)} non-2xx!)" if bad else ""))
PY
done
[ "${KEEP:-0}" = 1 ] || psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"

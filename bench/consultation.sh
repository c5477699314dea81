#!/usr/bin/env bash
# Consultation benchmark on PostgreSQL: 100,000 topics (titles and descriptions indexed for
# the kit's Chinese search) and 20,000 consultations with their topics, members, opinions and
# recipients, plus 5,000 mediation cases and 30,000 receptions; then the latency through the
# gateway of a district's filtered topic list (by status, by subdistrict, by a search word) and
# of the consultation statistics (a district's year, a subdistrict's quarter, the whole city).
#
#   bench/consultation.sh
#   PG=postgres://root@127.0.0.1:5432 TOPICS=100000 CONSULTATIONS=20000 bench/consultation.sh
#   KEEP=1 bench/consultation.sh    # keep the loaded database; a later KEEP=1 run reuses it
#   BIN=target/debug/xieshang TOPICS=3000 CONSULTATIONS=600 DURATION=2s bench/consultation.sh  # a smoke run
# Needs a PostgreSQL server (trust auth for the URL given) and psql; installs wrk if missing.
# Targets (issue 11): the district's filtered topic list p99 < 50 ms, the statistics p99 < 200 ms.
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${PG:-postgres://root@127.0.0.1:5432}
DB=xs_bench_consultation
TOPICS=${TOPICS:-100000}
CONSULTATIONS=${CONSULTATIONS:-20000}
CONNS=${CONNS:-8}
DURATION=${DURATION:-10s}

command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }; }
if [ -z "${BIN:-}" ]; then
    cargo build --release -q
    BIN=${CARGO_TARGET_DIR:-target}/release/xieshang
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

export XS_CONSULTATION_DATABASE_URL=$PG/$DB
loaded=$(psql -tA "$PG/$DB" -c 'SELECT count(*) FROM topics' 2>/dev/null || echo 0)
if [ "${KEEP:-0}" = 1 ] && [ "$loaded" = "$TOPICS" ]; then
    echo "reusing $DB ($loaded topics)"
    XS_DATA_DIR=$WORK/data "$BIN" migrate consultation >/dev/null
else
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
XS_DATA_DIR=$WORK/data "$BIN" migrate consultation >/dev/null

echo "loading $TOPICS topics and $CONSULTATIONS consultations…"
start=$(date +%s)
psql -q -v ON_ERROR_STOP=1 "$PG/$DB" <<SQL
-- Topic n is in district n % 6, subdistrict (n / 6) % 10, raised on day n % 330 of 2026.
CREATE TEMP TABLE ds AS SELECT * FROM unnest(ARRAY['siming','huli','jimei','haicang','tongan','xiangan']) WITH ORDINALITY AS t(code, i);
CREATE TEMP TABLE words AS SELECT * FROM unnest(ARRAY['停车','电梯','垃圾分类','噪音','路灯','养老','学位',
    '排水','绿化','物业','菜市场','充电桩','公交','卫生','消防','违建','就业','医疗','文体','台胞']) WITH ORDINALITY AS t(w, i);
INSERT INTO topics (id, title, description, district_code, subdistrict_code, community_code, workroom_id,
    category, origin, status, raised_by, raised_by_role, proposer_member_id, contact_name, contact_phone,
    claimed_members, claimed_workroom_id, declined_reason, merged_into, raised_on, resolved_on,
    resolution_days, version, created_at, created_by, updated_at, updated_by)
SELECT md5('t' || n)::uuid::text,
       '关于' || w1.w || '问题' || n, '居民反映小区' || w1.w || '和' || w2.w || '的情况，希望协调解决。编号' || n,
       ds.code, ds.code || '-s' || ((n / 6) % 10 + 1), NULL, NULL,
       (ARRAY['livelihood','environment','traffic','property_management','elderly_care','education','health'])[n % 7 + 1],
       (ARRAY['assigned','public','member_chosen'])[n % 3 + 1],
       st.status, 'bench-' || (n % 5000), 'resident', NULL, NULL, NULL, '[]', NULL,
       CASE WHEN st.status = 'declined' THEN '不属实' END, NULL,
       DATE '2026-01-01' + (n % 330),
       CASE WHEN st.status = 'resolved' THEN DATE '2026-01-01' + (n % 330) + (n % 40) END,
       CASE WHEN st.status = 'resolved' THEN n % 40 END,
       1, now(), 'bench', now(), 'bench'
FROM generate_series(1, $TOPICS) AS n
JOIN ds ON ds.i = n % 6 + 1
JOIN words w1 ON w1.i = n % 20 + 1
JOIN words w2 ON w2.i = (n / 20) % 20 + 1
CROSS JOIN LATERAL (SELECT (ARRAY['open','claimed','scheduled','consulted','resolved','resolved','resolved',
    'unresolved','declined','open'])[(n / 7) % 10 + 1] AS status) st;
-- Loaded by hand: the kit indexes them for search at the next migrate (below).
INSERT INTO kit_search_pending (kind, doc_id, body) SELECT 'topic', id, title || ' ' || description FROM topics;

-- Consultation k takes up topic k (same district), held on day k % 330 unless planned.
INSERT INTO consultations (id, title, district_code, subdistrict_code, workroom_id, scheduled_on, place,
    format, host, residents_count, resident_names, grassroots_units, departments, status, minutes,
    held_on, submitted_on, closed_on, closing_note, version, created_at, created_by, updated_at, updated_by)
SELECT md5('c' || k)::uuid::text, '微协商' || k, t.district_code, t.subdistrict_code, NULL,
       DATE '2026-01-01' + (k % 330), '社区议事厅', 'on_site', '好商量工作室', k % 30, '[]', '[]', '[]',
       s.status, CASE WHEN s.status <> 'planned' THEN '纪要' END,
       CASE WHEN s.status <> 'planned' THEN DATE '2026-01-01' + (k % 330) END,
       CASE WHEN s.status IN ('submitted','following_up','implemented') THEN DATE '2026-01-01' + (k % 330) + 2 END,
       CASE WHEN s.status = 'implemented' THEN DATE '2026-01-01' + (k % 330) + 30 END, NULL,
       1, now(), 'bench', now(), 'bench'
FROM generate_series(1, $CONSULTATIONS) AS k
JOIN topics t ON t.id = md5('t' || k)::uuid::text
CROSS JOIN LATERAL (SELECT (ARRAY['planned','held','submitted','following_up','implemented'])[k % 5 + 1] AS status) s;
INSERT INTO consultation_topics (consultation_id, topic_id)
SELECT md5('c' || k)::uuid::text, md5('t' || k)::uuid::text FROM generate_series(1, $CONSULTATIONS) AS k;
INSERT INTO consultation_members (consultation_id, member_id)
SELECT md5('c' || k)::uuid::text, md5('m' || (k % 3000) || '-' || j)::uuid::text
FROM generate_series(1, $CONSULTATIONS) AS k, generate_series(1, 3) AS j;
INSERT INTO opinions (id, consultation_id, district_code, subdistrict_code, held_on, position, text,
    responsible_body, status, updated_at, updated_by)
SELECT md5('o' || c.id || j)::uuid::text, c.id, c.district_code, c.subdistrict_code, c.held_on, j,
       '协商意见' || j, '区有关部门',
       (ARRAY['pending','in_progress','adopted','implemented','not_adopted'])[(length(c.id) + j + ascii(c.id)) % 5 + 1],
       now(), 'bench'
FROM consultations c, generate_series(1, 2) AS j WHERE c.held_on IS NOT NULL;
INSERT INTO recipients (id, consultation_id, district_code, kind, body, name, due_on, replied_on, reply)
SELECT md5('r' || c.id)::uuid::text, c.id, c.district_code, 'main', 'government', NULL,
       c.submitted_on + 30, CASE WHEN ascii(c.id) % 2 = 0 THEN c.submitted_on + 20 END,
       CASE WHEN ascii(c.id) % 2 = 0 THEN '已办理' END
FROM consultations c WHERE c.submitted_on IS NOT NULL;

INSERT INTO mediation_cases (id, district_code, subdistrict_code, workroom_id, dispute_type, summary, parties,
    status, received_on, started_on, outcome_on, agreement_summary, referred_to, outcome_note, days_taken,
    version, created_at, created_by, updated_at, updated_by)
SELECT md5('d' || n)::uuid::text, ds.code, ds.code || '-s' || ((n / 6) % 10 + 1), NULL,
       (ARRAY['work_injury','labour','neighbour','contract','family','consumer','other'])[n % 7 + 1],
       '纠纷' || n, '[{"name":"张三"},{"name":"李四"}]', o.status,
       DATE '2026-01-01' + (n % 300), DATE '2026-01-01' + (n % 300),
       CASE WHEN o.status NOT IN ('received','in_mediation') THEN DATE '2026-01-01' + (n % 300) + n % 20 END,
       CASE WHEN o.status = 'agreement_signed' THEN '达成协议' END,
       CASE WHEN o.status = 'referred' THEN 'court' END, NULL,
       CASE WHEN o.status NOT IN ('received','in_mediation') THEN n % 20 END,
       1, now(), 'bench', now(), 'bench'
FROM generate_series(1, 5000) AS n JOIN ds ON ds.i = n % 6 + 1
CROSS JOIN LATERAL (SELECT (ARRAY['agreement_signed','agreement_signed','agreement_signed','failed',
    'referred','in_mediation','received'])[(n / 6) % 7 + 1] AS status) o;

INSERT INTO receptions (id, district_code, subdistrict_code, workroom_id, received_on, visitor_name,
    visitor_contact, channel, category, concern, handling, referred_to, topic_id, report_id, version,
    created_at, created_by, updated_at, updated_by)
SELECT md5('v' || n)::uuid::text, ds.code, ds.code || '-s' || ((n / 6) % 10 + 1), md5('w' || (n % 600))::uuid::text,
       DATE '2026-01-01' + (n % 330), NULL, NULL,
       (ARRAY['visit','mailbox','hotline','wechat'])[n % 4 + 1],
       (ARRAY['legal_consultation','livelihood','dispute','policy','suggestion','cross_strait','other'])[(n / 4) % 7 + 1],
       '来访事项', 'answered', NULL, NULL, NULL, 1, now(), 'bench', now(), 'bench'
FROM generate_series(1, 30000) AS n JOIN ds ON ds.i = n % 6 + 1;
SQL
indexing=$(date +%s)
XS_DATA_DIR=$WORK/data "$BIN" migrate consultation >/dev/null
echo "indexed topics for search in $(( $(date +%s) - indexing )) s"
psql -q "$PG/$DB" -c 'VACUUM ANALYZE'
echo "loaded in $(( $(date +%s) - start )) s: $(psql -tA "$PG/$DB" -c 'SELECT count(*) FROM topics') topics, $(psql -tA "$PG/$DB" -c 'SELECT count(*) FROM consultations') consultations"
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

declare -a NAMES URLS
NAMES+=("topics: district, open, page");         URLS+=("/api/v1/topics?district=siming&status=open&limit=50")
NAMES+=("topics: district+subdistrict+status");  URLS+=("/api/v1/topics?district=huli&subdistrict=huli-s3&status=resolved&limit=50")
NAMES+=("topics: district+origin+category");     URLS+=("/api/v1/topics?district=jimei&origin=public&category=traffic&limit=50")
NAMES+=("topics: district, search 停车");        URLS+=("/api/v1/topics?district=jimei&q=%E5%81%9C%E8%BD%A6&limit=50")
NAMES+=("topics: district, search 充电桩, open"); URLS+=("/api/v1/topics?district=haicang&q=%E5%85%85%E7%94%B5%E6%A1%A9&status=open&limit=50")
NAMES+=("stats: district, whole year");          URLS+=("/api/v1/stats/consultation?district=siming&from=2026-01-01&to=2026-12-31")
NAMES+=("stats: subdistrict, one quarter");      URLS+=("/api/v1/stats/consultation?district=huli&subdistrict=huli-s2&from=2026-04-01&to=2026-06-30")
NAMES+=("stats: whole city, whole year");        URLS+=("/api/v1/stats/consultation?from=2026-01-01&to=2026-12-31")

echo "wrk -t2 -c$CONNS -d$DURATION through the gateway, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-40s %8s %9s %9s\n' query req/s p50_ms p99_ms
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
print(f"{sys.argv[2]:<40} {rps:8.0f} {p50:9.2f} {p99:9.2f}" + (f"  ({bad.group(1)} non-2xx!)" if bad else ""))
PY
done
[ "${KEEP:-0}" = 1 ] || psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"

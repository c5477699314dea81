#!/usr/bin/env bash
# Gateway benchmark: one authenticated GET, measured through
#   (a) the membership service directly, (b) the Xieshang gateway,
#   (c) HAProxy 2.6 verifying the same JWT with jwt_verify and routing to the same service,
#   (d) nginx as a plain reverse proxy (no token check).
# Same token, same upstream, same load tool (wrk) and concurrency for all four.
#
#   bench/gateway.sh                # defaults: 32 connections, 15 s per target, one token
#   CONNS=64 DURATION=30s bench/gateway.sh
#   TOKENS=20000 bench/gateway.sh   # rotate through 20,000 distinct tokens, more than the
#                                   # verifiers remember, so most requests pay a signature check
set -euo pipefail
cd "$(dirname "$0")/.."

CONNS=${CONNS:-32}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-2}
TOKENS=${TOKENS:-1}   # HTTP worker threads for the gateway and the service; HAProxy nbthread and nginx workers match

need() { command -v "$1" >/dev/null 2>&1; }
if ! need haproxy || ! need nginx || ! need wrk; then
    echo "installing haproxy, nginx, wrk (Debian packages)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q haproxy nginx-light wrk >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q haproxy nginx-light wrk >/dev/null; }
fi

cargo build --release -q
BIN=target/release/xieshang
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

GW=127.0.0.1:18080 SVC=127.0.0.1:18081 HAP=127.0.0.1:18090 NGX=127.0.0.1:18091
export XS_ADDR=$GW XS_DATA_DIR=$WORK/data XS_MEMBERSHIP_ADDR=$SVC XS_CONSULTATION_ADDR=127.0.0.1:18082 \
       XS_REPORTS_ADDR=127.0.0.1:18083 XS_LIAISON_ADDR=127.0.0.1:18084 \
       XS_ADMIN_PASSWORD=bench-password XS_WORKERS=$WORKERS XS_LOG=warn XS_LOG_FORMAT=json \
       XS_RATE_LIMIT_PER_MINUTE=1000000000   # the benchmark measures proxying, not the limiter
"$BIN" serve > "$WORK/stack.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fs "http://$GW/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://$GW/readyz" >/dev/null || { echo "the stack did not start"; cat "$WORK/stack.log"; exit 1; }

TOKEN=$(curl -fs -X POST "http://$GW/auth/token" -d grant_type=password -d username=admin -d password=bench-password \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -fs -X POST "http://$GW/api/v1/districts" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
     -d '{"code":"siming","name":"思明区"}' >/dev/null
PATH_UNDER_TEST=/api/v1/districts/siming

# HAProxy verifies the signature with the gateway's public key, and checks alg, iss, aud, exp.
KEY=$(ls "$WORK"/data/keys/*.pem | tail -1)
openssl pkey -in "$KEY" -pubout -out "$WORK/pub.pem" 2>/dev/null
cat > "$WORK/haproxy.cfg" <<CFG
global
    nbthread $WORKERS
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend api
    bind $HAP
    http-request set-var(txn.bearer) http_auth_bearer
    http-request set-var(txn.alg) var(txn.bearer),jwt_header_query('\$.alg')
    http-request set-var(txn.iss) var(txn.bearer),jwt_payload_query('\$.iss')
    http-request set-var(txn.aud) var(txn.bearer),jwt_payload_query('\$.aud')
    http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('\$.exp','int')
    http-request set-var(txn.now) date()
    http-request deny status 401 unless { var(txn.alg) -m str RS256 }
    http-request deny status 401 unless { var(txn.iss) -m str xieshang-gateway }
    http-request deny status 401 unless { var(txn.aud) -m str xieshang }
    http-request deny status 401 if { var(txn.exp),sub(txn.now) -m int lt 0 }
    http-request deny status 401 unless { var(txn.bearer),jwt_verify(txn.alg,"$WORK/pub.pem") -m int 1 }
    default_backend membership
backend membership
    http-reuse always
    server m1 $SVC
CFG
haproxy -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 &
PIDS+=($!)

cat > "$WORK/nginx.conf" <<CFG
worker_processes $WORKERS;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    upstream membership { server $SVC; keepalive 64; }
    server {
        listen $NGX;
        location / {
            proxy_pass http://membership;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }
    }
}
CFG
nginx -c "$WORK/nginx.conf" -p "$WORK" > "$WORK/nginx.log" 2>&1 &
PIDS+=($!)
sleep 1

# Every target must answer the request correctly before it is measured.
for target in "$SVC" "$GW" "$HAP" "$NGX"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://$target$PATH_UNDER_TEST")
    [ "$code" = 200 ] || { echo "$target answered $code"; exit 1; }
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer x$TOKEN" "http://$HAP$PATH_UNDER_TEST")
[ "$code" = 401 ] || { echo "HAProxy accepted a bad token ($code)"; exit 1; }

AUTH=(-H "Authorization: Bearer $TOKEN")
if [ "$TOKENS" -gt 1 ]; then
    python3 -c 'import cryptography' 2>/dev/null || pip install -q cryptography
    python3 - "$KEY" "$TOKENS" > "$WORK/tokens.txt" <<'PY'
import base64, json, sys, time, uuid
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
key_path, n = sys.argv[1], int(sys.argv[2])
key = serialization.load_pem_private_key(open(key_path, "rb").read(), password=None)
kid = key_path.rsplit("/", 1)[-1].removesuffix(".pem")
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
header = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
now = int(time.time())
for i in range(n):
    claims = {"sub": f"bench-{i}", "roles": ["admin"], "iss": "xieshang-gateway", "aud": "xieshang",
              "iat": now, "exp": now + 900, "jti": str(uuid.uuid4())}
    signing_input = f"{header}.{b64(json.dumps(claims).encode())}"
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    print(f"{signing_input}.{b64(sig)}")
PY
    cat > "$WORK/rotate.lua" <<LUA
local tokens = {}
for line in io.lines("$WORK/tokens.txt") do tokens[#tokens + 1] = line end
local i = math.random(#tokens)
request = function()
    i = i % #tokens + 1
    return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. tokens[i]})
end
LUA
    AUTH=(-s "$WORK/rotate.lua")
    curl -fs -o /dev/null -H "Authorization: Bearer $(head -1 "$WORK/tokens.txt")" "http://$GW$PATH_UNDER_TEST" \
        || { echo "a generated token was refused"; exit 1; }
fi

run() { # name target -> "rps p50_ms p99_ms"
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "${AUTH[@]}" "http://$2$PATH_UNDER_TEST" > "$WORK/$1.wrk"
    python3 - "$WORK/$1.wrk" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if not m:
        sys.exit(f"cannot read the latency {v!r} in {sys.argv[1]}:\n{text}")
    n, unit = m.groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if non2xx:
    sys.exit(f"{sys.argv[1]}: {non2xx.group(1)} non-2xx responses")
print(f"{rps:.0f} {p50:.3f} {p99:.3f}")
PY
}

echo "wrk -t$THREADS -c$CONNS -d$DURATION, GET $PATH_UNDER_TEST, $WORKERS worker threads each, $(nproc) cores, $TOKENS distinct token(s)"
declare -A R
for name in direct gateway haproxy nginx; do
    case $name in direct) t=$SVC;; gateway) t=$GW;; haproxy) t=$HAP;; nginx) t=$NGX;; esac
    R[$name]=$(run "$name" "$t")
done
printf '%-10s %10s %10s %10s\n' target req/s p50_ms p99_ms
for name in direct gateway haproxy nginx; do
    read -r rps p50 p99 <<<"${R[$name]}"
    printf '%-10s %10s %10s %10s\n' "$name" "$rps" "$p50" "$p99"
done
python3 - "${R[direct]}" "${R[gateway]}" "${R[haproxy]}" <<'PY'
import sys
d, g, h = (list(map(float, a.split())) for a in sys.argv[1:4])
print(f"gateway/haproxy throughput: {g[0]/h[0]:.2f}")
print(f"gateway/direct throughput:  {g[0]/d[0]:.2f}")
print(f"gateway added p99 over direct: {g[2]-d[2]:.3f} ms")
PY

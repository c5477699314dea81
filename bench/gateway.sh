#!/usr/bin/env bash
# Gateway benchmark: one authenticated GET, measured through
#   direct        the membership service itself (it verifies the token too),
#   gateway       the Xieshang gateway,
#   gateway-redis the same with XS_REDIS_URL set (REDIS=1 only: a second stack and a private
#                 redis-server on a free port, so the Redis round trips per request show),
#   haproxy-jwt   HAProxy verifying the same JWT with jwt_verify and routing to the same service,
#   haproxy-plain HAProxy as a plain reverse proxy, no token check.
# Each target's figures: throughput, latency, and the CPU time per request of every process
# involved (cpu_us/req; the service's share is the direct figure).
# Same upstream, same load tool (wrk) and concurrency for all, once per token count in TOKEN_SETS:
# 1 (one token reused) and 20000 (wrk rotates through 20,000 distinct tokens, a city's app users
# in one 15-minute window).
#
#   bench/gateway.sh                        # 32 connections, 3 rounds of 10 s per target, TOKEN_SETS="1 20000"
#   CONNS=64 DURATION=30s bench/gateway.sh
#   TOKEN_SETS=20000 REDIS=1 bench/gateway.sh
#   XS_VERIFIED_TOKENS=10000 bench/gateway.sh   # a smaller verified-token memory
set -euo pipefail
cd "$(dirname "$0")/.."

CONNS=${CONNS:-32}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}      # each figure is the median of ROUNDS runs
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-2}   # HTTP worker threads for the gateway and the service; HAProxy nbthread matches
TOKEN_SETS=${TOKEN_SETS:-${TOKENS:-1 20000}}
REDIS=${REDIS:-0}

need() { command -v "$1" >/dev/null 2>&1; }
if ! need haproxy || ! need wrk; then
    echo "installing haproxy, wrk (Debian packages)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q haproxy wrk >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q haproxy wrk >/dev/null; }
fi
if [ "$REDIS" = 1 ] && ! need redis-server; then
    apt-get install -y -q redis-server >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q redis-server >/dev/null; }
fi

if [ -z "${BIN:-}" ]; then
    cargo build --release -q --bin xieshang
    BIN=${CARGO_TARGET_DIR:-target}/release/xieshang
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

export XS_ADMIN_PASSWORD=bench-password XS_WORKERS=$WORKERS XS_LOG=warn XS_LOG_FORMAT=json XS_ACCESS_LOG=off \
       XS_RATE_LIMIT_PER_MINUTE=1000000000   # the benchmark measures proxying, not the limiter
PATH_UNDER_TEST=/api/v1/districts/siming

# start_stack <name> <first port> [extra env...]: the whole stack, the district under test created.
start_stack() {
    local name=$1 base=$2; shift 2
    mkdir -p "$WORK/$name"
    [ -d "$WORK/a/keys" ] && cp -a "$WORK/a/keys" "$WORK/$name/keys"   # the same signing key
    env XS_ADDR=127.0.0.1:$base XS_DATA_DIR=$WORK/$name XS_MEMBERSHIP_ADDR=127.0.0.1:$((base + 1)) \
        XS_CONSULTATION_ADDR=127.0.0.1:$((base + 2)) XS_REPORTS_ADDR=127.0.0.1:$((base + 3)) \
        XS_LIAISON_ADDR=127.0.0.1:$((base + 4)) "$@" "$BIN" serve > "$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
    curl -fs "http://127.0.0.1:$base/readyz" >/dev/null || { echo "the stack $name did not start"; cat "$WORK/$name.log"; exit 1; }
    local admin
    admin=$(curl -fs -X POST "http://127.0.0.1:$base/auth/token" -d grant_type=password -d username=admin \
            -d password=bench-password | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    curl -fs -X POST "http://127.0.0.1:$base/api/v1/districts" -H "Authorization: Bearer $admin" \
         -H 'content-type: application/json' -d '{"code":"siming","name":"思明区"}' >/dev/null
    echo "$admin" > "$WORK/$name.token"
}

GW=127.0.0.1:18080 SVC=127.0.0.1:18081 HAP=127.0.0.1:18090 HPL=127.0.0.1:18091
start_stack a 18080
TOKEN=$(cat "$WORK/a.token")
TARGETS=(direct gateway)
declare -A URL=([direct]=$SVC [gateway]=$GW [haproxy-jwt]=$HAP [haproxy-plain]=$HPL)
if [ "$REDIS" = 1 ]; then
    RPORT=$(free_port)
    redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no > "$WORK/redis.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
    start_stack b 18180 XS_REDIS_URL=redis://127.0.0.1:$RPORT/
    URL[gateway-redis]=127.0.0.1:18180
    TARGETS+=(gateway-redis)
fi
TARGETS+=(haproxy-jwt haproxy-plain)

# HAProxy verifies the signature with the gateway's public key, and checks alg, iss, aud, exp.
KEY=$(ls "$WORK"/a/keys/*.pem | tail -1)
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
frontend jwt
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
frontend plain
    bind $HPL
    default_backend membership
backend membership
    http-reuse always
    server m1 $SVC
CFG
haproxy -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 &
PIDS+=($!)
sleep 1

# Every target must answer the request correctly before it is measured.
for name in "${TARGETS[@]}"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://${URL[$name]}$PATH_UNDER_TEST")
    [ "$code" = 200 ] || { echo "$name answered $code"; exit 1; }
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer x$TOKEN" "http://$HAP$PATH_UNDER_TEST")
[ "$code" = 401 ] || { echo "HAProxy accepted a bad token ($code)"; exit 1; }

make_tokens() { # n -> $WORK/tokens-n.txt, signed with the gateway's key
    python3 -c 'import cryptography' 2>/dev/null || pip install -q cryptography
    python3 - "$KEY" "$1" > "$WORK/tokens-$1.txt" <<'PY'
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
    cat > "$WORK/rotate-$1.lua" <<LUA
local tokens = {}
for line in io.lines("$WORK/tokens-$1.txt") do tokens[#tokens + 1] = line end
local i = math.random(#tokens)
request = function()
    i = i % #tokens + 1
    return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. tokens[i]})
end
LUA
    curl -fs -o /dev/null -H "Authorization: Bearer $(head -1 "$WORK/tokens-$1.txt")" "http://$GW$PATH_UNDER_TEST" \
        || { echo "a generated token was refused"; exit 1; }
}

# CPU time (clock ticks) used so far by every process started here: the stacks, HAProxy, Redis.
# Idle ones add next to nothing, so a run's difference is what serving its requests cost.
cpu_ticks() {
    local t=0 p f
    for p in "${PIDS[@]}"; do
        read -r -a f < "/proc/$p/stat" 2>/dev/null || continue
        t=$((t + f[13] + f[14]))
    done
    echo "$t"
}

run() { # name target -> "rps p50_ms p99_ms cpu_us_per_request"
    local before after
    before=$(cpu_ticks)
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "${AUTH[@]}" "http://$2$PATH_UNDER_TEST" > "$WORK/$1.wrk"
    after=$(cpu_ticks)
    python3 - "$WORK/$1.wrk" "$((after - before))" "$(getconf CLK_TCK)" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
ticks, per_second = int(sys.argv[2]), int(sys.argv[3])
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
requests = int(re.search(r"(\d+) requests in", text).group(1))
print(f"{rps:.0f} {p50:.3f} {p99:.3f} {ticks / per_second * 1e6 / requests:.1f}")
PY
}

echo "wrk -t$THREADS -c$CONNS -d$DURATION, median of $ROUNDS rounds, GET $PATH_UNDER_TEST, $WORKERS worker threads each, $(nproc) cores," \
     "XS_VERIFIED_TOKENS=${XS_VERIFIED_TOKENS:-default}, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $TOKEN_SETS; do
    if [ "$n" -gt 1 ]; then
        make_tokens "$n"
        AUTH=(-s "$WORK/rotate-$n.lua")
    else
        AUTH=(-H "Authorization: Bearer $TOKEN")
    fi
    # ROUNDS rounds, each target once per round in a rotated order, so a burst of load from
    # elsewhere on the machine falls on different targets; each figure is the round median.
    declare -A R=()
    for round in $(seq 1 "$ROUNDS"); do
        k=$(( (round - 1) % ${#TARGETS[@]} ))
        for name in "${TARGETS[@]:k}" "${TARGETS[@]:0:k}"; do
            R[$name]+="$(run "$name-$n-$round" "${URL[$name]}");"
        done
    done
    for name in "${TARGETS[@]}"; do
        R[$name]=$(python3 -c 'import statistics,sys; rows=[list(map(float,r.split())) for r in sys.argv[1].split(";") if r]; print(" ".join(f"{statistics.median(c):.3f}".rstrip("0").rstrip(".") for c in zip(*rows)))' "${R[$name]}")
    done
    echo
    echo "$n distinct token(s):"
    printf '%-14s %10s %10s %10s %12s\n' target req/s p50_ms p99_ms cpu_us/req
    for name in "${TARGETS[@]}"; do
        read -r rps p50 p99 cpu <<<"${R[$name]}"
        printf '%-14s %10s %10s %10s %12s\n' "$name" "$rps" "$p50" "$p99" "$cpu"
    done
    python3 - "${R[direct]}" "${R[gateway]}" "${R[haproxy-jwt]}" "${R[haproxy-plain]}" "${R[gateway-redis]:-}" <<'PY'
import sys
d, g, h, p = (list(map(float, a.split())) for a in sys.argv[1:5])
print(f"gateway/haproxy-jwt throughput:   {g[0]/h[0]:.2f}")
print(f"gateway/haproxy-plain throughput: {g[0]/p[0]:.2f}")
print(f"gateway/direct throughput:        {g[0]/d[0]:.2f}")
# The service does the same work behind every target: what a target costs beyond direct is
# the proxy's own CPU per request (steadier than throughput on a shared machine).
print(f"proxy CPU per request (target - direct): gateway {g[3]-d[3]:.1f} us,"
      f" haproxy-jwt {h[3]-d[3]:.1f} us, haproxy-plain {p[3]-d[3]:.1f} us")
if sys.argv[5]:
    r = list(map(float, sys.argv[5].split()))
    print(f"gateway-redis/gateway throughput: {r[0]/g[0]:.2f} (p50 {r[1]-g[1]:+.3f} ms)")
PY
done

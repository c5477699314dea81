#!/usr/bin/env bash
# Two gateway replicas sharing one database and one Redis, on this machine without Docker: shows
# that limits and revocations hold across the replicas, and that Redis going away and coming
# back costs no request. Prints the figures.
#
#   deploy/two-replicas.sh                                # release build, limit 60/min
#   LIMIT=30 BIN=target/debug/xieshang deploy/two-replicas.sh
#   XS_GATEWAY_DATABASE_URL=postgres://root@127.0.0.1:5432/gw2 deploy/two-replicas.sh
#
# Starts its own redis-server on a free port (--save '' --appendonly no), gateway A, then B
# (same keys directory and database: SQLite file in a temporary directory unless
# XS_GATEWAY_DATABASE_URL is set), and membership polling B's /auth/revocations.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
    cargo build --release -q --bin xieshang
    export BIN=target/release/xieshang
fi
command -v redis-server >/dev/null || { echo "needs redis-server (apt-get install redis-server)" >&2; exit 1; }
exec python3 - <<'PY'
import concurrent.futures as cf, json, os, shutil, signal, socket, subprocess, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request

BIN = os.environ["BIN"]
LIMIT = int(os.environ.get("LIMIT", "60"))
work = tempfile.mkdtemp(prefix="xs-two-replicas-")
procs = []

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def http(method, url, token=None, body=None, form=None, headers=None):
    h = dict(headers or {})
    data = None
    if token: h["Authorization"] = f"Bearer {token}"
    if body is not None: data = json.dumps(body).encode(); h["Content-Type"] = "application/json"
    if form is not None: data = urllib.parse.urlencode(form).encode(); h["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read(); return r.status, (json.loads(raw) if raw.strip().startswith(b"{") else raw)
    except urllib.error.HTTPError as e:
        raw = e.read(); return e.code, (json.loads(raw) if raw.strip().startswith(b"{") else raw)

def wait_up(url, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if http("GET", url)[0] < 500: return
        except Exception: pass
        time.sleep(0.1)
    sys.exit(f"{url} did not come up; logs in {work}")

def start(name, args, env):
    log = open(os.path.join(work, f"{name}.log"), "w")
    p = subprocess.Popen(args, env=env, stdout=log, stderr=log); procs.append(p); return p

def stop_all():
    for p in procs:
        if p.poll() is None: p.send_signal(signal.SIGTERM)
    for p in procs:
        try: p.wait(timeout=20)
        except Exception: p.kill()

try:
    redis_port = free_port()
    def start_redis():
        p = start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                            "--save", "", "--appendonly", "no"], os.environ.copy())
        for _ in range(100):
            try: socket.create_connection(("127.0.0.1", redis_port), 0.2).close(); return p
            except OSError: time.sleep(0.05)
        sys.exit("redis-server did not start")
    redis = start_redis()
    a_port, b_port, m_port = free_port(), free_port(), free_port()
    a, b, m = (f"http://127.0.0.1:{p}" for p in (a_port, b_port, m_port))
    base = {k: v for k, v in os.environ.items() if not k.startswith("XS_")}
    base.update(XS_LOG="warn", XS_WORKERS="2", XS_DATA_DIR=os.path.join(work, "data"),
                XS_KEYS_DIR=os.path.join(work, "keys"), XS_DRAIN_SECS="0")
    gw = dict(base, XS_GATEWAY_DATABASE_URL=os.environ.get("XS_GATEWAY_DATABASE_URL", os.path.join(work, "gateway.db")),
              XS_ADMIN_PASSWORD="admin-password-1", XS_RATE_LIMIT_PER_MINUTE=str(LIMIT),
              XS_REDIS_URL=f"redis://127.0.0.1:{redis_port}/", XS_MEMBERSHIP_URL=m)
    start("gateway-a", [BIN, "serve", "gateway"], dict(gw, XS_ADDR=f"127.0.0.1:{a_port}"))
    wait_up(f"{a}/healthz")
    start("gateway-b", [BIN, "serve", "gateway"], dict(gw, XS_ADDR=f"127.0.0.1:{b_port}"))
    wait_up(f"{b}/healthz")
    start("membership", [BIN, "serve", "membership"], dict(base, XS_MEMBERSHIP_ADDR=f"127.0.0.1:{m_port}",
          XS_MEMBERSHIP_DATABASE_URL=os.path.join(work, "membership.db"),
          XS_JWKS_URL=f"{b}/.well-known/jwks.json", XS_REVOCATIONS_URL=f"{b}/auth/revocations"))
    wait_up(f"{m}/healthz")

    def sign_in(at, user, pw):
        return http("POST", f"{at}/auth/token", form={"grant_type": "password", "username": user, "password": pw})
    s, t = sign_in(a, "admin", "admin-password-1"); assert s == 200, t
    admin = t["access_token"]
    ids = {}
    for user in ("alice", "rater"):
        s, acc = http("POST", f"{a}/api/v1/accounts", admin, {"username": user, "password": "password-123", "roles": ["resident"]})
        assert s == 201, acc; ids[user] = acc["id"]
    print(f"two gateways (A {a}, B {b}) on one database, Redis on port {redis_port}; limit {LIMIT}/min")

    # 1. One rate limit across both replicas.
    _, t = sign_in(b, "rater", "password-123"); rater = t["access_token"]
    n = 3 * LIMIT
    with cf.ThreadPoolExecutor(32) as ex:
        res = list(ex.map(lambda i: ((a, b)[i % 2], http("GET", f"{(a, b)[i % 2]}/auth/me", rater)[0]), range(n)))
    ok = {a: 0, b: 0}
    for at, st in res:
        if st == 200: ok[at] += 1
    print(f"rate limit: {n} concurrent requests over A and B -> {ok[a] + ok[b]} admitted "
          f"(A {ok[a]}, B {ok[b]}), {n - ok[a] - ok[b]} refused with 429; limit {LIMIT}")

    # 2. Failed sign-ins for one account from one address, spread over both.
    with cf.ThreadPoolExecutor(16) as ex:
        res = list(ex.map(lambda i: sign_in((a, b)[i % 2], "alice", "wrong-password")[0], range(16)))
    print(f"sign-in limit: 16 wrong passwords over A and B -> {res.count(400)} checked, "
          f"{res.count(429)} refused with 429 (limit 10 per account and address)")

    # 3. A revocation made at A, seen at B and at membership (polling B). (Alice is locked out
    # of sign-ins from this address for 15 minutes by step 2: another account.)
    s, acc = http("POST", f"{a}/api/v1/accounts", admin, {"username": "dora", "password": "password-123", "roles": ["resident"]})
    dora_id = acc["id"]
    _, t = sign_in(b, "dora", "password-123"); dora = t["access_token"]
    assert http("GET", f"{b}/auth/me", dora)[0] == 200
    assert http("GET", f"{m}/api/v1/workrooms", dora)[0] == 200
    t0 = time.time()
    s, _ = http("PATCH", f"{a}/api/v1/accounts/{dora_id}", admin, {"disabled": True}, headers={"If-Match": '"1"'})
    assert s == 200
    seen = {}
    while len(seen) < 2 and time.time() - t0 < 30:
        if "B" not in seen and http("GET", f"{b}/auth/me", dora)[0] == 401: seen["B"] = time.time() - t0
        if "membership" not in seen and http("GET", f"{m}/api/v1/workrooms", dora)[0] == 401: seen["membership"] = time.time() - t0
        time.sleep(0.01)
    print("revocation: disabled at A; refused at B after {:.0f} ms, at membership (polls B every 2 s) after {:.0f} ms"
          .format(seen.get("B", float("nan")) * 1000, seen.get("membership", float("nan")) * 1000))

    # 4. Redis killed: both keep serving, degraded; restarted: shared again.
    redis.kill(); redis.wait()
    time.sleep(0.5)
    signed = [("access_token" in sign_in(x, "admin", "admin-password-1")[1]) for x in (a, b)]
    codes = [http("GET", f"{(a, b)[i % 2]}/auth/me", admin)[0] for i in range(20)]
    states = [http("GET", f"{x}/readyz")[1].get("redis") for x in (a, b)]
    _, metrics = http("GET", f"{a}/metrics", admin)
    down = [l for l in metrics.decode().splitlines() if l.startswith("xieshang_redis_down")]
    print(f"Redis killed: sign-ins {sum(signed)}/2 ok, requests {codes.count(200)}/20 answered 200; "
          f"/readyz redis: A {states[0]}, B {states[1]}; A metrics: {down[0] if down else '?'}")
    redis = start_redis()
    t0 = time.time()
    while time.time() - t0 < 10:
        if all(http("GET", f"{x}/readyz")[1].get("redis") == "ok" for x in (a, b)): break
        time.sleep(0.05)
    print(f"Redis restarted: both replicas share again after {(time.time() - t0) * 1000:.0f} ms")
finally:
    stop_all()
    shutil.rmtree(work, ignore_errors=True)
PY

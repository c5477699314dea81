#!/usr/bin/env python3
"""The load-and-fault audit (issue 10): the split deployment on a PostgreSQL server of its own,
a bounded load with idempotent retries, faults injected one after the other, then an audit of
the database: every acknowledged write present exactly once.

Run through bench/faults.sh, which builds the binary and passes its path. Standard library only.
"""
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

BIN = os.environ.get("BIN", "target/release/xieshang")
CLIENTS = int(os.environ.get("CLIENTS", "32"))
# Seconds of steady load between faults (and length of each fault).
STEP = float(os.environ.get("STEP", "5"))
WRITE_SHARE = 0.2
ADMIN_PASSWORD = "faults-admin-password-1"
# The services beside membership, one process each.
SERVICES = ("consultation", "reports", "liaison")
# The written kinds: (path, body) for an idempotency key and the seeded author; the audit finds
# each by its `faults-<key>` name or title.
WRITES = [
    lambda key, _: ("/api/v1/members", {"name": f"faults-{key}", "gender": "male", "district": "siming"}),
    lambda key, _: ("/api/v1/topics", {
        "title": f"faults-{key}", "description": "路灯不亮", "district": "siming",
        "subdistrict": "jialian", "category": "livelihood", "origin": "assigned"}),
    lambda key, author: ("/api/v1/reports", {
        "title": f"faults-{key}", "body": "居民反映小区路灯长期不亮。", "category": "livelihood",
        "district": "siming", "source_channel": "member_research", "authors": [author]}),
    lambda key, _: ("/api/v1/compatriots", {"name": f"faults-{key}", "origin": "kinmen", "district": "siming"}),
]
AUDITS = [
    ("/api/v1/members", "membership", "SELECT id, name FROM members WHERE name LIKE 'faults-%'"),
    ("/api/v1/topics", "consultation", "SELECT id, title FROM topics WHERE title LIKE 'faults-%'"),
    ("/api/v1/reports", "reports", "SELECT id, title FROM reports WHERE title LIKE 'faults-%'"),
    ("/api/v1/compatriots", "liaison", "SELECT id, name FROM compatriots WHERE name LIKE 'faults-%'"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------------------------------------
# PostgreSQL of our own


class Postgres:
    def __init__(self, work):
        bins = sorted(
            (d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()), key=int
        )
        if not bins:
            sys.exit("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin)")
        self.bin = f"/usr/lib/postgresql/{bins[-1]}/bin"
        self.dir = os.path.join(work, "pg")
        os.makedirs(self.dir)
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
            shutil.chown(work, "postgres")
        self.port = free_port()
        self.data = os.path.join(self.dir, "data")
        self.run("initdb", "-D", self.data, "-U", "xs", "-A", "trust", "--no-sync", "-E", "UTF8")

    def run(self, tool, *args):
        subprocess.run(
            self.as_user + [os.path.join(self.bin, tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=self.dir,
        )

    def start(self):
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
        self.run("pg_ctl", "-D", self.data, "-o", opts, "-l", os.path.join(self.dir, "log"), "-w", "start")

    def stop(self):
        self.run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def url(self, db):
        return f"postgres://xs@127.0.0.1:{self.port}/{db}"

    def psql(self, db, sql):
        out = subprocess.run(
            [os.path.join(self.bin, "psql"), "-tA", "-h", "127.0.0.1", "-p", str(self.port), "-U", "xs", db, "-c", sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout


# ---------------------------------------------------------------------------------------------
# Processes


class Role:
    def __init__(self, name, args, env, port, work):
        self.name, self.args, self.env, self.port = name, args, env, port
        self.log = open(os.path.join(work, f"{name}.log"), "ab")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([BIN, *self.args], env=self.env, stdout=self.log, stderr=self.log)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if http_status("GET", self.port, "/readyz") == 200:
                return True
            time.sleep(0.05)
        return False


def http_status(method, port, path, body=None, headers=None, timeout=2):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        r.read()
        c.close()
        return r.status
    except OSError:
        return None


# ---------------------------------------------------------------------------------------------
# Load


class Load:
    def __init__(self, port, token, author):
        self.author = author
        self.port, self.token = port, token
        self.phase = "baseline"
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}  # key -> member id
        self.unacked = set()  # keys given up on (may or may not exist)
        self.replays = 0
        self.stats = {}  # phase -> {"requests", "errors", "by_status", "error_ms": []}

    def note(self, phase, status, ms):
        with self.lock:
            s = self.stats.setdefault(phase, {"requests": 0, "errors": 0, "by_status": {}, "error_ms": []})
            s["requests"] += 1
            if status is None or status >= 500:
                s["errors"] += 1
                s["by_status"][str(status)] = s["by_status"].get(str(status), 0) + 1
                s["error_ms"].append(ms)
            elif status == 409:
                # "still in progress": the key's first request is open on another replica.
                s["by_status"]["409"] = s["by_status"].get("409", 0) + 1

    def client(self, n):
        rnd = random.Random(n)
        conn = None
        seq = 0
        headers = {"Authorization": f"Bearer {self.token}"}
        while not self.stop.is_set():
            write = rnd.random() < WRITE_SHARE
            if write:
                seq += 1
                key = f"c{n}-{seq}"
                h = dict(headers, **{"Idempotency-Key": key, "Content-Type": "application/json"})
                # One write in four for each service; all but membership's check a reference
                # with membership (the service under fault) before they write.
                path, body = WRITES[seq % len(WRITES)](key, self.author)
                body, method = json.dumps(body), "POST"
            else:
                key, body, h = None, None, headers
                method, path = "GET", "/api/v1/districts/siming"
            # Writes retry with the same key until acknowledged (bounded); reads do not retry.
            for attempt in range(200):
                started = time.monotonic()
                status, data, replayed = None, b"", False
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    conn.request(method, path, body=body, headers=h)
                    r = conn.getresponse()
                    data = r.read()
                    status = r.status
                    replayed = r.getheader("Idempotent-Replayed") == "true"
                except OSError:
                    if conn is not None:
                        conn.close()
                    conn = None
                ms = (time.monotonic() - started) * 1000
                # Counted in the phase it ended in: a request cut by a fault belongs to it.
                self.note(self.phase, status, ms)
                if status is not None and status < 500 and status != 409:
                    if write:
                        with self.lock:
                            if status in (200, 201):
                                self.acked[key] = (path, json.loads(data)["id"])
                                self.replays += replayed
                            else:
                                self.unacked.add(key)
                    break
                if not write:
                    break
                if self.stop.is_set() and attempt > 0 and time.monotonic() > self.hard_stop:
                    with self.lock:
                        self.unacked.add(key)
                    break
                time.sleep(0.05)

    def run(self):
        self.hard_stop = float("inf")
        self.threads = [threading.Thread(target=self.client, args=(n,), daemon=True) for n in range(CLIENTS)]
        for t in self.threads:
            t.start()

    def finish(self):
        self.hard_stop = time.monotonic() + 60
        self.stop.set()
        for t in self.threads:
            t.join()


# ---------------------------------------------------------------------------------------------


def main():
    work = tempfile.mkdtemp(prefix="xs-faults-")
    roles = []
    pg = None
    try:
        pg = Postgres(work)
        pg.start()
        for db in ("gateway", "membership", *SERVICES):
            pg.psql("postgres", f"CREATE DATABASE {db}")
        gw_port, m1_port, m2_port = free_port(), free_port(), free_port()
        ports = {name: free_port() for name in SERVICES}
        base = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "XS_LOG_FORMAT": "json",
            "XS_LOG": "warn",
            "XS_WORKERS": "2",
            "XS_DB_POOL_SIZE": "8",
            # Below the gateway's attempt timeout: a replica that finds the database gone
            # answers 503 before the gateway gives up on it.
            "XS_DB_TIMEOUT_SECS": "1",
            "XS_DATA_DIR": os.path.join(work, "data"),
        }
        gw_env = dict(
            base,
            XS_ADDR=f"127.0.0.1:{gw_port}",
            XS_GATEWAY_DATABASE_URL=pg.url("gateway"),
            XS_ADMIN_PASSWORD=ADMIN_PASSWORD,
            XS_RATE_LIMIT_PER_MINUTE="10000000",
            XS_MEMBERSHIP_URL=f"http://127.0.0.1:{m1_port},http://127.0.0.1:{m2_port}",
            **{f"XS_{name.upper()}_URL": f"http://127.0.0.1:{port}" for name, port in ports.items()},
            XS_ATTEMPT_TIMEOUT_SECS="2",
            XS_HEALTH_INTERVAL_MS="500",
        )
        gateway = Role("gateway", ["serve", "gateway"], gw_env, gw_port, work)
        gateway.start()
        if not wait_health(gw_port):
            sys.exit("the gateway did not start")
        members = []
        for i, port in enumerate((m1_port, m2_port), 1):
            env = dict(
                base,
                XS_MEMBERSHIP_ADDR=f"127.0.0.1:{port}",
                XS_MEMBERSHIP_DATABASE_URL=pg.url("membership"),
                XS_JWKS_URL=f"http://127.0.0.1:{gw_port}/.well-known/jwks.json",
                XS_DRAIN_SECS="2",
            )
            members.append(Role(f"membership-{i}", ["serve", "membership"], env, port, work))
        for m in members:
            m.start()
        for m in members:
            if not m.wait_ready():
                sys.exit(f"{m.name} did not start")
        roles = [gateway, *members]
        token = login(gw_port)
        author = seed(gw_port, token)
        # The other services, each a process of its own on its own database, checking their
        # references with membership (through both replicas) under a service client of its own.
        for name, port in ports.items():
            client_id, secret = service_client(gw_port, token, name)
            role = Role(name, ["serve", name], dict(
                base,
                **{f"XS_{name.upper()}_ADDR": f"127.0.0.1:{port}",
                   f"XS_{name.upper()}_DATABASE_URL": pg.url(name)},
                XS_JWKS_URL=f"http://127.0.0.1:{gw_port}/.well-known/jwks.json",
                XS_MEMBERSHIP_URL=f"http://127.0.0.1:{m1_port},http://127.0.0.1:{m2_port}",
                XS_SERVICE_CLIENT_ID=client_id,
                XS_SERVICE_CLIENT_SECRET=secret,
                # Two attempts at a hung membership replica fit in the gateway's 2 s attempt.
                XS_PEER_TIMEOUT_MS="800",
                XS_DRAIN_SECS="2",
            ), port, work)
            role.start()
            if not role.wait_ready():
                sys.exit(f"{name} did not start")
            roles.append(role)
        load = Load(gw_port, token, author)
        load.run()
        m1, m2 = members
        figures = {}

        def phase(name, seconds=STEP):
            load.phase = name
            log(name)
            time.sleep(seconds)

        phase("baseline")
        # kill -9 a replica and start it again.
        load.phase = "kill -9"
        log("kill -9 membership-2")
        m2.signal(signal.SIGKILL)
        m2.proc.wait()
        time.sleep(STEP / 2)
        t = time.monotonic()
        m2.start()
        m2.wait_ready()
        figures["kill -9: replica ready again after restart (s)"] = round(time.monotonic() - t, 2)
        phase("kill -9", STEP / 2)
        # A hung replica.
        load.phase = "SIGSTOP"
        log("SIGSTOP membership-1")
        m1.signal(signal.SIGSTOP)
        time.sleep(STEP)
        m1.signal(signal.SIGCONT)
        phase("SIGSTOP", STEP / 2)
        # Rolling restart: SIGTERM, wait for the clean exit, start again; then the other.
        load.phase = "SIGTERM rolling restart"
        for m in (m1, m2):
            log(f"SIGTERM {m.name}")
            m.signal(signal.SIGTERM)
            code = m.proc.wait()
            figures[f"SIGTERM: {m.name} exit status"] = code
            m.start()
            m.wait_ready()
        phase("SIGTERM rolling restart", STEP / 2)
        # PostgreSQL down and back.
        load.phase = "PostgreSQL down"
        log("PostgreSQL stopped")
        pg.stop()
        time.sleep(STEP)
        log("PostgreSQL started")
        t = time.monotonic()
        pg.start()
        load.phase = "PostgreSQL back"
        while http_status("GET", gw_port, "/api/v1/districts/siming", headers={"Authorization": f"Bearer {token}"}) != 200:
            time.sleep(0.02)
        figures["PostgreSQL: first success after start (s)"] = round(time.monotonic() - t, 2)
        phase("recovered")
        load.finish()
        report(load, figures, pg)
    finally:
        for r in roles:
            if r.proc and r.proc.poll() is None:
                r.proc.send_signal(signal.SIGCONT)
                r.proc.kill()
                r.proc.wait()
        if pg:
            try:
                pg.stop()
            except subprocess.CalledProcessError:
                pass
        if os.environ.get("KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def wait_health(port, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if http_status("GET", port, "/healthz") == 200:
            return True
        time.sleep(0.05)
    return False


def login(port):
    body = urllib.parse.urlencode({"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/auth/token", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    data = json.loads(r.read())
    if r.status != 200:
        sys.exit(f"login failed: {r.status} {data}")
    return data["access_token"]


def seed(port, token):
    for _ in range(100):
        status = http_status(
            "POST", port, "/api/v1/districts",
            body=json.dumps({"code": "siming", "name": "思明区"}),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        if status in (201, 409):
            break
        time.sleep(0.1)
    else:
        sys.exit("could not create the district")
    status, data = http_json("POST", port, "/api/v1/subdistricts", token,
                             {"code": "jialian", "district": "siming", "name": "嘉莲街道",
                              "kind": "subdistrict"})
    if status not in (201, 409):
        sys.exit(f"could not create the subdistrict: {status} {data}")
    status, data = http_json("POST", port, "/api/v1/members", token,
                             {"name": "陈委员", "gender": "female", "district": "siming"})
    if status != 201:
        sys.exit(f"could not create the reports' author: {status} {data}")
    return data["id"]


def service_client(port, token, name):
    status, data = http_json("POST", port, "/api/v1/clients", token,
                             {"name": f"faults {name}", "roles": ["service"]})
    if status != 201:
        sys.exit(f"could not create the service client: {status} {data}")
    return data["client_id"], data["client_secret"]


def http_json(method, port, path, token, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=json.dumps(body),
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, (json.loads(data) if data else None)


def audit(load, pg, db, sql, prefix):
    """Acknowledged writes of one kind against the rows: (lost, duplicated, id differs)."""
    by_name = {}
    for line in pg.psql(db, sql).splitlines():
        if "|" in line:
            rid, name = line.split("|", 1)
            by_name.setdefault(name, []).append(rid)
    duplicated = sum(len(v) - 1 for v in by_name.values() if len(v) > 1)
    lost = mismatched = 0
    for key, (kind, rid) in load.acked.items():
        if kind != prefix:
            continue
        ids = by_name.get(f"faults-{key}", [])
        if not ids:
            lost += 1
        elif rid not in ids:
            mismatched += 1
    return lost, duplicated, mismatched


def report(load, figures, pg):
    audits = {path: audit(load, pg, db, sql, path) for path, db, sql in AUDITS}
    lost, duplicated, mismatched = (sum(a[i] for a in audits.values()) for i in range(3))
    backlog = pg.psql("membership", "SELECT count(*) FROM kit_outbox WHERE delivered_at IS NULL AND failed_at IS NULL").strip()
    print()
    print(f"clients {CLIENTS}, {int(WRITE_SHARE * 100)}% writes with Idempotency-Key (retried with the same key), step {STEP:g} s")
    print(f"{'phase':<26} {'requests':>9} {'errors':>7}  {'errors by status (None: no answer)':<36} error ms p50/p90/max, share < 100 ms")
    order = ["baseline", "kill -9", "SIGSTOP", "SIGTERM rolling restart", "PostgreSQL down", "PostgreSQL back", "recovered"]
    for name in order:
        s = load.stats.get(name)
        if not s:
            continue
        ms = s["error_ms"]
        if ms:
            ms = sorted(ms)
            p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
            fast = sum(1 for m in ms if m < 100) / len(ms)
            lat = f"{statistics.median(ms):.0f}/{p90:.0f}/{ms[-1]:.0f}, {fast:.0%}"
        else:
            lat = "-"
        print(f"{name:<26} {s['requests']:>9} {s['errors']:>7}  {json.dumps(s['by_status']):<36} {lat}")
    for k, v in figures.items():
        print(f"{k}: {v}")
    kinds = {path: sum(1 for kind, _ in load.acked.values() if kind == path) for path, _, _ in AUDITS}
    print(f"writes acknowledged: {len(load.acked)} ("
          + ", ".join(f"{n} {p.rsplit('/', 1)[1]}" for p, n in kinds.items())
          + f"); replays answered from the key: {load.replays}; given up unacknowledged: {len(load.unacked)}")
    for path, (l, d, m) in audits.items():
        print(f"audit {path.rsplit('/', 1)[1]}: lost = {l}, duplicated = {d}, id differs = {m}")
    print(f"audit: lost = {lost}, duplicated = {duplicated}, acknowledged id differs = {mismatched}, "
          f"membership outbox backlog = {backlog}")
    if lost or duplicated or mismatched:
        sys.exit("audit failed")


if __name__ == "__main__":
    main()

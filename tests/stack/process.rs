//! The `xieshang` binary as an operator runs it: it stops cleanly on SIGTERM (what container
//! runtimes send, also to PID 1) and on SIGINT, after leaving readiness and draining.

use crate::common::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use xieshang::stack::ROLES;
use xs_testkit::TestDb;

struct Process {
    child: Child,
    url: String,
    /// The lines it prints after the one with its URL.
    lines: std::sync::mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
    _dbs: Vec<TestDb>,
}

/// Start `xieshang <args>` on free ports with fresh databases, and wait until it prints the
/// URL that `marker` introduces.
fn spawn(args: &[&str], marker: &str, extra: &[(&str, &str)]) -> Process {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xieshang"));
    cmd.args(args)
        .env_clear()
        .env("XS_ADDR", "127.0.0.1:0")
        .env("XS_DATA_DIR", dir.path())
        .env("XS_ADMIN_PASSWORD", "admin-password-for-tests")
        .env("XS_WORKERS", "1")
        .env("XS_DB_POOL_SIZE", "2")
        .env("XS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut dbs = Vec::new();
    for role in ROLES {
        let db = TestDb::fresh();
        cmd.env(format!("XS_{}_DATABASE_URL", role.to_uppercase()), &db.url)
            .env(format!("XS_{}_ADDR", role.to_uppercase()), "127.0.0.1:0");
        dbs.push(db);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let url = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the binary prints where it listens");
        if let Some(rest) = line.trim_start().strip_prefix(marker) {
            break rest
                .split_whitespace()
                .find(|w| w.starts_with("http://"))
                .expect("a URL after the marker")
                .to_string();
        }
    };
    Process {
        child,
        url,
        lines: rx,
        _dir: dir,
        _dbs: dbs,
    }
}

/// Send `signal`, and check that readiness goes to 503 while the process still serves, then
/// that it exits with status 0.
async fn stop_with(mut p: Process, signal: &str) {
    let client = reqwest::Client::new();
    let ready = client
        .get(format!("{}/readyz", p.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200, "ready before the signal");
    let sent = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(p.child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success());
    // Draining: not ready, still alive (the drain lasts XS_DRAIN_SECS).
    let mut saw_not_ready = false;
    for _ in 0..200 {
        match client.get(format!("{}/readyz", p.url)).send().await {
            Ok(r) if r.status() == 503 => {
                saw_not_ready = true;
                let alive = client
                    .get(format!("{}/healthz", p.url))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(alive.status(), 200, "still serving while draining");
                break;
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(e) => panic!("the listener closed before readiness went down: {e}"),
        }
    }
    assert!(saw_not_ready, "readiness went down after {signal}");
    let status = tokio::task::spawn_blocking(move || p.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit after {signal}: {status:?}");
}

#[actix_web::test]
async fn whole_stack_stops_cleanly_on_sigterm_and_sigint() {
    for signal in ["TERM", "INT"] {
        let p = spawn(&["serve"], "gateway", &[("XS_DRAIN_SECS", "3")]);
        stop_with(p, signal).await;
    }
}

#[actix_web::test]
async fn one_role_stops_cleanly_on_sigterm() {
    let p = spawn(
        &["serve", "membership"],
        "membership listening on",
        &[
            ("XS_DRAIN_SECS", "3"),
            ("XS_JWKS_URL", "http://127.0.0.1:9/.well-known/jwks.json"),
        ],
    );
    stop_with(p, "TERM").await;
}

/// Migrations can be left to a job (`xieshang migrate`): with XS_MIGRATE_ON_START=false a
/// service starts without touching its schema, and serves once the job has run.
#[actix_web::test]
async fn migrations_can_be_left_to_a_job() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::fresh();
    let migrate = Command::new(env!("CARGO_BIN_EXE_xieshang"))
        .args(["migrate", "membership"])
        .env_clear()
        .env("XS_DATA_DIR", dir.path())
        .env("XS_MEMBERSHIP_DATABASE_URL", &db.url)
        .env("XS_LOG", "warn")
        .output()
        .unwrap();
    assert!(migrate.status.success(), "{migrate:?}");
    let p = spawn(
        &["serve", "membership"],
        "membership listening on",
        &[
            ("XS_MIGRATE_ON_START", "false"),
            ("XS_DRAIN_SECS", "0"),
            ("XS_MEMBERSHIP_DATABASE_URL", db.url.as_str()),
            ("XS_JWKS_URL", "http://127.0.0.1:9/.well-known/jwks.json"),
        ],
    );
    let mut child = p.child;
    let r = reqwest::get(format!("{}/readyz", p.url)).await.unwrap();
    assert_eq!(r.status(), 200);
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}

/// A draining server answers /readyz 503 but keeps serving; so does the gateway.
#[actix_web::test]
async fn draining_servers_leave_readiness_but_keep_serving() {
    let t = TestStack::start().await;
    let gateway = t.stack.url();
    let membership = t.stack.service_url("membership").unwrap();
    t.stack.gateway.running.begin_drain();
    for s in &t.stack.services {
        s.begin_drain();
    }
    for base in [&gateway, &membership] {
        let r = t.client.get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 503, "{base}/readyz while draining");
        assert!(r.headers().contains_key("retry-after") || base == &gateway);
        let r = t
            .client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let body: serde_json::Value = t
        .client
        .get(format!("{gateway}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "stopping");
    let token = admin();
    let r = t
        .client
        .get(format!("{gateway}/api/v1/districts"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "requests are still served while draining");
    t.stop().await;
}

/// A request head actix-http cannot parse is logged as a client error with its request id, not
/// as actix-http's "stream error" at ERROR.
#[actix_web::test]
async fn refused_request_heads_are_logged_as_client_errors() {
    use std::io::{Read, Write};
    let p = spawn(
        &["serve"],
        "gateway",
        &[("XS_LOG", "info"), ("XS_LOG_FORMAT", "json")],
    );
    let addr = p.url.trim_start_matches("http://").to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /api/v1/\xff HTTP/1.1\r\nhost: x\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    let mut logged = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        match p.lines.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => logged.push(line),
            Err(_) if logged.iter().any(|l| l.contains("request refused")) => break,
            Err(_) => {}
        }
    }
    let refusal = logged
        .iter()
        .find(|l| l.contains("request refused while reading its head"))
        .unwrap_or_else(|| panic!("no refusal line in {logged:#?}"));
    let line: serde_json::Value = serde_json::from_str(refusal).unwrap();
    assert_eq!(line["level"], "INFO", "{refusal}");
    assert_eq!(line["status"], 400, "{refusal}");
    assert!(answer.contains(line["request_id"].as_str().unwrap()));
    assert!(
        !logged.iter().any(|l| l.contains("stream error")),
        "{logged:#?}"
    );
    stop_with(p, "TERM").await;
}

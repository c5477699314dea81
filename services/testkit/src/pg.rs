//! A PostgreSQL server of the test's own (initdb on a free port in a temporary directory), for
//! tests that stop and start the database. Never the machine's shared server.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct PgInstance {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
    /// Superuser `xs`, database `postgres`.
    pub url: String,
    /// Root may not run the server; it runs as this user instead.
    run_as: Option<String>,
}

/// The newest `/usr/lib/postgresql/<version>/bin`, or where `pg_config` says.
fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop().or_else(|| {
        let out = Command::new("pg_config").arg("--bindir").output().ok()?;
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        dir.join("initdb").exists().then_some(dir)
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PgInstance {
    /// Start a fresh server, or `None` (with the reason printed) where PostgreSQL's server
    /// binaries are not installed.
    pub fn start() -> Option<PgInstance> {
        let Some(bin) = bin_dir() else {
            eprintln!("skipped: PostgreSQL server binaries (initdb, pg_ctl) are not installed");
            return None;
        };
        let run_as = is_root().then(|| "postgres".to_string());
        let dir = tempfile::Builder::new()
            .prefix("xs-pg-")
            .tempdir()
            .expect("temporary directory");
        if let Some(user) = &run_as {
            let status = Command::new("chown")
                .args(["-R", user])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown the data directory to {user}");
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let pg = PgInstance {
            bin,
            port,
            url: format!("postgres://xs@127.0.0.1:{port}/postgres"),
            dir,
            run_as,
        };
        let data = pg.data_dir();
        let out = pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "xs",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        assert!(out.status.success(), "initdb: {out:?}");
        pg.start_server();
        Some(pg)
    }

    fn data_dir(&self) -> String {
        self.dir.path().join("data").to_string_lossy().into_owned()
    }

    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(tool);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("running {tool}: {e}"))
    }

    /// Start (again) and wait until it accepts connections.
    pub fn start_server(&self) {
        let data = self.data_dir();
        let log = Path::new(&data).join("server.log");
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50",
            self.port,
            self.dir.path().display()
        );
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                &data,
                "-o",
                &opts,
                "-l",
                &log.to_string_lossy(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        assert!(out.status.success(), "pg_ctl start: {out:?}");
    }

    /// Stop at once (`-m immediate`: like a crash, connections are cut).
    pub fn stop_server(&self) {
        let data = self.data_dir();
        let out = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        assert!(out.status.success(), "pg_ctl stop: {out:?}");
    }
}

impl Drop for PgInstance {
    fn drop(&mut self) {
        let data = self.data_dir();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

//! `xieshang` — run the stack, one role, migrations, or write the OpenAPI documents.

use anyhow::Context;

// The request path allocates per request in every role (headers, JSON, rows); glibc's allocator
// spent about a tenth of the process's time in malloc/free under load (perf, bench/gateway.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use xieshang::config::Config;
use xieshang::stack;

const USAGE: &str = "\
usage: xieshang [command]

commands:
  serve [role]     run the whole stack (default), or one role:
                   gateway, membership, consultation, reports, liaison
  serve --demo     run the whole stack and load (or complete) the demo dataset
                   through its gateway; needs XS_ADMIN_PASSWORD; prints demo accounts
  migrate [role]   apply pending database migrations (all roles by default)
  openapi [dir]    write the OpenAPI documents (default dir: openapi)
  help             show this

Configuration comes from XS_* environment variables; see README.md.";

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xieshang: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["serve"] => serve_all(false).await,
        ["serve", "--demo"] => serve_all(true).await,
        ["serve", "--demo", _] | ["serve", _, "--demo"] => anyhow::bail!(
            "--demo loads through the gateway of the whole stack: run `xieshang serve --demo` \
             (one role cannot load it)"
        ),
        ["serve", role] => serve_role(role).await,
        ["migrate"] => stack::migrate(&init()?, None),
        ["migrate", role] => stack::migrate(&init()?, Some(role)),
        ["openapi"] => write_openapi("openapi"),
        ["openapi", dir] => write_openapi(dir),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => anyhow::bail!("unknown command\n\n{USAGE}"),
    }
}

fn init() -> anyhow::Result<Config> {
    init_with(&[])
}

/// The configuration from the environment, with `defaults` for variables it does not set.
fn init_with(defaults: &[(&str, &str)]) -> anyhow::Result<Config> {
    let mut env: std::collections::HashMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("XS_"))
        .collect();
    for (k, v) in defaults {
        env.entry(k.to_string()).or_insert_with(|| v.to_string());
    }
    let cfg = Config::from_map(env)?;
    xs_kit::telemetry::init(&cfg.log, cfg.log_format);
    xs_kit::telemetry::set_access_log(cfg.access_log);
    xs_kit::localtime::set_offset(cfg.utc_offset);
    Ok(cfg)
}

/// The demo loads about 5,000 requests as admin, more than the default rate limit lets one
/// account send in a minute: unless `XS_RATE_LIMIT_PER_MINUTE` says otherwise, a demo stack
/// allows this many.
const DEMO_RATE_LIMIT_PER_MINUTE: &str = "100000";

async fn serve_all(demo: bool) -> anyhow::Result<()> {
    let cfg = if demo {
        init_with(&[("XS_RATE_LIMIT_PER_MINUTE", DEMO_RATE_LIMIT_PER_MINUTE)])?
    } else {
        init()?
    };
    let admin_password = match (demo, &cfg.admin_password) {
        (true, None) => anyhow::bail!(
            "--demo signs in as admin: set XS_ADMIN_PASSWORD (the password the admin account \
             was created with, or will be)"
        ),
        (_, p) => p.clone(),
    };
    let stack = stack::start_all(&cfg).await?;
    if demo {
        load_demo(&stack.url(), admin_password.as_deref().unwrap_or_default()).await?;
    }
    println!("Xieshang is running (data in {}):", cfg.data_dir.display());
    println!(
        "  gateway       {}   (API docs: {}/docs)",
        stack.url(),
        stack.url()
    );
    for s in &stack.services {
        println!("  {:<13} {}", s.name, s.url());
    }
    println!("Press Ctrl-C to stop.");
    stop_signal().await?;
    println!("Stopping…");
    stack.shutdown(cfg.drain(false)?).await;
    Ok(())
}

async fn load_demo(url: &str, admin_password: &str) -> anyhow::Result<()> {
    println!("Loading the demo dataset through {url} …");
    let started = std::time::Instant::now();
    let loaded = xieshang::demo::load(url, admin_password)
        .await
        .context("loading the demo dataset (run again to complete it)")?;
    println!(
        "Demo loaded: {} workrooms, {} members ({} requests, {:.1} s).",
        loaded.workrooms,
        loaded.members,
        loaded.calls,
        started.elapsed().as_secs_f64()
    );
    println!("Demo accounts (for trying the demo only; sign in at POST {url}/auth/token):");
    println!(
        "  {:<20} {:<30} {:<14} district",
        "username", "password", "role"
    );
    println!(
        "  {:<20} {:<30} {:<14} (all)",
        "admin", "$XS_ADMIN_PASSWORD", "admin"
    );
    for a in &loaded.accounts {
        println!(
            "  {:<20} {:<30} {:<14} {}",
            a.username,
            a.password,
            a.roles,
            a.district.unwrap_or("(all)")
        );
    }
    Ok(())
}

async fn serve_role(role: &str) -> anyhow::Result<()> {
    let cfg = init()?;
    let drain = cfg.drain(true)?;
    let running = stack::start_role(&cfg, role).await?;
    println!("{role} listening on {}", running.url());
    stop_signal().await?;
    running.shutdown(drain).await;
    Ok(())
}

/// SIGINT (Ctrl-C) or SIGTERM (what container runtimes and orchestrators send), whichever
/// comes first. Both are handled the same, also as PID 1, where unhandled signals are ignored.
async fn stop_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        tokio::select! {
            _ = term.recv() => tracing::info!(signal = "SIGTERM", "stopping"),
            _ = int.recv() => tracing::info!(signal = "SIGINT", "stopping"),
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
    }
}

fn write_openapi(dir: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, doc) in xieshang::openapi_documents() {
        let path = std::path::Path::new(dir).join(&name);
        std::fs::write(&path, xieshang::render_document(&doc)?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

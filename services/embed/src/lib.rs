//! Called from a crate's `build.rs` to embed its SQL migrations, written once.
//!
//! Layout: `migrations/<version>_<name>/up.sql` and `down.sql`, the SQL both backends run.
//! Where the SQL really differs, a backend's own file replaces the shared one for that backend
//! only: `up.sqlite.sql`, `up.postgres.sql`, `down.sqlite.sql`, `down.postgres.sql`. The build
//! fails on a migration a backend cannot resolve, on a shared file no backend uses, and on an
//! override identical to the shared file — so every difference is real and visible by name.
//!
//! The crate then holds `include!(concat!(env!("OUT_DIR"), "/migrations.rs"))`: a slice of
//! `xs_kit::db::SqlMigration` in version order.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const BACKENDS: [&str; 2] = ["sqlite", "postgres"];
const DIRECTIONS: [&str; 2] = ["up", "down"];

/// Embed `dir` (relative to the crate) into `$OUT_DIR/migrations.rs`. Panics, failing the build
/// with the reason, when the layout is wrong.
pub fn migrations(dir: &str) {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let root = Path::new(&manifest).join(dir);
    println!("cargo:rerun-if-changed={}", root.display());
    let code = generate(&root).unwrap_or_else(|e| panic!("migrations in {}: {e}", root.display()));
    std::fs::write(Path::new(&out).join("migrations.rs"), code).expect("writing migrations.rs");
}

/// The Rust expression listing the migrations under `root` (none if it does not exist).
pub fn generate(root: &Path) -> Result<String, String> {
    let mut names: Vec<String> = match std::fs::read_dir(root) {
        Ok(entries) => entries
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    let mut code = String::from("&[\n");
    for name in &names {
        let version = name.split('_').next().unwrap_or_default();
        if version.is_empty() || !version.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("{name}: a migration is named <digits>_<name>"));
        }
        let dir = root.join(name);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut fields = String::new();
        for direction in DIRECTIONS {
            let shared = dir.join(format!("{direction}.sql"));
            let mut shared_used = false;
            for backend in BACKENDS {
                let own = dir.join(format!("{direction}.{backend}.sql"));
                let path = if own.exists() {
                    if shared.exists() && read(&own)? == read(&shared)? {
                        return Err(format!(
                            "{name}/{direction}.{backend}.sql is the same as {direction}.sql; \
                             delete it"
                        ));
                    }
                    own
                } else if shared.exists() {
                    shared_used = true;
                    shared.clone()
                } else {
                    return Err(format!(
                        "{name}: no {direction}.sql or {direction}.{backend}.sql"
                    ));
                };
                let _ = writeln!(
                    fields,
                    "        {backend}_{direction}: include_str!({:?}),",
                    absolute(&path)?
                );
            }
            if shared.exists() && !shared_used {
                return Err(format!(
                    "{name}/{direction}.sql is used by no backend (both have their own)"
                ));
            }
        }
        for entry in std::fs::read_dir(&dir)
            .map_err(|e| e.to_string())?
            .flatten()
        {
            let file = entry.file_name().to_string_lossy().into_owned();
            let known = DIRECTIONS.iter().any(|d| {
                file == format!("{d}.sql")
                    || BACKENDS.iter().any(|b| file == format!("{d}.{b}.sql"))
            });
            if !known {
                return Err(format!("{name}/{file}: not a migration file"));
            }
        }
        let _ = writeln!(
            code,
            "    xs_kit::db::SqlMigration {{\n        name: {name:?},\n{fields}    }},"
        );
    }
    code.push(']');
    Ok(code)
}

fn read(p: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))
}

fn absolute(p: &Path) -> Result<PathBuf, String> {
    p.canonicalize()
        .map_err(|e| format!("{}: {e}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::generate;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temporary directory");
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        dir
    }

    #[test]
    fn shared_sql_serves_both_backends_and_overrides_one() {
        let dir = tree(&[
            ("1_a/up.sql", "CREATE TABLE a (x INTEGER);"),
            ("1_a/down.sql", "DROP TABLE a;"),
            ("2_b/up.sql", "SELECT CURRENT_TIMESTAMP;"),
            ("2_b/up.postgres.sql", "SELECT now();"),
            ("2_b/down.sql", "SELECT 1;"),
        ]);
        let code = generate(dir.path()).expect("valid");
        assert_eq!(code.matches("xs_kit::db::SqlMigration").count(), 2);
        assert!(code.find("\"1_a\"") < code.find("\"2_b\""));
        assert_eq!(code.matches("2_b/up.postgres.sql").count(), 1);
        // The shared up.sql of 2_b serves SQLite only; 1_a's serves both.
        assert_eq!(code.matches("2_b/up.sql").count(), 1);
        assert_eq!(code.matches("1_a/up.sql").count(), 2);
    }

    #[test]
    fn every_difference_must_be_real_and_resolvable() {
        let cases: [(&[(&str, &str)], &str); 5] = [
            (&[("1_a/up.sql", "x")], "no down.sql"),
            (
                &[
                    ("1_a/up.sql", "x"),
                    ("1_a/up.sqlite.sql", "x"),
                    ("1_a/down.sql", "y"),
                ],
                "same as up.sql",
            ),
            (
                &[
                    ("1_a/up.sql", "x"),
                    ("1_a/up.sqlite.sql", "s"),
                    ("1_a/up.postgres.sql", "p"),
                    ("1_a/down.sql", "y"),
                ],
                "used by no backend",
            ),
            (
                &[
                    ("1_a/up.sql", "x"),
                    ("1_a/down.sql", "y"),
                    ("1_a/notes.txt", "z"),
                ],
                "not a migration file",
            ),
            (&[("a/up.sql", "x"), ("a/down.sql", "y")], "<digits>_<name>"),
        ];
        for (files, why) in cases {
            let dir = tree(files);
            let err = generate(dir.path()).expect_err(why);
            assert!(err.contains(why), "{err} (wanted {why})");
        }
    }
}

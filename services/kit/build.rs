fn main() {
    // embed_migrations! does not notice new migration files on its own.
    println!("cargo:rerun-if-changed=migrations");
    // The kit tests' own service embeds its migrations too.
    println!("cargo:rerun-if-changed=tests/kit/migrations");
}

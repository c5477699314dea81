fn main() {
    // embed_migrations! does not notice new migration files on its own.
    println!("cargo:rerun-if-changed=migrations");
    // Nor those of the kit tests' own service.
    println!("cargo:rerun-if-changed=tests/fixtures/migrations");
}

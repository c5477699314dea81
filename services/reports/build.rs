fn main() {
    // embed_migrations! does not notice new migration files on its own.
    println!("cargo:rerun-if-changed=migrations");
}

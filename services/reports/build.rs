fn main() {
    // Embeds migrations/ (one SQL source per migration, per-backend overrides where the SQL
    // differs) and reruns when a migration changes.
    xs_embed::migrations("migrations");
}

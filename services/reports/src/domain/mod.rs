//! Pure rules: who may do what (`access`), and the report's vocabulary, lifecycle and text
//! rules (`report`). No database, no HTTP.

pub mod access;
pub mod report;

//! Rows and queries. Database errors only, never HTTP ones.

pub mod report;
pub mod stats;

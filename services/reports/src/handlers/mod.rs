pub mod internal;
pub mod reports;
pub mod stats;

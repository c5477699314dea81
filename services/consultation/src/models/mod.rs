pub mod consultation;
pub mod mediation;
pub mod reception;
pub mod stats;
pub mod topic;

pub mod access;
pub mod consultation;
pub mod mediation;
pub mod reception;
pub mod topic;

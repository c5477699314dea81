pub mod consultation;
pub mod topic;

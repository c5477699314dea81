pub mod consultation;
pub mod reception;
pub mod topic;

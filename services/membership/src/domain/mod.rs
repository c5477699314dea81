pub mod access;
pub mod duty;
pub mod evaluation;
pub mod member;
pub mod plan;
pub mod workroom;

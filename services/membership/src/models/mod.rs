pub mod activity;
pub mod duty;
pub mod member;
pub mod plan;
pub mod reference;
pub mod workroom;

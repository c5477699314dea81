pub mod activity;
pub mod member;
pub mod reference;
pub mod workroom;

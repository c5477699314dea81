pub mod evaluation;
pub mod member;
pub mod workroom;

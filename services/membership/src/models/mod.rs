pub mod member;
pub mod reference;

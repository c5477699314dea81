pub mod members;
pub mod reference;

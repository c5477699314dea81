pub mod activities;
pub mod evaluation;
pub mod members;
pub mod reference;
pub mod workrooms;

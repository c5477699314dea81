pub mod activities;
pub mod duty;
pub mod evaluation;
pub mod internal;
pub mod members;
pub mod plans;
pub mod reference;
pub mod workrooms;

pub mod access;
pub mod compatriot;
pub mod enterprise;
pub mod event;
pub mod request;
pub mod stats;

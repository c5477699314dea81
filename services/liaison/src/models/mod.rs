pub mod compatriot;
pub mod enterprise;
pub mod event;
pub mod registration;
pub mod request;
pub mod stats;
pub mod suggestion;

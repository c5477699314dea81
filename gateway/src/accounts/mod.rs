//! Accounts: people and machine clients, their roles and scope, and the API to manage them.
//!
//! - [`model`]: the row, the API's view, role lists
//! - [`passwords`]: argon2id hashing; a login for an unknown name is checked against a dummy
//!   hash, so it takes as long as a wrong password
//! - [`queries`]: reading and writing accounts, the first admin
//! - [`handlers`]: the API (`/auth/me`, `/auth/register`, `/api/v1/accounts`, `/api/v1/clients`)

pub mod handlers;
pub mod model;
pub mod passwords;
pub mod queries;

pub use handlers::*;
pub use model::*;
pub use passwords::*;
pub use queries::*;

//! Staff of the hosting company: accounts, setup links, API tokens.
mod authenticate_token;
mod create_staff;
mod create_token;
mod email;
pub mod sessions;

pub use authenticate_token::{authenticate_token, ApiCaller};
pub use create_staff::{create_staff, StaffInvitation, SETUP_LINK_LIFETIME_HOURS};
pub use create_token::{create_token, IssuedToken};
pub use email::StaffEmail;

//! The endpoints, one module per group.

pub(crate) mod health;
pub(crate) mod users;
mod users_track;

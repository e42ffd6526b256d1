//! The endpoints, one module per group.

pub(crate) mod canvases;
mod consent_trace;
pub(crate) mod health;
pub(crate) mod partners;
mod partners_audiences;
mod partners_notifications;
mod partners_steps;
pub(crate) mod steps_retry_errored;
pub(crate) mod users;
mod users_track;

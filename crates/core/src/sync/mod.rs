//! The pure rules of the sync pipeline: which records go into one request
//! ([`batch_plan`]), when a failed request is tried again ([`retry`]), and what the
//! membership ledger allows to be sent ([`ledger`]). No I/O and no clock: every time is an
//! argument in milliseconds since the Unix epoch.

pub mod batch_plan;
pub mod ledger;
pub mod retry;

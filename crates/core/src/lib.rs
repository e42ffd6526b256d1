//! pinsync's domain core: identifiers and their normalization, the Canvas model and its
//! validation, reason codes and metric names. This crate does no I/O.
//!
//! - [`reason`]: why a user was not synced or errored ([`reason::ReasonCode`]).
//! - [`identifier`]: email, GAID and IDFA parsed into normalized newtypes and hashed.
//! - [`canvas`]: the Canvas graph, its JSON form and its validation.
//! - [`metrics`]: Prometheus metric names and step analytics names.
//! - [`sync`]: the sync pipeline's pure rules: batch planning, retry schedule, ledger.

pub mod canvas;
pub mod identifier;
pub mod metrics;
pub mod reason;
pub mod sync;

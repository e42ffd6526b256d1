//! Integration tests of the store: the backend-generic conformance suite, run per backend.

mod account_conformance;
mod conformance;
mod connection_conformance;
mod sqlite;

//! Integration tests of the store: the backend-generic conformance suites, run per backend.

mod account_conformance;
mod canvas_conformance;
mod conformance;
mod connection_conformance;
mod consent_conformance;
mod lease_conformance;
mod postgres;
mod postgres_concurrency;
mod sqlite;
mod sync_conformance;

//! Integration tests of the Pinterest sandbox, all over real HTTP against a sandbox on port 0.

mod audiences;
mod config;
mod customer_lists;
mod errors;
mod faults;
mod oauth;
mod pagination;
mod rate_limits;
mod roles_and_scopes;
mod support;

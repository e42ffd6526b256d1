//! Integration tests of the Pinterest client against the real sandbox on port 0.

mod calls;
mod errors;
mod harness;
mod oauth;
mod rate_limit;

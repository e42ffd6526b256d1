//! End-to-end tests of the `pinsync` binary: real processes, real ports, real files.

mod cli;
mod dashboard_admin;

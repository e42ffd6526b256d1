//! Integration tests of the sync pipeline: pinsync's store and the Pinterest sandbox on port
//! 0, time on a manual clock, the pipeline driven pass by pass.

mod batching;
mod consent;
mod crash;
mod failures;
mod instrumentation;
mod ledger;
mod ordering;
mod ownership;
mod pause;
mod support;

//! What the crash soak and the fault soak share: the real `pinsync serve` as a child process
//! (`server`), the sandbox with a log of every request's arrival (`sandbox`), the REST calls
//! that set up a connection, Canvases and entries (`api`), bulk entry that resends what a
//! kill cut off (`entry`), the soak's users (`population`), the sliding-window check of
//! Pinterest's limits (`windows`), the audit of the raw state after the last stop (`audit`),
//! and the start, wait and verdict every soak shares (`setup`).

pub mod api;
pub mod audit;
pub mod entry;
pub mod population;
pub mod sandbox;
pub mod server;
pub mod setup;
pub mod windows;

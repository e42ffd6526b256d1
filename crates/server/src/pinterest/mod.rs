//! The Pinterest connection as seen by the rest of the server: the real launch checks of
//! Canvases ([`PinterestLaunchChecks`]), plugged into the Canvas engine's hook, and the
//! connection errors every launched Canvas shows ([`canvas_connection_errors`]).

mod canvas_errors;
mod launch_checks;

pub use canvas_errors::canvas_connection_errors;
pub use launch_checks::PinterestLaunchChecks;

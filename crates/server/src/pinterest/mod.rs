//! The Pinterest connection as seen by the rest of the server: the real launch checks of
//! Canvases ([`PinterestLaunchChecks`]), plugged into the Canvas engine's hook.

mod launch_checks;

pub use launch_checks::PinterestLaunchChecks;

//! The Pinterest connection as seen by the rest of the server: the real launch checks of
//! Canvases ([`PinterestLaunchChecks`]), plugged into the Canvas engine's hook, the
//! connection errors every launched Canvas shows ([`canvas_connection_errors`]), and the one
//! "create the step's audience" used by the API and the dashboard ([`create_step_audience`]).

mod canvas_errors;
mod launch_checks;
mod step_audience;

pub use canvas_errors::canvas_connection_errors;
pub use launch_checks::PinterestLaunchChecks;
pub use step_audience::{StepAudience, StepAudienceError, create_step_audience};

//! [`EngineError`]: what the engine refuses or fails at, in terms the API can map to answers.

use pinsync_core::canvas::{StepId, ValidationProblem};
use pinsync_store::{CanvasId, CanvasStatus, StoreError};
use serde::Serialize;
use thiserror::Error;

/// One reason an edit of a launched Canvas is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditProblem {
    pub step_id: Option<StepId>,
    pub message: String,
}

/// Why the engine could not do what was asked.
#[derive(Debug, Error)]
pub enum EngineError {
    /// No Canvas with this id in the workspace.
    #[error("canvas {0} not found")]
    CanvasNotFound(CanvasId),
    /// The Canvas's status does not allow the action.
    #[error("cannot {action} a canvas that is {current}")]
    WrongStatus {
        action: &'static str,
        current: CanvasStatus,
    },
    /// The Canvas cannot launch (or an edit would make a launched one invalid).
    #[error("the canvas has {} problem(s)", .0.len())]
    Invalid(Vec<ValidationProblem>),
    /// The edit is not allowed on a launched Canvas.
    #[error("the edit is not allowed on a launched canvas ({} problem(s))", .0.len())]
    EditRefused(Vec<EditProblem>),
    /// A bulk body is not UTF-8 on this line.
    #[error("line {line} is not valid UTF-8")]
    NotUtf8 { line: u64 },
    /// A bulk body's CSV header (on this line) is unusable.
    #[error("the CSV header on line {line} is unusable: {reason}")]
    BadHeader { line: u64, reason: String },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

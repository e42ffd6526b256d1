//! The [`CanvasStore`] part of the store: Canvases, journeys, delay timers, step analytics, and the hand-over of sync items. Filled in by the Canvas-engine issue.

use async_trait::async_trait;

/// Canvases, journeys, delay timers, step analytics, and the hand-over of sync items. Filled in by the Canvas-engine issue.
#[async_trait]
pub trait CanvasStore: Send + Sync {}

//! Integration tests of pinsync-core, one module per area.

mod canvas_external;
mod canvas_props;
mod canvas_serde;
mod canvas_validation;
mod condition;
mod fixtures;
mod identifier;
mod identifier_props;
mod metrics;
mod reason;

//! pinsync's domain core: identifiers and their normalization, the Canvas model and its
//! validation, reason codes and metric names. This crate does no I/O.

//! The plain data types of `pinsync-store` that the engine's `bulk_rows` builds, under the
//! crate name `pinsync_store`, without SQLite: compiling the SQLite amalgamation under
//! AddressSanitizer takes longer than the fuzzing itself.
//!
//! `model.rs` is the store's own file; `EntryCandidate` is copied from `canvas_model.rs`
//! (that file has submodules and store-only types); if `bulk_rows` ever sets another field,
//! this build fails instead of fuzzing something else.

#[allow(dead_code)]
#[path = "../../crates/store/src/model.rs"]
mod model;

pub use model::*;

/// One user to enter: the profile update applied first, then the entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EntryCandidate {
    pub user: UserUpsert,
    /// The `canvas_entry_properties` JSON object, kept on the journey as text.
    pub entry_properties: Option<String>,
}

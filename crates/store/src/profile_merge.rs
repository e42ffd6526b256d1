//! How an upsert changes a stored user profile, shared by every backend: a field set replaces
//! the stored one, a field cleared returns to its blank value (missing identifier, ad tracking
//! enabled), a field left out keeps the stored one; attributes merge, and a `null` attribute
//! deletes it.

use serde_json::Map;

use crate::model::{FieldUpdate, StoredIdentifier, UserProfile, UserUpsert, WorkspaceId};

/// A new user's profile before any upsert: every column's default.
pub(crate) fn blank_profile(workspace: WorkspaceId, external_id: &str, now: i64) -> UserProfile {
    UserProfile {
        workspace_id: workspace,
        external_id: external_id.to_owned(),
        email: StoredIdentifier::missing(),
        gaid: StoredIdentifier::missing(),
        idfa: StoredIdentifier::missing(),
        ad_tracking_enabled: true,
        attributes: Map::new(),
        created_at: now,
        updated_at: now,
    }
}

/// Applies one upsert to `profile`, stamping `updated_at`.
pub(crate) fn apply_upsert(profile: &mut UserProfile, update: &UserUpsert, now: i64) {
    apply_fields(
        ProfileFields {
            email: &mut profile.email,
            gaid: &mut profile.gaid,
            idfa: &mut profile.idfa,
            ad_tracking_enabled: &mut profile.ad_tracking_enabled,
            attributes: &mut profile.attributes,
        },
        update,
    );
    profile.updated_at = now;
}

/// The stored fields an upsert changes, wherever the caller keeps them (a [`UserProfile`], or
/// the leaner profile the SQLite entry path carries).
pub(crate) struct ProfileFields<'a> {
    pub email: &'a mut StoredIdentifier,
    pub gaid: &'a mut StoredIdentifier,
    pub idfa: &'a mut StoredIdentifier,
    pub ad_tracking_enabled: &'a mut bool,
    pub attributes: &'a mut Map<String, serde_json::Value>,
}

/// Applies one upsert to `fields`. Answers whether the attributes changed.
pub(crate) fn apply_fields(fields: ProfileFields<'_>, update: &UserUpsert) -> bool {
    apply_field(fields.email, &update.email, StoredIdentifier::missing());
    apply_field(fields.gaid, &update.gaid, StoredIdentifier::missing());
    apply_field(fields.idfa, &update.idfa, StoredIdentifier::missing());
    apply_field(
        fields.ad_tracking_enabled,
        &update.ad_tracking_enabled,
        true,
    );
    for (name, value) in &update.attributes {
        if value.is_null() {
            fields.attributes.remove(name);
        } else {
            fields.attributes.insert(name.clone(), value.clone());
        }
    }
    !update.attributes.is_empty()
}

fn apply_field<T: Clone>(stored: &mut T, update: &FieldUpdate<T>, cleared: T) {
    match update {
        FieldUpdate::Keep => {}
        FieldUpdate::Clear => *stored = cleared,
        FieldUpdate::Set(value) => *stored = value.clone(),
    }
}

//! Users in PostgreSQL: hashed identifiers with their parse outcome, consent and attributes.
//!
//! A batch of upserts is at most three statements whatever its size: insert the missing users
//! with their merged profiles (learning which were created), lock and read the users that
//! existed, then write those users' merged profiles with one `UPDATE … FROM UNNEST(…)`. The merge rule is the one of
//! `sqlite/users.rs`, applied in order, so a user named twice in a batch is created by the
//! first and updated by the second.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{PgConnection, PgExecutor, Row};

use crate::error::StoreError;
use crate::model::{StoredIdentifier, UpsertSummary, UserProfile, UserUpsert, WorkspaceId};
use crate::profile_merge::{apply_upsert, blank_profile};

/// A statement with its arguments, as `sqlx::query` builds it.
type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, PgArguments>;

const USER_COLUMNS: &str = "workspace_id, external_id, email_sha256, email_status, gaid_sha256,
    gaid_status, idfa_sha256, idfa_status, ad_tracking_enabled, attributes, created_at, updated_at";

/// One upsert's result: the profile as that upsert left it, and whether it created the user.
#[derive(Debug, Clone)]
pub(crate) struct MergedUser {
    pub(crate) profile: UserProfile,
    pub(crate) created: bool,
}

pub(crate) fn profile_from_row(row: &PgRow) -> Result<UserProfile, StoreError> {
    let attributes: String = row.try_get(9)?;
    Ok(UserProfile {
        workspace_id: WorkspaceId(row.try_get(0)?),
        external_id: row.try_get(1)?,
        email: StoredIdentifier {
            sha256: row.try_get(2)?,
            status: row.try_get(3)?,
        },
        gaid: StoredIdentifier {
            sha256: row.try_get(4)?,
            status: row.try_get(5)?,
        },
        idfa: StoredIdentifier {
            sha256: row.try_get(6)?,
            status: row.try_get(7)?,
        },
        ad_tracking_enabled: row.try_get(8)?,
        attributes: decode_attributes(&attributes)?,
        created_at: row.try_get(10)?,
        updated_at: row.try_get(11)?,
    })
}

fn decode_attributes(text: &str) -> Result<Map<String, Value>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("user attributes: {e}")))
}

pub(super) async fn fetch(
    executor: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    external_id: &str,
) -> Result<Option<UserProfile>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE workspace_id = $1 AND external_id = $2"
    ))
    .bind(workspace.0)
    .bind(external_id)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(profile_from_row).transpose()
}

pub(super) async fn count(
    executor: impl PgExecutor<'_>,
    workspace: WorkspaceId,
) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE workspace_id = $1")
        .bind(workspace.0)
        .fetch_one(executor)
        .await?;
    Ok(n.max(0) as u64)
}

/// `upsert_users`: applies every upsert and counts created and updated users.
pub(super) async fn upsert(
    conn: &mut PgConnection,
    workspace: WorkspaceId,
    users: Vec<UserUpsert>,
) -> Result<UpsertSummary, StoreError> {
    let merged = upsert_profiles(conn, workspace, &users, crate::now_millis()).await?;
    let created = merged.iter().filter(|user| user.created).count() as u64;
    Ok(UpsertSummary {
        created,
        updated: merged.len() as u64 - created,
    })
}

/// Applies `users` in order inside the caller's transaction and returns, for each of them
/// (same order), the profile as it left it and whether it created the user.
pub(crate) async fn upsert_profiles(
    conn: &mut PgConnection,
    workspace: WorkspaceId,
    users: &[UserUpsert],
    now: i64,
) -> Result<Vec<MergedUser>, StoreError> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    // Each user's upserts applied in order to a blank profile: the row to insert if the user
    // is new, so that a new user costs one write. Sorted, so that concurrent batches take
    // their row locks in one order.
    let mut fresh: BTreeMap<&str, UserProfile> = BTreeMap::new();
    for update in users {
        let profile = fresh
            .entry(update.external_id.as_str())
            .or_insert_with(|| blank_profile(workspace, &update.external_id, now));
        apply_upsert(profile, update, now);
    }
    let created = insert_new(conn, workspace, fresh.values(), now).await?;
    let existing: Vec<&str> = fresh
        .keys()
        .copied()
        .filter(|id| !created.contains(*id))
        .collect();
    let mut profiles: HashMap<String, UserProfile> = HashMap::with_capacity(fresh.len());
    if !existing.is_empty() {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users
             WHERE workspace_id = $1 AND external_id = ANY($2::text[])
             ORDER BY external_id FOR UPDATE"
        ))
        .bind(workspace.0)
        .bind(&existing)
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            let profile = profile_from_row(row)?;
            profiles.insert(profile.external_id.clone(), profile);
        }
    }
    for id in &created {
        profiles.insert(id.clone(), blank_profile(workspace, id, now));
    }

    let mut merged = Vec::with_capacity(users.len());
    let mut seen = HashSet::with_capacity(fresh.len());
    for update in users {
        let profile = profiles
            .get_mut(&update.external_id)
            .ok_or_else(|| StoreError::Database("an upserted user vanished".into()))?;
        apply_upsert(profile, update, now);
        let first_time = seen.insert(update.external_id.as_str());
        merged.push(MergedUser {
            profile: profile.clone(),
            created: first_time && created.contains(&update.external_id),
        });
    }
    let updated = profiles
        .values()
        .filter(|profile| !created.contains(&profile.external_id));
    write_profiles(conn, workspace, updated).await?;
    Ok(merged)
}

/// Inserts the profiles of users that do not exist yet, in the given order, and returns the
/// external ids of those it created. A user that exists (or that a concurrent transaction is
/// inserting) is left alone; its row is locked and merged by the caller.
async fn insert_new<'p>(
    conn: &mut PgConnection,
    workspace: WorkspaceId,
    profiles: impl Iterator<Item = &'p UserProfile>,
    now: i64,
) -> Result<HashSet<String>, StoreError> {
    let mut columns = ProfileColumns::default();
    for profile in profiles {
        columns.push(profile);
    }
    let query = sqlx::query(
        "INSERT INTO users (workspace_id, external_id, email_sha256, email_status, gaid_sha256,
             gaid_status, idfa_sha256, idfa_status, ad_tracking_enabled, attributes,
             created_at, updated_at)
         SELECT $1, t.external_id, t.email_sha256, t.email_status, t.gaid_sha256,
             t.gaid_status, t.idfa_sha256, t.idfa_status, t.ad_tracking_enabled, t.attributes,
             $12, t.updated_at
         FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::bool[], $10::text[], $11::bigint[]) WITH ORDINALITY
             AS t(external_id, email_sha256, email_status, gaid_sha256, gaid_status,
                  idfa_sha256, idfa_status, ad_tracking_enabled, attributes, updated_at, n)
         ORDER BY t.n
         ON CONFLICT (workspace_id, external_id) DO NOTHING
         RETURNING external_id",
    )
    .bind(workspace.0);
    let rows = columns
        .bind_to(query)
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String, _>(0).map_err(StoreError::from))
        .collect()
}

/// Writes the profiles' fields over their (locked) rows in one statement.
async fn write_profiles<'p>(
    conn: &mut PgConnection,
    workspace: WorkspaceId,
    profiles: impl Iterator<Item = &'p UserProfile>,
) -> Result<(), StoreError> {
    let mut columns = ProfileColumns::default();
    for profile in profiles {
        columns.push(profile);
    }
    let query = sqlx::query(
        "UPDATE users AS u SET
             email_sha256 = t.email_sha256, email_status = t.email_status,
             gaid_sha256 = t.gaid_sha256, gaid_status = t.gaid_status,
             idfa_sha256 = t.idfa_sha256, idfa_status = t.idfa_status,
             ad_tracking_enabled = t.ad_tracking_enabled, attributes = t.attributes,
             updated_at = t.updated_at
         FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::bool[], $10::text[], $11::bigint[])
             AS t(external_id, email_sha256, email_status, gaid_sha256, gaid_status,
                  idfa_sha256, idfa_status, ad_tracking_enabled, attributes, updated_at)
         WHERE u.workspace_id = $1 AND u.external_id = t.external_id",
    )
    .bind(workspace.0);
    columns.bind_to(query).execute(&mut *conn).await?;
    Ok(())
}

/// Profiles as columns, one array per field, for `UNNEST`.
#[derive(Default)]
struct ProfileColumns {
    external_id: Vec<String>,
    email_sha256: Vec<Option<String>>,
    email_status: Vec<String>,
    gaid_sha256: Vec<Option<String>>,
    gaid_status: Vec<String>,
    idfa_sha256: Vec<Option<String>>,
    idfa_status: Vec<String>,
    ad_tracking_enabled: Vec<bool>,
    attributes: Vec<String>,
    updated_at: Vec<i64>,
}

impl ProfileColumns {
    /// Binds the columns as `$2` to `$11` (`$1` is the workspace), in the order both the
    /// insert and the update list them.
    fn bind_to(self, query: PgQuery<'_>) -> PgQuery<'_> {
        query
            .bind(self.external_id)
            .bind(self.email_sha256)
            .bind(self.email_status)
            .bind(self.gaid_sha256)
            .bind(self.gaid_status)
            .bind(self.idfa_sha256)
            .bind(self.idfa_status)
            .bind(self.ad_tracking_enabled)
            .bind(self.attributes)
            .bind(self.updated_at)
    }

    fn push(&mut self, profile: &UserProfile) {
        self.external_id.push(profile.external_id.clone());
        self.email_sha256.push(profile.email.sha256.clone());
        self.email_status.push(profile.email.status.clone());
        self.gaid_sha256.push(profile.gaid.sha256.clone());
        self.gaid_status.push(profile.gaid.status.clone());
        self.idfa_sha256.push(profile.idfa.sha256.clone());
        self.idfa_status.push(profile.idfa.status.clone());
        self.ad_tracking_enabled.push(profile.ad_tracking_enabled);
        self.attributes
            .push(Value::Object(profile.attributes.clone()).to_string());
        self.updated_at.push(profile.updated_at);
    }
}

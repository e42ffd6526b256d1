-- Consent revoked: when a user's ad_tracking_enabled turns false, one removal per audience the
-- membership ledger holds the user in. The sync pipeline claims due removals with a lease
-- (`locked_by`, `locked_until`), sends REMOVE for the user's identifiers the ledger holds, and
-- finishes the row, which stays for the user's trace. `available_at` is the stored next
-- attempt time; `canvas_id`/`step_id` name a step whose target (ad account, customer list)
-- the audience is synced through. No step counter refers to these rows.
CREATE TABLE consent_removals (
    id                INTEGER PRIMARY KEY,
    workspace_id      INTEGER NOT NULL,
    external_id       TEXT NOT NULL,
    audience_id       TEXT NOT NULL,
    canvas_id         INTEGER NOT NULL,
    step_id           TEXT NOT NULL,
    revoked_at        INTEGER NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending',
    available_at      INTEGER NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    first_attempt_at  INTEGER,
    reason            TEXT,
    request_ids       TEXT NOT NULL DEFAULT '[]',
    records           INTEGER NOT NULL DEFAULT 0,
    finished_at       INTEGER,
    locked_by         TEXT,
    locked_until      INTEGER
);
-- At most one pending removal per (user, audience): a second revocation while one is queued
-- adds nothing.
CREATE UNIQUE INDEX consent_removals_one_pending
    ON consent_removals(workspace_id, external_id, audience_id) WHERE status = 'pending';
CREATE INDEX consent_removals_due ON consent_removals(available_at) WHERE status = 'pending';
CREATE INDEX consent_removals_by_user ON consent_removals(workspace_id, external_id, id);

-- The ledger by user, to find every audience a user was added to.
CREATE INDEX sync_ledger_by_workspace_user ON sync_ledger(workspace_id, external_id);

-- Consent revoked (PostgreSQL twin of sqlite/0007): when a user's ad_tracking_enabled turns
-- false, one removal per audience the membership ledger holds the user in. The sync pipeline
-- claims due removals with a lease (`locked_by`, `locked_until`), sends REMOVE for the user's
-- identifiers the ledger holds, and finishes the row, which stays for the user's trace.
-- `available_at` is the stored next attempt time; `canvas_id`/`step_id` name a step whose
-- target (ad account, customer list) the audience is synced through. No step counter refers
-- to these rows.
CREATE TABLE consent_removals (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id      BIGINT NOT NULL,
    external_id       TEXT NOT NULL,
    audience_id       TEXT NOT NULL,
    canvas_id         BIGINT NOT NULL,
    step_id           TEXT NOT NULL,
    revoked_at        BIGINT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending',
    available_at      BIGINT NOT NULL,
    attempts          BIGINT NOT NULL DEFAULT 0,
    first_attempt_at  BIGINT,
    reason            TEXT,
    request_ids       TEXT NOT NULL DEFAULT '[]',
    records           BIGINT NOT NULL DEFAULT 0,
    finished_at       BIGINT,
    locked_by         TEXT,
    locked_until      BIGINT
);
-- At most one pending removal per (user, audience): a second revocation while one is queued
-- adds nothing.
CREATE UNIQUE INDEX consent_removals_one_pending
    ON consent_removals (workspace_id, external_id, audience_id) WHERE status = 'pending';
CREATE INDEX consent_removals_due ON consent_removals (available_at) WHERE status = 'pending';
CREATE INDEX consent_removals_by_user ON consent_removals (workspace_id, external_id, id);

-- The ledger by user, to find every audience a user was added to.
CREATE INDEX sync_ledger_by_workspace_user ON sync_ledger (workspace_id, external_id);

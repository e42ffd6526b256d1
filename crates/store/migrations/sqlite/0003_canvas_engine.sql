-- Canvas engine: lifecycle timestamps, journeys (one row per user entry), the visits of each
-- journey (the user trace), exact per-day step counters, and the sync items handed to the
-- sync pipeline. Canvases are never deleted (only archived), so the hot tables carry no
-- foreign keys: bulk entry writes several rows per user and every check costs a lookup.

ALTER TABLE canvases ADD COLUMN launched_at INTEGER;
ALTER TABLE canvases ADD COLUMN stopped_at INTEGER;
ALTER TABLE canvases ADD COLUMN archived_at INTEGER;

-- One row per entry of a user into a Canvas. `current_step`/`wake_at` are set while the user
-- waits in a delay step; `exited_at` once the user left the Canvas.
CREATE TABLE journeys (
    id                INTEGER PRIMARY KEY,
    workspace_id      INTEGER NOT NULL,
    canvas_id         INTEGER NOT NULL,
    external_id       TEXT NOT NULL,
    current_step      TEXT,
    wake_at           INTEGER,
    visits            INTEGER NOT NULL,
    entry_properties  TEXT,
    entered_at        INTEGER NOT NULL,
    exited_at         INTEGER,
    locked_by         TEXT,
    locked_until      INTEGER
);
CREATE INDEX journeys_by_user ON journeys(canvas_id, external_id, id);
CREATE INDEX journeys_due ON journeys(wake_at) WHERE wake_at IS NOT NULL;

-- One row per step a journey went through, in order (`seq` from 0).
-- outcome: NULL for delays and splits; for audience-sync steps `pending`, `synced`,
-- `not_synced` or `errored` (with `reason`).
CREATE TABLE journey_visits (
    journey_id   INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    canvas_id    INTEGER NOT NULL,
    step_id      TEXT NOT NULL,
    entered_at   INTEGER NOT NULL,
    left_at      INTEGER,
    exited       INTEGER NOT NULL DEFAULT 0,
    outcome      TEXT,
    reason       TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    request_ids  TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (journey_id, seq)
) WITHOUT ROWID;

-- Exact analytics: one counter per (canvas, step, metric, reason, UTC day). `step_id` is ''
-- for Canvas-wide counters and `reason` is '' when the metric has none. Changed in the same
-- transaction as the state change that causes it.
CREATE TABLE canvas_counters (
    canvas_id  INTEGER NOT NULL,
    step_id    TEXT NOT NULL,
    metric     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    day        INTEGER NOT NULL,
    value      INTEGER NOT NULL,
    PRIMARY KEY (canvas_id, step_id, metric, reason, day)
) WITHOUT ROWID;

-- The hand-over to the sync pipeline: one row per (user, audience-sync step entry) with at
-- least one usable identifier among the step's match fields. The pipeline claims due items of
-- a (canvas, step) partition in id order with a lease, and finishes them with
-- `complete_sync_items`, which deletes them.
CREATE TABLE sync_items (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL,
    canvas_id     INTEGER NOT NULL,
    step_id       TEXT NOT NULL,
    journey_id    INTEGER NOT NULL,
    visit_seq     INTEGER NOT NULL,
    external_id   TEXT NOT NULL,
    action        TEXT NOT NULL,
    email_sha256  TEXT,
    gaid_sha256   TEXT,
    idfa_sha256   TEXT,
    entered_at    INTEGER NOT NULL,
    available_at  INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    locked_by     TEXT,
    locked_until  INTEGER
);
CREATE INDEX sync_items_by_partition ON sync_items(canvas_id, step_id, id);

-- Sync pipeline (PostgreSQL twin of sqlite/0004): retry bookkeeping on sync items, the
-- membership ledger, the request log that feeds user traces, and the Pinterest-side status of
-- each synced step's list and audience.

-- When the item was first sent (the 13 h horizon counts from here) and why its last attempt
-- failed. `available_at` (from 0003) is the stored next attempt time.
ALTER TABLE sync_items ADD COLUMN first_attempt_at BIGINT;
ALTER TABLE sync_items ADD COLUMN last_reason TEXT;
CREATE INDEX sync_items_by_available ON sync_items (available_at);

-- Per (audience, hashed identifier): what pinsync last applied, and by which step entry
-- (entered_at, journey_id, visit_seq): an older entry never overrides a newer one.
CREATE TABLE sync_ledger (
    audience_id        TEXT NOT NULL,
    identifier_sha256  TEXT NOT NULL,
    workspace_id       BIGINT NOT NULL,
    external_id        TEXT NOT NULL,
    kind               TEXT NOT NULL,
    state              TEXT NOT NULL,
    last_entered_at    BIGINT NOT NULL,
    last_journey_id    BIGINT NOT NULL,
    last_visit_seq     BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (audience_id, identifier_sha256)
);
CREATE INDEX sync_ledger_by_user ON sync_ledger (audience_id, external_id);

-- One row per (sync item, attempt): the request id Pinterest gave and how it ended.
CREATE TABLE sync_attempts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id     BIGINT NOT NULL,
    journey_id  BIGINT NOT NULL,
    visit_seq   BIGINT NOT NULL,
    attempt     BIGINT NOT NULL,
    request_id  TEXT,
    outcome     TEXT NOT NULL,
    reason      TEXT,
    at          BIGINT NOT NULL
);
CREATE INDEX sync_attempts_by_item ON sync_attempts (item_id);
CREATE INDEX sync_attempts_by_visit ON sync_attempts (journey_id, visit_seq);

-- The last poll of a step's customer list and audience on Pinterest.
CREATE TABLE sync_target_status (
    canvas_id         BIGINT NOT NULL,
    step_id           TEXT NOT NULL,
    audience_id       TEXT NOT NULL,
    customer_list_id  TEXT NOT NULL,
    list_status       TEXT,
    audience_status   TEXT,
    audience_size     BIGINT,
    uploaded_records  BIGINT NOT NULL DEFAULT 0,
    removed_records   BIGINT NOT NULL DEFAULT 0,
    error             TEXT,
    polled_at         BIGINT NOT NULL,
    PRIMARY KEY (canvas_id, step_id)
);

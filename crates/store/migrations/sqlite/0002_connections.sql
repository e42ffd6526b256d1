-- Pinterest connections: one per workspace, tokens encrypted by the caller (AES-256-GCM,
-- `nonce || ciphertext`), never in plain text. OAuth states are stored hashed and consumed once.

CREATE TABLE pinterest_connections (
    id                        INTEGER PRIMARY KEY,
    workspace_id              INTEGER NOT NULL UNIQUE REFERENCES workspaces(id) ON DELETE CASCADE,
    pinterest_user_id         TEXT NOT NULL,
    pinterest_username        TEXT NOT NULL,
    access_token_enc          BLOB,
    refresh_token_enc         BLOB,
    access_token_expires_at   INTEGER,
    refresh_token_expires_at  INTEGER,
    scopes                    TEXT NOT NULL DEFAULT '',
    status                    TEXT NOT NULL,
    token_generation          INTEGER NOT NULL DEFAULT 0,
    next_refresh_at           INTEGER,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL
);
CREATE INDEX pinterest_connections_by_refresh ON pinterest_connections(next_refresh_at);

CREATE TABLE pinterest_ad_accounts (
    workspace_id   INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    ad_account_id  TEXT NOT NULL,
    name           TEXT NOT NULL,
    permissions    TEXT NOT NULL DEFAULT '[]',
    selected       INTEGER NOT NULL DEFAULT 0,
    access_lost    INTEGER NOT NULL DEFAULT 0,
    present        INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (workspace_id, ad_account_id)
) WITHOUT ROWID;

CREATE TABLE oauth_states (
    state_sha256  TEXT PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    expires_at    INTEGER NOT NULL,
    consumed_at   INTEGER
) WITHOUT ROWID;

CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX events_by_workspace ON events(workspace_id, id);

CREATE TABLE webhook_configs (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    urls          TEXT NOT NULL,
    secret_enc    BLOB NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    event_id         INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    url              TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    delivered_at     INTEGER,
    failed_at        INTEGER,
    last_error       TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at);

CREATE TABLE pending_audiences (
    id                INTEGER PRIMARY KEY,
    workspace_id      INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    ad_account_id     TEXT NOT NULL,
    name              TEXT NOT NULL,
    customer_list_id  TEXT,
    audience_id       TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

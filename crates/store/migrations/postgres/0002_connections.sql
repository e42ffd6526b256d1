-- Pinterest connections: one per workspace, tokens encrypted by the caller (AES-256-GCM,
-- `nonce || ciphertext`), never in plain text. OAuth states are stored hashed and consumed once.

CREATE TABLE pinterest_connections (
    id                        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id              BIGINT NOT NULL UNIQUE REFERENCES workspaces(id) ON DELETE CASCADE,
    pinterest_user_id         TEXT NOT NULL,
    pinterest_username        TEXT NOT NULL,
    access_token_enc          BYTEA,
    refresh_token_enc         BYTEA,
    access_token_expires_at   BIGINT,
    refresh_token_expires_at  BIGINT,
    scopes                    TEXT NOT NULL DEFAULT '',
    status                    TEXT NOT NULL,
    token_generation          BIGINT NOT NULL DEFAULT 0,
    next_refresh_at           BIGINT,
    created_at                BIGINT NOT NULL,
    updated_at                BIGINT NOT NULL
);
CREATE INDEX pinterest_connections_by_refresh ON pinterest_connections(next_refresh_at);

CREATE TABLE pinterest_ad_accounts (
    workspace_id   BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    ad_account_id  TEXT COLLATE "C" NOT NULL,
    name           TEXT NOT NULL,
    permissions    TEXT NOT NULL DEFAULT '[]',
    selected       BOOLEAN NOT NULL DEFAULT FALSE,
    access_lost    BOOLEAN NOT NULL DEFAULT FALSE,
    present        BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (workspace_id, ad_account_id)
);

CREATE TABLE oauth_states (
    state_sha256  TEXT PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    expires_at    BIGINT NOT NULL,
    consumed_at   BIGINT
);

CREATE TABLE events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX events_by_workspace ON events(workspace_id, id);

CREATE TABLE webhook_configs (
    workspace_id  BIGINT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    urls          TEXT NOT NULL,
    secret_enc    BYTEA NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    workspace_id     BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    url              TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    delivered_at     BIGINT,
    failed_at        BIGINT,
    last_error       TEXT
);
-- Only deliveries still waiting are indexed: delivered and failed ones never come back.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries(event_id);

CREATE TABLE pending_audiences (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id      BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    ad_account_id     TEXT NOT NULL,
    name              TEXT NOT NULL,
    customer_list_id  TEXT,
    audience_id       TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX pending_audiences_by_workspace ON pending_audiences(workspace_id, id);

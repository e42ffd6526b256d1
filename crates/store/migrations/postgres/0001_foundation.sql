-- Foundation schema: workspaces, API keys, users (hashed identifiers only), canvases.
-- Raw emails and advertising IDs are never stored: only their SHA-256 and parse outcome.
-- Times are milliseconds since the Unix epoch (BIGINT), as in the SQLite schema; JSON is
-- kept as TEXT written by serde_json, so both backends store the same bytes (JSONB would
-- also refuse a "\u0000" that SQLite accepts). Text that is ordered or paged by is
-- COLLATE "C" (byte order, like SQLite's BINARY), whatever the database's locale.

CREATE TABLE workspaces (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    key_sha256    TEXT NOT NULL UNIQUE,
    key_prefix    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX api_keys_by_workspace ON api_keys(workspace_id);

CREATE TABLE users (
    workspace_id         BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    external_id          TEXT COLLATE "C" NOT NULL,
    email_sha256         TEXT,
    email_status         TEXT NOT NULL DEFAULT 'missing',
    gaid_sha256          TEXT,
    gaid_status          TEXT NOT NULL DEFAULT 'missing',
    idfa_sha256          TEXT,
    idfa_status          TEXT NOT NULL DEFAULT 'missing',
    ad_tracking_enabled  BOOLEAN NOT NULL DEFAULT TRUE,
    attributes           TEXT NOT NULL DEFAULT '{}',
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, external_id)
);

CREATE TABLE canvases (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'draft',
    definition    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX canvases_by_workspace ON canvases(workspace_id, id);

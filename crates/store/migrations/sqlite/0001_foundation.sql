-- Foundation schema: workspaces, API keys, users (hashed identifiers only), canvases.
-- Raw emails and advertising IDs are never stored: only their SHA-256 and parse outcome.

CREATE TABLE workspaces (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    key_sha256    TEXT NOT NULL UNIQUE,
    key_prefix    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER
);

CREATE TABLE users (
    workspace_id         INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    external_id          TEXT NOT NULL,
    email_sha256         TEXT,
    email_status         TEXT NOT NULL DEFAULT 'missing',
    gaid_sha256          TEXT,
    gaid_status          TEXT NOT NULL DEFAULT 'missing',
    idfa_sha256          TEXT,
    idfa_status          TEXT NOT NULL DEFAULT 'missing',
    ad_tracking_enabled  INTEGER NOT NULL DEFAULT 1,
    attributes           TEXT NOT NULL DEFAULT '{}',
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, external_id)
) WITHOUT ROWID;

CREATE TABLE canvases (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'draft',
    definition    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX canvases_by_workspace ON canvases(workspace_id, id);

-- The dashboard: people who sign in (argon2 hashes only), the workspaces they belong to,
-- their sessions (stored as the SHA-256 of the cookie value) and one-time set-up links.

CREATE TABLE dashboard_users (
    id             INTEGER PRIMARY KEY,
    login          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash  TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE dashboard_memberships (
    user_id       INTEGER NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, workspace_id)
) WITHOUT ROWID;

CREATE TABLE dashboard_sessions (
    token_sha256  TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions(expires_at);

CREATE TABLE dashboard_setup_links (
    token_sha256  TEXT PRIMARY KEY,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
) WITHOUT ROWID;

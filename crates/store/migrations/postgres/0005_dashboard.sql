-- The dashboard: people who sign in (argon2 hashes only), the workspaces they belong to,
-- their sessions (stored as the SHA-256 of the cookie value) and one-time set-up links.

-- A login is unique whatever its ASCII case, as SQLite's COLLATE NOCASE: lower() under the
-- "C" collation folds A-Z only, whatever the database's locale. Lookups use the same expression.
CREATE TABLE dashboard_users (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX dashboard_users_login ON dashboard_users (lower(login COLLATE "C"));

CREATE TABLE dashboard_memberships (
    user_id       BIGINT NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (user_id, workspace_id)
);

CREATE TABLE dashboard_sessions (
    token_sha256  TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions(expires_at);

CREATE TABLE dashboard_setup_links (
    token_sha256  TEXT PRIMARY KEY,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT
);

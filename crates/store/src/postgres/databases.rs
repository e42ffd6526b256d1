//! Whole databases on a PostgreSQL server, for what wants a fresh one per run (the tests on
//! PostgreSQL, the multi-instance test, the PostgreSQL benchmarks): create, drop, and the URL
//! of a database on the same server. Names are checked (lowercase ASCII letters, digits and
//! `_`) before they are quoted into the statement.

use sqlx::{Connection, PgConnection};

use crate::error::StoreError;

fn checked(name: &str) -> Result<&str, StoreError> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        Ok(name)
    } else {
        Err(StoreError::Database(format!(
            "`{name}` is not a database name pinsync creates (a-z, 0-9 and _, at most 63)"
        )))
    }
}

/// The URL of database `name` on the server `server_url` points at: `server_url` with its
/// path replaced, user, password, host, port and query kept.
pub fn database_url(server_url: &str, name: &str) -> Result<String, StoreError> {
    let name = checked(name)?;
    let not_a_url = || StoreError::Database("not a postgres:// URL".to_owned());
    let after_scheme = server_url.find("://").ok_or_else(not_a_url)? + 3;
    let rest = &server_url[after_scheme..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(authority_end);
    let query = path_and_query
        .find('?')
        .map_or("", |at| &path_and_query[at..]);
    Ok(format!(
        "{}{authority}/{name}{query}",
        &server_url[..after_scheme]
    ))
}

/// Creates database `name` on the server `server_url` points at (connecting as that URL's
/// user, who must be allowed to) and returns its URL.
pub async fn create_database(server_url: &str, name: &str) -> Result<String, StoreError> {
    let name = checked(name)?;
    on_server(server_url, &format!("CREATE DATABASE \"{name}\"")).await?;
    database_url(server_url, name)
}

/// Drops database `name` if it exists, ending its sessions first.
pub async fn drop_database(server_url: &str, name: &str) -> Result<(), StoreError> {
    let name = checked(name)?;
    on_server(
        server_url,
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    )
    .await
}

/// Runs one statement on a connection of its own (database statements cannot run in a
/// transaction, nor on a pooled connection another caller may have in one).
async fn on_server(server_url: &str, statement: &str) -> Result<(), StoreError> {
    let mut server = PgConnection::connect(server_url).await?;
    sqlx::query(statement).execute(&mut server).await?;
    let _ = server.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_keeps_everything_but_the_path() {
        let url = |server: &str| database_url(server, "pinsync_t_1").unwrap();
        assert_eq!(
            url("postgres://postgres:pw@127.0.0.1:5432/postgres"),
            "postgres://postgres:pw@127.0.0.1:5432/pinsync_t_1"
        );
        assert_eq!(
            url("postgres://u@db.example:6432/x?sslmode=require"),
            "postgres://u@db.example:6432/pinsync_t_1?sslmode=require"
        );
        assert_eq!(
            url("postgresql://localhost"),
            "postgresql://localhost/pinsync_t_1"
        );
        assert_eq!(
            url("postgres://localhost?sslmode=disable"),
            "postgres://localhost/pinsync_t_1?sslmode=disable"
        );
    }

    #[test]
    fn names_outside_the_safe_set_are_refused() {
        for name in [
            "",
            "Caps",
            "a-b",
            "x\"; DROP DATABASE y; --",
            &"a".repeat(64),
        ] {
            assert!(
                database_url("postgres://localhost/db", name).is_err(),
                "{name}"
            );
        }
    }
}

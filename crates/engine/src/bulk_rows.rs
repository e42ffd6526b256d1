//! Parsing one row of a bulk entry body (an NDJSON line or a CSV record) into an
//! [`EntryCandidate`], hashing identifiers on the way. A bad row gives a reason, not an error.

use pinsync_core::identifier::{IdentifierKind, hash_identifier};
use pinsync_store::{EntryCandidate, FieldUpdate, StoredIdentifier, UserUpsert};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// The longest accepted `external_user_id`, in characters (as for `users/track`).
pub(crate) const MAX_EXTERNAL_ID_CHARS: usize = 512;

/// Checks an external user id; the reason it is refused otherwise.
pub(crate) fn check_external_id(id: &str) -> Result<(), String> {
    if id.trim().is_empty() {
        return Err("external_user_id is missing or empty".into());
    }
    if id.chars().count() > MAX_EXTERNAL_ID_CHARS {
        return Err(format!(
            "external_user_id is longer than {MAX_EXTERNAL_ID_CHARS} characters"
        ));
    }
    if id.chars().any(char::is_control) {
        return Err("external_user_id contains control characters".into());
    }
    Ok(())
}

/// A present-but-null field is `Some(None)`; an absent one is `None`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NdjsonRow {
    external_user_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    gaid: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    idfa: Option<Option<String>>,
    ad_tracking_enabled: Option<bool>,
    attributes: Option<Map<String, Value>>,
    canvas_entry_properties: Option<Map<String, Value>>,
}

/// The stored form of a raw identifier: its hash, or the reason it is unusable.
pub(crate) fn identifier_update(
    kind: IdentifierKind,
    raw: Option<&str>,
) -> FieldUpdate<StoredIdentifier> {
    match raw {
        None => FieldUpdate::Clear,
        Some(raw) => FieldUpdate::Set(match hash_identifier(kind, Some(raw)) {
            Ok(hash) => StoredIdentifier::valid(hash.as_str().to_owned()),
            Err(reason) => StoredIdentifier::rejected(reason.as_str()),
        }),
    }
}

fn update_of(field: Option<Option<String>>, kind: IdentifierKind) -> FieldUpdate<StoredIdentifier> {
    match field {
        None => FieldUpdate::Keep,
        Some(raw) => identifier_update(kind, raw.as_deref()),
    }
}

/// One NDJSON line.
pub(crate) fn parse_ndjson(line: &str) -> Result<EntryCandidate, String> {
    let row: NdjsonRow = serde_json::from_str(line).map_err(|e| {
        let message = e.to_string();
        let short = message.split(" at line ").next().unwrap_or(&message);
        format!("not a valid entry object: {short}")
    })?;
    let external_id = row.external_user_id.unwrap_or_default();
    check_external_id(&external_id)?;
    let user = UserUpsert {
        external_id,
        email: update_of(row.email, IdentifierKind::Email),
        gaid: update_of(row.gaid, IdentifierKind::Gaid),
        idfa: update_of(row.idfa, IdentifierKind::Idfa),
        ad_tracking_enabled: match row.ad_tracking_enabled {
            Some(enabled) => FieldUpdate::Set(enabled),
            None => FieldUpdate::Keep,
        },
        attributes: row.attributes.unwrap_or_default(),
    };
    Ok(EntryCandidate {
        user,
        entry_properties: row
            .canvas_entry_properties
            .map(|properties| Value::Object(properties).to_string()),
    })
}

/// What each CSV column is.
#[derive(Debug, Clone)]
enum Column {
    ExternalId,
    Identifier(IdentifierKind),
    AdTracking,
    Attribute(String),
}

/// The CSV header, read from the first line.
#[derive(Debug, Clone)]
pub(crate) struct CsvHeader {
    columns: Vec<Column>,
}

impl CsvHeader {
    pub(crate) fn parse(line: &str) -> Result<Self, String> {
        let names = split_csv(line)?;
        let mut columns = Vec::with_capacity(names.len());
        for name in names {
            let name = name.trim();
            let column = match name {
                "external_user_id" => Column::ExternalId,
                "ad_tracking_enabled" => Column::AdTracking,
                "" => return Err("a column has no name".into()),
                other => match IdentifierKind::parse(other) {
                    Some(kind) => Column::Identifier(kind),
                    None => Column::Attribute(other.to_owned()),
                },
            };
            columns.push(column);
        }
        if !columns.iter().any(|c| matches!(c, Column::ExternalId)) {
            return Err("the header has no `external_user_id` column".into());
        }
        Ok(Self { columns })
    }

    /// One CSV record. Empty cells leave the profile's field as it is.
    pub(crate) fn parse_row(&self, line: &str) -> Result<EntryCandidate, String> {
        let cells = split_csv(line)?;
        if cells.len() != self.columns.len() {
            return Err(format!(
                "{} cells where the header has {} columns",
                cells.len(),
                self.columns.len()
            ));
        }
        let mut user = UserUpsert::default();
        for (column, cell) in self.columns.iter().zip(cells) {
            if cell.is_empty() {
                continue;
            }
            match column {
                Column::ExternalId => user.external_id = cell,
                Column::Identifier(kind) => {
                    let update = identifier_update(*kind, Some(&cell));
                    match kind {
                        IdentifierKind::Email => user.email = update,
                        IdentifierKind::Gaid => user.gaid = update,
                        IdentifierKind::Idfa => user.idfa = update,
                    }
                }
                Column::AdTracking => {
                    let enabled = match cell.trim().to_ascii_lowercase().as_str() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        _ => return Err("ad_tracking_enabled must be true or false".into()),
                    };
                    user.ad_tracking_enabled = FieldUpdate::Set(enabled);
                }
                Column::Attribute(name) => {
                    user.attributes.insert(name.clone(), Value::String(cell));
                }
            }
        }
        check_external_id(&user.external_id)?;
        Ok(EntryCandidate {
            user,
            entry_properties: None,
        })
    }
}

/// Splits one CSV record (RFC 4180 quoting; a quoted cell may not hold a line break).
pub(crate) fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_cell_start = true;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (false, '"') if at_cell_start => {
                quoted = true;
                at_cell_start = false;
            }
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => {
                quoted = false;
                if !matches!(chars.peek(), None | Some(',')) {
                    return Err("a quoted cell is followed by text before the comma".into());
                }
            }
            (false, ',') => {
                cells.push(std::mem::take(&mut cell));
                at_cell_start = true;
            }
            (_, c) => {
                cell.push(c);
                at_cell_start = false;
            }
        }
    }
    if quoted {
        return Err("a quoted cell is not closed on its line".into());
    }
    cells.push(cell);
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_honour_quotes_and_doubled_quotes() {
        assert_eq!(
            split_csv(r#"a,"b,c","say ""hi""",,d"#).unwrap(),
            vec!["a", "b,c", r#"say "hi""#, "", "d"]
        );
        assert!(split_csv(r#"a,"open"#).is_err());
    }

    #[test]
    fn an_ndjson_row_hashes_identifiers_and_keeps_absent_fields() {
        let row =
            parse_ndjson(r#"{"external_user_id":"u1","email":"A@B.co","gaid":null}"#).unwrap();
        assert_eq!(row.user.external_id, "u1");
        assert!(matches!(row.user.email, FieldUpdate::Set(ref id) if id.status == "valid"));
        assert_eq!(row.user.gaid, FieldUpdate::Clear);
        assert_eq!(row.user.idfa, FieldUpdate::Keep);
    }

    #[test]
    fn an_ndjson_row_without_external_id_or_with_unknown_fields_is_bad() {
        assert!(
            parse_ndjson(r#"{"email":"a@b.co"}"#)
                .unwrap_err()
                .contains("external_user_id")
        );
        assert!(
            parse_ndjson(r#"{"external_user_id":"u","mail":"x"}"#)
                .unwrap_err()
                .contains("mail")
        );
    }

    #[test]
    fn csv_rows_map_known_columns_and_keep_the_rest_as_string_attributes() {
        let header = CsvHeader::parse("external_user_id,email,ad_tracking_enabled,plan").unwrap();
        let row = header.parse_row("u1,,false,gold").unwrap();
        assert_eq!(row.user.email, FieldUpdate::Keep);
        assert_eq!(row.user.ad_tracking_enabled, FieldUpdate::Set(false));
        assert_eq!(row.user.attributes["plan"], "gold");
        assert!(header.parse_row("u1,a@b.co").is_err());
        assert!(CsvHeader::parse("email,plan").is_err());
    }
}

//! A soak's users, derived from their number alone so the audit can recompute anything: the
//! external id, whether the user has an email (and its SHA-256, as Pinterest receives it), and
//! a `tier` attribute that a decision split tests.

use std::ops::Range;

use bytes::Bytes;
use sha2::{Digest, Sha256};

/// Users `range` of one Canvas, with ids `{prefix}-{n}`.
#[derive(Debug, Clone)]
pub struct Population {
    pub prefix: &'static str,
    pub range: Range<u64>,
    /// Every `n`th user (counting from 7) has no email and must end `not_synced: missing`.
    pub without_email_every: Option<u64>,
}

impl Population {
    pub fn new(prefix: &'static str, range: Range<u64>) -> Self {
        Self {
            prefix,
            range,
            without_email_every: None,
        }
    }

    pub fn len(&self) -> u64 {
        self.range.end - self.range.start
    }

    pub fn external_id(&self, n: u64) -> String {
        format!("{}-{n}", self.prefix)
    }

    pub fn has_email(&self, n: u64) -> bool {
        self.without_email_every.is_none_or(|every| n % every != 7)
    }

    fn email(&self, n: u64) -> String {
        format!("{}-{n}@example.com", self.prefix)
    }

    /// The SHA-256 of the user's normalized email (it is already lowercase and trimmed).
    pub fn email_sha256(&self, n: u64) -> Option<String> {
        self.has_email(n)
            .then(|| hex::encode(Sha256::digest(self.email(n).as_bytes())))
    }

    /// `n % 4`: the decision split sends tier 0 to the remove step.
    pub fn tier(n: u64) -> u64 {
        n % 4
    }

    /// NDJSON lines for users `range` (a sub-range of the population).
    pub fn ndjson(&self, range: Range<u64>) -> Bytes {
        let mut text = String::with_capacity((range.end - range.start) as usize * 90);
        for n in range {
            text.push_str(&format!(
                "{{\"external_user_id\":\"{}\",",
                self.external_id(n)
            ));
            if self.has_email(n) {
                text.push_str(&format!("\"email\":\"{}\",", self.email(n)));
            }
            text.push_str(&format!(
                "\"attributes\":{{\"tier\":{}}}}}\n",
                Self::tier(n)
            ));
        }
        Bytes::from(text)
    }

    /// The population cut into consecutive pieces of at most `size` users.
    pub fn pieces(&self, size: u64) -> Vec<Range<u64>> {
        let mut pieces = Vec::new();
        let mut first = self.range.start;
        while first < self.range.end {
            let end = (first + size).min(self.range.end);
            pieces.push(first..end);
            first = end;
        }
        pieces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_json_with_the_user_s_fields() {
        let mut population = Population::new("p", 0..10);
        population.without_email_every = Some(50);
        let body = population.ndjson(6..8);
        let lines: Vec<serde_json::Value> = std::str::from_utf8(&body)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["external_user_id"], "p-6");
        assert_eq!(lines[0]["email"], "p-6@example.com");
        assert_eq!(lines[0]["attributes"]["tier"], 2);
        assert!(lines[1].get("email").is_none(), "user 7 has no email");
        assert_eq!(population.email_sha256(7), None);
        assert_eq!(population.email_sha256(6).unwrap().len(), 64);
    }

    #[test]
    fn pieces_cover_the_range_once() {
        let population = Population::new("p", 5..17);
        assert_eq!(population.pieces(5), vec![5..10, 10..15, 15..17]);
    }
}

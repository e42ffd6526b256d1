//! Entering users: a batch in one transaction ([`Engine::enter`], for `trigger/send`), or a
//! streamed NDJSON/CSV body ([`BulkEntry`]) written in chunks, each chunk one transaction,
//! while the next chunk is parsed.

use pinsync_store::{
    CanvasId, CanvasStatus, EntryCandidate, EntryReport, EntryResult, FieldUpdate, StoreError,
    WorkspaceId,
};
use serde::Serialize;
use tokio::task::JoinHandle;

use crate::bulk_rows::{CsvHeader, parse_ndjson};
use crate::{Engine, EngineError};

/// The most bad rows listed in a bulk summary; the rest are only counted.
pub const MAX_LISTED_BAD_ROWS: usize = 1_000;

impl Engine {
    /// Upserts and enters `candidates` in one transaction.
    pub async fn enter(
        &self,
        workspace: WorkspaceId,
        canvas: CanvasId,
        candidates: Vec<EntryCandidate>,
    ) -> Result<EntryReport, EngineError> {
        let result = self
            .store
            .enter_users(workspace, canvas, candidates, self.now())
            .await;
        entry_report(canvas, result)
    }

    /// Starts a bulk entry into an active Canvas.
    pub async fn bulk_entry(
        &self,
        workspace: WorkspaceId,
        canvas: CanvasId,
        format: BulkFormat,
    ) -> Result<BulkEntry, EngineError> {
        let record = self.canvas(workspace, canvas).await?;
        if record.status != CanvasStatus::Active {
            return Err(EngineError::WrongStatus {
                action: "enter users into",
                current: record.status,
            });
        }
        Ok(BulkEntry {
            engine: self.clone(),
            workspace,
            canvas,
            format,
            csv_header: None,
            partial_line: Vec::new(),
            line: 0,
            chunk: Vec::new(),
            in_flight: None,
            summary: BulkSummary::default(),
            revoked_consent: Vec::new(),
        })
    }
}

fn entry_report(
    canvas: CanvasId,
    result: Result<EntryResult, StoreError>,
) -> Result<EntryReport, EngineError> {
    match result {
        Ok(EntryResult::Entered(report)) => Ok(report),
        Ok(EntryResult::WrongStatus(current)) => Err(EngineError::WrongStatus {
            action: "enter users into",
            current,
        }),
        Err(StoreError::NotFound(_)) => Err(EngineError::CanvasNotFound(canvas)),
        Err(error) => Err(error.into()),
    }
}

/// The body's format, chosen by `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkFormat {
    /// `application/x-ndjson`: one JSON object per line.
    Ndjson,
    /// `text/csv`: a header row, then one user per line.
    Csv,
}

/// A row that was not entered, by 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRow {
    pub line: u64,
    pub reason: String,
}

/// What a bulk entry did so far. Every chunk is atomic; the import as a whole is not.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BulkSummary {
    /// Lines read, blank ones and the CSV header included.
    pub lines: u64,
    pub entered: u64,
    pub already_in_canvas: u64,
    pub rejected: u64,
    pub users_created: u64,
    pub users_updated: u64,
    /// The first [`MAX_LISTED_BAD_ROWS`] bad rows.
    pub bad_rows: Vec<BadRow>,
}

type ChunkWrite = JoinHandle<Result<EntryReport, EngineError>>;

/// A streamed bulk entry: feed it bytes as they arrive, then [`BulkEntry::finish`].
pub struct BulkEntry {
    engine: Engine,
    workspace: WorkspaceId,
    canvas: CanvasId,
    format: BulkFormat,
    csv_header: Option<CsvHeader>,
    partial_line: Vec<u8>,
    line: u64,
    chunk: Vec<EntryCandidate>,
    in_flight: Option<ChunkWrite>,
    summary: BulkSummary,
    /// Users whose row set `ad_tracking_enabled` to false: their consent removals are queued
    /// once their chunks are committed.
    revoked_consent: Vec<String>,
}

impl BulkEntry {
    /// What was committed and rejected so far.
    pub fn summary(&self) -> &BulkSummary {
        &self.summary
    }

    /// The users whose rows so far turned ad tracking off (committed or not: queuing a
    /// removal checks the stored consent, so an uncommitted row queues nothing).
    pub fn revoked_consent(&self) -> &[String] {
        &self.revoked_consent
    }

    /// Reads the complete lines in `bytes` (keeping a trailing partial line for later) and
    /// writes a chunk whenever one is full.
    pub async fn push(&mut self, bytes: &[u8]) -> Result<(), EngineError> {
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(end);
            rest = &tail[1..];
            if self.partial_line.is_empty() {
                self.take_line(head).await?;
            } else {
                let mut line = std::mem::take(&mut self.partial_line);
                line.extend_from_slice(head);
                self.take_line(&line).await?;
            }
        }
        self.partial_line.extend_from_slice(rest);
        Ok(())
    }

    /// Reads the last line, writes what is left and waits for every chunk to commit.
    pub async fn finish(mut self) -> Result<BulkSummary, EngineError> {
        if !self.partial_line.is_empty() {
            let line = std::mem::take(&mut self.partial_line);
            self.take_line(&line).await?;
        }
        self.write_chunk().await?;
        self.wait_in_flight().await?;
        Ok(self.summary)
    }

    async fn take_line(&mut self, bytes: &[u8]) -> Result<(), EngineError> {
        self.line += 1;
        self.summary.lines = self.line;
        let Ok(text) = std::str::from_utf8(bytes) else {
            self.wait_in_flight().await?;
            return Err(EngineError::NotUtf8 { line: self.line });
        };
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.trim().is_empty() {
            return Ok(());
        }
        let parsed = match (self.format, &self.csv_header) {
            (BulkFormat::Ndjson, _) => parse_ndjson(text),
            (BulkFormat::Csv, Some(header)) => header.parse_row(text),
            (BulkFormat::Csv, None) => {
                let header = CsvHeader::parse(text).map_err(|reason| EngineError::BadHeader {
                    line: self.line,
                    reason,
                })?;
                self.csv_header = Some(header);
                return Ok(());
            }
        };
        match parsed {
            Ok(candidate) => {
                if candidate.user.ad_tracking_enabled == FieldUpdate::Set(false) {
                    self.revoked_consent
                        .push(candidate.user.external_id.clone());
                }
                self.chunk.push(candidate);
            }
            Err(reason) => {
                self.summary.rejected += 1;
                if self.summary.bad_rows.len() < MAX_LISTED_BAD_ROWS {
                    self.summary.bad_rows.push(BadRow {
                        line: self.line,
                        reason,
                    });
                }
            }
        }
        if self.chunk.len() >= self.engine.settings.entry_chunk_users {
            self.write_chunk().await?;
        }
        Ok(())
    }

    /// Hands the current chunk to a writer task, after the previous one committed.
    async fn write_chunk(&mut self) -> Result<(), EngineError> {
        self.wait_in_flight().await?;
        if self.chunk.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::take(&mut self.chunk);
        let engine = self.engine.clone();
        let (workspace, canvas) = (self.workspace, self.canvas);
        self.in_flight = Some(tokio::spawn(async move {
            engine.enter(workspace, canvas, chunk).await
        }));
        Ok(())
    }

    async fn wait_in_flight(&mut self) -> Result<(), EngineError> {
        let Some(write) = self.in_flight.take() else {
            return Ok(());
        };
        let report = write
            .await
            .map_err(|e| StoreError::Database(format!("entry writer failed: {e}")))??;
        self.summary.entered += report.entered;
        self.summary.already_in_canvas += report.already_in_canvas;
        self.summary.users_created += report.users_created;
        self.summary.users_updated += report.users_updated;
        Ok(())
    }
}

//! The article store: the only code that knows sled.
//!
//! One sled tree holds articles, per-scope time indexes and run-time categories
//! (layout in `keys`). Each write is one atomic batch, serialised by a writer lock so
//! that reading the old version and replacing it cannot interleave. A write is durable
//! once [`Store::flush`] returns; concurrent flushes share one disk sync, which gives
//! group commit for free.
//!
//! Change stamps and the article count live in memory, not in sled: rewriting a few
//! shared keys on every write churned sled's log into freeing its tail segments, the
//! path on which sled 0.34.7 can deadlock (spacejam/sled#1412). Stamps only need to
//! move within one process (the feed cache is in memory too); the count is taken at
//! open.

mod articles;
mod categories;
mod check;
mod history;
mod keys;
mod listing;
mod months;
mod open;
mod ranges;
mod saved;
mod scan;
mod schedule;
mod subscriptions;
mod write;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod lifecycle_tests;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::scope::Scope;

pub use articles::{Deleted, Stored};
pub use check::CheckReport;
pub use history::Since;
pub use listing::{Cursor, Record};
pub use months::{Month, MonthSummary, month_bounds, month_of};

/// The version of the key layout this build writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Why a store operation failed; the message says what was attempted. sled's own
/// error type stays inside this module.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The disk refused an operation (full, read-only, too large). The reason is in
    /// the message rather than a `source`, so that printing the error chain does not
    /// repeat it.
    #[error("store: unable to {action}: {cause}")]
    Io {
        action: String,
        cause: std::io::Error,
    },
    /// Another process (or handle) has the store open: sled locks its directory.
    #[error("store: unable to open {dir}: another process has it open")]
    Locked { dir: String },
    /// sled failed in a way that is not the disk's (corruption it detected, a bug).
    #[error("store: unable to {action}: {reason}")]
    Backend { action: String, reason: String },
    #[error(
        "store: writes are failing since an earlier error ({0}); restart Herald once the disk is fixed"
    )]
    WritesFailed(String),
    #[error("store: {what} is corrupt: {reason}")]
    Corrupt { what: String, reason: String },
    #[error(
        "store: written by a newer Herald (schema {found}, this build knows {SCHEMA_VERSION}); refusing to open"
    )]
    NewerSchema { found: u32 },
}

impl StoreError {
    /// The disk refused `action` with `err`.
    pub fn io(action: impl Into<String>, err: std::io::Error) -> StoreError {
        StoreError::Io {
            action: action.into(),
            cause: err,
        }
    }

    /// The operating system's reason when the disk refused an operation (full,
    /// read-only, too large), which an operator can act on.
    pub fn io_reason(&self) -> Option<String> {
        match self {
            StoreError::Io { cause, .. } => Some(cause.to_string()),
            StoreError::WritesFailed(reason) => Some(reason.clone()),
            _ => None,
        }
    }

    fn from_sled(action: String, err: sled::Error) -> StoreError {
        match err {
            sled::Error::Io(cause) => StoreError::Io { action, cause },
            other => StoreError::Backend {
                action,
                reason: other.to_string(),
            },
        }
    }
}

fn sled_err(action: impl Into<String>) -> impl FnOnce(sled::Error) -> StoreError {
    let action = action.into();
    move |cause| StoreError::from_sled(action, cause)
}

/// Ids of articles in the schedule and of tombstones, as stored.
#[derive(Debug, Default)]
struct FewIds {
    scheduled: std::collections::HashSet<String>,
    buried: std::collections::HashSet<String>,
}

/// A handle to the store; cheap to clone and safe to share between threads.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    writer: Arc<Mutex<()>>,
    stamps: Arc<RwLock<HashMap<Scope, u64>>>,
    seq: Arc<AtomicU64>,
    /// Public articles: exact once `counted`.
    count: Arc<AtomicU64>,
    counted: Arc<AtomicBool>,
    /// Set by the first write the disk refused. sled 0.34 keeps failing writes after
    /// an I/O error until it is reopened, so later writes fail fast with this reason.
    write_failure: Arc<RwLock<Option<String>>>,
    /// The related index's term counts as saved at the last clean shutdown, taken
    /// out of the store at open (see `saved`).
    saved_counts: Arc<Mutex<Option<Vec<u8>>>>,
    /// Set while saved counts are on disk: the next write removes them.
    counts_on_disk: Arc<AtomicBool>,
    /// The ids of scheduled and of tombstoned articles: few, so kept in memory, which
    /// spares every write two lookups that almost always find nothing.
    few_ids: Arc<RwLock<FewIds>>,
    /// Public articles by month, once summarised.
    months: Arc<RwLock<Option<std::collections::BTreeMap<Month, MonthSummary>>>>,
    /// The newest change log entry's number, and its watchers.
    log_head: Arc<AtomicU64>,
    log_watch: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Store {
    /// Makes every write so far durable. Blocking: call it off the async workers.
    pub fn flush(&self) -> Result<(), StoreError> {
        let flushed = self
            .db
            .flush()
            .map(|_| ())
            .map_err(sled_err("flush writes to disk"));
        self.note_failure(flushed)
    }

    /// Why writes fail, once the disk has refused one; `None` while writable.
    pub fn write_failure(&self) -> Option<String> {
        self.write_failure
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Fails fast once a write has failed (see `write_failure`).
    fn ensure_writable(&self) -> Result<(), StoreError> {
        match self.write_failure() {
            Some(reason) => Err(StoreError::WritesFailed(reason)),
            None => Ok(()),
        }
    }

    /// Records the reason of an I/O failure, and passes the result on.
    fn note_failure<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(e) = &result
            && let Some(reason) = e.io_reason()
        {
            let mut failure = self
                .write_failure
                .write()
                .unwrap_or_else(|e| e.into_inner());
            if failure.is_none() {
                tracing::error!(%reason, "store: the disk refused a write; writes answer 503 until restart, reads go on");
                *failure = Some(reason);
            }
        }
        result
    }

    /// The change number of the last write that touched `scope` (0 if none since
    /// this process opened the store). Answered from memory.
    pub fn stamp(&self, scope: &Scope) -> u64 {
        let stamps = self.stamps.read().unwrap_or_else(|e| e.into_inner());
        stamps.get(scope).copied().unwrap_or(0)
    }

    /// The number of stored articles. Answered from memory.
    pub fn article_count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{sample, store};

    /// sled's background flusher rewrote pages for its segment cleaner about every
    /// half second, forever: an idle Herald wrote 1 MB/s and synced 3 times a second.
    #[test]
    fn an_idle_store_writes_nothing() {
        let (dir, store) = store();
        for round in 0..20 {
            for i in 0..200 {
                let mut article = sample(&format!("a{i}"), "kinh-te");
                article.title = format!("Bài {i}, lần {round}");
                store.put(&article).unwrap();
            }
            store.flush().unwrap();
        }
        let file = dir.path().join("db");
        let written = || {
            let meta = std::fs::metadata(&file).unwrap();
            (meta.len(), meta.modified().unwrap())
        };
        let before = written();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        assert_eq!(written(), before, "the store file changed while idle");
    }
}

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
mod keys;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::scope::Scope;

pub use articles::Cursor;
pub use check::CheckReport;

/// The version of the key layout this build writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Why a store operation failed; the message says what was attempted.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: unable to {action}: {source}")]
    Sled {
        action: String,
        #[source]
        source: sled::Error,
    },
    #[error("store: {what} is corrupt: {reason}")]
    Corrupt { what: String, reason: String },
    #[error(
        "store: written by a newer Herald (schema {found}, this build knows {SCHEMA_VERSION}); refusing to open"
    )]
    NewerSchema { found: u32 },
}

fn sled_err(action: impl Into<String>) -> impl FnOnce(sled::Error) -> StoreError {
    let action = action.into();
    move |source| StoreError::Sled { action, source }
}

/// A handle to the store; cheap to clone and safe to share between threads.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    writer: Arc<Mutex<()>>,
    stamps: Arc<RwLock<HashMap<Scope, u64>>>,
    seq: Arc<AtomicU64>,
    count: Arc<AtomicU64>,
}

impl Store {
    /// Opens (or creates) the store in `dir`, with `cache_mb` MiB of page cache.
    pub fn open(dir: &Path, cache_mb: u64) -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_mb.saturating_mul(1024 * 1024))
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(sled_err(format!("open {}", dir.display())))?;
        check_schema(&db)?;
        let mut count = 0;
        for key in db.scan_prefix(keys::ARTICLE_PREFIX).keys() {
            key.map_err(sled_err("count articles"))?;
            count += 1;
        }
        Ok(Store {
            db,
            writer: Arc::new(Mutex::new(())),
            stamps: Arc::new(RwLock::new(HashMap::new())),
            seq: Arc::new(AtomicU64::new(0)),
            count: Arc::new(AtomicU64::new(count)),
        })
    }

    /// Makes every write so far durable. Blocking: call it off the async workers.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db
            .flush()
            .map(|_| ())
            .map_err(sled_err("flush writes to disk"))
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

fn check_schema(db: &sled::Db) -> Result<(), StoreError> {
    let found = db
        .get(keys::SCHEMA)
        .map_err(sled_err("read the schema version"))?;
    match found {
        None => {
            db.insert(keys::SCHEMA, &SCHEMA_VERSION.to_be_bytes())
                .map_err(sled_err("write the schema version"))?;
            db.flush().map_err(sled_err("flush the schema version"))?;
            Ok(())
        }
        Some(v) => {
            let found =
                v.as_ref()
                    .try_into()
                    .map(u32::from_be_bytes)
                    .map_err(|_| StoreError::Corrupt {
                        what: "schema version".into(),
                        reason: format!("{} bytes, expected 4", v.len()),
                    })?;
            // Older schemas would be migrated here; version 1 is the first.
            if found > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema { found });
            }
            Ok(())
        }
    }
}

//! The article store: the only code that knows sled.
//!
//! One sled tree holds articles, per-scope time indexes, change stamps and run-time
//! categories (layout in `keys`). Each write is one atomic batch, serialised by a
//! writer lock so that reading the old version and replacing it cannot interleave.
//! A write is durable once [`Store::flush`] returns; concurrent flushes share one
//! disk sync, which gives group commit for free.

mod articles;
mod categories;
mod keys;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::scope::Scope;

pub use articles::{Cursor, PutOutcome};

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
        let count = db
            .get(keys::COUNT)
            .map_err(sled_err("read the article count"))?
            .map_or(0, |v| keys::u64_value(&v));
        let store = Store {
            db,
            writer: Arc::new(Mutex::new(())),
            stamps: Arc::new(RwLock::new(HashMap::new())),
            count: Arc::new(AtomicU64::new(count)),
        };
        store.load_stamps()?;
        Ok(store)
    }

    /// Makes every write so far durable. Blocking: call it off the async workers.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db
            .flush()
            .map(|_| ())
            .map_err(sled_err("flush writes to disk"))
    }

    /// The change number of the last write that touched `scope` (0 if none since
    /// the store was created). Answered from memory.
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

    fn load_stamps(&self) -> Result<(), StoreError> {
        let mut stamps = self.stamps.write().unwrap_or_else(|e| e.into_inner());
        for item in self.db.scan_prefix(keys::STAMP_PREFIX) {
            let (k, v) = item.map_err(sled_err("load change stamps"))?;
            let name = String::from_utf8_lossy(&k[keys::STAMP_PREFIX.len()..]).into_owned();
            if let Some(scope) = keys::parse_scope_name(&name) {
                stamps.insert(scope, keys::u64_value(&v));
            }
        }
        Ok(())
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

//! Opening the store: sled's settings, the schema check, and waiting out a lock.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::{SCHEMA_VERSION, Store, StoreError, keys, saved, sled_err};

impl Store {
    /// Opens (or creates) the store in `dir`, with `cache_mb` MiB of page cache.
    pub fn open(dir: &Path, cache_mb: u64) -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_mb.saturating_mul(1024 * 1024))
            .mode(sled::Mode::HighThroughput)
            // No background flusher. Every acknowledged write is flushed by its
            // writer (see `flush`), so the flusher only ran sled's segment cleaner,
            // and that never settled: an idle store rewrote pages at 1 MB/s with
            // three syncs a second, indefinitely. The cost is space under heavy
            // rewriting: 2,000 articles rewritten 250 times each grew the store to
            // 84 MB instead of 71.
            .flush_every_ms(None)
            .open()
            .map_err(|cause| open_error(dir, cause))?;
        check_schema(&db)?;
        let (saved_counts, count) = saved::take(&db)?;
        let head = log_head(&db)?;
        let few_ids = super::FewIds {
            scheduled: ids_under(&db, keys::SCHEDULED_PREFIX)?,
            buried: ids_under(&db, keys::TOMBSTONE_PREFIX)?,
        };
        Ok(Store {
            db,
            writer: Arc::new(Mutex::new(())),
            stamps: Arc::new(RwLock::new(HashMap::new())),
            seq: Arc::new(AtomicU64::new(0)),
            count: Arc::new(AtomicU64::new(count.unwrap_or(0))),
            counted: Arc::new(AtomicBool::new(count.is_some())),
            write_failure: Arc::default(),
            saved_counts: Arc::new(Mutex::new(saved_counts)),
            counts_on_disk: Arc::default(),
            few_ids: Arc::new(RwLock::new(few_ids)),
            months: Arc::default(),
            log_head: Arc::new(AtomicU64::new(head)),
            log_watch: Arc::new(tokio::sync::watch::Sender::new(head)),
        })
    }

    /// Like [`Store::open`], waiting up to `wait` while another handle (in this
    /// process or one that is exiting) still holds the store's lock.
    pub fn open_waiting(dir: &Path, cache_mb: u64, wait: Duration) -> Result<Store, StoreError> {
        let deadline = Instant::now() + wait;
        loop {
            match Store::open(dir, cache_mb) {
                Err(StoreError::Locked { .. }) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                opened => return opened,
            }
        }
    }
}

/// Why sled could not open `dir`, in the terms an operator acts on.
fn open_error(dir: &Path, cause: sled::Error) -> StoreError {
    let need = match &cause {
        // sled 0.34 reports a held lock as an I/O error of its own making: this
        // message is the only sign of it.
        sled::Error::Io(e) if e.to_string().contains("could not acquire lock") => {
            return StoreError::Locked {
                dir: dir.display().to_string(),
            };
        }
        sled::Error::Io(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            " (Herald needs its data directory writable, even to serve reads)"
        }
        _ => "",
    };
    StoreError::from_sled(format!("open {}{need}", dir.display()), cause)
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

/// The newest change log entry's number: retention always keeps that entry, so the
/// numbering goes on across restarts.
fn log_head(db: &sled::Db) -> Result<u64, StoreError> {
    match db.scan_prefix(keys::LOG_PREFIX).keys().next_back() {
        None => Ok(0),
        Some(key) => {
            let key = key.map_err(sled_err("read the change log"))?;
            keys::decode_log(&key).ok_or_else(|| StoreError::Corrupt {
                what: "change log".into(),
                reason: "undecodable key".into(),
            })
        }
    }
}

/// The ids of the records under `prefix` (scheduled articles, tombstones).
fn ids_under(
    db: &sled::Db,
    prefix: &[u8],
) -> Result<std::collections::HashSet<String>, StoreError> {
    db.scan_prefix(prefix)
        .keys()
        .map(|k| {
            let k = k.map_err(sled_err("read the schedule and tombstones"))?;
            Ok(String::from_utf8_lossy(&k[prefix.len()..]).into_owned())
        })
        .collect()
}

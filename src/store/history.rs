//! The change log and tombstones as stored: reading the log in order, the
//! tombstones of a scope, retention, and the cursors of the log's consumers.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};

use super::write::Write;
use super::{Store, StoreError, keys, sled_err};
use crate::history::{Change, Tombstone};
use crate::scope::Scope;

/// Entries of the change log after a point, or word that the point is gone.
#[derive(Debug, Clone, PartialEq)]
pub enum Since {
    /// The entries after it, in order, and the `since` for the next read.
    Entries { changes: Vec<Change>, next: u64 },
    /// Entries after it are no longer all kept (or the log was started afresh, as
    /// after a restore): a consumer resynchronises from the feeds, then reads on
    /// from `oldest`.
    Gone { oldest: u64 },
}

/// When the oldest tombstone and the oldest change log entry that may expire were
/// made, if there are any.
pub type OldestHistory = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

impl Store {
    /// The sequence number of the newest change log entry (0 before any).
    pub fn log_head(&self) -> u64 {
        self.log_head.load(Ordering::Acquire)
    }

    /// A receiver that sees the log head move, for readers that wait for changes.
    pub fn watch_log(&self) -> tokio::sync::watch::Receiver<u64> {
        self.log_watch.subscribe()
    }

    /// Up to `limit` entries after `since`, oldest first.
    pub fn changes(&self, since: u64, limit: usize) -> Result<Since, StoreError> {
        let head = self.log_head();
        let first = self.first_log_entry()?.map(|c| c.seq);
        let oldest = first.unwrap_or(head + 1);
        if since > head || first.is_some_and(|first| since + 1 < first) {
            return Ok(Since::Gone { oldest });
        }
        let mut changes = Vec::new();
        for item in self.db.range(keys::log(since + 1)..keys::log(u64::MAX)) {
            if changes.len() == limit {
                break;
            }
            let (k, v) = item.map_err(sled_err("read the change log"))?;
            if !k.starts_with(keys::LOG_PREFIX) {
                break;
            }
            changes.push(decode_change(&k, &v)?);
        }
        let next = changes.last().map_or(since, |c| c.seq);
        Ok(Since::Entries { changes, next })
    }

    fn first_log_entry(&self) -> Result<Option<Change>, StoreError> {
        match self.db.scan_prefix(keys::LOG_PREFIX).next() {
            None => Ok(None),
            Some(item) => {
                let (k, v) = item.map_err(sled_err("read the change log"))?;
                decode_change(&k, &v).map(Some)
            }
        }
    }

    /// The tombstone of article `id`, if it was retracted and its tombstone is kept.
    pub fn tombstone(&self, id: &str) -> Result<Option<Tombstone>, StoreError> {
        let raw = self
            .db
            .get(keys::tombstone(id))
            .map_err(sled_err(format!("load the tombstone of {id}")))?;
        raw.map(|v| decode_tombstone(id, &v)).transpose()
    }

    /// Up to `limit` tombstones of `scope` from retractions since `since`, newest
    /// first.
    pub fn tombstones(
        &self,
        scope: &Scope,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Tombstone>, StoreError> {
        let prefix = keys::buried_prefix(scope);
        let from = keys::buried(scope, since.timestamp_micros(), "");
        let mut end = prefix.clone();
        *end.last_mut().expect("prefix is never empty") = 1;
        let mut out = Vec::new();
        for item in self.db.range(from..end).rev().take(limit) {
            let (k, _) = item.map_err(sled_err(format!("list the tombstones of {scope}")))?;
            let Some((_, id)) = keys::decode_entry(prefix.len(), &k) else {
                continue;
            };
            if let Some(t) = self.tombstone(&id)? {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Every tombstone kept, in id order; for export.
    pub fn all_tombstones(&self) -> impl Iterator<Item = Result<Tombstone, StoreError>> + '_ {
        self.db.scan_prefix(keys::TOMBSTONE_PREFIX).map(|item| {
            let (k, v) = item.map_err(sled_err("scan tombstones"))?;
            let id = String::from_utf8_lossy(&k[keys::TOMBSTONE_PREFIX.len()..]).into_owned();
            decode_tombstone(&id, &v)
        })
    }

    /// Stores a tombstone brought from an export, unless its article is stored.
    pub fn restore_tombstone(&self, tombstone: &Tombstone) -> Result<bool, StoreError> {
        let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.ensure_writable()?;
        if self.get(&tombstone.id)?.is_some() || self.get_scheduled(&tombstone.id)?.is_some() {
            return Ok(false);
        }
        let mut write = Write::new(self, tombstone.when);
        if let Some(old) = self.tombstone(&tombstone.id)? {
            write.unbury(&old);
        }
        write.rebury(tombstone);
        write.commit(&format!("restore the tombstone of {}", tombstone.id))?;
        Ok(true)
    }

    /// Removes tombstones from before `tombstones_since` and change log entries from
    /// before `log_since` (always keeping the newest entry, which numbers the next).
    /// Returns how many of each went.
    pub fn expire(
        &self,
        tombstones_since: DateTime<Utc>,
        log_since: DateTime<Utc>,
    ) -> Result<(usize, usize), StoreError> {
        let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.ensure_writable()?;
        let mut write = Write::new(self, Utc::now());
        let mut buried = 0;
        for t in self.tombstones_before(tombstones_since, 1000)? {
            write.unbury(&t);
            buried += 1;
        }
        let mut forgotten = 0;
        let head = self.log_head();
        for item in self.db.scan_prefix(keys::LOG_PREFIX).take(10_000) {
            let (k, v) = item.map_err(sled_err("read the change log"))?;
            let change = decode_change(&k, &v)?;
            if change.at >= log_since || change.seq == head {
                break;
            }
            write.forget(change.seq);
            forgotten += 1;
        }
        write.commit("expire tombstones and old log entries")?;
        Ok((buried, forgotten))
    }

    /// Up to `limit` tombstones from before `since`, oldest first.
    fn tombstones_before(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Tombstone>, StoreError> {
        let prefix = keys::buried_prefix(&Scope::All);
        let end = keys::buried(&Scope::All, since.timestamp_micros(), "");
        let mut out = Vec::new();
        for item in self.db.range(prefix.clone()..end).take(limit) {
            let (k, _) = item.map_err(sled_err("list old tombstones"))?;
            if let Some((_, id)) = keys::decode_entry(prefix.len(), &k)
                && let Some(t) = self.tombstone(&id)?
            {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// When the oldest tombstone and the oldest change log entry were made (the log's
    /// only when it has more than one entry, since the newest is always kept).
    pub fn oldest_history(&self) -> Result<OldestHistory, StoreError> {
        let oldest_tombstone = self.tombstones_before(DateTime::<Utc>::MAX_UTC, 1)?;
        let oldest_change = self.first_log_entry()?.filter(|c| c.seq != self.log_head());
        Ok((
            oldest_tombstone.first().map(|t| t.when),
            oldest_change.map(|c| c.at),
        ))
    }

    /// Consumer `name`'s cursor: the last log entry it finished with, if it has one.
    pub fn cursor(&self, name: &str) -> Result<Option<u64>, StoreError> {
        let raw = self
            .db
            .get(keys::cursor(name))
            .map_err(sled_err(format!("read the cursor of {name}")))?;
        Ok(raw
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(u64::from_be_bytes))
    }

    /// Moves consumer `name`'s cursor to `seq`, durably.
    pub fn set_cursor(&self, name: &str, seq: u64) -> Result<(), StoreError> {
        self.ensure_writable()?;
        let stored = self
            .db
            .insert(keys::cursor(name), &seq.to_be_bytes())
            .map(|_| ())
            .map_err(sled_err(format!("store the cursor of {name}")));
        self.note_failure(stored)?;
        self.flush()
    }
}

fn decode_change(key: &[u8], bytes: &[u8]) -> Result<Change, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        what: format!("change log entry {:?}", keys::decode_log(key)),
        reason: e.to_string(),
    })
}

fn decode_tombstone(id: &str, bytes: &[u8]) -> Result<Tombstone, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        what: format!("tombstone of {id}"),
        reason: e.to_string(),
    })
}

//! Scheduled articles: the queue by published time, the newsroom's view of it, and
//! publishing what is due.

use chrono::{DateTime, Utc};

use super::articles::decode;
use super::listing::Cursor;
use super::write::Write;
use super::{Store, StoreError, keys, sled_err};
use crate::article::Article;

/// Most articles published in one batch; more that are due follow in the next.
const PUBLISH_BATCH: usize = 256;

impl Store {
    /// The time the next scheduled article is due, if any is scheduled.
    pub fn next_scheduled(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let first = self.db.scan_prefix(keys::QUEUE_PREFIX).keys().next();
        let Some(key) = first else {
            return Ok(None);
        };
        let key = key.map_err(sled_err("read the schedule"))?;
        Ok(keys::decode_queued(&key)
            .and_then(|(micros, _)| DateTime::from_timestamp_micros(micros)))
    }

    /// Publishes the scheduled articles due by `now`, oldest first, each with its
    /// `publish` in the change log, in batches; returns them.
    pub fn publish_due(&self, now: DateTime<Utc>) -> Result<Vec<Article>, StoreError> {
        let mut published = Vec::new();
        loop {
            let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            self.ensure_writable()?;
            let due = self.due(now, PUBLISH_BATCH)?;
            if due.is_empty() {
                return Ok(published);
            }
            let mut write = Write::new(self, now);
            for a in &due {
                write.unschedule(a);
                self.publish(&mut write, a)?;
            }
            write.commit(&format!("publish {} scheduled articles", due.len()))?;
            let more = due.len() == PUBLISH_BATCH;
            published.extend(due);
            if !more {
                return Ok(published);
            }
        }
    }

    /// Up to `limit` scheduled articles due by `now`, soonest first.
    fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Article>, StoreError> {
        let end = keys::queued(now.timestamp_micros() + 1, "");
        let mut out = Vec::new();
        for key in self
            .db
            .range(keys::QUEUE_PREFIX.to_vec()..end)
            .keys()
            .take(limit)
        {
            let key = key.map_err(sled_err("read the schedule"))?;
            let Some((_, id)) = keys::decode_queued(&key) else {
                continue;
            };
            match self.get_scheduled(&id)? {
                Some(a) => out.push(a),
                None => {
                    return Err(StoreError::Corrupt {
                        what: "schedule".into(),
                        reason: format!("entry for missing scheduled article {id}"),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Up to `limit` scheduled articles, soonest first, strictly after `after`.
    pub fn scheduled(
        &self,
        limit: usize,
        after: Option<&Cursor>,
    ) -> Result<Vec<Article>, StoreError> {
        let start = match after {
            // The first key past the cursor's own.
            Some(c) => {
                let mut k = keys::queued(c.micros, &c.id);
                k.push(0);
                k
            }
            None => keys::QUEUE_PREFIX.to_vec(),
        };
        let mut out = Vec::new();
        for key in self.db.range(start..).keys() {
            if out.len() == limit {
                break;
            }
            let key = key.map_err(sled_err("list scheduled articles"))?;
            if !key.starts_with(keys::QUEUE_PREFIX) {
                break;
            }
            let Some((_, id)) = keys::decode_queued(&key) else {
                continue;
            };
            let raw = self
                .db
                .get(keys::scheduled(&id))
                .map_err(sled_err(format!("load scheduled article {id}")))?;
            if let Some(raw) = raw {
                out.push(decode(&id, &raw)?);
            }
        }
        Ok(out)
    }

    /// Every scheduled article, in id order; for export.
    pub fn all_scheduled(&self) -> impl Iterator<Item = Result<Article, StoreError>> + '_ {
        self.db.scan_prefix(keys::SCHEDULED_PREFIX).map(|item| {
            let (k, v) = item.map_err(sled_err("scan scheduled articles"))?;
            let id = String::from_utf8_lossy(&k[keys::SCHEDULED_PREFIX.len()..]).into_owned();
            decode(&id, &v)
        })
    }
}

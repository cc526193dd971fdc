//! State derived from the articles and saved at a clean shutdown, valid until the
//! next write: the related index's term counts, which spare a start its counting
//! pass, and the number of public articles, which spares it counting them.
//!
//! Opening the store takes the saved counts out of it, so a process that opens the
//! store and then writes, or crashes, never leaves counts behind that disagree with
//! the articles. No flush is needed for that: sled recovers a prefix of its log, so
//! the removal survives whenever any later write does.

use std::sync::atomic::Ordering;

use super::{Store, StoreError, keys, sled_err};

/// Removes and returns the saved term counts and article count; done once, at open.
pub(super) fn take(db: &sled::Db) -> Result<(Option<Vec<u8>>, Option<u64>), StoreError> {
    let terms = db
        .remove(keys::RELATED_COUNTS)
        .map_err(sled_err("read the saved related term counts"))?;
    let articles = db
        .remove(keys::ARTICLE_COUNT)
        .map_err(sled_err("read the saved article count"))?;
    let articles = articles
        .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
        .map(u64::from_be_bytes);
    Ok((terms.map(|v| v.to_vec()), articles))
}

impl Store {
    /// Saves `terms` as the related index's term counts for the articles as they
    /// are now (when given), and the article count (when known), durably, for the
    /// next start. The next article write removes them in its own batch.
    pub fn save_counts(&self, terms: Option<&[u8]>) -> Result<(), StoreError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.ensure_writable()?;
        let mut batch = sled::Batch::default();
        if let Some(terms) = terms {
            batch.insert(keys::RELATED_COUNTS, terms);
        }
        if self.is_counted() {
            batch.insert(keys::ARTICLE_COUNT, &self.article_count().to_be_bytes());
        }
        let inserted = self.db.apply_batch(batch).map_err(sled_err(
            "save the related term counts and the article count",
        ));
        self.note_failure(inserted)?;
        self.counts_on_disk.store(true, Ordering::SeqCst);
        self.flush()
    }

    /// The counts saved at the last clean shutdown, if no process has opened the
    /// store since; handed out once.
    pub fn take_related_counts(&self) -> Option<Vec<u8>> {
        self.saved_counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// Adds the removal of saved counts to an article write's batch, when they are on
    /// disk; returns whether it did, for [`Store::batch_failed`].
    pub(super) fn drop_saved_counts(&self, batch: &mut sled::Batch) -> bool {
        let on_disk = self.counts_on_disk.swap(false, Ordering::SeqCst);
        if on_disk {
            batch.remove(keys::RELATED_COUNTS);
            batch.remove(keys::ARTICLE_COUNT);
        }
        on_disk
    }

    /// Whether the article count is known: saved at the last clean shutdown, or
    /// counted since the store was opened.
    pub fn is_counted(&self) -> bool {
        self.counted.load(Ordering::Acquire)
    }

    /// Counts the public articles, unless they are counted already; holds writes
    /// back meanwhile, so the count is exact (see [`Store::summarise`]). About a
    /// second at 1,000,000 articles, so a server does it in the background.
    pub fn count_articles(&self) -> Result<u64, StoreError> {
        if self.is_counted() {
            return Ok(self.article_count());
        }
        self.summarise()?;
        Ok(self.article_count())
    }

    /// A batch that removed saved counts did not apply: they are still on disk.
    pub(super) fn batch_failed(&self, dropped_counts: bool) {
        if dropped_counts {
            self.counts_on_disk.store(true, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::fixtures::{reopen, sample};

    #[test]
    fn saved_counts_last_until_the_next_open_or_write() {
        let dir = tempfile::tempdir().unwrap();
        let open = || reopen(dir.path());

        let store = open();
        assert_eq!(store.take_related_counts(), None);
        store.save_counts(Some(b"counts")).unwrap();
        drop(store);

        let store = open();
        assert_eq!(store.take_related_counts().as_deref(), Some(&b"counts"[..]));
        assert_eq!(store.take_related_counts(), None, "handed out once");
        drop(store);
        assert_eq!(open().take_related_counts(), None, "an open consumes them");

        let store = open();
        store.save_counts(Some(b"counts")).unwrap();
        store.put(&sample("a", "xa-hoi")).unwrap();
        store.flush().unwrap();
        drop(store);
        assert_eq!(open().take_related_counts(), None, "a write drops them");
    }
}

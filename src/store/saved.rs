//! State derived from the articles and saved at a clean shutdown, valid until the
//! next write: the related index's term counts, which spare a start its counting pass.
//!
//! Opening the store takes the saved counts out of it, so a process that opens the
//! store and then writes, or crashes, never leaves counts behind that disagree with
//! the articles. No flush is needed for that: sled recovers a prefix of its log, so
//! the removal survives whenever any later write does.

use std::sync::atomic::Ordering;

use super::{Store, StoreError, keys, sled_err};

/// Removes and returns the saved counts; done once, at open.
pub(super) fn take(db: &sled::Db) -> Result<Option<Vec<u8>>, StoreError> {
    let saved = db
        .remove(keys::RELATED_COUNTS)
        .map_err(sled_err("read the saved related term counts"))?;
    Ok(saved.map(|v| v.to_vec()))
}

impl Store {
    /// Saves `bytes` as the related index's term counts for the articles as they
    /// are now, durably. The next article write removes them in its own batch.
    pub fn save_related_counts(&self, bytes: &[u8]) -> Result<(), StoreError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.ensure_writable()?;
        let inserted = self
            .db
            .insert(keys::RELATED_COUNTS, bytes)
            .map_err(sled_err("save the related term counts"));
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
        }
        on_disk
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
        store.save_related_counts(b"counts").unwrap();
        drop(store);

        let store = open();
        assert_eq!(store.take_related_counts().as_deref(), Some(&b"counts"[..]));
        assert_eq!(store.take_related_counts(), None, "handed out once");
        drop(store);
        assert_eq!(open().take_related_counts(), None, "an open consumes them");

        let store = open();
        store.save_related_counts(b"counts").unwrap();
        store.put(&sample("a", "xa-hoi")).unwrap();
        store.flush().unwrap();
        drop(store);
        assert_eq!(open().take_related_counts(), None, "a write drops them");
    }
}

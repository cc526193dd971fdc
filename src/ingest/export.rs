//! The one exporter, for `herald export` and `GET /api/export`: everything a
//! restore needs, one JSON object per line.

use super::Ingest;
use super::batch::Wrapped;
use crate::store::StoreError;

impl Ingest {
    /// Calls `emit` with every line of the export while holding writes back, so the
    /// lines are one consistent state: run-time sections first (articles name
    /// them), then public articles, then scheduled ones, each in id order, then the
    /// tombstones still within `feeds.tombstone_days`. The change log is not
    /// exported: a restored store starts a log of its own. Blocking; `emit`
    /// returning false stops early (the reader went away). Returns how many lines
    /// were emitted.
    pub fn export(&self, mut emit: impl FnMut(Vec<u8>) -> bool) -> Result<usize, StoreError> {
        let _order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        let mut n = 0;
        let mut send = |mut line: Vec<u8>| {
            line.push(b'\n');
            let more = emit(line);
            n += usize::from(more);
            more
        };
        for category in self.store.categories()? {
            if !send(to_line(&Wrapped::Category(category))) {
                return Ok(n);
            }
        }
        for article in self.store.articles().chain(self.store.all_scheduled()) {
            if !send(to_line(&article?)) {
                return Ok(n);
            }
        }
        let window = chrono::Utc::now() - chrono::Duration::days(self.tombstone_days.into());
        for tombstone in self.store.all_tombstones() {
            let tombstone = tombstone?;
            if tombstone.when >= window && !send(to_line(&Wrapped::Tombstone(tombstone))) {
                return Ok(n);
            }
        }
        Ok(n)
    }
}

fn to_line(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("stored documents always serialise")
}

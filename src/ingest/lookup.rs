//! What a reader, or the newsroom, finds under an article id.

use chrono::Utc;

use super::Ingest;
use crate::article::Article;
use crate::history::Tombstone;
use crate::store::StoreError;

/// An id's article as a reader may see it.
#[derive(Debug)]
pub enum Found {
    /// Public: what every reader sees.
    Public(Article),
    /// Waiting for its time: only the newsroom sees it.
    Scheduled(Article),
    /// Retracted within `feeds.tombstone_days`: readers learn it is gone, and why.
    Retracted(Tombstone),
    /// Nothing (or nothing this reader may see).
    Missing,
}

impl Ingest {
    /// Article `id` as a reader finds it; `newsroom` readers also find scheduled
    /// articles. Blocking.
    pub fn find(&self, id: &str, newsroom: bool) -> Result<Found, StoreError> {
        if let Some(a) = self.store.get(id)? {
            return Ok(Found::Public(a));
        }
        if let Some(a) = self.store.get_scheduled(id)? {
            // Scheduled articles are not public in any way: not even as tombstones
            // of a version that was public before it was moved behind an embargo.
            return Ok(if newsroom {
                Found::Scheduled(a)
            } else {
                Found::Missing
            });
        }
        let window = Utc::now() - chrono::Duration::days(self.tombstone_days.into());
        Ok(match self.store.tombstone(id)? {
            Some(t) if t.when >= window => Found::Retracted(t),
            _ => Found::Missing,
        })
    }
}

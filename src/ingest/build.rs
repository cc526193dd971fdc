//! Building the related index from the store, while writes go on (see
//! `related::LiveIndex` for how the two meet).

use super::Ingest;
use crate::related::IndexBuilder;
use crate::store::StoreError;

/// Where an index build took its term counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermCounts {
    /// Saved at the last clean shutdown: one pass over the articles.
    Saved,
    /// Counted in a first pass of two.
    Counted,
}

impl Ingest {
    /// Builds the related index from every public article, each pass on every core:
    /// one pass to count terms (unless counts were saved at the last clean
    /// shutdown), one to index them; then makes it the one writes keep in step.
    /// Blocking; meant to run while the server serves everything else.
    pub fn build_related(&self) -> Result<TermCounts, StoreError> {
        let started = std::time::Instant::now();
        let store = &self.store;
        store.summarise()?;
        let articles = store.article_count();
        let saved = store
            .take_related_counts()
            .and_then(|bytes| IndexBuilder::from_saved(&bytes, articles));
        let (builder, counts) = match saved {
            Some(builder) => (builder, TermCounts::Saved),
            None => {
                let builder = IndexBuilder::default();
                store.scan_parallel(crate::par::workers(), |chunk| {
                    builder.count(chunk);
                    !self.related.is_cancelled()
                })?;
                (builder, TermCounts::Counted)
            }
        };
        let live = &self.related;
        store.scan_parallel(crate::par::workers(), |chunk| {
            builder.add(chunk, |id| live.is_dirty(id));
            !live.is_cancelled()
        })?;
        if live.is_cancelled() {
            return Ok(counts);
        }
        let index = builder.finish();
        let _order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        live.finish(index, |id| store.get(id).ok().flatten());
        tracing::info!(
            articles = live.get().map_or(0, |i| i.len()),
            term_counts = ?counts,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "related index built"
        );
        Ok(counts)
    }
}

//! Building the related index from the store, while writes go on (see
//! `related::LiveIndex` for how the two meet, and why it is rebuilt as it grows).

use std::time::Instant;

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
    /// A rebuild's: the counts of the index it replaces, taken when it began.
    Current,
}

impl Ingest {
    /// Builds the related index from every public article, each pass on every core:
    /// one pass to count terms (unless counts were saved at the last clean
    /// shutdown), one to index them; then makes it the one writes keep in step.
    /// Blocking; meant to run while the server serves everything else.
    pub fn build_related(&self) -> Result<TermCounts, StoreError> {
        let started = Instant::now();
        let store = &self.store;
        store.summarise()?;
        let articles = store.article_count();
        let saved = store
            .take_related_counts()
            .and_then(|bytes| IndexBuilder::from_saved(&bytes, articles));
        let workers = crate::par::workers();
        let (builder, counts) = match saved {
            Some(builder) => (builder, TermCounts::Saved),
            None => {
                let builder = IndexBuilder::default();
                store.scan_parallel(workers, |chunk| {
                    builder.count(chunk);
                    !self.related.is_cancelled()
                })?;
                (builder, TermCounts::Counted)
            }
        };
        self.index_all(builder, counts, workers, started)?;
        Ok(counts)
    }

    /// Starts a rebuild of the related index on a thread of its own, if the index has
    /// grown enough since its last build. Called after writes (once per request).
    pub(super) fn rebuild_related_if_grown(&self) {
        if !self.related.has_grown() {
            return;
        }
        // Under the order lock, so that the counts taken match the store: every
        // later write marks its article dirty.
        let builder = {
            let _order = self.order.lock().unwrap_or_else(|e| e.into_inner());
            let Some(current) = self.related.begin_rebuild_if_grown() else {
                return;
            };
            IndexBuilder::from_index(&current)
        };
        let started = Instant::now();
        let ingest = self.clone();
        let spawned = std::thread::Builder::new()
            .name("related-rebuild".into())
            .spawn(move || {
                // One worker: the index that answers meanwhile is complete, so the
                // rebuild need not hurry, and the other cores go on serving.
                let rebuild = || ingest.index_all(builder, TermCounts::Current, 1, started);
                // Whatever ends it, a rebuild that did not finish must be abandoned, or
                // every later write would go on marking its article dirty.
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(rebuild)) {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "the related index could not be rebuilt; the current one answers on");
                        ingest.related.abandon();
                    }
                    Err(_) => {
                        tracing::error!("the related index's rebuild panicked; the current one answers on");
                        ingest.related.abandon();
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "no thread for the related index's rebuild");
            self.related.abandon();
        }
    }

    /// The pass that indexes every article not written since the build began, over
    /// `workers` threads; then the finish, which indexes those under the order lock.
    fn index_all(
        &self,
        builder: IndexBuilder,
        counts: TermCounts,
        workers: usize,
        started: Instant,
    ) -> Result<(), StoreError> {
        let (store, live) = (&self.store, &self.related);
        store.scan_parallel(workers, |chunk| {
            builder.add(chunk, |id| live.is_dirty(id));
            !live.is_cancelled()
        })?;
        if live.is_cancelled() {
            return Ok(());
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
        Ok(())
    }
}

//! Related stories: what to read next, by content. No I/O: callers feed it articles.
//!
//! Each article becomes a profile of its most distinctive terms (syllables, syllable
//! bigrams and whole tags; title and tags weigh most), scored against the others with
//! BM25 through an inverted index and normalised by the article's score against
//! itself. Closeness in time adds a little. Updates apply at once; a build at start
//! counts every term first, so the chosen terms use the final frequencies.

mod index;
mod sketch;
mod tokenize;

use std::sync::RwLock;

use rustc_hash::FxHashSet;

pub use index::Hit;

use crate::article::Article;

/// The shared, thread-safe index. Every method blocks: call from blocking threads.
#[derive(Default)]
pub struct RelatedIndex {
    inner: RwLock<index::Index>,
}

/// Builds an index in two passes over the same articles, each fed in batches that
/// are tokenised on every core.
#[derive(Default)]
pub struct Builder {
    index: index::Index,
}

impl Builder {
    /// First pass: count the batch's terms.
    pub fn count(&mut self, batch: &[Article]) {
        let df = &self.index.df;
        crate::par::map(batch.iter().collect(), |a| {
            for t in index::profile(a).terms() {
                df.add(t);
            }
        });
    }

    /// Second pass: index the batch.
    pub fn add(&mut self, batch: &[Article]) {
        let index = &self.index;
        let prepared = crate::par::map(batch.iter().collect(), |a| {
            index.prepare(&index::profile(a), 2)
        });
        for (a, p) in batch.iter().zip(prepared) {
            self.index.insert(a, p);
        }
    }

    /// The finished index.
    pub fn finish(self) -> RelatedIndex {
        RelatedIndex {
            inner: RwLock::new(self.index),
        }
    }
}

impl RelatedIndex {
    /// Adds or replaces `article`; `old` is the stored version it replaces.
    pub fn upsert(&self, article: &Article, old: Option<&Article>) {
        self.write().upsert(article, old);
    }

    /// Removes a deleted article (as it was stored).
    pub fn remove(&self, old: &Article) {
        self.write().remove(old);
    }

    /// Up to `limit` articles related to `source`, best first, optionally only in
    /// `category` and never those in `exclude` (nor `source` itself).
    pub fn related(
        &self,
        source: &Article,
        limit: usize,
        category: Option<&str>,
        exclude: &[String],
    ) -> Vec<Hit> {
        let exclude: FxHashSet<&str> = exclude.iter().map(String::as_str).collect();
        let index = self.inner.read().unwrap_or_else(|e| e.into_inner());
        index.related(source, limit, category, &exclude)
    }

    /// The number of indexed articles.
    pub fn len(&self) -> usize {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, index::Index> {
        // Index updates are single calls that leave it consistent, so a panic in one
        // cannot leave a half-update behind: a poisoned lock is safe to reuse.
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

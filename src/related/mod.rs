//! Related stories: what to read next, by content. No I/O: callers feed it articles.
//!
//! Each article becomes a profile of its most distinctive terms (syllables, syllable
//! bigrams and whole tags; title and tags weigh most), scored against the others with
//! BM25 through an inverted index and normalised by the article's score against
//! itself. Closeness in time adds a little. Updates apply at once; a build at start
//! counts every term first, so the chosen terms use the final frequencies.

mod index;
mod live;
mod sketch;
mod stem;
mod tokenize;

pub use live::LiveIndex;

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::{Mutex, RwLock};

use rustc_hash::FxHashSet;

pub use index::Hit;
use sketch::DocFreq;

use crate::article::{Article, ArticleText};

/// The shared, thread-safe index. Every method blocks: call from blocking threads.
#[derive(Default)]
pub struct RelatedIndex {
    inner: RwLock<index::Index>,
}

/// Builds an index in two passes over the same articles: the first counts terms,
/// the second indexes each article under its terms chosen with the final counts.
/// Both take chunks of articles from any number of threads at once.
#[derive(Default)]
pub struct IndexBuilder {
    df: DocFreq,
    counted: AtomicU32,
    index: Mutex<index::Index>,
}

impl IndexBuilder {
    /// A builder over term counts saved by [`RelatedIndex::saved_counts`] for the
    /// same `articles`, which needs only the second pass; `None` when the bytes were
    /// saved by a version that makes other terms.
    pub fn from_saved(bytes: &[u8], articles: u64) -> Option<IndexBuilder> {
        Some(IndexBuilder {
            df: DocFreq::from_bytes(bytes, index::terms_stamp())?,
            counted: AtomicU32::new(u32::try_from(articles).ok()?),
            index: Mutex::default(),
        })
    }

    /// A builder over the term counts of `index` as they are now, which needs only
    /// the second pass over the articles `index` holds: a rebuild's. (The counts an
    /// index keeps are exact for what it holds, since every write updates them.)
    pub fn from_index(index: &RelatedIndex) -> IndexBuilder {
        let index = index.inner.read().unwrap_or_else(|e| e.into_inner());
        IndexBuilder {
            df: index.df.snapshot(),
            counted: AtomicU32::new(index.len() as u32),
            index: Mutex::default(),
        }
    }

    /// First pass: count the chunk's terms.
    pub fn count(&self, chunk: &[ArticleText<'_>]) {
        for a in chunk {
            index::with_profile(a, |p| p.terms().for_each(|t| self.df.add(t)));
        }
        self.counted.fetch_add(chunk.len() as u32, Relaxed);
    }

    /// Second pass: index the chunk, but for the articles `skip` names (ones
    /// written while the build runs, which the finish indexes as they are then).
    pub fn add(&self, chunk: &[ArticleText<'_>], skip: impl Fn(&str) -> bool) {
        let n = self.counted.load(Relaxed);
        let prepared: Vec<_> = chunk
            .iter()
            .filter(|a| !skip(&a.id))
            .map(|a| {
                (
                    a,
                    index::with_profile(a, |p| index::prepare(&self.df, n, p, 2)),
                )
            })
            .collect();
        let mut index = self.index.lock().unwrap_or_else(|e| e.into_inner());
        index.reserve(n as usize);
        for (a, p) in prepared {
            index.insert(a, p);
        }
    }

    /// The finished index.
    pub fn finish(self) -> RelatedIndex {
        let mut index = self.index.into_inner().unwrap_or_else(|e| e.into_inner());
        index.df = self.df;
        RelatedIndex {
            inner: RwLock::new(index),
        }
    }
}

impl RelatedIndex {
    /// Adds or replaces `article`; `old` is the stored version it replaces.
    pub fn upsert(&self, article: &Article, old: Option<&Article>) {
        self.write()
            .upsert(&article.into(), old.map(ArticleText::from).as_ref());
    }

    /// Removes a deleted article (as it was stored).
    pub fn remove(&self, old: &Article) {
        self.write().remove(&old.into());
    }

    /// Takes the terms of `old` out of the counts only: for an article the counts
    /// include but the postings do not (see `LiveIndex::finish`).
    pub fn forget_counts(&self, old: &Article) {
        self.write().forget_counts(&old.into());
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
        index.related(&source.into(), limit, category, &exclude)
    }

    /// The term counts, to save at shutdown and hand to [`IndexBuilder::from_saved`] at
    /// the next start, which then skips counting.
    pub fn saved_counts(&self) -> Vec<u8> {
        let index = self.inner.read().unwrap_or_else(|e| e.into_inner());
        index.df.to_bytes(index::terms_stamp())
    }

    /// Whether article `id` is indexed.
    pub fn contains(&self, id: &str) -> bool {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(id)
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
